"""The historical period's edges (LEGAL.md; 18 U.S.C. 2702(c)(4)): no records after receipt; an
emergency's records more than 7 days old are flagged."""

from __future__ import annotations

import json

from domain.clocks import period_problems
from domain.request import parse_request
from domain.vocabulary import RecordCategory, RequestType
from tests.conftest import EXAMPLES

T, C = RequestType, RecordCategory



def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def period_codes(name: str, start: str, end: str | None = None) -> list[tuple[str, str]]:
    raw = example(name)
    raw["period"] = {"start": start, "end": end or raw["received_at"]}
    return [(p.code, p.message) for p in period_problems(parse_request(raw))]


def test_a_period_starting_at_receipt_asks_for_records_that_do_not_exist_yet():
    # The subpoena is received 2026-11-20T14:05:00Z.
    assert period_codes("subpoena", "2026-11-20T14:05:00Z", "2026-11-21T00:00:00Z") == [(
        "period_after_receipt",
        "period.start 2026-11-20T14:05:00Z is not before the request was received (2026-11-20T14:05:00Z); "
        "no such records exist yet (the future needs a pen register or Title III order)")]
    assert period_codes("subpoena", "2026-11-20T14:04:59Z") == []


def test_emergency_records_exactly_7_days_old_are_not_flagged():
    # The emergency is received 2026-11-25T03:12:00Z; seven days before: 2026-11-18T03:12:00Z.
    assert period_codes("emergency", "2026-11-18T03:12:00Z") == []
    assert period_codes("emergency", "2026-11-18T03:11:59Z") == [(
        "emergency_records_older_than_7_days",
        "period.start 2026-11-18T03:11:59Z is more than 7 days before receipt; the analyst checks that "
        "such records relate to the emergency (18 U.S.C. 2702(c)(4))")]
