"""Retrieval: each category's CSV holds exactly the target's rows in the period, nothing else."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from domain.vocabulary import STORED_CATEGORIES, RecordCategory, TargetKind
from recordstore.db import create_schema, make_engine, make_session_factory
from recordstore.export import FIELD_LEGEND, CategoryExport, TargetSpec, export_category
from recordstore.generator import generate, place_examples
from recordstore.models import AccessType, InternetSession, Subscriber

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
C = RecordCategory
NOISE_SEED = 4102
PARITY_SCHEMA = "les_export_parity"


def example(name: str) -> tuple[list[TargetSpec], datetime, datetime]:
    request = json.loads((EXAMPLES / f"{name}.json").read_text())
    targets = [TargetSpec.model_validate(t) for t in request["targets"]]
    period = request["period"]
    return targets, datetime.fromisoformat(period["start"]), datetime.fromisoformat(period["end"])


def phone(number: str) -> list[TargetSpec]:
    return [TargetSpec(kind=TargetKind.PHONE_NUMBER, value=number)]


def read_csv(result: CategoryExport) -> list[dict[str, str]]:
    with result.path.open(newline="") as file:
        return list(csv.DictReader(file))


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def store(database_url: str) -> Iterator[Engine]:
    """The shared store with the example accounts, other subscribers' traffic around them,
    and a carrier-grade NAT address shared by two subscribers."""
    engine = make_engine(database_url)
    create_schema(engine)
    place_examples(engine)
    with engine.connect() as conn:
        generated = conn.scalar(select(Subscriber.id).where(Subscriber.account_number == f"A{NOISE_SEED}-0000000"))
    if generated is None:
        start, end = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
        generate(engine, seed=NOISE_SEED, subscribers=30, calls_per_subscriber=60, start=start, end=end)
    with make_session_factory(engine).begin() as session:
        _share_a_nat_address(session)
    yield engine
    engine.dispose()


NAT_IP, NAT_SEEN = "100.64.77.1", datetime(2026, 7, 4, 12, 0, tzinfo=UTC)


SOLO_IP = "100.64.77.2"


def _share_a_nat_address(session: Session) -> None:
    """Two subscribers behind one public address at the same moment, in different port blocks,
    and a third alone on another NAT address at that moment."""
    for account, ports, ip in (("NAT-TEST-A", (1024, 3023), NAT_IP), ("NAT-TEST-B", (3024, 5023), NAT_IP),
                               ("NAT-TEST-SOLO", (1024, 3023), SOLO_IP)):
        if session.scalar(select(Subscriber.id).where(Subscriber.account_number == account)):
            continue
        subscriber = Subscriber(
            account_number=account,
            name=f"Subscriber {account}",
            service_street="1 Test St",
            service_city="Denver",
            service_state="CO",
            service_zip="80202",
            billing_street="1 Test St",
            billing_city="Denver",
            billing_state="CO",
            billing_zip="80202",
            email=f"{account.lower()}@example.com",
            date_of_birth=None,
            pin_salt=None,
            pin_hash=None,
            created_at=datetime(2020, 1, 1, tzinfo=UTC),
        )
        session.add(subscriber)
        session.flush()
        session.add(
            InternetSession(
                subscriber_id=subscriber.id,
                started_at=NAT_SEEN - timedelta(hours=2),
                ended_at=NAT_SEEN + timedelta(hours=2),
                assigned_ip=ip,
                nat_port_start=ports[0],
                nat_port_end=ports[1],
                access_type=AccessType.MOBILE,
                bytes_up=1,
                bytes_down=2,
            )
        )


def independent_calls(engine: Engine, column: str, number: str, start: datetime, end: datetime) -> set[str]:
    """Call ids by a plain SQL query, written apart from the export's own."""
    query = text(
        f"SELECT id FROM call_records WHERE {column} = :number AND started_at >= :start AND started_at <= :end"
    )
    with engine.connect() as conn:
        rows = conn.execute(query.bindparams(number=number, start=start, end=end))
        # Bound as the store binds timestamps: UTC, naive on SQLite.
        return {str(r[0]) for r in rows}


