"""Filling the benchmark database: its own PostgreSQL database, never the tests' one."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import Engine, make_url, select, text

from recordstore.db import create_schema, make_engine
from recordstore.generator import generate
from recordstore.models import Subscriber

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2027, 1, 1, tzinfo=UTC)
BASE_SEED = 5000


def ensure_database(url: str, fresh: bool) -> None:
    """Create the benchmark database if it is missing (or, with `fresh`, anew)."""
    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        name = target.database
        if fresh:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def heavy_account(seed: int, number: str) -> str:
    return f"H{seed}-{number.lstrip('+')}"


def fill(engine: Engine, subscribers: int, calls_per_subscriber: int, heavy: list[tuple[str, int]]) -> None:
    """Generate the base population with the first heavy target, then each further target
    alone; skip any part already there. Prints how long generation took."""
    create_schema(engine)
    for position, (number, calls) in enumerate(heavy):
        seed = BASE_SEED + position
        with engine.connect() as conn:
            done = conn.scalar(select(Subscriber.id).where(Subscriber.account_number == heavy_account(seed, number)))
        if done:
            print(f"reusing {number} ({calls:,} calls) already in the database")
            continue
        began = time.perf_counter()
        summary = generate(
            engine,
            seed=seed,
            subscribers=subscribers if position == 0 else 0,
            calls_per_subscriber=calls_per_subscriber,
            start=YEAR_START,
            end=YEAR_END,
            heavy_target=(number, calls),
            batch_size=100_000,
        )
        print(
            f"generated {summary.call_records:,} call records ({summary.subscribers:,} "
            f"subscribers, heavy target {number}: {calls:,}) in {time.perf_counter() - began:.1f} s"
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        total = conn.scalar(text("SELECT count(*) FROM call_records"))
    print(f"call_records in the database: {total:,}")
