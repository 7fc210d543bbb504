"""A FISA order is scoped by the section it issues under (`legal_process.authority`; LEGAL.md, What each
instrument may obtain, third edition). Read beside LEGAL.md's `fisa_order` row.

- 50 U.S.C. 1805 (electronic surveillance) and 1881a (directives): what the order names, content and
  location included;
- 1842 (pen register / trap and trace): `pen_trap` only, never content (1841(2) takes 18 U.S.C. 3127's
  definitions);
- 1861 (business records): stored non-content records only, never content, never prospective;
- no section stated: stored non-content records only, the rest refused because the order does not
  say which section it issues under.
"""

from __future__ import annotations

import re

from domain.vocabulary import CONTENT_CATEGORIES, STORED_CATEGORIES, RecordCategory

ELECTRONIC_SURVEILLANCE = "50 U.S.C. 1805"
PEN_TRAP = "50 U.S.C. 1842"
BUSINESS_RECORDS = "50 U.S.C. 1861"
DIRECTIVE = "50 U.S.C. 1881a"

STORED_NON_CONTENT = frozenset(STORED_CATEGORIES - CONTENT_CATEGORIES)

FISA_REACH: dict[str | None, frozenset[RecordCategory]] = {
    ELECTRONIC_SURVEILLANCE: frozenset(RecordCategory),
    DIRECTIVE: frozenset(RecordCategory),
    PEN_TRAP: frozenset({RecordCategory.PEN_TRAP}),
    BUSINESS_RECORDS: STORED_NON_CONTENT,
    None: STORED_NON_CONTENT,
}
"""What a FISA order reaches, by the section it issues under (None: the order does not say)."""

FISA_REACH_SAID: dict[str | None, str] = {
    ELECTRONIC_SURVEILLANCE: "a FISA order under 50 U.S.C. 1805 reaches what it names",
    DIRECTIVE: "a FISA directive under 50 U.S.C. 1881a reaches what it names",
    PEN_TRAP: "a FISA pen register / trap and trace order (50 U.S.C. 1842) reaches pen_trap only, never "
              "content (50 U.S.C. 1841(2); 18 U.S.C. 3127)",
    BUSINESS_RECORDS: "a FISA business records order (50 U.S.C. 1861) reaches stored non-content records "
                      "only, never content and never prospective",
    None: "the order does not say which section it issues under: a FISA order that names none reaches "
          "stored non-content records only (50 U.S.C. 1805, 1842, 1861, 1881a)",
}

SECTION = re.compile(r"(?:50\s*U\.?\s*S\.?\s*C\.?\s*)?(?:§+\s*)?(1805|1842|1861|1881a)", re.ASCII | re.IGNORECASE)
"""`50 U.S.C. 1805`, `50 USC § 1842`, or the bare section number; matched whole."""


def fisa_section(text: str) -> str | None:
    """The section written in `text`, as `50 U.S.C. NNNN`; None when it names none of the four."""
    match = SECTION.fullmatch(" ".join(text.split()))
    return None if match is None else f"50 U.S.C. {match.group(1).lower()}"


def fisa_reach(authority: str | None) -> frozenset[RecordCategory]:
    """What a FISA order issued under `authority` may obtain."""
    return FISA_REACH[authority]


def fisa_refusal(authority: str | None, category: RecordCategory) -> str:
    """The sentence refusing `category` on a FISA order issued under `authority`."""
    return f"{category}: {FISA_REACH_SAID[authority]}"
