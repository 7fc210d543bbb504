"""The third edition's rules one by one, from the statute and SPEC §1, with expected values written by
hand: the signer's own office (domain/signers.py), FISA by section (domain/fisa.py), what renders as
nothing, the length limit of every text field, quoting, RFC 3339 fractions, no library's wording.

The Unicode table is checked against an outside reference: the `regex` module's own
Default_Ignorable_Code_Point property (built from Unicode's DerivedCoreProperties.txt)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
import regex

from domain.fisa import BUSINESS_RECORDS, PEN_TRAP, fisa_reach, fisa_section
from domain.signers import court_signer_fault, issuer_fault, nsl_signer_fault, own_part, words
from domain.verification import verify_request
from domain.vocabulary import RecordCategory, RequestType
from domain.wellformed import is_default_ignorable, meaningful_text, quoted
from tests.conftest import EXAMPLES

T = RequestType


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


# ---- what renders as nothing (SPEC §1: Unicode Default_Ignorable_Code_Point) ------------------------


def test_the_default_ignorable_table_is_unicodes():
    reference = regex.compile(r"\p{Default_Ignorable_Code_Point}")
    differ = [f"U+{cp:04X}" for cp in range(0x110000)
              if not 0xD800 <= cp <= 0xDFFF and is_default_ignorable(chr(cp)) != bool(reference.match(chr(cp)))]
    assert differ == []


@pytest.mark.parametrize(("text", "kept"), [
    ("\u034f", None),                 # combining grapheme joiner
    ("\ufe0f\ufe00", None),           # variation selectors 16 and 1
    ("\U000e0100", None),             # variation selector 17
    ("\u3164 \u115f \uffa0", None),   # Hangul fillers (letters by category: Lo)
    ("\u00ad", None),                 # soft hyphen
    ("\U000e0041\U000e0042", None),   # tag letters
    ("/s/", None), (" / S / ", None), ("--", None), ("...", None),
    ("/s/ Hon. K. Judge", "/s/ Hon. K. Judge"),
    ("K\u034f. J\ufe0fudge", "K. Judge"),
    ("\u5c71\u7530", "\u5c71\u7530"),  # a name in another script is text
    ("7", "7"),
])
def test_what_is_left_of_a_name_or_signature(text, kept):
    assert meaningful_text(text) == kept


def test_a_selector_holding_a_variation_selector_is_refused():
    raw = example("subpoena")
    raw["targets"] = [{"kind": "email", "value": "x\ufe0f@example.com"}]
    assert [(p.code, p.message) for p in verify_request(raw).problems] == [(
        "invalid_field", "targets[0].value: 'x\\ufe0f@example.com' holds spaces, control or format characters")]


# ---- quoting --------------------------------------------------------------------------------------


def test_quotes_are_cut_after_eighty_characters_and_say_how_long_the_input_was():
    assert quoted("a" * 80) == "'" + "a" * 80 + "'"
    assert quoted("a" * 81) == "'" + "a" * 80 + "'... (81 characters)"
    assert quoted("\u0430b") == "'\\u0430b'"  # a look-alike letter shows as what it is
    # JSON of 40 "x": 1 + 40 x 3 + 39 x 2 + 1 = 200 characters; the first 80 end after the 16th "x",
    assert quoted(["x"] * 40) == '[' + '"x", ' * 15 + '"x",... (200 characters)'


def test_a_value_that_is_not_text_is_quoted_as_json_cut_the_same_way():
    assert quoted(["x"] * 16) == '["x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'
    assert len(quoted(["x"] * 16)) == 80
    assert quoted({"at": datetime(2026, 11, 20, tzinfo=UTC)}) == '{"at": "2026-11-20 00:00:00+00:00"}'


# ---- every text field has a length limit (SPEC §1, 3rd), checked at the boundary and one past -------


def _set(raw: dict, path: tuple, value) -> None:
    for key in path[:-1]:
        raw = raw[key]
    raw[path[-1]] = value


LIMITS = [
    # (example, path, limit, value of a given length, accepted at the limit)
    ("court_order", ("requester", "agency"), 256, lambda n: "A" * n, True),
    ("court_order", ("requester", "name"), 256, lambda n: "N" * n, True),
    ("court_order", ("requester", "phone"), 32, lambda n: "+" + "1" * (n - 1), True),
    ("court_order", ("legal_process", "instrument"), 100, lambda n: "i" * n, True),
    ("court_order", ("legal_process", "reference"), 100, lambda n: "R" * n, True),
    ("court_order", ("legal_process", "issued_by"), 256, lambda n: "Court " + "C" * (n - 6), True),
    ("court_order", ("legal_process", "signed_by"), 256, lambda n: "Hon. " + "K" * (n - 5), True),
    ("court_order", ("legal_process", "jurisdiction"), 100, lambda n: "state:" + "X" * (n - 6), False),
    ("court_order", ("legal_process", "received_at"), 64, lambda n: "2026-11-24T15:20:00." + "0" * (n - 21) + "Z",
     True),
    ("emergency", ("emergency", "justification"), 4000, lambda n: "J" * n, True),
    ("emergency", ("emergency", "supervisor"), 256, lambda n: "S" * n, True),
    ("emergency", ("emergency", "callback", "verified_by"), 256, lambda n: "V" * n, True),
    ("emergency", ("emergency", "callback", "number"), 32, lambda n: "+" + "1" * (n - 1), False),
    ("customer_call_lookup", ("customer", "account_number"), 254, lambda n: "C" * n, True),
    ("court_order", ("targets", 0, "value"), 254, lambda n: "A" * n, True),
    ("court_order", ("intake_note",), 10_000, lambda n: "x" * n, True),
]


def _document(name: str, path: tuple, value) -> dict:
    raw = example(name)
    if path == ("legal_process", "received_at"):
        raw["received_at"] = value
        return raw
    if path == ("targets", 0, "value"):
        raw["targets"] = [{"kind": "account_number", "value": value}]
        return raw
    if path[0] == "emergency" and "verified_by" in path:
        raw["emergency"]["callback"]["verified_at"] = "2026-11-25T03:20:00Z"
    _set(raw, path, value)
    return raw


def _dotted(path: tuple) -> str:
    if path == ("legal_process", "received_at"):
        return "received_at"
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


@pytest.mark.parametrize(("name", "path", "limit", "make", "fits"), LIMITS,
                         ids=[_dotted(row[1]) for row in LIMITS])
def test_every_text_field_is_refused_one_past_its_limit(name, path, limit, make, fits):
    assert len(make(limit)) == limit and len(make(limit + 1)) == limit + 1
    at = verify_request(_document(name, path, make(limit)))
    past = verify_request(_document(name, path, make(limit + 1)))
    field = _dotted(path)
    if fits:
        assert not [p for p in at.problems if p.message.startswith(f"{field}:")]
    else:  # the limit is above what the field's own form allows: that rule speaks at the limit
        assert "too long" not in " ".join(p.message for p in at.problems)
    (problem,) = past.problems
    assert problem.code == "invalid_field" and problem.message.startswith(f"{field}: ")
    if path == ("legal_process", "received_at"):
        assert problem.message.endswith(f"is not a timestamp (at most {limit} characters)")
    elif path == ("intake_note",):
        assert problem.message == (
            "intake_note: holds text longer than 10000 characters (a field the request document does not "
            "name is kept, within that limit)")
    else:
        assert problem.message.endswith(f"is too long: at most {limit} characters")
    assert len(problem.message) < 300


@pytest.mark.parametrize(("email", "ends"), [
    ("a@" + "b" * 63 + ".gov", None),
    ("a@" + "b" * 64 + ".gov",
     "the domain label '" + "b" * 64 + "' has 64 characters; a label is at most 63 (RFC 1035)"),
    ("a" * 64 + "@fbi.gov", None),
    ("a" * 65 + "@fbi.gov", "the part before the @ has 65 characters; it is at most 64 (RFC 5321)"),
    # 3 labels of 63 and one of 61, with 3 dots: 253 characters, the most a domain has; with "a@" the
    # address has 255, so the address limit speaks.
    ("@".join(["a", ".".join(["b" * 63] * 3 + ["c" * 61])]), "has 255 characters; an e-mail address is at most "
                                                            "254 (RFC 5321)"),
    ("@".join(["a", ".".join(["b" * 63] * 3 + ["c" * 62])]), "its domain has 254 characters; a domain is at most 253 "
                                                            "(RFC 1035)"),
    ("@".join(["a" * 10, ".".join(["b" * 63] * 3 + ["c" * 51])]), None),  # 254 in all
    ("@".join(["a" * 11, ".".join(["b" * 63] * 3 + ["c" * 51])]), "has 255 characters; an e-mail address is at most "
                                                                  "254 (RFC 5321)"),
])
def test_e_mail_limits_of_rfc_5321_and_1035(email, ends):
    raw = example("court_order")
    raw["requester"]["email"] = email
    problems = [p.message for p in verify_request(raw).problems if p.message.startswith("requester.email")]
    assert problems == ([] if ends is None else [problems[0]]) and (ends is None or problems[0].endswith(ends))


# ---- no library's wording -----------------------------------------------------------------------


@pytest.mark.parametrize(("change", "message"), [
    (lambda raw: raw["emergency"].update(callback="x"), "emergency.callback: must be a JSON object ({...}), not text"),
    (lambda raw: raw.update(records="abc"), "records: must be a list ([...]), not text"),
    (lambda raw: raw["targets"][0].update(value=5), "targets[0].value: must be text (a JSON string), not a number"),
    (lambda raw: raw["emergency"].update(danger="bad"),
     "emergency.danger: 'bad' is not one of 'death' or 'serious_physical_injury'"),
    (lambda raw: raw.update(targets=[{"kind": "ip_address", "value": "192.0.2.1", "port": 70000,
                                      "observed_at": "2026-11-25T03:00:00Z"}]),
     "targets[0].port: 70000 must be at most 65535"),
])
def test_no_pydantic_wording_reaches_a_user(change, message):
    raw = example("emergency")
    change(raw)
    problems = [p.message for p in verify_request(raw).problems]
    assert problems == [message]
    assert "Input should" not in message and "instance of" not in message


# ---- the signer's own office (LEGAL.md, Who may issue what, 3rd) --------------------------------------


@pytest.mark.parametrize(("signature", "own"), [
    ("Special Agent J. Roe for the Director", ["special", "agent", "j", "roe"]),
    ("J. Roe, on behalf of the SAC", ["j", "roe"]),
    ("the SAC, by J. Roe", ["j", "roe"]),
    ("by Y, for the SAC", ["y"]),
    ("Hon. K. Judge", ["hon", "k", "judge"]),
])
def test_the_signers_own_part_of_a_signature(signature, own):
    assert [w.plain for w in own_part(words(signature))] == own


@pytest.mark.parametrize(("kind", "signature", "code"), [
    # 2703(d) / 2711(3): a court of competent jurisdiction, magistrate judges included.
    (T.COURT_ORDER, "Hon. R. Alvarez", None),
    (T.COURT_ORDER, "R. Alvarez, U.S. Magistrate Judge", None),
    (T.COURT_ORDER, "J. Roe, Assistant United States Attorney", "signer_not_a_judge"),
    (T.COURT_ORDER, "J. Roe, AUSA", "signer_not_a_judge"),
    (T.COURT_ORDER, "J. Roe, Deputy District Attorney", "signer_not_a_judge"),
    (T.COURT_ORDER, "Officer J. Roe", "signer_not_a_judge"),
    (T.COURT_ORDER, "Clerk of Court", "signer_not_a_judge"),
    (T.COURT_ORDER, "R. Alvarez", "signer_office_unstated"),
    # Rule 41(b): magistrate judges issue warrants; the detective does not.
    (T.SEARCH_WARRANT, "Hon. K. L. Mix, U.S. Magistrate Judge", None),
    (T.SEARCH_WARRANT, "Detective M. Cruz", "signer_not_a_judge"),
    (T.SEARCH_WARRANT, "Sgt. M. Cruz", "signer_not_a_judge"),
    # 3127(2)(A): a magistrate judge is a court of competent jurisdiction for a pen register.
    (T.PEN_REGISTER, "Hon. K. Magistrate", None),
    (T.PEN_REGISTER, "Special Agent J. Roe", "signer_not_a_judge"),
    # 2510(9): never a magistrate judge for Title III; a district judge may.
    (T.TITLE3_WIRETAP, "Hon. R. District", None),
    (T.TITLE3_WIRETAP, "R. Roe, United States District Judge", None),
    (T.TITLE3_WIRETAP, "R. Roe, United States Magistrate Judge", "signer_office_too_low"),
    (T.TITLE3_WIRETAP, "Hon. K. Magistrate", "signer_office_too_low"),
    (T.TITLE3_WIRETAP, "R. Roe", "signer_office_unstated"),
    (T.TITLE3_WIRETAP, "R. Roe, Distri\u0441t Judg\u0435", "signer_title_lookalike"),
    # 50 U.S.C. 1803(a): district judges.
    (T.FISA_ORDER, "Judge, FISC", None),
    (T.FISA_ORDER, "R. Roe, Magistrate Judge", "signer_office_too_low"),
    # Not a court instrument: the signer's office is not read here.
    (T.SUBPOENA, "A. Prosecutor, AUSA", None),
    (T.NATIONAL_SECURITY_LETTER, "Special Agent J. Roe", None),
])
def test_who_may_sign_a_court_instrument(kind, signature, code):
    fault = court_signer_fault(kind, signature)
    assert (fault.code if fault else None) == code


def test_a_signature_naming_no_office_is_fatal_only_for_title_iii():
    assert court_signer_fault(T.TITLE3_WIRETAP, "R. Roe").fatal is True
    assert court_signer_fault(T.COURT_ORDER, "R. Roe").fatal is False
    assert court_signer_fault(T.COURT_ORDER, None) is None


@pytest.mark.parametrize(("kind", "issued_by", "fault"), [
    (T.COURT_ORDER, "U.S. District Court, D. Colo.", None),
    (T.FISA_ORDER, "FISC", None),
    (T.COURT_ORDER, "Office of the United States Attorney", "is not a court"),
    (T.COURT_ORDER, "District Attorney, Court Street Office", "is not a court"),
    (T.SEARCH_WARRANT, "Denver Police Department", "is not a court"),
    (T.SEARCH_WARRANT, "Federal Bureau of Investigation", "is not a court"),
    (T.PEN_REGISTER, "Chambers of the Presiding Judge", "names no court"),
    (T.PEN_REGISTER, "U.S. District \u0421ourt", "names a court only in look-alike characters"),
    (T.COURT_ORDER, "U.S. \u0410ttorney's Office, U.S. District Court", "is not a court"),
    (T.SUBPOENA, "Office of the United States Attorney", None),
])
def test_a_court_instrument_names_a_court_as_its_issuer(kind, issued_by, fault):
    found = issuer_fault(kind, issued_by)
    assert (found if found is None else found.split(";")[0].removeprefix(quoted(issued_by) + " ")) == fault


RULE = ("a letter is signed under 18 U.S.C. 2709(b): the Director of the FBI or a designee no lower than Deputy "
        "Assistant Director at headquarters or a Special Agent in Charge of a field office")


@pytest.mark.parametrize(("signature", "fault"), [
    ("Director", None),
    ("R. Smith, Deputy Assistant Director, Counterintelligence Division", None),
    ("R. Smith, SAC, for the Director", None),
    ("Special Agent J. Roe for the Director", f"signed by 'Special Agent J. Roe for the Director', a special agent; "
                                              f"{RULE}"),
    ("J. Roe for the Director", f"'J. Roe for the Director' names no rank of the signer's own; {RULE}"),
    ("J. Roe, Dir\u0435ctor", f"'J. Roe, Dir\\u0435ctor': the title 'director' is written with look-alike characters "
                              f"and only resembles it; {RULE}"),
    ("J. Roe, D1rector", f"'J. Roe, D1rector': the title 'director' is written with look-alike characters and only "
                         f"resembles it; {RULE}"),
    ("\u0410SAC J. Roe", f"signed by '\\u0410SAC J. Roe', an asac; {RULE}"),
])
def test_who_may_sign_a_national_security_letter(signature, fault):
    assert nsl_signer_fault(signature) == fault


# ---- FISA by section -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "section"), [
    ("50 U.S.C. 1805", "50 U.S.C. 1805"), ("1842", "50 U.S.C. 1842"), ("50 USC 1861", "50 U.S.C. 1861"),
    ("50 U.S.C. \u00a7 1881a", "50 U.S.C. 1881a"), ("50  u.s.c.  1881A", "50 U.S.C. 1881a"),
    ("50 U.S.C. 1881b", None), ("18 U.S.C. 2518", None), ("1805 and 1842", None), ("", None),
])
def test_the_section_a_fisa_order_issues_under(text, section):
    assert fisa_section(text) == section


def test_what_each_fisa_section_reaches():
    C = RecordCategory
    assert fisa_reach(PEN_TRAP) == {C.PEN_TRAP}
    assert fisa_reach(BUSINESS_RECORDS) == fisa_reach(None) == {
        C.SUBSCRIBER_INFO, C.SERVICE_HISTORY, C.PAYMENT_INFO, C.CALL_RECORDS_OUTGOING, C.CALL_RECORDS_INCOMING,
        C.INTERNET_SESSIONS, C.BILLING_RECORDS, C.E911_RECORDS, C.VOICEMAIL_METADATA, C.CELL_SITE_LOCATION}
    assert fisa_reach("50 U.S.C. 1805") == fisa_reach("50 U.S.C. 1881a") == set(C)


def test_an_unknown_section_is_a_defect_in_words():
    raw = example("fisa_order")
    raw["legal_process"]["authority"] = "section 702"
    assert [(p.code, p.message) for p in verify_request(raw).problems] == [(
        "invalid_field", "legal_process.authority: 'section 702' is not a section a FISA order issues under; "
                         "write 50 U.S.C. 1805, 1842, 1861 or 1881a")]


# ---- RFC 3339 fractions --------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", ["1", "123456", "123456789", "1234567891", "12345678912345678901"])
def test_any_number_of_fraction_digits_is_a_timestamp(fraction):
    raw = example("subpoena")
    raw["received_at"] = f"2026-11-20T14:05:00.{fraction}Z"
    result = verify_request(copy.deepcopy(raw))
    assert result.verdict != "reject"
    assert result.request.received_at.microsecond == int(fraction[:6].ljust(6, "0"))


def test_an_unreadable_documents_long_names_are_not_echoed():
    raw = example("subpoena")
    raw["type"] = "t" * 120_000
    spec = verify_request(raw).spec_dict()
    assert spec["type"] is None and spec["request_id"] == "LES-2026-000101"
    assert spec["problems"] == [{"code": "unknown_type", "message": (
        "type: '" + "t" * 80 + "'... (120000 characters) is not a request type; valid types: customer_call_lookup, "
        "subpoena, court_order, search_warrant, pen_register, title3_wiretap, national_security_letter, fisa_order, "
        "preservation, emergency")}]


# ---- stale warrants at their boundaries (Fed. R. Crim. P. 41(e)(2)(A)(i); LEGAL.md carrier policy) ---


def warrant(jurisdiction: str, signed_at: str, issued_at: str | None) -> dict:
    raw = example("search_warrant")  # received 2026-11-25T17:45:00Z
    raw["legal_process"].update(jurisdiction=jurisdiction, signed_at=signed_at, issued_at=issued_at)
    if jurisdiction != "federal":
        raw["legal_process"]["issued_by"] = "District Court, Denver County"
    return raw


def stale_codes(raw: dict) -> dict[str, bool]:
    return {p.code: p.fatal for p in verify_request(raw).problems if "warrant" in p.code}


def test_a_warrant_is_dated_by_its_issue_not_its_signature():
    # Signed 11-01, entered 11-20: served on day 5 after issue (a signature before entry is no defect here).
    assert stale_codes(warrant("federal", "2026-11-01T10:00:00Z", "2026-11-20T10:00:00Z")) == {}
    # Without issued_at the signature dates it: 24 days.
    assert stale_codes(warrant("federal", "2026-11-01T10:00:00Z", None)) == {"stale_warrant": True}


@pytest.mark.parametrize(("issued", "codes"), [
    ("2026-11-15T17:45:00Z", {}),                                   # exactly 10 days
    ("2026-11-15T17:44:59Z", {"state_warrant_late": False}),        # 10 days and a second
])
def test_a_state_warrant_is_flagged_after_ten_days(issued, codes):
    assert stale_codes(warrant("state:CO", issued, issued)) == codes


def test_an_emergency_authorisation_is_the_designated_officials_own():
    raw = example("pen_register")
    raw["legal_process"].update(instrument="emergency_authorization", issuer_kind="court")
    assert {p.code for p in verify_request(raw).problems} >= {"wrong_issuer"}


@pytest.mark.parametrize(("value", "kind"), [
    (None, "null"), (True, "true or false"), (5, "a number"), (2.5, "a number"), ([], "a list"), ({}, "a JSON object"),
])
def test_a_value_of_the_wrong_kind_is_named_by_its_json_kind(value, kind):
    raw = example("court_order")
    raw["legal_process"]["reference"] = value
    assert [p.message for p in verify_request(raw).problems] == [
        f"legal_process.reference: must be text (a JSON string), not {kind}"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda raw: raw.update(received_at="2026-02-30T00:00:00Z"),
     "received_at: '2026-02-30T00:00:00Z' is not a date and time that exists"),
    (lambda raw: raw["legal_process"].update(duration_days=0), "legal_process.duration_days: 0 must be more than 0"),
    (lambda raw: raw["legal_process"].update(duration_days="60"),
     "legal_process.duration_days: must be a whole number, not text"),
    (lambda raw: raw.update(targets=[{"kind": "ip_address", "value": "192.0.2.1", "port": -1,
                                      "observed_at": "2026-11-24T15:00:00Z"}]),
     "targets[0].port: -1 must be at least 0"),
    (lambda raw: raw.update(targets=[{"kind": "account_number", "value": ""}]), "targets[0].value: is empty"),
    (lambda raw: raw["legal_process"].update(issuer_kind="judge"),
     "legal_process.issuer_kind: 'judge' is not one of 'court', 'grand_jury', 'agency', 'fbi', 'fisc' or 'attorney'"),
])
def test_each_schema_error_is_said_in_our_words(change, message):
    raw = example("court_order")
    change(raw)
    assert [p.message for p in verify_request(raw).problems] == [message]


@pytest.mark.parametrize(("size", "echoed"), [(100, True), (101, False)])
def test_an_unreadable_documents_type_is_echoed_up_to_a_hundred_characters(size, echoed):
    raw = example("subpoena")
    raw["type"] = "t" * size
    assert verify_request(raw).type == ("t" * size if echoed else None)


@pytest.mark.parametrize(("value", "length"), [
    ("abc", 3), (["a", "bcde", {"x": "fg"}], 4), ({"k": ["a" * 9, {"deep": "b" * 12}]}, 12), ([], 0), ({}, 0),
    (5, 0), (None, 0), ([1, True, None], 0),
])
def test_the_longest_text_of_an_unknown_field(value, length):
    from domain.wellformed import longest_text

    assert longest_text(value) == length


@pytest.mark.parametrize("extra", [["x" * 10_001], {"note": {"text": "x" * 10_001}}])
def test_an_unknown_fields_nested_text_is_bounded_too(extra):
    raw = example("court_order")
    raw["intake"] = extra
    assert [p.message for p in verify_request(raw).problems] == [
        "intake: holds text longer than 10000 characters (a field the request document does not name is kept, "
        "within that limit)"]


def test_every_vowel_takes_an():
    from domain.findings import article

    assert [article(w) for w in ("agent", "emergency", "intercept", "order", "undercover", "subpoena", "Ex")] == [
        "an agent", "an emergency", "an intercept", "an order", "an undercover", "a subpoena", "an Ex"]


def test_a_python_callers_value_that_is_no_json_kind_is_named_as_a_value():
    raw = example("court_order")
    raw["legal_process"]["reference"] = datetime(2026, 11, 20, tzinfo=UTC)
    assert [p.message for p in verify_request(raw).problems] == [
        "legal_process.reference: must be text (a JSON string), not a value"]


def test_an_error_of_a_kind_not_foreseen_still_quotes_only_a_prefix():
    from domain.verification import _detail

    assert _detail("url_parsing", "u" * 100, {}, "Input should be a valid URL") == (
        "'" + "u" * 80 + "'... (100 characters) is not a valid value here")
