"""Faults as tests (issue 12): a worker SIGKILLed mid-retrieval, the dev server killed and restarted
on its state file, PostgreSQL down mid-case, two workers with one killed, duplicate signals and
updates. Each ends with nothing lost (every case reaches its end), nothing duplicated (one
production, one invoice, each event once in the case and the ledger) and every manifest right
(tests/fault_support.py `assert_delivered_once`).

Real processes throughout: `worker.py`, `temporal server start-dev`, `pg_ctl`. Nothing is mocked;
to stop a worker *between two heartbeats* of a retrieval that takes half a second at full speed,
the test runs it a slice at a time (SIGCONT/SIGSTOP, `fault_support.Stepper`), as a starved CPU would."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from temporalio.api.common.v1 import Payloads, WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.converter import WorkflowSerializationContext
from temporalio.service import RPCError

from console.histories import LOCAL_ACTIVITY_MARKER, payload_value
from domain.case import CaseState, Resolution
from recordstore.db import create_schema, make_engine, make_session_factory
from recordstore.generator import generate, place_examples, seed_roster
from tests.conftest import SESSION, running_dev_server
from tests.fault_support import (
    DevServer,
    PrivatePostgres,
    Reaper,
    Stepper,
    WorkerProcess,
    assert_delivered_once,
    postgres_bin,
    worker_env,
)
from tests.seal_support import sealing_data_converter
from tests.workflow_support import dated, decision, example, finish, running_worker, status, submit, wait_for_state
from workflows import SubpoenaWorkflow

pytestmark = [pytest.mark.faults, pytest.mark.devserver]

HEAVY_NUMBER = "+13035559101"
HEAVY_CALLS = 260_000
"""Calls of the heavy target in 2026: over 200,000 of them outgoing and before today (the period is cut at receipt)."""
YEAR = {"start": "2026-01-01T00:00:00Z", "end": "2026-12-31T23:59:59Z"}


@pytest.fixture(scope="session")
def heavy_store(prepared_store):
    """The test store with one heavy target, written in bulk (COPY on PostgreSQL): ~7 s."""
    generate(prepared_store, seed=7100, subscribers=0, calls_per_subscriber=0, heavy_target=(HEAVY_NUMBER, HEAVY_CALLS),
             start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2027, 1, 1, tzinfo=UTC), batch_size=100_000)
    return prepared_store


@pytest.fixture
def reaper():
    """Kills every process the test started, whatever its outcome."""
    reaper = Reaper()
    try:
        yield reaper
    finally:
        reaper.reap()


async def connect(server: DevServer, keyring, seconds: float = 30) -> Client:
    """A client of `server`, asked again while its frontend says it is not healthy yet."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            converter = sealing_data_converter(keyring, SESSION["seal_dir"])
            return await Client.connect(server.address, data_converter=converter)
        except RuntimeError as err:
            if "not healthy" not in str(err) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def heavy_document(request_id: str) -> dict:
    document = example("subpoena", request_id, targets=[{"kind": "phone_number", "value": HEAVY_NUMBER}],
                       records=["subscriber_info", "call_records_outgoing"], period=YEAR)
    # a federal grand jury: the generated account's address may be in any state
    document["legal_process"] |= {"jurisdiction": "federal", "issued_by": "Federal Grand Jury, D. Colo."}
    return dated(document, datetime.now(UTC))


def small_document(request_id: str) -> dict:
    return dated(example("subpoena", request_id), datetime.now(UTC))


async def retrieval_progress(client: Client, handle: WorkflowHandle) -> tuple[int, str] | None:
    """(rows so far, the worker's identity) of the case's call-record retrieval, as the server
    has them from its heartbeats; None before the first heartbeat with rows."""
    described = await handle.describe()
    for pending in described.raw_description.pending_activities:
        if pending.activity_type.name != "retrieve_records" or not pending.heartbeat_details.payloads:
            continue
        beat = (await client.data_converter.decode(list(pending.heartbeat_details.payloads)))[0]  # decrypted
        if beat.get("step") == "retrieve call_records_outgoing" and beat.get("rows", 0) > 0:
            return beat["rows"], pending.last_worker_identity
    return None


