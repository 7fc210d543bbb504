"""Pen registers and Title III orders on the time-skipping server against a real mediation simulator
process: collection on after approval, a production per day, off at the legal instant (asserted in
the simulator's own task store), extensions, Title III's first interception, withdrawal, a failing
switch-off, continue-as-new."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.client import WorkflowUpdateFailedError

from domain.case import CaseState, DecisionReceipt, RequestSubmission, Resolution
from les.temporal import workflow_id_for
from recordstore.models import InterceptionCertification, Invoice, Notification
from tests.workflow_support import dated, decision, example, finish, running_worker, status, wait_for_state
from workflows import WORKFLOW_FOR_TYPE

S = CaseState


@pytest.fixture
def wired(settings, mediation_simulator):
    """The worker's settings, pointed at the test's own mediation simulator."""
    return replace(settings, mediation_url=mediation_simulator.url)


async def start(env, settings, name: str, request_id: str, *, duration: int | None = None,
                continue_after: int | None = None, **process):
    document = example(name, request_id)
    if duration is not None:
        document["legal_process"]["duration_days"] = duration
    document["legal_process"].update(process)
    document = dated(document, await env.get_current_time())
    handle = await env.client.start_workflow(
        WORKFLOW_FOR_TYPE[document["type"]].run,
        RequestSubmission(request_id=request_id, request_type=document["type"], document=document,
                          continue_as_new_after_productions=continue_after),
        id=workflow_id_for(request_id), task_queue=settings.task_queue,
    )
    handle.document = document  # the case file as submitted, for the test's own arithmetic
    return handle


async def decide(handle, name: str, **payload) -> DecisionReceipt:
    return await handle.execute_update(f"{name}_sync", decision(**payload), result_type=DecisionReceipt)


async def switched_on(handle, *approvers: tuple[str, str]):
    await wait_for_state(handle, S.AWAITING_APPROVAL)
    for actor, role in approvers or (("jdoe", "analyst"),):
        await decide(handle, "approve", actor=actor, role=role)
    return await wait_for_state(handle, S.COLLECTING)


async def sleep_until(env, moment: datetime) -> None:
    """Move the test server's clock to `moment` a few days at a time: each step lets the workflow
    deliver the periods it passes before the next (one long sleep would time out its RPC)."""
    while (left := moment - await env.get_current_time()) > timedelta(0):
        await env.sleep(min(left, timedelta(days=5)))


def instant(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


async def test_a_pen_register_goes_off_at_exactly_day_60_with_a_production_each_day(
    time_skipping_env, wired, prepared_store, mediation_simulator
):
    env = time_skipping_env
    async with running_worker(env.client, wired):
        handle = await start(env, wired, "pen_register", "TS-PEN-60")
        on = await switched_on(handle)
        end = instant(on.deadlines["expires_at"])
        collection = on.collection
        await sleep_until(env, end - timedelta(minutes=5))
        before_end = await status(handle)
        task_before = mediation_simulator.admin.task_for("TS-PEN-60")
        await env.sleep(timedelta(minutes=10))
        outcome = await finish(env, handle)
        final = await status(handle)

    issued = instant(handle.document["legal_process"]["issued_at"])
    assert end == issued + timedelta(days=60)  # 18 U.S.C. 3123(c)(1)
    assert collection["state"] == "active" and collection["certification_id"] == "CERT-TS-PEN-60"
    assert before_end.state is S.COLLECTING and task_before["status"] != "deactivated"
    task = mediation_simulator.admin.task_for("TS-PEN-60")
    off = instant(task["deactivated_at"])
    assert end - timedelta(seconds=1) <= off <= end, task  # off at the legal instant, to the second, never after
    assert outcome.resolution is Resolution.EXPIRED
    assert final.collection["state"] == "off" and instant(final.collection["deactivated_at"]) == off
    # One production per day collected, the last written at the switch-off.
    numbers = [p.production_id.rsplit("-P", 1)[1] for p in final.productions]
    days_on = (end - instant(collection["activated_at"])) / timedelta(days=1)
    assert len(numbers) == int(days_on) + 1 and numbers[-1] == f"{len(numbers):02d}"
    with Session(prepared_store) as session:
        record = session.scalar(select(InterceptionCertification).where(
            InterceptionCertification.request_id == "TS-PEN-60"))
        invoice = session.scalar(select(Invoice).where(Invoice.request_id == "TS-PEN-60"))
    assert record.ended_at == off and record.identities == ["+16125550188"] and record.responsible_employee == "jdoe"
    # 3124(c): provisioning once, then each day of collection (60 days, the first one partly).
    assert [(line["item"], line["quantity"]) for line in invoice.lines] == [("provisioning", 1), ("assistance_day", 60)]


async def test_title3_runs_30_days_from_first_interception_or_day_ten_and_a_vacated_order_goes_off_at_once(
    time_skipping_env, wired, prepared_store, mediation_simulator
):
    env = time_skipping_env
    async with running_worker(env.client, wired):
        started = await start(env, wired, "title3_wiretap", "TS-T3-EARLY")
        await switched_on(started, ("jdoe", "analyst"), ("kpatel", "legal"))
        first = await env.get_current_time()
        moved = await decide(started, "record_interception_started", at=first.isoformat())
        late = await start(env, wired, "title3_wiretap", "TS-T3-LATE")
        late_on = await switched_on(late, ("jdoe", "analyst"), ("kpatel", "legal"))
        issued = instant(late.document["legal_process"]["issued_at"])
        twice = None
        try:
            await decide(started, "record_interception_started", at=first.isoformat())
        except WorkflowUpdateFailedError as err:
            twice = str(err.cause)
        early_status = await status(started)
        await decide(started, "withdraw", note="order vacated by the court")
        vacated_at = await env.get_current_time()
        withdrawn = await finish(env, started)
        await decide(late, "withdraw", note="test over")
        await finish(env, late)

    assert moved.accepted
    assert instant(early_status.deadlines["expires_at"]) == first + timedelta(days=30)  # 2518(5): from interception
    assert instant(late_on.deadlines["expires_at"]) == issued + timedelta(days=40)  # day ten + 30
    assert twice.endswith(f"first interception was already recorded at {first.isoformat()}")
    assert withdrawn.resolution is Resolution.VACATED
    off = instant(mediation_simulator.admin.task_for("TS-T3-EARLY")["deactivated_at"])
    assert abs(off - vacated_at) < timedelta(minutes=1)  # at once, not at the order's end


async def test_an_extension_order_moves_the_end_and_a_too_long_one_is_refused(
    time_skipping_env, wired, prepared_store, mediation_simulator
):
    env = time_skipping_env
    async with running_worker(env.client, wired):
        order = await start(env, wired, "pen_register", "TS-PEN-EXT", duration=3, continue_after=2)
        on = await switched_on(order)
        end = instant(on.deadlines["expires_at"])
        extension = await start(env, wired, "pen_register", "TS-PEN-EXT-2", duration=4, extension_of="TS-PEN-EXT")
        filed = await finish(env, extension)
        too_long = await start(env, wired, "pen_register", "TS-PEN-EXT-3", duration=61, extension_of="TS-PEN-EXT")
        await finish(env, too_long)
        refused = None
        try:
            await decide(order, "record_extension", extension_request_id="TS-PEN-EXT-3")
        except WorkflowUpdateFailedError as err:
            refused = str(err.cause)
        extended = await decide(order, "record_extension", extension_request_id="TS-PEN-EXT-2")
        await sleep_until(env, end + timedelta(days=4) - timedelta(minutes=5))
        still_on = await status(order)
        await env.sleep(timedelta(minutes=10))
        outcome = await finish(env, order)
        final = await status(order)
        description = await order.describe()

    assert filed.resolution is Resolution.FILED_AS_EXTENSION
    assert refused.endswith("an extension of a pen_register runs at most 60 days (18 U.S.C. 3123(c)(2)); "
                            "this order grants 61")
    assert extended.accepted and extended.message.startswith("extended by TS-PEN-EXT-2")
    assert still_on.collection["state"] == "active"  # past the first end: the extension holds
    assert outcome.resolution is Resolution.EXPIRED
    task = mediation_simulator.admin.task_for("TS-PEN-EXT")
    assert end + timedelta(days=4, seconds=-1) <= instant(task["deactivated_at"]) <= end + timedelta(days=4)
    assert final.details["extensions"] == ["TS-PEN-EXT-2"]
    assert description.run_id != order.first_execution_run_id  # continued as new, every clock carried


async def test_a_failing_switch_off_is_retried_escalated_and_shown_pending_until_it_succeeds(
    time_skipping_env, wired, prepared_store, mediation_simulator
):
    env = time_skipping_env
    async with running_worker(env.client, wired):
        order = await start(env, wired, "pen_register", "TS-PEN-DOWN", duration=1)
        on = await switched_on(order)
        end = instant(on.deadlines["expires_at"])
        await sleep_until(env, end - timedelta(minutes=1))
        mediation_simulator.admin.fault("down", seconds=8)
        await env.sleep(timedelta(minutes=2))
        pending = None
        for _ in range(100):
            current = await status(order)
            if current.collection["state"] == "deprovision_pending":
                pending = current
                break
            await asyncio.sleep(0.1)
        outcome = await finish(env, order)

    assert pending is not None and pending.state is S.COLLECTING
    with Session(prepared_store) as session:
        notice = session.scalar(select(Notification).where(Notification.request_id == "TS-PEN-DOWN",
                                                           Notification.kind == "deprovision_failing"))
    assert notice is not None and notice.recipient_role == "supervisor"
    assert outcome.resolution is Resolution.EXPIRED
    assert mediation_simulator.admin.task_for("TS-PEN-DOWN")["status"] == "deactivated"


async def test_the_reconciliation_switches_off_and_reports_a_task_no_running_order_justifies(
    time_skipping_env, wired, prepared_store, mediation_simulator
):
    from mediation.messages import DestinationDetails, TaskDetails
    from recordstore.models import UnauthorisedInterceptionReport
    from workflows.reconciliation import MediationReconciliation, ReconciliationInput

    env = time_skipping_env
    now = await env.get_current_time()
    orphan = "4b0c1d9e-0000-4000-8000-00000000beef"
    did = "4b0c1d9e-0000-4000-8000-00000000d1d0"
    with mediation_simulator.client() as x1:  # switched on by hand at the mediation system: no order
        x1.create_destination(DestinationDetails(did=did, delivery_type="X2Only", address="https://lea.invalid/x2"))
        x1.activate_task(TaskDetails(xid=orphan, targets=("+16125550111",), delivery_type="X2Only",
                                     liid="NO-SUCH-ORDER", start_time=now, end_time=now + timedelta(days=30),
                                     destination_ids=(did,)), at=now)
    async with running_worker(env.client, wired):
        lawful = await start(env, wired, "pen_register", "TS-PEN-LAWFUL", duration=5)
        await switched_on(lawful)
        sweep = await env.client.start_workflow(
            MediationReconciliation.run, ReconciliationInput(interval_seconds=3600, sweeps_per_run=1),
            id="reconciliation-under-test", task_queue=wired.task_queue)
        for _ in range(200):
            swept = await sweep.query(MediationReconciliation.sweeps)
            if swept:
                break
            await asyncio.sleep(0.1)
        await decide(lawful, "withdraw", note="test over")
        await finish(env, lawful)
        await sweep.terminate("test over")

    assert swept[0].orphans == [orphan] and swept[0].active == 2
    assert mediation_simulator.admin.task_record(orphan)["status"] == "deactivated"
    assert mediation_simulator.admin.task_for("TS-PEN-LAWFUL")["status"] == "deactivated"  # withdrawn
    with Session(prepared_store) as session:
        report = session.scalar(select(UnauthorisedInterceptionReport).where(
            UnauthorisedInterceptionReport.xid == orphan))
    assert report.reason == "no running order's interception record names this task"
    assert report.details["liid"] == "NO-SUCH-ORDER"


async def test_a_fisa_order_naming_collection_is_switched_on_and_off_and_its_stored_records_come_first(
    time_skipping_env, wired, prepared_store, mediation_simulator
):
    env = time_skipping_env
    document = example("fisa_order", "TS-FISA-PEN")
    document["records"] = ["pen_trap", "subscriber_info"]
    document["legal_process"]["duration_days"] = 2
    # LEGAL.md (3rd): collection and stored records together are an 1805 order's (the example is 1861's)
    document["legal_process"]["authority"] = "50 U.S.C. 1805"
    document = dated(document, await env.get_current_time())
    async with running_worker(env.client, wired):
        handle = await env.client.start_workflow(
            WORKFLOW_FOR_TYPE["fisa_order"].run,
            RequestSubmission(request_id="TS-FISA-PEN", request_type="fisa_order", document=document),
            id=workflow_id_for("TS-FISA-PEN"), task_queue=wired.task_queue)
        await wait_for_state(handle, S.AWAITING_APPROVAL)
        uncleared = None
        try:
            await decide(handle, "approve", actor="jdoe")
        except WorkflowUpdateFailedError as err:
            uncleared = str(err.cause)
        on = await switched_on(handle, ("tnguyen", "analyst"), ("rcruz", "legal"))
        end = instant(on.deadlines["expires_at"])
        await sleep_until(env, end + timedelta(minutes=5))
        outcome = await finish(env, handle)
        final = await status(handle)

    assert uncleared.endswith("a fisa_order is handled only by cleared actors; jdoe is not cleared")
    issued = instant(document["legal_process"]["issued_at"])
    assert end == issued + timedelta(days=2)
    assert outcome.resolution is Resolution.EXPIRED and final.collection["state"] == "off"
    off = instant(mediation_simulator.admin.task_for("TS-FISA-PEN")["deactivated_at"])
    assert end - timedelta(seconds=1) <= off <= end
    first = final.productions[0]
    assert first.production_id == "TS-FISA-PEN-P01"  # the stored subscriber record, at switch-on
    files = sorted(p.name for p in Path(first.path).iterdir())
    assert "subscriber_info.csv" in files and "pen_trap.csv" not in files
    last = Path(final.productions[-1].path)
    assert (last / "pen_trap.csv").exists() and not (last / "subscriber_info.csv").exists()


def emergency_authorisation(document: dict) -> dict:
    """The designated official's own authorisation under 18 U.S.C. 3125(a): no court order yet."""
    document["legal_process"].update(instrument="emergency_authorization", issuer_kind="agency",
                                     issued_by="U.S. Department of Justice, Criminal Division",
                                     signed_by="Deputy Assistant Attorney General")
    document["documents"] = []
    return document


