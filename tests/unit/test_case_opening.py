"""After verification (`Case.verified`): each type waits at its first gate for its approvers; a fatal
problem closes the case before anyone is asked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.case import Resolution
from domain.case_machine import (
    Case,
)
from tests.case_support import (
    FIRST_STATE,
    PLAN_TABLE,
    RECEIVED,
    S,
    T,
    opened,
)


@pytest.mark.parametrize("request_type", sorted(PLAN_TABLE))
def test_after_verification_each_type_waits_at_its_gate_for_its_approvers(request_type):
    until = datetime(2026, 12, 10, 20, 10, tzinfo=UTC)
    case = Case(request_id="T-1", request_type=request_type, received_at=RECEIVED)
    assert case.verified(rejection=None, production_not_before=until) == FIRST_STATE[request_type]
    assert case.state == FIRST_STATE[request_type]
    assert [str(r) for r in case.approvals_required] == list(PLAN_TABLE[request_type][3])
    assert case.production_not_before == until and case.resolution is None


@pytest.mark.parametrize("request_type", ["subpoena", "emergency", "title3_wiretap"])
def test_a_confirmed_identity_skips_the_approval_only_for_a_customer_call_lookup(request_type):
    case = opened(request_type, identity_confirmed=True)
    assert case.state == FIRST_STATE[request_type]
    assert [str(r) for r in case.approvals_required] == list(PLAN_TABLE[request_type][3])
    pin = opened("customer_call_lookup", identity_confirmed=True)
    assert (pin.state, pin.approvals_required) == (S.AWAITING_FEE_ACCEPTANCE, [])


def test_a_fatal_problem_at_verification_closes_the_case_with_that_reason():
    case = Case(request_id="T-1", request_type="subpoena", received_at=RECEIVED)
    assert case.verified(rejection="unsigned instrument") == "closed"
    assert (case.state, case.resolution, case.closing_note) == (S.CLOSED, Resolution.REJECTED_ON_VERIFICATION,
                                                                "unsigned instrument")
    assert case.approvals_required == []


def test_verification_failure_closes_the_case_before_anyone_is_asked():
    case = Case(request_id="T-1", request_type=T.SUBPOENA)
    case.verified(rejection="unsigned")
    assert case.state is S.CLOSED and case.resolution is Resolution.REJECTED_ON_VERIFICATION
    assert case.open_tasks() == []
