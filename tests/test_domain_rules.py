"""Fast rule-by-rule tests of the parts of domain/ the other offline tests did not reach:
identifiers (SPEC §1), column scope (LEGAL.md "What each instrument may obtain"), the invoice
(LEGAL.md "Fees and reimbursement", 18 U.S.C. 2706) and the request model's identifier faults.

Every expected value is written out by hand from the SPEC, LEGAL.md or the statute; every
refusal is matched by its message. No server, no database: part of bench/mutation.py's list."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from domain.fees import quote_invoice
from domain.identifiers import file_name_fault, production_id, request_id_fault
from domain.request import Document, parse_request
from domain.scope import columns_in_scope
from domain.vocabulary import RecordCategory, RequestType, TargetKind
from tests.conftest import EXAMPLES

T, C = RequestType, RecordCategory
RULE = "1-64 ASCII letters, digits, '.', '_' and '-', starting with a letter or digit"


# --- request_id (SPEC §1) -------------------------------------------------------------------

@pytest.mark.parametrize("text", ["LES-2026-000101", "A", "9", "a.b_c-9", "Z" * 64, "x" + "-" * 63])
def test_well_formed_request_ids_have_no_fault(text):
    assert request_id_fault(text) is None


@pytest.mark.parametrize(("text", "fault"), [
    (101, f"not text (int); a request_id is {RULE}"),
    (None, f"not text (NoneType); a request_id is {RULE}"),
    (b"LES-1", f"not text (bytes); a request_id is {RULE}"),
    ("", f"empty; a request_id is {RULE}"),
    ("Z" * 65, f"65 characters; a request_id is {RULE}"),
    ("A" * 200, f"200 characters; a request_id is {RULE}"),
    ("-LES-1", f"'-LES-1' is not well-formed; a request_id is {RULE}"),
    (".hidden", f"'.hidden' is not well-formed; a request_id is {RULE}"),
    ("LES-1\n", f"'LES-1\\n' is not well-formed; a request_id is {RULE}"),
    ("LES 1", f"'LES 1' is not well-formed; a request_id is {RULE}"),
    ("LES/1", f"'LES/1' is not well-formed; a request_id is {RULE}"),
    ("LES-\u00e91", f"'LES-\\xe91' is not well-formed; a request_id is {RULE}"),
    ("LES-\uff11", f"'LES-\\uff11' is not well-formed; a request_id is {RULE}"),  # fullwidth 1
])
def test_ill_formed_request_ids_say_why(text, fault):
    assert request_id_fault(text) == fault


@pytest.mark.parametrize(("number", "expected"), [
    (1, "LES-2026-000101-P01"), (9, "LES-2026-000101-P09"), (10, "LES-2026-000101-P10"),
    (99, "LES-2026-000101-P99"), (100, "LES-2026-000101-P100"), (999, "LES-2026-000101-P999"),
])
def test_production_ids_number_from_p01_to_p999(number, expected):
    assert production_id("LES-2026-000101", number) == expected


@pytest.mark.parametrize(("number", "shown"), [(0, "0"), (-1, "-1"), (1000, "1000"), (True, "True"),
                                                ("1", "'1'"), (1.0, "1.0"), (None, "None")])
def test_production_numbers_outside_1_to_999_are_refused(number, shown):
    with pytest.raises(ValueError, match=f"^a production number is 1-999, not {re.escape(shown)}$"):
        production_id("LES-2026-000101", number)


@pytest.mark.parametrize(("request_id", "fault"), [
    ("", f"empty; a request_id is {RULE}"),
    ("../LES-1", f"'../LES-1' is not well-formed; a request_id is {RULE}"),
])
def test_a_production_id_needs_a_well_formed_request_id(request_id, fault):
    with pytest.raises(ValueError, match=f"^{re.escape(fault)}$"):
        production_id(request_id, 1)


# --- documents[].name (SPEC §1): one plain path component -----------------------------------

PLAIN = "not a plain file name (no '/', '\\', '..')"


@pytest.mark.parametrize("name", ["subpoena-GJ-2026-0457.pdf", "a", "scan.v2.pdf", "a.", ".pdf",
                                  "order (signed).pdf", "\u00e9crit.pdf", "a" * 255, "\u00e9" * 127 + "a"])
def test_plain_file_names_have_no_fault(name):
    assert file_name_fault(name) is None


@pytest.mark.parametrize(("name", "fault"), [
    (None, "a file name is non-empty text"),
    (7, "a file name is non-empty text"),
    ("", "a file name is non-empty text"),
    ("a" * 256, "a file name has at most 255 bytes"),
    ("\u00e9" * 128, "a file name has at most 255 bytes"),  # 128 characters, 256 bytes in UTF-8
    ("\u00e9" * 127 + "ab", "a file name has at most 255 bytes"),
    ("scan\x00.pdf", "'scan\\x00.pdf' holds control or format characters"),  # Cc
    ("scan\t.pdf", "'scan\\t.pdf' holds control or format characters"),  # Cc
    ("scan\u200b.pdf", "'scan\\u200b.pdf' holds control or format characters"),  # Cf (zero width space)
    ("scan\u202e.pdf", "'scan\\u202e.pdf' holds control or format characters"),  # Cf (right-to-left override)
    ("scan\ud800.pdf", "'scan\\ud800.pdf' holds control or format characters"),  # Cs (lone surrogate)
    ("scan\u2028.pdf", "'scan\\u2028.pdf' holds control or format characters"),  # Zl
    ("scan\u2029.pdf", "'scan\\u2029.pdf' holds control or format characters"),  # Zp
    ("a/b.pdf", f"'a/b.pdf' is {PLAIN}"),
    ("/etc/passwd", f"'/etc/passwd' is {PLAIN}"),
    ("a\\b.pdf", f"'a\\\\b.pdf' is {PLAIN}"),
    ("..", f"'..' is {PLAIN}"),
    ("a..b", f"'a..b' is {PLAIN}"),
    (".", f"'.' is {PLAIN}"),
    (" ", f"' ' is {PLAIN}"),
    (" . ", f"' . ' is {PLAIN}"),
    # What NFKC turns into a separator or '..' is refused as well.
    ("a\uff0fb.pdf", f"'a\\uff0fb.pdf' is {PLAIN}"),  # fullwidth solidus
    ("a\uff3cb.pdf", f"'a\\uff3cb.pdf' is {PLAIN}"),  # fullwidth reverse solidus
    ("\u2025", f"'\\u2025' is {PLAIN}"),  # two dot leader
    ("\uff0e", f"'\\uff0e' is {PLAIN}"),  # fullwidth full stop
    ("\u3000", f"'\\u3000' is {PLAIN}"),  # ideographic space
])
def test_file_names_that_are_not_plain_say_why(name, fault):
    assert file_name_fault(name) == fault


# --- column scope (LEGAL.md "What each instrument may obtain"; Carpenter; 2709(b)(1)) ----------

E911 = ["call_id", "called_at", "latitude", "longitude", "location_source", "uncertainty_m",
        "dispatchable_address", "psap"]
SUBSCRIBER = ["account_number", "name", "service_street", "service_city", "service_state", "service_zip",
              "billing_street", "billing_city", "billing_state", "billing_zip", "date_of_birth", "email"]


@pytest.mark.parametrize("request_type", ["subpoena", "court_order", "customer_call_lookup", "preservation"])
def test_e911_location_fields_need_a_warrant_fisa_or_an_emergency(request_type):
    assert columns_in_scope(request_type, "e911_records", E911) == ["call_id", "called_at", "psap"]


@pytest.mark.parametrize("request_type", ["search_warrant", "fisa_order", "emergency"])
def test_a_warrant_fisa_order_or_emergency_sees_every_e911_field(request_type):
    assert columns_in_scope(request_type, "e911_records", tuple(E911)) == E911


def test_other_categories_keep_every_column_without_a_warrant():
    columns = ("caller", "called", "started_at", "duration_s", "latitude")
    assert columns_in_scope(T.SUBPOENA, C.CALL_RECORDS_OUTGOING, columns) == list(columns)


def test_a_national_security_letter_sees_name_and_address_only():
    assert columns_in_scope("national_security_letter", "subscriber_info", tuple(SUBSCRIBER)) == [
        "name", "service_street", "service_city", "service_state", "service_zip",
        "billing_street", "billing_city", "billing_state", "billing_zip"]


def test_a_national_security_letter_sees_the_length_of_service_only():
    assert columns_in_scope(T.NATIONAL_SECURITY_LETTER, C.SERVICE_HISTORY,
                            ["account_number", "plan", "started_on", "ended_on"]) == ["started_on"]


@pytest.mark.parametrize("category", ["call_records_outgoing", "call_records_incoming"])
def test_a_national_security_letter_sees_toll_billing_records_whole(category):
    columns = ("caller", "called", "started_at", "duration_s")
    assert columns_in_scope("national_security_letter", category, columns) == list(columns)


@pytest.mark.parametrize("category", ["cell_site_location", "e911_records", "payment_info", "voicemail_content"])
def test_a_national_security_letter_reaches_no_other_category(category):
    with pytest.raises(ValueError, match=rf"^a national security letter reaches no {category} "
                                         r"\(18 U\.S\.C\. 2709\(b\)\(1\)\)$"):
        columns_in_scope("national_security_letter", category, ["a"])


def test_scope_refuses_unknown_words():
    with pytest.raises(ValueError, match="'letter_rogatory' is not a valid RequestType"):
        columns_in_scope("letter_rogatory", "e911_records", E911)
    with pytest.raises(ValueError, match="'dna' is not a valid RecordCategory"):
        columns_in_scope("search_warrant", "dna", E911)


# --- the invoice (LEGAL.md "Fees and reimbursement") -----------------------------------------

TOLL = "telephone toll records and listings are not reimbursable (18 U.S.C. 2706(c))"
BASIS_2706 = ("18 U.S.C. 2706(a): a governmental entity obtaining records under 2703 pays the reasonable "
              "costs of searching for, assembling and reproducing them; 2706(c): not for telephone toll "
              "records and listings")
BASIS_FISA = ("50 U.S.C. 1805(c)(2)(D): the applicant compensates the carrier at the prevailing rate for "
              "furnishing the aid")
BASIS_CIVIL = ("carrier's published fee schedule for civil subpoenas, billed to the requesting party "
               "(Fed. R. Civ. P. 45(d); 18 U.S.C. 2706 does not apply)")


def lines_of(quote) -> list[tuple]:
    return [(x.item, x.category, x.quantity, x.unit_cents, x.amount_cents, x.note) for x in quote.lines]


def test_a_customer_lookup_is_the_flat_fee_of_the_schedule():
    quote = quote_invoice(T.CUSTOMER_CALL_LOOKUP, [(C.CALL_RECORDS_OUTGOING, 40)], 1)
    assert lines_of(quote) == [("customer_lookup_fee", None, 1, 2500, 2500, "flat fee, as quoted and accepted")]
    assert (quote.total_cents, quote.currency) == (2500, "USD")
    assert quote.basis == "carrier policy (47 CFR 64.2010 lookup): flat fee quoted before any search"


@pytest.mark.parametrize("accepted", [1800, 0])
def test_a_customer_lookup_bills_the_fee_the_customer_accepted(accepted):
    quote = quote_invoice(T.CUSTOMER_CALL_LOOKUP, [], 1, customer_fee_cents=accepted)
    assert lines_of(quote) == [("customer_lookup_fee", None, 1, accepted, accepted, "flat fee, as quoted and accepted")]
    assert quote.total_cents == accepted


@pytest.mark.parametrize(("request_type", "basis"), [
    (T.EMERGENCY, "carrier policy: emergency requests are not charged"),
    (T.PRESERVATION, "carrier policy: preservation under 18 U.S.C. 2703(f) is not charged; nothing is produced"),
    (T.NATIONAL_SECURITY_LETTER, "no charge: 18 U.S.C. 2706 does not reach national security letters "
                                 "under 18 U.S.C. 2709"),
])
def test_emergency_preservation_and_letters_are_free(request_type, basis):
    quote = quote_invoice(request_type, [(C.SUBSCRIBER_INFO, 1), (C.INTERNET_SESSIONS, 2500)], 2, 5)
    assert (quote.lines, quote.total_cents, quote.basis) == ([], 0, basis)


@pytest.mark.parametrize(("request_type", "basis"), [
    (T.PEN_REGISTER, "18 U.S.C. 3124(c): reasonable expenses of providing the facilities and technical assistance"),
    (T.TITLE3_WIRETAP, "18 U.S.C. 2518(4): reasonable expenses of providing the facilities and technical assistance"),
])
def test_assistance_is_provisioning_once_and_each_day(request_type, basis):
    # $250.00 provisioning + 12 days x $15.00 = $250.00 + $180.00 = $430.00
    quote = quote_invoice(request_type, [(C.PEN_TRAP, 9000)], 1, 12)
    assert lines_of(quote) == [("provisioning", None, 1, 25000, 25000, "switch provisioning"),
                               ("assistance_day", None, 12, 1500, 18000, "days of collection")]
    assert (quote.total_cents, quote.basis) == (43000, basis)


def test_assistance_without_days_is_provisioning_only():
    quote = quote_invoice(T.PEN_REGISTER, [], 1)
    assert lines_of(quote)[1] == ("assistance_day", None, 0, 1500, 0, "days of collection")
    assert quote.total_cents == 25000


def test_assistance_days_cannot_be_negative():
    with pytest.raises(ValueError, match=r"^days of assistance cannot be negative \(got -1\)$"):
        quote_invoice(T.TITLE3_WIRETAP, [], 1, -1)


def test_a_2703_subpoena_pays_for_billing_records_and_not_for_toll_records():
    # search 1 x $40.00 (billable: billing records are reimbursable)
    # call_records_outgoing: assembly $25.00 and 3 blocks of 1,000 rows x $5.00, both 0 (2706(c))
    # billing_records: assembly $25.00, 1 block (1,000 rows) x $5.00
    # total $40.00 + $25.00 + $5.00 = $70.00
    quote = quote_invoice(T.SUBPOENA, [(C.CALL_RECORDS_OUTGOING, 2001), (C.BILLING_RECORDS, 1000)], 1)
    assert lines_of(quote) == [
        ("search", None, 1, 4000, 4000, ""),
        ("assembly", C.CALL_RECORDS_OUTGOING, 1, 2500, 0, TOLL),
        ("reproduction", C.CALL_RECORDS_OUTGOING, 3, 500, 0, TOLL),
        ("assembly", C.BILLING_RECORDS, 1, 2500, 2500, ""),
        ("reproduction", C.BILLING_RECORDS, 1, 500, 500, ""),
    ]
    assert (quote.total_cents, quote.currency, quote.basis) == (7000, "USD", BASIS_2706)


@pytest.mark.parametrize("request_type", [T.SUBPOENA, T.COURT_ORDER, T.SEARCH_WARRANT])
def test_a_search_finding_only_toll_records_and_listings_is_free(request_type):
    quote = quote_invoice(request_type, [(C.SUBSCRIBER_INFO, 1), (C.CALL_RECORDS_INCOMING, 1001)], 2,
                          target_kinds=frozenset({TargetKind.PHONE_NUMBER}))
    assert lines_of(quote) == [
        ("search", None, 2, 4000, 0, TOLL),
        ("assembly", C.SUBSCRIBER_INFO, 1, 2500, 0, TOLL),
        ("reproduction", C.SUBSCRIBER_INFO, 1, 500, 0, TOLL),
        ("assembly", C.CALL_RECORDS_INCOMING, 1, 2500, 0, TOLL),
        ("reproduction", C.CALL_RECORDS_INCOMING, 2, 500, 0, TOLL),
    ]
    assert (quote.total_cents, quote.basis) == (0, BASIS_2706)


@pytest.mark.parametrize("kind", [TargetKind.IP_ADDRESS, TargetKind.EMAIL])
def test_subscriber_information_found_by_ip_or_email_is_not_a_listing(kind):
    # search 1 x $40.00 + assembly $25.00 + 1 block $5.00 = $70.00
    quote = quote_invoice(T.COURT_ORDER, [(C.SUBSCRIBER_INFO, 1)], 1,
                          target_kinds=frozenset({kind, TargetKind.PHONE_NUMBER}))
    assert lines_of(quote) == [("search", None, 1, 4000, 4000, ""),
                               ("assembly", C.SUBSCRIBER_INFO, 1, 2500, 2500, ""),
                               ("reproduction", C.SUBSCRIBER_INFO, 1, 500, 500, "")]
    assert quote.total_cents == 7000


def test_a_fisa_order_pays_for_toll_records_under_its_own_clause():
    # search 2 x $40.00 + assembly $25.00 + 1 block $5.00 = $110.00
    quote = quote_invoice(T.FISA_ORDER, [(C.CALL_RECORDS_OUTGOING, 999)], 2)
    assert lines_of(quote) == [("search", None, 2, 4000, 8000, ""),
                               ("assembly", C.CALL_RECORDS_OUTGOING, 1, 2500, 2500, ""),
                               ("reproduction", C.CALL_RECORDS_OUTGOING, 1, 500, 500, "")]
    assert (quote.total_cents, quote.basis) == (11000, BASIS_FISA)


def test_a_civil_subpoena_pays_the_civil_schedule_for_everything():
    # search 2 x $75.00; per category assembly $50.00 and $10.00 per 1,000 rows (toll records too):
    # $150.00 + ($50.00 + 2 x $10.00) + ($50.00 + 1 x $10.00) = $280.00
    quote = quote_invoice(T.SUBPOENA, [(C.CALL_RECORDS_OUTGOING, 1500), (C.SUBSCRIBER_INFO, 1)], 2,
                          civil_party="Smith & Jones LLP")
    billed = "billed to the requesting party: Smith & Jones LLP"
    assert lines_of(quote) == [
        ("search", None, 2, 7500, 15000, billed),
        ("assembly", C.CALL_RECORDS_OUTGOING, 1, 5000, 5000, ""),
        ("reproduction", C.CALL_RECORDS_OUTGOING, 2, 1000, 2000, ""),
        ("assembly", C.SUBSCRIBER_INFO, 1, 5000, 5000, ""),
        ("reproduction", C.SUBSCRIBER_INFO, 1, 1000, 1000, ""),
    ]
    assert (quote.total_cents, quote.basis) == (28000, BASIS_CIVIL)


def test_a_civil_party_on_a_court_order_changes_nothing():
    quote = quote_invoice(T.COURT_ORDER, [(C.CALL_RECORDS_OUTGOING, 10)], 1, civil_party="Smith & Jones LLP")
    assert (quote.total_cents, quote.basis) == (0, BASIS_2706)


def test_nothing_found_bills_the_search_of_no_target():
    quote = quote_invoice(T.SEARCH_WARRANT, [(C.CELL_SITE_LOCATION, 0)], 0)
    assert lines_of(quote) == [("search", None, 0, 4000, 0, ""),
                               ("assembly", C.CELL_SITE_LOCATION, 1, 2500, 2500, ""),
                               ("reproduction", C.CELL_SITE_LOCATION, 0, 500, 0, "")]
    assert quote.total_cents == 2500


@pytest.mark.parametrize(("delivered", "targets"), [([], -1), ([(C.BILLING_RECORDS, -1)], 1),
                                                     ([(C.BILLING_RECORDS, 5), (C.PAYMENT_INFO, -3)], 1)])
def test_negative_counts_are_refused(delivered, targets):
    with pytest.raises(ValueError, match=r"^target_count and row counts cannot be negative$"):
        quote_invoice(T.SUBPOENA, delivered, targets)


# --- the request model reports an identifier's fault at its field ---------------------------

SUBPOENA = json.loads((EXAMPLES / "subpoena.json").read_text())


def only_error(raw: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        parse_request(raw)
    errors = caught.value.errors()
    assert len(errors) == 1, errors
    return errors[0]


@pytest.mark.parametrize("field", ["request_id", "follow_up_of", "preservation_ref"])
def test_an_ill_formed_request_id_is_a_problem_of_its_field(field):
    raw = copy.deepcopy(SUBPOENA) | {field: "../LES-1"}
    error = only_error(raw)
    assert (error["type"], error["loc"], error["msg"]) == (
        "invalid_field", (field,), f"'../LES-1' is not well-formed; a request_id is {RULE}")


@pytest.mark.parametrize("field", ["follow_up_of", "preservation_ref"])
def test_a_well_formed_reference_is_kept(field):
    assert getattr(parse_request(copy.deepcopy(SUBPOENA) | {field: "LES-2026-000099"}), field) == "LES-2026-000099"


def test_an_extension_names_a_well_formed_request():
    raw = copy.deepcopy(SUBPOENA)
    raw["legal_process"]["extension_of"] = ""
    error = only_error(raw)
    assert (error["type"], error["loc"], error["msg"]) == (
        "invalid_field", ("legal_process", "extension_of"), f"empty; a request_id is {RULE}")
    raw["legal_process"]["extension_of"] = "LES-2026-000098"
    assert parse_request(raw).legal_process.extension_of == "LES-2026-000098"


def test_a_jurisdiction_fault_is_a_problem_of_its_field():
    raw = copy.deepcopy(SUBPOENA)
    raw["legal_process"]["jurisdiction"] = "state:ZZ"
    error = only_error(raw)
    assert (error["type"], error["loc"], error["msg"]) == (
        "invalid_field", ("legal_process", "jurisdiction"),
        "'state:ZZ' names no US state, DC or territory; use 'federal' or 'state:XX' with a USPS code "
        "(e.g. state:CO, state:DC, state:PR)")
    assert parse_request(SUBPOENA).legal_process.jurisdiction == "state:CO"


def test_a_document_name_fault_is_a_problem_of_its_field():
    raw = copy.deepcopy(SUBPOENA)
    raw["documents"][0]["name"] = "../subpoena.pdf"
    error = only_error(raw)
    assert (error["type"], error["loc"], error["msg"]) == (
        "invalid_field", ("documents", 0, "name"),
        f"'../subpoena.pdf' is {PLAIN}")
    assert error["ctx"] == {"fault": f"'../subpoena.pdf' is {PLAIN}"}
    assert Document(name="subpoena-GJ-2026-0457.pdf", sha256="0" * 64).name == "subpoena-GJ-2026-0457.pdf"


# --- the "no responsive records" letter beside a production, with nothing named -------------

def test_a_letter_beside_a_production_with_little_named():
    from domain.letter import letter_text
    from domain.targets import TargetMatch, TargetProblem, TargetResolution

    denver = timezone(timedelta(hours=-7))
    resolution = TargetResolution(
        searched_at=datetime(2026, 11, 28, 2, 30, tzinfo=denver), period_start=None, period_end=None,
        targets=[TargetMatch(index=0, kind="account_number", value="ACC-9", accounts=["ACC-9"]),
                 TargetMatch(index=1, kind="email", value="x@example.org", problem=TargetProblem.NOT_FOUND)])
    text = letter_text(request={"request_id": "R-2", "type": "court_order"}, production_id="R-2-P01",
                       produced_at=datetime(2026, 11, 28, 20, 0, tzinfo=denver), resolution=resolution,
                       confirmed_by={"legal": "mlee", "analyst": "jdoe"}, produced_for_others=True,
                       custodian_name="Dana Whitfield", custodian_title="Custodian of Records",
                       carrier_name="Example Carrier")
    head, _, tail = text.partition("2. For these targets")
    assert head == """\
