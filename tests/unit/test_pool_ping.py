"""recordstore/db.py: a pooled PostgreSQL connection that sat idle is pinged before use and replaced
when the server dropped it; one in steady use is not pinged (issue 26: the pings were a third of a
subpoena's transactions). Against the PostgreSQL that LES_TEST_DATABASE_URL names (CI's)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from recordstore import db


@pytest.fixture
def engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL server is needed to drop a connection from (LES_TEST_DATABASE_URL)")
    engine = db.make_engine(database_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def pid_of(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def drop_backend(database_url: str, pid: int) -> None:
    """What a PostgreSQL restart does to one pooled connection: the server ends it."""
    other = db.make_engine(database_url, poolclass=None)
    try:
        with other.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
    finally:
        other.dispose()


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(engine, database_url, monkeypatch):
    first = pid_of(engine)
    drop_backend(database_url, first)
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # it has sat idle long enough
    assert pid_of(engine) != first  # the ping found it gone: a new connection, no error


def counted_pings(monkeypatch) -> list[object]:
    pings: list[object] = []
    real = db._ping
    monkeypatch.setattr(db, "_ping", lambda connection: (pings.append(connection), real(connection)))
    return pings


def test_only_a_connection_idle_long_enough_is_pinged(engine, monkeypatch):
    pings = counted_pings(monkeypatch)
    pid_of(engine)
    pid_of(engine)
    assert pings == []  # used a moment ago: no round trip before the statement
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    pid_of(engine)
    assert len(pings) == 1


def test_a_busy_connection_is_not_pinged_and_a_dropped_one_fails_once(engine, database_url, monkeypatch):
    pings = counted_pings(monkeypatch)
    first = pid_of(engine)
    pid_of(engine)
    drop_backend(database_url, first)
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)  # used a moment ago: no ping
    with pytest.raises(OperationalError):
        pid_of(engine)  # the activity's attempt fails; its retry gets a new connection
    assert pid_of(engine) != first
    assert pings == []
