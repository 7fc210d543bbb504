"""Identifiers (SPEC §1): request ids, production ids and document names, each fault said in words and
reported by the request model at its field; what an unreadable document is still named by."""

from __future__ import annotations

import copy
import json
import re

import pytest
from pydantic import ValidationError

from domain.identifiers import file_name_fault, production_id, request_id_fault
from domain.request import Document, parse_request
from domain.vocabulary import RecordCategory, RequestType
from tests.conftest import EXAMPLES

T, C = RequestType, RecordCategory



RULE = "1-64 ASCII letters, digits, '.', '_' and '-', starting with a letter or digit"


# ---- request_id ----------------------------------------------------------------------------------


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


# ---- documents[].name: one plain path component -----------------------------------------------
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


# ---- the request model reports an identifier's fault at its field ---------------------------
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


def test_an_unreadable_document_keeps_only_readable_names():
    from domain.verification import verify_request

    result = verify_request({"request_id": "LES-1", "type": "sub\ud800poena", "requester": {"name": "\ud800"}})
    assert (result.request_id, result.type, str(result.verdict)) == ("LES-1", None, "reject")
    result = verify_request({"request_id": "LES-\udc00", "type": "subpoena", "x": "\ud800"})
    assert (result.request_id, result.type) == (None, "subpoena")
    assert verify_request({"request_id": 7, "type": ["subpoena"], "x": "\ud800"}).request_id is None