NO RESPONSIVE RECORDS
Letter of the custodian of records of Example Carrier

Request:            R-2 (court_order)
Legal process:      (none), issued by (not applicable)
Requester:          (not named), (no agency)
Records asked for:  (none)
Period searched:    the earliest record to the latest record
Searched at:        2026-11-28T09:30:00Z
Production:         R-2-P01, produced 2026-11-29T03:00:00Z

I, Dana Whitfield, Custodian of Records of Example Carrier, state that:

1. On 2026-11-28T09:30:00Z the carrier's systems of record were searched for each target
   below, as described beside it, for the period above.
"""
    assert "  targets[0]" not in tail and "  targets[1] email x@example.org\n" in tail
    assert "      found:    no subscriber account of the carrier has this email\n" in tail
    assert """
3. Records responsive to the request's other targets are produced in R-2-P01,
   under the certificate of authenticity delivered with them.
4. The result of the search was reviewed and confirmed by jdoe (analyst), mlee (legal) before this letter
   was issued.
""" in tail
    assert "\nExecuted on 2026-11-29.\n" in tail
    lonely = letter_text(request={}, production_id="R-3-P01", produced_at=NOW_UTC, resolution=resolution,
                         confirmed_by={}, produced_for_others=False, custodian_name="D", custodian_title="C",
                         carrier_name="E")
    assert "Request:            None (None)\n" in lonely
    assert "confirmed by (no one) before this letter" in lonely
    assert "\n3. No target of the request matched a subscriber: no records are produced in response to it.\n" in lonely


NOW_UTC = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_unresolved_targets_are_warnings_naming_the_target_and_why():
    from domain.targets import TargetMatch, TargetProblem, TargetResolution

    resolution = TargetResolution(searched_at=NOW_UTC, period_start=None, period_end=None, targets=[
        TargetMatch(index=0, kind="phone_number", value="+13035550123", accounts=["ACC-1"]),
        TargetMatch(index=1, kind="ip_address", value="192.0.2.1", observed_at=NOW_UTC, port=5000,
                    subscribers_sharing=3, problem=TargetProblem.SHARED_ADDRESS)])
    assert [(p.code, p.message, p.fatal) for p in resolution.problems()] == [(
        "shared_address",
        "targets[1]: 192.0.2.1: the address was shared by 3 subscribers behind carrier-grade NAT at that "
        "instant and no subscriber's port block covers port 5000, so it names none of them; nothing is "
        "produced for it", False)]
    assert resolution.nothing_resolved is False


# --- the printed pre-screen: secrecy and invisible characters ---------------------------------

def test_the_pre_screen_prints_the_secrecy_and_shows_invisible_characters():
    from domain.secrecy import Nondisclosure
    from domain.verification import CheckResult
    from domain.vocabulary import Verdict

    chicago = timezone(timedelta(hours=-6))
    gagged = CheckResult(request_id="LES-9\u200b", type="subpoena", verdict=Verdict.ACCEPT,
                         nondisclosure=Nondisclosure(basis="18 U.S.C. 2705(b) order",
                                                     until=datetime(2027, 5, 1, 17, 0, tzinfo=chicago)))
    assert gagged.render_text() == (
        "ACCEPT  LES-9\\u200b (subpoena)\n"
        "permitted: none\n"
        "secrecy: until 2027-05-01T23:00:00Z (18 U.S.C. 2705(b) order)\n"
        "approvals required: none")
    bound = CheckResult(request_id="LES-9", type="pen_register\x07\u2028", verdict=Verdict.REJECT,
                        nondisclosure=Nondisclosure(basis="18 U.S.C. 3123(d)", until=None))
    assert bound.render_text() == (
        "REJECT  LES-9 (pen_register\\x07\\u2028)\n"
        "permitted: none\n"
        "secrecy: until a court orders otherwise (18 U.S.C. 3123(d))\n"
        "approvals required: none")


# --- Title III's first interception (18 U.S.C. 2518(5)), FISA's term, secrecy, NSL signers ---

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


def test_a_fisa_order_runs_its_stated_term_at_most_a_year():
    from domain.clocks import fisa_expiry

    entered = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
    # 60 days: 5 of November, 31 of December, 24 of January.
    assert fisa_expiry(entered, 60) == datetime(2027, 1, 24, 21, 0, tzinfo=UTC)
    # No term: 90 days (5 + 31 + 31 + 23).
    assert fisa_expiry(entered) == datetime(2027, 2, 23, 21, 0, tzinfo=UTC)
    assert fisa_expiry(entered, 400) == datetime(2027, 11, 25, 21, 0, tzinfo=UTC)


def secrecy_notes_of(request_type: str, **process) -> list[tuple[str, str]]:
    from domain.secrecy import secrecy_notes

    raw = copy.deepcopy(SUBPOENA) | {"type": request_type}
    raw["legal_process"].update(process)
    return secrecy_notes(parse_request(raw))


def test_a_nondisclosure_date_with_no_order_behind_it_is_a_warning():
    assert secrecy_notes_of("subpoena", issuer_kind="attorney", nondisclosure_until="2027-06-01T00:00:00Z") == [(
        "nondisclosure_without_basis",
        "legal_process.nondisclosure_until: a subpoena from an attorney carries no 2705(b) order; "
        "the date binds nothing (carrier policy still decides customer notice)")]
    assert secrecy_notes_of("preservation", issuer_kind="agency", nondisclosure_until="2027-06-01T00:00:00Z") == [(
        "nondisclosure_without_basis",
        "legal_process.nondisclosure_until: a preservation carries no 2705(b) order; "
        "the date binds nothing (carrier policy still decides customer notice)")]


def test_a_nondisclosure_date_on_an_order_that_can_impose_it_is_no_warning():
    assert secrecy_notes_of("subpoena", nondisclosure_until="2027-06-01T00:00:00Z") == []
    assert secrecy_notes_of("title3_wiretap", nondisclosure_until="2027-06-01T00:00:00Z") == []
    assert secrecy_notes_of("preservation") == []
    from domain.secrecy import secrecy_notes

    assert secrecy_notes(parse_request(copy.deepcopy(SUBPOENA) | {"legal_process": None})) == []


NSL_RULE = ("18 U.S.C. 2709(b): the Director of the FBI or a designee no lower than Deputy Assistant "
            "Director at headquarters or a Special Agent in Charge of a field office")


def test_the_longest_title_in_a_signature_wins():
    from domain.signers import NSL_SIGNER_TITLES, titles_in

    assert [t.title for t in titles_in("Assistant Special Agent in Charge R. Roe", NSL_SIGNER_TITLES)] == [
        "assistant special agent in charge"]
    assert [t.title for t in titles_in("R. Roe, Special Agent in Charge, Denver", NSL_SIGNER_TITLES)] == [
        "special agent in charge"]


@pytest.mark.parametrize(("signed_by", "fault"), [
    ("Special Agent J. Roe for the SAC", f"signed by 'Special Agent J. Roe for the SAC', a special agent; "
                                         f"a letter is signed under {NSL_RULE}"),
    ("SSA J. Roe, Special Agent", f"signed by 'SSA J. Roe, Special Agent', a special agent; "
                                  f"a letter is signed under {NSL_RULE}"),
    ("J. Roe", f"'J. Roe' names no rank of the signer's own; a letter is signed under {NSL_RULE}"),
    ("J. Roe, SAC Denver", None),
    ("", None),
])
def test_who_signs_a_national_security_letter(signed_by, fault):
    from domain.signers import nsl_signer_fault

    assert nsl_signer_fault(signed_by) == fault


# --- what an unreadable document is still named by; the manifest's targets and letter --------

def test_an_unreadable_document_keeps_only_readable_names():
    from domain.verification import verify_request

    result = verify_request({"request_id": "LES-1", "type": "sub\ud800poena", "requester": {"name": "\ud800"}})
    assert (result.request_id, result.type, str(result.verdict)) == ("LES-1", None, "reject")
    result = verify_request({"request_id": "LES-\udc00", "type": "subpoena", "x": "\ud800"})
    assert (result.request_id, result.type) == (None, "subpoena")
    assert verify_request({"request_id": 7, "type": ["subpoena"], "x": "\ud800"}).request_id is None


def test_the_manifest_lists_resolved_targets_and_the_letter_apart():
    from domain.production import manifest_bytes

    request = {"request_id": "R-1", "type": "subpoena", "targets": [{"kind": "phone_number", "value": "+13035550123"}]}
    common = {"request": request, "production_id": "R-1-P01", "produced_at": NOW_UTC, "files": [], "refused": [],
              "approved_by": {"analyst": "jdoe"}}
    plain = json.loads(manifest_bytes(**common))
    assert plain["targets"] == ["+13035550123"] and "no_responsive_records_letter" not in plain
    resolved = [{"kind": "phone_number", "value": "+13035550123", "accounts": [], "produced": False}]
    letter = {"file": "R-1-P01-no-responsive-records.txt", "sha256": "0" * 64}
    both = json.loads(manifest_bytes(**common, targets=resolved, letter=letter))
    assert both["targets"] == resolved and both["no_responsive_records_letter"] == letter
    assert json.loads(manifest_bytes(**common, targets=[]))["targets"] == []
