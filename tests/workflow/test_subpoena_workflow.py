"""The subpoena workflow on the time-skipping test server, against the records store under test."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from temporalio.client import WorkflowUpdateFailedError

from domain.case import CaseState, Resolution
from recordstore.models import CallRecord, Case, CaseEvent, Invoice, Notification, Production
from tests.workflow_support import (
    dated,
    decision,
    example,
    finish,
    running_worker,
    status,
    submit,
    wait_for_state,
)
from workflows import SubpoenaWorkflow

# Every test runs twice: on a server whose clock is today, and on one whose clock was first moved
# a year ahead, where any date of examples/ left in a document would already have passed.
pytestmark = pytest.mark.parametrize(
    "time_skipping_env", [None, timedelta(days=365)], ids=["today", "a-year-ahead"], indirect=True
)

TARGET = "+13035550123"
PERIOD = (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 8, 31, 23, 59, 59, tzinfo=UTC))


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


async def subpoena(env, name: str, **changes) -> dict:
    """examples/subpoena.json received now on `env`'s clock, under request id `name` plus the
    clock's date (so the today and a-year-ahead runs of a test keep separate cases)."""
    now = await env.get_current_time()
    return dated(example("subpoena", f"{name}-{now:%Y%m%d}", **changes), now)


async def subpoena_due_in(env, name: str, wait: timedelta) -> tuple[dict, datetime]:
    """The subpoena received now on `env`'s clock and due `wait` later; and that due moment."""
    due = await env.get_current_time() + wait
    document = await subpoena(env, name)
    document["legal_process"]["response_due"] = due.isoformat()
    return document, due


def count_calls(engine, column) -> int:
    with Session(engine) as session:
        return session.scalar(
            select(func.count()).select_from(CallRecord).where(
                column == TARGET, CallRecord.started_at >= PERIOD[0], CallRecord.started_at <= PERIOD[1]
            )
        )


async def test_an_approved_subpoena_ends_in_a_certified_billed_production(
    time_skipping_env, settings, prepared_store
):
    client = time_skipping_env.client
    document = await subpoena(time_skipping_env, "TS-SUB-APPROVE")
    rid = document["request_id"]
    async with running_worker(client, settings):
        handle = await submit(client, settings, document)
        waiting = await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
        assert waiting.permitted == ["subscriber_info", "call_records_outgoing", "call_records_incoming"]
        assert waiting.open_tasks == ["approval by analyst (approve / reject / request_info)"]
        receipt = await handle.execute_update(SubpoenaWorkflow.approve_sync, decision())
        assert receipt.accepted
        outcome = await finish(time_skipping_env, handle)

    assert outcome.resolution is Resolution.DELIVERED
    folder = Path(outcome.production.path)
    assert folder == settings.delivery_root / rid / f"{rid}-P01"
    manifest_bytes = (folder / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest_bytes).hexdigest() == outcome.production.manifest_sha256
    manifest = json.loads(manifest_bytes)
    names = sorted(f["name"] for f in manifest["files"])
    assert names == ["call_records_incoming.csv", "call_records_outgoing.csv", "field_legend.csv",
                     "records_as_text.xlsx", "subscriber_info.csv"]  # the copy: telephone numbers begin with +
    assert not (folder / "voicemail_content.csv").exists()  # refused, so never retrieved
    assert [r["category"] for r in manifest["refused_categories"]] == ["voicemail_content"]
    for entry in manifest["files"]:
        data = (folder / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]
        if entry["name"].endswith(".csv"):
            assert len(csv_rows(folder / entry["name"])) == entry["rows"], entry["name"]

    outgoing = csv_rows(folder / "call_records_outgoing.csv")
    incoming = csv_rows(folder / "call_records_incoming.csv")
    assert len(outgoing) == count_calls(prepared_store, CallRecord.caller_number) > 0
    assert len(incoming) == count_calls(prepared_store, CallRecord.callee_number) > 0
    for row in outgoing + incoming:
        started = row["started_at"]
        assert started.endswith("Z") and "2026-06-01" <= started[:10] <= "2026-08-31"
    assert {row["caller_number"] for row in outgoing} == {TARGET}
    assert {row["callee_number"] for row in incoming} == {TARGET}

    certificate = (folder / "certificate_of_authenticity.txt").read_text()
    assert outcome.production.manifest_sha256 in certificate
    assert rid in certificate and settings.custodian_name in certificate
    assert "902(11)" in certificate and "902(14)" in certificate

    with Session(prepared_store) as session:
        invoice = session.scalar(select(Invoice).where(Invoice.request_id == rid))
        case = session.get(Case, rid)
        productions = session.scalars(select(Production).where(Production.request_id == rid)).all()
        events = session.scalars(select(CaseEvent.event).where(CaseEvent.request_id == rid)
                                 .order_by(CaseEvent.seq)).all()
    assert case.resolution == "delivered" and case.closed_at is not None
    assert len(productions) == 1 and productions[0].manifest_sha256 == outcome.production.manifest_sha256
    # 2706(c): subscriber listings and toll records are not reimbursable, nor is a search that finds
    # only those: one target searched, three categories assembled and reproduced, nothing to pay.
    assert [(line["item"], line["category"], line["amount_cents"]) for line in invoice.lines] == [
        ("search", None, 0),
        ("assembly", "subscriber_info", 0), ("reproduction", "subscriber_info", 0),
        ("assembly", "call_records_outgoing", 0), ("reproduction", "call_records_outgoing", 0),
        ("assembly", "call_records_incoming", 0), ("reproduction", "call_records_incoming", 0),
    ]
    assert invoice.total_cents == outcome.invoice.total_cents == 0 and outcome.invoice.currency == "USD"
    assert events == ["verified", "approve", "production_delivered", "invoiced", "closed"]


