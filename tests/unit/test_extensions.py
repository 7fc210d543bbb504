"""Surveillance orders' terms and extensions: an extension is a verified new order of the same type,
runs from the current end at most the statute's cap (3123(c)(2), 2518(5), FISA 1805(d)(2)), and
only before the order expires; a FISA order runs its stated term, at most a year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.case_machine import (
    Facts,
)
from domain.surveillance import extension_end
from tests.case_support import (
    ENTERED,
    PEN_END,
    TITLE3_END,
    T,
    accept,
    approved_and_collecting,
    at,
    collecting,
    d,
    extend,
    extension,
    order,
    refusal,
    roster,
)


def test_a_pen_register_extension_runs_60_days_from_the_current_end():
    end = ENTERED + timedelta(days=60)  # 2027-01-21T17:00Z
    case = approved_and_collecting(T.PEN_REGISTER, end)
    decision, facts = extension()
    assert case.decide(decision, roster("analyst"), facts, now=end - timedelta(days=1)).accepted
    assert case.order_end == datetime(2027, 3, 22, 17, 0, tzinfo=UTC) and case.extensions == ["PR-2"]
    again = case.decide(decision, roster("analyst"), facts, now=end)
    assert again.message == "the extension PR-2 is already recorded"


def test_an_extension_without_a_stated_term_runs_the_statutory_cap_from_the_current_end():
    pen = collecting("pen_register", PEN_END)
    # 3123(c)(2): 60 days from 2027-01-21T17:00Z is 2027-03-22T17:00Z (10 in Jan, 28 in Feb, 22 in Mar).
    assert accept(pen, extend(), facts=order(), now=None) == (
        "extended by X-2: collection now ends 2027-03-22T17:00:00+00:00")
    assert pen.order_end == datetime(2027, 3, 22, 17, 0, tzinfo=UTC) and pen.extensions == ["X-2"]
    wiretap = collecting("title3_wiretap", TITLE3_END)
    # 2518(5): 30 days from 2027-01-01T17:00Z.
    accept(wiretap, extend(), facts=order("title3_wiretap", duration_days=30))
    assert wiretap.order_end == datetime(2027, 1, 31, 17, 0, tzinfo=UTC)
    assert refusal(wiretap, extend(" X-2 "), facts=order("title3_wiretap")) == "the extension X-2 is already recorded"
    padded = collecting("pen_register", PEN_END)
    assert accept(padded, extend(" X-2 "), facts=order()) == (
        "extended by X-2: collection now ends 2027-03-22T17:00:00+00:00")
    assert padded.extensions == ["X-2"]


def test_an_extension_term_above_the_cap_is_refused_naming_the_statute():
    wiretap = collecting("title3_wiretap", TITLE3_END)
    assert refusal(wiretap, extend(), facts=order("title3_wiretap", duration_days=31)) == (
        "an extension of a title3_wiretap runs at most 30 days (18 U.S.C. 2518(5)); this order grants 31")
    pen = collecting("pen_register", PEN_END)
    assert refusal(pen, extend(), facts=order(duration_days=61)) == (
        "an extension of a pen_register runs at most 60 days (18 U.S.C. 3123(c)(2)); this order grants 61")
    accept(pen, extend(), facts=order(duration_days=10))
    assert pen.order_end == datetime(2027, 1, 31, 17, 0, tzinfo=UTC)


def test_the_extension_caps_by_statute_including_fisa():
    end = datetime(2027, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))  # 2027-01-01T10:00Z
    assert extension_end(T.PEN_REGISTER, end, None).isoformat() == "2027-03-02T10:00:00+00:00"
    assert extension_end(T.TITLE3_WIRETAP, end, None).isoformat() == "2027-01-31T10:00:00+00:00"
    assert extension_end(T.FISA_ORDER, end, None).isoformat() == "2027-04-01T10:00:00+00:00"  # 90 days
    assert extension_end(T.FISA_ORDER, end, 90).isoformat() == "2027-04-01T10:00:00+00:00"
    with pytest.raises(ValueError, match=r"^an extension of a fisa_order runs at most 90 days "
                                         r"\(50 U\.S\.C\. 1805\(d\)\(2\), 1842\(e\)\(2\)\); this order grants 91$"):
        extension_end(T.FISA_ORDER, end, 91)


@pytest.mark.parametrize(("facts", "message"), [
    ({"duration_days": 61}, "an extension of a pen_register runs at most 60 days (18 U.S.C. 3123(c)(2)); "
                            "this order grants 61"),
    ({"found": False}, "no request PR-2 is on file: submit the new order first"),
    ({"request_type": "title3_wiretap"}, "PR-2 is a title3_wiretap; a pen_register is extended only by a new "
                                         "pen_register"),
    ({"extension_of": "OTHER"}, "PR-2's legal_process.extension_of names 'OTHER', not T-1"),
    ({"verdict": "reject"}, "PR-2 has not passed verification (reject)"),
])
def test_an_extension_that_is_not_a_valid_new_order_is_refused(facts, message):
    end = ENTERED + timedelta(days=60)
    case = approved_and_collecting(T.PEN_REGISTER, end)
    decision, looked_up = extension(**facts)
    outcome = case.decide(decision, roster("analyst"), looked_up, now=end - timedelta(days=1))
    assert (outcome.accepted, outcome.message) == (False, message) and case.order_end == end


@pytest.mark.parametrize(("facts", "message"), [
    (Facts(), "the extension order could not be looked up; try again"),
    (order(found=False, request_type=None), "no request X-2 is on file: submit the new order first"),
    (order("title3_wiretap"), "X-2 is a title3_wiretap; a pen_register is extended only by a new pen_register"),
    (order(extension_of=None), "X-2's legal_process.extension_of names None, not T-1"),
    (order(verdict=None), "X-2 has not passed verification (not verified yet)"),
    (order(verdict="reject"), "X-2 has not passed verification (reject)"),
])
def test_an_extension_that_is_not_a_verified_new_order_of_the_same_type_is_refused(facts, message):
    assert refusal(collecting("pen_register", PEN_END), extend(), facts=facts) == message


def test_an_extension_with_warnings_passes_and_an_unnamed_one_is_refused():
    case = collecting("pen_register", PEN_END)
    assert refusal(case, extend("  "), facts=order()) == (
        "record_extension: the decision needs a non-empty `extension_request_id` (the new order)")
    assert refusal(case, d("record_extension"), facts=order()) == (
        "record_extension: the decision needs a non-empty `extension_request_id` (the new order)")
    accept(case, extend(), facts=order(verdict="partial"))
    provisioning = at("provisioning", "pen_register")
    assert refusal(provisioning, extend(), facts=order()) == (
        "the order's clock is not known yet; try again once collection is provisioned")
    provisioning.surveillance_order(ENTERED, PEN_END, None)
    assert accept(provisioning, extend(), facts=order())


def test_an_expired_order_cannot_be_extended():
    end = ENTERED + timedelta(days=60)
    case = approved_and_collecting(T.PEN_REGISTER, end)
    decision, facts = extension()
    outcome = case.decide(decision, roster("analyst"), facts, now=end)
    assert outcome.message == ("the order expired at 2027-01-21T17:00:00+00:00; an expired order cannot be "
                               "extended: a new order starts a new case")


def test_an_order_can_be_extended_until_its_last_instant_not_at_it():
    assert accept(collecting("pen_register", PEN_END), extend(), facts=order(),
                  now=PEN_END - timedelta(seconds=1))
    assert refusal(collecting("pen_register", PEN_END), extend(), facts=order(), now=PEN_END) == (
        "the order expired at 2027-01-21T17:00:00+00:00; an expired order cannot be extended: a new order starts "
        "a new case")


def test_a_fisa_order_runs_its_stated_term_at_most_a_year():
    from domain.clocks import fisa_expiry

    entered = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
    # 60 days: 5 of November, 31 of December, 24 of January.
    assert fisa_expiry(entered, 60) == datetime(2027, 1, 24, 21, 0, tzinfo=UTC)
    # No term: 90 days (5 + 31 + 31 + 23).
    assert fisa_expiry(entered) == datetime(2027, 2, 23, 21, 0, tzinfo=UTC)
    assert fisa_expiry(entered, 400) == datetime(2027, 11, 25, 21, 0, tzinfo=UTC)
