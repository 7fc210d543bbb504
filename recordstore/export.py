"""Retrieval: one record category for a demand's targets and period, streamed to a CSV file.

PostgreSQL streams the rows with `COPY (SELECT ...) TO STDOUT` straight into the file;
other backends stream a server-side cursor through the same CSV dialect. Timestamps and
other non-text values are rendered as text inside the SELECT, so both produce the same bytes.
Memory stays flat however many rows a target has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Select, false, func, or_, select

from domain.collection import COLLECTION_LEGEND
from domain.scope import columns_in_scope
from domain.targets import TargetRows
from domain.vocabulary import PROSPECTIVE_CATEGORIES, RecordCategory, RequestType
from recordstore.categories import CATEGORY_QUERIES, CategoryQuery, Selector
from recordstore.csvfile import HashingFile, atomic_file, csv_lines
from recordstore.targets import Match, Scope, TargetSpec, Window, match_targets, period_window, union

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
    by_target: list[TargetRows] = field(default_factory=list)
    """What each target that resolved answers in the file: rows, and from which accounts."""


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
    period = period_window(period_start, period_end)
    matches = match_targets(conn, targets, period, within_account)
    return _scoped(_query_of(category), union(m.scope for m in matches), period, columns)


def _query_of(category: RecordCategory) -> CategoryQuery:
    category = RecordCategory(category)
    if category in PROSPECTIVE_CATEGORIES:
        raise ValueError(
            f"{category} is collected prospectively under a live order, not kept as a stored "
            "record; it cannot be exported from the records store"
        )
    return CATEGORY_QUERIES[category]


def _scoped(query: CategoryQuery, scope: Scope, period: Window, columns: Sequence[str] | None = None) -> Select[Any]:
    """The category's SELECT over exactly what `scope` reaches (nothing, for an empty scope)."""
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


def _count(conn: Connection, query: CategoryQuery, scope: Scope, period: Window) -> int:
    statement = _scoped(query, scope, period).order_by(None)
    return conn.scalar(select(func.count()).select_from(statement.subquery())) or 0


def rows_by_target(conn: Connection, category: RecordCategory, matches: list[Match], period: Window,
                   file_rows: int) -> list[TargetRows]:
    """Per target that resolved: the rows of the file it answers, and per account how many came
    from that account while the target reached it. A row two targets answer counts under each."""
    query = _query_of(category)
    resolved = [m for m in matches if m.problem is None]
    answers = []
    for match in resolved:
        only_target = len(matches) == 1
        rows = file_rows if only_target else _count(conn, query, match.scope, period)
        accounts: dict[str, int] = {}
        for holding in match.holdings:
            counted = rows if _reaches_the_same(holding.scope, match.scope) else _count(conn, query, holding.scope,
                                                                                          period)
            accounts[holding.account_number] = accounts.get(holding.account_number, 0) + counted
        answers.append(TargetRows(index=match.index, value=match.target.value, rows=rows, accounts=accounts))
    return answers


def _reaches_the_same(one: Scope, other: Scope) -> bool:
    """Whether two scopes select the same rows (one account holding a number all period, say):
    then the count already made stands for both."""
    return set(one.numbers) == set(other.numbers) and set(one.subscribers) == set(other.subscribers)


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
    on_write: Callable[[HashingFile], None] | None = None,
) -> CategoryExport:
    """Write `category` for `targets` to `out_path` as CSV, and count what each target answers.
    Targets that resolve to no one reach nothing: with none resolved the file is header-only
    (the workflow never certifies such a file; it answers with a no-records letter). The same
    inputs always write the same bytes. `on_write` sees the file after every chunk written
    (the activity heartbeats from it)."""
    query = _query_of(category)
    period = period_window(period_start, period_end)
    with snapshot_connection(engine) as conn:
        matches = match_targets(conn, targets, period, within_account)
        statement = _scoped(query, union(m.scope for m in matches), period, columns)
        with atomic_file(out_path, on_write) as sink:
            if conn.dialect.name == "postgresql":
                rows = _copy_out(conn, statement, sink)
            else:
                rows = _stream_out(conn, statement, sink)
        by_target = rows_by_target(conn, category, matches, period, rows)
    columns = list(statement.selected_columns.keys())
    return CategoryExport(RecordCategory(category), out_path, rows, sink.sha256, sink.bytes, columns, by_target)


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
