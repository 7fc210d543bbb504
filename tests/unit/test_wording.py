"""What people read, written out by hand: the pre-screen as `starter.py check` prints it, every
problem's sentence, invoice lines, the manifest and the FRE 902(11)/(14) certificate; and the
boundaries of the clocks and fees. Fast and offline; these tests kill the mutants of domain/ that
the rule tables alone do not (docs/testing.md, mutation report)."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from domain.clocks import deadlines, preservation_expiry
from domain.fees import assistance_lines, quote_invoice
from domain.production import certificate_text, manifest_bytes, sha256_hex, utc_text
from domain.request import parse_request
from domain.verification import UnreadableRequest, read_request_file, verify_request
from domain.vocabulary import RecordCategory as C
from domain.vocabulary import RequestType
from tests.conftest import EXAMPLES
from tests.unit.test_policy import build

SUBPOENA_REFUSAL = ("voicemail_content is stored content: it needs a search warrant (18 U.S.C. 2703(a)); "
                    "a subpoena reaches only 2703(c)(2) records")


def text_of(raw: dict) -> str:
    return verify_request(raw).render_text()


# ---- the pre-screen as printed -----------------------------------------------------------------


def test_the_example_subpoena_as_printed():
    assert text_of(json.loads((EXAMPLES / "subpoena.json").read_text())) == f"""\
PARTIAL  LES-2026-000101 (subpoena)
permitted: subscriber_info, call_records_outgoing, call_records_incoming
refused:
  - voicemail_content: {SUBPOENA_REFUSAL}
deadlines:
  - response_due: 2026-12-11T00:00:00Z
  - reminder_at: 2026-12-08T00:00:00Z
checked in the workflow: documents_on_file, jurisdiction_binds_targets, requester_verified
approvals required: analyst"""


def test_a_preservation_is_printed_as_what_is_preserved():
    # received 2026-11-20T14:05Z; 90 days later is 2027-02-18
    assert text_of(build("preservation", ["subscriber_info"])) == """\
ACCEPT  LES-TEST-preservation (preservation)
to preserve: subscriber_info
deadlines:
  - expires_at: 2027-02-18T14:05:00Z
checked in the workflow: documents_on_file, requester_verified
approvals required: analyst"""


def test_a_rejected_subpoena_accounts_for_every_category_and_every_problem():
    raw = build("subpoena", ["subscriber_info", "voicemail_content"])
    del raw["legal_process"]["signed_by"]
    raw["targets"] = []
    assert text_of(raw) == f"""\
REJECT  LES-TEST-subpoena (subpoena)
permitted: none
refused:
  - subscriber_info: not produced: the request is rejected (unsigned, no_targets)
  - voicemail_content: {SUBPOENA_REFUSAL}
problems:
  - unsigned (fatal): legal_process.signed_by: the subpoena is not signed (signed_by missing); an unsigned \
instrument is not legal process
  - no_targets (fatal): targets: no target is named
deadlines:
  - response_due: 2026-12-10T17:00:00Z
  - reminder_at: 2026-12-07T17:00:00Z
checked in the workflow: documents_on_file, requester_verified
approvals required: analyst"""


def test_a_customer_lookup_that_is_wrong_everywhere_says_so_field_by_field():
    raw = build("customer_call_lookup", [])
    del raw["customer"], raw["period"]
    raw["legal_process"] = build("subpoena")["legal_process"]
    raw["targets"] = []
    assert text_of(raw) == """\
REJECT  LES-TEST-customer_call_lookup (customer_call_lookup)
permitted: none
problems:
  - unexpected_legal_process (fatal): legal_process: a customer call lookup carries no legal process; a legal \
demand is a request of its own type
  - missing_customer (fatal): customer: a customer call lookup needs the customer block (account_number and \
authentication)
  - missing_period (fatal): period: a customer_call_lookup for stored records must name the period (start and \
end) they cover
  - no_targets (fatal): targets: no target is named
  - no_records (fatal): records: no record category is asked for
