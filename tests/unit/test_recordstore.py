"""The records store: schema, the synthetic generator, the example accounts and the roster."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from domain.vocabulary import Role, TargetKind
from recordstore.db import create_schema, make_engine, make_session_factory
from recordstore.generator import GenerationSummary, generate, place_examples, seed_roster
from recordstore.models import (
    Actor,
    ActorRole,
    AgencyDirectoryEntry,
    CallRecord,
    Case,
    CaseEvent,
    EmergencyCall,
    EventVia,
    Production,
    Subscriber,
    TelephoneNumber,
)
from recordstore.pins import hash_pin, pin_matches

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
STORE_SEED = 4101
SMALL = {"subscribers": 25, "calls_per_subscriber": 40, "start": START, "end": END}


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


def first_calls_checksum(engine: Engine, first_id: int, count: int = 100) -> str:
    """SHA-256 over the first `count` calls a run wrote, every column but the key."""
    query = (
        select(
            CallRecord.caller_number,
            CallRecord.callee_number,
            CallRecord.started_at,
            CallRecord.duration_seconds,
            CallRecord.call_type,
            CallRecord.switch_time_zone,
            CallRecord.utc_offset_minutes,
        )
        .where(CallRecord.id >= first_id, CallRecord.id < first_id + count)
        .order_by(CallRecord.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    assert len(rows) == count
    return hashlib.sha256(repr([tuple(map(str, row)) for row in rows]).encode()).hexdigest()


def fresh_sqlite(tmp_path: Path, name: str) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    create_schema(engine)
    return engine


def test_schema_holds_every_table_and_creating_it_again_changes_nothing(engine: Engine) -> None:
    create_schema(engine)
    tables = set(inspect(engine).get_table_names())
    assert {
        "subscribers",
        "telephone_numbers",
        "services",
        "payment_methods",
        "call_records",
        "internet_sessions",
        "billing_statements",
        "account_notes",
        "e911_calls",
        "voicemails",
        "agency_directory",
        "cases",
        "case_events",
        "actors",
        "actor_roles",
        "productions",
        "invoices",
        "notifications",
    } <= tables


def test_same_seed_gives_the_same_records(tmp_path: Path) -> None:
    first, second, other = (fresh_sqlite(tmp_path, f"{n}.db") for n in ("a", "b", "c"))
    summary = generate(first, seed=11, **SMALL)
    assert generate(second, seed=11, **SMALL) == summary
    assert summary.call_records > 500
    assert first_calls_checksum(first, 1) == first_calls_checksum(second, 1)
    generate(other, seed=12, **SMALL)
    assert first_calls_checksum(other, 1) != first_calls_checksum(first, 1)


@pytest.fixture(scope="module")
def generated(engine: Engine) -> GenerationSummary:
    """A small synthetic population written into the shared store."""
    return generate(engine, seed=STORE_SEED, **SMALL)


def test_generation_writes_what_it_reports_on_this_backend_as_on_sqlite(
    engine: Engine, generated: GenerationSummary, tmp_path: Path
) -> None:
    first_call = generated.first_call_id
    assert first_call is not None
    with engine.connect() as conn:
        accounts = conn.scalar(select(func.count()).where(Subscriber.account_number.like(f"A{STORE_SEED}-%")))
        calls = conn.scalar(
            select(func.count()).where(CallRecord.id >= first_call, CallRecord.id < first_call + generated.call_records)
        )
    assert (accounts, calls) == (generated.subscribers, generated.call_records)
    reference = fresh_sqlite(tmp_path, "reference.db")
    # Keys follow what the store already held; everything else is the same.
    assert replace(generate(reference, seed=STORE_SEED, **SMALL), first_call_id=first_call) == generated
    assert first_calls_checksum(engine, first_call) == first_calls_checksum(reference, 1)


def test_generated_calls_fall_in_the_period_and_read_back_as_aware_utc(
    engine: Engine, generated: GenerationSummary
) -> None:
    first_call = generated.first_call_id
    assert first_call is not None
    ours = CallRecord.id.between(first_call, first_call + generated.call_records - 1)
    with make_session_factory(engine)() as session:
        earliest = session.scalars(select(CallRecord).where(ours).order_by(CallRecord.started_at).limit(1)).one()
        latest = session.scalars(select(CallRecord).where(ours).order_by(CallRecord.started_at.desc()).limit(1)).one()
    assert earliest.started_at.tzinfo is UTC
    assert START <= earliest.started_at < latest.started_at < END
    assert END - latest.started_at < timedelta(days=1) and earliest.started_at - START < timedelta(days=1)


def test_a_timestamp_without_offset_is_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="without an offset"), engine.begin() as conn:
        conn.execute(select(func.count()).where(CallRecord.started_at > datetime(2026, 1, 1)))


def test_placing_the_examples_twice_adds_nothing(engine: Engine) -> None:
    place_examples(engine)

    def counts() -> tuple[int, ...]:
        with engine.connect() as conn:
            return tuple(
                conn.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("subscribers", "call_records", "e911_calls", "agency_directory")
            )

    before = counts()
    assert place_examples(engine) == []
    assert counts() == before


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_target_is_held_by_an_account(engine: Engine, example: Path) -> None:
    place_examples(engine)
    request = json.loads(example.read_text())
    moment = datetime.fromisoformat(request.get("period", {}).get("end") or request["received_at"])
    with make_session_factory(engine)() as session:
        for target in request["targets"]:
            assert target["kind"] == TargetKind.PHONE_NUMBER
            holders = session.scalars(
                select(TelephoneNumber.subscriber_id).where(
                    TelephoneNumber.number == target["value"],
                    TelephoneNumber.valid_from <= moment,
                    (TelephoneNumber.valid_to.is_(None)) | (TelephoneNumber.valid_to > moment),
                )
            ).all()
            assert len(holders) == 1, target["value"]


def test_the_customer_of_the_call_lookup_can_authenticate_with_the_pin(engine: Engine) -> None:
    place_examples(engine)
    request = json.loads((EXAMPLES / "customer_call_lookup.json").read_text())
    customer = request["customer"]
    with make_session_factory(engine)() as session:
        account = session.scalars(
            select(Subscriber).where(Subscriber.account_number == customer["account_number"])
        ).one()
    pin = customer["authentication"]["pin"]
    assert pin == "4921"
    assert pin_matches("4921", account.pin_salt, account.pin_hash)
    assert not pin_matches("0000", account.pin_salt, account.pin_hash)
    assert account.pin_hash == hash_pin("4921", account.pin_salt) != hash_pin("4921", "00" * 8)  # salted
    assert len(account.pin_hash) == 64 and pin not in (account.pin_hash, account.pin_salt)


def test_the_emergency_has_911_calls_in_its_period_and_a_listed_agency(engine: Engine) -> None:
    place_examples(engine)
    request = json.loads((EXAMPLES / "emergency.json").read_text())
    start, end = (datetime.fromisoformat(request["period"][k]) for k in ("start", "end"))
    callback = request["emergency"]["callback"]["number"]
    with make_session_factory(engine)() as session:
        in_period = session.scalar(
            select(func.count()).where(
                EmergencyCall.calling_number == request["targets"][0]["value"],
                EmergencyCall.started_at.between(start, end),
            )
        )
        listed = session.scalars(select(AgencyDirectoryEntry).where(AgencyDirectoryEntry.main_number == callback)).one()
    assert in_period == 2
    assert listed.agency == request["requester"]["agency"]


def test_the_roster_is_seeded_once_with_its_roles(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        seed_roster(session)
    with factory.begin() as session:
        assert seed_roster(session) == 0
    with factory() as session:
        roles: dict[str, set[Role]] = {}
        for actor_id, role in session.execute(select(ActorRole.actor_id, ActorRole.role)):
            roles.setdefault(actor_id, set()).add(role)
        inactive = session.scalars(select(Actor.actor_id).where(Actor.active.is_(False))).all()
    assert roles["rcruz"] == {Role.LEGAL, Role.CLEARED}
    assert roles["tnguyen"] == {Role.ANALYST, Role.CLEARED}
    assert roles["mlee"] == {Role.SUPERVISOR}
    assert {"jdoe", "asmith"} <= {a for a, r in roles.items() if Role.ANALYST in r}
    assert len(inactive) == 1


def test_case_history_is_append_only_and_productions_are_never_numbered_twice(
    engine: Engine,
) -> None:
    factory = make_session_factory(engine)
    now = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
    with factory.begin() as session:
        session.merge(
            Case(
                request_id="TEST-RS-1",
                request_type="subpoena",
                received_at=now,
                document={"request_id": "TEST-RS-1", "x-unknown": [1, 2]},
                workflow_id="wf-TEST-RS-1",
                state="received",
                opened_at=now,
            )
        )
        session.add(
            CaseEvent(
                request_id="TEST-RS-1",
                seq=1,
                at=now,
                actor="jdoe",
                role="analyst",
                event="approve",
                accepted=True,
                via=EventVia.SIGNAL,
                details={"note": "ok"},
            )
        )
    with factory() as session:
        event = session.scalars(select(CaseEvent).where(CaseEvent.request_id == "TEST-RS-1")).first()
        assert event is not None
        assert session.get(Case, "TEST-RS-1").document["x-unknown"] == [1, 2]
        event.note = "rewritten"
        with pytest.raises(ValueError, match="append-only"):
            session.commit()
    production = {
        "request_id": "TEST-RS-1",
        "production_no": 1,
        "path": "p",
        "file_count": 1,
        "manifest_sha256": "0" * 64,
        "row_count": 0,
        "created_at": now,
    }
    with factory.begin() as session:
        session.add(Production(**production))
    with pytest.raises(IntegrityError, match=r"(?i)unique constraint"), factory.begin() as session:
        session.add(Production(**production))


def test_a_second_engine_on_a_sqlite_store_keeps_what_the_first_one_commits(tmp_path: Path):
    """A process holding the SQLite store open (the worker) opens another engine on it, and another
    process (`starter.py`) opens and closes the store: every row the first one commits afterwards
    is seen by a third process. (Opening the file to set its mode once dropped the first one's
    locks; the second process then deleted the write-ahead log under it, and the commit was lost.)"""
    import subprocess
    import sys

    from recordstore.db import make_engine

    db = tmp_path / "deep" / "store" / "records.db"
    engine = make_engine(f"sqlite:///{db}")
    count = f"import sqlite3; print(sqlite3.connect({str(db)!r}).execute('select count(*) from t').fetchone()[0])"
    with engine.connect() as holder:
        holder.execute(text("CREATE TABLE t (x INTEGER)"))
        holder.execute(text("INSERT INTO t VALUES (1)"))
        holder.commit()
        make_engine(f"sqlite:///{db}").dispose()  # the worker's second engine
        assert subprocess.run([sys.executable, "-c", count], capture_output=True, text=True).stdout.strip() == "1"
        holder.execute(text("INSERT INTO t VALUES (2)"))
        holder.commit()
        seen = subprocess.run([sys.executable, "-c", count], capture_output=True, text=True).stdout.strip()
    engine.dispose()
    assert seen == "2"
    assert oct(db.stat().st_mode & 0o777) == "0o600"
