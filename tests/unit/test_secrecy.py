"""Secrecy: a nondisclosure date binds only with an order that can impose it; the printed pre-screen
says the secrecy and shows invisible characters."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

from domain.request import parse_request
from domain.vocabulary import RecordCategory, RequestType
from tests.conftest import EXAMPLES

T, C = RequestType, RecordCategory



SUBPOENA = json.loads((EXAMPLES / "subpoena.json").read_text())


def secrecy_notes_of(request_type: str, **process) -> list[tuple[str, str]]:
    from domain.secrecy import secrecy_notes

    raw = copy.deepcopy(SUBPOENA) | {"type": request_type}
    raw["legal_process"].update(process)
    return secrecy_notes(parse_request(raw))


def test_a_nondisclosure_date_with_no_order_behind_it_is_a_warning():
    assert secrecy_notes_of("subpoena", issuer_kind="attorney", nondisclosure_until="2027-06-01T00:00:00Z") == [(
        "nondisclosure_without_basis",
        "legal_process.nondisclosure_until: a subpoena from an attorney carries no 2705(b) order; "
        "the date binds nothing (carrier policy still decides customer notice)")]
    assert secrecy_notes_of("preservation", issuer_kind="agency", nondisclosure_until="2027-06-01T00:00:00Z") == [(
        "nondisclosure_without_basis",
        "legal_process.nondisclosure_until: a preservation carries no 2705(b) order; "
        "the date binds nothing (carrier policy still decides customer notice)")]


def test_a_nondisclosure_date_on_an_order_that_can_impose_it_is_no_warning():
    assert secrecy_notes_of("subpoena", nondisclosure_until="2027-06-01T00:00:00Z") == []
    assert secrecy_notes_of("title3_wiretap", nondisclosure_until="2027-06-01T00:00:00Z") == []
    assert secrecy_notes_of("preservation") == []
    from domain.secrecy import secrecy_notes

    assert secrecy_notes(parse_request(copy.deepcopy(SUBPOENA) | {"legal_process": None})) == []


def test_the_pre_screen_prints_the_secrecy_and_shows_invisible_characters():
    from domain.secrecy import Nondisclosure
    from domain.verification import CheckResult
    from domain.vocabulary import Verdict

    chicago = timezone(timedelta(hours=-6))
    gagged = CheckResult(request_id="LES-9\u200b", type="subpoena", verdict=Verdict.ACCEPT,
                         nondisclosure=Nondisclosure(basis="18 U.S.C. 2705(b) order",
                                                     until=datetime(2027, 5, 1, 17, 0, tzinfo=chicago)))
    assert gagged.render_text() == (
        "ACCEPT  LES-9\\u200b (subpoena)\n"
        "permitted: none\n"
        "secrecy: until 2027-05-01T23:00:00Z (18 U.S.C. 2705(b) order)\n"
        "approvals required: none")
    bound = CheckResult(request_id="LES-9", type="pen_register\x07\u2028", verdict=Verdict.REJECT,
                        nondisclosure=Nondisclosure(basis="18 U.S.C. 3123(d)", until=None))
    assert bound.render_text() == (
        "REJECT  LES-9 (pen_register\\x07\\u2028)\n"
        "permitted: none\n"
        "secrecy: until a court orders otherwise (18 U.S.C. 3123(d))\n"
        "approvals required: none")
