"""The request document models (SPEC §1): structure only, every timestamp aware, extras kept."""

from __future__ import annotations

import copy
import inspect
import json
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, ValidationError

from domain import request as request_module
from domain.request import (
    Document,
    LegalProcess,
    LegalRequest,
    Period,
    Target,
    parse_request,
)
from domain.vocabulary import RecordCategory, RequestType
from tests.conftest import EXAMPLES

SUBPOENA = json.loads((EXAMPLES / "subpoena.json").read_text())


def subpoena(**changes) -> dict:
    """The example subpoena with top-level fields replaced."""
    raw = copy.deepcopy(SUBPOENA)
    raw.update(changes)
    return raw


def error_types(raw: dict) -> list[tuple[str, tuple]]:
    with pytest.raises(ValidationError) as caught:
        parse_request(raw)
    return [(e["type"], e["loc"]) for e in caught.value.errors()]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_parses(path):
    request = parse_request(json.loads(path.read_text()))
    assert request.request_id.startswith("LES-2026-")
    assert request.received_at.tzinfo is not None


def test_all_ten_types_are_accepted_by_the_model():
    for kind in RequestType:
        assert parse_request(subpoena(type=str(kind))).type == kind


def test_naive_received_at_fails():
    assert error_types(subpoena(received_at="2026-11-20T14:05:00")) == [
        ("timezone_aware", ("received_at",))
    ]


@pytest.mark.parametrize(
    "field", ["signed_at", "issued_at", "response_due", "first_interception_at",
              "nondisclosure_until"],
)
def test_every_legal_process_timestamp_must_be_aware(field):
    raw = subpoena()
    raw["legal_process"][field] = "2026-11-19T10:00:00"
    assert error_types(raw) == [("timezone_aware", ("legal_process", field))]


def test_period_and_target_and_callback_timestamps_must_be_aware():
    raw = subpoena(period={"start": "2026-06-01T00:00:00", "end": "2026-08-31T23:59:59Z"})
    assert error_types(raw) == [("timezone_aware", ("period", "start"))]
    raw = subpoena(targets=[{"kind": "ip_address", "value": "198.51.100.7",
                             "observed_at": "2026-07-01T12:00:00"}])
    assert error_types(raw) == [("timezone_aware", ("targets", 0, "observed_at"))]
    raw = subpoena(emergency={"justification": "x", "danger": "death", "callback": {
        "number": "+16025346311", "source": "independently_sourced",
        "verified_at": "2026-11-25T03:20:00"}})
    assert error_types(raw) == [("timezone_aware", ("emergency", "callback", "verified_at"))]


def test_offsets_are_kept_and_compare_as_instants():
    request = parse_request(SUBPOENA)
    assert request.legal_process.response_due == datetime(2026, 12, 11, 0, 0, tzinfo=UTC)


# SPEC §1: '+' and 8-15 ASCII digits.
@pytest.mark.parametrize("value", ["+13035550123", "+442071838750", "+12345678", "+123456789012345"])
def test_e164_phone_numbers_pass(value):
    assert Target(kind="phone_number", value=value).value == value


@pytest.mark.parametrize("value", ["3035550123", "+03035550123", "+1 303 555 0123",
                                   "+1234567890123456", "+", "+1234", "+1234567"])
def test_non_e164_phone_numbers_fail(value):
    with pytest.raises(ValidationError, match=r"is not an E\.164 number"):
        Target(kind="phone_number", value=value)


@pytest.mark.parametrize("value", ["198.51.100.7", "2001:db8::1"])
def test_ip_targets_need_a_valid_address_and_observed_at(value):
    target = Target(kind="ip_address", value=value, observed_at="2026-07-01T12:00:00Z", port=40001)
    assert target.port == 40001
    with pytest.raises(ValidationError, match="observed_at"):
        Target(kind="ip_address", value=value)


@pytest.mark.parametrize("value", ["198.51.100.300", "not-an-ip", "2001:db8:::1"])
def test_invalid_ip_addresses_fail(value):
    with pytest.raises(ValidationError, match="not an IPv4 or IPv6 address"):
        Target(kind="ip_address", value=value, observed_at="2026-07-01T12:00:00Z")


@pytest.mark.parametrize("port,message", [(-1, "greater than or equal to 0"),
                                          (65536, "less than or equal to 65535"),
                                          ("443", "valid integer"), (44.5, "valid integer")])
def test_port_must_be_an_integer_in_range(port, message):
    with pytest.raises(ValidationError, match=message):
        Target(kind="ip_address", value="198.51.100.7", observed_at="2026-07-01T12:00:00Z",
               port=port)


@pytest.mark.parametrize("port", [0, 65535])
def test_port_bounds_are_inclusive(port):
    assert Target(kind="ip_address", value="198.51.100.7", observed_at="2026-07-01T12:00:00Z",
                  port=port).port == port


@pytest.mark.parametrize("value,ok", [("a@example.com", True), ("a@b@example.com", False),
                                      ("example.com", False), ("@example.com", False)])
def test_email_targets_have_exactly_one_at(value, ok):
    if ok:
        assert Target(kind="email", value=value).value == value
    else:
        with pytest.raises(ValidationError, match="e-mail"):
            Target(kind="email", value=value)


