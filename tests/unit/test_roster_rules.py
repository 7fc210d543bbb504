"""Who may decide: the roster says who holds a role and who is active, after the type's own rules;
national security cases take decisions only from cleared actors; an auditor decides nothing."""

from __future__ import annotations

import pytest

from domain.case import CaseState
from domain.contracts import RosterEntry
from domain.vocabulary import RequestType, Role
from tests.case_support import (
    S,
    T,
    accept,
    d,
    opened,
    refusal,
    roster,
)


def test_the_roster_decides_who_holds_a_role():
    case = opened(T.SUBPOENA)
    assert case.decide(d("approve"), RosterEntry(known=False)).message == "jdoe is not on the roster"
    assert case.decide(d("approve", actor="bwilson"), roster("analyst", active=False)).message == (
        "bwilson is no longer active on the roster")
    assert case.decide(d("approve", actor="kpatel"), roster("legal")).message == (
        "kpatel does not hold the analyst role (holds: legal)")
    assert case.state is S.AWAITING_APPROVAL and case.approvals == {}


def test_the_roster_is_asked_after_the_rules_of_the_type():
    case = opened("subpoena")
    assert refusal(case, d("approve"), RosterEntry(known=False)) == "jdoe is not on the roster"
    assert refusal(case, d("approve"), RosterEntry(known=True, active=False, roles=[Role.ANALYST])) == (
        "jdoe is no longer active on the roster")
    assert refusal(case, d("approve"), RosterEntry(known=True, active=True)) == (
        "jdoe does not hold the analyst role (holds: none)")
    assert refusal(case, d("approve"), roster("supervisor", "legal")) == (
        "jdoe does not hold the analyst role (holds: legal, supervisor)")
    # the type's rules come first: an unknown actor asking for a decision the type does not take
    assert refusal(case, d("customer_accepts_fee", quote_id="Q"), RosterEntry(known=False)) == (
        "customer_accepts_fee is not a decision a subpoena takes")


@pytest.mark.parametrize("request_type", [T.NATIONAL_SECURITY_LETTER, T.FISA_ORDER])
def test_national_security_cases_take_decisions_only_from_cleared_actors(request_type):
    case = opened(request_type)
    uncleared = case.decide(d("approve", actor="jdoe"), roster("analyst"))
    assert not uncleared.accepted
    assert uncleared.message == f"a {request_type} is handled only by cleared actors; jdoe is not cleared"
    rejected = case.decide(d("reject", actor="jdoe", note="no"), roster("analyst"))
    assert not rejected.accepted and case.state is S.AWAITING_APPROVAL
    assert case.decide(d("approve", actor="tnguyen"), roster("analyst", "cleared")).accepted
    assert case.decide(d("approve", actor="rcruz", role="legal"), roster("legal", "cleared")).accepted
    assert case.state is S.RETRIEVING


@pytest.mark.parametrize("request_type", ["national_security_letter", "fisa_order"])
def test_every_decision_on_a_cleared_only_type_needs_the_cleared_role(request_type):
    case = opened(request_type)
    message = f"a {request_type} is handled only by cleared actors; jdoe is not cleared"
    for decision in (d("approve"), d("reject", note="no"), d("withdraw", note="no"), d("request_info", question="q")):
        assert refusal(case, decision, roster("analyst", "legal", "supervisor")) == message
    assert accept(case, d("request_info", question="q"), roster("analyst", "cleared"))


def test_an_auditors_approval_is_refused_and_recorded_as_refused():
    case = opened(RequestType.SUBPOENA)
    outcome = case.decide(d("approve", actor="dokafor", role="auditor"), roster("auditor", "cleared"))
    assert (outcome.accepted, outcome.message) == (False, "role auditor may not approve (allowed: analyst)")
    assert case.state is CaseState.AWAITING_APPROVAL
