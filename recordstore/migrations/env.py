"""Alembic's environment, configured by recordstore.migrations (no alembic.ini): the connection
comes in config.attributes["connection"], already in the transaction that holds the upgrade lock."""

from __future__ import annotations

from alembic import context

from recordstore.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by rebuilding it
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