checked in the workflow: documents_on_file
approvals required: analyst"""


def test_emergency_warnings_and_defects_as_printed():
    raw = build("emergency", ["subscriber_info"])
    raw["emergency"]["callback"]["source"] = "provided_by_requester"
    # 48 h after receipt at 2026-11-20T14:05Z
    assert text_of(raw) == """\
ACCEPT  LES-TEST-emergency (emergency)
permitted: subscriber_info
problems:
  - callback_not_independent (warning): emergency.callback.source: the callback number was provided by the \
requester; nothing is disclosed until a callback to an independently sourced number of the agency is verified
deadlines:
  - follow_up_legal_process_due: 2026-11-22T14:05:00Z
checked in the workflow: documents_on_file, requester_verified
approvals required: analyst, supervisor"""
    spec = verify_request(raw).spec_dict()
    assert spec["problems"][0]["message"].startswith("warning: emergency.callback.source: ")
    missing = build("emergency", ["subscriber_info"])
    del missing["emergency"]
    assert [p.message for p in verify_request(missing).problems] == [
        "emergency: an emergency request needs the emergency block (justification, danger, callback)"]
    assert verify_request(missing).spec_dict()["problems"][0]["message"].startswith("emergency: an emergency")


def test_a_document_that_is_not_even_a_request_is_named_by_what_it_lacks():
    assert verify_request({}).render_text() == """\
REJECT  (no request_id) (no type)
permitted: none
problems:
  - missing_field (fatal): request_id: required field is missing
  - missing_field (fatal): type: required field is missing
  - missing_field (fatal): received_at: required field is missing
  - missing_field (fatal): requester: required field is missing
