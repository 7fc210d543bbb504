"""Retrieval: one record category for a demand's targets and period, streamed to a CSV file.

PostgreSQL streams the rows with `COPY (SELECT ...) TO STDOUT` straight into the file;
other backends stream a server-side cursor through the same CSV dialect. Timestamps and
other non-text values are rendered as text inside the SELECT, so both produce the same bytes.
Memory stays flat however many rows a target has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Select, false, or_

from domain.collection import COLLECTION_LEGEND
from domain.scope import columns_in_scope
from domain.vocabulary import PROSPECTIVE_CATEGORIES, RecordCategory, RequestType
from recordstore.categories import CATEGORY_QUERIES, Selector
from recordstore.csvfile import HashingFile, atomic_file, csv_lines
from recordstore.targets import TargetSpec, Window, period_window, resolve_targets

CATEGORY_EXPORTS: dict[RecordCategory, Select[Any]] = {
    category: query.select for category, query in CATEGORY_QUERIES.items()
}
"""Each stored category's SELECT: labelled columns in CSV order, deterministic ORDER BY."""

FIELD_LEGEND: dict[RecordCategory, list[tuple[str, str]]] = {
    **{category: query.legend for category, query in CATEGORY_QUERIES.items()},
    **COLLECTION_LEGEND,
}
"""Each category's CSV columns, in header order, with what each one means: the stored categories'
from their queries, the collected ones' (pen_trap, intercept_content) from domain/collection.py."""

FETCH_ROWS = 5000


def scoped_columns(request_type: RequestType, category: RecordCategory) -> list[str]:
    """The columns of `category` a file produced on this instrument carries (domain.scope)."""
    return columns_in_scope(request_type, category, [column for column, _ in FIELD_LEGEND[RecordCategory(category)]])


def legend_for(request_type: RequestType, category: RecordCategory) -> list[tuple[str, str]]:
    """The field legend of `category` as produced on this instrument: its columns, in header order."""
    kept = set(scoped_columns(request_type, category))
    return [(column, meaning) for column, meaning in FIELD_LEGEND[RecordCategory(category)] if column in kept]


@dataclass(frozen=True)
class CategoryExport:
    """One category's file of a production: where it is and what it holds."""

    category: RecordCategory
    path: Path
    rows: int
    sha256: str
    """SHA-256 of the file's bytes, hex."""
    bytes: int
    columns: list[str]


def export_statement(
    conn: Connection,
    category: RecordCategory,
    targets: list[TargetSpec],
    period_start: datetime | None,
    period_end: datetime | None,
    *,
    columns: Sequence[str] | None = None,
    within_account: str | None = None,
) -> Select[Any]:
    """The SELECT that retrieves `category` for `targets` within the period (bounds inclusive).

    `columns` keeps only those columns (in the category's order); `within_account` counts a
    phone number only while that account held it (a customer's own records).
    """
    category = RecordCategory(category)
    if category in PROSPECTIVE_CATEGORIES:
        raise ValueError(
            f"{category} is collected prospectively under a live order, not kept as a stored "
            "record; it cannot be exported from the records store"
        )
    query = CATEGORY_QUERIES[category]
    period = period_window(period_start, period_end)
    scope = resolve_targets(conn, targets, period, within_account)
    keys: tuple[tuple[Any, Window], ...] = {
        Selector.NUMBER: scope.numbers,
        Selector.SUBSCRIBER: scope.subscribers,
        Selector.NUMBER_OR_SUBSCRIBER: (*scope.numbers, *scope.subscribers),
    }[query.selector]
    in_scope = or_(*(query.in_window(key, window) for key, window in keys)) if keys else false()
    statement = query.select.where(in_scope)
    if columns is not None:
        kept = set(columns)
        statement = statement.with_only_columns(*(c for c in statement.selected_columns if c.key in kept))
    return statement.params(period_start=period.start, period_end=period.end)


def export_category(
    engine: Engine,
    category: RecordCategory,
    targets: list[TargetSpec],
    period_start: datetime | None,
    period_end: datetime | None,
    out_path: Path,
    *,
    columns: Sequence[str] | None = None,
    within_account: str | None = None,
) -> CategoryExport:
    """Write `category` for `targets` to `out_path` as CSV; a target that names nothing
    gives a header-only file. The same inputs always write the same bytes."""
    category = RecordCategory(category)
    with snapshot_connection(engine) as conn:
        statement = export_statement(
            conn, category, targets, period_start, period_end, columns=columns, within_account=within_account
        )
        with atomic_file(out_path) as sink:
            if conn.dialect.name == "postgresql":
                rows = _copy_out(conn, statement, sink)
            else:
                rows = _stream_out(conn, statement, sink)
    columns = list(statement.selected_columns.keys())
    return CategoryExport(category, out_path, rows, sink.sha256, sink.bytes, columns)


def snapshot_connection(engine: Engine) -> Connection:
    """A connection whose reads all see one snapshot (targets resolved, then rows read)."""
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(isolation_level="REPEATABLE READ")
    return engine.connect()


def copy_sql(conn: Connection, statement: Select[Any]) -> str:
    """`statement` as one PostgreSQL SELECT with its parameters inlined, ready for COPY."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        return cursor.mogrify(compiled.string, compiled.params).decode()
    finally:
        cursor.close()


def _copy_out(conn: Connection, statement: Select[Any], sink: HashingFile) -> int:
    sql = copy_sql(conn, statement)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)", sink)
        return cursor.rowcount
    finally:
        cursor.close()


def _stream_out(conn: Connection, statement: Select[Any], sink: HashingFile) -> int:
    result = conn.execution_options(stream_results=True, yield_per=FETCH_ROWS).execute(statement)
    sink.write(csv_lines([result.keys()]))
    rows = 0
    for batch in result.partitions():
        sink.write(csv_lines(batch))
        rows += len(batch)
    return rows