async def test_a_rejected_subpoena_retrieves_nothing(time_skipping_env, settings, prepared_store):
    client = time_skipping_env.client
    document = await subpoena(time_skipping_env, "TS-SUB-REJECT")
    rid = document["request_id"]
    async with running_worker(client, settings):
        handle = await submit(client, settings, document)
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
        with pytest.raises(WorkflowUpdateFailedError) as unexplained:
            await handle.execute_update(SubpoenaWorkflow.reject_sync, decision(note=""))
        await handle.signal(SubpoenaWorkflow.reject, decision(note="overbroad"))
        outcome = await finish(time_skipping_env, handle)
        final = await status(handle)

    assert "needs a non-empty `note`" in str(unexplained.value.cause)  # a rejection states its reason
    assert outcome.resolution is Resolution.REJECTED_BY_ANALYST
    assert outcome.production is None and outcome.invoice is None
    assert not (settings.delivery_root / rid).exists()
    assert not (settings.delivery_root / ".staging" / rid).exists()
    assert [e.name for e in final.history] == ["verified", "reject", "closed"]
    with Session(prepared_store) as session:
        assert session.scalar(select(Production).where(Production.request_id == rid)) is None
        assert session.scalar(select(Invoice).where(Invoice.request_id == rid)) is None


async def test_a_passing_response_clock_turns_the_case_overdue_and_escalates(
    time_skipping_env, settings, prepared_store
):
    env = time_skipping_env
    document, due = await subpoena_due_in(env, "TS-SUB-OVERDUE", timedelta(days=20))
    async with running_worker(env.client, settings):
        handle = await submit(env.client, settings, document)
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
        await env.sleep(timedelta(days=16))
        before = await status(handle)
        await env.sleep(timedelta(days=2))
        reminded = await status(handle)
        await env.sleep(timedelta(days=3))
        late = await status(handle)

    assert not before.reminded and not before.overdue
    assert reminded.reminded and not reminded.overdue
    assert late.overdue and late.state is CaseState.AWAITING_APPROVAL  # nobody acted; still open
    events = {e.name: e for e in late.history}
    assert abs(events["reminder_sent"].at - (due - timedelta(hours=72))) < timedelta(minutes=1)
    assert abs(events["overdue_escalated"].at - due) < timedelta(minutes=1)
    assert all(e.actor == "les-orchestrator" for e in (events["reminder_sent"], events["overdue_escalated"]))
    with Session(prepared_store) as session:
        notices = session.scalars(select(Notification).where(Notification.request_id == document["request_id"])).all()
    assert sorted((n.kind, n.recipient_role) for n in notices) == [("overdue", "supervisor"), ("reminder", "analyst")]


