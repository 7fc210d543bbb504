"""An emergency's callback (verify_callback): to the agency's number in the directory, between the
request's receipt and now, at a moment with an offset; then the analyst's and supervisor's approvals."""

from __future__ import annotations

import pytest

from domain.case_machine import (
    Facts,
    Refused,
)
from domain.vocabulary import Role
from tests.case_support import (
    NOW,
    S,
    T,
    accept,
    at,
    callback,
    d,
    opened,
    refusal,
    roster,
)


def test_an_emergency_callback_must_reach_the_directory_number():
    case = opened(T.EMERGENCY)
    callback = d("verify_callback", number="+16025550123", verified_at="2026-11-26T20:30:00Z")
    refused = case.decide(callback, roster("analyst"), Facts(callback_listed=False,
                                                             directory_numbers=["+16025346311"]))
    assert not refused.accepted and refused.message == (
        "+16025550123 is not the agency's number in the agency directory (+16025346311); a callback must go "
        "to the directory number, never one the requester supplied")
    assert case.state is S.AWAITING_CALLBACK
    before = d("verify_callback", number="+16025346311", verified_at="2026-11-26T20:00:00Z")
    assert case.decide(before, roster("analyst"), Facts(callback_listed=True), NOW).message == (
        "verified_at 2026-11-26T20:00:00+00:00 is before the request was received (2026-11-26T20:10:00+00:00); "
        "the callback verifies this request")
    future = d("verify_callback", number="+16025346311", verified_at="2026-11-26T22:00:00Z")
    assert case.decide(future, roster("analyst"), Facts(callback_listed=True), NOW).message == (
        "verified_at 2026-11-26T22:00:00+00:00 is in the future")
    good = d("verify_callback", number="+16025346311", verified_at="2026-11-26T20:30:00Z")
    assert case.decide(good, roster("analyst"), Facts(callback_listed=True), NOW).accepted
    assert case.state is S.AWAITING_APPROVAL and case.approvals_required == [Role.ANALYST, Role.SUPERVISOR]
    assert case.decide(d("approve"), roster("analyst")).accepted
    assert case.state is S.AWAITING_APPROVAL
    assert case.decide(d("approve", actor="mlee", role="supervisor"), roster("supervisor")).accepted
    assert case.state is S.RETRIEVING


def test_a_callback_time_must_be_a_moment_with_an_offset():
    case = opened("emergency")
    assert refusal(case, callback("2026-11-26T20:30:00"), facts=Facts(callback_listed=True)) == (
        "verify_callback: `verified_at` must be a timestamp with an offset or Z (got '2026-11-26T20:30:00')")
    with pytest.raises(Refused, match=r"^verify_callback: `verified_at` must be a timestamp with an offset or Z "
                                      r"\(got 'soon'\)$"):
        case.precheck(callback("soon"))


def test_a_callback_is_verified_between_receipt_and_now_and_on_the_directory_number():
    listed = Facts(callback_listed=True)
    case = opened("emergency")
    assert refusal(case, callback("2026-11-26T21:10:01Z"), facts=listed) == (
        "verified_at 2026-11-26T21:10:01+00:00 is in the future")
    assert refusal(case, callback("2026-11-26T20:09:59Z"), facts=listed) == (
        "verified_at 2026-11-26T20:09:59+00:00 is before the request was received (2026-11-26T20:10:00+00:00); "
        "the callback verifies this request")
    assert refusal(case, callback(), facts=Facts()) == "the agency directory could not be consulted; try again"
    assert refusal(case, callback(number="+15550000000"), facts=Facts(callback_listed=False)) == (
        "+15550000000 is not the agency's number in the agency directory (none on file); a callback must go "
        "to the directory number, never one the requester supplied")
    assert refusal(case, callback(number="+15550000000"), facts=Facts(
        callback_listed=False, directory_numbers=["+16025346311", "+16025346312"])) == (
        "+15550000000 is not the agency's number in the agency directory (+16025346311, +16025346312); a "
        "callback must go to the directory number, never one the requester supplied")
    # at the instant of receipt and at the instant of now are both fine
    assert accept(case, callback("2026-11-26T20:10:00Z"), facts=listed) == (
        "callback to +16025346311 verified; the request awaits approval")
    assert (case.state, case.callback_verified) == (S.AWAITING_APPROVAL, "+16025346311")
    late = opened("emergency")
    assert accept(late, callback("2026-11-26T21:10:00Z"), facts=listed)
    unknown_receipt = at("awaiting_callback", "emergency", received_at=None)
    assert accept(unknown_receipt, callback("2020-01-01T00:00:00Z"), facts=listed, now=None)
