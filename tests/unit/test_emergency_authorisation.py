"""The emergency authorisation of a pen register or a Title III order (18 U.S.C. 3125(a), 2518(7)): its
issuer, its 48-hour clock, and the court order that follows it (its end, recorded once on the case)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from domain.case_machine import Case
from domain.clocks import deadlines, is_emergency_authorisation
from domain.request import parse_request
from domain.screening import legal_process_problems
from domain.surveillance import court_order_end
from domain.vocabulary import RecordCategory, RequestType
from tests.conftest import EXAMPLES

T, C = RequestType, RecordCategory



def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


ENTERED = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)


def test_a_title3_court_order_runs_30_days_from_day_ten_when_nothing_was_intercepted():
    # Day ten: 2026-12-02T17:00Z; 30 days from it: 2027-01-01T17:00Z (18 U.S.C. 2518(5)).
    assert court_order_end(T.TITLE3_WIRETAP, ENTERED, None, None) == datetime(2027, 1, 1, 17, 0, tzinfo=UTC)


def test_a_title3_court_order_runs_from_the_interception_when_it_came_before_day_ten():
    # Collection began under the emergency authorisation on 2026-11-21T09:00Z (before entry, the
    # earlier of the two): 30 days from it is 2026-12-21T09:00Z.
    began = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert court_order_end(T.TITLE3_WIRETAP, ENTERED, 30, began) == datetime(2026, 12, 21, 9, 0, tzinfo=UTC)
    # A 20-day order from the same interception: 2026-12-11T09:00Z.
    assert court_order_end(T.TITLE3_WIRETAP, ENTERED, 20, began) == datetime(2026, 12, 11, 9, 0, tzinfo=UTC)


def test_a_pen_register_court_order_runs_its_term_from_entry_at_most_60_days():
    # 20 days from 2026-11-22T17:00Z: 2026-12-12T17:00Z.
    assert court_order_end(T.PEN_REGISTER, ENTERED, 20, None) == datetime(2026, 12, 12, 17, 0, tzinfo=UTC)
    # 90 days asked, 60 allowed (3123(c)(1)): 8 of November, 31 of December, 21 of January.
    assert court_order_end(T.PEN_REGISTER, ENTERED, 90, None) == datetime(2027, 1, 21, 17, 0, tzinfo=UTC)
    assert court_order_end(T.PEN_REGISTER, ENTERED, None, None) == datetime(2027, 1, 21, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", [T.FISA_ORDER, T.SUBPOENA])
def test_only_pen_registers_and_title3_have_an_emergency_authorisation(kind):
    with pytest.raises(ValueError, match=rf"^a {kind} has no emergency authorisation$"):
        court_order_end(kind, ENTERED, 30, None)


def authorisation(name: str) -> dict:
    """The designated official's own authorisation (3125(a), 2518(7)): no court order yet."""
    raw = example(name)
    raw["legal_process"].update(instrument="emergency_authorization", issuer_kind="agency",
                                issued_by="U.S. Department of Justice, Criminal Division",
                                signed_by="Deputy Assistant Attorney General")
    raw["documents"] = []
    return raw


@pytest.mark.parametrize(("name", "due"), [
    # received 2026-11-22T18:30Z + 48 h
    ("pen_register", datetime(2026, 11, 24, 18, 30, tzinfo=UTC)),
    # received 2026-11-23T08:00Z + 48 h
    ("title3_wiretap", datetime(2026, 11, 25, 8, 0, tzinfo=UTC)),
])
def test_an_emergency_authorisation_ends_48_hours_after_receipt_unless_the_order_follows(name, due):
    clocks = deadlines(parse_request(authorisation(name)))
    assert clocks["court_order_due"] == due
    assert clocks["expires_at"] == due
    assert "ten_day_mark" not in clocks  # no order has been entered yet


def test_an_order_itself_is_no_emergency_authorisation():
    # The pen register example is the order: 60 days from 2026-11-22T17:00Z, no 48-hour clock.
    clocks = deadlines(parse_request(example("pen_register")))
    assert "court_order_due" not in clocks
    assert clocks["expires_at"] == datetime(2027, 1, 21, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(("kind", "instrument", "expected"), [
    (T.PEN_REGISTER, "emergency_authorization", True),
    (T.TITLE3_WIRETAP, "emergency_authorization", True),
    (T.PEN_REGISTER, "pen_trap_order", False),
    (T.TITLE3_WIRETAP, None, False),
    (T.FISA_ORDER, "emergency_authorization", False),
    (T.SUBPOENA, "emergency_authorization", False),
    (T.EMERGENCY, "emergency_authorization", False),
])
def test_only_pen_registers_and_title3_take_an_emergency_authorisation(kind, instrument, expected):
    assert is_emergency_authorisation(kind, instrument) is expected


@pytest.mark.parametrize("name", ["pen_register", "title3_wiretap"])
def test_the_designated_officials_agency_may_issue_an_emergency_authorisation(name):
    codes = [p.code for p in legal_process_problems(parse_request(authorisation(name)))]
    assert "wrong_issuer" not in codes


def test_an_agency_cannot_issue_the_court_order_itself():
    raw = example("pen_register")
    raw["legal_process"]["issuer_kind"] = "agency"
    problems = [(p.code, p.message) for p in legal_process_problems(parse_request(raw))]
    assert ("wrong_issuer", "legal_process.issuer_kind: a pen_register cannot be issued by 'agency'; "
                            "it is issued by: court") in problems


# ---- the court order that followed, on the case --------------------------------------------------
RECEIVED = datetime(2026, 11, 26, 20, 10, tzinfo=UTC)


def opened(request_type: RequestType, **verified) -> Case:
    case = Case(request_id="T-1", request_type=request_type, received_at=RECEIVED)
    case.verified(rejection=None, **verified)
    return case


def test_the_first_court_order_that_follows_sets_the_end_and_a_second_changes_nothing():
    case = opened(T.PEN_REGISTER)
    first_end = RECEIVED + timedelta(days=60)
    assert case.court_order_followed("T-2", first_end) is True
    assert (case.follow_ups, case.order_end) == (["T-2"], first_end)
    assert case.court_order_followed("T-3", first_end + timedelta(days=1)) is False
    assert (case.follow_ups, case.order_end) == (["T-2"], first_end)


def test_a_closed_case_takes_no_court_order():
    case = Case(request_id="T-1", request_type=T.PEN_REGISTER, received_at=RECEIVED)
    case.verified(rejection="the order expired")
    assert case.court_order_followed("T-2", RECEIVED + timedelta(days=60)) is False
    assert (case.follow_ups, case.order_end) == ([], None)
