"""Schema migrations (recordstore.migrations): a store made by the previous release (commit 31a97d5,
tests/fixtures/store_31a97d5.*.sql) or by the later landed state ba33221 keeps its cases, events,
roster and accounts through the upgrade and ends exactly at the models' schema; every revision
runs up and down; a schema this release does not know stops the worker, stack.py up and the
migrate command with one line. SQLite always; PostgreSQL on
the server LES_TEST_DATABASE_URL names, in databases of the test's own, dropped after."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, make_url, select, text

from recordstore import migrate
from recordstore.db import make_engine, make_session_factory, schema_status, upgrade
from recordstore.generator import seed_roster
from recordstore.migrations import (
    SchemaUnknown,
    alembic_config,
    differences,
    fingerprint_at,
    head_revision,
)
from recordstore.models import Actor, ActorRole, Base, Case, CaseEvent, LedgerEntry, Subscriber
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"
RECEIVED = datetime(2026, 11, 2, 14, 5, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_store(request, tmp_path):
    """An empty database of this test's own: a SQLite file, or a PostgreSQL database created on
    LES_TEST_DATABASE_URL's server and dropped after."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
        yield engine
        engine.dispose()
        return
    url = os.environ.get("LES_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("LES_REQUIRE_POSTGRES") == "1":
            pytest.fail("LES_REQUIRE_POSTGRES=1 but LES_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL: LES_TEST_DATABASE_URL is not set")
    name = f"les_migrations_{os.getpid()}_{secrets.token_hex(4)}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(url).set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


RELEASES = {"31a97d5": "0001_release_2026_11_28", "ba33221": "0002_landed_ba33221"}
"""Each older store's fixture commit and the revision it is recognised as."""


def previous_release_store(engine, commit: str = "31a97d5") -> None:
    """The older store's DDL, then a roster, an account, a case and its events written as it did."""
    sql = (FIXTURES / f"store_{commit}.{engine.dialect.name}.sql").read_text()
    ddl = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    statements = [s.strip() for s in ddl.split(";\n") if s.strip()]
    document = '{"request_id": "LES-2026-000042", "request_type": "subpoena"}'
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
        conn.execute(text("INSERT INTO actors VALUES ('jdoe', 'Jane Doe', true), ('kpatel', 'Kiran Patel', true)"))
        conn.execute(text("INSERT INTO actor_roles VALUES ('jdoe', 'analyst'), ('kpatel', 'legal'), "
                          "('kpatel', 'cleared')"))
        conn.execute(text("INSERT INTO cases (request_id, request_type, received_at, document, workflow_id, state, "
                          "opened_at) VALUES ('LES-2026-000042', 'subpoena', :at, :doc, 'les-LES-2026-000042', "
                          "'awaiting_approval', :at)"), {"at": RECEIVED.replace(tzinfo=None), "doc": document})
        pin = "pin_sha256" if commit == "31a97d5" else "pin_hash"
        conn.execute(text(f"INSERT INTO subscribers (account_number, name, service_street, service_city, "
                          f"service_state, service_zip, billing_street, billing_city, billing_state, billing_zip, "
                          f"pin_salt, {pin}, created_at) VALUES ('ACCT-7', 'Ana Lima', '1 Main St', 'Denver', 'CO', "
                          f"'80202', '1 Main St', 'Denver', 'CO', '80202', 'ab12', :hash, :at)"),
                     {"hash": "c" * 64, "at": RECEIVED.replace(tzinfo=None)})
        for seq, (event, actor, role) in enumerate([("received", None, None), ("approve", "jdoe", "analyst")], 1):
            conn.execute(text("INSERT INTO case_events (request_id, seq, at, actor, role, event, accepted, via, "
                              "details) VALUES ('LES-2026-000042', :seq, :at, :actor, :role, :event, true, "
                              "'update', '{}')"),
                         {"seq": seq, "at": RECEIVED.replace(tzinfo=None), "actor": actor, "role": role,
                          "event": event})


@pytest.mark.parametrize("commit", RELEASES)
def test_a_store_of_the_previous_release_keeps_its_cases_and_ends_at_the_models_schema(empty_store, commit):
    previous_release_store(empty_store, commit)
    found = schema_status(empty_store)
    assert (found.state, found.current, found.detected) == ("unversioned", None, RELEASES[commit])
    with empty_store.connect() as conn:  # the old CHECK refuses the auditor role until the upgrade
        assert any(d[0] == "check_constraint" and d[2] == "ck_role" for d in differences(conn))

    upgrade(empty_store)

    assert schema_status(empty_store).state == "current"
    assert schema_status(empty_store).current == head_revision()
    with empty_store.connect() as conn:
        assert differences(conn) == []
    with make_session_factory(empty_store)() as session:
        case = session.get(Case, "LES-2026-000042")
        assert (case.state, case.received_at, case.document["request_type"]) == (
            "awaiting_approval", RECEIVED, "subpoena")
        events = session.scalars(select(CaseEvent).order_by(CaseEvent.seq)).all()
        assert [(e.seq, e.event, e.actor) for e in events] == [(1, "received", None), (2, "approve", "jdoe")]
        roles = set(session.execute(select(ActorRole.actor_id, ActorRole.role)))
        assert roles == {("jdoe", "analyst"), ("kpatel", "legal"), ("kpatel", "cleared")}
        assert session.get(Actor, "kpatel").display_name == "Kiran Patel"
        account = session.scalar(select(Subscriber))
        assert (account.account_number, account.name, account.service_state) == ("ACCT-7", "Ana Lima", "CO")
        # A sha256 PIN hash cannot become a scrypt one: the old release's PINs are gone, not kept as
        # something the new check would misread (the lookup then says there is no PIN on file).
        expected_pin = (None, None) if commit == "31a97d5" else ("ab12", "c" * 64)
        assert (account.pin_salt, account.pin_hash) == expected_pin
        seed_roster(session)  # the demo roster's auditor, which the old CHECK refused
        session.add(LedgerEntry(request_id="LES-2026-000042", position=1, seq=3, body="{}", prev_hash="0" * 64,
                                entry_hash="1" * 64, appended_at=RECEIVED))
        session.commit()
        assert session.get(ActorRole, ("dokafor", "auditor")) is not None
    upgrade(empty_store)  # at head: nothing to do, nothing lost
    with make_session_factory(empty_store)() as session:
        assert session.scalar(select(Case.state)) == "awaiting_approval"


def test_every_revision_runs_up_and_down(empty_store):
    with empty_store.begin() as conn:
        config = alembic_config(conn)
        for revision, count in (("0001_release_2026_11_28", 18), ("0002_landed_ba33221", 27)):
            command.upgrade(config, revision)
            tables = {n: frozenset(c["name"] for c in inspect(conn).get_columns(n))
                      for n in inspect(conn).get_table_names() if n != "alembic_version"}
            assert tables == fingerprint_at(revision) and len(tables) == count
        command.upgrade(config, "head")
        assert differences(conn) == []
        command.downgrade(config, "0001_release_2026_11_28")
        assert "pin_sha256" in {c["name"] for c in inspect(conn).get_columns("subscribers")}
    found = upgrade(empty_store)  # a store at a known older revision: what the worker does at start
    assert (found.state, found.current) == ("behind", "0001_release_2026_11_28")
    assert schema_status(empty_store).state == "current"
    with empty_store.begin() as conn:
        assert differences(conn) == []
        command.downgrade(alembic_config(conn), "base")
        assert inspect(conn).get_table_names() in ([], ["alembic_version"])


@pytest.mark.postgres
def test_workers_started_together_upgrade_a_postgresql_store_once(empty_store):
    """Replicas upgrade at start: on PostgreSQL an advisory lock makes the second wait, then find
    the store at head (on SQLite only the local stack upgrades before its workers start)."""
    if empty_store.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    previous_release_store(empty_store)
    with ThreadPoolExecutor(max_workers=3) as pool:
        found = list(pool.map(lambda _: upgrade(empty_store).state, range(3)))
    assert sorted(found) == ["current", "current", "unversioned"]
    with empty_store.connect() as conn:
        assert differences(conn) == []


def test_a_fresh_store_is_created_at_head_and_one_made_before_migrations_is_recognised(tmp_path):
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert upgrade(fresh).state == "empty"
    assert schema_status(fresh).state == "current"
    unstamped = make_engine(f"sqlite:///{tmp_path / 'unstamped.db'}")
    Base.metadata.create_all(unstamped)  # what create_schema did before migrations existed
    assert schema_status(unstamped).detected == "0004_case_ledger"  # 0005 rewrites the CHECK, idempotent
    upgrade(unstamped)
    with unstamped.connect() as conn:
        assert differences(conn) == []
    stranger = make_engine(f"sqlite:///{tmp_path / 'stranger.db'}")
    with stranger.begin() as conn:
        conn.execute(text("CREATE TABLE cases (request_id VARCHAR(64) PRIMARY KEY)"))
    with pytest.raises(SchemaUnknown, match="match no schema this release knows"):
        upgrade(stranger)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def test_a_schema_newer_than_this_release_stops_the_worker_stack_and_migrate_in_one_line(tmp_path, monkeypatch,
                                                                                       capsys):
    url = f"sqlite:///{tmp_path / 'records.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_a_newer_release'"))
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LES_")}
    ports = free_ports(3)  # never listened on: the store is checked first (free, should that regress)
    env.update(LES_DATABASE_URL=url, LES_STATE_DIR=str(tmp_path / "state"), LES_KEYRING_DIR=str(tmp_path / "keys"),
               LES_TEMPORAL_ADDRESS=f"127.0.0.1:{ports[0]}")
    line = ("the records store is at schema 0099_from_a_newer_release, which this release does not know; "
            "upgrade the software")
    stack = ["-m", "console.stack", "--no-wait", "--ui-port", str(ports[1]), "--codec-port", str(ports[2])]
    for args, prefix in ((["worker.py"], "worker"), (stack, "stack.py up"),
                         (["-m", "recordstore.migrate", "upgrade"], "migrate")):
        done = run(args, env)
        assert done.returncode != 0, args
        assert done.stderr.strip() == f"{prefix}: {line}", args  # one line, no traceback
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert migrate.main(["current"]) == 2
    assert capsys.readouterr().out.strip() == line