approvals required: none"""
    assert [p.message for p in verify_request([]).problems] == [
        "request: must be a JSON object ({...}), not a list"]


def test_an_instrument_missing_both_signature_fields_names_both():
    raw = build("subpoena", ["subscriber_info"])
    del raw["legal_process"]["signed_by"], raw["legal_process"]["signed_at"]
    assert [p.message for p in verify_request(raw).problems] == [
        "legal_process.signed_by: the subpoena is not signed (signed_by and signed_at missing); an unsigned "
        "instrument is not legal process"]


@pytest.mark.parametrize("kind,records,message", [
    ("subpoena", ["voicemail_content"],
     "records: no category asked for may be produced on a subpoena; nothing will be done"),
    ("preservation", ["pen_trap"],
     "records: no category asked for may be preserved on a preservation; nothing will be done"),
])
def test_nothing_permitted_says_what_would_have_been_done(kind, records, message):
    result = verify_request(build(kind, records))
    assert [(p.code, p.fatal, p.message) for p in result.problems] == [("nothing_permitted", True, message)]


def test_who_may_issue_and_who_may_ask_are_listed():
    subpoena = build("subpoena", ["subscriber_info"])
    subpoena["legal_process"]["issuer_kind"] = "fisc"
    warrant = build("search_warrant", ["subscriber_info"])
    warrant["requester"]["kind"] = "attorney"
    assert [p.message for p in verify_request(subpoena).problems] == [
        "legal_process.issuer_kind: a subpoena cannot be issued by 'fisc'; it is issued by: agency, attorney, "
        "court, grand_jury"]
    assert [p.message for p in verify_request(warrant).problems] == [
        "requester.kind: a search_warrant cannot come from a requester of kind 'attorney'; allowed: government, "
        "law_enforcement"]


def test_missing_issued_at_explains_why_it_matters():
    raw = build("pen_register", ["pen_trap"])
    del raw["legal_process"]["issued_at"]
    assert [p.message for p in verify_request(raw).problems] == [
        "legal_process.issued_at: a pen_register runs from the day it is entered; without that date its "
        "expiry cannot be known"]


# ---- schema problems -------------------------------------------------------------------------


def test_a_value_of_the_wrong_kind_is_quoted_back_a_rule_broken_is_explained():
    wrong_kind = build("subpoena", ["subscriber_info"])
    wrong_kind["requester"]["kind"] = "robot"
    wrong_type = build("subpoena", ["subscriber_info"])
    wrong_type["legal_process"]["duration_days"] = "60"
    bad_phone = build("subpoena", ["subscriber_info"])
    bad_phone["targets"][0]["value"] = "3035550123"
    assert [(p.code, p.message) for p in verify_request(wrong_kind).problems] == [(
        "invalid_field",
        "requester.kind: 'robot' is not one of 'law_enforcement', 'government', 'attorney' or 'customer'")]
    assert [(p.code, p.message) for p in verify_request(wrong_type).problems] == [(
        "invalid_field", "legal_process.duration_days: must be a whole number, not text")]
    # the model's own rule already names the value: it is not quoted twice
    assert [(p.code, p.message) for p in verify_request(bad_phone).problems] == [(
        "invalid_field", "targets[0].value: '3035550123' is not an E.164 number (+ and 8-15 ASCII digits)")]
    bad_callback = build("emergency", ["subscriber_info"])
    bad_callback["emergency"]["callback"]["number"] = "12345"
    assert [p.message for p in verify_request(bad_callback).problems] == [
        "emergency.callback.number: '12345' is not an E.164 number (+ and 8-15 ASCII digits)"]


def test_an_object_where_text_belongs_is_not_quoted_back():
    raw = build("subpoena", ["subscriber_info"])
    raw["requester"]["name"] = {"first": "Det."}
    assert [p.message for p in verify_request(raw).problems] == [
        "requester.name: must be text (a JSON string), not a JSON object"]


def test_the_model_reports_its_own_rules_as_invalid_field():
    raw = build("subpoena", ["subscriber_info"])
    raw["targets"][0]["value"] = "+1 303"
    with pytest.raises(ValueError, match=r"is not an E\.164 number") as caught:
        parse_request(raw)
    assert [e["type"] for e in caught.value.errors()] == ["invalid_field"]


def test_unknown_types_and_categories_list_the_valid_ones():
    unknown_type = build("subpoena", ["subscriber_info"])
    unknown_type["type"] = "letter"
    unknown_category = build("subpoena", ["subscriber_info", "dna"])
    assert verify_request(unknown_type).problems[0].message == (
        "type: 'letter' is not a request type; valid types: customer_call_lookup, subpoena, court_order, "
        "search_warrant, pen_register, title3_wiretap, national_security_letter, fisa_order, preservation, emergency")
    assert verify_request(unknown_category).problems[0].message == (
        "records[1]: 'dna' is not a record category; valid categories: subscriber_info, service_history, "
        "payment_info, call_records_outgoing, call_records_incoming, internet_sessions, billing_records, "
        "e911_records, voicemail_metadata, voicemail_content, cell_site_location, pen_trap, intercept_content")


@pytest.mark.parametrize("content,kind", [(b"true", "a boolean"), (b"[1]", "an array"), (b"null", "null")])
def test_a_file_that_is_json_but_not_an_object_says_what_it_is(tmp_path, content, kind):
    path = tmp_path / "request.json"
    path.write_bytes(content)
    with pytest.raises(UnreadableRequest, match=f": the top level is {kind}, not a JSON object$"):
        read_request_file(path)


def test_a_missing_file_gives_the_system_s_reason(tmp_path):
    with pytest.raises(UnreadableRequest, match=r"cannot read the file \(No such file or directory\)$"):
        read_request_file(tmp_path / "absent.json")


# ---- clocks at their edges, in UTC whatever the machine's zone --------------------------------


def test_due_at_the_moment_of_receipt_is_not_overdue_on_arrival():
    raw = build("subpoena", ["subscriber_info"])
    raw["legal_process"]["response_due"] = raw["received_at"]
    assert verify_request(raw).problems == []
    raw["legal_process"]["response_due"] = "2026-11-20T14:04:59Z"  # a second before receipt
    assert [(p.code, p.fatal, p.message) for p in verify_request(raw).problems] == [(
        "due_before_receipt", False,
        "legal_process.response_due 2026-11-20T14:04:59Z is before the request was received "
        "(2026-11-20T14:05:00Z); it is overdue on arrival")]


@pytest.fixture
def denver_local_time(monkeypatch):
    """The machine's local zone set to America/Denver (UTC-7 in winter) for the test."""
    monkeypatch.setenv("TZ", "America/Denver")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_clocks_stay_in_utc_on_a_machine_in_denver(denver_local_time):
    assert datetime(2026, 12, 1, 12, 0).astimezone().utcoffset() == timedelta(hours=-7)  # the zone took effect
    raw = build("subpoena", ["subscriber_info"])
    raw["legal_process"]["response_due"] = "2026-11-20T07:04:59-07:00"
    clocks = deadlines(parse_request(raw))
    assert clocks["response_due"].utcoffset() == timedelta(0)
    assert clocks["reminder_at"].isoformat() == "2026-11-17T14:04:59+00:00"
    assert "response_due 2026-11-20T14:04:59Z is before" in verify_request(raw).problems[0].message
    assert verify_request(raw).spec_dict()["deadlines"]["response_due"] == "2026-11-20T14:04:59Z"
    assert utc_text(datetime(2026, 11, 20, 7, 4, 59, tzinfo=UTC) - timedelta(hours=7)) == "2026-11-20T00:04:59Z"


