"""Preservation holds in the store: snapshot a category's export rows, and export them again.

A held row keeps the values the export's SELECT rendered (text and integers), so writing
them back through the export's CSV dialect gives the very bytes the live tables gave.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select

from domain.vocabulary import PROSPECTIVE_CATEGORIES, RecordCategory
from recordstore.csvfile import HashingFile, atomic_file, csv_lines
from recordstore.export import FETCH_ROWS, CategoryExport, export_statement
from recordstore.models import HeldRecord
from recordstore.targets import TargetSpec


def snapshot_category(
    conn: Connection,
    request_id: str,
    category: RecordCategory,
    targets: list[TargetSpec],
    period_start: datetime | None,
    period_end: datetime | None,
) -> tuple[int, list[str]]:
    """Copy the category's export rows into the hold, in export order; returns (rows, columns).

    Runs inside the caller's transaction, so a hold is either placed whole or not at all.
    """
    category = RecordCategory(category)
    if category in PROSPECTIVE_CATEGORIES:
        raise ValueError(f"{category} is prospective: nothing is stored to preserve (18 U.S.C. 2703(f))")
    statement = export_statement(conn, category, targets, period_start, period_end)
    # Options on this execution only: the inserts below share the connection.
    result = conn.execute(statement, execution_options={"stream_results": True, "yield_per": FETCH_ROWS})
    columns = list(result.keys())
    rows = 0
    for batch in result.partitions():
        conn.execute(insert(HeldRecord), [
            {"request_id": request_id, "category": str(category), "seq": rows + n, "row_values": list(row)}
            for n, row in enumerate(batch)
        ])
        rows += len(batch)
    return rows, columns


def export_held(
    engine: Engine,
    request_id: str,
    category: RecordCategory,
    held_columns: Sequence[str],
    columns: Sequence[str],
    out_path: Path,
    on_write: Callable[[HashingFile], None] | None = None,
) -> CategoryExport:
    """Write the hold's rows of `category` to `out_path`, keeping only `columns`, as the live export would."""
    category = RecordCategory(category)
    picks = [list(held_columns).index(column) for column in columns]
    query = (
        select(HeldRecord.row_values)
        .where(HeldRecord.request_id == request_id, HeldRecord.category == str(category))
        .order_by(HeldRecord.seq)
    )
    rows = 0
    with engine.connect() as conn, atomic_file(out_path, on_write) as sink:
        sink.write(csv_lines([columns]))
        result = conn.execute(query, execution_options={"stream_results": True, "yield_per": FETCH_ROWS})
        for batch in result.partitions():
            sink.write(csv_lines([values[i] for i in picks] for (values,) in batch))
            rows += len(batch)
    return CategoryExport(category, out_path, rows, sink.sha256, sink.bytes, list(columns))