async def test_the_reminder_fires_72_hours_before_the_response_is_due(time_skipping_env, settings, prepared_store):
    """LEGAL.md, Clocks: reminded 72 h ahead of response_due by default (the submission names no lead)."""
    env = time_skipping_env
    document, due = await subpoena_due_in(env, "TS-SUB-REMIND", timedelta(days=10))
    async with running_worker(env.client, settings):
        handle = await submit(env.client, settings, document)
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
        await env.sleep(due - timedelta(hours=72, minutes=2) - await env.get_current_time())
        early = await status(handle)
        await env.sleep(timedelta(minutes=4))
        reminded = await status(handle)
        await handle.signal(SubpoenaWorkflow.withdraw, decision(note="agency withdrew"))
        await finish(env, handle)

    assert not early.reminded
    assert reminded.reminded and not reminded.overdue
    sent = next(e for e in reminded.history if e.name == "reminder_sent")
    assert due - timedelta(hours=72, minutes=2) < sent.at <= due - timedelta(hours=71, minutes=58)


async def test_decisions_from_the_wrong_people_are_refused_and_change_nothing(
    time_skipping_env, settings, prepared_store
):
    client = time_skipping_env.client
    async with running_worker(client, settings):
        handle = await submit(client, settings, await subpoena(time_skipping_env, "TS-SUB-ROLES"))
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
        refusals = {}
        for label, payload in {
            "not on roster": decision(actor="mallory"),
            "role not held": decision(actor="kpatel", role="analyst"),
            "role may not approve this": decision(actor="mlee", role="supervisor"),
            "inactive": decision(actor="bwilson"),
        }.items():
            with pytest.raises(WorkflowUpdateFailedError) as failed:
                await handle.execute_update(SubpoenaWorkflow.approve_sync, payload)
            refusals[label] = str(failed.value.cause)
        await handle.signal(SubpoenaWorkflow.approve, {"actor": "jdoe"})  # sealed, but no role: malformed
        await handle.signal(SubpoenaWorkflow.approve, decision(actor="mallory"))
        current = await wait_for_refusals(handle, 2)
        await handle.signal(SubpoenaWorkflow.withdraw, decision(note="agency withdrew"))
        outcome = await finish(time_skipping_env, handle)

    assert "mallory is not on the roster" in refusals["not on roster"]
    assert "kpatel does not hold the analyst role" in refusals["role not held"]
    assert "role supervisor may not approve (allowed: analyst)" in refusals["role may not approve this"]
    assert "no longer active" in refusals["inactive"]
    assert current.state is CaseState.AWAITING_APPROVAL and current.approvals == {}
    refused = [e for e in current.history if not e.accepted]
    assert [e.via for e in refused][-2:] == ["signal", "signal"]
    assert "role" in refused[-2].reason and "mallory" in refused[-1].reason
    assert outcome.resolution is Resolution.WITHDRAWN and outcome.production is None


async def run_unattended(env, settings, document):
    """Submit a request nobody acts on; return its outcome and its final status."""
    async with running_worker(env.client, settings):
        handle = await submit(env.client, settings, document)
        return await finish(env, handle), await status(handle)


async def wait_for_refusals(handle, count: int):
    for _ in range(300):
        current = await status(handle)
        if sum(1 for e in current.history if not e.accepted and e.via == "signal") >= count:
            return current
        await __import__("asyncio").sleep(0.1)
    raise AssertionError(f"refusals not recorded: {current.history}")


async def test_more_information_is_asked_and_answered_before_approval(time_skipping_env, settings, prepared_store):
    client = time_skipping_env.client
    async with running_worker(client, settings):
        handle = await submit(client, settings, await subpoena(time_skipping_env, "TS-SUB-INFO"))
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
        with pytest.raises(WorkflowUpdateFailedError) as no_question:
            await handle.execute_update(SubpoenaWorkflow.request_info_sync, decision())
        await handle.execute_update(SubpoenaWorkflow.request_info_sync,
                                    decision(question="Which account holder is meant?"))
        asking = await status(handle)
        with pytest.raises(WorkflowUpdateFailedError) as premature:  # nothing to approve before the answer
            await handle.execute_update(SubpoenaWorkflow.approve_sync, decision())
        await handle.execute_update(SubpoenaWorkflow.provide_info_sync, decision(info="The holder since 2024."))
        answered = await status(handle)
        await handle.execute_update(SubpoenaWorkflow.approve_sync, decision(actor="asmith"))
        outcome = await finish(time_skipping_env, handle)

    assert "request_info: the decision needs a non-empty `question`" in str(no_question.value.cause)
    assert "approve is not possible now: the case is awaiting_info" in str(premature.value.cause)
    assert asking.state is CaseState.AWAITING_INFO
    assert asking.open_tasks == ["provide_info: answer from the requester to: Which account holder is meant?"]
    assert answered.state is CaseState.AWAITING_APPROVAL
    assert outcome.resolution is Resolution.DELIVERED


