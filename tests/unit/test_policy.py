"""LEGAL.md row by row: categories, issuers, signatures, requesters, clocks, approvals, fees, roles.

Every expected value here is written out from LEGAL.md, never read from the policy tables.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.decisions import (
    DECISION_ROLES,
    DecisionPayload,
    missing_fields,
)
from domain.fees import quote_invoice
from domain.policy import (
    CLEARED_ONLY,
    REMINDER_LEAD,
    binds_target,
    deadlines,
    pen_register_expiry,
    preservation_expiry,
    refusal_reason,
    title3_expiry,
)
from domain.request import parse_request
from domain.verification import verify_request
from domain.vocabulary import DecisionName, RecordCategory, RequestType

ALL_CATEGORIES = [
    "subscriber_info", "service_history", "payment_info", "call_records_outgoing",
    "call_records_incoming", "internet_sessions", "billing_records", "e911_records",
    "voicemail_metadata", "voicemail_content", "cell_site_location", "pen_trap", "intercept_content",
]
SUBPOENA_SET = {"subscriber_info", "service_history", "payment_info", "call_records_outgoing",
                "call_records_incoming", "internet_sessions"}
STORED = set(ALL_CATEGORIES) - {"pen_trap", "intercept_content"}

# LEGAL.md "What each instrument may obtain", written out by hand.
EXPECTED_PERMITTED = {
    "customer_call_lookup": {"call_records_outgoing"},
    "subpoena": SUBPOENA_SET,
    "court_order": SUBPOENA_SET | {"billing_records", "e911_records", "voicemail_metadata"},
    "search_warrant": STORED,
    "pen_register": {"pen_trap"},
    "title3_wiretap": {"intercept_content", "pen_trap"},
    "national_security_letter": {"subscriber_info", "service_history", "call_records_outgoing",
                                 "call_records_incoming"},
    "fisa_order": set(ALL_CATEGORIES),
    "preservation": STORED,
    "emergency": {"subscriber_info", "call_records_outgoing", "call_records_incoming",
                  "internet_sessions", "e911_records", "cell_site_location"},
}

ISSUER = {"subpoena": "grand_jury", "court_order": "court", "search_warrant": "court",
          "pen_register": "court", "title3_wiretap": "court", "national_security_letter": "fbi",
          "fisa_order": "fisc", "preservation": "agency"}

RECEIVED = "2026-11-20T14:05:00Z"


def build(kind: str, records: list[str] | None = None) -> dict:
    """A well-formed request of `kind` with no problem at all."""
    raw: dict = {
        "request_id": f"LES-TEST-{kind}",
        "type": kind,
        "received_at": RECEIVED,
        "requester": {"kind": "law_enforcement", "agency": "Test PD", "name": "Det. Test"},
        "targets": [{"kind": "phone_number", "value": "+13035550123"}],
        "records": list(records if records is not None else ALL_CATEGORIES),
        "period": {"start": "2026-06-01T00:00:00Z", "end": "2026-08-31T23:59:59Z"},
        "documents": [{"name": "order.pdf", "sha256": "ab" * 32}],
    }
    if kind in ISSUER:
        raw["legal_process"] = {
            "instrument": kind, "reference": "REF-1", "issued_by": "Issuer",
            "issuer_kind": ISSUER[kind], "jurisdiction": "federal",
            "signed_by": "Hon. Signer", "signed_at": "2026-11-19T10:00:00Z",
            "issued_at": "2026-11-19T10:00:00Z", "response_due": "2026-12-10T17:00:00Z",
        }
    if kind in ("court_order", "search_warrant", "pen_register", "title3_wiretap"):
        raw["legal_process"]["issued_by"] = "U.S. District Court, D. Colo."  # LEGAL.md (3rd): a court
    if kind == "fisa_order":
        raw["legal_process"]["issued_by"] = "Foreign Intelligence Surveillance Court"
        raw["legal_process"]["authority"] = "50 U.S.C. 1805"  # reaches what the order names
    if kind in ("pen_register", "title3_wiretap"):
        del raw["legal_process"]["response_due"]
        # 3123(c)(1), 2518(4)(e): the order states its period (LEGAL.md, 3rd)
        raw["legal_process"]["duration_days"] = 60 if kind == "pen_register" else 30
    if kind == "national_security_letter":  # 2709(b): a Special Agent in Charge may sign
        raw["legal_process"]["signed_by"] = "J. Doe, Special Agent in Charge, Denver Field Office"
    if kind == "fisa_order":  # 1805(d)(1): the order states its term
        raw["legal_process"]["duration_days"] = 90
    if kind == "customer_call_lookup":
        raw["requester"] = {"kind": "customer", "name": "Maria Lopez"}
        raw["customer"] = {"account_number": "CL-1",
                           "authentication": {"method": "account_pin", "pin": "4921"}}
    if kind == "emergency":  # 2702(c)(4): records of the days before the emergency
        raw["period"] = {"start": "2026-11-14T00:00:00Z", "end": "2026-11-20T12:00:00Z"}
        raw["emergency"] = {"justification": "kidnapping", "danger": "death", "supervisor": None,
                            "callback": {"number": "+16025346311",
                                         "source": "independently_sourced"}}
    return raw


def codes(raw: dict) -> dict[str, bool]:
    return {p.code: p.fatal for p in verify_request(raw).problems}


# ---- what each instrument may obtain ----------------------------------------------------


@pytest.mark.parametrize("kind", sorted(EXPECTED_PERMITTED))
def test_each_instrument_obtains_exactly_its_row_of_legal_md(kind):
    result = verify_request(build(kind))
    assert result.problems == []
    assert set(result.permitted) == EXPECTED_PERMITTED[kind]
    refused = {r.category: r.reason for r in result.refused}
    assert set(refused) == set(ALL_CATEGORIES) - EXPECTED_PERMITTED[kind]
    for category, reason in refused.items():
        # Each reason names what is refused: the category, or (customer lookups) incoming calls.
        assert reason.startswith((category, "carrier policy: incoming calls")) and len(reason) > 40
        assert any(source in reason for source in ("U.S.C.", "CFR", "carrier policy", "2703"))
    assert result.verdict == ("accept" if kind == "fisa_order" else "partial")
    assert result.permitted == [c for c in ALL_CATEGORIES if c in EXPECTED_PERMITTED[kind]]


def test_the_ten_types_are_all_covered():
    assert set(EXPECTED_PERMITTED) == {str(t) for t in RequestType}


@pytest.mark.parametrize("kind", ["customer_call_lookup", "subpoena", "court_order",
                                  "pen_register", "national_security_letter", "emergency"])
def test_content_never_on_anything_weaker_than_a_warrant(kind):
    permitted = verify_request(build(kind)).permitted
    assert "voicemail_content" not in permitted and "intercept_content" not in permitted


def test_subpoena_refuses_voicemail_content_naming_the_warrant():
    assert refusal_reason(RequestType.SUBPOENA, RecordCategory.VOICEMAIL_CONTENT) == (
        "voicemail_content is stored content: it needs a search warrant (18 U.S.C. 2703(a)); "
        "a subpoena reaches only 2703(c)(2) records"
    )


def test_civil_subpoena_reaches_no_content_and_no_prospective_data():
    raw = build("subpoena")
    raw["requester"]["kind"] = "attorney"
    raw["legal_process"]["issuer_kind"] = "attorney"
    result = verify_request(raw)
    assert set(result.permitted) == SUBPOENA_SET
    reasons = {r.category: r.reason for r in result.refused}
    for category in ("voicemail_content", "cell_site_location", "pen_trap", "intercept_content"):
        assert "a civil subpoena reaches no content, no location and no prospective data" in reasons[category]
    assert "2703(d)" in reasons["billing_records"]


def test_customer_lookup_refuses_incoming_calls_by_carrier_policy():
    reasons = {r.category: r.reason for r in verify_request(build("customer_call_lookup")).refused}
    assert reasons["call_records_incoming"].startswith(
        "carrier policy: incoming calls need a legal demand")


def test_preservation_refuses_prospective_categories():
    reasons = {r.category: r.reason for r in verify_request(build("preservation")).refused}
    assert set(reasons) == {"pen_trap", "intercept_content"}
    assert all("2703(f) preserves records already stored" in r for r in reasons.values())


def test_nsl_and_emergency_reasons_name_their_statute():
    nsl = {r.category: r.reason for r in verify_request(build("national_security_letter")).refused}
    assert "18 U.S.C. 2709" in nsl["billing_records"]
    emergency = {r.category: r.reason for r in verify_request(build("emergency")).refused}
    assert "2702(c)(4)" in emergency["voicemail_content"]


# ---- who may issue, sign and ask ---------------------------------------------------------

ALLOWED_ISSUERS = {
    "subpoena": {"grand_jury", "agency", "court", "attorney"},
    "court_order": {"court"}, "search_warrant": {"court"}, "pen_register": {"court"},
    "title3_wiretap": {"court"}, "national_security_letter": {"fbi"}, "fisa_order": {"fisc"},
    "preservation": {"court", "grand_jury", "agency", "fbi", "fisc"},
}
ISSUER_KINDS = {"court", "grand_jury", "agency", "fbi", "fisc", "attorney"}


@pytest.mark.parametrize("kind", sorted(ALLOWED_ISSUERS))
def test_issuers(kind):
    for issuer in sorted(ISSUER_KINDS):
        raw = build(kind)
        raw["legal_process"]["issuer_kind"] = issuer
        if issuer == "attorney":
            raw["requester"]["kind"] = "attorney" if kind == "subpoena" else "law_enforcement"
        found = codes(raw)
        if issuer in ALLOWED_ISSUERS[kind]:
            assert "wrong_issuer" not in found, issuer
        else:
            assert found.get("wrong_issuer") is True, issuer
            assert verify_request(raw).verdict == "reject"


SIGNED_TYPES = ["subpoena", "court_order", "search_warrant", "pen_register", "title3_wiretap",
                "national_security_letter", "fisa_order"]


@pytest.mark.parametrize("kind", SIGNED_TYPES)
def test_unsigned_instruments_are_rejected(kind):
    raw = build(kind)
    del raw["legal_process"]["signed_by"]
    result = verify_request(raw)
    assert codes(raw) == {"unsigned": True}
    assert result.verdict == "reject" and result.permitted == []
    assert "signed_by" in result.problems[0].message


@pytest.mark.parametrize("kind", SIGNED_TYPES)
def test_a_signature_without_its_date_is_dated_at_issue_with_a_warning(kind):
    # LEGAL.md (3rd): signed_by and issued_at without signed_at is signed, dated at issue.
    raw = build(kind)
    del raw["legal_process"]["signed_at"]
    result = verify_request(raw)
    assert codes(raw) == {"signed_at_defaulted": False}
    assert result.verdict == verify_request(build(kind)).verdict
    assert result.problems[0].message.endswith("it is taken as signed when issued, 2026-11-19T10:00:00Z")


@pytest.mark.parametrize("kind", ["subpoena", "court_order", "search_warrant", "national_security_letter"])
def test_a_signature_without_any_date_is_unsigned(kind):
    raw = build(kind)
    del raw["legal_process"]["signed_at"], raw["legal_process"]["issued_at"]
    assert codes(raw) == {"unsigned": True}
    assert verify_request(raw).problems[0].message.startswith(
        f"legal_process.signed_at: the {kind} is not signed (signed_at missing, and no issued_at")


def test_blank_signature_counts_as_unsigned():
    raw = build("court_order")
    raw["legal_process"]["signed_by"] = "   "
    assert codes(raw) == {"unsigned": True}


def test_preservation_needs_no_signature():
    raw = build("preservation")
    del raw["legal_process"]["signed_by"], raw["legal_process"]["signed_at"]
    assert verify_request(raw).verdict == "partial"


@pytest.mark.parametrize("kind", sorted(ISSUER))
def test_legal_process_is_required(kind):
    raw = build(kind)
    del raw["legal_process"]
    assert codes(raw) == {"missing_legal_process": True}


def test_customer_lookup_carries_no_legal_process_and_emergency_needs_none():
    raw = build("customer_call_lookup")
    raw["legal_process"] = build("subpoena")["legal_process"]
    assert codes(raw) == {"unexpected_legal_process": True}
    assert "legal_process" not in build("emergency")
    assert verify_request(build("emergency")).verdict == "partial"


REQUESTERS = {
    "customer_call_lookup": ({"customer"}, "wrong_requester"),
    "subpoena": ({"law_enforcement", "government", "attorney"}, "wrong_requester"),
    **{kind: ({"law_enforcement", "government"}, "requester_not_governmental")
       for kind in ("court_order", "search_warrant", "pen_register", "title3_wiretap",
                    "national_security_letter", "fisa_order", "preservation", "emergency")},
}


@pytest.mark.parametrize("kind", sorted(REQUESTERS))
def test_requester_kinds(kind):
    allowed, code = REQUESTERS[kind]
    for requester in ("law_enforcement", "government", "attorney", "customer"):
        raw = build(kind)
        raw["requester"]["kind"] = requester
        found = codes(raw)
        assert (code in found) == (requester not in allowed), requester


# ---- the customer lookup and the emergency -----------------------------------------------


def test_customer_lookup_needs_customer_pin_and_phone_targets():
    raw = build("customer_call_lookup")
    del raw["customer"]
    assert codes(raw) == {"missing_customer": True}
    raw = build("customer_call_lookup")
    raw["customer"]["authentication"]["pin"] = ""
    assert codes(raw) == {"authentication_incomplete": True}
    raw = build("customer_call_lookup")
    del raw["customer"]["authentication"]["pin"]
    assert codes(raw) == {"authentication_incomplete": True}
    raw = build("customer_call_lookup")
    raw["customer"]["authentication"] = {"method": "photo_id_in_store"}
    assert codes(raw) == {}
    raw = build("customer_call_lookup")
    raw["targets"].append({"kind": "account_number", "value": "CL-1"})
    assert codes(raw) == {"invalid_target": True}


def test_emergency_block_and_callback_source():
    raw = build("emergency")
    del raw["emergency"]
    assert codes(raw) == {"missing_emergency": True}
    raw = build("emergency")
    raw["emergency"]["callback"]["source"] = "provided_by_requester"
    assert codes(raw) == {"callback_not_independent": False}
    assert verify_request(raw).verdict == "partial"


# ---- scope: period, targets, records -----------------------------------------------------


@pytest.mark.parametrize("kind", ["subpoena", "court_order", "search_warrant",
                                  "national_security_letter", "customer_call_lookup",
                                  "emergency", "preservation", "fisa_order"])
def test_historical_types_need_a_period(kind):
    raw = build(kind)
    del raw["period"]
    assert codes(raw) == {"missing_period": True}


@pytest.mark.parametrize("kind,records", [("pen_register", ["pen_trap"]),
                                          ("title3_wiretap", ["intercept_content"]),
                                          ("fisa_order", ["pen_trap", "intercept_content"])])
def test_prospective_orders_need_no_period(kind, records):
    raw = build(kind, records)
    del raw["period"]
    assert verify_request(raw).verdict == "accept"


def test_targets_and_records_must_not_be_empty():
    raw = build("subpoena")
    raw["targets"] = []
    assert codes(raw) == {"no_targets": True}
    raw = build("subpoena", records=[])
    assert codes(raw) == {"no_records": True}


def test_nothing_permitted_rejects():
    result = verify_request(build("pen_register", ["voicemail_content"]))
    assert result.verdict == "reject"
    assert [p.code for p in result.problems] == ["nothing_permitted"]
    assert [r.category for r in result.refused] == ["voicemail_content"]


def test_date_warnings_and_missing_documents():
    raw = build("court_order")
    raw["legal_process"]["response_due"] = "2026-11-20T00:00:00Z"
    raw["documents"] = []
    assert codes(raw) == {"due_before_receipt": False, "no_documents": False}
    assert verify_request(raw).verdict == "partial"
    raw = build("subpoena")
    raw["documents"] = []
    assert codes(raw) == {}  # a grand jury subpoena is not a court's signed order


# ---- jurisdiction ------------------------------------------------------------------------


def test_binds_target():
    assert binds_target("federal", "CO") and binds_target("federal", None)
    assert binds_target("state:CO", "CO") and binds_target("state:CO", "co")
    assert not binds_target("state:CO", "TX")
    assert binds_target("state:CO", None)


# ---- clocks ------------------------------------------------------------------------------


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def clocks(raw: dict) -> dict[str, str]:
    found = deadlines(parse_request(raw))
    assert all(at.utcoffset() == timedelta(0) for at in found.values())
    return {name: at.isoformat().replace("+00:00", "Z") for name, at in found.items()}


PEN_ISSUED = "2026-11-22T11:00:00-06:00"  # 17:00 UTC


@pytest.mark.parametrize("days,expires,capped", [
    (60, "2027-01-21T17:00:00Z", False), (None, "2027-01-21T17:00:00Z", False),
    (30, "2026-12-22T17:00:00Z", False), (90, "2027-01-21T17:00:00Z", True),
])
def test_pen_register_runs_at_most_60_days(days, expires, capped):
    raw = build("pen_register", ["pen_trap"])
    raw["received_at"] = "2026-11-22T18:00:00Z"
    raw["legal_process"].update(issued_at=PEN_ISSUED, signed_at=PEN_ISSUED, duration_days=days)
    assert clocks(raw) == {"expires_at": expires}
    # 3123(c)(1) (LEGAL.md, 3rd): an order stating no period runs the 60 days, with a warning.
    silent = {"order_period_unstated": False} if days is None else {}
    assert codes(raw) == ({"duration_capped": False} if capped else silent)
    assert pen_register_expiry(utc("2026-11-22T17:00:00Z"), days) == utc(expires)


def test_pen_register_extension_is_capped_the_same_way():
    raw = build("pen_register", ["pen_trap"])
    raw["received_at"] = "2027-01-20T18:00:00Z"
    raw["legal_process"].update(issued_at="2027-01-20T12:00:00Z", duration_days=75,
                                extension_of="LES-2026-000103")
    assert clocks(raw) == {"expires_at": "2027-03-21T12:00:00Z"}
    assert codes(raw) == {"duration_capped": False}


T3_ISSUED = "2026-11-22T15:00:00-06:00"  # 21:00 UTC; the ten-day mark is 2026-12-02T21:00Z


@pytest.mark.parametrize("first,days,expires,capped", [
    (None, 30, "2027-01-01T21:00:00Z", False),  # not begun: the latest it can be
    ("2026-11-25T09:00:00Z", 30, "2026-12-25T09:00:00Z", False),  # begun before day ten
    ("2026-12-05T00:00:00Z", 30, "2027-01-01T21:00:00Z", False),  # begun after day ten
    ("2026-11-25T09:00:00Z", 20, "2026-12-15T09:00:00Z", False),
    ("2026-11-25T09:00:00Z", 45, "2026-12-25T09:00:00Z", True),  # 2518(5) caps at 30
])
def test_title3_thirty_days_from_the_earlier_of_interception_or_day_ten(first, days, expires,
                                                                         capped):
    raw = build("title3_wiretap", ["intercept_content"])
    raw["received_at"] = "2026-11-23T08:00:00Z"
    raw["legal_process"].update(issued_at=T3_ISSUED, signed_at=T3_ISSUED, duration_days=days,
                                first_interception_at=first)
    assert clocks(raw) == {"ten_day_mark": "2026-12-02T21:00:00Z", "expires_at": expires}
    assert codes(raw) == ({"duration_capped": False} if capped else {})
    first_at = utc(first) if first else None
    assert title3_expiry(utc("2026-11-22T21:00:00Z"), first_at, days) == utc(expires)


def test_prospective_orders_need_issued_at():
    for kind in ("pen_register", "title3_wiretap"):
        raw = build(kind, ["pen_trap"])
        del raw["legal_process"]["issued_at"]
        assert codes(raw) == {"missing_issued_at": True}


def test_an_order_expired_before_receipt_authorises_nothing():
    raw = build("pen_register", ["pen_trap"])
    raw["legal_process"].update(issued_at="2026-01-02T00:00:00Z", signed_at="2026-01-02T00:00:00Z")
    assert codes(raw) == {"order_expired": True}


@pytest.mark.parametrize("issued_at,expired", [
    ("2026-09-21T14:05:00Z", True),   # 60 days before receipt: it lapses the moment it is received
    ("2026-09-21T14:05:01Z", False),  # a second later: it still runs when received
])
def test_an_order_that_lapses_at_the_moment_of_receipt_authorises_nothing(issued_at, expired):
    raw = build("pen_register", ["pen_trap"])  # received 2026-11-20T14:05:00Z, 60 days at most
    raw["legal_process"].update(issued_at=issued_at, signed_at=issued_at)
    assert codes(raw) == ({"order_expired": True} if expired else {})
    assert verify_request(raw).permitted == ([] if expired else ["pen_trap"])


def test_preservation_90_days_and_one_renewal():
    raw = build("preservation", ["subscriber_info"])
    assert clocks(raw) == {"expires_at": "2027-02-18T14:05:00Z"}
    raw["legal_process"]["extension_of"] = "LES-2026-000001"
    raw["received_at"] = "2027-02-10T09:00:00Z"
    # A renewal runs to 180 days from the ORIGINAL receipt: the workflow reads that from its hold.
    assert clocks(raw) == {}
    assert verify_request(raw).pending_checks == ["documents_on_file", "renewal_of_hold", "requester_verified"]
    original = utc(RECEIVED)
    assert preservation_expiry(original) == utc("2027-02-18T14:05:00Z")
    assert preservation_expiry(original, 1) == utc("2027-05-19T14:05:00Z")
    with pytest.raises(ValueError, match=r"2703\(f\)\(2\)"):
        preservation_expiry(original, 2)


def test_emergency_follow_up_due_in_48_hours():
    assert clocks(build("emergency")) == {"follow_up_legal_process_due": "2026-11-22T14:05:00Z"}


@pytest.mark.parametrize("kind", ["subpoena", "court_order", "search_warrant",
                                  "national_security_letter"])
def test_response_due_and_reminder_72_hours_before(kind):
    raw = build(kind)
    raw["legal_process"]["response_due"] = "2026-12-10T17:00:00-07:00"
    raw["legal_process"]["nondisclosure_until"] = "2027-12-10T00:00:00-05:00"
    # 2705(b) ends on its date; an NSL's 2709(c) secrecy has none, so it is no clock.
    secrecy = {} if kind == "national_security_letter" else {"nondisclosure_until": "2027-12-10T05:00:00Z"}
    assert clocks(raw) == {"response_due": "2026-12-11T00:00:00Z",
                           "reminder_at": "2026-12-08T00:00:00Z", **secrecy}
    assert timedelta(hours=72) == REMINDER_LEAD
    shorter = deadlines(parse_request(raw), reminder_lead=timedelta(hours=24))
    assert shorter["reminder_at"] == datetime(2026, 12, 10, 0, 0, tzinfo=UTC)
    del raw["legal_process"]["response_due"]
    # Received 2026-11-20T14:05Z: due 14 days later (carrier policy), reminded 72 h before.
    assert codes(raw) == {"response_due_defaulted": False}
    assert clocks(raw) == {"response_due": "2026-12-04T14:05:00Z",
                           "reminder_at": "2026-12-01T14:05:00Z", **secrecy}


def test_fisa_clocks():
    raw = build("fisa_order")
    raw["legal_process"]["duration_days"] = 90
    assert clocks(raw) == {"response_due": "2026-12-10T17:00:00Z",
                           "reminder_at": "2026-12-07T17:00:00Z",
                           "expires_at": "2027-02-17T10:00:00Z"}


def test_customer_lookup_starts_no_clock():
    assert clocks(build("customer_call_lookup")) == {}


# ---- approvals ---------------------------------------------------------------------------

EXPECTED_APPROVALS = {
    "customer_call_lookup": ["analyst"], "subpoena": ["analyst"], "court_order": ["analyst"],
    "search_warrant": ["analyst"], "pen_register": ["analyst"], "preservation": ["analyst"],
    "title3_wiretap": ["analyst", "legal"], "fisa_order": ["analyst", "legal"],
    "national_security_letter": ["analyst", "legal"], "emergency": ["analyst", "supervisor"],
}


@pytest.mark.parametrize("kind", sorted(EXPECTED_APPROVALS))
def test_approvals_per_type(kind):
    assert verify_request(build(kind)).approvals_required == EXPECTED_APPROVALS[kind]


def test_nsl_and_fisa_are_for_cleared_actors_only():
    assert {str(t) for t in CLEARED_ONLY} == {"national_security_letter", "fisa_order"}


# ---- fees --------------------------------------------------------------------------------

C = RecordCategory


def test_records_invoice_worked_example():
    quote = quote_invoice(RequestType.SUBPOENA, [(C.SUBSCRIBER_INFO, 1),
                                                 (C.CALL_RECORDS_OUTGOING, 2500),
                                                 (C.INTERNET_SESSIONS, 1001)], target_count=2)
    # search 2 x 40.00; internet_sessions assembly 25.00 + 2 blocks x 5.00; toll lines 0.
    assert quote.total_cents == 11500
    assert quote.currency == "USD" and "2706" in quote.basis
    toll = [x for x in quote.lines if x.category in (C.SUBSCRIBER_INFO, C.CALL_RECORDS_OUTGOING)]
    assert len(toll) == 4 and all(x.amount_cents == 0 and "2706(c)" in x.note for x in toll)
    repro = next(x for x in quote.lines
                 if x.item == "reproduction" and x.category == C.INTERNET_SESSIONS)
    assert (repro.quantity, repro.unit_cents, repro.amount_cents) == (2, 500, 1000)


def test_court_order_invoice_and_toll_only_invoice():
    quote = quote_invoice(RequestType.COURT_ORDER,
                          [(C.BILLING_RECORDS, 1000), (C.E911_RECORDS, 0)], 1)
    assert quote.total_cents == 4000 + 2500 + 500 + 2500
    toll_only = quote_invoice(RequestType.SUBPOENA, [(C.CALL_RECORDS_INCOMING, 5000)], 3)
    assert toll_only.total_cents == 0
    assert toll_only.lines[0].item == "search" and toll_only.lines[0].quantity == 3


def test_a_fisa_order_pays_for_toll_records_too():
    """50 U.S.C. 1805(c)(2)(D) compensates the aid at the prevailing rate; 2706(c) is not its rule."""
    quote = quote_invoice(RequestType.FISA_ORDER, [(C.SUBSCRIBER_INFO, 1), (C.CALL_RECORDS_OUTGOING, 2500),
                                                   (C.CALL_RECORDS_INCOMING, 0)], target_count=2)
    # search 2 x 40.00 = 80.00; subscriber_info 25.00 + 1 block x 5.00 = 30.00;
    # outgoing 25.00 + 3 blocks x 5.00 = 40.00; incoming 25.00 + 0 blocks = 25.00
    assert [(x.item, x.quantity, x.amount_cents) for x in quote.lines] == [
        ("search", 2, 8000),
        ("assembly", 1, 2500), ("reproduction", 1, 500),
        ("assembly", 1, 2500), ("reproduction", 3, 1500),
        ("assembly", 1, 2500), ("reproduction", 0, 0),
    ]
    assert quote.total_cents == 17500 and "1805(c)(2)(D)" in quote.basis
    assert all(x.note == "" for x in quote.lines)
    toll_only = quote_invoice(RequestType.FISA_ORDER, [(C.CALL_RECORDS_INCOMING, 10)], 1)
    assert toll_only.total_cents == 4000 + 2500 + 500


def test_fixed_fees_and_no_charge_types():
    assert quote_invoice(RequestType.CUSTOMER_CALL_LOOKUP, [(C.CALL_RECORDS_OUTGOING, 40)],
                         1).total_cents == 2500
    for kind in ("emergency", "preservation", "national_security_letter"):
        quote = quote_invoice(RequestType(kind), [(C.SUBSCRIBER_INFO, 10)], 1)
        assert quote.total_cents == 0 and quote.basis, kind
    nsl = quote_invoice(RequestType.NATIONAL_SECURITY_LETTER, [], 1)
    assert "2709" in nsl.basis


def test_assistance_expenses_for_pen_register_and_title3():
    pen = quote_invoice(RequestType.PEN_REGISTER, [(C.PEN_TRAP, 9000)], 1, days=60)
    assert pen.total_cents == 25000 + 60 * 1500 and "3124(c)" in pen.basis
    t3 = quote_invoice(RequestType.TITLE3_WIRETAP, [], 1, days=30)
    assert t3.total_cents == 70000 and "2518(4)" in t3.basis


def test_a_search_warrant_for_content_is_billed_on_the_2706_schedule():
    quote = quote_invoice(RequestType.SEARCH_WARRANT, [(C.VOICEMAIL_CONTENT, 12)], 1)
    # search 1 x 40.00, assembly 25.00, reproduction 1 block (12 rows) x 5.00: content is not toll
    assert [(x.item, x.quantity, x.amount_cents) for x in quote.lines] == [
        ("search", 1, 4000), ("assembly", 1, 2500), ("reproduction", 1, 500)]
    assert quote.total_cents == 7000 and "2706(a)" in quote.basis


# ---- decisions ---------------------------------------------------------------------------

EXPECTED_DECISION_ROLES = {
    "approve": {"analyst", "legal", "supervisor"},
    "reject": {"analyst", "legal", "supervisor"},
    "request_info": {"analyst"},
    "provide_info": {"analyst"},
    "verify_callback": {"analyst", "supervisor"},
    "record_extension": {"analyst", "legal"},
    "record_interception_started": {"analyst"},
    "customer_accepts_fee": {"analyst"},
    "withdraw": {"analyst", "supervisor"},
}


def test_decision_roles():
    assert {str(d): {str(r) for r in roles} for d, roles in DECISION_ROLES.items()} == (
        EXPECTED_DECISION_ROLES)


def test_decision_payload():
    payload = DecisionPayload.model_validate({"actor": "jdoe", "role": "analyst",
                                              "question": "Which period?"})
    assert payload.note == "" and payload.model_extra == {"question": "Which period?"}
    assert missing_fields(DecisionName.REQUEST_INFO, payload) == []
    assert missing_fields(DecisionName.PROVIDE_INFO, payload) == ["info"]
    assert missing_fields(DecisionName.REJECT, payload) == ["note"]  # a rejection states its reason
    assert missing_fields(DecisionName.REJECT, payload.model_copy(update={"note": "overbroad"})) == []
    assert missing_fields(DecisionName.APPROVE, payload) == []
    for bad, message in [({"actor": "", "role": "analyst"}, "at least 1 character"),
                         ({"actor": "  ", "role": "analyst"}, "actor must name a person"),
                         ({"actor": "jdoe", "role": "boss"}, "Input should be 'analyst'"),
                         ({"role": "analyst"}, r"actor\n +Field required")]:
        with pytest.raises(ValueError, match=message):
            DecisionPayload.model_validate(bad)


def test_build_is_a_valid_baseline_for_every_type():
    for kind in EXPECTED_PERMITTED:
        raw = build(kind)
        assert codes(raw) == {}, kind
