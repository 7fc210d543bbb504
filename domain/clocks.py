"""The clocks a request starts (LEGAL.md, Clocks): pure date arithmetic, every result in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.findings import Problem, warning
from domain.request import LegalRequest
from domain.vocabulary import RequestType

# LEGAL.md: the team is reminded ahead of response_due, 72 h by default.
REMINDER_LEAD = timedelta(hours=72)
# 18 U.S.C. 3123(c)(1), (2): a pen register order, and each extension, runs at most 60 days.
PEN_REGISTER_MAX_DAYS = 60
# 18 U.S.C. 2518(5): a Title III order, and each extension, runs at most 30 days...
TITLE3_MAX_DAYS = 30
# ...counted from first interception or ten days after the order is entered, whichever is earlier.
TITLE3_START_WINDOW = timedelta(days=10)
# 18 U.S.C. 2703(f)(2): records are preserved 90 days, extended once by 90 days on renewal.
PRESERVATION_PERIOD = timedelta(days=90)
PRESERVATION_RENEWALS_ALLOWED = 1
# Carrier policy: follow-up legal process is due within 48 h of an emergency disclosure request.
EMERGENCY_FOLLOW_UP = timedelta(hours=48)
# SPEC §3 (carrier policy): a customer's fee quote lapses when unanswered for 30 days.
CUSTOMER_QUOTE_VALIDITY = timedelta(days=30)
# LEGAL.md Secrecy (carrier policy): a civil subpoena's customer is notified and production waits
# 14 days for a motion to quash.
CIVIL_NOTICE_PERIOD = timedelta(days=14)

# The types whose clock is the document's own response_due (LEGAL.md, Clocks).
RESPONSE_DUE_TYPES = frozenset({
    RequestType.SUBPOENA, RequestType.COURT_ORDER, RequestType.SEARCH_WARRANT,
    RequestType.NATIONAL_SECURITY_LETTER,
})
# Orders that authorise prospective collection from issued_at and must say when that was.
ISSUED_AT_REQUIRED = frozenset({RequestType.PEN_REGISTER, RequestType.TITLE3_WIRETAP})
DURATION_CAPS = {RequestType.PEN_REGISTER: PEN_REGISTER_MAX_DAYS,
                 RequestType.TITLE3_WIRETAP: TITLE3_MAX_DAYS}
DURATION_SOURCES = {RequestType.PEN_REGISTER: "18 U.S.C. 3123(c)(1)",
                    RequestType.TITLE3_WIRETAP: "18 U.S.C. 2518(5)"}


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat().replace("+00:00", "Z")


def pen_register_expiry(issued_at: datetime, duration_days: int | None = None) -> datetime:
    """When a pen register / trap and trace order (or extension) lapses: at most 60 days."""
    days = min(duration_days or PEN_REGISTER_MAX_DAYS, PEN_REGISTER_MAX_DAYS)
    return _utc(issued_at) + timedelta(days=days)


def title3_ten_day_mark(issued_at: datetime) -> datetime:
    """Ten days after a Title III order is entered: the latest its 30 days can start."""
    return _utc(issued_at) + TITLE3_START_WINDOW


def title3_expiry(
    issued_at: datetime, first_interception_at: datetime | None, duration_days: int | None = None
) -> datetime:
    """When a Title III order lapses; without first interception, the latest it can be."""
    start = title3_ten_day_mark(issued_at)
    if first_interception_at is not None:
        start = min(start, _utc(first_interception_at))
    days = min(duration_days or TITLE3_MAX_DAYS, TITLE3_MAX_DAYS)
    return start + timedelta(days=days)


def preservation_expiry(original_received_at: datetime, renewals: int = 0) -> datetime:
    """When preserved records may be released: 90 days, plus 90 for the one allowed renewal."""
    if renewals < 0:
        raise ValueError(f"renewals cannot be negative (got {renewals})")
    if renewals > PRESERVATION_RENEWALS_ALLOWED:
        raise ValueError(
            f"18 U.S.C. 2703(f)(2) allows one 90-day renewal of a preservation request; "
            f"renewal number {renewals} must be refused"
        )
    return _utc(original_received_at) + PRESERVATION_PERIOD * (1 + renewals)


def deadlines(
    request: LegalRequest, reminder_lead: timedelta = REMINDER_LEAD
) -> dict[str, datetime]:
    """Every clock the request starts, by name, in UTC; clocks whose inputs are absent are omitted.

    Keys: response_due, reminder_at, expires_at, ten_day_mark, follow_up_legal_process_due,
    nondisclosure_until.
    """
    process = request.legal_process
    clocks: dict[str, datetime] = {}
    kind = request.type
    if kind in RESPONSE_DUE_TYPES and process and process.response_due:
        clocks["response_due"] = _utc(process.response_due)
        clocks["reminder_at"] = clocks["response_due"] - reminder_lead
    elif kind == RequestType.PEN_REGISTER and process and process.issued_at:
        clocks["expires_at"] = pen_register_expiry(process.issued_at, process.duration_days)
    elif kind == RequestType.TITLE3_WIRETAP and process and process.issued_at:
        clocks["ten_day_mark"] = title3_ten_day_mark(process.issued_at)
        clocks["expires_at"] = title3_expiry(
            process.issued_at, process.first_interception_at, process.duration_days
        )
    elif kind == RequestType.FISA_ORDER and process:
        if process.response_due:
            clocks["response_due"] = _utc(process.response_due)
        if process.issued_at and process.duration_days:
            clocks["expires_at"] = _utc(process.issued_at) + timedelta(days=process.duration_days)
    elif kind == RequestType.PRESERVATION:
        # A renewal (extension_of set) is itself received and runs 90 days from its receipt.
        clocks["expires_at"] = preservation_expiry(request.received_at)
    elif kind == RequestType.EMERGENCY:
        clocks["follow_up_legal_process_due"] = _utc(request.received_at) + EMERGENCY_FOLLOW_UP
    if process and process.nondisclosure_until:
        clocks["nondisclosure_until"] = _utc(process.nondisclosure_until)
    return clocks


def clock_problems(request: LegalRequest) -> list[Problem]:
    """Defects in the dates a clock needs: missing, capped, already past at receipt."""
    process = request.legal_process
    if process is None:
        return []  # missing legal process is reported once, by screening
    kind = request.type
    problems: list[Problem] = []
    if kind in RESPONSE_DUE_TYPES and process.response_due is None:
        problems.append(Problem(
            code="missing_response_due",
            message=f"legal_process.response_due: a {kind} must say when the answer is due",
        ))
    if process.response_due and process.response_due < request.received_at:
        problems.append(warning(
            "due_before_receipt",
            f"legal_process.response_due {_iso(process.response_due)} is before the request was "
            f"received ({_iso(request.received_at)}); it is overdue on arrival",
        ))
    if kind in ISSUED_AT_REQUIRED and process.issued_at is None:
        problems.append(Problem(
            code="missing_issued_at",
            message=f"legal_process.issued_at: a {kind} runs from the day it is entered; "
                    "without that date its expiry cannot be known",
        ))
    cap = DURATION_CAPS.get(kind)
    if cap and process.duration_days and process.duration_days > cap:
        problems.append(warning(
            "duration_capped",
            f"legal_process.duration_days {process.duration_days} exceeds the {cap}-day limit of "
            f"{DURATION_SOURCES[kind]}; the order is treated as running {cap} days",
        ))
    expires = deadlines(request).get("expires_at")
    if kind != RequestType.PRESERVATION and expires and expires <= _utc(request.received_at):
        problems.append(Problem(
            code="order_expired",
            message=f"legal_process: the {kind} expired at {_iso(expires)}, before the request "
                    f"was received ({_iso(request.received_at)}); it authorises nothing now",
        ))
    return problems