@pytest.mark.parametrize(
    ("category", "column", "count"),
    [
        (C.CALL_RECORDS_OUTGOING, "caller_number", 120 + 2),  # plus a call at each edge second
        (C.CALL_RECORDS_INCOMING, "callee_number", 80 + 2),
    ],
)
def test_the_subpoena_calls_are_exactly_the_targets_calls_in_its_period(
    store: Engine, tmp_path: Path, category: RecordCategory, column: str, count: int
) -> None:
    targets, start, end = example("subpoena")
    number = targets[0].value
    result = export_category(store, category, targets, start, end, tmp_path / f"{category}.csv")
    rows = read_csv(result)
    bind = (lambda m: m.astimezone(UTC).replace(tzinfo=None)) if store.dialect.name == "sqlite" else (lambda m: m)
    expected = independent_calls(store, column, number, bind(start), bind(end))
    assert {row["call_id"] for row in rows} == expected
    assert result.rows == len(rows) == len(expected) == count
    assert all(row[column] == number for row in rows)
    assert all(utc_text(start) <= row["started_at"] <= utc_text(end) for row in rows)
    stamps = [row["started_at"] for row in rows]
    assert stamps == sorted(stamps)
    assert stamps[0] == "2026-06-01T00:00:00Z" and stamps[-1] == "2026-08-31T23:59:59Z"


CALL_COLUMNS = "call_id caller_number callee_number started_at duration_seconds call_type switch_time_zone " \
               "utc_offset_minutes"
HEADERS = {  # written out: a column renamed, dropped or moved is a change to every production
    C.CELL_SITE_LOCATION: "record_type record_id number account_number direction started_at ended_at "
                          "duration_seconds cell_site sector azimuth_degrees beamwidth_degrees site_latitude "
                          "site_longitude site_address",
    C.BILLING_RECORDS: "account_number record_type record_id recorded_at period_start period_end amount_cents "
                       "author text",
    C.CALL_RECORDS_INCOMING: CALL_COLUMNS,
    C.CALL_RECORDS_OUTGOING: CALL_COLUMNS,
    C.E911_RECORDS: "e911_call_id calling_number started_at psap latitude longitude location_source uncertainty_m "
                    "dispatchable_address",
    C.INTERNET_SESSIONS: "account_number session_id started_at ended_at assigned_ip nat_port_start nat_port_end "
                         "access_type bytes_up bytes_down",
    C.PAYMENT_INFO: "account_number kind masked_detail payer_name added_at",
    C.SERVICE_HISTORY: "account_number service_type started_on ended_on customer_since",
    C.SUBSCRIBER_INFO: "account_number name service_street service_city service_state service_zip billing_street "
                       "billing_city billing_state billing_zip email date_of_birth customer_since telephone_number "
                       "number_held_from number_held_until",
    C.VOICEMAIL_CONTENT: "voicemail_id mailbox_number caller_number left_at duration_seconds content_sha256 audio_hex",
    C.VOICEMAIL_METADATA: "voicemail_id mailbox_number caller_number left_at duration_seconds",
}


def test_the_header_is_the_field_legend_and_the_hash_is_the_files(store: Engine, tmp_path: Path) -> None:
    targets, start, end = example("subpoena")
    assert set(HEADERS) == set(STORED_CATEGORIES)
    for category in sorted(STORED_CATEGORIES):
        result = export_category(store, category, targets, start, end, tmp_path / f"{category}.csv")
        header = result.path.read_text().split("\n", 1)[0].split(",")
        assert header == result.columns == HEADERS[category].split(), category
        assert [column for column, _ in FIELD_LEGEND[category]] == header, category
        assert all(meaning for _, meaning in FIELD_LEGEND[category])
        data = result.path.read_bytes()
        assert (result.sha256, result.bytes) == (hashlib.sha256(data).hexdigest(), len(data))
        assert result.rows == data.count(b"\n") - 1


