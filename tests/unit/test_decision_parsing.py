"""A decision read from the JSON object a person sends (`parse_decision`): its fields trimmed, and
every wrong field named."""

from __future__ import annotations

import pytest

from domain.case_machine import (
    Refused,
    parse_decision,
)
from tests.case_support import (
    D,
)


def test_a_decision_is_read_from_its_json_object():
    decision = parse_decision(D.RECORD_EXTENSION, {"actor": " jdoe ", "role": "legal", "note": "  renewal  ",
                                                   "renewal_received_at": "2027-01-20T10:00:00Z"}, via="signal")
    assert decision.model_dump() == {"name": "record_extension", "actor": "jdoe", "role": "legal",
                                     "note": "renewal", "fields": {"renewal_received_at": "2027-01-20T10:00:00Z"},
                                     "via": "signal"}
    assert parse_decision(D.APPROVE, {"actor": "jdoe", "role": "analyst"}).via == "update"
    assert parse_decision(D.APPROVE, {"actor": "jdoe", "role": "analyst"}).fields == {}


def test_a_malformed_decision_names_every_wrong_field():
    with pytest.raises(Refused, match=r'^approve: expected one JSON object like \{"actor": "jdoe", "role": '
                                      r'"analyst", "note": "\.\.\."\}, got list$'):
        parse_decision(D.APPROVE, ["jdoe"])
    with pytest.raises(Refused, match=r"^reject: malformed decision \(actor: Value error, actor must name a "
                                      r"person; role: Input should be 'analyst', 'supervisor', 'legal', "
                                      r"'cleared' or 'auditor'\)$"):
        parse_decision(D.REJECT, {"actor": "  ", "role": "pilot"})
