"""The desk's words: a refusal reaches the person as its message alone, a fault as words (its
trace in the worker's log), and the case's page says what it waits for without saying too much.

Workflow tests run on the time-skipping server with the worker `worker.py` builds; the page
and the static summary are pure functions, tested on hand-made cases."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.case import CaseState
from domain.case_machine import Case
from domain.case_page import case_page, static_summary, time_left
from domain.contracts import Delivery
from domain.findings import Refusal
from domain.vocabulary import RequestType
from tests.workflow_support import dated, example, running_worker, submit, wait_for_state

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


async def refusal(handle, update: str, payload: dict) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update, payload)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_a_refused_decision_reaches_the_person_without_a_trace(time_skipping_env, settings, prepared_store):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await submit(env.client, settings, dated(example("subpoena", "DESK-1"), await env.get_current_time()))
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
        by_roster = await refusal(handle, "approve_sync", {"actor": "bwilson", "role": "analyst"})
        by_validator = await refusal(handle, "approve_sync", {"actor": "mlee", "role": "supervisor"})
        await handle.execute_update("withdraw_sync", {"actor": "jdoe", "role": "analyst", "note": "test over"})

    assert (by_roster.type, by_roster.message) == ("DecisionRefused", "bwilson is no longer active on the roster")
    assert (by_validator.type, by_validator.message) == (
        "DecisionRefused", "role supervisor may not approve (allowed: analyst)")
    for cause in (by_roster, by_validator):
        assert cause.failure.stack_trace == "" and not cause.failure.HasField("cause")


async def test_a_fault_while_checking_a_decision_is_told_in_words_and_logged_with_its_trace(
    time_skipping_env, settings, prepared_store, monkeypatch, caplog
):
    def broken(self, decision):
        raise RuntimeError("the check broke in /srv/les/domain/case_machine.py")

    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await submit(env.client, settings, dated(example("subpoena", "DESK-2"), await env.get_current_time()))
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
        monkeypatch.setattr(Case, "precheck", broken)
        with caplog.at_level(logging.ERROR):
            fault = await refusal(handle, "approve_sync", {"actor": "jdoe", "role": "analyst"})
        monkeypatch.undo()
        await handle.execute_update("withdraw_sync", {"actor": "jdoe", "role": "analyst", "note": "test over"})

    assert fault.type == "DecisionFault"
    assert fault.message == ("approve could not be checked because of a fault in the system, not in the decision; "
                             "the fault is in the worker's log for the operators. Try again later or ask a supervisor.")
    assert fault.failure.stack_trace == "" and not fault.failure.HasField("cause")
    logged = [r for r in caplog.records if r.getMessage().startswith("fault in the approve decision")]
    assert logged, [r.getMessage() for r in caplog.records] and isinstance(logged[0].exc_info[1], RuntimeError)
    assert "case_machine.py" in str(logged[0].exc_info[1])


# ---- the case's page ----------------------------------------------------------------------------------


def awaiting(request_type: RequestType, **fields) -> Case:
    case = Case(request_id="LES-2026-000105", request_type=request_type, received_at=NOW)
    case.verified(rejection=None)
    return case.model_copy(update=fields)


NSL_REFUSED = [Refusal(category="billing_records", reason="needs a 2703(d) order")]


def test_the_time_left_reads_in_days_hours_and_minutes():
    assert time_left(NOW + timedelta(days=20, hours=9, minutes=5), NOW) == "20 d 9 h left"
    assert time_left(NOW + timedelta(hours=5, minutes=10), NOW) == "5 h 10 min left"
    assert time_left(NOW + timedelta(minutes=7), NOW) == "7 min left"
    assert time_left(NOW - timedelta(days=2, hours=1), NOW) == "passed 2 d 1 h ago"


def test_an_nsl_page_says_who_and_when_but_not_what_was_sought():
    case = awaiting(RequestType.NATIONAL_SECURITY_LETTER, approvals={"analyst": "tnguyen"})
    page = case_page(case, NOW, deadlines={"response_due": NOW + timedelta(days=14),
                                           "nondisclosure_until": NOW - timedelta(days=1)},
                     permitted=["subscriber_info", "call_records_outgoing"], refused=NSL_REFUSED)

    assert page == (
        "### NationalSecurityLetter LES-2026-000105\n\n"
        "**Stage:** awaiting approval\n\n"
        "**Waits for:** legal: approval by legal (cleared) (approve / reject / request_info)\n\n"
        "**Secrecy:** binds until a court orders otherwise (statute; no end date)\n\n"
        "**Deadlines** (as of 2026-11-24 15:00 UTC):\n\n"
        "- response due: 2026-12-08 15:00 UTC (14 d 0 h left)\n\n"
        "**Categories:** 2 permitted, 1 refused (named only to cleared actors: `starter.py status`)\n\n"
        "**Approvals:** analyst by tnguyen; legal: awaited\n"
    )


def test_a_subpoena_page_names_its_categories_reasons_and_latest_production():
    case = awaiting(RequestType.SUBPOENA)
    case.approvals["analyst"] = "jdoe"
    case.record("approve", NOW, actor="jdoe", role="analyst", note="in order", via="signal")
    case.close("delivered", "/deliveries/LES-2026-000105-P01")
    delivery = Delivery(production_id="LES-2026-000105-P01", path="/deliveries/x", manifest_sha256="ab" * 32,
                        delivered_at=NOW)
    page = case_page(case, NOW, deadlines={"response_due": NOW + timedelta(days=14)},
                     permitted=["subscriber_info"], refused=NSL_REFUSED, productions=[delivery])

    assert "**Stage:** closed (delivered)\n\n**Waits for:** none: closed as delivered\n" in page
    assert "- response due: 2026-12-08 15:00 UTC\n" in page  # no time left on a closed case
    assert "**Permitted:** subscriber_info\n\n**Refused:**\n\n- billing_records: needs a 2703(d) order\n" in page
    assert "- 2026-11-24 15:00 UTC approve by jdoe (analyst), accepted — in order\n" in page
    assert ("**Latest production:** LES-2026-000105-P01, delivered 2026-11-24 15:00 UTC, "
            f"manifest SHA-256 `{'ab' * 32}`") in page


def test_the_static_summary_names_the_type_the_process_and_the_due_date_only():
    document = example("national_security_letter", "LES-2026-000105")
    assert static_summary(document) == "national security letter · issued by fbi · due 2026-12-08"
    assert static_summary(example("subpoena", "LES-2026-000101")) == "subpoena · grand jury subpoena · due 2026-12-10"
    assert static_summary(example("emergency", "LES-2026-000106")) == (
        "emergency · 18 U.S.C. 2702(c)(4), legal process to follow")
    assert static_summary({"type": "subpoena", "legal_process": {"response_due": "soon"}}) == "subpoena"