async def start_emergency(env, settings, request_id: str):
    document = dated(emergency_authorisation(example("pen_register", request_id)), await env.get_current_time())
    handle = await env.client.start_workflow(
        WORKFLOW_FOR_TYPE["pen_register"].run,
        RequestSubmission(request_id=request_id, request_type="pen_register", document=document),
        id=workflow_id_for(request_id), task_queue=settings.task_queue)
    handle.document = document
    return handle


async def test_an_emergency_pen_trap_without_a_court_order_goes_off_at_48_hours_and_escalates(
    time_skipping_env, wired, prepared_store, mediation_simulator
):
    env = time_skipping_env
    async with running_worker(env.client, wired):
        handle = await start_emergency(env, wired, "TS-PEN-EMERG")
        on = await switched_on(handle)
        end = instant(on.deadlines["expires_at"])
        await sleep_until(env, end + timedelta(minutes=5))
        outcome = await finish(env, handle)

    received = instant(handle.document["received_at"])
    assert end == received + timedelta(hours=48) == instant(on.deadlines["court_order_due"])
    assert outcome.resolution is Resolution.FOLLOW_UP_MISSING
    off = instant(mediation_simulator.admin.task_for("TS-PEN-EMERG")["deactivated_at"])
    assert end - timedelta(seconds=1) <= off <= end
    with Session(prepared_store) as session:
        notice = session.scalar(select(Notification).where(Notification.request_id == "TS-PEN-EMERG",
                                                           Notification.kind == "court_order_missing"))
    assert notice is not None and notice.recipient_role == "legal"