async def test_an_unsigned_subpoena_is_rejected_on_verification_without_anyone_acting(
    time_skipping_env, settings, prepared_store
):
    document = await subpoena(time_skipping_env, "TS-SUB-UNSIGNED")
    del document["legal_process"]["signed_by"]
    outcome, final = await run_unattended(time_skipping_env, settings, document)

    assert outcome.resolution is Resolution.REJECTED_ON_VERIFICATION
    assert final.verdict == "reject" and "unsigned" in [p["code"] for p in final.problems]
    assert [e.name for e in final.history] == ["verified", "closed"]
    assert not (settings.delivery_root / document["request_id"]).exists()


async def test_a_state_subpoena_for_a_target_served_in_another_state_is_rejected(
    time_skipping_env, settings, prepared_store
):
    document = await subpoena(time_skipping_env, "TS-SUB-NY")
    document["legal_process"].update(jurisdiction="state:NY", issued_by="New York County Grand Jury")
    outcome, final = await run_unattended(time_skipping_env, settings, document)

    assert outcome.resolution is Resolution.REJECTED_ON_VERIFICATION
    problem = next(p for p in final.problems if p["code"] == "outside_jurisdiction")
    assert problem["message"].startswith("targets[0]: +13035550123 is served in CO")


async def test_papers_on_file_are_checked_against_their_hashes(time_skipping_env, settings, prepared_store):
    document = await subpoena(time_skipping_env, "TS-SUB-PAPERS")
    papers = settings.documents_root / document["request_id"]
    papers.mkdir(parents=True)
    (papers / "subpoena-GJ-2026-0457.pdf").write_bytes(b"%PDF-1.7 not the subpoena described")
    outcome, final = await run_unattended(time_skipping_env, settings, document)

    assert outcome.resolution is Resolution.REJECTED_ON_VERIFICATION
    assert [p["code"] for p in final.problems] == ["document_hash_mismatch"]


async def test_the_web_ui_lists_every_decision_with_its_meaning(time_skipping_env, settings, prepared_store):
    """The Web UI builds its signal and update menus from the workflow's metadata query."""
    client = time_skipping_env.client
    async with running_worker(client, settings):
        handle = await submit(client, settings, await subpoena(time_skipping_env, "TS-SUB-META"))
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
        metadata = await handle.query("__temporal_workflow_metadata")
        await handle.signal(SubpoenaWorkflow.withdraw, decision())
        await finish(time_skipping_env, handle)

    definition = metadata.definition
    signals = {s.name: s.description for s in definition.signal_definitions}
    updates = {u.name: u.description for u in definition.update_definitions}
    queries = {q.name: q.description for q in definition.query_definitions}
    decisions = {"approve", "reject", "request_info", "provide_info", "withdraw", "verify_callback",
                 "record_extension", "record_interception_started", "customer_accepts_fee"}
    assert set(signals) == decisions and set(updates) == {f"{d}_sync" for d in decisions}
    assert all(signals.values()) and all(updates.values()) and queries["status"]
    assert '"case": "<request_id>"' in signals["approve"] and '"question"' in signals["request_info"]
    assert '"actor"' not in signals["approve"]  # the person is the one signed in, sealed by the codec server
    assert "Who: analyst, signed in (e.g. jdoe)" in signals["approve"]
    assert signals["verify_callback"].startswith("Not for this type: a subpoena does not take verify_callback")


async def test_a_defective_document_is_rejected_but_kept_whole_in_the_case_file(
    time_skipping_env, settings, prepared_store
):
    document = await subpoena(time_skipping_env, "TS-SUB-NAIVE", agency_case_number="DPD-26-00917")  # unknown
    signed = datetime.fromisoformat(document["legal_process"]["signed_at"])
    document["legal_process"]["signed_at"] = signed.replace(tzinfo=None).isoformat()  # no offset: a defect
    outcome, final = await run_unattended(time_skipping_env, settings, document)

    assert outcome.resolution is Resolution.REJECTED_ON_VERIFICATION
    assert [p["code"] for p in final.problems] == ["naive_timestamp"]
    assert final.problems[0]["message"].startswith("legal_process.signed_at:")
    with Session(prepared_store) as session:
        case = session.get(Case, document["request_id"])
    assert case.document == document and case.resolution == "rejected_on_verification"
