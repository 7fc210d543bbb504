"""Record workflow histories for the replay test: `.venv/bin/python -m tests.record_histories [NAME ...]`.

Runs each scenario on the time-skipping server against a throw-away SQLite store and saves
its event history under tests/histories/ as `<type>_<version>_<scenario>.json` (a workflow that
continued as new: one file per run, `<...>.run-01.json`, `.run-02.json`, first to last). A file already
there is never recorded again (unless named on the command line): it is what running workflows
of that version look like and must keep replaying. Record a new version's files beside the old."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from temporalio.testing import WorkflowEnvironment

from domain.case import CaseState, DecisionReceipt
from les.config import Settings
from les.temporal import FAILURE_CONVERTER, register_search_attributes
from recordstore.db import create_schema, make_engine, make_session_factory
from recordstore.generator import place_examples, seed_roster
from tests.workflow_support import dated, decision, example, finish, running_worker, status, submit, wait_for_state

HISTORIES = Path(__file__).parent / "histories"
S = CaseState
Scenario = Callable[..., Awaitable[None]]


async def now_text(env) -> str:
    """The server's clock now, as a decision's timestamp field."""
    return (await env.get_current_time()).isoformat()


async def decide(handle, name: str, **payload) -> DecisionReceipt:
    return await handle.execute_update(f"{name}_sync", decision(**payload), result_type=DecisionReceipt)


async def approve(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_APPROVAL)
    await handle.signal("approve", {"role": "analyst"})  # refused: no actor
    await decide(handle, "approve")


async def info_then_reject(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_APPROVAL)
    await handle.signal("request_info", decision(question="Which subscriber?"))
    await wait_for_state(handle, S.AWAITING_INFO)
    await handle.signal("provide_info", decision(info="The current one."))
    await wait_for_state(handle, S.AWAITING_APPROVAL)
    await handle.signal("reject", decision(note="overbroad"))


async def overdue_then_withdraw(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_APPROVAL)
    await env.sleep(timedelta(days=30))
    await handle.signal("withdraw", decision(note="agency withdrew"))


async def cleared_approvals(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_APPROVAL)
    await handle.signal("approve", decision(actor="jdoe"))  # refused: not cleared
    await decide(handle, "approve", actor="tnguyen")
    await decide(handle, "approve", actor="rcruz", role="legal")


async def pin_then_fee(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_FEE_ACCEPTANCE)
    for _ in range(300):
        current = await status(handle)
        if "fee_quote" in current.details:
            break
        await asyncio.sleep(0.1)
    await decide(handle, "customer_accepts_fee", quote_id=current.details["fee_quote"]["quote_id"])


async def callback_approvals_follow_up(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_CALLBACK)
    await handle.signal("verify_callback", decision(number="+16025550123", verified_at=await now_text(env)))
    await decide(handle, "verify_callback", number="+16025346311", verified_at=await now_text(env))
    await decide(handle, "approve")
    await decide(handle, "approve", actor="mlee", role="supervisor")
    await wait_for_state(handle, S.AWAITING_FOLLOW_UP)
    order = example("court_order", "REPLAY-FOLLOW-UP-ORDER", follow_up_of=(await status(handle)).request_id)
    follow_up = await submit(env.client, settings, dated(order, await env.get_current_time()))
    await finish(env, handle)
    await follow_up.signal("withdraw", decision(note="recording over"))


async def hold_renew_release(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_APPROVAL)
    await decide(handle, "approve")
    await wait_for_state(handle, S.PRESERVED)
    now = await env.get_current_time()
    await decide(handle, "record_extension", renewal_received_at=now.isoformat())
    await handle.signal("record_extension", decision(renewal_received_at=now.isoformat()))  # refused: second
    await handle.signal("withdraw", decision(note="investigation closed"))


@contextmanager
def slow_retrieval(seconds_per_row: float = 0.25):
    """TEST-ONLY THROTTLE (as tests/system/test_withdraw_retrieval.py): every row a retrieval writes takes
    this long, so a withdrawal finds it running; the worker runs in this process."""
    import time

    import activities.heartbeat as heartbeat_module
    import recordstore.csvfile as csvfile_module
    import recordstore.export as export_module

    real = heartbeat_module.Heartbeat.__call__
    rows, every, buffer = export_module.FETCH_ROWS, heartbeat_module.HEARTBEAT_EVERY_ROWS, csvfile_module.BUFFER_BYTES

    def slowly(self, sink):
        real(self, sink)
        time.sleep(seconds_per_row)

    heartbeat_module.Heartbeat.__call__ = slowly
    export_module.FETCH_ROWS, heartbeat_module.HEARTBEAT_EVERY_ROWS, csvfile_module.BUFFER_BYTES = 1, 1, 1
    try:
        yield
    finally:
        heartbeat_module.Heartbeat.__call__ = real
        export_module.FETCH_ROWS, heartbeat_module.HEARTBEAT_EVERY_ROWS = rows, every
        csvfile_module.BUFFER_BYTES = buffer


async def withdraw_while_retrieving(env, handle, settings):
    import asyncio

    with slow_retrieval():
        await wait_for_state(handle, S.AWAITING_APPROVAL)
        await decide(handle, "approve")
        await wait_for_state(handle, S.RETRIEVING)
        await asyncio.sleep(1.5)  # real seconds: the retrieval has written rows
        await decide(handle, "withdraw", note="the agency withdrew it")
        await finish(env, handle)  # the cancellation completes while the throttle holds


def three_days(document: dict) -> dict:
    document["legal_process"]["duration_days"] = 3
    return document


def civil(document: dict) -> dict:
    document["requester"]["kind"] = "attorney"
    document["legal_process"]["issuer_kind"] = "attorney"
    return document


async def approve_then_notice_period(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_APPROVAL)
    await decide(handle, "approve")
    await env.sleep(timedelta(days=15))


async def switched_on_then_vacated(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_APPROVAL)
    await decide(handle, "approve")
    if (await status(handle)).approvals_required == ["analyst", "legal"]:
        await decide(handle, "approve", actor="kpatel", role="legal")
    await wait_for_state(handle, S.COLLECTING)
    if (await status(handle)).request_type == "title3_wiretap":
        await decide(handle, "record_interception_started", at=await now_text(env))
    await handle.signal("withdraw", decision(note="order vacated"))


async def quote_lapses(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_FEE_ACCEPTANCE)
    await env.sleep(timedelta(days=31))  # no acceptance: the fee quote lapses after 30 days


async def hold_lapses(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_APPROVAL)
    await decide(handle, "approve")
    await wait_for_state(handle, S.PRESERVED)
    await env.sleep(timedelta(days=91))  # no renewal: the hold lapses 90 days after receipt


async def sleep_until(env, moment) -> None:
    """A few days at a time, so the workflow delivers each period it passes (as test_surveillance)."""
    while (left := moment - await env.get_current_time()) > timedelta(0):
        await env.sleep(min(left, timedelta(days=5)))


async def extended_then_ends(env, handle, settings):
    """A 3-day order switched on (a Title III's legal approval and interception start too),
    extended by a 4-day order (submitted as its own request, filed as an extension), collected to
    the extended end. The pen register's submission also continues as new every 2 productions."""
    from datetime import datetime

    await wait_for_state(handle, S.AWAITING_APPROVAL)
    await decide(handle, "approve")
    kind = (await status(handle)).request_type
    if kind == "title3_wiretap":
        await decide(handle, "approve", actor="kpatel", role="legal")
    on = await wait_for_state(handle, S.COLLECTING)
    if kind == "title3_wiretap":
        await decide(handle, "record_interception_started", at=await now_text(env))
    end = datetime.fromisoformat(str(on.deadlines["expires_at"]).replace("Z", "+00:00"))
    base = on.request_id
    order = example(kind, f"{base}-EXT")
    order["legal_process"].update(duration_days=4, extension_of=base)
    extension = await submit(env.client, settings, dated(order, await env.get_current_time()))
    await finish(env, extension)
    await decide(handle, "record_extension", extension_request_id=f"{base}-EXT")
    await sleep_until(env, end + timedelta(days=4, minutes=5))
    version = "v2" if kind == "pen_register" else "v3"  # the names their files were recorded under
    return {f"{kind}_{version}_filed_as_extension": extension}


async def withdraw_at_the_gate(env, handle, settings):
    """Withdrawn by the requester while the case waits for its first decision (recorded by a
    cleared analyst where the case is a national security one: jdoe's withdraw is refused first)."""
    for _ in range(300):
        current = await status(handle)
        if current.state in (S.AWAITING_APPROVAL, S.AWAITING_FEE_ACCEPTANCE, S.AWAITING_CALLBACK):
            break
        await asyncio.sleep(0.1)
    if current.request_type in ("national_security_letter", "fisa_order"):
        await handle.signal("withdraw", decision(note="agency withdrew"))  # refused: jdoe is not cleared
        await decide(handle, "withdraw", actor="tnguyen", note="agency withdrew")
    else:
        await handle.signal("withdraw", decision(note="agency withdrew"))


async def reject(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_APPROVAL)
    await decide(handle, "reject", note="not the carrier's subscriber")


async def cleared_reject(env, handle, settings):
    await wait_for_state(handle, S.AWAITING_APPROVAL)
    await decide(handle, "reject", actor="tnguyen", note="outside the statute")


# name -> (example, change to the document, scenario)
SCENARIOS: dict[str, tuple[str, Callable[[dict], dict], Scenario]] = {
    "subpoena_v1_approve": ("subpoena", lambda d: d, approve),
    "subpoena_v1_info_then_reject": ("subpoena", lambda d: d, info_then_reject),
    "subpoena_v1_overdue_then_withdraw": ("subpoena", lambda d: d, overdue_then_withdraw),
    "subpoena_v2_civil_notice": ("subpoena", civil, approve_then_notice_period),
    "court_order_v1_approve": ("court_order", lambda d: d, approve),
    "search_warrant_v1_approve": ("search_warrant", lambda d: d, approve),
    "national_security_letter_v1_cleared": ("national_security_letter", lambda d: d, cleared_approvals),
    "fisa_order_v1_cleared": ("fisa_order", lambda d: d, cleared_approvals),
    "customer_call_lookup_v1_pin_then_fee": ("customer_call_lookup", lambda d: d, pin_then_fee),
    "emergency_v1_callback_follow_up": ("emergency", lambda d: d, callback_approvals_follow_up),
    "preservation_v1_renew_then_release": ("preservation", lambda d: d, hold_renew_release),
    "pen_register_v1_on_then_vacated": ("pen_register", lambda d: d, switched_on_then_vacated),
    "title3_wiretap_v1_interception_then_vacated": ("title3_wiretap", lambda d: d, switched_on_then_vacated),
    # v2: the queue search attributes (LesWaitingFor analyst+legal, then legal, then none; LesSecrecyBinds)
    "national_security_letter_v2_queue_attributes": ("national_security_letter", lambda d: d, cleared_approvals),
    # v3: bulk activities on the bulk task queue; a withdrawal while retrieving cancels it
    "subpoena_v3_bulk_queue_approve": ("subpoena", lambda d: d, approve),
    "subpoena_v3_withdraw_while_retrieving": ("subpoena", lambda d: d, withdraw_while_retrieving),
    # v2 paths (issue 11): expired, extended, continued-as-new, withdrawn and rejected where they exist
    "customer_call_lookup_v2_quote_lapses": ("customer_call_lookup", lambda d: d, quote_lapses),
    "preservation_v2_hold_lapses": ("preservation", lambda d: d, hold_lapses),
    "pen_register_v2_extended_continued_expires": ("pen_register", three_days, extended_then_ends),
    "court_order_v2_withdrawn": ("court_order", lambda d: d, withdraw_at_the_gate),
    "search_warrant_v2_withdrawn": ("search_warrant", lambda d: d, withdraw_at_the_gate),
    "national_security_letter_v2_withdrawn": ("national_security_letter", lambda d: d, withdraw_at_the_gate),
    "fisa_order_v2_withdrawn": ("fisa_order", lambda d: d, withdraw_at_the_gate),
    "customer_call_lookup_v2_withdrawn": ("customer_call_lookup", lambda d: d, withdraw_at_the_gate),
    "emergency_v2_withdrawn": ("emergency", lambda d: d, withdraw_at_the_gate),
    "court_order_v2_rejected": ("court_order", lambda d: d, reject),
    "search_warrant_v2_rejected": ("search_warrant", lambda d: d, reject),
    "national_security_letter_v2_rejected": ("national_security_letter", lambda d: d, cleared_reject),
    "fisa_order_v2_rejected": ("fisa_order", lambda d: d, cleared_reject),
    "pen_register_v3_rejected": ("pen_register", lambda d: d, reject),
    "title3_wiretap_v3_extended_expires": ("title3_wiretap", three_days, extended_then_ends),
    "title3_wiretap_v3_rejected": ("title3_wiretap", lambda d: d, reject),
    "preservation_v3_rejected": ("preservation", lambda d: d, reject),
}

# v4: search attributes once per step (workflows/versions.py PER_STEP_ATTRIBUTES), the request type
# with the start, no marker of an earlier patch: the same scenarios again, recorded under v4 names.
V4_OF = ("subpoena_v1_approve", "subpoena_v1_overdue_then_withdraw", "subpoena_v2_civil_notice",
         "subpoena_v3_withdraw_while_retrieving", "court_order_v1_approve", "search_warrant_v2_rejected",
         "national_security_letter_v1_cleared", "fisa_order_v1_cleared", "customer_call_lookup_v1_pin_then_fee",
         "emergency_v1_callback_follow_up", "preservation_v1_renew_then_release",
         "pen_register_v2_extended_continued_expires", "title3_wiretap_v1_interception_then_vacated")
SCENARIOS.update({re.sub(r"_v\d_", "_v4_", name, count=1): SCENARIOS[name] for name in V4_OF})
# v5: the case store's quick steps as local activities (workflows/versions.py LOCAL_CASE_STORE),
# one marker: the same scenarios again, recorded under v5 names.
SCENARIOS.update({re.sub(r"_v\d_", "_v5_", name, count=1): SCENARIOS[name] for name in V4_OF})

# v6: X1 identifiers per case (workflows/surveillance.py X1_IDS_PER_CASE): a UUIDv4 XID and DID drawn
# once, the destination created before the task, both carried across continue-as-new (issue 21); and
# decisions sealed (workflows/case_desk.py SEALED_DECISIONS, issue 20): recorded through
# `SealingRecorderCodec`, each decision sealed for the actor it names on its case, as a codec server
# seals it; the `{"role": "analyst"}` signal of `approve` (no actor) goes unsealed and is refused so.
V6_OF = ("pen_register_v2_extended_continued_expires", "title3_wiretap_v1_interception_then_vacated",
         "subpoena_v1_approve", "subpoena_v1_info_then_reject", "national_security_letter_v1_cleared")
SCENARIOS.update({re.sub(r"_v\d_", "_v6_", name, count=1): SCENARIOS[name] for name in V6_OF})

# v7: a close the case makes by itself waits for a decision being filed (workflows/versions.py
# DECISIONS_BEFORE_CLOCKS): one marker more, at the run's first such close (or its order's end); the
# commands otherwise those of v6. The v4 paths again, and the clocks that close a case (the quote's
# and the hold's lapse), decisions sealed as in v6.
V7_OF = (*V4_OF, "subpoena_v1_info_then_reject", "customer_call_lookup_v2_quote_lapses", "preservation_v2_hold_lapses")
SCENARIOS.update({re.sub(r"_v\d_", "_v7_", name, count=1): SCENARIOS[name] for name in V7_OF})

# v8: one patch marker per run (workflows/versions.py SINGLE_MARKER, issue 26): a new run's first
# workflow task makes the one marker (and the SDK core's one TemporalChangeVersion upsert) that
# stands for every patch since v5; the commands otherwise those of v7. The v7 paths again.
SCENARIOS.update({re.sub(r"_v\d_", "_v8_", name, count=1): SCENARIOS[name] for name in V7_OF})

# Scenarios whose submission continues as new after this many productions (the recorder saves every run).
CONTINUE_AFTER = {"pen_register_v2_extended_continued_expires": 2, "pen_register_v4_extended_continued_expires": 2,
                  "pen_register_v5_extended_continued_expires": 2, "pen_register_v6_extended_continued_expires": 2,
                  "pen_register_v7_extended_continued_expires": 2, "pen_register_v8_extended_continued_expires": 2}



@contextmanager
def mediation_simulator(folder: Path):
    """A mediation simulator process for the surveillance scenarios, on a free port."""
    import socket
    import subprocess
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    from les.x1_tls import CA_CERT, SERVER_CERT, SERVER_KEY, X1Tls, ensure_local_x1_tls
    from mediation.admin import SimulatorAdmin

    tls = folder / "state" / "x1-tls"  # the settings' <state>/x1-tls: the worker finds them there
    ensure_local_x1_tls(tls)
    process = subprocess.Popen([sys.executable, "-m", "mediation.simulator", "--port", str(port),
                                "--store", str(folder / "mediation.db"), "--tls-cert", str(tls / SERVER_CERT),
                                "--tls-key", str(tls / SERVER_KEY), "--client-ca", str(tls / CA_CERT)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"https://127.0.0.1:{port}/X1"

    deadline = time.monotonic() + 20
    while not SimulatorAdmin(url, tls=X1Tls.local(tls), timeout=1.0).healthy():
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the mediation simulator did not start")
        time.sleep(0.05)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def plain_converter():
    """The project's data converter without its payload codec: the replay test holds only its own
    session's fresh keys, and the codec passes a plain payload through as it is (the v1 files were
    recorded before payloads were encrypted). The examples hold no real person's data."""
    return dataclasses.replace(pydantic_data_converter, failure_converter_class=FAILURE_CONVERTER)


NATIONAL_SECURITY_KINDS = ("national_security_letter", "fisa_order")


class SealingRecorderCodec(PayloadCodec, WithSerializationContext):
    """Seals every decision object a client sends a case (its `actor` as the person, the case named,
    the case's compartment by the kind in its request id, the test server's clock), and encrypts
    nothing: a recorded history stays plain, so CI replays it without the recorder's keys. Stands in
    for the codec servers (console/codec_server.py), which the recorder does not run."""

    def __init__(self, key, clock, context: SerializationContext | None = None) -> None:
        self.key, self.clock, self._context = key, clock, context

    def with_context(self, context: SerializationContext) -> SealingRecorderCodec:
        return SealingRecorderCodec(self.key, self.clock, context)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        workflow_id = getattr(self._context, "workflow_id", None) or ""
        if type(self._context) is not WorkflowSerializationContext or not workflow_id.startswith("case-"):
            return list(payloads)
        return [await self._sealed(p, workflow_id.removeprefix("case-")) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def _sealed(self, payload: Payload, request_id: str) -> Payload:
        from bench.sealing import sealed_as_its_actor

        compartment = "natsec" if request_id.endswith(NATIONAL_SECURITY_KINDS) else "general"
        return sealed_as_its_actor(payload, request_id, compartment, self.key, await self.clock[0]())


def recording_converter(seal_folder: Path | None = None):
    """`recording_converter()` whose client seals decisions (SealingRecorderCodec) with a seal key made
    in `seal_folder`; `.payload_codec.clock[0]` is to be pointed at the server's clock."""
    from les.seals import add_seal_key, load_sealing_key

    converter = plain_converter()
    if seal_folder is None:
        return converter
    add_seal_key(seal_folder)
    codec = SealingRecorderCodec(load_sealing_key(seal_folder), [None])
    return dataclasses.replace(converter, payload_codec=codec)


def recorded(name: str) -> bool:
    """A history is on file: `<name>.json`, or `<name>.run-01.json`... for one that continued as new."""
    return (HISTORIES / f"{name}.json").exists() or any(HISTORIES.glob(f"{name}.run-*.json"))


async def save(client, name: str, workflow_id: str) -> None:
    """Every run of the workflow, first to last (as `audit export` reads them): one file per run."""
    from console.histories import every_run

    runs = await every_run(client, workflow_id)
    paths = [HISTORIES / f"{name}.json"] if len(runs) == 1 else \
        [HISTORIES / f"{name}.run-{number:02d}.json" for number in range(1, len(runs) + 1)]
    for path, history in zip(paths, runs, strict=True):
        if path.exists():  # never overwrite a recorded history
            print(f"kept {path.relative_to(Path.cwd())} (already recorded)")
            continue
        path.write_text(history.to_json())
        print(f"recorded {path.relative_to(Path.cwd())} ({len(history.events)} events)")


async def record_reconciliation(env, settings: Settings, name: str) -> None:
    """The mediation reconciliation (started by every worker, not by a request): sweeps every
    minute, continuing as new after two; recorded after it has continued twice (the last run still
    open, as on a live server), then terminated."""
    from workflows.reconciliation import MediationReconciliation, ReconciliationInput

    handle = await env.client.start_workflow(
        MediationReconciliation.run, ReconciliationInput(interval_seconds=60, sweeps_per_run=2),
        id=f"REPLAY-{name}", task_queue=settings.task_queue)
    for _ in range(7):
        await env.sleep(timedelta(seconds=61))
    await save(env.client, name, handle.id)
    await handle.terminate("recorded")


OTHER_WORKFLOWS = {"mediation_reconciliation_v1_sweeps": record_reconciliation}
"""Workflows no request starts, recorded by their own function."""


async def start(client, settings: Settings, document: dict, continue_after: int | None):
    if continue_after is None:
        return await submit(client, settings, document)
    from domain.case import RequestSubmission
    from les.temporal import start_attributes, workflow_id_for
    from workflows import WORKFLOW_FOR_TYPE

    return await client.start_workflow(
        WORKFLOW_FOR_TYPE[document["type"]].run,
        RequestSubmission(request_id=document["request_id"], request_type=document["type"], document=document,
                          continue_as_new_after_productions=continue_after),
        id=workflow_id_for(document["request_id"]), task_queue=settings.task_queue,
        search_attributes=start_attributes(document["type"]))


async def main(names: list[str]) -> None:
    wanted = names or [n for n in [*SCENARIOS, *OTHER_WORKFLOWS] if not recorded(n)]
    unknown = sorted(set(wanted) - set(SCENARIOS) - set(OTHER_WORKFLOWS))
    if unknown:
        sys.exit(f"record_histories: no scenario named {', '.join(unknown)} (known: {', '.join(SCENARIOS)})")
    if not wanted:
        print("record_histories: every scenario already has its history; name one to record it again")
        return
    with tempfile.TemporaryDirectory() as scratch, mediation_simulator(Path(scratch)) as mediation_url:
        settings = Settings.from_env()
        settings = type(settings)(**{**settings.__dict__, "database_url": f"sqlite:///{scratch}/records.db",
                                     "delivery_root": Path(scratch) / "deliveries",
                                     "documents_root": Path(scratch) / "docs", "state_dir": Path(scratch) / "state",
                                     "mediation_url": mediation_url, "seal_dir": Path(scratch) / "seal",
                                     "seal_public_dir": Path(scratch) / "seal"})
        engine = make_engine(settings.database_url)
        create_schema(engine)
        place_examples(engine)
        with make_session_factory(engine)() as session:
            seed_roster(session)
            session.commit()
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
            # Recorded decoded (plain payloads), so CI replays them without the recorder's keys; decisions
            # sealed with a seal key of the recording's own (a recorded seal is never checked again on replay).
            data_converter=(converter := recording_converter(Path(scratch) / "seal")),
        )
        converter.payload_codec.clock[0] = env.get_current_time
        async with env:
            await register_search_attributes(env.client, "default")
            async with running_worker(env.client, settings):
                for name in wanted:
                    if name in OTHER_WORKFLOWS:
                        await OTHER_WORKFLOWS[name](env, settings, name)
                        continue
                    kind, change, scenario = SCENARIOS[name]
                    request_id = f"REPLAY-{name.split('_v')[-1].split('_', 1)[-1]}-{kind}"[:64]
                    document = dated(change(example(kind, request_id)), await env.get_current_time())
                    handle = await start(env.client, settings, document, CONTINUE_AFTER.get(name))
                    extra = await scenario(env, handle, settings) or {}
                    await finish(env, handle)
                    if names and name in names:  # named on the command line: recorded again
                        for old in [HISTORIES / f"{name}.json", *HISTORIES.glob(f"{name}.run-*.json")]:
                            old.unlink(missing_ok=True)
                    await save(env.client, name, handle.id)
                    for extra_name, extra_handle in extra.items():
                        await save(env.client, extra_name, extra_handle.id)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
