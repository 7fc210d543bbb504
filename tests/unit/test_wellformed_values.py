"""What a well-formed value is (SPEC §1, domain.wellformed): timestamps within 1970-2999 with an offset,
jurisdictions, lone surrogates found with their path; distinct accounts stay two targets."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from domain.request import parse_request
from domain.vocabulary import RecordCategory, RequestType
from domain.wellformed import jurisdiction_fault, lone_surrogates, timestamp_fault
from tests.conftest import EXAMPLES

T, C = RequestType, RecordCategory



def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


@pytest.mark.parametrize("text", ["1970-01-01T00:00:00Z", "2999-12-31T23:59:59Z", "2026-11-20T14:05:00+05:30"])
def test_timestamps_within_1970_to_2999_have_no_fault(text):
    assert timestamp_fault(text) is None


@pytest.mark.parametrize(("text", "fault"), [
    ("1969-12-31T23:59:59Z", "'1969-12-31T23:59:59Z' lies outside the years 1970-2999"),
    ("3000-01-01T00:00:00Z", "'3000-01-01T00:00:00Z' lies outside the years 1970-2999"),
    ("2026-11-20", "'2026-11-20' is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS with an offset or Z, "
                   "e.g. 2026-11-20T14:05:00Z)"),
    ("2026-11-20T14:05:00", "naive"),
])
def test_timestamps_that_are_not_say_why(text, fault):
    assert timestamp_fault(text) == fault


NOT_A_TIMESTAMP = "is not a timestamp; write an RFC 3339 string such as 2026-11-20T14:05:00Z"


@pytest.mark.parametrize(("value", "kind"), [
    (1763647500, "a number"), (1.5, "a number"), (None, "null"), (True, "bool"), ([], "list"),
    ({"at": 1}, "dict"),
])
def test_what_is_not_text_is_not_a_timestamp(value, kind):
    assert timestamp_fault(value) == f"{kind} {NOT_A_TIMESTAMP}"


@pytest.mark.parametrize(("value", "fault"), [
    ("state:ZZ", "'state:ZZ' names no US state, DC or territory; use 'federal' or 'state:XX' with a USPS "
                 "code (e.g. state:CO, state:DC, state:PR)"),
    ("State:co", "'State:co' is not a jurisdiction; use 'federal' or 'state:XX' (e.g. state:CO)"),
    (5, "int is not a jurisdiction; use 'federal' or 'state:XX' (e.g. state:CO)"),
    (None, "NoneType is not a jurisdiction; use 'federal' or 'state:XX' (e.g. state:CO)"),
])
def test_jurisdiction_faults_say_why(value, fault):
    assert jurisdiction_fault(value) == fault


def test_a_naive_timestamp_in_a_document_is_refused_for_its_missing_offset():
    raw = example("subpoena")
    raw["received_at"] = "2026-11-20T14:05:00"
    with pytest.raises(ValidationError, match=r"received_at\n  timestamp has no UTC offset"):
        parse_request(raw)


@pytest.mark.parametrize(("document", "paths"), [
    ("\ud800", ["request"]),
    ("\udfff", ["request"]),  # the last surrogate
    ("\ue000", []),  # the first private-use character after them is text
    ({"a": {"b": "x\udc00"}}, ["a.b"]),
    ({"\udfff": 1, "ok": "\ud800"}, ["request (a key)", "ok"]),  # a bad key does not stop the search
    ({"a": {"\ud800": 1}}, ["a (a key)"]),
    ({"\ue000": "fine"}, []),
    ({"list": ["fine", "\udfff"]}, ["list[1]"]),
    (["fine", ["\ud800"]], ["[1][0]"]),
])
def test_every_lone_surrogate_is_found_with_its_path(document, paths):
    assert list(lone_surrogates(document)) == paths


def test_account_numbers_that_differ_in_case_are_two_targets():
    raw = example("subpoena")
    raw["targets"] = [{"kind": "account_number", "value": "AB-1001"},
                      {"kind": "account_number", "value": "ab-1001"},
                      {"kind": "email", "value": "Jane@Example.com"},
                      {"kind": "email", "value": "jane@example.com"}]
    assert [t.value for t in parse_request(raw).targets] == ["AB-1001", "ab-1001", "Jane@Example.com"]
