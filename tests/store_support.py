"""Helpers for the records-store tests: a store of their own (so purging and holds never touch
the shared one), running an activity, and reading a produced CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from recordstore.db import create_schema, make_engine, make_session_factory
from recordstore.generator import place_examples, seed_roster


@contextmanager
def own_store(database_url: str, tmp_path: Path, schema: str) -> Iterator[Engine]:
    """An empty store holding only the examples and the roster: a SQLite file, or on PostgreSQL
    a schema of its own in the database under test."""
    if database_url.startswith("postgresql"):
        admin = make_engine(database_url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine = make_engine(database_url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        admin, engine = None, make_engine(f"sqlite:///{tmp_path / f'{schema}.db'}")
    try:
        create_schema(engine)
        place_examples(engine)
        with make_session_factory(engine).begin() as session:
            seed_roster(session)
        yield engine
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def header(path: Path) -> list[str]:
    return path.read_text().split("\n", 1)[0].split(",")
