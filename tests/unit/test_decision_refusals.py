"""A decision refused, in the order the checks run: a closed case, a decision the type does not
take, a role the decision does not allow, a missing field, the wrong state; `check()` refuses as
`decide()` would and changes nothing."""

from __future__ import annotations

import pytest

from domain.case import Resolution
from domain.case_machine import (
    Facts,
    Refused,
    parse_decision,
)
from domain.contracts import RosterEntry
from tests.case_support import (
    NOW,
    D,
    T,
    at,
    callback,
    d,
    opened,
    preserved,
    refusal,
    renewal,
    roster,
)


def test_nothing_changes_a_closed_case_whatever_its_resolution():
    for resolution in ("withdrawn", "delivered", "hold_expired"):
        case = at("closed", resolution=Resolution(resolution))
        assert refusal(case, d("approve")) == f"the case is closed ({resolution}); nothing can change it now"
        with pytest.raises(Refused, match=rf"^the case is closed \({resolution}\); nothing can change it now$"):
            case.precheck(d("withdraw"))


def test_a_decision_outside_the_type_and_a_role_outside_the_decision_are_refused():
    case = opened("court_order")
    assert refusal(case, d("verify_callback", number="+1", verified_at="2026-11-26T20:30:00Z")) == (
        "verify_callback is not a decision a court_order takes")
    assert refusal(case, d("reject", role="cleared", note="no")) == (
        "role cleared may not reject (allowed: analyst, legal, supervisor)")
    assert refusal(case, d("approve", role="legal")) == "role legal may not approve (allowed: analyst)"
    assert refusal(opened("emergency"), d("approve", role="cleared")) == (
        "role cleared may not approve (allowed: analyst, supervisor)")


def test_a_decision_the_type_does_not_take_is_refused_with_that_reason():
    case = opened(T.SUBPOENA)
    with pytest.raises(Refused, match=r"^customer_accepts_fee is not a decision a subpoena takes$"):
        case.precheck(d("customer_accepts_fee", quote_id="Q-1"))
    with pytest.raises(Refused, match=r"^role supervisor may not approve \(allowed: analyst\)$"):
        case.precheck(d("approve", actor="mlee", role="supervisor"))


def test_a_decision_names_every_field_it_lacks():
    case = opened("emergency")
    assert refusal(case, d("verify_callback")) == (
        "verify_callback: the decision needs a non-empty `number`, `verified_at`")
    assert refusal(case, d("verify_callback", number="  ", verified_at="2026-11-26T20:30:00Z")) == (
        "verify_callback: the decision needs a non-empty `number`")
    assert refusal(case, d("withdraw", note="  ")) == "withdraw: the decision needs a non-empty `note`"
    assert refusal(case, d("request_info")) == "request_info: the decision needs a non-empty `question`"


def test_a_decision_needs_its_fields():
    case = opened(T.SUBPOENA)
    with pytest.raises(Refused, match=r"^reject: the decision needs a non-empty `note`$"):
        case.precheck(d("reject", note=""))
    with pytest.raises(Refused, match=r"^approve: expected one JSON object"):
        parse_decision(D.APPROVE, "yes")
    with pytest.raises(Refused, match=r"^approve: malformed decision \(actor: Field required\)$"):
        parse_decision(D.APPROVE, {"role": "analyst"})


def test_a_decision_in_the_wrong_state_names_the_state():
    retrieving = at("retrieving")
    assert refusal(retrieving, d("approve")) == "approve is not possible now: the case is retrieving"
    assert refusal(retrieving, d("reject", note="no")) == "reject is not possible now: the case is retrieving"
    assert refusal(retrieving, d("request_info", question="q")) == (
        "request_info is not possible now: the case is retrieving")
    assert refusal(at("awaiting_info"), d("request_info", question="q")) == (
        "request_info is not possible now: the case is awaiting_info")
    assert refusal(at("awaiting_approval"), d("provide_info", info="i")) == (
        "no information was requested; the case is awaiting_approval")
    emergency = at("awaiting_approval", "emergency")
    assert refusal(emergency, d("verify_callback", number="+1", verified_at="2026-11-26T20:30:00Z")) == (
        "verify_callback is not possible now: the case is awaiting_approval")
    lookup = at("awaiting_approval", "customer_call_lookup", fee_quote_id="Q-1")
    assert refusal(lookup, d("customer_accepts_fee", quote_id="Q-1")) == (
        "customer_accepts_fee is not possible now: the case is awaiting_approval")
    preservation = at("awaiting_approval", "preservation")
    assert refusal(preservation, d("record_extension", renewal_received_at="2027-01-20T10:00:00Z")) == (
        "record_extension is not possible now: the case is awaiting_approval")
    for kind in ("pen_register", "title3_wiretap"):
        assert refusal(at("awaiting_approval", kind), d("record_extension", extension_request_id="X")) == (
            "record_extension is not possible now: the case is awaiting_approval")
    assert refusal(at("retrieving", "title3_wiretap"), d("record_interception_started", at="2026-11-24T08:00:00Z")) \
        == "record_interception_started is not possible now: the case is retrieving"


def test_check_changes_nothing_and_raises_the_refusal_decide_would_give():
    case = opened("title3_wiretap")
    before = case.model_copy(deep=True)
    assert case.check(d("approve"), roster("analyst"), None, NOW) is None
    assert case == before and case.approvals == {}
    with pytest.raises(Refused, match=r"^role supervisor may not approve \(allowed: analyst, legal\)$"):
        case.check(d("approve", role="supervisor"), roster("supervisor"))
    with pytest.raises(Refused, match=r"^jdoe is not on the roster$"):
        case.check(d("approve"), RosterEntry(known=False))
    hold = preserved()
    with pytest.raises(Refused, match=r"^renewal_received_at is in the future$"):
        hold.check(renewal("2026-11-26T21:10:01Z"), roster("analyst"), None, NOW)
    hold.check(renewal("2026-11-26T21:10:01Z"), roster("analyst"))  # without a moment nothing is in the future
    assert hold == preserved()
    emergency = opened("emergency")
    emergency.check(callback(), roster("analyst"), Facts(callback_listed=True), NOW)
    with pytest.raises(Refused, match=r"^the agency directory could not be consulted; try again$"):
        emergency.check(callback(), roster("analyst"), None, NOW)
    assert emergency == opened("emergency")
