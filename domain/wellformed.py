"""What a well-formed request document is (SPEC §1), as small pure rules the request model applies.

Each rule exists because a looser one let something through: Python's `\\d` takes other scripts'
digits and `$` a trailing newline, pydantic takes a Unix number for a timestamp, a zero-width
space looks like a signature. Read beside SPEC §1 "What a well-formed document is"."""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from datetime import datetime
from typing import Any

MAX_DOCUMENT_BYTES = 1024 * 1024
"""SPEC §1: the whole document is at most 1 MiB; larger is refused before anything is read."""

E164 = re.compile(r"\+[1-9][0-9]{7,14}", re.ASCII)
"""SPEC §1: '+' and 8-15 ASCII digits (no leading 0: no country code starts with one), matched whole."""

RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})?",
    re.ASCII,
)
"""RFC 3339 date-time, matched whole; `offset` is empty for a naive (and so defective) one. RFC 3339
(5.6 time-secfrac) allows any number of fraction digits; pydantic keeps microseconds."""

MAX_TIMESTAMP_CHARS = 64
"""A timestamp longer than this is no timestamp (the longest useful one has about 35 characters)."""

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

DEFAULT_IGNORABLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),      # soft hyphen
    (0x034F, 0x034F),      # combining grapheme joiner
    (0x061C, 0x061C),      # Arabic letter mark
    (0x115F, 0x1160),      # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),      # Khmer inherent vowels
    (0x180B, 0x180F),      # Mongolian free variation selectors and vowel separator
    (0x200B, 0x200F),      # zero-width space, joiners, direction marks
    (0x202A, 0x202E),      # bidi embeddings and overrides
    (0x2060, 0x206F),      # word joiner, invisible operators, bidi isolates, deprecated formats
    (0x3164, 0x3164),      # Hangul filler
    (0xFE00, 0xFE0F),      # variation selectors 1-16
    (0xFEFF, 0xFEFF),      # zero-width no-break space (byte-order mark)
    (0xFFA0, 0xFFA0),      # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),      # unassigned, reserved as ignorable
    (0x1BCA0, 0x1BCA3),    # shorthand format controls
    (0x1D173, 0x1D17A),    # musical symbol format controls
    (0xE0000, 0xE0FFF),    # tags, variation selectors 17-256, and the reserved rest of the block
)
"""Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): code points that render as
nothing. Several are letters by category (the Hangul fillers are Lo) or marks (the variation
selectors are Mn), so the invisible categories alone miss them (SPEC §1, third edition)."""

_IGNORABLE_STARTS = [start for start, _ in DEFAULT_IGNORABLE_RANGES]


def is_default_ignorable(char: str) -> bool:
    """Whether the character is a Default_Ignorable_Code_Point."""
    index = bisect_right(_IGNORABLE_STARTS, ord(char)) - 1
    return index >= 0 and ord(char) <= DEFAULT_IGNORABLE_RANGES[index][1]


def renders_as_nothing(char: str) -> bool:
    """Invisible by category (control, format, ...) or default-ignorable."""
    return unicodedata.category(char) in INVISIBLE_CATEGORIES or is_default_ignorable(char)


SIGNATURE_MARK = re.compile(r"/\s*s\s*/", re.IGNORECASE)
"""The conventional mark of an electronic signature, `/s/`: it stands before a name and is none."""

QUOTE_LIMIT = 80
"""Problems quote at most this many characters of the input they are about (SPEC §1, third edition)."""


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """The input a problem is about, as a reader sees it: text quoted with every non-ASCII character
    escaped (a look-alike letter shows as what it is), cut after `limit` characters with the full
    length said; anything else as its JSON, cut the same way. The one quoting used in messages."""
    if isinstance(value, str):
        if len(value) <= limit:
            return ascii(value)
        return f"{value[:limit]!a}... ({len(value)} characters)"
    text = json.dumps(value, default=str)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def is_e164(value: object) -> bool:
    return isinstance(value, str) and E164.fullmatch(value) is not None


def meaningful_text(value: object) -> object:
    """A name, signature or justification without what does not count (SPEC §1): format and
    control characters, default-ignorable code points and surrounding spaces. What is left empty,
    or holds no letter or digit (`/s/`, `--`, `...`), is absent (None). Anything but text is
    returned as it is, for the model to refuse."""
    if not isinstance(value, str):
        return value
    kept = "".join(c for c in value if not renders_as_nothing(c)).strip()
    if not any(unicodedata.category(c)[0] in "LN" for c in SIGNATURE_MARK.sub("", kept)):
        return None  # LEGAL.md (3rd): bare punctuation, or the mark /s/ alone, is no signature, no name
    return kept


