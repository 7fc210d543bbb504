"""Versioned schema of the records and case store (Alembic), run without an alembic.ini.

`upgrade(engine)` brings any store this release knows to the head revision:

- an empty database: the models' `create_all`, then stamped at head (no replay of history);
- a database at an older revision: the revisions since, in order;
- tables but no `alembic_version` (made before migrations existed): its tables and columns are
  compared with each revision's (`fingerprint_at`); the first that matches is stamped, then the
  rest run (revisions that add no table must therefore be idempotent, as 0004 is);
- a revision this release does not know (a newer release wrote it), or tables that match no
  revision: `SchemaUnknown`, whose message is one line for the operator.

On PostgreSQL the whole upgrade holds an advisory lock, so workers started together upgrade once.
`schema_status(engine)` says where a store stands without changing it. A new revision goes in
versions/ (see the README, "Schema migrations").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Connection, Engine, inspect, text

from recordstore.models import Base

HERE = Path(__file__).resolve().parent
UPGRADE_LOCK = 0x1E5_5C4E
"""PostgreSQL advisory lock key held while a process upgrades the store."""


class SchemaUnknown(RuntimeError):
    """The store's schema is not one this release knows; the message is one line for the operator."""


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    """The store's revision (None: no alembic_version)."""
    head: str
    state: str
    """empty, current, behind, unversioned (tables from before migrations) or unknown."""
    detected: str | None = None
    """For an unversioned store: the revision its tables match, if any."""

    def line(self) -> str:
        if self.state == "current":
            return f"the records store is at schema {self.current} (head)"
        if self.state == "behind":
            return f"the records store is at schema {self.current}; head is {self.head} (run upgrade)"
        if self.state == "empty":
            return f"the records store is empty; upgrade creates schema {self.head}"
        if self.state == "unversioned" and self.detected:
            return f"the records store has no schema version; its tables are schema {self.detected} (run upgrade)"
        if self.state == "unversioned":
            return ("the records store has tables but no schema version, and they match no schema this release "
                    "knows; restore it from a backup of a release or recreate it")
        return (f"the records store is at schema {self.current}, which this release does not know; "
                "upgrade the software")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None
    return head


def fingerprint_at(revision: str) -> dict[str, frozenset[str]]:
    """The tables and their columns of a store at `revision`: each revision's TABLES, base to it."""
    script = script_directory()
    chain = list(reversed(list(script.walk_revisions("base", revision))))
    tables: dict[str, frozenset[str]] = {}
    for rev in chain:
        for name, columns in rev.module.TABLES.items():
            tables[name] = frozenset(columns)
    return tables


def _fingerprint(connection: Connection) -> dict[str, frozenset[str]]:
    inspector = inspect(connection)
    return {name: frozenset(c["name"] for c in inspector.get_columns(name))
            for name in inspector.get_table_names() if name != "alembic_version"}


def _detect(connection: Connection) -> str | None:
    found = _fingerprint(connection)
    for rev in reversed(list(script_directory().walk_revisions("base", "heads"))):
        if fingerprint_at(rev.revision) == found:
            return rev.revision
    return None


def _status(connection: Connection) -> SchemaStatus:
    head = head_revision()
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
        if not tables:
            return SchemaStatus(None, head, "empty")
        return SchemaStatus(None, head, "unversioned", _detect(connection))
    if current == head:
        return SchemaStatus(current, head, "current")
    known = {rev.revision for rev in script_directory().walk_revisions("base", "heads")}
    return SchemaStatus(current, head, "behind" if current in known else "unknown")


def schema_status(engine: Engine) -> SchemaStatus:
    """Where the store stands, without changing it."""
    with engine.connect() as connection:
        return _status(connection)


def upgrade(engine: Engine) -> SchemaStatus:
    """Bring the store to head (module docstring); raises SchemaUnknown. Returns the status found."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        status = _status(connection)
        config = alembic_config(connection)
        if status.state == "empty":
            Base.metadata.create_all(connection)
            command.stamp(config, "head")
        elif status.state == "unversioned":
            if status.detected is None:
                raise SchemaUnknown(status.line())
            command.stamp(config, status.detected)
            command.upgrade(config, "head")
        elif status.state == "behind":
            command.upgrade(config, "head")
        elif status.state == "unknown":
            raise SchemaUnknown(status.line())
    return status


def _check_values(sql: str) -> tuple[str, ...]:
    return tuple(sorted(re.findall(r"'([^']*)'", sql)))


def differences(connection: Connection) -> list[Any]:
    """How the store's schema differs from the models: Alembic's autogenerate comparison (tables,
    columns, types, indexes, unique and foreign keys) plus the CHECK constraints it does not compare,
    by name and allowed values. Empty when the store is exactly this release's schema."""
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    found: list[Any] = list(compare_metadata(context, Base.metadata))
    inspector = inspect(connection)
    existing = set(inspector.get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            continue
        wanted = {c.name: _check_values(str(c.sqltext.compile(dialect=connection.dialect,
                                                               compile_kwargs={"literal_binds": True})))
                  for c in table.constraints if isinstance(c, CheckConstraint)}
        present = {c["name"]: _check_values(c["sqltext"]) for c in inspector.get_check_constraints(table.name)}
        for name in sorted(set(wanted) | set(present)):
            if wanted.get(name) != present.get(name):
                found.append(("check_constraint", table.name, name, present.get(name), wanted.get(name)))
    return found
