"""LEGAL.md as data: what each instrument reaches, who issues it, who asks, who approves.

Read beside LEGAL.md; every row names its source. The document checks built on these
tables are in domain.screening, the clocks in domain.clocks (re-exported here).
"""

from __future__ import annotations

from domain.clocks import (
    REMINDER_LEAD,
    deadlines,
    pen_register_expiry,
    preservation_expiry,
    title3_expiry,
)
from domain.vocabulary import (
    CONTENT_CATEGORIES,
    PROSPECTIVE_CATEGORIES,
    STORED_CATEGORIES,
    IssuerKind,
    RecordCategory,
    RequesterKind,
    RequestType,
    Role,
)

__all__ = [
    "ALLOWED_ISSUERS",
    "APPROVALS_REQUIRED",
    "CALECPA_REACH",
    "CALECPA_REASON",
    "CLEARED_ONLY",
    "CONTENT_INSTRUMENTS",
    "FEDERAL_ONLY",
    "GOVERNMENTAL_REQUESTERS",
    "HISTORICAL_TYPES",
    "LEGAL_PROCESS_REQUIRED",
    "PERMITTED_CATEGORIES",
    "REMINDER_LEAD",
    "REQUESTER_KINDS",
    "SIGNATURE_REQUIRED",
    "binds_target",
    "calecpa_limits",
    "deadlines",
    "pen_register_expiry",
    "permitted_categories",
    "preservation_expiry",
    "refusal_reason",
    "title3_expiry",
]

# Short names keep each table row on one line.
T, C = RequestType, RecordCategory

# 18 U.S.C. 2703(c)(2)(A)-(F): what a subpoena reaches.
SUBPOENA_SET = frozenset({
    C.SUBSCRIBER_INFO, C.SERVICE_HISTORY, C.PAYMENT_INFO,
    C.CALL_RECORDS_OUTGOING, C.CALL_RECORDS_INCOMING, C.INTERNET_SESSIONS,
})

PERMITTED_CATEGORIES: dict[RequestType, frozenset[RecordCategory]] = {
    # 47 CFR 64.2010 (CPNI); carrier policy: incoming calls need a legal demand.
    T.CUSTOMER_CALL_LOOKUP: frozenset({C.CALL_RECORDS_OUTGOING}),
    # 18 U.S.C. 2703(c)(2)(A)-(F).
    T.SUBPOENA: SUBPOENA_SET,
    # 18 U.S.C. 2703(c)(1)(B), 2703(d).
    T.COURT_ORDER: SUBPOENA_SET | {C.BILLING_RECORDS, C.E911_RECORDS, C.VOICEMAIL_METADATA},
    # 18 U.S.C. 2703(a), (b), (c)(1)(A): every stored category, content included.
    T.SEARCH_WARRANT: STORED_CATEGORIES,
    # 18 U.S.C. 3121(c), 3123: dialing, routing, addressing, signaling; never content.
    T.PEN_REGISTER: frozenset({C.PEN_TRAP}),
    # 18 U.S.C. 2518.
    T.TITLE3_WIRETAP: frozenset({C.INTERCEPT_CONTENT, C.PEN_TRAP}),
    # 18 U.S.C. 2709; OLC opinion of 2008-11-05: name, address, length of service, toll billing.
    T.NATIONAL_SECURITY_LETTER: frozenset({
        C.SUBSCRIBER_INFO, C.SERVICE_HISTORY, C.CALL_RECORDS_OUTGOING, C.CALL_RECORDS_INCOMING,
    }),
    # 50 U.S.C. 1805, 1842, 1861: what the order names, content included.
    T.FISA_ORDER: frozenset(RecordCategory),
    # 18 U.S.C. 2703(f): stored records are preserved, nothing is disclosed.
    T.PRESERVATION: STORED_CATEGORIES,
    # 18 U.S.C. 2702(c)(4): non-content only; location included (Carpenter's exigency exception).
    T.EMERGENCY: frozenset({
        C.SUBSCRIBER_INFO, C.CALL_RECORDS_OUTGOING, C.CALL_RECORDS_INCOMING,
        C.INTERNET_SESSIONS, C.E911_RECORDS, C.CELL_SITE_LOCATION,
    }),
}

# LEGAL.md: content never on anything weaker than a warrant, a Title III order or a FISA order.
CONTENT_INSTRUMENTS = frozenset({T.SEARCH_WARRANT, T.TITLE3_WIRETAP, T.FISA_ORDER})

ALLOWED_ISSUERS: dict[RequestType, frozenset[IssuerKind]] = {
    # Grand jury, administrative, court or (civil) attorney subpoenas.
    T.SUBPOENA: frozenset({
        IssuerKind.GRAND_JURY, IssuerKind.AGENCY, IssuerKind.COURT, IssuerKind.ATTORNEY,
    }),
    # Signed by a judge.
    T.COURT_ORDER: frozenset({IssuerKind.COURT}),
    T.SEARCH_WARRANT: frozenset({IssuerKind.COURT}),
    T.PEN_REGISTER: frozenset({IssuerKind.COURT}),
    T.TITLE3_WIRETAP: frozenset({IssuerKind.COURT}),
    # 18 U.S.C. 2709: the FBI and no one else.
    T.NATIONAL_SECURITY_LETTER: frozenset({IssuerKind.FBI}),
    # 50 U.S.C. 1803: the Foreign Intelligence Surveillance Court.
    T.FISA_ORDER: frozenset({IssuerKind.FISC}),
    # 18 U.S.C. 2703(f): any governmental entity may ask a provider to preserve.
    T.PRESERVATION: frozenset({
        IssuerKind.COURT, IssuerKind.GRAND_JURY, IssuerKind.AGENCY, IssuerKind.FBI, IssuerKind.FISC,
    }),
}