def test_a_negative_renewal_count_is_refused_with_its_reason():
    with pytest.raises(ValueError, match=r"renewals cannot be negative \(got -1\)"):
        preservation_expiry(datetime(2026, 11, 20, tzinfo=UTC), -1)


# ---- fees: every line as the invoice shows it --------------------------------------------------


def test_assistance_lines_name_their_items():
    # 18 U.S.C. 3124(c): provisioning 250.00 once, 15.00 a day of collection
    assert [(x.item, x.quantity, x.unit_cents, x.amount_cents, x.note) for x in assistance_lines(3)] == [
        ("provisioning", 1, 25000, 25000, "switch provisioning"),
        ("assistance_day", 3, 1500, 4500, "days of collection"),
    ]
    assert quote_invoice(RequestType.PEN_REGISTER, [], 1).total_cents == 25000  # no days given: provisioning only
    assert assistance_lines(0)[1].amount_cents == 0
    with pytest.raises(ValueError, match=r"days of assistance cannot be negative \(got -1\)"):
        assistance_lines(-1)


def test_the_customer_fee_line_and_a_toll_only_search_explain_themselves():
    fee = quote_invoice(RequestType.CUSTOMER_CALL_LOOKUP, [(C.CALL_RECORDS_OUTGOING, 40)], 1).lines
    assert [(x.item, x.amount_cents, x.note) for x in fee] == [
        ("customer_lookup_fee", 2500, "flat fee, as quoted and accepted")]
    toll = quote_invoice(RequestType.SUBPOENA, [(C.CALL_RECORDS_INCOMING, 10)], 1).lines
    assert toll[0].item == "search" and toll[0].amount_cents == 0
    assert toll[0].note == "telephone toll records and listings are not reimbursable (18 U.S.C. 2706(c))"


def test_counts_at_zero_are_priced_and_below_zero_refused():
    assert quote_invoice(RequestType.COURT_ORDER, [(C.BILLING_RECORDS, 0)], 0).total_cents == 2500  # assembly only
    for target_count, rows in ((-1, 0), (1, -1)):
        with pytest.raises(ValueError, match=r"^target_count and row counts cannot be negative$"):
            quote_invoice(RequestType.COURT_ORDER, [(C.BILLING_RECORDS, rows)], target_count)


# ---- the production: manifest and certificate ----------------------------------------------------

PRODUCED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
REQUEST = {"request_id": "R-1", "type": "subpoena", "requester": {"agency": "Denver PD"},
           "legal_process": {"reference": "GJ-1", "issued_by": "Denver County Grand Jury"},
           "targets": [{"kind": "phone_number", "value": "+13035550123"}],
           "period": {"start": "2026-06-01T00:00:00Z", "end": "2026-08-31T23:59:59Z"}}
FILES = [{"name": "subscriber_info.csv", "rows": 2, "sha256": "ab" * 32},
         {"name": "field_legend.csv", "rows": 17, "sha256": "ef" * 32}]