def test_prospective_categories_are_not_stored_records(store: Engine, tmp_path: Path) -> None:
    for category in (C.PEN_TRAP, C.INTERCEPT_CONTENT):
        with pytest.raises(ValueError, match="not kept as a stored record"):
            export_category(store, category, phone("+16125550188"), None, None, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_a_target_the_carrier_never_served_gives_a_header_only_file(store: Engine, tmp_path: Path) -> None:
    _, start, end = example("subpoena")
    for category in (C.SUBSCRIBER_INFO, C.CALL_RECORDS_OUTGOING, C.INTERNET_SESSIONS):
        result = export_category(store, category, phone("+19995550100"), start, end, tmp_path / "none.csv")
        assert result.rows == 0
        assert result.path.read_text() == ",".join(result.columns) + "\n"


def accounts_in(result: CategoryExport) -> set[str]:
    return {row["account_number"] for row in read_csv(result)}


def test_an_address_behind_nat_resolves_by_port_to_one_subscriber(store: Engine, tmp_path: Path) -> None:
    def holders(port: int | None, seen: datetime = NAT_SEEN) -> set[str]:
        target = TargetSpec(kind=TargetKind.IP_ADDRESS, value=NAT_IP, observed_at=seen, port=port)
        day = (seen - timedelta(days=1), seen + timedelta(days=1))
        return accounts_in(export_category(store, C.INTERNET_SESSIONS, [target], *day, tmp_path / "ip.csv"))

    assert holders(2000) == {"NAT-TEST-A"}
    assert holders(4000) == {"NAT-TEST-B"}
    assert holders(None) == set()  # a shared address without its port names no one
    assert holders(2000, NAT_SEEN + timedelta(hours=3)) == set()  # nobody held it then
    assert holders(9000) == set()  # no block covers the port


def test_a_nat_address_one_subscriber_held_alone_names_them_without_a_port(store: Engine, tmp_path: Path) -> None:
    target = TargetSpec(kind=TargetKind.IP_ADDRESS, value=SOLO_IP, observed_at=NAT_SEEN)
    day = (NAT_SEEN - timedelta(days=1), NAT_SEEN + timedelta(days=1))
    result = export_category(store, C.SUBSCRIBER_INFO, [target], *day, tmp_path / "solo.csv")
    assert accounts_in(result) == {"NAT-TEST-SOLO"}
    assert [(t.index, t.rows, t.accounts) for t in result.by_target] == [(0, 1, {"NAT-TEST-SOLO": 1})]


def test_each_target_is_counted_with_the_accounts_its_rows_came_from(store: Engine, tmp_path: Path) -> None:
    _, start, end = example("subpoena")
    targets = [*phone("+13035550123"), TargetSpec(kind=TargetKind.ACCOUNT_NUMBER, value="CO-770123"),
               *phone("+19995550100")]
    result = export_category(store, C.CALL_RECORDS_OUTGOING, targets, start, end, tmp_path / "calls.csv")
    assert result.rows == 122  # 120 placed in the period and one at each of its edge seconds
    # The number and the account that held it answer the same 122 calls; the unknown number none.
    assert [(t.index, t.rows, t.accounts) for t in result.by_target] == [
        (0, 122, {"CO-770123": 122}), (1, 122, {"CO-770123": 122})]


def test_a_reassigned_number_resolves_to_whoever_held_it_in_the_period(store: Engine, tmp_path: Path) -> None:
    targets, start, end = example("subpoena")
    out = tmp_path / "subscriber.csv"
    assert accounts_in(export_category(store, C.SUBSCRIBER_INFO, targets, start, end, out)) == {"CO-770123"}
    year_2020 = (datetime(2020, 7, 1, tzinfo=UTC), datetime(2020, 12, 31, tzinfo=UTC))
    assert accounts_in(export_category(store, C.SUBSCRIBER_INFO, targets, *year_2020, out)) == {"CO-310044"}
    both = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2022, 1, 1, tzinfo=UTC))
    assert accounts_in(export_category(store, C.SUBSCRIBER_INFO, targets, *both, out)) == {
        "CO-310044",
        "CO-770123",
    }
    # Through the earlier holder's account, only the calls made while it held the number.
    earlier = [TargetSpec(kind=TargetKind.ACCOUNT_NUMBER, value="CO-310044")]
    calls = read_csv(export_category(store, C.CALL_RECORDS_OUTGOING, earlier, *both, out))
    assert len(calls) == 30
    assert all(row["started_at"] < "2021-01-31T23:00:00Z" for row in calls)


