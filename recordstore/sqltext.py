"""SQL functions that render values as CSV text inside the database, the same on every backend.

Formatting in SQL (rather than in Python) is what lets PostgreSQL stream a category with COPY
and still write the very bytes the SQLite path writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class utc_text(FunctionElement[str]):
    """A UTC timestamp as text, `YYYY-MM-DDTHH:MM:SSZ`."""

    type = String()
    inherit_cache = True


class date_text(FunctionElement[str]):
    """A calendar date as text, `YYYY-MM-DD`."""

    type = String()
    inherit_cache = True


class fixed6_text(FunctionElement[str]):
    """A number as text with exactly six decimals (coordinates)."""

    type = String()
    inherit_cache = True


class hex_text(FunctionElement[str]):
    """Bytes as lower-case hexadecimal text."""

    type = String()
    inherit_cache = True


def _arg(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(utc_text, "postgresql")
def _utc_text_pg(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    value = _arg(element, compiler, **kw)
    return f"""to_char(({value}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


@compiles(utc_text)
def _utc_text_sqlite(element: utc_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {_arg(element, compiler, **kw)})"


@compiles(date_text, "postgresql")
def _date_text_pg(element: date_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({_arg(element, compiler, **kw)}, 'YYYY-MM-DD')"


@compiles(date_text)
def _date_text_sqlite(element: date_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m-%d', {_arg(element, compiler, **kw)})"


@compiles(fixed6_text, "postgresql")
def _fixed6_text_pg(element: fixed6_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"round(CAST({_arg(element, compiler, **kw)} AS numeric), 6)::text"


@compiles(fixed6_text)
def _fixed6_text_sqlite(element: fixed6_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"printf('%.6f', {_arg(element, compiler, **kw)})"


@compiles(hex_text, "postgresql")
def _hex_text_pg(element: hex_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"encode({_arg(element, compiler, **kw)}, 'hex')"


@compiles(hex_text)
def _hex_text_sqlite(element: hex_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower(hex({_arg(element, compiler, **kw)}))"