def timestamp_fault(value: object) -> str | None:
    """Why `value` is not an RFC 3339 timestamp string with an offset, or None when it is one.

    The fault 'naive' (alone) marks a well-formed timestamp without an offset."""
    if isinstance(value, datetime):
        return None  # a Python caller's own datetime; pydantic still refuses a naive one
    if not isinstance(value, str):
        kind = "a number" if isinstance(value, int | float) and not isinstance(value, bool) else (
            f"{type(value).__name__}" if value is not None else "null")
        return f"{kind} is not a timestamp; write an RFC 3339 string such as 2026-11-20T14:05:00Z"
    if len(value) > MAX_TIMESTAMP_CHARS:
        return f"{quoted(value)} is not a timestamp (at most {MAX_TIMESTAMP_CHARS} characters)"
    match = RFC3339.fullmatch(value)
    if match is None:
        return (f"{quoted(value)} is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS with an offset or Z, "
                "e.g. 2026-11-20T14:05:00Z)")
    if not match.group("offset"):
        return "naive"
    year = int(value[:4])
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        return f"{quoted(value)} lies outside the years {EARLIEST_YEAR}-{LATEST_YEAR}"
    return None


# Length limits of the request document's text fields (SPEC §1, third edition), checked before
# anything else reads the value: no comparison, look-alike check or regular expression ever runs
# on more than these. E-mail limits are RFC 5321's and RFC 1035's; the rest are carrier policy,
# each several times the longest genuine value seen (a court's full name is under 100 characters).
MAX_EMAIL_CHARS = 254
"""RFC 5321 4.5.3.1.3: a path is at most 256 octets with its angle brackets, so 254 for the address."""
MAX_EMAIL_LOCAL_CHARS = 64
"""RFC 5321 4.5.3.1.1: the local part (before the @) is at most 64 octets."""
MAX_DOMAIN_CHARS = 253
"""RFC 1035 2.3.4: a name is at most 255 octets on the wire, 253 characters as text."""
MAX_LABEL_CHARS = 63
"""RFC 1035 2.3.4: each label (between dots) is at most 63 octets."""
MAX_NAME_CHARS = 256
"""A name, agency, court, signature or title: requester.name/agency, legal_process.issued_by/
signed_by, emergency.supervisor, emergency.callback.verified_by."""
MAX_CODE_CHARS = 100
"""A short code or reference: legal_process.instrument/reference/authority/jurisdiction."""
MAX_SELECTOR_CHARS = 254
"""A target's value and an account number (the longest selector is an e-mail address)."""
MAX_PHONE_TEXT_CHARS = 32
"""requester.phone as written (it is a contact, not a selector, so its form is free)."""
MAX_JUSTIFICATION_CHARS = 4000
"""emergency.justification: a few paragraphs."""
MAX_EXTRA_TEXT_CHARS = 10_000
"""A field SPEC §1 does not name (kept in the case file, never decided on)."""


def longest_text(value: object) -> int:
    """The length of the longest string in a decoded JSON value (0 when it holds none)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return max((longest_text(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max((longest_text(v) for v in value), default=0)
    return 0


def too_long(value: object, limit: int) -> str | None:
    """Why `value` is longer than `limit` characters, or None (anything but text is not judged)."""
    if isinstance(value, str) and len(value) > limit:
        return f"{quoted(value)} is too long: at most {limit} characters"
    return None


def email_fault(value: str) -> str | None:
    """Why `value` breaks the length limits of an e-mail address, or None. Checked whole-domain first,
    then each label, the local part and the address, so each limit is named where it is broken."""
    local, at, domain = value.rpartition("@")
    if not at:
        local = domain = ""  # not an address at all: only its whole length is judged here
    if len(domain) > MAX_DOMAIN_CHARS:
        return (f"{quoted(value)}: its domain has {len(domain)} characters; a domain is at most "
                f"{MAX_DOMAIN_CHARS} (RFC 1035)")
    label = next((part for part in domain.split(".") if len(part) > MAX_LABEL_CHARS), None)
    if label is not None:
        return (f"{quoted(value)}: the domain label {quoted(label)} has {len(label)} characters; a label "
                f"is at most {MAX_LABEL_CHARS} (RFC 1035)")
    if len(local) > MAX_EMAIL_LOCAL_CHARS:
        return (f"{quoted(value)}: the part before the @ has {len(local)} characters; it is at most "
                f"{MAX_EMAIL_LOCAL_CHARS} (RFC 5321)")
    if len(value) > MAX_EMAIL_CHARS:
        return (f"{quoted(value)} has {len(value)} characters; an e-mail address is at most "
                f"{MAX_EMAIL_CHARS} (RFC 5321)")
    return None


def jurisdiction_fault(value: object) -> str | None:
    """Why `value` is not 'federal' or 'state:XX' with a real US state, DC or territory code."""
    if value == "federal":
        return None
    if isinstance(value, str) and value.startswith("state:") and value[6:] in US_STATE_CODES:
        return None
    shown = quoted(value) if isinstance(value, str) else type(value).__name__
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
