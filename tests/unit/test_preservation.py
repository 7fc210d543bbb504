"""Preservation (18 U.S.C. 2703(f)): the hold is placed while retrieving, a demand takes the held
records once, and one renewal received before the lapse runs 180 days from the original receipt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.case import Resolution
from tests.case_support import (
    HOLD_LAPSES,
    RECEIVED,
    RENEWED_HOLD_LAPSES,
    S,
    T,
    accept,
    at,
    d,
    opened,
    preserved,
    refusal,
    renewal,
    roster,
)


def test_a_hold_is_placed_only_on_a_preservation_that_is_retrieving():
    case = at("retrieving", "preservation")
    assert case.held(HOLD_LAPSES) is True
    assert (case.state, case.hold_expires_at) == (S.PRESERVED, HOLD_LAPSES)
    closed = at("closed", "preservation", resolution=Resolution.WITHDRAWN)
    assert closed.held(HOLD_LAPSES) is False and closed.hold_expires_at is None
    with pytest.raises(ValueError, match=r"^T-1: no step leads from retrieving to preserved$"):
        at("retrieving", "subpoena").held(HOLD_LAPSES)


def test_a_demand_takes_the_held_records_only_from_a_preserved_case():
    case = at("preserved", "preservation", hold_expires_at=HOLD_LAPSES)
    assert case.hold_produced("SUB-9") is True
    assert (case.state, case.resolution, case.closing_note) == (S.CLOSED, Resolution.PRODUCED,
                                                                "produced for SUB-9")
    assert case.hold_produced("SUB-10") is False and case.closing_note == "produced for SUB-9"
    waiting = at("awaiting_approval", "preservation")
    assert waiting.hold_produced("SUB-9") is False and waiting.state is S.AWAITING_APPROVAL


def test_preservation_renews_once_before_the_lapse():
    case = opened(T.PRESERVATION)
    assert case.decide(d("approve"), roster("analyst")).accepted
    assert case.held(RECEIVED + timedelta(days=90))
    late = d("record_extension", renewal_received_at="2027-02-24T20:10:00Z")  # exactly at the lapse (90 days)
    assert not case.decide(late, roster("analyst")).accepted
    renewal = d("record_extension", renewal_received_at="2027-01-20T10:00:00Z")
    assert case.decide(renewal, roster("analyst"), now=datetime(2027, 1, 21, tzinfo=UTC)).accepted
    # 180 days from the original receipt (2703(f)(2)), not 90 from the renewal.
    assert case.hold_expires_at == datetime(2027, 5, 25, 20, 10, tzinfo=UTC)
    second = case.decide(d("record_extension", renewal_received_at="2027-03-01T10:00:00Z"), roster("analyst"))
    assert second.message.startswith("18 U.S.C. 2703(f)(2) allows one 90-day renewal, already recorded")
    assert case.decide(d("withdraw", note="case dropped"), roster("analyst")).accepted
    assert case.resolution is Resolution.HOLD_RELEASED


def test_a_renewal_received_before_the_lapse_extends_the_hold_to_180_days_from_receipt():
    case = preserved()
    assert accept(case, renewal("2027-02-24T20:09:59Z"), now=datetime(2027, 2, 24, 21, 0, tzinfo=UTC)) == (
        "renewed: the hold now runs to 2027-05-25T20:10:00+00:00")
    assert (case.renewals, case.hold_expires_at, case.state) == (1, RENEWED_HOLD_LAPSES, S.PRESERVED)


def test_a_renewal_at_the_lapse_instant_is_too_late():
    assert refusal(preserved(), renewal("2027-02-24T20:10:00Z"), now=datetime(2027, 3, 1, tzinfo=UTC)) == (
        "the renewal was received 2027-02-24T20:10:00+00:00, after the hold lapsed at 2027-02-24T20:10:00+00:00; "
        "a new preservation request starts a new hold")


def test_a_renewal_received_before_the_preservation_request_is_refused():
    assert refusal(preserved(), renewal("2026-11-26T20:09:59Z")) == (
        "the renewal cannot have been received before the preservation request itself")
    assert accept(preserved(), renewal("2026-11-26T20:10:00Z"))  # the same instant is fine


def test_a_renewal_received_in_the_future_is_refused():
    case = preserved()
    assert refusal(case, renewal("2026-11-26T21:10:01Z")) == "renewal_received_at is in the future"
    assert accept(case, renewal("2026-11-26T21:10:00Z"))  # received now
    assert accept(preserved(), renewal("2027-01-20T10:00:00Z"), now=None)


def test_a_second_renewal_is_refused_and_the_renewal_must_be_a_moment():
    case = preserved()
    accept(case, renewal("2027-01-20T10:00:00Z"), now=datetime(2027, 1, 21, tzinfo=UTC))
    assert refusal(case, renewal("2027-02-01T10:00:00Z"), now=datetime(2027, 2, 2, tzinfo=UTC)) == (
        "18 U.S.C. 2703(f)(2) allows one 90-day renewal, already recorded; a new preservation request starts a "
        "new hold")
    assert refusal(preserved(), d("record_extension")) == (
        "record_extension: `renewal_received_at` must be a timestamp with an offset or Z (got None)")
