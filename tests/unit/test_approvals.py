"""Approvals: what each says comes next, once per role and once per person (separation of duties),
and where an approved case goes (retrieval, provisioning, the hold, the no-records letter)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.case_machine import (
    Decision,
)
from domain.vocabulary import DecisionName, Role
from tests.case_support import (
    S,
    T,
    accept,
    at,
    d,
    opened,
    refusal,
    roster,
)


def test_each_approval_says_what_comes_next():
    assert accept(opened("subpoena"), d("approve")) == "approved: retrieving the permitted records"
    nsl = opened("national_security_letter")
    assert accept(nsl, d("approve")) == "approved by jdoe; still awaiting: legal"
    assert nsl.state is S.AWAITING_APPROVAL and nsl.approvals == {"analyst": "jdoe"}
    assert accept(nsl, d("approve", actor="kpatel", role="legal")) == "approved: retrieving the permitted records"
    assert nsl.state is S.RETRIEVING and nsl.approvals == {"analyst": "jdoe", "legal": "kpatel"}
    lookup = opened("customer_call_lookup")
    assert accept(lookup, d("approve")) == (
        "identity confirmed: the fee is quoted and waits for the customer's acceptance")
    assert lookup.state is S.AWAITING_FEE_ACCEPTANCE
    pen = opened("pen_register")
    assert accept(pen, d("approve")) == "approved: provisioning collection at the mediation system"
    assert pen.state is S.PROVISIONING
    hold = opened("preservation")
    assert accept(hold, d("approve")) == "approved: copying the named records into the hold"
    assert hold.state is S.RETRIEVING
    # The workflow always passes the moment; without one the notice period is not consulted.
    until = datetime(2026, 12, 10, 20, 10, tzinfo=UTC)
    assert accept(opened("subpoena", production_not_before=until), d("approve"), now=None) == (
        "approved: retrieving the permitted records")
    assert accept(opened("subpoena", production_not_before=until), d("approve"), now=until) == (
        "approved: retrieving the permitted records")


def test_an_approval_is_given_once_per_role_and_once_per_person():
    case = opened("title3_wiretap")
    accept(case, d("approve"))
    assert refusal(case, d("approve", actor="asmith")) == "the analyst approval was already given by jdoe"
    assert refusal(case, d("approve", role="legal")) == (
        "jdoe already approved this request; a second approval must come from another person "
        "(separation of duties)")
    until = datetime(2026, 12, 10, 20, 10, tzinfo=UTC)
    waiting = opened("subpoena", production_not_before=until)
    accept(waiting, d("approve"))
    assert refusal(waiting, d("approve", actor="asmith")) == (
        "every approval was already given; production waits for its notice period")


def test_one_person_cannot_give_both_approvals():
    case = opened(T.TITLE3_WIRETAP)
    assert case.decide(d("approve", actor="rcruz", role="analyst"), roster("analyst", "legal")).accepted
    twice = case.decide(d("approve", actor="rcruz", role="legal"), roster("analyst", "legal"))
    assert not twice.accepted
    assert twice.message == ("rcruz already approved this request; a second approval must come from "
                             "another person (separation of duties)")
    assert case.approvals == {"analyst": "rcruz"} and case.state is S.AWAITING_APPROVAL
    assert case.decide(d("approve", actor="kpatel", role="legal"), roster("legal")).accepted
    assert case.state is S.PROVISIONING  # a wiretap is switched on, not retrieved


def test_an_approval_from_a_role_the_case_no_longer_needs_is_refused():
    # A case carried over continue-as-new may need fewer approvals than its type's plan lists.
    case = at("awaiting_approval", "title3_wiretap", approvals_required=[Role.LEGAL])
    assert refusal(case, d("approve")) == "this request is approved by: legal; not by analyst"
    two = at("awaiting_approval", "title3_wiretap", approvals_required=[Role.LEGAL, Role.SUPERVISOR])
    assert refusal(two, d("approve")) == "this request is approved by: legal, supervisor; not by analyst"


def decision(name: str, actor: str, role: str) -> Decision:
    return Decision(name=DecisionName(name), actor=actor, role=Role(role), note="ok", fields={})


def test_an_approved_collecting_fisa_order_is_provisioned_not_retrieved():
    case = opened(T.FISA_ORDER)
    case.collects = True
    assert case.decide(decision("approve", "tnguyen", "analyst"), roster("analyst", "cleared")).accepted
    done = case.decide(decision("approve", "rcruz", "legal"), roster("legal", "cleared"))
    assert done.message == "approved: provisioning collection at the mediation system"
    assert case.state is S.PROVISIONING


def test_approving_a_request_where_no_target_matched_closes_it_with_a_letter():
    case = opened(T.SUBPOENA, nothing_resolved=True)
    assert case.nothing_resolved is True
    done = case.decide(decision("approve", "jdoe", "analyst"), roster("analyst"))
    assert done.message == ("approved: no target matches a subscriber; the request closes with a "
                            "'no responsive records' letter signed by the custodian")


def test_an_approved_preservation_copies_the_named_records():
    case = opened(T.PRESERVATION)
    done = case.decide(decision("approve", "jdoe", "analyst"), roster("analyst"))
    assert done.message == "approved: copying the named records into the hold"
    assert case.state is S.RETRIEVING
