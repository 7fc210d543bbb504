"""What a well-formed request document is (SPEC §1), as small pure rules the request model applies.

Each rule exists because a looser one let something through: Python's `\\d` takes other scripts'
digits and `$` a trailing newline, pydantic takes a Unix number for a timestamp, a zero-width
space looks like a signature. Read beside SPEC §1 "What a well-formed document is"."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from typing import Any

MAX_DOCUMENT_BYTES = 1024 * 1024
"""SPEC §1: the whole document is at most 1 MiB; larger is refused before anything is read."""

E164 = re.compile(r"\+[1-9][0-9]{7,14}", re.ASCII)
"""SPEC §1: '+' and 8-15 ASCII digits (no leading 0: no country code starts with one), matched whole."""

RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})?",
    re.ASCII,
)
"""RFC 3339 date-time, matched whole; `offset` is empty for a naive (and so defective) one."""

EARLIEST_YEAR, LATEST_YEAR = 1970, 2999
"""Timestamps outside these years are typing errors, and near year 1 or 9999 no clock can be added."""

# The 50 states, DC and the five inhabited territories with their own courts (USPS codes).
US_STATE_CODES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY",
    "DC",
    "AS", "GU", "MP", "PR", "VI",
})

# Unicode general categories that carry no visible text: control, format (zero-width, bidi
# marks), surrogates, private use, unassigned, and line/paragraph separators.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def is_e164(value: object) -> bool:
    return isinstance(value, str) and E164.fullmatch(value) is not None


def meaningful_text(value: object) -> object:
    """A name, signature or justification without what does not count (SPEC §1): format and
    control characters and surrounding spaces. What is left empty is absent (None).
    Anything but text is returned as it is, for the model to refuse."""
    if not isinstance(value, str):
        return value
    kept = "".join(c for c in value if unicodedata.category(c) not in INVISIBLE_CATEGORIES)
    kept = kept.strip()
    return kept or None


def timestamp_fault(value: object) -> str | None:
    """Why `value` is not an RFC 3339 timestamp string with an offset, or None when it is one.

    The fault 'naive' (alone) marks a well-formed timestamp without an offset."""
    if isinstance(value, datetime):
        return None  # a Python caller's own datetime; pydantic still refuses a naive one
    if not isinstance(value, str):
        kind = "a number" if isinstance(value, int | float) and not isinstance(value, bool) else (
            f"{type(value).__name__}" if value is not None else "null")
        return f"{kind} is not a timestamp; write an RFC 3339 string such as 2026-11-20T14:05:00Z"
    match = RFC3339.fullmatch(value)
    if match is None:
        return (f"{value!a} is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS with an offset or Z, "
                "e.g. 2026-11-20T14:05:00Z)")
    if not match.group("offset"):
        return "naive"
    year = int(value[:4])
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        return f"{value!a} lies outside the years {EARLIEST_YEAR}-{LATEST_YEAR}"
    return None


def jurisdiction_fault(value: object) -> str | None:
    """Why `value` is not 'federal' or 'state:XX' with a real US state, DC or territory code."""
    if value == "federal":
        return None
    if isinstance(value, str) and value.startswith("state:") and value[6:] in US_STATE_CODES:
        return None
    shown = f"{value!a}" if isinstance(value, str) else type(value).__name__
    if isinstance(value, str) and re.fullmatch(r"state:[A-Z]{2}", value, re.ASCII):
        return (f"{shown} names no US state, DC or territory; use 'federal' or 'state:XX' with a "
                "USPS code (e.g. state:CO, state:DC, state:PR)")
    return f"{shown} is not a jurisdiction; use 'federal' or 'state:XX' (e.g. state:CO)"


def lone_surrogates(document: Any, path: str = "") -> Iterator[str]:
    """The paths of every key or string of a decoded JSON document holding a lone surrogate
    (`"\\ud800"` decodes to one): such text is not Unicode and cannot be stored or sent."""
    if isinstance(document, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in document):
            yield path or "request"
    elif isinstance(document, dict):
        for key, value in document.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in key):
                yield f"{path or 'request'} (a key)"
                continue
            yield from lone_surrogates(value, where)
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from lone_surrogates(value, f"{path}[{index}]")