# 18 U.S.C. 3125(a), 2518(7): the emergency authorisation is the designated official's own (an
# officer specially designated by the Attorney General or a deputy or associate AG, for 3125 also an
# AAG or DAAG, or by a State's principal prosecuting attorney); the court order follows (clocks).
EMERGENCY_AUTHORISATION_ISSUERS = frozenset({IssuerKind.AGENCY})


# Types that arrive with legal_process (customer lookups and emergencies carry none).
LEGAL_PROCESS_REQUIRED = frozenset(ALLOWED_ISSUERS)

# LEGAL.md: an unsigned instrument is not legal process. A 2703(f) letter is a request, not process.
SIGNATURE_REQUIRED = LEGAL_PROCESS_REQUIRED - {T.PRESERVATION}

R = RequesterKind
GOVERNMENTAL_REQUESTERS = frozenset({R.LAW_ENFORCEMENT, R.GOVERNMENT})
REQUESTER_KINDS: dict[RequestType, frozenset[RequesterKind]] = {
    # 47 CFR 64.2010: the customer asks for their own records.
    T.CUSTOMER_CALL_LOOKUP: frozenset({R.CUSTOMER}),
    # Criminal and administrative subpoenas, and civil ones served by an attorney.
    T.SUBPOENA: frozenset({R.LAW_ENFORCEMENT, R.GOVERNMENT, R.ATTORNEY}),
    # Every other instrument is the government's (2703, 2702(c)(4), 3122, 2516, 2709, FISA).
    **{t: GOVERNMENTAL_REQUESTERS for t in RequestType
       if t not in (T.CUSTOMER_CALL_LOOKUP, T.SUBPOENA)},
}

# Types that reach records already stored and so need a period (fisa_order only when it asks
# for stored categories; see domain.screening).
HISTORICAL_TYPES = frozenset({
    T.SUBPOENA, T.COURT_ORDER, T.SEARCH_WARRANT, T.NATIONAL_SECURITY_LETTER,
    T.CUSTOMER_CALL_LOOKUP, T.EMERGENCY, T.PRESERVATION,
})

APPROVALS_REQUIRED: dict[RequestType, tuple[Role, ...]] = {
    # LEGAL.md Approvals: an analyst approves every request before any record is retrieved.
    **{t: (Role.ANALYST,) for t in RequestType},
    # Title III, FISA and NSL: a second, different person with the legal role.
    T.TITLE3_WIRETAP: (Role.ANALYST, Role.LEGAL),
    T.FISA_ORDER: (Role.ANALYST, Role.LEGAL),
    T.NATIONAL_SECURITY_LETTER: (Role.ANALYST, Role.LEGAL),
    # Emergency: a supervisor approves disclosure (after the callback is verified).
    T.EMERGENCY: (Role.ANALYST, Role.SUPERVISOR),
}

# LEGAL.md: NSL and FISA cases are handled only by actors holding the cleared role.
CLEARED_ONLY = frozenset({T.NATIONAL_SECURITY_LETTER, T.FISA_ORDER})


def binds_target(jurisdiction: str, target_state: str | None) -> bool:
    """Whether an order of this jurisdiction binds for a target in target_state (None: unknown).

    LEGAL.md: a state court's order binds within its state; a federal order nationwide.
    An unknown state is not held against the order; the analyst resolves it.
    """
    if jurisdiction == "federal" or target_state is None:
        return True
    return jurisdiction == f"state:{target_state.upper()}"


HISTORICAL_LOCATION_NEEDS_WARRANT = (
    "historical location needs a warrant (Carpenter v. United States, 585 U.S. 296 (2018))"
)

# Why a category needs more than the instrument in hand: (what it is, what it needs).
CATEGORY_NEEDS: dict[RecordCategory, str] = {
    **{c: "is a stored non-content record: it needs a subpoena, a 2703(d) order or a search "
          "warrant (18 U.S.C. 2703(c))" for c in SUBPOENA_SET},
    **{c: "is a stored non-content record outside 2703(c)(2): it needs a 2703(d) court order or "
          "a search warrant (18 U.S.C. 2703(c)(1))"
       for c in (C.BILLING_RECORDS, C.E911_RECORDS, C.VOICEMAIL_METADATA)},
    C.VOICEMAIL_CONTENT: "is stored content: it needs a search warrant (18 U.S.C. 2703(a))",
    C.CELL_SITE_LOCATION: f"is historical location: {HISTORICAL_LOCATION_NEEDS_WARRANT}, for any span "
                          "(carrier policy), except in an emergency or under a FISA order",
    C.PEN_TRAP: "is prospective dialing, routing, addressing and signaling data: it needs a pen "
                "register / trap and trace order (18 U.S.C. 3123)",
    C.INTERCEPT_CONTENT: "is real-time interception of content: it needs a Title III order "
                         "(18 U.S.C. 2518) or a FISA order",
}

