"""Who signed, and may they: the signer's own office, read from `legal_process.signed_by`
(LEGAL.md, Who may issue what; third edition). Read beside LEGAL.md.

- Court instruments (2703(d) orders, warrants, pen register, Title III and FISA orders) are signed by
  a judge. A prosecutor, an agent, a clerk or a police officer signing one makes it no legal
  process, whatever `issuer_kind` says; a magistrate judge may sign 2703(d) orders, warrants and
  pen register orders (18 U.S.C. 3127(2)(A)) but not a Title III order (2510(9)) nor a FISA order
  (50 U.S.C. 1803(a): district judges designated to the FISC).
- A national security letter is signed by the Director of the FBI or a designee no lower than
  Deputy Assistant Director at headquarters or a Special Agent in Charge (18 U.S.C. 2709(b)).

How a signature is read:

- Only the signer's OWN part counts: "X for the Director", "X on behalf of the SAC" are signed by X,
  and "the SAC, by Y" by Y. Titles named after `for` (or before `by`) are whom the signer acts for.
- Titles are found as whole words, the longest where one contains another ("Assistant Special Agent
  in Charge" is not "Special Agent in Charge"), after folding look-alike letters with the same
  skeleton the requester check uses (domain.requesters.skeleton: Cyrillic, Greek, fullwidth, 0/o...).
- A title that qualifies counts only as plain ASCII letters: one written with look-alike characters
  only resembles it and does not qualify. A title that disqualifies counts either way ("Special
  Agent" with a Cyrillic a, U+0430, is still an agent).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from domain.findings import article
from domain.requesters import skeleton
from domain.vocabulary import RequestType
from domain.wellformed import quoted


class Office(StrEnum):
    """What a title says its holder is, for the instruments a court enters."""

    JUDGE = "a judge"
    MAGISTRATE = "a magistrate judge"
    PROSECUTOR = "a prosecutor"
    AGENT = "an agent"
    OFFICER = "a police officer"
    CLERK = "a clerk"


# Title (lower case, as words) -> the office it names. Words, not abbreviations that are also
# names ("Ada", "Da"), so a judge called Ada is not taken for an assistant district attorney.
COURT_SIGNER_TITLES: dict[str, Office] = {
    "judge": Office.JUDGE,
    "justice": Office.JUDGE,
    "hon": Office.JUDGE,
    "honorable": Office.JUDGE,
    "honourable": Office.JUDGE,
    # 28 U.S.C. 631; state magistrates and justices of the peace issue warrants, not Title III orders.
    "magistrate": Office.MAGISTRATE,
    "magistrate judge": Office.MAGISTRATE,
    "justice of the peace": Office.MAGISTRATE,
    # Prosecutors: United States Attorney, AUSA, district, state's and prosecuting attorneys.
    "attorney": Office.PROSECUTOR,
    "ausa": Office.PROSECUTOR,
    "prosecutor": Office.PROSECUTOR,
    "solicitor": Office.PROSECUTOR,
    "counsel": Office.PROSECUTOR,
    "esq": Office.PROSECUTOR,
    "judge advocate": Office.PROSECUTOR,  # a military lawyer, not a judge
    # Agents and investigators.
    "agent": Office.AGENT,
    "special agent": Office.AGENT,
    "task force officer": Office.AGENT,
    "detective": Office.AGENT,
    "det": Office.AGENT,
    "investigator": Office.AGENT,
    "inspector": Office.AGENT,
    "marshal": Office.AGENT,
    "sheriff": Office.AGENT,
    "trooper": Office.AGENT,
    # Police officers.
    "officer": Office.OFFICER,
    "police officer": Office.OFFICER,
    "police": Office.OFFICER,  # "Denver Police Department" in a signature: the signer serves there
    "sergeant": Office.OFFICER,
    "sgt": Office.OFFICER,
    "lieutenant": Office.OFFICER,
    "lt": Office.OFFICER,
    "captain": Office.OFFICER,
    "corporal": Office.OFFICER,
    # The court's clerk issues subpoenas, never orders or warrants.
    "clerk": Office.CLERK,
    "deputy clerk": Office.CLERK,
}

JUDICIAL = frozenset({Office.JUDGE, Office.MAGISTRATE})

# Which judicial offices may sign each court instrument, and the rule in words with its source.
MAY_SIGN: dict[RequestType, tuple[frozenset[Office], str]] = {
    RequestType.COURT_ORDER: (JUDICIAL, "18 U.S.C. 2703(d), 2711(3): a court of competent jurisdiction; "
                                        "a magistrate judge may enter it"),
    RequestType.SEARCH_WARRANT: (JUDICIAL, "Fed. R. Crim. P. 41(b): a magistrate judge or a judge of a "
                                           "state court of record"),
    RequestType.PEN_REGISTER: (JUDICIAL, "18 U.S.C. 3123(a), 3127(2)(A): a court of competent "
                                         "jurisdiction, a magistrate judge included"),
    RequestType.TITLE3_WIRETAP: (frozenset({Office.JUDGE}),
                                 "18 U.S.C. 2510(9), 2518(3): a judge of competent jurisdiction (a "
                                 "federal district or appeals judge, or a state judge of general criminal "
                                 "jurisdiction), never a magistrate judge"),
    RequestType.FISA_ORDER: (frozenset({Office.JUDGE}),
                             "50 U.S.C. 1803(a): a district judge designated to the Foreign Intelligence "
                             "Surveillance Court"),
}
"""Court instruments, by type; an emergency authorisation (3125, 2518(7)) is not one (domain.screening)."""

SIGNER_SOURCES: dict[RequestType, str] = {
    RequestType.COURT_ORDER: "18 U.S.C. 2703(d), 2711(3)",
    RequestType.SEARCH_WARRANT: "Fed. R. Crim. P. 41(b); 18 U.S.C. 2703(a), 2711(3)",
    RequestType.PEN_REGISTER: "18 U.S.C. 3123(a), 3127(2)",
    RequestType.TITLE3_WIRETAP: "18 U.S.C. 2510(9), 2518(3)",
    RequestType.FISA_ORDER: "50 U.S.C. 1803(a)",
}
"""The citation each court instrument's signer rule carries in `check --json` (a problem's source)."""

MUST_NAME_A_JUDGE = frozenset({RequestType.TITLE3_WIRETAP})
"""Where a signature that names no office at all is refused, not only flagged: a Title III order
switches interception on, and only a judge's signature shows it was not a magistrate's."""

# Title (lower case, as words) -> whether 2709(b) lets its holder sign a national security letter.
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

ACTS_FOR = ("for", "pp")
"""A word after which the signature names whom the signer acts for ("X for the Director")."""
ACTS_FOR_PHRASES = (("on", "behalf", "of"),)
SIGNED_BY = "by"
"""A word before which the signature names whom the signer acts for ("the SAC, by Y")."""

COURT_WORDS = ("court", "fisc")
"""What `issued_by` must name for an instrument a court enters ("U.S. District Court, D. Colo.")."""
NOT_A_COURT = frozenset({"attorney", "attorneys", "prosecutor", "prosecutors", "prosecuting", "police",
                         "sheriff", "bureau"})
"""Words that make `issued_by` an office that is not a court ("United States Attorney's Office")."""


@dataclass(frozen=True)
class Word:
    """One word of a signature: its skeleton, and its own lower-case letters when it is plain ASCII."""

    fold: str
    plain: str
    """The word in lower case; a title written in ASCII letters is only ever equal to another such."""
    lookalike: bool
    """Written with something other than ASCII letters (another script, digits, fullwidth forms)."""


@dataclass(frozen=True)
class Title:
    """A title found in a signature: which, and whether it is written in plain letters."""

    title: str
    plain: bool


def words(text: str) -> list[Word]:
    """The words of `text` (runs of letters and digits), each folded through the confusable skeleton."""
    found = []
    for word in re.findall(r"\w+", text):
        found.append(Word(fold=skeleton(word), plain=word.lower(), lookalike=not (word.isascii() and word.isalpha())))
    return found


def _is(word: Word, text: str) -> bool:
    return word.fold == skeleton(text)


def _says(said: list[Word], phrase: tuple[str, ...] | list[str]) -> bool:
    """Whether `said` begins with `phrase`, read through the skeleton."""
    return [w.fold for w in said[:len(phrase)]] == [skeleton(t) for t in phrase]


def own_part(signature: list[Word]) -> list[Word]:
    """The words naming the signer themself: before any `for` / `on behalf of`, after any `by`."""
    cuts = [i for i in range(len(signature))
            if any(_is(signature[i], cut) for cut in ACTS_FOR)
            or any(_says(signature[i:], phrase) for phrase in ACTS_FOR_PHRASES)]
    mine = signature[:cuts[0]] if cuts else signature
    starts = [i + 1 for i, word in enumerate(mine) if _is(word, SIGNED_BY)]
    return mine[starts[-1]:] if starts else mine


def titles_in(signature: str | list[Word], titles: Mapping[str, object]) -> list[Title]:
    """The titles of the table `titles` named in `signature` (text, or words already read), each not
    part of a longer title found there, in the order they appear."""
    said = words(signature) if isinstance(signature, str) else signature
    found: list[tuple[int, int, str, bool]] = []
    for title in titles:
        parts = title.split()
        for i in range(len(said)):
            span = said[i:i + len(parts)]
            if not _says(span, parts):
                continue
            plain = [w.plain for w in span] == parts
            if plain or any(w.lookalike for w in span):
                found.append((i, i + len(parts), title, plain))
    kept = [(start, title, plain) for start, end, title, plain in found
            if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _, _ in found)]
    return [Title(title, plain) for _, title, plain in sorted(kept)]


def nsl_signer_fault(signed_by: str | None) -> str | None:
    """Why this signature does not make a national security letter legal process, or None."""
    if not signed_by:
        return None  # unsigned is its own problem
    rule = f"a letter is signed under {NSL_SIGNERS_RULE}"
    titles = titles_in(own_part(words(signed_by)), NSL_SIGNER_TITLES)
    below = sorted({t.title for t in titles if not NSL_SIGNER_TITLES[t.title]})
    if below:
        return f"signed by {quoted(signed_by)}, {article(below[0])}; {rule}"
    if any(t.plain for t in titles):
        return None
    if titles:
        return (f"{quoted(signed_by)}: the title {titles[0].title!r} is written with look-alike characters "
                f"and only resembles it; {rule}")
    return f"{quoted(signed_by)} names no rank of the signer's own; {rule}"


@dataclass(frozen=True)
class SignerFault:
    """Why the signer of a court instrument cannot sign it: a problem code and its sentence."""

    code: str
    message: str
    source: str
    fatal: bool = True


def court_signer_fault(request_type: RequestType, signed_by: str | None) -> SignerFault | None:
    """Why the signer's own office cannot sign this court instrument, or None (unsigned: None too)."""
    if request_type not in MAY_SIGN or not signed_by:
        return None
    allowed, source = MAY_SIGN[request_type]
    titles = titles_in(own_part(words(signed_by)), COURT_SIGNER_TITLES)
    offices = [(t, COURT_SIGNER_TITLES[t.title]) for t in titles]
    shown, cite = quoted(signed_by), SIGNER_SOURCES[request_type]
    barred = next(((t, o) for t, o in offices if o not in JUDICIAL), None)
    if barred is not None:
        return SignerFault("signer_not_a_judge", (
            f"signed by {shown}, {barred[1]} ({barred[0].title}); a {request_type} signed by anyone but a "
            f"judge is not legal process ({source})"), cite)
    judicial = [(t, o) for t, o in offices if t.plain]
    lower = next((o for t, o in judicial if o not in allowed), None)
    if lower is not None:
        return SignerFault("signer_office_too_low", (
            f"signed by {shown}, {lower}; a {request_type} is signed only by {source}"), cite)
    if judicial:
        return None
    if offices:
        return SignerFault("signer_title_lookalike", (
            f"signed by {shown}: the title {offices[0][0].title!r} is written with look-alike characters and "
            f"only resembles it; a {request_type} is signed by {source}"), cite)
    return SignerFault("signer_office_unstated", (
        f"{shown} names no office of the signer's own; a {request_type} is signed by {source}"
        + ("" if request_type in MUST_NAME_A_JUDGE else "; confirm from the papers that a judge signed")),
        cite, fatal=request_type in MUST_NAME_A_JUDGE)


def issuer_fault(request_type: RequestType, issued_by: str) -> str | None:
    """Why `issued_by` does not name a court for an instrument only a court enters, or None."""
    if request_type not in MAY_SIGN:
        return None
    said, source = words(issued_by), MAY_SIGN[request_type][1]
    if any(w.plain in NOT_A_COURT or (w.lookalike and w.fold in {skeleton(n) for n in NOT_A_COURT})
           for w in said):
        return f"{quoted(issued_by)} is not a court; a {request_type} is entered by a court ({source})"
    if any(w.plain in COURT_WORDS for w in said):
        return None
    if any(_is(w, court) for w in said for court in COURT_WORDS):
        return (f"{quoted(issued_by)} names a court only in look-alike characters; a {request_type} is "
                f"entered by a court")
    return f"{quoted(issued_by)} names no court; a {request_type} is entered by a court ({source})"
