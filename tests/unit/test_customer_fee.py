"""A customer's call lookup: the PIN or an analyst confirms the customer, then the quoted fee is
accepted before any search."""

from __future__ import annotations

from tests.case_support import (
    S,
    T,
    accept,
    d,
    opened,
    refusal,
    roster,
)


def test_a_customer_with_the_right_pin_goes_straight_to_the_fee():
    case = opened(T.CUSTOMER_CALL_LOOKUP, identity_confirmed=True)
    assert case.state is S.AWAITING_FEE_ACCEPTANCE and case.approvals_required == []
    early = case.decide(d("customer_accepts_fee", quote_id="Q-1"), roster("analyst"))
    assert early.message == "no fee has been quoted yet"
    case.quote_issued("Q-T-1")
    wrong = case.decide(d("customer_accepts_fee", quote_id="Q-9"), roster("analyst"))
    assert wrong.message == "quote Q-9 is not this request's quote (Q-T-1)"
    assert case.decide(d("customer_accepts_fee", quote_id="Q-T-1"), roster("analyst")).accepted
    assert case.state is S.RETRIEVING and case.fee_accepted_by == "jdoe"


def test_a_customer_without_a_pin_is_confirmed_by_an_analyst_first():
    case = opened(T.CUSTOMER_CALL_LOOKUP, identity_confirmed=False)
    assert case.state is S.AWAITING_APPROVAL
    assert case.decide(d("approve"), roster("analyst")).accepted
    assert case.state is S.AWAITING_FEE_ACCEPTANCE


def test_the_customer_accepts_the_quoted_fee_and_the_search_starts():
    case = opened("customer_call_lookup", identity_confirmed=True)
    assert refusal(case, d("customer_accepts_fee", quote_id="Q-T-1")) == "no fee has been quoted yet"
    case.quote_issued("Q-T-1")
    assert refusal(case, d("customer_accepts_fee", quote_id="Q-T-2")) == (
        "quote Q-T-2 is not this request's quote (Q-T-1)")
    assert accept(case, d("customer_accepts_fee", quote_id="Q-T-1")) == (
        "fee accepted (quote Q-T-1): searching the customer's own outgoing calls")
    assert (case.state, case.fee_accepted_by) == (S.RETRIEVING, "jdoe")
