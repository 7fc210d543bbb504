"""Fast rule-by-rule tests that kill the mutants the run of 2026-11-29 left alive where they change a
legal outcome or a clock: the court order after an emergency authorisation (18 U.S.C. 3125(a),
2518(7)), a collecting FISA order's extension and its invoice (50 U.S.C. 1805(c)(2)(D)), the edges
of the historical period (LEGAL.md, 2702(c)(4)) and what a well-formed document is (SPEC §1).

Every expected value is written out by hand from the statute, LEGAL.md or the SPEC; every refusal
is matched by its message. No server, no database: part of bench/mutation.py's list."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.case import CaseState
from domain.case_machine import Case, Decision
from domain.clocks import deadlines, is_emergency_authorisation, period_problems
from domain.contracts import RosterEntry
from domain.fees import quote_invoice
from domain.request import parse_request
from domain.screening import legal_process_problems
from domain.surveillance import court_order_end
from domain.vocabulary import DecisionName, RecordCategory, RequestType, Role
from domain.wellformed import jurisdiction_fault, lone_surrogates, timestamp_fault
from tests.conftest import EXAMPLES

D, S, T, C = DecisionName, CaseState, RequestType, RecordCategory


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


# --- the court order that follows an emergency authorisation (domain.surveillance) -----------

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


# --- the emergency authorisation's clocks (domain.clocks) ------------------------------------

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


# --- the case: the court order that followed, a collecting FISA order ------------------------

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


def test_a_collecting_fisa_order_takes_an_extension_from_an_analyst_or_legal():
    case = opened(T.FISA_ORDER)
    case.collects = True
    assert D.RECORD_EXTENSION in case.decisions()
    assert case.roles_for(D.RECORD_EXTENSION) == frozenset({Role.ANALYST, Role.LEGAL})
    # Its approvals stay the FISA order's own: an analyst and legal, never a supervisor.
    assert case.roles_for(D.APPROVE) == frozenset({Role.ANALYST, Role.LEGAL})


def test_a_fisa_order_for_stored_records_takes_no_extension():
    case = opened(T.FISA_ORDER)
    assert D.RECORD_EXTENSION not in case.decisions()
    assert case.roles_for(D.RECORD_EXTENSION) == frozenset()
    assert case.roles_for(D.APPROVE) == frozenset({Role.ANALYST, Role.LEGAL})


def decision(name: str, actor: str, role: str) -> Decision:
    return Decision(name=DecisionName(name), actor=actor, role=Role(role), note="ok", fields={})


def roster(*roles: str) -> RosterEntry:
    return RosterEntry(known=True, active=True, roles=[Role(r) for r in roles])


def test_an_approved_collecting_fisa_order_is_provisioned_not_retrieved():
    case = opened(T.FISA_ORDER)
    case.collects = True
    assert case.decide(decision("approve", "tnguyen", "analyst"), roster("analyst", "cleared")).accepted
    done = case.decide(decision("approve", "rcruz", "legal"), roster("legal", "cleared"))
    assert done.message == "approved: provisioning collection at the mediation system"
    assert case.state is S.PROVISIONING


def test_approving_a_request_where_no_target_matched_closes_it_with_a_letter():
    case = opened(T.SUBPOENA, nothing_resolved=True)
    assert case.nothing_resolved is True
    done = case.decide(decision("approve", "jdoe", "analyst"), roster("analyst"))
    assert done.message == ("approved: no target matches a subscriber; the request closes with a "
                            "'no responsive records' letter signed by the custodian")


def test_an_approved_preservation_copies_the_named_records():
    case = opened(T.PRESERVATION)
    done = case.decide(decision("approve", "jdoe", "analyst"), roster("analyst"))
    assert done.message == "approved: copying the named records into the hold"
    assert case.state is S.RETRIEVING


# --- a FISA order's collection is billed as assistance (50 U.S.C. 1805(c)(2)(D)) -------------

BASIS_FISA = ("50 U.S.C. 1805(c)(2)(D): the applicant compensates the carrier at the prevailing rate for "
              "furnishing the aid")


def test_a_fisa_collection_of_one_day_is_provisioning_and_that_day():
    # $250.00 provisioning + 1 day x $15.00 = $265.00
    quote = quote_invoice(T.FISA_ORDER, [(C.PEN_TRAP, 400)], 1, 1)
    assert [(x.item, x.quantity, x.unit_cents, x.amount_cents, x.note) for x in quote.lines] == [
        ("provisioning", 1, 25000, 25000, "switch provisioning"),
        ("assistance_day", 1, 1500, 1500, "days of collection")]
    assert (quote.total_cents, quote.basis) == (26500, BASIS_FISA)


def test_a_fisa_collection_of_90_days():
    # $250.00 + 90 x $15.00 = $250.00 + $1,350.00 = $1,600.00
    quote = quote_invoice(T.FISA_ORDER, [], 1, 90)
    assert (quote.total_cents, quote.basis) == (160000, BASIS_FISA)


def test_days_on_a_records_request_bill_nothing_as_assistance():
    # A subpoena is billed for its records (2706), whatever `days` says: search $40.00 +
    # assembly $25.00 + 1 block $5.00 = $70.00.
    quote = quote_invoice(T.SUBPOENA, [(C.BILLING_RECORDS, 10)], 1, 5)
    assert [x.item for x in quote.lines] == ["search", "assembly", "reproduction"]
    assert quote.total_cents == 7000


# --- the historical period's edges (LEGAL.md; 18 U.S.C. 2702(c)(4)) --------------------------

def period_codes(name: str, start: str, end: str | None = None) -> list[tuple[str, str]]:
    raw = example(name)
    raw["period"] = {"start": start, "end": end or raw["received_at"]}
    return [(p.code, p.message) for p in period_problems(parse_request(raw))]


def test_a_period_starting_at_receipt_asks_for_records_that_do_not_exist_yet():
    # The subpoena is received 2026-11-20T14:05:00Z.
    assert period_codes("subpoena", "2026-11-20T14:05:00Z", "2026-11-21T00:00:00Z") == [(
        "period_after_receipt",
        "period.start 2026-11-20T14:05:00Z is not before the request was received (2026-11-20T14:05:00Z); "
        "no such records exist yet (the future needs a pen register or Title III order)")]
    assert period_codes("subpoena", "2026-11-20T14:04:59Z") == []


def test_emergency_records_exactly_7_days_old_are_not_flagged():
    # The emergency is received 2026-11-25T03:12:00Z; seven days before: 2026-11-18T03:12:00Z.
    assert period_codes("emergency", "2026-11-18T03:12:00Z") == []
    assert period_codes("emergency", "2026-11-18T03:11:59Z") == [(
        "emergency_records_older_than_7_days",
        "period.start 2026-11-18T03:11:59Z is more than 7 days before receipt; the analyst checks that "
        "such records relate to the emergency (18 U.S.C. 2702(c)(4))")]


# --- what a well-formed document is (SPEC §1, domain.wellformed) -----------------------------

@pytest.mark.parametrize("text", ["1970-01-01T00:00:00Z", "2999-12-31T23:59:59Z", "2026-11-20T14:05:00+05:30"])
def test_timestamps_within_1970_to_2999_have_no_fault(text):
    assert timestamp_fault(text) is None


@pytest.mark.parametrize(("text", "fault"), [
    ("1969-12-31T23:59:59Z", "'1969-12-31T23:59:59Z' lies outside the years 1970-2999"),
    ("3000-01-01T00:00:00Z", "'3000-01-01T00:00:00Z' lies outside the years 1970-2999"),
    ("2026-11-20", "'2026-11-20' is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS with an offset or Z, "
                   "e.g. 2026-11-20T14:05:00Z)"),
    ("2026-11-20T14:05:00", "naive"),
])
def test_timestamps_that_are_not_say_why(text, fault):
    assert timestamp_fault(text) == fault


NOT_A_TIMESTAMP = "is not a timestamp; write an RFC 3339 string such as 2026-11-20T14:05:00Z"


@pytest.mark.parametrize(("value", "kind"), [
    (1763647500, "a number"), (1.5, "a number"), (None, "null"), (True, "bool"), ([], "list"),
    ({"at": 1}, "dict"),
])
def test_what_is_not_text_is_not_a_timestamp(value, kind):
    assert timestamp_fault(value) == f"{kind} {NOT_A_TIMESTAMP}"


@pytest.mark.parametrize(("value", "fault"), [
    ("state:ZZ", "'state:ZZ' names no US state, DC or territory; use 'federal' or 'state:XX' with a USPS "
                 "code (e.g. state:CO, state:DC, state:PR)"),
    ("State:co", "'State:co' is not a jurisdiction; use 'federal' or 'state:XX' (e.g. state:CO)"),
    (5, "int is not a jurisdiction; use 'federal' or 'state:XX' (e.g. state:CO)"),
    (None, "NoneType is not a jurisdiction; use 'federal' or 'state:XX' (e.g. state:CO)"),
])
def test_jurisdiction_faults_say_why(value, fault):
    assert jurisdiction_fault(value) == fault


def test_a_naive_timestamp_in_a_document_is_refused_for_its_missing_offset():
    raw = example("subpoena")
    raw["received_at"] = "2026-11-20T14:05:00"
    with pytest.raises(ValidationError, match=r"received_at\n  timestamp has no UTC offset"):
        parse_request(raw)


@pytest.mark.parametrize(("document", "paths"), [
    ("\ud800", ["request"]),
    ("\udfff", ["request"]),  # the last surrogate
    ("\ue000", []),  # the first private-use character after them is text
    ({"a": {"b": "x\udc00"}}, ["a.b"]),
    ({"\udfff": 1, "ok": "\ud800"}, ["request (a key)", "ok"]),  # a bad key does not stop the search
    ({"a": {"\ud800": 1}}, ["a (a key)"]),
    ({"\ue000": "fine"}, []),
    ({"list": ["fine", "\udfff"]}, ["list[1]"]),
    (["fine", ["\ud800"]], ["[1][0]"]),
])
def test_every_lone_surrogate_is_found_with_its_path(document, paths):
    assert list(lone_surrogates(document)) == paths


# --- duplicates count once; distinct accounts do not (SPEC §1) -------------------------------

def test_account_numbers_that_differ_in_case_are_two_targets():
    raw = example("subpoena")
    raw["targets"] = [{"kind": "account_number", "value": "AB-1001"},
                      {"kind": "account_number", "value": "ab-1001"},
                      {"kind": "email", "value": "Jane@Example.com"},
                      {"kind": "email", "value": "jane@example.com"}]
    assert [t.value for t in parse_request(raw).targets] == ["AB-1001", "ab-1001", "Jane@Example.com"]

