"""Who may sign a national security letter (18 U.S.C. 2709(b)), read from `legal_process.signed_by`.

The Director of the FBI, or a designee no lower than Deputy Assistant Director at headquarters
or a Special Agent in Charge of a field office. A letter signed by anyone else is not legal
process. The title is found in the signature as whole words; the longest title wins where one
contains another ("Assistant Special Agent in Charge" is not "Special Agent in Charge"), and any
title below the line in the signature refuses it ("Special Agent J. Roe for the SAC")."""

from __future__ import annotations

import re

# Title (lower case, as words) -> whether 2709(b) lets its holder sign.
NSL_SIGNER_TITLES: dict[str, bool] = {
    "director": True,
    "deputy director": True,
    "associate deputy director": True,
    "executive assistant director": True,
    "assistant director": True,  # also "Assistant Director in Charge" of the largest field offices
    "deputy assistant director": True,
    "dad": True,
    "special agent in charge": True,
    "sac": True,
    # Below the line 2709(b) draws.
    "assistant special agent in charge": False,
    "asac": False,
    "supervisory special agent": False,
    "ssa": False,
    "special agent": False,
    "sa": False,
    "agent": False,
    "intelligence analyst": False,
    "task force officer": False,
}

NSL_SIGNERS_RULE = (
    "18 U.S.C. 2709(b): the Director of the FBI or a designee no lower than Deputy Assistant "
    "Director at headquarters or a Special Agent in Charge of a field office"
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower(), re.ASCII)


def titles_in(signature: str) -> list[str]:
    """The titles named in a signature, each not part of a longer title found there."""
    words = _words(signature)
    found: list[tuple[int, int, str]] = []
    for title in NSL_SIGNER_TITLES:
        size = len(title.split())
        found += [(i, i + size, title) for i in range(len(words) - size + 1)
                  if " ".join(words[i:i + size]) == title]
    return [title for start, end, title in found
            if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in found)]


def nsl_signer_fault(signed_by: str | None) -> str | None:
    """Why this signature does not make a national security letter legal process, or None."""
    if not signed_by:
        return None  # unsigned is its own problem
    titles = titles_in(signed_by)
    below = sorted({t for t in titles if not NSL_SIGNER_TITLES[t]})
    if below:
        return f"signed by {signed_by!a}, a {below[0]}; a letter is signed under {NSL_SIGNERS_RULE}"
    if not titles:
        return f"{signed_by!a} names no rank; a letter is signed under {NSL_SIGNERS_RULE}"
    return None