# What the instrument in hand does reach, said once per type.
INSTRUMENT_REACH: dict[RequestType, str] = {
    T.CUSTOMER_CALL_LOOKUP: "a customer call lookup returns only the outgoing call records of "
                            "the customer's own numbers (47 CFR 64.2010; carrier policy)",
    T.SUBPOENA: "a subpoena reaches only 2703(c)(2) records",
    T.COURT_ORDER: "a 2703(d) order reaches stored non-content records only (18 U.S.C. "
                   "2703(c)(1)(B), (d))",
    T.SEARCH_WARRANT: "a search warrant reaches records already stored (18 U.S.C. 2703(a)-(c)), "
                      "not prospective collection",
    T.PEN_REGISTER: "a pen register / trap and trace order reaches only prospective signaling "
                    "data, never content or stored records (18 U.S.C. 3121(c), 3123)",
    T.TITLE3_WIRETAP: "a Title III order authorises interception and its signaling data only "
                      "(18 U.S.C. 2518), not stored records",
    T.NATIONAL_SECURITY_LETTER: "a national security letter reaches only name, address, length "
                                "of service and toll billing records (18 U.S.C. 2709; OLC "
                                "opinion of 2008-11-05)",
    T.FISA_ORDER: "a FISA order reaches what it names (50 U.S.C. 1805, 1842, 1861)",
    T.PRESERVATION: "2703(f) preserves records already stored; nothing prospective can be "
                    "preserved",
    T.EMERGENCY: "an emergency disclosure reaches only subscriber_info, call records, "
                 "internet_sessions, e911_records and cell_site_location, never content "
                 "(18 U.S.C. 2702(c)(4))",
}

# Sentences that replace the generic one where the law or policy says it in its own words.
SPECIAL_REASONS: dict[tuple[RequestType, RecordCategory], str] = {
    (T.CUSTOMER_CALL_LOOKUP, C.CALL_RECORDS_INCOMING):
        "carrier policy: incoming calls need a legal demand (47 CFR 64.2010 covers only the "
        "customer's own outgoing calls)",
}

CIVIL_SUBPOENA_REACH = (
    "a civil subpoena reaches no content, no location and no prospective data (18 U.S.C. 2702(a), "
    "3121(a); LEGAL.md, Who may issue what)"
)

# CalECPA, Cal. Penal Code 1546.1(b): California process other than a warrant, a wiretap order or
# a pen register order reaches only subscriber information as 1546(l) defines it. A 2703(f)
# preservation letter compels no disclosure, and CalECPA binds government entities (1546.1(a)),
# not a civil litigant's subpoena, so neither is limited.
CALECPA_JURISDICTION = "state:CA"
CALECPA_UNLIMITED = frozenset({T.SEARCH_WARRANT, T.TITLE3_WIRETAP, T.PEN_REGISTER, T.PRESERVATION})
CALECPA_REACH = frozenset({C.SUBSCRIBER_INFO, C.SERVICE_HISTORY})
CALECPA_REASON = (
    "process from California other than a warrant, a wiretap order or a pen register order "
    "reaches only subscriber information, subscriber_info and service_history (Cal. Penal Code "
    "1546.1(b), 1546(l))"
)

# Instruments of the FBI and the FISC are federal; no state can issue them.
FEDERAL_ONLY = frozenset({T.NATIONAL_SECURITY_LETTER, T.FISA_ORDER})


def calecpa_limits(request_type: RequestType, jurisdiction: str | None,
                   issuer_kind: IssuerKind | None = None) -> bool:
    """Whether CalECPA narrows this instrument to subscriber information."""
    return (jurisdiction == CALECPA_JURISDICTION and request_type not in CALECPA_UNLIMITED
            and issuer_kind != IssuerKind.ATTORNEY)


def permitted_categories(request_type: RequestType) -> frozenset[RecordCategory]:
    """What the instrument may obtain (for preservation: what may be preserved)."""
    return PERMITTED_CATEGORIES[request_type]


def refusal_reason(
    request_type: RequestType, category: RecordCategory, issuer_kind: IssuerKind | None = None
) -> str:
    """The sentence refusing `category` on this instrument, naming the instrument and source."""
    special = SPECIAL_REASONS.get((request_type, category))
    if special:
        return special
    civil = request_type == T.SUBPOENA and issuer_kind == IssuerKind.ATTORNEY
    if civil and category in CONTENT_CATEGORIES | PROSPECTIVE_CATEGORIES | {C.CELL_SITE_LOCATION}:
        # No warrant or order is open to a private litigant: say so instead of naming one.
        return f"{category}: {CIVIL_SUBPOENA_REACH}"
    return f"{category} {CATEGORY_NEEDS[category]}; {INSTRUMENT_REACH[request_type]}"
