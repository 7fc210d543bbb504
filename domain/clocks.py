"""The clocks a request starts (LEGAL.md, Clocks): pure date arithmetic, every result in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.findings import Problem, warning
from domain.fisa import fisa_reach
from domain.request import LegalRequest
from domain.secrecy import nondisclosure
from domain.vocabulary import PROSPECTIVE_CATEGORIES, STORED_CATEGORIES, RequestType

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
# 50 U.S.C. 1805(d)(1), 1842(e)(1): 90 days when the order states no term; the statute allows
# at most a year (1805(d)(1) for foreign powers, 1842(e)(2) for non-US persons).
FISA_DEFAULT_DAYS = 90
FISA_MAX_DAYS = 365
# Carrier policy (LEGAL.md, Clocks): a records request without response_due is due 14 days after receipt.
RESPONSE_DUE_DEFAULT = timedelta(days=14)
# 18 U.S.C. 2702(c)(4) reaches what relates to the emergency: older records are flagged for the analyst.
EMERGENCY_LOOKBACK = timedelta(days=7)
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
                 RequestType.TITLE3_WIRETAP: TITLE3_MAX_DAYS,
                 RequestType.FISA_ORDER: FISA_MAX_DAYS}
DURATION_SOURCES = {RequestType.PEN_REGISTER: "18 U.S.C. 3123(c)(1)",
                    RequestType.TITLE3_WIRETAP: "18 U.S.C. 2518(5)",
                    RequestType.FISA_ORDER: "50 U.S.C. 1805(d)(1), 1842(e)"}
# LEGAL.md (3rd): an order that must state its period and states none runs to the statutory cap.
PERIOD_REQUIRED_SOURCES = {RequestType.PEN_REGISTER: "18 U.S.C. 3123(c)(1)",
                           RequestType.TITLE3_WIRETAP: "18 U.S.C. 2518(4)(e), 2518(5)"}
# Fed. R. Crim. P. 41(e)(2)(A)(i): a federal warrant is executed within the period it states, at most
# 14 days; serving the carrier is its execution. Carrier policy: a state warrant served more than
# 10 days after issue goes to legal (state periods vary).
FEDERAL_WARRANT_MAX_DAYS = 14
FEDERAL_WARRANT_SOURCE = "Fed. R. Crim. P. 41(e)(2)(A)(i)"
STATE_WARRANT_FLAG_DAYS = 10
STATE_WARRANT_SOURCE = "carrier policy (LEGAL.md, Clocks): state execution periods vary"


def fisa_authority(request: LegalRequest) -> str | None:
    """The section a FISA order issues under, as the document states it (None: it does not say)."""
    process = request.legal_process
    return None if process is None else process.authority


def fisa_collects(request: LegalRequest) -> bool:
    """A FISA order for surveillance its section allows (pen/trap or content): its term bounds collection."""
    return request.type == RequestType.FISA_ORDER and bool(
        (PROSPECTIVE_CATEGORIES & fisa_reach(fisa_authority(request))).intersection(request.records))


def asks_stored_records(request: LegalRequest) -> bool:
    """A records request: its clock is response_due (a FISA order only for the stored part it may reach)."""
    if request.type == RequestType.FISA_ORDER:
        return bool((STORED_CATEGORIES & fisa_reach(fisa_authority(request))).intersection(request.records))
    return request.type in RESPONSE_DUE_TYPES


def is_renewal(request: LegalRequest) -> bool:
    """A preservation renewal: its hold is counted from the original's receipt (a pending check)."""
    return (request.type == RequestType.PRESERVATION and request.legal_process is not None
            and request.legal_process.extension_of is not None)


# 18 U.S.C. 3125(a) (pen/trap), 2518(7) (Title III): in an emergency, collection may start on a
# designated official's authorisation; the court order must follow within 48 hours or it stops.
EMERGENCY_AUTHORISATION = "emergency_authorization"
BRITISH_SPELLING = "emergency_authorisation"
EMERGENCY_AUTHORISATION_SPELLINGS = frozenset({EMERGENCY_AUTHORISATION, BRITISH_SPELLING})
"""SPEC's spelling and LEGAL.md's: the same instrument (the request model keeps SPEC's)."""
EMERGENCY_SURVEILLANCE_TYPES = frozenset({RequestType.PEN_REGISTER, RequestType.TITLE3_WIRETAP})
EMERGENCY_ORDER_WINDOW = timedelta(hours=48)


def is_emergency_authorisation(request_type: RequestType, instrument: str | None) -> bool:
    """An emergency pen/trap (3125) or Title III (2518(7)) authorisation, not yet a court order."""
    return request_type in EMERGENCY_SURVEILLANCE_TYPES and instrument in EMERGENCY_AUTHORISATION_SPELLINGS


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat().replace("+00:00", "Z")


