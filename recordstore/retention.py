"""Retention: call records and Internet sessions older than the carrier keeps them are purged.

Held records live in their own tables (recordstore.hold_models) and are never read or deleted
here, so a preservation hold outlives the purge of the originals it copied.

    python -m recordstore.retention [--days N] [--dry-run] [--url URL]
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, select

from recordstore.models import CallCellRecord, CallRecord, InternetSession, SessionCellRecord

DEFAULT_RETENTION_DAYS = 730
"""Carrier policy: two years of call detail records and session logs."""


def retention_days_from_env() -> int:
    """LES_RETENTION_DAYS, or the carrier's default."""
    text = os.environ.get("LES_RETENTION_DAYS", "").strip()
    days = int(text) if text else DEFAULT_RETENTION_DAYS
    if days < 1:
        raise ValueError(f"LES_RETENTION_DAYS must be at least 1 (got {days})")
    return days


def purge(engine: Engine, older_than: timedelta, now: datetime, *, dry_run: bool = False) -> dict[str, int]:
    """Delete (or, dry, count) the records begun before `now - older_than`; returns rows per table."""
    if older_than <= timedelta(0):
        raise ValueError("older_than must be positive")
    cutoff = now.astimezone(UTC) - older_than
    old_calls = select(CallRecord.id).where(CallRecord.started_at < cutoff)
    old_sessions = select(InternetSession.id).where(InternetSession.started_at < cutoff)
    # Location rows first: they point at the calls and sessions.
    plan = [
        ("call_cell_records", CallCellRecord, CallCellRecord.call_id.in_(old_calls)),
        ("session_cell_records", SessionCellRecord, SessionCellRecord.session_id.in_(old_sessions)),
        ("call_records", CallRecord, CallRecord.started_at < cutoff),
        ("internet_sessions", InternetSession, InternetSession.started_at < cutoff),
    ]
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for name, model, condition in plan:
            if dry_run:
                counts[name] = conn.scalar(select(func.count()).select_from(model).where(condition)) or 0
            else:
                counts[name] = conn.execute(delete(model).where(condition)).rowcount
    return counts


def main(argv: list[str] | None = None) -> None:
    from les.config import Settings
    from recordstore.db import create_schema, make_engine

    parser = argparse.ArgumentParser(prog="python -m recordstore.retention", description=__doc__)
    parser.add_argument("--days", type=int, default=None, help="days kept (default LES_RETENTION_DAYS or 730)")
    parser.add_argument("--dry-run", action="store_true", help="count what would be purged, delete nothing")
    parser.add_argument("--url", default=None, help="the store (default LES_DATABASE_URL)")
    args = parser.parse_args(argv)
    try:
        days = args.days if args.days is not None else retention_days_from_env()
        if days < 1:
            raise ValueError(f"--days must be at least 1 (got {days})")
    except ValueError as err:
        parser.error(str(err))
    engine = make_engine(args.url or Settings.from_env().database_url)
    create_schema(engine)
    counts = purge(engine, timedelta(days=days), datetime.now(UTC), dry_run=args.dry_run)
    engine.dispose()
    verb = "would purge" if args.dry_run else "purged"
    print(f"records older than {days} days: {verb}")
    for table, rows in counts.items():
        print(f"{table:>22}: {rows}")


if __name__ == "__main__":
    main()