def test_account_number_targets_take_any_non_empty_value():
    assert Target(kind="account_number", value="CL-448812").value == "CL-448812"
    with pytest.raises(ValidationError, match="at least 1 character"):
        Target(kind="account_number", value="")
    with pytest.raises(ValidationError, match="holds spaces, control or format characters"):
        Target(kind="account_number", value="CL-448812\u200b")


@pytest.mark.parametrize("digest,ok", [("a" * 64, True), ("A" * 64, True), ("a" * 63, False),
                                       ("a" * 65, False), ("g" * 64, False)])
def test_document_sha256_is_64_hex_digits(digest, ok):
    if ok:
        assert Document(name="order.pdf", sha256=digest).sha256 == digest
    else:
        with pytest.raises(ValidationError, match="SHA-256"):
            Document(name="order.pdf", sha256=digest)


def test_period_start_must_be_before_end():
    with pytest.raises(ValidationError, match="not after start"):
        Period(start="2026-08-31T00:00:00Z", end="2026-06-01T00:00:00Z")
    with pytest.raises(ValidationError, match="not after start"):  # an empty period
        Period(start="2026-08-31T00:00:00Z", end="2026-08-31T00:00:00Z")


def legal_process(**changes) -> dict:
    raw = copy.deepcopy(SUBPOENA["legal_process"])
    raw.update(changes)
    return raw


@pytest.mark.parametrize("jurisdiction,ok", [("federal", True), ("state:CO", True),
                                             ("state:co", False), ("Federal", False),
                                             ("state:COL", False), ("CO", False)])
def test_jurisdiction_is_federal_or_a_state(jurisdiction, ok):
    if ok:
        assert LegalProcess(**legal_process(jurisdiction=jurisdiction)).jurisdiction == jurisdiction
    else:
        with pytest.raises(ValidationError, match="jurisdiction"):
            LegalProcess(**legal_process(jurisdiction=jurisdiction))


@pytest.mark.parametrize("days,message", [(0, "greater than 0"), (-5, "greater than 0"),
                                          ("60", "valid integer"), (60.5, "valid integer"),
                                          (True, "valid integer")])
def test_duration_days_is_a_positive_integer(days, message):
    with pytest.raises(ValidationError, match=message):
        LegalProcess(**legal_process(duration_days=days))


def test_legal_judgement_is_not_the_models_business():
    # A subpoena for content, unsigned, with no period: structurally fine, policy refuses it.
    raw = subpoena(records=["voicemail_content", "intercept_content"])
    del raw["legal_process"]["signed_by"], raw["legal_process"]["signed_at"], raw["period"]
    request = parse_request(raw)
    assert request.legal_process.signed_by is None
    assert request.records == [RecordCategory.VOICEMAIL_CONTENT, RecordCategory.INTERCEPT_CONTENT]


def test_duplicate_categories_are_dropped_keeping_order():
    raw = subpoena(records=["call_records_incoming", "subscriber_info", "call_records_incoming"])
    assert parse_request(raw).records == ["call_records_incoming", "subscriber_info"]


def test_unknown_fields_are_kept_at_every_level_and_round_trip():
    raw = subpoena(x_case_note="handle with care")
    raw["legal_process"]["court_seal"] = "embossed"
    raw["targets"][0]["label"] = "suspect's cell"
    raw["requester"]["badge"] = 4411
    request = parse_request(raw)
    dumped = request.model_dump(mode="json", exclude_none=True)
    assert dumped["x_case_note"] == "handle with care"
    assert dumped["legal_process"]["court_seal"] == "embossed"
    assert dumped["targets"][0]["label"] == "suspect's cell"
    assert dumped["requester"]["badge"] == 4411
    assert parse_request(dumped) == request


def test_required_top_level_fields():
    for field in ("request_id", "type", "received_at", "requester"):
        raw = subpoena()
        del raw[field]
        assert error_types(raw) == [("missing", (field,))]


def test_lists_default_to_empty_so_policy_can_name_the_gap():
    raw = subpoena()
    del raw["targets"], raw["records"], raw["documents"]
    request = parse_request(raw)
    assert (request.targets, request.records, request.documents) == ([], [], [])


def test_unknown_category_and_type_are_enum_errors():
    assert error_types(subpoena(records=["subscriber_info", "location"])) == [
        ("enum", ("records", 1))
    ]
    assert error_types(subpoena(type="warrant")) == [("enum", ("type",))]


def test_customer_and_emergency_blocks():
    raw = json.loads((EXAMPLES / "customer_call_lookup.json").read_text())
    request = parse_request(raw)
    assert request.customer.authentication.method == "account_pin"
    assert request.customer.authentication.model_extra == {"pin": "4921"}
    raw = json.loads((EXAMPLES / "emergency.json").read_text())
    request = parse_request(raw)
    assert request.emergency.supervisor is None
    assert request.emergency.callback.source == "independently_sourced"
    raw["emergency"]["callback"]["number"] = "602-534-6311"
    with pytest.raises(ValidationError, match=r"E\.164"):
        parse_request(raw)


def test_every_model_keeps_extras_and_documents_every_field():
    models = [obj for _, obj in inspect.getmembers(request_module, inspect.isclass)
              if issubclass(obj, BaseModel) and obj.__module__ == request_module.__name__]
    assert LegalRequest in models and len(models) >= 10
    for model in models:
        assert model.model_config.get("extra") == "allow", model
        assert model.__doc__, model
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name}"