iso_utc = _iso
"""An instant as ISO-8601 UTC ending in Z, for messages."""


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


def fisa_expiry(issued_at: datetime, duration_days: int | None = None) -> datetime:
    """When a FISA order's surveillance ends: its stated term (at most a year), or 90 days."""
    days = min(duration_days or FISA_DEFAULT_DAYS, FISA_MAX_DAYS)
    return _utc(issued_at) + timedelta(days=days)


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
    if asks_stored_records(request) and process:
        clocks["response_due"] = _utc(process.response_due or request.received_at + RESPONSE_DUE_DEFAULT)
        clocks["reminder_at"] = clocks["response_due"] - reminder_lead
    if process and is_emergency_authorisation(kind, process.instrument):
        # 3125(a), 2518(7): collection may start now; it ends unless the court order follows in 48 h.
        clocks["court_order_due"] = clocks["expires_at"] = _utc(request.received_at) + EMERGENCY_ORDER_WINDOW
    elif kind == RequestType.PEN_REGISTER and process and process.issued_at:
        clocks["expires_at"] = pen_register_expiry(process.issued_at, process.duration_days)
    elif kind == RequestType.TITLE3_WIRETAP and process and process.issued_at:
        clocks["ten_day_mark"] = title3_ten_day_mark(process.issued_at)
        clocks["expires_at"] = title3_expiry(
            process.issued_at, process.first_interception_at, process.duration_days
        )
    elif kind == RequestType.FISA_ORDER and process and process.issued_at:
        if fisa_collects(request) or process.duration_days:
            clocks["expires_at"] = fisa_expiry(process.issued_at, process.duration_days)
    elif kind == RequestType.PRESERVATION and not is_renewal(request):
        # A renewal's expiry is counted from its hold's receipt, known once the hold is checked.
        clocks["expires_at"] = preservation_expiry(request.received_at)
    elif kind == RequestType.EMERGENCY:
        clocks["follow_up_legal_process_due"] = _utc(request.received_at) + EMERGENCY_FOLLOW_UP
    secrecy = nondisclosure(request)
    if secrecy is not None and secrecy.until is not None:
        clocks["nondisclosure_until"] = _utc(secrecy.until)
    return clocks


def clock_problems(request: LegalRequest) -> list[Problem]:
    """Defects in the dates a clock needs: missing, defaulted, capped, out of order, past at receipt."""
    process = request.legal_process
    problems = period_problems(request)
    if process is None:
        return problems  # missing legal process is reported once, by screening
    kind = request.type
    received = _iso(request.received_at)
    for field in ("signed_at", "issued_at"):
        moment = getattr(process, field)
        if moment is not None and moment > request.received_at:
            # LEGAL.md: an instrument issued after it was received, or not yet issued, is not process.
            problems.append(Problem(
                code="not_yet_issued",
                message=f"legal_process.{field} {_iso(moment)} is after the request was received "
                        f"({received}); an instrument not yet issued when served is not legal process",
            ))
    if asks_stored_records(request) and process.response_due is None:
        problems.append(warning(
            "response_due_defaulted",
            f"legal_process.response_due: the {kind} names no date; it is due 14 days after receipt "
            f"(carrier policy), {_iso(request.received_at + RESPONSE_DUE_DEFAULT)}",
        ))
    if process.response_due and process.response_due < request.received_at:
        problems.append(warning(
            "due_before_receipt",
            f"legal_process.response_due {_iso(process.response_due)} is before the request was "
            f"received ({received}); it is overdue on arrival",
        ))
    if (kind in ISSUED_AT_REQUIRED or fisa_collects(request)) and process.issued_at is None:
        problems.append(Problem(
            code="missing_issued_at",
            message=f"legal_process.issued_at: a {kind} runs from the day it is entered; "
                    "without that date its expiry cannot be known",
        ))
    if fisa_collects(request) and process.issued_at and not process.duration_days:
        problems.append(warning(
            "fisa_term_defaulted",
            f"legal_process.duration_days: the FISA order states no term; surveillance runs "
            f"{FISA_DEFAULT_DAYS} days (50 U.S.C. 1805(d)(1), 1842(e)(1))",
        ))
    emergency = is_emergency_authorisation(kind, process.instrument)
    if kind in PERIOD_REQUIRED_SOURCES and not emergency and process.issued_at and not process.duration_days:
        cap = DURATION_CAPS[kind]
        problems.append(warning(
            "order_period_unstated",
            f"legal_process.duration_days: the {kind} states no period; it runs the statutory "
            f"{cap} days ({PERIOD_REQUIRED_SOURCES[kind]})", PERIOD_REQUIRED_SOURCES[kind]))
    cap = DURATION_CAPS.get(kind)
    if cap and process.duration_days and process.duration_days > cap:
        problems.append(warning(
            "duration_capped",
            f"legal_process.duration_days {process.duration_days} exceeds the {cap}-day limit of "
            f"{DURATION_SOURCES[kind]}; the order is treated as running {cap} days",
        ))
    problems += interception_problems(request)
    problems += stale_warrant_problems(request)
    expires = deadlines(request).get("expires_at")
    if kind != RequestType.PRESERVATION and expires and expires <= _utc(request.received_at):
        problems.append(Problem(
            code="order_expired",
            message=f"legal_process: the {kind} expired at {_iso(expires)}, before the request "
                    f"was received ({received}); it authorises nothing now",
        ))
    return problems


