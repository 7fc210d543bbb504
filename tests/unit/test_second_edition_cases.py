"""The adversarial corpus of the second edition (tests/cases/second_edition/): documents built to
slip through, and the corners LEGAL.md's second edition changed.

Each expectation is written by hand from LEGAL.md, SPEC §1-§2 and the statute cited beside it;
clock arithmetic is worked in the comments. Unless a case says otherwise a document is received
2026-11-20T14:05Z, its process signed and entered 2026-11-19T10:00Z, due 2026-12-10T17:00Z."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.verification import CheckResult, UnreadableRequest, read_request_file, verify_request

CORPUS = Path(__file__).resolve().parents[1] / "cases" / "second_edition"
A, AL, AS = ["analyst"], ["analyst", "legal"], ["analyst", "supervisor"]
FATAL, WARNING = True, False
DUE = {"response_due": "2026-12-10T17:00:00Z", "reminder_at": "2026-12-07T17:00:00Z"}
BAD = {"verdict": "reject", "permitted": [], "refused": []}
"""A document that is not well-formed: nothing is screened, only its defect is reported."""


def case(verdict, permitted=(), refused=(), problems=None, approvals=A, deadlines=None,
         nondisclosure="none", pending=None):
    """What `check --json` must say; `deadlines`, `nondisclosure`, `pending` only when given."""
    expected = {"verdict": verdict, "permitted": list(permitted), "refused": list(refused),
                "problems": problems or {}, "approvals": approvals}
    if deadlines is not None:
        expected["deadlines"] = deadlines
    if nondisclosure != "none":
        expected["nondisclosure"] = nondisclosure
    if pending is not None:
        expected["pending"] = pending
    return expected


def defect(code="invalid_field", approvals=A):
    return {**BAD, "problems": {code: FATAL}, "approvals": approvals}


def observed(result: CheckResult, expected: dict) -> dict:
    spec = result.spec_dict()
    seen = {"verdict": spec["verdict"], "permitted": spec["permitted"],
            "refused": [r["category"] for r in spec["refused"]],
            "problems": {p.code: p.fatal for p in result.problems}, "approvals": spec["approvals_required"]}
    if "deadlines" in expected:
        seen["deadlines"] = spec["deadlines"]
    if "nondisclosure" in expected:
        seen["nondisclosure"] = spec["nondisclosure"]
    if "pending" in expected:
        seen["pending"] = spec["pending_checks"]
    return seen


OUTCOMES = {
    # ---- SPEC §1: what a well-formed document is ---------------------------------------------
    "wf_request_id_traversal": defect(),                  # names delivery folders
    "wf_request_id_control_character": defect(),          # BEL inside the id
    "wf_document_name_dot_dot": defect(),                 # the workflow reads papers from that path
    "wf_document_name_nul": defect(),
    "wf_phone_arabic_indic_digits": defect(),             # Python's \d takes them; E.164 is ASCII
    "wf_phone_fullwidth_digits": defect(),
    "wf_phone_trailing_newline": defect(),                # Python's $ takes a trailing newline
    "wf_phone_seven_digits": defect(),                    # E.164: 8-15 digits
    "wf_received_at_unix_number": defect(),               # a number is not a timestamp
    "wf_signed_at_digits_in_a_string": defect(),          # nor a string of digits
    "wf_received_at_year_one": defect(),
    "wf_jurisdiction_state_zz": defect(),                 # no such state
    "wf_jurisdiction_lower_case": defect(),
    "wf_jurisdiction_trailing_newline": defect(),
    "wf_email_target_zero_width": defect(),               # would match no mailbox: an empty production
    # A 2703(d) order whose signature is only invisible characters is unsigned: not legal process.
    "wf_signature_one_zero_width_space": case(
        "reject", [], ["subscriber_info"], {"unsigned": FATAL}, deadlines=DUE),
    "wf_signature_direction_marks": case(
        "reject", [], ["subscriber_info"], {"unsigned": FATAL}, deadlines=DUE),
    # 2702(c)(4) and LEGAL.md: a blank justification is a defect.
    "wf_emergency_justification_spaces": defect("missing_field", AS),
    "wf_emergency_justification_zero_width": defect("missing_field", AS),
    # The same phone twice and one mailbox in two spellings: two targets.
    "wf_duplicate_targets_count_once": case("accept", ["subscriber_info"], deadlines=DUE),

    # ---- issuers and clocks ----------------------------------------------------------------------
    # Signed and entered 2027-03-02, received 2026-11-20: not legal process when served.
    "subpoena_issued_months_after_receipt": case(
        "reject", [], ["subscriber_info"], {"not_yet_issued": FATAL},
        deadlines={"response_due": "2027-03-30T17:00:00Z", "reminder_at": "2027-03-27T17:00:00Z"}),
    # 2518: interception 2026-11-18T22:00Z, before the order was entered 2026-11-19T10:00Z.
    "title3_interception_before_order": case(
        "reject", [], ["intercept_content"],
        {"interception_before_order": FATAL, "order_period_unstated": WARNING}, AL),
    # Entered 11-19T10:00Z, no interception by day ten: 30 days from 11-29T10:00Z end 12-29T10:00Z;
    # interception "beginning" 2027-01-05 is after the order expired.
    "title3_interception_after_expiry": case(
        "reject", [], ["intercept_content"],
        {"interception_after_expiry": FATAL, "order_period_unstated": WARNING}, AL,
        deadlines={"ten_day_mark": "2026-11-29T10:00:00Z", "expires_at": "2026-12-29T10:00:00Z"}),
    # First interception 11-28T10:00Z (before day ten): 30 days to 12-28T10:00Z. Secrecy is the
    # statute's (2511(2)(a)(ii)) with no end: the passed nondisclosure_until frees nothing.
    # Third edition: the order states no period, so it runs the statutory 30 days with a warning.
    "title3_secrecy_date_passed_frees_nothing": case(
        "accept", ["intercept_content", "pen_trap"], [], {"order_period_unstated": WARNING}, AL,
        deadlines={"ten_day_mark": "2026-11-29T10:00:00Z", "expires_at": "2026-12-28T10:00:00Z"},
        nondisclosure={"basis": "18 U.S.C. 2511(2)(a)(ii)", "until": None}),
    # The FISA cases name their section (third edition: 1805 content, 1842 pen/trap).
    # 1842(e)(1): no term stated, 90 days from 2026-11-19T10:00Z = 2027-02-17T10:00Z, with a warning.
    "fisa_pen_trap_no_term": case(
        "accept", ["pen_trap"], [], {"fisa_term_defaulted": WARNING}, AL,
        deadlines={"expires_at": "2027-02-17T10:00:00Z"},
        nondisclosure={"basis": "50 U.S.C. 1842(d)(2)(B)", "until": None}),
    # 730 days asked; the statute allows at most a year: 365 days to 2027-11-19T10:00Z.
    "fisa_term_of_two_years_capped": case(
        "accept", ["intercept_content"], [], {"duration_capped": WARNING}, AL,
        deadlines={"expires_at": "2027-11-19T10:00:00Z"},
        nondisclosure={"basis": "50 U.S.C. 1805(c)(2)(B)", "until": None}),
    "fisa_content_without_issued_at": case(
        "reject", [], ["intercept_content"], {"missing_issued_at": FATAL}, AL),
    # No return date: 14 days after receipt (carrier policy), 2026-12-04T14:05Z, reminded 72 h before.
    "search_warrant_without_return_date": case(
        "accept", ["voicemail_content"], [], {"response_due_defaulted": WARNING},
        deadlines={"response_due": "2026-12-04T14:05:00Z", "reminder_at": "2026-12-01T14:05:00Z"}),
    # 2709(b): a line agent or an ASAC is below the line; a DAD at headquarters is not.
    "nsl_signed_by_line_agent": case("reject", [], ["subscriber_info"], {"nsl_signer_rank": FATAL}, AL),
    "nsl_signed_by_asac": case("reject", [], ["subscriber_info"], {"nsl_signer_rank": FATAL}, AL),
    "nsl_deputy_assistant_director_secrecy_has_no_end": case(
        "accept", ["subscriber_info"], approvals=AL, deadlines=DUE,
        nondisclosure={"basis": "18 U.S.C. 2709(c)", "until": None}),
    # OLC 2008: name, address, length of service, toll billing records; no location, no bills.
    "nsl_beyond_olc_2008": case(
        "partial", ["service_history"], ["cell_site_location", "billing_records"], approvals=AL),
    "nsl_from_a_state": case("reject", [], ["subscriber_info"], {"wrong_jurisdiction": FATAL}, AL),
    # The period asked runs to 2027-01-31; records exist only up to receipt.
    "subpoena_period_past_receipt_is_cut": case(
        "accept", ["subscriber_info"], [], {"period_cut_at_receipt": WARNING}, deadlines=DUE),
    "subpoena_period_wholly_after_receipt": case(
        "reject", [], ["subscriber_info"], {"period_after_receipt": FATAL}),

    # ---- location after Carpenter --------------------------------------------------------------
    "court_order_cell_site_carpenter": case(
        "partial", ["subscriber_info", "e911_records"], ["cell_site_location"], deadlines=DUE),
    "subpoena_cell_site_carpenter": case(
        "reject", [], ["cell_site_location"], {"nothing_permitted": FATAL}),
    "emergency_cell_site_permitted": case(
        "accept", ["cell_site_location", "e911_records"], approvals=AS,
        deadlines={"follow_up_legal_process_due": "2026-11-22T14:05:00Z"}),
    "civil_subpoena_cell_site": case("partial", ["subscriber_info"], ["cell_site_location"]),
    "search_warrant_cell_site_and_e911": case("accept", ["cell_site_location", "e911_records"]),

    # ---- CalECPA (Cal. Penal Code 1546.1(b)) ------------------------------------------------------
    "calecpa_court_order": case(
        "partial", ["subscriber_info", "service_history"], ["billing_records", "call_records_outgoing"],
        pending=["documents_on_file", "jurisdiction_binds_targets", "requester_verified"]),
    "calecpa_grand_jury_payment_info": case(
        "reject", [], ["payment_info"], {"nothing_permitted": FATAL}),
    "calecpa_warrant_unlimited": case("accept", ["voicemail_content", "cell_site_location"]),
    # 3123(c)(1): 60 days from 2026-11-19T10:00Z = 2027-01-18T10:00Z.
    # Third edition: no period stated, so 3123(c)(1)'s 60 days with a warning.
    "calecpa_pen_register_unlimited": case(
        "accept", ["pen_trap"], [], {"order_period_unstated": WARNING},
        deadlines={"expires_at": "2027-01-18T10:00:00Z"}),

    # ---- secrecy and pending checks -------------------------------------------------------------
    # 2705(b) binds until its date: 2027-05-20T00:00-05:00 = 2027-05-20T05:00Z.
    "court_order_2705b_order_with_date": case(
        "accept", ["subscriber_info"],
        deadlines={**DUE, "nondisclosure_until": "2027-05-20T05:00:00Z"},
        nondisclosure={"basis": "18 U.S.C. 2705(b)", "until": "2027-05-20T05:00:00Z"}),
    # 2705(b) is the government's: a civil litigant's date binds nothing.
    "civil_subpoena_claims_secrecy": case(
        "accept", ["subscriber_info"], [], {"nondisclosure_without_basis": WARNING}, nondisclosure=None),
    "pen_register_secrecy_date_before_receipt": case(
        "accept", ["pen_trap"], [], {"order_period_unstated": WARNING},
        deadlines={"expires_at": "2027-01-18T10:00:00Z"},
        nondisclosure={"basis": "18 U.S.C. 3123(d)", "until": None}),
    # 2703(f)(2): 180 days from the ORIGINAL receipt; the hold is on file, so it is a pending check.
    "preservation_renewal_is_a_pending_check": case(
        "accept", ["subscriber_info"], deadlines={}, pending=["renewal_of_hold", "requester_verified"]),
    "emergency_records_a_month_old": case(
        "accept", ["subscriber_info"], [], {"emergency_records_older_than_7_days": WARNING}, AS),
    "customer_lookup_checks_ownership_and_pin": case(
        "accept", ["call_records_outgoing"], deadlines={},
        pending=["customer_owns_targets", "customer_pin"]),
}


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_second_edition_case(name):
    raw = read_request_file(CORPUS / f"{name}.json")
    result = verify_request(raw)
    assert observed(result, OUTCOMES[name]) == OUTCOMES[name]
    assert json.loads(json.dumps(result.spec_dict())) == result.spec_dict()


def test_every_corpus_file_has_an_expectation_and_there_are_forty_or_more():
    assert {p.stem for p in CORPUS.glob("*.json")} == set(OUTCOMES)
    assert len(OUTCOMES) >= 40


def test_defects_name_their_field():
    def message(name):
        return verify_request(read_request_file(CORPUS / f"{name}.json")).problems[0].message

    assert message("wf_request_id_traversal").startswith("request_id: '../../../../srv/deliveries/pwned'")
    assert message("wf_document_name_dot_dot").startswith("documents[0].name: ")
    assert message("wf_phone_arabic_indic_digits").startswith(
        "targets[0].value: '+\\u0661\\u0663")  # shown escaped, never as look-alike digits
    assert message("wf_phone_trailing_newline") == (
        "targets[0].value: '+13035550123\\n' is not an E.164 number (+ and 8-15 ASCII digits)")
    assert message("wf_received_at_unix_number") == (
        "received_at: a number is not a timestamp; write an RFC 3339 string such as 2026-11-20T14:05:00Z")
    assert message("wf_jurisdiction_state_zz").startswith(
        "legal_process.jurisdiction: 'state:ZZ' names no US state, DC or territory")
    assert message("wf_emergency_justification_spaces") == (
        "emergency.justification: is blank (spaces, control, format and default-ignorable characters and "
        "bare punctuation do not count)")
    assert message("wf_signature_one_zero_width_space").startswith(
        "legal_process.signed_by: the court_order is not signed")
    assert message("nsl_signed_by_asac").startswith(
        "legal_process.signed_by: signed by 'Assistant Special Agent in Charge, Denver Field Office', "
        "an assistant special agent in charge")
    assert message("subpoena_issued_months_after_receipt").startswith(
        "legal_process.signed_at 2027-03-02T10:00:00Z is after the request was received")


def test_refusals_cite_carpenter_calecpa_and_the_civil_rule():
    def reasons(name):
        result = verify_request(read_request_file(CORPUS / f"{name}.json"))
        return {r.category: r.reason for r in result.refused}

    assert "Carpenter v. United States, 585 U.S. 296 (2018)" in reasons("court_order_cell_site_carpenter")[
        "cell_site_location"]
    assert "Carpenter" in reasons("subpoena_cell_site_carpenter")["cell_site_location"]
    assert "Cal. Penal Code 1546.1(b)" in reasons("calecpa_court_order")["billing_records"]
    assert "a civil subpoena reaches no content, no location" in reasons("civil_subpoena_cell_site")[
        "cell_site_location"]


def test_duplicates_count_once_and_a_cut_period_ends_at_receipt():
    targets = verify_request(read_request_file(CORPUS / "wf_duplicate_targets_count_once.json")).request.targets
    assert [(t.kind, t.value) for t in targets] == [("phone_number", "+13035550123"), ("email", "x@example.com")]
    cut = verify_request(read_request_file(CORPUS / "subpoena_period_past_receipt_is_cut.json")).request
    assert cut.period.end.isoformat() == "2026-11-20T14:05:00+00:00"


def test_a_lone_surrogate_is_not_readable_text(tmp_path):
    path = tmp_path / "surrogate.json"
    path.write_text('{"request_id": "LES-1", "requester": {"name": "\\ud800"}}')
    with pytest.raises(UnreadableRequest, match=r"requester\.name holds a lone surrogate"):
        read_request_file(path)
    result = verify_request({"request_id": "LES-1", "type": "subpoena", "requester": {"name": "\ud800"}})
    assert [(p.code, p.message) for p in result.problems] == [
        ("invalid_text", "requester.name: holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text")]