async def step_until_mid_retrieval(client: Client, handle: WorkflowHandle, *workers: WorkerProcess,
                                   seconds: float = 120) -> tuple[int, str]:
    """Run the workers a slice at a time until the server holds a heartbeat of the retrieval with
    rows > 0; they are left stopped (SIGSTOP) there, mid-retrieval.

    Here that takes 12-14 slices of 20 ms. Each 10 s without it the slice doubles (up to 320 ms:
    the retrieval spans several seconds of CPU, so even that stops inside it), so a slower machine
    still gets there; if it never does, the failure says what the case and the workers were doing."""
    stepper = Stepper(*(w.process for w in workers))
    began = time.monotonic()
    deadline = began + seconds
    while time.monotonic() < deadline:
        stepper.slice_seconds = min(0.32, 0.02 * 2 ** int((time.monotonic() - began) // 10))
        stepper.step()
        progress = await retrieval_progress(client, handle)
        if progress:
            return progress
        await asyncio.sleep(0.1)  # stopped meanwhile: the retrieval advances ~20 ms of CPU per 150 ms
    stepper.release()
    raise AssertionError(f"no heartbeat of the retrieval with rows > 0 in {seconds:.0f} s\n"
                         + await what_the_case_waits_for(client, handle, workers))


async def what_the_case_waits_for(client: Client, handle: WorkflowHandle, workers: tuple[WorkerProcess, ...]) -> str:
    """The case's pending activities (state, attempt, last failure, heartbeat details), its last
    history events and the workers' last log lines: what a failed `step_until_mid_retrieval` shows."""
    described = await handle.describe()
    lines = [f"status {described.status}"]
    for pending in described.raw_description.pending_activities:
        beat = (await client.data_converter.decode(list(pending.heartbeat_details.payloads))
                if pending.heartbeat_details.payloads else None)
        lines.append(f"pending {pending.activity_type.name}: state {pending.state} attempt {pending.attempt} "
                     f"worker {pending.last_worker_identity!r} heartbeat {beat} "
                     f"failure {pending.last_failure.message!r}")
    events = [event async for event in handle.fetch_history_events()]
    lines += [f"event {e.event_id} {EventType.Name(e.event_type)}" for e in events[-12:]]
    for n, worker in enumerate(workers, 1):
        lines += [f"worker {n} (exit {worker.process.poll()}): {line[:300]}"
                  for line in worker.output().splitlines()[-20:]]
    return "\n".join(lines)


async def retried(handle: WorkflowHandle) -> set[str]:
    """The activities of the case that ended on a second attempt or later: an activity's started
    event, or a local activity's marker (its bookkeeping, plain JSON written by the SDK's core)."""
    scheduled: dict[int, str] = {}
    names: set[str] = set()
    async for event in handle.fetch_history_events():
        marker = event.marker_recorded_event_attributes
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and marker.marker_name == LOCAL_ACTIVITY_MARKER:
            data = payload_value(marker.details["data"].payloads[0])
            if data["attempt"] >= 2:
                names.add(data["activity_type"])
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started = event.activity_task_started_event_attributes
            if started.attempt >= 2:
                names.add(scheduled[started.scheduled_event_id])
    return names


async def status_once_answered(handle: WorkflowHandle, seconds: float = 30):
    """The case's status, asked again while a restarted server is not yet serving (its port opens first)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await status(handle)
        except RPCError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def delivered(handle: WorkflowHandle, seconds: float) -> None:
    outcome = await asyncio.wait_for(handle.result(), timeout=seconds)
    assert outcome.resolution is Resolution.DELIVERED


async def test_a_worker_killed_mid_retrieval_of_200000_rows_with_cases_in_flight_loses_and_repeats_nothing(
    heavy_store, database_url, keyring, keyring_dir, tmp_path, reaper
):
    """Faults 1 and 4 in one run (one 30-s heartbeat timeout waited, not two): two workers on one
    queue, five cases approved, the worker running the heavy retrieval SIGKILLed once the server
    holds a heartbeat with rows > 0; a new worker is started; every case closes delivered, once."""
    server = DevServer(reaper, tmp_path).start()
    client = await connect(server, keyring)
    env = worker_env(server.address, database_url, tmp_path, "les-faults-kill", keyring_dir)
    workers = [WorkerProcess(reaper, env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
    for worker in workers:
        worker.started()
    queue = SimpleNamespace(task_queue="les-faults-kill")
    heavy = await submit(client, queue, heavy_document("FLT-KILL-HEAVY"))
    small = [await submit(client, queue, small_document(f"FLT-KILL-{n}")) for n in range(1, 5)]
    for handle in (heavy, *small):
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
    Stepper(*(w.process for w in workers)).pause()  # from the approval on, the workers run a slice at a time
    for handle in (heavy, *small):
        await handle.signal(SubpoenaWorkflow.approve, decision())

    rows, identity = await step_until_mid_retrieval(client, heavy, *workers)
    victim = next(w for w in workers if identity.startswith(f"{w.pid}@"))
    survivor = next(w for w in workers if w is not victim)
    in_flight = [h.id for h in small if (await h.describe()).status.name == "RUNNING"]
    victim.kill()
    Stepper(survivor.process).release()
    killed_at = time.monotonic()
    WorkerProcess(reaper, env, tmp_path / "worker-3.log").started()

    await delivered(heavy, seconds=120)
    took = time.monotonic() - killed_at
    for handle in small:
        await delivered(handle, seconds=60)

    assert in_flight  # other cases were open on the workers when one was killed
    assert "retrieve_records" in await retried(heavy)
    assert took < 90, took  # the 30-s heartbeat timeout, not the 2-hour start-to-close
    deliveries = tmp_path / "deliveries"
    manifest = assert_delivered_once(heavy_store, "FLT-KILL-HEAVY", deliveries)
    calls = next(f for f in manifest["files"] if f["category"] == "call_records_outgoing")
    assert calls["rows"] >= 200_000 and 0 < rows < calls["rows"]  # killed mid-retrieval
    for n in range(1, 5):
        assert_delivered_once(heavy_store, f"FLT-KILL-{n}", deliveries)


async def test_the_dev_server_killed_and_restarted_on_its_state_file_loses_nothing(
    heavy_store, database_url, keyring, keyring_dir, tmp_path, reaper
):
    """Fault 2: the server SIGKILLed while three cases wait for approval and one is mid-retrieval
    (its worker paused there), started again on the same SQLite file and port; the worker process
    keeps running and reconnects; every case closes delivered, once."""
    server = DevServer(reaper, tmp_path).start()
    client = await connect(server, keyring)
    env = worker_env(server.address, database_url, tmp_path, "les-faults-server", keyring_dir)
    worker = WorkerProcess(reaper, env, tmp_path / "worker.log").started()
    queue = SimpleNamespace(task_queue="les-faults-server")
    heavy = await submit(client, queue, heavy_document("FLT-SRV-HEAVY"))
    waiting = [await submit(client, queue, small_document(f"FLT-SRV-{n}")) for n in range(1, 4)]
    for handle in (heavy, *waiting):
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
    Stepper(worker.process).pause()  # never at full speed inside the retrieval: it could end unseen
    await heavy.signal(SubpoenaWorkflow.approve, decision())
    await step_until_mid_retrieval(client, heavy, worker)

    server.kill()
    Stepper(worker.process).release()  # the retrieval goes on while the server is away
    await asyncio.sleep(1)
    server.start()
    assert worker.process.poll() is None, worker.output()
    for handle in waiting:
        shown = await status_once_answered(handle)
        assert shown.state is CaseState.AWAITING_APPROVAL  # still waiting: the state file kept them
        await handle.signal(SubpoenaWorkflow.approve, decision())
    for handle in (heavy, *waiting):
        await delivered(handle, seconds=90)
    deliveries = tmp_path / "deliveries"
    for request_id in ("FLT-SRV-1", "FLT-SRV-2", "FLT-SRV-3"):
        assert_delivered_once(heavy_store, request_id, deliveries)
    manifest = assert_delivered_once(heavy_store, "FLT-SRV-HEAVY", deliveries)
    assert next(f for f in manifest["files"] if f["category"] == "call_records_outgoing")["rows"] >= 200_000


async def test_postgresql_down_mid_case_refuses_decisions_in_seconds_and_finishes_after(
    keyring, keyring_dir, tmp_path, reaper
):
    """Fault 3: the worker's store on a private PostgreSQL cluster, stopped (`pg_ctl stop -m fast`)
    right after one case was approved (its next steps may have to wait) while another waits for
    approval; an approve sent meanwhile answers "not recorded, try again" within seconds, and a
    case submitted meanwhile retries its first steps; the cluster is started again, the approve
    re-sent; all three cases close delivered, once."""
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("initdb not found (the PostgreSQL server package, e.g. postgresql, is not installed)")
    cluster = PrivatePostgres(reaper, bindir)
    cluster.start()
    store = make_engine(cluster.url)
    reaper.on_teardown(store.dispose)
    create_schema(store)
    place_examples(store)
    with make_session_factory(store)() as session:
        seed_roster(session)
        session.commit()

    server = DevServer(reaper, tmp_path).start()
    client = await connect(server, keyring)
    env = worker_env(server.address, cluster.url, tmp_path, "les-faults-pg", keyring_dir)
    worker = WorkerProcess(reaper, env, tmp_path / "worker.log").started()
    queue = SimpleNamespace(task_queue="les-faults-pg")
    approved = await submit(client, queue, small_document("FLT-PG-1"))
    waiting = await submit(client, queue, small_document("FLT-PG-2"))
    for handle in (approved, waiting):
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)

    assert (await approved.execute_update(SubpoenaWorkflow.approve_sync, decision())).accepted
    cluster.stop()
    store.dispose()  # the test's own connections went with the server
    arrived = await submit(client, queue, small_document("FLT-PG-3"))  # its case file cannot be opened yet
    began = time.monotonic()
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await waiting.execute_update(SubpoenaWorkflow.approve_sync, decision())
    took = time.monotonic() - began
    assert refused.value.cause.message.startswith("approve was not recorded: the case store did not answer")
    assert refused.value.cause.message.endswith("nothing changed, try again")
    assert took < 15, took
    assert (await status(waiting)).approvals == {}

    cluster.start()
    assert (await waiting.execute_update(SubpoenaWorkflow.approve_sync, decision())).accepted
    await wait_for_state(arrived, CaseState.AWAITING_APPROVAL, seconds=60)
    assert (await arrived.execute_update(SubpoenaWorkflow.approve_sync, decision())).accepted
    for handle in (approved, waiting, arrived):
        await delivered(handle, seconds=90)
    assert worker.process.poll() is None, worker.output()
    assert await retried(arrived)  # its first steps failed while the store was down, and were retried
    for request_id in ("FLT-PG-1", "FLT-PG-2", "FLT-PG-3"):
        assert_delivered_once(store, request_id, tmp_path / "deliveries")


async def test_duplicate_signals_and_updates_are_filed_once(keyring, settings, prepared_store):
    """Fault 5: the same approve sent twice, an update re-sent with the same update id, and one
    signal delivered twice (a client's retry: the same request id): each case has one accepted
    approve in its history and ledger, one production, one invoice. On the dev server: its
    dedup of a signal's request id is what is tested (the time-skipping test server has none)."""
    async with running_dev_server(keyring) as env:  # the real server's dedup, not the test server's
        await filed_once(env, settings, prepared_store)


async def filed_once(env, settings, prepared_store) -> None:
    client = env.client
    now = await env.get_current_time()
    twice, same_update, redelivered = (dated(example("subpoena", f"FLT-DUP-{n}-{now:%Y%m%d}"), now)
                                       for n in (1, 2, 3))
    async with running_worker(client, settings):
        handles = [await submit(client, settings, document) for document in (twice, same_update, redelivered)]
        for handle in handles:
            await wait_for_state(handle, CaseState.AWAITING_APPROVAL)

        await handles[0].signal(SubpoenaWorkflow.approve, decision())
        await handles[0].signal(SubpoenaWorkflow.approve, decision())

        first = await handles[1].execute_update(SubpoenaWorkflow.approve_sync, decision(), id="approve-once")
        again = await handles[1].execute_update(SubpoenaWorkflow.approve_sync, decision(), id="approve-once")
        assert first == again and first.accepted

        # encoded as a client sends it to this case (its codec seals it, tests/seal_support.py): the one
        # sealed payload then delivered twice under one request id
        payloads = await client.data_converter.with_context(WorkflowSerializationContext(
            namespace=client.namespace, workflow_id=handles[2].id)).encode([decision()])
        for _ in range(2):
            await client.workflow_service.signal_workflow_execution(SignalWorkflowExecutionRequest(
                namespace=client.namespace, workflow_execution=WorkflowExecution(workflow_id=handles[2].id),
                signal_name="approve", input=Payloads(payloads=payloads), identity="test",
                request_id="one-approve-sent-twice"))
        for handle in handles:
            assert (await finish(env, handle)).resolution is Resolution.DELIVERED
        histories = [[(event.name, event.accepted) for event in (await status(handle)).history] for handle in handles]
    # sent twice: the second is a decision of its own, refused and recorded so (SPEC §3), changing nothing
    assert [entry for entry in histories[0] if entry[0] == "approve"] == [("approve", True), ("approve", False)]
    # the same update id, the same signal request id: the server files them once
    assert [entry for entry in histories[1] if entry[0] == "approve"] == [("approve", True)]
    assert [entry for entry in histories[2] if entry[0] == "approve"] == [("approve", True)]
    for document in (twice, same_update, redelivered):
        assert_delivered_once(prepared_store, document["request_id"], settings.delivery_root)
