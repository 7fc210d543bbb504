"""Prospective collection (pen register / trap and trace, Title III, FISA): the rules of its clocks.

Pure date arithmetic next to LEGAL.md "Clocks"; domain.clocks computes an order's first end,
this module what moves it: an extension on a new order, and Title III's first interception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from domain.clocks import PEN_REGISTER_MAX_DAYS, TITLE3_MAX_DAYS, pen_register_expiry, title3_expiry
from domain.vocabulary import RecordCategory, RequestType

T = RequestType

# Each extension runs at most the statutory term, counted from the end of the current period:
# 18 U.S.C. 3123(c)(2) (60 days), 2518(5) (30 days), 50 U.S.C. 1805(d)(2) / 1842(e)(2) (90 days).
EXTENSION_CAP_DAYS: dict[RequestType, int] = {
    T.PEN_REGISTER: PEN_REGISTER_MAX_DAYS,
    T.TITLE3_WIRETAP: TITLE3_MAX_DAYS,
    T.FISA_ORDER: 90,
}
EXTENSION_SOURCES: dict[RequestType, str] = {
    T.PEN_REGISTER: "18 U.S.C. 3123(c)(2)",
    T.TITLE3_WIRETAP: "18 U.S.C. 2518(5)",
    T.FISA_ORDER: "50 U.S.C. 1805(d)(2), 1842(e)(2)",
}

DELIVERY_PERIOD = timedelta(days=1)
"""SPEC §3: collected data is delivered at least daily, one production per period."""


INTERCEPT_CATEGORIES = frozenset({RecordCategory.PEN_TRAP, RecordCategory.INTERCEPT_CONTENT})


class CollectionState(StrEnum):
    """SPEC §3 status `collection.state`."""

    PROVISIONING = "provisioning"
    ACTIVE = "active"
    DEPROVISION_PENDING = "deprovision_pending"
    OFF = "off"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def extension_end(kind: RequestType, current_end: datetime, duration_days: int | None) -> datetime:
    """The new end an extension order gives: the current end plus its term (the cap when none is
    stated). A longer term is not capped but refused: ValueError names the statute."""
    cap = EXTENSION_CAP_DAYS[kind]
    days = cap if duration_days is None else duration_days
    if days > cap:
        raise ValueError(f"an extension of a {kind} runs at most {cap} days ({EXTENSION_SOURCES[kind]}); "
                         f"this order grants {days}")
    return _utc(current_end) + timedelta(days=days)


def court_order_end(kind: RequestType, issued_at: datetime, duration_days: int | None,
                    interception_began: datetime | None) -> datetime:
    """The end of the court order that follows an emergency authorisation: its own term from its entry
    (a Title III's 30 days from the earlier of the interception's start and day ten)."""
    if kind is T.TITLE3_WIRETAP:
        return title3_expiry(issued_at, interception_began, duration_days)
    if kind is T.PEN_REGISTER:
        return pen_register_expiry(issued_at, duration_days)
    raise ValueError(f"a {kind} has no emergency authorisation")


def interception_start_problem(issued_at: datetime, current_end: datetime, at: datetime) -> str | None:
    """LEGAL.md: interception cannot begin before the order is entered nor after it expires."""
    if _utc(at) < _utc(issued_at):
        return f"interception cannot begin before the order was entered ({_utc(issued_at).isoformat()})"
    if _utc(at) >= _utc(current_end):
        return f"interception cannot begin after the order expired ({_utc(current_end).isoformat()})"
    return None
