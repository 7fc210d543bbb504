"""The shape of one category's export: a labelled SELECT, how targets filter it, its legend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, FromClause, Select, bindparam, select

from recordstore.base import UtcDateTime
from recordstore.targets import Window

Field = tuple[str, ColumnElement[Any], str]
"""A CSV column: its header name, the SQL expression that renders it as text, its meaning."""

PERIOD_START: BindParameter[Any] = bindparam("period_start", type_=UtcDateTime())
PERIOD_END: BindParameter[Any] = bindparam("period_end", type_=UtcDateTime())
"""The demand's period as a half-open window, for queries that need it beyond the filter."""


class Selector(StrEnum):
    """Whether a category's rows are found by telephone number, by account, or by both."""

    NUMBER = "number"
    SUBSCRIBER = "subscriber"
    NUMBER_OR_SUBSCRIBER = "number_or_subscriber"


@dataclass(frozen=True)
class CategoryQuery:
    """A category's SELECT (labelled columns, deterministic order) and how targets filter it."""

    select: Select[Any]
    """Every column labelled with its CSV header; no target filter yet."""
    selector: Selector
    in_window: Callable[[Any, Window], ColumnElement[bool]]
    """The rows of one selector (a number, or a subscriber id) that fall in one window."""
    legend: list[tuple[str, str]]
    """Each CSV column with its meaning, in header order."""


def category_query(
    fields: list[Field],
    source: FromClause,
    order_by: list[ColumnElement[Any]],
    selector: Selector,
    in_window: Callable[[Any, Window], ColumnElement[bool]],
) -> CategoryQuery:
    """Build a category's query and legend from one list of fields."""
    statement = (
        select(*(expression.label(name) for name, expression, _ in fields)).select_from(source).order_by(*order_by)
    )
    return CategoryQuery(statement, selector, in_window, [(n, m) for n, _, m in fields])
