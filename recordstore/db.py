"""Opening the store: one SQLAlchemy URL picks SQLite (development) or PostgreSQL (production)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
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
    return create_engine(url, pool_pre_ping=True, **engine_options)


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