def test_the_manifest_is_sorted_indented_json_with_a_final_newline():
    data = manifest_bytes(request=REQUEST, production_id="R-1-P01", produced_at=PRODUCED, files=FILES,
                          refused=[{"category": "voicemail_content", "reason": "needs a warrant"}],
                          approved_by={"analyst": "jdoe"})
    assert data.decode() == """{
  "approved_by": {
    "analyst": "jdoe"
  },
  "files": [
    {
      "name": "subscriber_info.csv",
      "rows": 2,
      "sha256": "abababababababababababababababababababababababababababababababab"
    },
    {
      "name": "field_legend.csv",
      "rows": 17,
      "sha256": "efefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefef"
    }
  ],
  "issued_by": "Denver County Grand Jury",
  "legal_process_reference": "GJ-1",
  "period": {
    "end": "2026-08-31T23:59:59Z",
    "start": "2026-06-01T00:00:00Z"
  },
  "produced_at": "2026-11-28T12:00:00Z",
  "production_id": "R-1-P01",
  "refused_categories": [
    {
      "category": "voicemail_content",
      "reason": "needs a warrant"
    }
  ],
  "request_id": "R-1",
  "request_type": "subpoena",
  "requester": {
    "agency": "Denver PD"
  },
  "targets": [
    "+13035550123"
  ],
  "timestamps": "every timestamp in these files is UTC (ISO 8601, Z)"
}
"""


def test_the_certificate_of_authenticity_word_for_word():
    text = certificate_text(request=REQUEST, production_id="R-1-P01", produced_at=PRODUCED,
                            manifest_sha256="cd" * 32, files=FILES, custodian_name="Dana Whitfield",
                            custodian_title="Custodian of Records", carrier_name="Example Carrier")
    assert text == f"""CERTIFICATE OF AUTHENTICITY OF BUSINESS RECORDS
Federal Rules of Evidence 902(11) and 902(14)

Request:            R-1 (subpoena)
Legal process:      GJ-1, issued by Denver County Grand Jury
Production:         R-1-P01, produced 2026-11-28T12:00:00Z
Manifest SHA-256:   {"cd" * 32}

I, Dana Whitfield, Custodian of Records of Example Carrier, certify that:

1. I am a custodian of records of Example Carrier, or am otherwise qualified by my duties
   to make this certification, and I am familiar with how its records are created and kept.
2. The records in this production were made at or near the time of the acts and events they
   record, by (or from information transmitted by) a person with knowledge of those matters;
   they were kept in the course of the regularly conducted business of Example Carrier; and
   making them was a regular practice of that business (FRE 803(6)(A)-(C), 902(11)).
3. The records were copied from the carrier's electronic systems of record by a process of
   digital identification: each file below is identified by its SHA-256 hash, listed in the
   manifest whose own SHA-256 is given above, and a copy matching these hashes is a true
   duplicate of the data retrieved (FRE 902(14)).

Files:
  subscriber_info.csv                           2 rows  sha256 {"ab" * 32}
  field_legend.csv                             17 rows  sha256 {"ef" * 32}

I declare under penalty of perjury under the laws of the United States of America that the
foregoing is true and correct.

Executed on 2026-11-28.

______________________________
Dana Whitfield
Custodian of Records
Example Carrier
"""


def test_names_stay_readable_in_the_manifest():
    request = {**REQUEST, "requester": {"name": "Det. José Núñez"}}
    data = manifest_bytes(request=request, production_id="P", produced_at=PRODUCED, files=[], refused=[],
                          approved_by={})
    assert '"name": "Det. José Núñez"' in data.decode("utf-8")  # UTF-8, not \u escapes


def test_the_certificate_is_dated_in_utc_on_a_machine_in_denver(denver_local_time):
    late_evening_in_denver = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 2026-11-27 20:00 in Denver
    text = certificate_text(request=REQUEST, production_id="R-1-P01", produced_at=late_evening_in_denver,
                            manifest_sha256="cd" * 32, files=FILES, custodian_name="A", custodian_title="B",
                            carrier_name="C")
    assert "Production:         R-1-P01, produced 2026-11-28T03:00:00Z\n" in text
    assert "Executed on 2026-11-28.\n" in text


