"""The names a request gives the product (SPEC §1): its request_id, its production ids, its papers.

Pure rules, used by the request model, the starter, the workflows and les/paths.py alike: what is
not well-formed here never reaches a folder, a workflow id or the case store."""

from __future__ import annotations

import re
import unicodedata

REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
"""SPEC §1's request_id alphabet (matched whole, so no trailing newline slips through)."""

FIRST_PRODUCTION = 1
"""A stored-records request delivers one production, P01."""


RULE = "1-64 ASCII letters, digits, '.', '_' and '-', starting with a letter or digit"


def request_id_fault(text: object) -> str | None:
    """Why `text` is not a well-formed request_id, or None when it is."""
    if not isinstance(text, str):
        return f"not text ({type(text).__name__}); a request_id is {RULE}"
    if not text:
        return f"empty; a request_id is {RULE}"
    if len(text) > 64:
        return f"{len(text)} characters; a request_id is {RULE}"
    if not REQUEST_ID.fullmatch(text):
        return f"{text!a} is not well-formed; a request_id is {RULE}"
    return None


def production_id(request_id: str, number: int) -> str:
    """The production's id, e.g. LES-2026-000101-P01, built from a well-formed request_id."""
    fault = request_id_fault(request_id)
    if fault is not None:
        raise ValueError(fault)
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 999:
        raise ValueError(f"a production number is 1-999, not {number!r}")
    return f"{request_id}-P{number:02d}"


def file_name_fault(text: object) -> str | None:
    """Why `text` is not a plain file name (SPEC §1 documents[].name), or None when it is.

    A plain name is one path component: no '/', '\\' or '..', no control or format characters,
    and nothing that a compatibility mapping (NFKC) turns into one, e.g. the fullwidth solidus."""
    if not isinstance(text, str) or not text:
        return "a file name is non-empty text"
    if len(text.encode("utf-8", "surrogatepass")) > 255:
        return "a file name has at most 255 bytes"
    folded = unicodedata.normalize("NFKC", text)
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in text + folded):
        return f"{text!a} holds control or format characters"
    if any(sep in folded for sep in ("/", "\\")) or ".." in folded or folded.strip() in ("", "."):
        return f"{text!a} is not a plain file name (no '/', '\\', '..')"
    return None
