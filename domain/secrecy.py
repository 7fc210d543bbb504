"""Secrecy (LEGAL.md, Secrecy and customer notice): what binds the carrier to silence, and until when.

Some secrecy is statute and has no end date: a `nondisclosure_until` on such an instrument that
has passed frees nothing. A 2705(b) order binds until its date, or until further order."""

from __future__ import annotations

from datetime import UTC

from pydantic import AwareDatetime, BaseModel, Field

from domain.request import LegalRequest
from domain.vocabulary import IssuerKind, RecordCategory, RequestType

T = RequestType

# Secrecy the statute imposes for as long as the order stands ("until otherwise ordered").
STATUTORY_SECRECY: dict[RequestType, str] = {
    T.TITLE3_WIRETAP: "18 U.S.C. 2511(2)(a)(ii)",
    T.PEN_REGISTER: "18 U.S.C. 3123(d)",
    T.NATIONAL_SECURITY_LETTER: "18 U.S.C. 2709(c)",
    T.FISA_ORDER: "50 U.S.C. 1805(c)(2)(B)",
}
# A FISA order for pen/trap only is made under 1842, whose secrecy clause is its own.
FISA_PEN_TRAP_SECRECY = "50 U.S.C. 1842(d)(2)(B)"

# 18 U.S.C. 2705(b): a court may order a provider served under 2703 not to notify anyone.
PRECLUSION_OF_NOTICE = "18 U.S.C. 2705(b)"
NOTICE_ORDER_TYPES = frozenset({T.SUBPOENA, T.COURT_ORDER, T.SEARCH_WARRANT})


class Nondisclosure(BaseModel):
    """The secrecy binding the carrier: its source and its end (None: until a court orders otherwise)."""

    basis: str = Field(description="The statute or order that imposes it.")
    until: AwareDatetime | None = Field(description="When it ends; None: until a court orders otherwise.")


def nondisclosure(request: LegalRequest) -> Nondisclosure | None:
    """The secrecy this request imposes, or None when nothing binds the carrier to silence."""
    process = request.legal_process
    basis = STATUTORY_SECRECY.get(request.type)
    if basis is not None:
        if request.type is T.FISA_ORDER and set(request.records) == {RecordCategory.PEN_TRAP}:
            basis = FISA_PEN_TRAP_SECRECY
        return Nondisclosure(basis=basis, until=None)
    civil = process is not None and process.issuer_kind is IssuerKind.ATTORNEY
    if request.type in NOTICE_ORDER_TYPES and process and process.nondisclosure_until and not civil:
        return Nondisclosure(basis=PRECLUSION_OF_NOTICE, until=process.nondisclosure_until.astimezone(UTC))
    return None


def secrecy_notes(request: LegalRequest) -> list[tuple[str, str]]:
    """A warning where a document's nondisclosure date rests on no order that could impose it."""
    process = request.legal_process
    if process is None or process.nondisclosure_until is None or nondisclosure(request) is not None:
        return []
    civil = " from an attorney" if process.issuer_kind is IssuerKind.ATTORNEY else ""
    return [("nondisclosure_without_basis",
             f"legal_process.nondisclosure_until: a {request.type}{civil} carries no 2705(b) order; "
             "the date binds nothing (carrier policy still decides customer notice)")]