def test_a_certificate_without_legal_process_says_so():
    text = certificate_text(request={"request_id": "R-2", "type": "customer_call_lookup"}, production_id="R-2-P01",
                            produced_at=PRODUCED, manifest_sha256="0" * 64, files=[], custodian_name="A",
                            custodian_title="B", carrier_name="C")
    assert "Legal process:      (none), issued by (not applicable)\n" in text


def test_sha256_hex_is_the_standard_digest():
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2
    assert hashlib.sha256(b"").hexdigest() == sha256_hex(b"")


# ---- the no responsive records letter ------------------------------------------------------------


def test_the_no_responsive_records_letter_names_each_target_what_was_searched_and_when():
    from domain.letter import letter_text
    from domain.targets import AddressSession, TargetMatch, TargetProblem, TargetResolution

    seen = datetime(2026, 7, 4, 12, 0, tzinfo=UTC)
    block = {"started_at": seen - timedelta(hours=2), "ended_at": seen + timedelta(hours=2), "account_number": None}
    resolution = TargetResolution(
        searched_at=datetime(2026, 11, 28, 9, 30, 15, tzinfo=UTC),
        period_start=datetime(2026, 6, 1, tzinfo=UTC), period_end=datetime(2026, 8, 31, 23, 59, 59, tzinfo=UTC),
        targets=[
            TargetMatch(index=0, kind="phone_number", value="+13035550999", problem=TargetProblem.NOT_FOUND),
            TargetMatch(index=1, kind="ip_address", value="192.0.2.1", observed_at=seen,
                        sessions=[AddressSession(port_start=1024, port_end=3023, **block),
                                  AddressSession(port_start=3024, port_end=5023, **block)],
                        subscribers_sharing=2, problem=TargetProblem.SHARED_ADDRESS),
        ],
    )
    request = {**REQUEST, "records": ["subscriber_info", "internet_sessions"],
               "requester": {"agency": "Denver PD", "name": "Det. Jane Roe"}}
    text = letter_text(request=request, production_id="R-1-P01", produced_at=PRODUCED, resolution=resolution,
                       confirmed_by={"analyst": "jdoe"}, produced_for_others=False, custodian_name="Dana Whitfield",
                       custodian_title="Custodian of Records", carrier_name="Example Carrier")
    assert text == """\
NO RESPONSIVE RECORDS
Letter of the custodian of records of Example Carrier

Request:            R-1 (subpoena)
Legal process:      GJ-1, issued by Denver County Grand Jury
Requester:          Det. Jane Roe, Denver PD
Records asked for:  subscriber_info, internet_sessions
Period searched:    2026-06-01T00:00:00Z to 2026-08-31T23:59:59Z
Searched at:        2026-11-28T09:30:15Z
Production:         R-1-P01, produced 2026-11-28T12:00:00Z

I, Dana Whitfield, Custodian of Records of Example Carrier, state that:

1. On 2026-11-28T09:30:15Z the carrier's systems of record were searched for each target
   below, as described beside it, for the period above.
2. For these targets the search found no subscriber, and so no records responsive to the request:

  targets[0] phone_number +13035550999
      searched: the assignment history of telephone numbers, for every holder during the period
      found:    the number was not assigned to any subscriber of the carrier during the period
  targets[1] ip_address 192.0.2.1 at 2026-07-04T12:00:00Z
      searched: Internet session records and carrier-grade NAT port allocations at the instant
                the address was observed
      found:    the address was shared by 2 subscribers behind carrier-grade NAT at that instant
                and the request gives no source port, so it names none of them

3. No target of the request matched a subscriber: no records are produced in response to it.
4. The result of the search was reviewed and confirmed by jdoe (analyst) before this letter
   was issued.

This letter is not a certificate of authenticity: it certifies no records, because none were
found for the targets above.

I declare under penalty of perjury under the laws of the United States of America that the
foregoing is true and correct.

Executed on 2026-11-28.

______________________________
Dana Whitfield
Custodian of Records
Example Carrier
"""