def stale_warrant_problems(request: LegalRequest) -> list[Problem]:
    """LEGAL.md (3rd): a warrant is executed, by service on the carrier, within the period it states;
    a federal one within 14 days of issue at most. Late federal: no legal process; late state: legal."""
    process = request.legal_process
    if request.type != RequestType.SEARCH_WARRANT or process is None:
        return []
    issued = process.issued_at or process.signed_at
    if issued is None:
        return []
    federal = process.jurisdiction == "federal"
    stated = process.duration_days
    days = min(stated or FEDERAL_WARRANT_MAX_DAYS, FEDERAL_WARRANT_MAX_DAYS) if federal else stated
    late = request.received_at - issued
    if days is not None and late > timedelta(days=days):
        window = ", the period it gives for its execution" if stated == days else ""
        source = FEDERAL_WARRANT_SOURCE if federal else "the warrant's own period"
        return [Problem(
            code="stale_warrant",
            message=f"legal_process.issued_at {_iso(issued)}: the warrant was served on "
                    f"{_iso(request.received_at)}, more than {days} days after its issue{window} ({source}); "
                    "a warrant not executed within its period is no legal process",
            source=source)]
    if not federal and stated is None and late > timedelta(days=STATE_WARRANT_FLAG_DAYS):
        return [warning(
            "state_warrant_late",
            f"legal_process.issued_at {_iso(issued)}: the state warrant was served on "
            f"{_iso(request.received_at)}, more than {STATE_WARRANT_FLAG_DAYS} days after issue; legal "
            "checks the state's execution period before anything is produced", STATE_WARRANT_SOURCE)]
    return []


def interception_problems(request: LegalRequest) -> list[Problem]:
    """18 U.S.C. 2518(5): interception cannot begin before the order is entered nor after it expires."""
    process = request.legal_process
    if request.type != RequestType.TITLE3_WIRETAP or process is None:
        return []
    first, issued = process.first_interception_at, process.issued_at
    if first is None or issued is None:
        return []
    if first < issued:
        return [Problem(
            code="interception_before_order",
            message=f"legal_process.first_interception_at {_iso(first)} is before the order was "
                    f"entered ({_iso(issued)}); no interception is authorised before it (18 U.S.C. 2518)",
        )]
    expires = title3_expiry(issued, first, process.duration_days)
    if first >= expires:
        return [Problem(
            code="interception_after_expiry",
            message=f"legal_process.first_interception_at {_iso(first)} is after the order expired "
                    f"({_iso(expires)}, 30 days from ten days after entry; 18 U.S.C. 2518(5))",
        )]
    return []


def period_problems(request: LegalRequest) -> list[Problem]:
    """LEGAL.md: historical records are those that exist at receipt; the period is cut there."""
    span = request.period
    if span is None or request.type in (RequestType.PEN_REGISTER, RequestType.TITLE3_WIRETAP):
        return []
    received = _iso(request.received_at)
    if span.start >= request.received_at:
        return [Problem(
            code="period_after_receipt",
            message=f"period.start {_iso(span.start)} is not before the request was received "
                    f"({received}); no such records exist yet (the future needs a pen register or "
                    "Title III order)",
        )]
    problems: list[Problem] = []
    if request.period_asked_end is not None:
        problems.append(warning(
            "period_cut_at_receipt",
            f"period.end {_iso(request.period_asked_end)} is after the request was received; the "
            f"period is cut at {received} (the future needs a pen register or Title III order)",
        ))
    if request.type == RequestType.EMERGENCY and span.start < request.received_at - EMERGENCY_LOOKBACK:
        problems.append(warning(
            "emergency_records_older_than_7_days",
            f"period.start {_iso(span.start)} is more than 7 days before receipt; the analyst "
            "checks that such records relate to the emergency (18 U.S.C. 2702(c)(4))",
        ))
    return problems
