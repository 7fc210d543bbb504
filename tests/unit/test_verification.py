"""The offline pre-screen (SPEC §2) on the examples, on bad documents and on tests/cases/.

Expected outcomes are written by hand from LEGAL.md, never computed by the code under test.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment

from activities.verification import VerificationActivities
from domain.contracts import VerifyInput
from domain.verification import (
    CheckResult,
    UnreadableRequest,
    read_request_file,
    verify_request,
)
from tests.conftest import EXAMPLES

CASES = Path(__file__).resolve().parents[1] / "cases"
A, AL, AS = ["analyst"], ["analyst", "legal"], ["analyst", "supervisor"]
FATAL, WARNING = True, False


def outcome(result: CheckResult) -> dict:
    """The parts of a result an expectation names, in SPEC §2 terms."""
    spec = result.spec_dict()
    return {
        "verdict": spec["verdict"],
        "permitted": spec["permitted"],
        "refused": [r["category"] for r in spec["refused"]],
        "problems": {p.code: p.fatal for p in result.problems},
        "deadlines": spec["deadlines"],
        "approvals": spec["approvals_required"],
    }


def expect(verdict, permitted=(), refused=(), problems=None, deadlines=None, approvals=A):
    return {"verdict": verdict, "permitted": list(permitted), "refused": list(refused),
            "problems": problems or {}, "deadlines": deadlines or {}, "approvals": approvals}


def load(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


# ---- the examples ---------------------------------------------------------------------

EXAMPLE_OUTCOMES = {
    "subpoena.json": expect(
        "partial", ["subscriber_info", "call_records_outgoing", "call_records_incoming"],
        ["voicemail_content"],
        deadlines={"response_due": "2026-12-11T00:00:00Z", "reminder_at": "2026-12-08T00:00:00Z"}),
    "customer_call_lookup.json": expect("accept", ["call_records_outgoing"]),
    "pen_register.json": expect(
        "accept", ["pen_trap"],
        # Entered 17:00Z: 60 days (3123(c)(1)).
        # 3123(d) secrecy has no end date: the document's nondisclosure_until is no clock.
        deadlines={"expires_at": "2027-01-21T17:00:00Z"}),
    "court_order.json": expect(
        "partial", ["subscriber_info", "call_records_outgoing", "billing_records", "e911_records",
                    "voicemail_metadata"],
        ["cell_site_location"],  # Carpenter: historical location needs a warrant
        deadlines={"response_due": "2026-12-15T23:00:00Z", "reminder_at": "2026-12-12T23:00:00Z",
                   "nondisclosure_until": "2027-05-24T05:00:00Z"}),
    "search_warrant.json": expect(
        "accept", ["subscriber_info", "call_records_outgoing", "call_records_incoming", "voicemail_content",
                   "cell_site_location", "e911_records"],
        deadlines={"response_due": "2026-12-10T00:00:00Z", "reminder_at": "2026-12-07T00:00:00Z",
                   "nondisclosure_until": "2027-11-25T07:00:00Z"}),
    "fisa_order.json": expect(
        "accept", ["subscriber_info", "call_records_outgoing", "call_records_incoming"], approvals=AL,
        # Entered 2026-11-25T21:00Z, 90 days (50 U.S.C. 1805(d)(1)).
        deadlines={"response_due": "2026-12-10T22:00:00Z", "reminder_at": "2026-12-07T22:00:00Z",
                   "expires_at": "2027-02-23T21:00:00Z"}),
    "preservation.json": expect(
        "accept", ["subscriber_info", "call_records_outgoing", "call_records_incoming", "internet_sessions"],
        # 90 days from receipt (2703(f)(2)).
        deadlines={"expires_at": "2027-02-24T20:10:00Z"}),
    "title3_wiretap.json": expect(
        "accept", ["intercept_content", "pen_trap"], approvals=AL,
        deadlines={"ten_day_mark": "2026-12-02T21:00:00Z", "expires_at": "2027-01-01T21:00:00Z"}),
    "national_security_letter.json": expect(
        "partial", ["subscriber_info", "service_history", "call_records_outgoing"],
        ["billing_records"], approvals=AL,
        deadlines={"response_due": "2026-12-08T22:00:00Z", "reminder_at": "2026-12-05T22:00:00Z"}),
    "emergency.json": expect(
        "accept", ["subscriber_info", "call_records_outgoing", "e911_records"], approvals=AS,
        deadlines={"follow_up_legal_process_due": "2026-11-27T03:12:00Z"}),
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_OUTCOMES))
def test_examples(name):
    result = verify_request(read_request_file(EXAMPLES / name))
    assert outcome(result) == EXAMPLE_OUTCOMES[name]
    assert result.request_id == load(name)["request_id"] and result.request is not None


def test_every_example_has_an_expectation():
    assert {p.name for p in EXAMPLES.glob("*.json")} == set(EXAMPLE_OUTCOMES)


def test_spec_dict_has_exactly_the_spec_shape():
    spec = verify_request(load("subpoena.json")).spec_dict()
    assert list(spec) == ["request_id", "type", "verdict", "permitted", "refused", "problems",
                          "deadlines", "approvals_required", "nondisclosure", "pending_checks"]
    assert spec["nondisclosure"] is None  # a grand jury subpoena imposes no secrecy on the carrier
    assert spec["pending_checks"] == ["documents_on_file", "jurisdiction_binds_targets", "requester_verified"]
    assert spec["refused"] == [{
        "category": "voicemail_content",
        "reason": "voicemail_content is stored content: it needs a search warrant "
                  "(18 U.S.C. 2703(a)); a subpoena reaches only 2703(c)(2) records",
    }]
    assert json.loads(json.dumps(spec)) == spec


def test_warnings_are_prefixed_and_problems_carry_only_code_and_message():
    document = load("subpoena.json")
    del document["legal_process"]["response_due"]  # received 2026-11-20T14:05Z
    spec = verify_request(document).spec_dict()
    assert spec["problems"] == [{
        "code": "response_due_defaulted",
        "message": "warning: legal_process.response_due: the subpoena names no date; it is due 14 "
                   "days after receipt (carrier policy), 2026-12-04T14:05:00Z",
    }]


def test_render_text_puts_the_verdict_first():
    text = verify_request(load("subpoena.json")).render_text()
    lines = text.splitlines()
    assert lines[0] == "PARTIAL  LES-2026-000101 (subpoena)"
    assert "voicemail_content" in text and "response_due: 2026-12-11T00:00:00Z" in text
    assert lines[-1] == "approvals required: analyst"


def test_a_check_result_survives_a_trip_through_json():
    """The workflow receives the CheckResult from an activity as JSON and must read it back whole."""
    result = verify_request(load("title3_wiretap.json"))
    assert CheckResult.model_validate_json(result.model_dump_json()) == result


# ---- bad documents ------------------------------------------------------------------------


def subpoena_with(mutate) -> CheckResult:
    raw = load("subpoena.json")
    mutate(raw)
    return verify_request(raw)


def test_unsigned_subpoena_is_rejected_and_nothing_is_permitted():
    result = subpoena_with(lambda raw: raw["legal_process"].pop("signed_by"))
    assert outcome(result) == expect(
        "reject", [], ["subscriber_info", "call_records_outgoing", "call_records_incoming",
                       "voicemail_content"],
        problems={"unsigned": FATAL},
        deadlines={"response_due": "2026-12-11T00:00:00Z", "reminder_at": "2026-12-08T00:00:00Z"})
    reasons = {r.category: r.reason for r in result.refused}
    assert reasons["subscriber_info"] == "not produced: the request is rejected (unsigned)"
    assert reasons["voicemail_content"].startswith("voicemail_content is stored content")


def test_wrong_issuer():
    result = subpoena_with(lambda raw: raw["legal_process"].update(issuer_kind="fbi"))
    assert result.verdict == "reject"
    assert [(p.code, p.fatal) for p in result.problems] == [("wrong_issuer", True)]
    assert "fbi" in result.problems[0].message


@pytest.mark.parametrize("where,path", [
    (("legal_process", "signed_at"), "legal_process.signed_at"),
    (("received_at",), "received_at"),
    (("period", "start"), "period.start"),
    (("legal_process", "response_due"), "legal_process.response_due"),
])
def test_naive_timestamps(where, path):
    def make_naive(raw):
        holder = raw
        for key in where[:-1]:
            holder = holder[key]
        holder[where[-1]] = "2026-11-19T10:00:00"

    result = subpoena_with(make_naive)
    assert result.verdict == "reject" and result.permitted == [] and result.request is None
    assert [p.code for p in result.problems] == ["naive_timestamp"]
    assert result.problems[0].message == (
        f"{path}: timestamp '2026-11-19T10:00:00' has no UTC offset; every timestamp must "
        "carry an offset or Z")
    assert result.spec_dict()["request_id"] == "LES-2026-000101"


def test_naive_observed_at_names_the_target_index():
    def mutate(raw):
        raw["targets"].append({"kind": "ip_address", "value": "198.51.100.7",
                               "observed_at": "2026-07-01T12:00:00"})
    result = subpoena_with(mutate)
    assert [p.code for p in result.problems] == ["naive_timestamp"]
    assert result.problems[0].message.startswith("targets[1].observed_at: timestamp")


def test_every_error_becomes_a_problem():
    def mutate(raw):
        raw["received_at"] = "2026-11-20T14:05:00"
        raw["records"][1] = "location_history"
        raw["legal_process"]["jurisdiction"] = "Colorado"
        del raw["requester"]
    result = subpoena_with(mutate)
    assert sorted(p.code for p in result.problems) == [
        "invalid_field", "missing_field", "naive_timestamp", "unknown_category"]
    assert all(p.fatal for p in result.problems)


def test_unknown_type_lists_the_valid_types():
    result = subpoena_with(lambda raw: raw.update(type="warrant"))
    assert (result.verdict, result.type, result.request_id) == ("reject", "warrant",
                                                                "LES-2026-000101")
    assert [p.code for p in result.problems] == ["unknown_type"]
    message = result.problems[0].message
    assert message.startswith("type: 'warrant' is not a request type; valid types:")
    assert "national_security_letter" in message and "customer_call_lookup" in message
    assert result.approvals_required == []


def test_unknown_category_names_its_index():
    result = subpoena_with(lambda raw: raw["records"].insert(2, "location_history"))
    assert [p.code for p in result.problems] == ["unknown_category"]
    assert result.problems[0].message.startswith(
        "records[2]: 'location_history' is not a record category; valid categories:")


def test_missing_request_id():
    result = subpoena_with(lambda raw: raw.pop("request_id"))
    assert result.request_id is None and result.type == "subpoena"
    assert [(p.code, p.message) for p in result.problems] == [
        ("missing_field", "request_id: required field is missing")]
    assert result.spec_dict()["request_id"] is None


def test_request_id_that_is_not_a_string():
    result = subpoena_with(lambda raw: raw.update(request_id=123))
    assert result.request_id is None
    assert [p.code for p in result.problems] == ["invalid_field"]
    assert result.problems[0].message.startswith("request_id: ")


def test_a_document_that_is_not_an_object_is_one_problem():
    result = verify_request([])  # type: ignore[arg-type]
    assert (result.request_id, result.type, result.verdict) == (None, None, "reject")
    assert [p.code for p in result.problems] == ["invalid_field"]


def test_unknown_fields_are_kept_and_change_nothing():
    plain = verify_request(load("subpoena.json"))

    def add_extras(raw):
        raw["x_priority"] = "high"
        raw["legal_process"]["court_seal"] = "embossed"
        raw["targets"][0]["label"] = "suspect"
        raw["period"]["note"] = "summer"
    extended = subpoena_with(add_extras)
    assert extended.spec_dict() == plain.spec_dict()
    dumped = extended.request.model_dump(mode="json")
    assert dumped["x_priority"] == "high"
    assert dumped["legal_process"]["court_seal"] == "embossed"
    assert dumped["targets"][0]["label"] == "suspect"
    assert dumped["period"]["note"] == "summer"


# ---- read_request_file --------------------------------------------------------------------


def test_read_request_file_reads_an_object(tmp_path):
    assert read_request_file(EXAMPLES / "subpoena.json") == load("subpoena.json")
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + (EXAMPLES / "subpoena.json").read_bytes())
    assert read_request_file(bom)["request_id"] == "LES-2026-000101"


@pytest.mark.parametrize("content,message", [
    (b'{"request_id": "LES-1",\n  "type": }',
     "not valid JSON: Expecting value at line 2, column 11"),
    (b"", "not valid JSON: Expecting value at line 1, column 1"),
    (b"[1, 2]", "the top level is an array, not a JSON object"),
    (b'"subpoena"', "the top level is a string, not a JSON object"),
    (b"42", "the top level is a number, not a JSON object"),
    (b"null", "the top level is null, not a JSON object"),
    (b'{"type": "subpoena", "records": [1]}\xff', "not UTF-8 text (invalid byte at offset 36)"),
    ("{\"name\": \"Jos\u00e9\"}".encode("latin-1"), "not UTF-8 text"),
    (b'{"type": "a", "type": "b"}', "duplicate key 'type'"),
    (b'{"duration_days": NaN}', "NaN is not valid JSON"),
])
def test_read_request_file_refuses_unreadable_documents(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(UnreadableRequest) as caught:
        read_request_file(path)
    text = str(caught.value)
    assert message in text and text.startswith(str(path)) and "\n" not in text


def test_read_request_file_refuses_missing_files_and_directories(tmp_path):
    with pytest.raises(UnreadableRequest, match="cannot read the file"):
        read_request_file(tmp_path / "nope.json")
    with pytest.raises(UnreadableRequest, match="cannot read the file"):
        read_request_file(tmp_path)


# ---- tests/cases: own documents, own expectations -----------------------------------------

DUE_1130 = {"response_due": "2026-11-30T22:00:00Z", "reminder_at": "2026-11-27T22:00:00Z"}
DUE_1211 = {"response_due": "2026-12-11T00:00:00Z", "reminder_at": "2026-12-08T00:00:00Z"}
DUE_1019 = {"response_due": "2026-10-19T22:00:00Z", "reminder_at": "2026-10-16T22:00:00Z"}

CASE_OUTCOMES = {
    "court_order_federal_partial": expect(
        "partial", ["subscriber_info", "billing_records", "e911_records", "voicemail_metadata"],
        ["voicemail_content", "pen_trap"], deadlines=DUE_1130),
    "search_warrant_state_tx": expect(
        "partial", ["voicemail_content", "voicemail_metadata", "call_records_incoming"],
        ["intercept_content"],
        deadlines={**DUE_1019, "nondisclosure_until": "2027-04-04T05:00:00Z"}),
    "fisa_order_content": expect(
        "accept", ["intercept_content", "voicemail_content", "subscriber_info",
                   "call_records_incoming"], approvals=AL,
        deadlines={"response_due": "2026-09-08T12:00:00Z", "reminder_at": "2026-09-05T12:00:00Z",
                   "expires_at": "2026-11-29T15:00:00Z"}),
    "fisa_order_prospective_no_period": expect(
        "accept", ["pen_trap"], approvals=AL, problems={"no_documents": WARNING},
        deadlines={"expires_at": "2026-11-30T10:00:00Z"}),
    "preservation_agency": expect(
        "partial", ["voicemail_content", "subscriber_info", "call_records_outgoing"], ["pen_trap"],
        deadlines={"expires_at": "2027-01-31T18:30:00Z"}),
    "preservation_renewal": expect(
        # Its expiry counts from the hold's own receipt: a pending check, not a fresh 90 days.
        "accept", ["voicemail_content"]),
    "civil_subpoena_attorney": expect(
        "partial", ["subscriber_info", "payment_info"], ["voicemail_content", "pen_trap"],
        deadlines={"response_due": "2026-12-02T01:00:00Z",
                   "reminder_at": "2026-11-29T01:00:00Z"}),
    "subpoena_from_customer": expect(
        "reject", [], ["subscriber_info"], problems={"wrong_requester": FATAL},
        deadlines={"response_due": "2026-12-15T12:00:00Z",
                   "reminder_at": "2026-12-12T12:00:00Z"}),
    "court_order_state_ny_ip_cgnat": expect(
        "accept", ["internet_sessions", "subscriber_info"],
        deadlines={"response_due": "2026-09-01T21:00:00Z",
                   "reminder_at": "2026-08-29T21:00:00Z"}),
    "pen_register_extension_90_days": expect(
        "accept", ["pen_trap"], problems={"duration_capped": WARNING},
        deadlines={"expires_at": "2027-03-20T16:00:00Z"}),
    "title3_extension_capped": expect(
        "partial", ["intercept_content", "pen_trap"], ["call_records_outgoing"], approvals=AL,
        problems={"duration_capped": WARNING},
        deadlines={"ten_day_mark": "2027-01-07T15:00:00Z", "expires_at": "2027-01-28T00:00:00Z"}),
    "pen_register_expired_on_arrival": expect(
        "reject", [], ["pen_trap"], problems={"order_expired": FATAL},
        deadlines={"expires_at": "2026-09-30T12:00:00Z"}),
    "title3_missing_issued_at": expect(
        "reject", [], ["intercept_content"], problems={"missing_issued_at": FATAL}, approvals=AL),
    "emergency_callback_from_requester": expect(
        "partial", ["subscriber_info", "e911_records"], ["voicemail_content", "payment_info"],
        problems={"callback_not_independent": WARNING}, approvals=AS,
        deadlines={"follow_up_legal_process_due": "2026-12-03T05:45:00Z"}),
    "emergency_missing_block": expect(
        "reject", [], ["subscriber_info"], problems={"missing_emergency": FATAL}, approvals=AS,
        deadlines={"follow_up_legal_process_due": "2026-11-27T03:12:00Z"}),
    "customer_lookup_incoming_only": expect(
        "reject", [], ["call_records_incoming"], problems={"nothing_permitted": FATAL}),
    "customer_lookup_empty_pin": expect(
        "reject", [], ["call_records_outgoing"], problems={"authentication_incomplete": FATAL}),
    "customer_lookup_email_target": expect(
        "reject", [], ["call_records_outgoing"], problems={"invalid_target": FATAL}),
    "nsl_issued_by_agency": expect(
        "reject", [], ["subscriber_info"], problems={"wrong_issuer": FATAL, "nsl_signer_rank": FATAL},
        approvals=AL,
        deadlines={"response_due": "2026-12-08T12:00:00Z",
                   "reminder_at": "2026-12-05T12:00:00Z"}),
    "subpoena_overdue_on_arrival": expect(
        "accept", ["subscriber_info", "service_history"],
        problems={"due_before_receipt": WARNING}, deadlines=DUE_1211),
    "subpoena_no_period": expect(
        "reject", [], ["subscriber_info"], problems={"missing_period": FATAL}, deadlines=DUE_1211),
    "court_order_unsigned_no_documents": expect(
        "reject", [], ["billing_records"], problems={"unsigned": FATAL, "no_documents": WARNING},
        deadlines=DUE_1130),
    # Received 2026-10-05T13:30Z: due 14 days later, with a warning (carrier policy).
    "search_warrant_missing_response_due": expect(
        "accept", ["voicemail_content"], problems={"response_due_defaulted": WARNING},
        deadlines={"response_due": "2026-10-19T13:30:00Z", "reminder_at": "2026-10-16T13:30:00Z"}),
    "subpoena_duplicates_and_extras": expect(
        "accept", ["subscriber_info", "call_records_incoming"], deadlines=DUE_1211),
    "subpoena_bad_phone_target": expect("reject", problems={"invalid_field": FATAL}),
    "court_order_ip_without_observed_at": expect("reject", problems={"missing_field": FATAL}),
    "search_warrant_requested_by_attorney": expect(
        "reject", [], ["voicemail_content"], problems={"requester_not_governmental": FATAL},
        deadlines=DUE_1019),
}


@pytest.mark.parametrize("name", sorted(CASE_OUTCOMES))
def test_cases(name):
    raw = read_request_file(CASES / f"{name}.json")
    result = verify_request(raw)
    assert outcome(result) == CASE_OUTCOMES[name]
    assert result.request_id == raw["request_id"] and result.type == raw["type"]


def test_every_case_file_has_an_expectation():
    assert {p.stem for p in CASES.glob("*.json")} == set(CASE_OUTCOMES)
    assert len(CASE_OUTCOMES) >= 15


def test_case_messages_name_the_field():
    def problems(name):
        return verify_request(read_request_file(CASES / f"{name}.json")).problems

    assert problems("subpoena_bad_phone_target")[0].message.startswith(
        "targets[1].value: '303-555-0126' is not an E.164 number")
    assert problems("court_order_ip_without_observed_at")[0].message.startswith(
        "targets[0].observed_at: an ip_address target needs observed_at")
    civil = verify_request(read_request_file(CASES / "civil_subpoena_attorney.json"))
    assert all("a civil subpoena reaches no content, no location and no prospective data" in r.reason
               for r in civil.refused)


def test_case_extras_survive_in_the_parsed_request():
    raw = read_request_file(CASES / "subpoena_duplicates_and_extras.json")
    dumped = verify_request(copy.deepcopy(raw)).request.model_dump(mode="json")
    assert dumped["intake_channel"] == "fax"
    assert dumped["requester"]["badge"] == "D-4411"
    assert dumped["legal_process"]["seal"] == "embossed"
    assert dumped["targets"][0]["label"] == "suspect cell"
    assert dumped["records"] == ["subscriber_info", "call_records_incoming"]


# ---- papers on file (activities/verification.py) -------------------------------------------

PAPER = b"%PDF-1.7 the grand jury subpoena as served"


def check_papers(tmp_path: Path, on_file: bytes | None, store) -> CheckResult:
    """The federal form of the example subpoena (so no service state is looked up), naming PAPER's
    hash, with `on_file` as the paper in the documents folder (None: nothing on file), verified
    against the records store with the examples' accounts (its target resolves)."""
    document = load("subpoena.json")
    document["legal_process"].update(jurisdiction="federal", issued_by="U.S. District Court Grand Jury, D. Colo.")
    document["documents"] = [{"name": "subpoena.pdf", "sha256": hashlib.sha256(PAPER).hexdigest()}]
    if on_file is not None:
        (tmp_path / document["request_id"]).mkdir()
        (tmp_path / document["request_id"] / "subpoena.pdf").write_bytes(on_file)
    activities = VerificationActivities(documents_root=tmp_path, engine=store)
    return ActivityEnvironment().run(activities.verify_legal_process,
                                     VerifyInput(request_id=document["request_id"], document=document))


def test_a_paper_on_file_that_does_not_match_its_hash_rejects_the_request(tmp_path, prepared_store):
    result = check_papers(tmp_path, b"%PDF-1.7 some other paper", prepared_store)
    assert result.verdict == "reject" and result.permitted == []
    assert [(p.code, p.fatal) for p in result.problems] == [("document_hash_mismatch", True)]
    assert "subpoena.pdf on file has SHA-256" in result.problems[0].message


def test_a_paper_on_file_that_matches_passes_and_a_missing_one_is_a_warning(tmp_path, prepared_store):
    matching = check_papers(tmp_path, PAPER, prepared_store)
    assert matching.verdict == "partial" and matching.problems == []  # voicemail_content refused
    assert matching.permitted == ["subscriber_info", "call_records_outgoing", "call_records_incoming"]
    missing = check_papers(tmp_path / "empty", None, prepared_store)
    assert missing.verdict == "partial"
    assert [(p.code, p.fatal) for p in missing.problems] == [("document_not_on_file", False)]
