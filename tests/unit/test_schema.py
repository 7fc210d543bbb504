"""The JSON Schemas in schema/ are what the pydantic models make today, the examples are valid against
them, no document the model accepts is refused by them, and malformed documents are refused by both."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from domain.case import CaseState, CaseStatus
from domain.contracts import CaseEvent
from domain.request import parse_request
from domain.schema import SCHEMA_FOLDER, SCHEMAS, main, stale_files
from tests.conftest import EXAMPLES, REPO

REQUEST = Draft202012Validator(json.loads((SCHEMA_FOLDER / "request.schema.json").read_text(encoding="utf-8")))
STATUS = Draft202012Validator(json.loads((SCHEMA_FOLDER / "status.schema.json").read_text(encoding="utf-8")))


def request_documents() -> list[Path]:
    """Every request document the tests keep (tests/cases and the like): a JSON object with a type."""
    found = []
    for path in sorted(REPO.glob("tests/**/*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(document, dict) and "request_id" in document and "type" in document:
            found.append(path)
    return found


def errors(validator: Draft202012Validator, instance) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def test_the_checked_in_schemas_are_what_the_models_make_now():
    assert stale_files(SCHEMA_FOLDER) == [], (
        "schema/ is out of date with domain/request.py or domain/case.py: run `.venv/bin/python -m domain.schema` "
        "and commit schema/")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_each_schema_is_a_valid_draft_2020_12_schema(name):
    Draft202012Validator.check_schema(json.loads((SCHEMA_FOLDER / name).read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_every_example_is_valid(path):
    assert errors(REQUEST, json.loads(path.read_text(encoding="utf-8"))) == []


def test_the_schema_never_refuses_a_document_the_model_accepts():
    documents = request_documents()
    assert len(documents) > 100  # the adversarial corpora of tests/cases, wherever the tests keep them
    refused = []
    for path in documents:
        document = json.loads(path.read_text(encoding="utf-8"))
        try:
            parse_request(document)
        except ValidationError:
            continue
        if found := errors(REQUEST, document):
            refused.append(f"{path.relative_to(REPO)}: {found}")
    assert refused == []


def subpoena() -> dict:
    return json.loads((EXAMPLES / "subpoena.json").read_text(encoding="utf-8"))


def broken(change) -> dict:
    document = copy.deepcopy(subpoena())
    change(document)
    return document


MALFORMED = {
    "request_id with a slash": broken(lambda d: d.update(request_id="../LES-1")),
    "request_id of 65 characters": broken(lambda d: d.update(request_id="L" * 65)),
    "an unknown type": broken(lambda d: d.update(type="parking_ticket")),
    "no received_at": broken(lambda d: d.pop("received_at")),
    "a timestamp given as a number": broken(lambda d: d.update(received_at=1795000000)),
    "a phone target without +": broken(lambda d: d["targets"][0].update(value="3035550123")),
    "an ip_address target without observed_at": broken(
        lambda d: d["targets"].append({"kind": "ip_address", "value": "203.0.113.7"})),
    "a port given as text": broken(lambda d: d["targets"].append(
        {"kind": "ip_address", "value": "203.0.113.7", "observed_at": "2026-07-01T00:00:00Z", "port": "443"})),
    "an e-mail target without @": broken(lambda d: d["targets"].append({"kind": "email", "value": "nobody"})),
    "an unknown record category": broken(lambda d: d["records"].append("dna_samples")),
    "jurisdiction state:ZZ": broken(lambda d: d["legal_process"].update(jurisdiction="state:ZZ")),
    "a short sha256": broken(lambda d: d["documents"][0].update(sha256="9f2c")),
    "a signer's name of 257 characters": broken(lambda d: d["legal_process"].update(signed_by="J" * 257)),
    "requester not an object": broken(lambda d: d.update(requester="Det. Jane Roe")),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_document_is_refused_by_the_schema_and_by_the_model(name):
    document = MALFORMED[name]
    assert errors(REQUEST, document) != []
    with pytest.raises(ValidationError):
        parse_request(document)


def a_status() -> CaseStatus:
    at = datetime(2026, 11, 29, 16, 40, tzinfo=UTC)
    return CaseStatus(
        request_id="LES-2026-000101", request_type="subpoena", state=CaseState.AWAITING_APPROVAL,
        open_tasks=["approval by analyst"], deadlines={"response_due": at}, overdue=False, reminded=False,
        verdict="partial", permitted=["subscriber_info"],
        refused=[{"category": "voicemail_content", "reason": "needs a search warrant"}],
        problems=[], approvals_required=["analyst"], approvals={},
        history=[CaseEvent(request_id="LES-2026-000101", seq=1, at=at, name="verified", actor="system")],
        production=None, invoice=None, resolution=None, details={"targets": []},
    )


def test_status_json_as_the_model_writes_it_is_valid():
    written = {**json.loads(a_status().model_dump_json()), "progress": []}
    assert errors(STATUS, written) == []


def test_a_status_without_its_state_or_with_an_unknown_state_is_refused():
    written = json.loads(a_status().model_dump_json())
    assert errors(STATUS, {k: v for k, v in written.items() if k != "state"}) != []
    assert errors(STATUS, {**written, "state": "pondering"}) != []


def test_the_restricted_view_of_a_national_security_case_is_valid_and_holds_nothing_more():
    restricted = {"request_id": "LES-2026-000105", "request_type": "national_security_letter",
                  "state": "awaiting_approval", "deadlines": {"response_due": "2026-12-11T00:00:00Z"},
                  "overdue": False, "restricted": True}
    assert errors(STATUS, restricted) == []
    assert errors(STATUS, {**restricted, "permitted": ["subscriber_info"]}) != []


def test_the_generator_writes_the_files_and_its_check_sees_a_stale_one(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SCHEMAS)
    assert main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "status.schema.json").write_text("{}\n", encoding="utf-8")
    assert main(["--check", "--out", str(tmp_path)]) == 1
    assert "status.schema.json: out of date; run `python -m domain.schema`" in capsys.readouterr().err