async def test_an_emergency_pen_trap_followed_by_its_court_order_runs_to_the_order_end(
    time_skipping_env, wired, prepared_store, mediation_simulator
):
    env = time_skipping_env
    async with running_worker(env.client, wired):
        handle = await start_emergency(env, wired, "TS-PEN-EMERG2")
        await switched_on(handle)
        court = example("pen_register", "TS-PEN-EMERG2-COURT", follow_up_of="TS-PEN-EMERG2")
        court["legal_process"]["duration_days"] = 3
        court = dated(court, await env.get_current_time())
        filed = await env.client.start_workflow(
            WORKFLOW_FOR_TYPE["pen_register"].run,
            RequestSubmission(request_id="TS-PEN-EMERG2-COURT", request_type="pen_register", document=court),
            id=workflow_id_for("TS-PEN-EMERG2-COURT"), task_queue=wired.task_queue)
        filed_outcome = await finish(env, filed)
        for _ in range(100):
            current = await status(handle)
            if current.details.get("collection") and any(e.name == "court_order_received" for e in current.history):
                break
            await asyncio.sleep(0.1)
        end = instant(current.deadlines["expires_at"])
        await sleep_until(env, end + timedelta(minutes=5))
        outcome = await finish(env, handle)

    assert filed_outcome.resolution is Resolution.FILED_AS_FOLLOW_UP
    assert end == instant(court["legal_process"]["issued_at"]) + timedelta(days=3)  # the order's own term
    assert outcome.resolution is Resolution.EXPIRED
    off = instant(mediation_simulator.admin.task_for("TS-PEN-EMERG2")["deactivated_at"])
    assert end - timedelta(seconds=1) <= off <= end
