"""Title III's first interception (18 U.S.C. 2518(5)): the order runs 30 days (or its term) from the
earlier of the first interception and day ten after entry; interception begins between the order's
entry and its end, never in the future; limits and ends are given in UTC."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.case_machine import (
    Refused,
)
from domain.request import parse_request
from domain.surveillance import extension_end, interception_start_problem
from tests.case_support import (
    TITLE3_END,
    T,
    accept,
    approved_and_collecting,
    at,
    collecting,
    d,
    refusal,
    roster,
    started,
)
from tests.conftest import EXAMPLES


def test_title3_runs_30_days_from_the_earlier_of_first_interception_and_day_ten():
    # Entered 2026-11-22T17:00Z; day ten 2026-12-02T17:00Z; without interception it ends 2027-01-01T17:00Z.
    early = approved_and_collecting(T.TITLE3_WIRETAP, datetime(2027, 1, 1, 17, 0, tzinfo=UTC))
    started = d("record_interception_started", at="2026-11-24T08:00:00Z")
    assert early.decide(started, roster("analyst"), now=datetime(2026, 11, 25, tzinfo=UTC)).accepted
    assert early.order_end == datetime(2026, 12, 24, 8, 0, tzinfo=UTC)  # 30 days from first interception
    late = approved_and_collecting(T.TITLE3_WIRETAP, datetime(2027, 1, 1, 17, 0, tzinfo=UTC))
    after_day_ten = d("record_interception_started", at="2026-12-05T00:00:00Z")
    assert late.decide(after_day_ten, roster("analyst"), now=datetime(2026, 12, 6, tzinfo=UTC)).accepted
    assert late.order_end == datetime(2027, 1, 1, 17, 0, tzinfo=UTC)  # day ten came first
    before = approved_and_collecting(T.TITLE3_WIRETAP, datetime(2027, 1, 1, 17, 0, tzinfo=UTC))
    too_early = before.decide(d("record_interception_started", at="2026-11-22T16:59:59Z"), roster("analyst"),
                              now=datetime(2026, 11, 25, tzinfo=UTC))
    assert too_early.message == "interception cannot begin before the order was entered (2026-11-22T17:00:00+00:00)"


def test_first_interception_moves_the_title3_clock_and_keeps_the_extensions():
    # 30 days from 2026-11-24T08:00Z is 2026-12-24T08:00Z.
    case = collecting("title3_wiretap", TITLE3_END)
    assert accept(case, started("2026-11-24T08:00:00Z"), now=datetime(2026, 11, 25, tzinfo=UTC)) == (
        "first interception recorded: the order now ends 2026-12-24T08:00:00+00:00")
    assert case.interception_started_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert refusal(case, started("2026-11-24T09:00:00Z")) == (
        "first interception was already recorded at 2026-11-24T08:00:00+00:00")
    # An extension of 30 days recorded first (to 2027-01-31T17:00Z) is kept: 2026-12-24T08:00Z + 30 days.
    extended = collecting("title3_wiretap", datetime(2027, 1, 31, 17, 0, tzinfo=UTC))
    accept(extended, started("2026-11-24T08:00:00Z"), now=None)
    assert extended.order_end == datetime(2027, 1, 23, 8, 0, tzinfo=UTC)
    # An order of 20 days: day ten 2026-12-02T17:00Z + 20 = 2026-12-22T17:00Z without interception;
    # interception 2026-11-24T08:00Z + 20 days = 2026-12-14T08:00Z.
    short = collecting("title3_wiretap", datetime(2026, 12, 22, 17, 0, tzinfo=UTC), duration_days=20)
    accept(short, started("2026-11-24T08:00:00Z"))
    assert short.order_end == datetime(2026, 12, 14, 8, 0, tzinfo=UTC)


def test_interception_begins_between_the_order_and_its_end_and_not_in_the_future():
    assert accept(collecting("title3_wiretap", TITLE3_END), started("2026-11-22T17:00:00Z"))
    assert refusal(collecting("title3_wiretap", TITLE3_END), started("2027-01-01T17:00:00Z"),
                   now=datetime(2027, 1, 2, tzinfo=UTC)) == (
        "interception cannot begin after the order expired (2027-01-01T17:00:00+00:00)")
    assert refusal(collecting("title3_wiretap", TITLE3_END), started("2026-11-26T21:10:01Z")) == (
        "`at` 2026-11-26T21:10:01+00:00 is in the future")
    assert accept(collecting("title3_wiretap", TITLE3_END), started("2026-11-26T21:10:00Z"))
    assert refusal(collecting("title3_wiretap", TITLE3_END), started("tomorrow")) == (
        "record_interception_started: `at` must be a timestamp with an offset or Z (got 'tomorrow')")
    with pytest.raises(Refused, match=r"^record_interception_started: `at` must be a timestamp with an offset "
                                      r"or Z \(got 'tomorrow'\)$"):
        collecting("title3_wiretap", TITLE3_END).precheck(started("tomorrow"))
    unknown = at("provisioning", "title3_wiretap")
    assert refusal(unknown, started("2026-11-24T08:00:00Z")) == (
        "the order's clock is not known yet; try again once collection is provisioned")
    half = at("provisioning", "title3_wiretap", order_end=TITLE3_END)
    assert refusal(half, started("2026-11-24T08:00:00Z")) == (
        "the order's clock is not known yet; try again once collection is provisioned")


def test_interception_limits_are_given_in_utc():
    plus2 = timezone(timedelta(hours=2))
    issued = datetime(2026, 11, 22, 19, 0, tzinfo=plus2)  # 17:00Z
    end = datetime(2027, 1, 1, 19, 0, tzinfo=plus2)  # 17:00Z
    assert interception_start_problem(issued, end, datetime(2026, 11, 22, 18, 59, tzinfo=plus2)) == (
        "interception cannot begin before the order was entered (2026-11-22T17:00:00+00:00)")
    assert interception_start_problem(issued, end, datetime(2026, 11, 22, 17, 0, tzinfo=UTC)) is None
    assert interception_start_problem(issued, end, datetime(2027, 1, 1, 16, 59, tzinfo=UTC)) is None
    assert interception_start_problem(issued, end, datetime(2027, 1, 1, 17, 0, tzinfo=UTC)) == (
        "interception cannot begin after the order expired (2027-01-01T17:00:00+00:00)")


def test_order_ends_are_given_in_utc_whatever_the_hosts_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/Phoenix")  # UTC-7 all year
    time.tzset()
    try:
        plus2 = timezone(timedelta(hours=2))
        end = datetime(2027, 1, 1, 12, 0, tzinfo=plus2)
        assert extension_end(T.PEN_REGISTER, end, None).isoformat() == "2027-03-02T10:00:00+00:00"
        assert interception_start_problem(end - timedelta(days=40), end, end) == (
            "interception cannot begin after the order expired (2027-01-01T10:00:00+00:00)")
    finally:
        monkeypatch.undo()
        time.tzset()


# ---- the interception date a document gives (domain.clocks.interception_problems) -------------
TITLE3 = json.loads((EXAMPLES / "title3_wiretap.json").read_text())

# Entered 2026-11-22T15:00-06:00 = 2026-11-22T21:00Z; the tenth day 2026-12-02T21:00Z; 30 days
# from it 2027-01-01T21:00Z (29 more days of December, then January 1st).


def title3_first_at(first: str | None, **process) -> list[tuple[str, str]]:
    from domain.clocks import interception_problems

    raw = copy.deepcopy(TITLE3)
    raw["legal_process"].update(process)
    if first is not None:
        raw["legal_process"]["first_interception_at"] = first
    return [(p.code, p.message) for p in interception_problems(parse_request(raw))]


def test_interception_cannot_begin_before_the_order_is_entered():
    assert title3_first_at("2026-11-22T20:59:59Z") == [(
        "interception_before_order",
        "legal_process.first_interception_at 2026-11-22T20:59:59Z is before the order was entered "
        "(2026-11-22T21:00:00Z); no interception is authorised before it (18 U.S.C. 2518)")]
    assert title3_first_at("2026-11-22T21:00:00Z") == []
    assert title3_first_at("2026-11-22T15:00:00-06:00") == []


def test_interception_cannot_begin_once_the_order_expired():
    assert title3_first_at("2027-01-01T20:59:59Z") == []
    assert title3_first_at("2027-01-01T21:00:00Z") == [(
        "interception_after_expiry",
        "legal_process.first_interception_at 2027-01-01T21:00:00Z is after the order expired "
        "(2027-01-01T21:00:00Z, 30 days from ten days after entry; 18 U.S.C. 2518(5))")]
    # A 20-day order: 20 days from the tenth day is 2026-12-22T21:00Z.
    assert title3_first_at("2026-12-22T20:59:59Z", duration_days=20) == []
    assert [code for code, _ in title3_first_at("2026-12-22T21:00:00Z", duration_days=20)] == [
        "interception_after_expiry"]


def test_interception_checks_need_a_title3_order_with_both_dates():
    assert title3_first_at(None) == []
    assert title3_first_at("2026-11-20T00:00:00Z", issued_at=None) == []
    from domain.clocks import interception_problems

    pen = json.loads((EXAMPLES / "pen_register.json").read_text())
    pen["legal_process"]["first_interception_at"] = "2000-01-01T00:00:00Z"
    assert interception_problems(parse_request(pen)) == []
