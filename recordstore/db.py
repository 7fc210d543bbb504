"""Opening the store: one SQLAlchemy URL picks SQLite (development) or PostgreSQL (production)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from les import paths

if TYPE_CHECKING:
    from recordstore.migrations import SchemaStatus


def make_engine(url: str, **engine_options: Any) -> Engine:
    """An engine for `url`, tuned for its backend (SQLite: foreign keys and WAL)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, **engine_options)
        if engine.url.database and engine.url.database != ":memory:" and "mode=memory" not in url:
            paths.make_private_file(Path(engine.url.database))  # 0600 before SQLite first opens it
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    engine = create_engine(url, **engine_options)
    event.listen(engine, "checkin", _note_idle_since)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


IDLE_PING_SECONDS = 5.0
"""A pooled PostgreSQL connection idle longer than this is pinged (`SELECT 1`) before use, and
replaced when the server has gone (a PostgreSQL restart, a failover, an idle timeout): what
SQLAlchemy's `pool_pre_ping` does, but only for connections that sat idle, so a busy worker does
not pay a round trip per transaction (issue 26: about 15 of a subpoena's 48 transactions were
pings). A connection in steady use that the server drops fails its statement once; the activity
is retried on a fresh connection (the pool is invalidated on a disconnect)."""


def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    _ping(dbapi_connection)


def _ping(dbapi_connection: Any) -> None:
    """`SELECT 1` on the driver's connection; a dead one raises DisconnectionError (the pool
    then connects anew). Looked up at each checkout, so a test can count the pings."""
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as err:  # the driver's own error for a dead connection: the pool connects anew
        raise exc.DisconnectionError(f"the pooled connection was closed by the server: {err}") from err


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the worker's readers run while an activity writes; memory databases ignore it.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """The one session factory of a process; sessions keep loaded values after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def create_schema(engine: Engine) -> None:
    """Bring the store to this release's schema (safe to run at each start): see `upgrade`."""
    upgrade(engine)


def upgrade(engine: Engine) -> SchemaStatus:
    """Bring the store to the head revision: create an empty one, upgrade an older one, recognise one
    made before migrations; raises SchemaUnknown (one line) for a schema this release does not know."""
    from recordstore import migrations

    return migrations.upgrade(engine)


def schema_status(engine: Engine) -> SchemaStatus:
    """Where the store's schema stands (recordstore.migrations.SchemaStatus), without changing it."""
    from recordstore import migrations

    return migrations.schema_status(engine)