def test_an_email_or_account_target_finds_the_account_and_its_numbers(store: Engine, tmp_path: Path) -> None:
    _, start, end = example("national_security_letter")
    by_phone = export_category(store, C.BILLING_RECORDS, phone("+12025550177"), start, end, tmp_path / "a.csv")
    for kind, value in ((TargetKind.EMAIL, "H.Quist@example.org"), (TargetKind.ACCOUNT_NUMBER, "DC-880177")):
        target = [TargetSpec(kind=kind, value=value)]
        other = export_category(store, C.BILLING_RECORDS, target, start, end, tmp_path / "b.csv")
        assert other.sha256 == by_phone.sha256
    rows = read_csv(by_phone)
    assert [r["record_type"] for r in rows].count("statement") == 10  # issued Jan..Oct 2026
    assert any('"courtesy"' in r["text"] for r in rows)


def test_a_retried_export_rewrites_the_same_bytes_in_place(store: Engine, tmp_path: Path) -> None:
    targets, start, end = example("customer_call_lookup")
    out = tmp_path / "calls.csv"
    first = export_category(store, C.CALL_RECORDS_OUTGOING, targets, start, end, out)
    out.write_text("a torn earlier attempt")
    again = export_category(store, C.CALL_RECORDS_OUTGOING, targets, start, end, out)
    assert (again.sha256, again.rows) == (first.sha256, first.rows) and first.rows == 47
    assert [p.name for p in tmp_path.iterdir()] == ["calls.csv"]


# The examples' accounts alone, exported from a fresh store: the bytes every backend must write.
GOLDEN = {
    C.CALL_RECORDS_OUTGOING: "053c4f5a3ac4919f4d29374903354efccbe6dd0ddc1cb517ff8a042c9bde584f",
    C.VOICEMAIL_CONTENT: "a39c5f64bc4c2c4b80b22d28205b34d465173075c97cdb16ab84b67243c70a8b",
    C.BILLING_RECORDS: "2547d5ee33b8ea83d5b448e342db8121faa41221af9d6f8eb5e6116b1b6d7fe5",
    C.E911_RECORDS: "d175699c6d6f8be71a7045a9a678683b4b655690d3892d04cdf78401c9c95064",
}


def fresh_stores(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty SQLite store and, when the tests run on PostgreSQL, an empty schema there."""
    yield make_engine(f"sqlite:///{tmp_path / 'parity.db'}")
    if not database_url.startswith("postgresql"):
        return
    admin = make_engine(database_url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PARITY_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PARITY_SCHEMA}"))
    try:
        yield make_engine(database_url, connect_args={"options": f"-csearch_path={PARITY_SCHEMA}"})
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PARITY_SCHEMA} CASCADE"))
        admin.dispose()


def test_every_backend_writes_the_same_bytes(database_url: str, tmp_path: Path) -> None:
    """The same records give byte-identical files on SQLite and PostgreSQL (COPY)."""
    requests = {
        C.CALL_RECORDS_OUTGOING: example("subpoena"),
        C.VOICEMAIL_CONTENT: example("subpoena"),
        C.BILLING_RECORDS: example("national_security_letter"),
        C.E911_RECORDS: example("emergency"),
    }
    for engine in fresh_stores(database_url, tmp_path):
        create_schema(engine)
        place_examples(engine)
        folder = tmp_path / engine.dialect.name
        written = {
            category: export_category(engine, category, *request, folder / f"{category}.csv").sha256
            for category, request in requests.items()
        }
        engine.dispose()
        assert written == GOLDEN, engine.dialect.name
