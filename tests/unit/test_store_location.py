"""cell_site_location: who may have it (Carpenter), what it holds, and the same bytes everywhere;
column scope: what each instrument may see of a category it may have."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, or_, select

from domain.policy import PERMITTED_CATEGORIES, refusal_reason
from domain.scope import LOCATION_INSTRUMENTS, columns_in_scope
from domain.verification import verify_request
from domain.vocabulary import RecordCategory, RequestType
from recordstore.db import create_schema
from recordstore.export import FIELD_LEGEND, export_category, legend_for
from recordstore.generator import place_examples
from recordstore.models import CallRecord
from tests.conftest import EXAMPLES
from tests.store_support import header, own_store, read_rows
from tests.unit.test_export import example, fresh_stores

C, T = RecordCategory, RequestType
CARPENTER = "historical location needs a warrant (Carpenter v. United States, 585 U.S. 296 (2018))"


@pytest.fixture(scope="module")
def store(database_url: str, tmp_path_factory) -> Engine:
    with own_store(database_url, tmp_path_factory.mktemp("location"), "les_store_location") as engine:
        yield engine


def test_location_is_permitted_on_a_warrant_fisa_or_emergency_only() -> None:
    allowed = {t for t, categories in PERMITTED_CATEGORIES.items() if C.CELL_SITE_LOCATION in categories}
    assert allowed == {T.SEARCH_WARRANT, T.FISA_ORDER, T.EMERGENCY, T.PRESERVATION}  # preservation discloses none
    assert allowed - {T.PRESERVATION} == LOCATION_INSTRUMENTS
    for kind in (T.SUBPOENA, T.COURT_ORDER, T.NATIONAL_SECURITY_LETTER, T.CUSTOMER_CALL_LOOKUP):
        assert CARPENTER in refusal_reason(kind, C.CELL_SITE_LOCATION)


def test_the_court_order_example_is_refused_location_with_carpenter() -> None:
    result = verify_request(json.loads((EXAMPLES / "court_order.json").read_text()))
    assert C.CELL_SITE_LOCATION not in result.permitted
    (refusal,) = [r for r in result.refused if r.category == C.CELL_SITE_LOCATION]
    assert CARPENTER in refusal.reason
    warrant = verify_request(json.loads((EXAMPLES / "search_warrant.json").read_text()))
    assert C.CELL_SITE_LOCATION in warrant.permitted


def test_the_warrant_gets_the_serving_sector_of_every_call_of_the_target(store: Engine, tmp_path: Path) -> None:
    targets, start, end = example("search_warrant")
    number = targets[0].value
    result = export_category(store, C.CELL_SITE_LOCATION, targets, start, end, tmp_path / "csl.csv")
    rows = read_rows(result.path)
    with store.connect() as conn:
        calls = conn.scalar(select(func.count()).where(
            or_(CallRecord.caller_number == number, CallRecord.callee_number == number),
            CallRecord.started_at >= start, CallRecord.started_at <= end))
    assert calls > 0 and result.rows == len(rows) == calls
    assert {r["record_type"] for r in rows} == {"call"}  # CO-770123 has no data sessions
    assert all(r["number"] == number and r["cell_site"].startswith("CO-DENVER-") for r in rows)
    assert {r["direction"] for r in rows} == {"outgoing", "incoming"}
    assert all(r["sector"] in {"1", "2", "3"} and r["beamwidth_degrees"] == "120" for r in rows)
    assert all("2026-07-01T00:00:00Z" <= r["started_at"] <= "2026-07-31T23:59:59Z" for r in rows)


def test_the_emergency_gets_the_sectors_of_calls_and_data_sessions(store: Engine, tmp_path: Path) -> None:
    targets, start, end = example("emergency")
    rows = read_rows(export_category(store, C.CELL_SITE_LOCATION, targets, start, end, tmp_path / "e.csv").path)
    sessions = [r for r in rows if r["record_type"] == "session"]
    # AZ-990999's two mobile sessions of 2026-11-24 20:00 and 2026-11-25 01:00, and 14 + 6 calls + 2 edges each way.
    assert [(s["started_at"], s["account_number"], s["number"]) for s in sessions] == [
        ("2026-11-24T20:00:00Z", "AZ-990999", ""), ("2026-11-25T01:00:00Z", "AZ-990999", "")]
    assert len(rows) - len(sessions) == 14 + 6 + 4
    assert all(r["cell_site"].startswith("AZ-PHOENIX-") for r in rows)


GOLDEN_LOCATION = "2499101f130c4d28b884c9672c83280ffeca1d51bf6e848798f5ff6f6e8001b6"


def test_location_is_the_same_bytes_on_every_backend(database_url: str, tmp_path: Path) -> None:
    for engine in fresh_stores(database_url, tmp_path):
        create_schema(engine)
        place_examples(engine)
        written = export_category(engine, C.CELL_SITE_LOCATION, *example("emergency"),
                                  tmp_path / engine.dialect.name / "csl.csv")
        engine.dispose()
        assert written.sha256 == GOLDEN_LOCATION, engine.dialect.name
        assert written.sha256 == hashlib.sha256(written.path.read_bytes()).hexdigest()


def test_e911_without_a_warrant_carries_no_location(store: Engine, tmp_path: Path) -> None:
    targets, start, end = example("emergency")
    columns = columns_in_scope(T.COURT_ORDER, C.E911_RECORDS, [c for c, _ in FIELD_LEGEND[C.E911_RECORDS]])
    assert columns == ["e911_call_id", "calling_number", "started_at", "psap"]
    result = export_category(store, C.E911_RECORDS, targets, start, end, tmp_path / "e911.csv", columns=columns)
    assert header(result.path) == result.columns == columns == [c for c, _ in legend_for(T.COURT_ORDER, C.E911_RECORDS)]
    assert result.rows == 2 and "33." not in result.path.read_text()  # no Phoenix latitude anywhere
    for kind in (T.SEARCH_WARRANT, T.FISA_ORDER, T.EMERGENCY):
        assert legend_for(kind, C.E911_RECORDS) == FIELD_LEGEND[C.E911_RECORDS]


def test_a_national_security_letter_sees_only_name_address_service_start_and_toll_records() -> None:
    nsl = T.NATIONAL_SECURITY_LETTER
    assert [c for c, _ in legend_for(nsl, C.SUBSCRIBER_INFO)] == [
        "name", "service_street", "service_city", "service_state", "service_zip",
        "billing_street", "billing_city", "billing_state", "billing_zip"]
    assert [c for c, _ in legend_for(nsl, C.SERVICE_HISTORY)] == ["started_on"]
    assert legend_for(nsl, C.CALL_RECORDS_OUTGOING) == FIELD_LEGEND[C.CALL_RECORDS_OUTGOING]
    with pytest.raises(ValueError, match="reaches no billing_records"):
        legend_for(nsl, C.BILLING_RECORDS)
    assert legend_for(T.SUBPOENA, C.SUBSCRIBER_INFO) == FIELD_LEGEND[C.SUBSCRIBER_INFO]


