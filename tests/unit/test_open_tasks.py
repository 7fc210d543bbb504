"""The case's open tasks: each missing approver, each waiting state's task, none while the system
works or after the close."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.vocabulary import Role
from tests.case_support import (
    NOW,
    PLAN_TABLE,
    at,
)

APPROVAL_TASKS = {
    "subpoena": ["approval by analyst (approve / reject / request_info)"],
    "title3_wiretap": ["approval by analyst (approve / reject / request_info)",
                       "approval by legal (approve / reject / request_info)"],
    "national_security_letter": ["approval by analyst (cleared) (approve / reject / request_info)",
                                 "approval by legal (cleared) (approve / reject / request_info)"],
    "fisa_order": ["approval by analyst (cleared) (approve / reject / request_info)",
                   "approval by legal (cleared) (approve / reject / request_info)"],
    "emergency": ["approval by analyst (approve / reject / request_info)",
                  "approval by supervisor (approve / reject / request_info)"],
}


@pytest.mark.parametrize("request_type", sorted(APPROVAL_TASKS))
def test_open_tasks_name_each_missing_approver(request_type):
    case = at("awaiting_approval", request_type, approvals_required=list(PLAN_TABLE[request_type][3]))
    assert case.open_tasks() == APPROVAL_TASKS[request_type]
    case.approvals["analyst"] = "jdoe"
    assert case.open_tasks() == APPROVAL_TASKS[request_type][1:]


def test_open_tasks_in_each_waiting_state():
    until = datetime(2026, 12, 10, 20, 10, tzinfo=UTC)
    waiting = at("awaiting_approval", approvals_required=[Role.ANALYST], production_not_before=until)
    assert waiting.open_tasks() == ["approval by analyst (approve / reject / request_info)"]
    waiting.approvals["analyst"] = "jdoe"
    assert waiting.open_tasks(NOW) == [
        "none: production waits for the customer notice period until 2026-12-10T20:10:00+00:00"]
    assert at("awaiting_info", open_question="which unit?").open_tasks() == [
        "provide_info: answer from the requester to: which unit?"]
    assert at("awaiting_callback", "emergency").open_tasks() == [
        "verify_callback by an analyst: call the agency back on its number in the agency directory"]
    assert at("awaiting_fee_acceptance", "customer_call_lookup", fee_quote_id="Q-T-1").open_tasks() == [
        "customer_accepts_fee by an analyst once the customer accepts quote Q-T-1"]
    assert at("preserved", "preservation").open_tasks() == [
        "none: records are held; record_extension (one renewal) or withdraw to release"]
    assert at("awaiting_follow_up", "emergency").open_tasks() == [
        "none: waiting for legal process whose follow_up_of names this request"]


@pytest.mark.parametrize("state", ["verifying", "retrieving", "packaging", "delivering", "billing",
                                   "provisioning", "collecting", "closed"])
def test_no_open_task_while_the_system_works_or_after_the_close(state):
    assert at(state, "title3_wiretap", approvals_required=[Role.ANALYST]).open_tasks() == []
