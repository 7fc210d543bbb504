"""The case state machine, without Temporal: hand-written cases for each rule, and a property
test that throws random sequences of decisions, actors, roles and system events at every type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.case import CaseState, Resolution
from domain.case_machine import WITHDRAWAL, WITHDRAWN_WHILE_PRODUCING, Case, Decision, Facts, Refused, parse_decision
from domain.contracts import RosterEntry
from domain.plans import Gate, Shape, plan_for
from domain.vocabulary import DecisionName, RequestType, Role

D, S, T = DecisionName, CaseState, RequestType
RECEIVED = datetime(2026, 11, 26, 20, 10, tzinfo=UTC)
NOW = RECEIVED + timedelta(hours=1)


def roster(*roles: str, active: bool = True) -> RosterEntry:
    return RosterEntry(known=True, active=active, roles=[Role(r) for r in roles])


def d(name: str, actor: str = "jdoe", role: str = "analyst", **fields) -> Decision:
    note = fields.pop("note", "because")
    return Decision(name=DecisionName(name), actor=actor, role=Role(role), note=note, fields=fields)


def opened(request_type: RequestType, **verified) -> Case:
    case = Case(request_id="T-1", request_type=request_type, received_at=RECEIVED)
    case.verified(rejection=None, **verified)
    return case


# ---- hand-written cases: each rule, with the outcome LEGAL.md / SPEC §3 gives ----------------------


def test_the_first_closing_decision_wins_and_nothing_is_accepted_after_it():
    case = opened(T.SUBPOENA)
    assert case.decide(d("reject", note="overbroad"), roster("analyst")).accepted
    approve = case.decide(d("approve", actor="asmith"), roster("analyst"))
    withdraw = case.decide(d("withdraw", note="late"), roster("analyst"))
    assert not approve.accepted and not withdraw.accepted
    assert approve.message == "the case is closed (rejected_by_analyst); nothing can change it now"
    assert case.state is S.CLOSED and case.resolution is Resolution.REJECTED_BY_ANALYST
    assert case.closing_note == "jdoe: overbroad"
    assert not case.close(Resolution.DELIVERED) and case.resolution is Resolution.REJECTED_BY_ANALYST
    assert not case.advance(S.PACKAGING) and case.state is S.CLOSED


def test_one_person_cannot_give_both_approvals():
    case = opened(T.TITLE3_WIRETAP)
    assert case.decide(d("approve", actor="rcruz", role="analyst"), roster("analyst", "legal")).accepted
    twice = case.decide(d("approve", actor="rcruz", role="legal"), roster("analyst", "legal"))
    assert not twice.accepted
    assert twice.message == ("rcruz already approved this request; a second approval must come from "
                             "another person (separation of duties)")
    assert case.approvals == {"analyst": "rcruz"} and case.state is S.AWAITING_APPROVAL
    assert case.decide(d("approve", actor="kpatel", role="legal"), roster("legal")).accepted
    assert case.state is S.PROVISIONING  # a wiretap is switched on, not retrieved


@pytest.mark.parametrize("request_type", [T.NATIONAL_SECURITY_LETTER, T.FISA_ORDER])
def test_national_security_cases_take_decisions_only_from_cleared_actors(request_type):
    case = opened(request_type)
    uncleared = case.decide(d("approve", actor="jdoe"), roster("analyst"))
    assert not uncleared.accepted
    assert uncleared.message == f"a {request_type} is handled only by cleared actors; jdoe is not cleared"
    rejected = case.decide(d("reject", actor="jdoe", note="no"), roster("analyst"))
    assert not rejected.accepted and case.state is S.AWAITING_APPROVAL
    assert case.decide(d("approve", actor="tnguyen"), roster("analyst", "cleared")).accepted
    assert case.decide(d("approve", actor="rcruz", role="legal"), roster("legal", "cleared")).accepted
    assert case.state is S.RETRIEVING


def test_a_decision_the_type_does_not_take_is_refused_with_that_reason():
    case = opened(T.SUBPOENA)
    with pytest.raises(Refused, match=r"^customer_accepts_fee is not a decision a subpoena takes$"):
        case.precheck(d("customer_accepts_fee", quote_id="Q-1"))
    with pytest.raises(Refused, match=r"^role supervisor may not approve \(allowed: analyst\)$"):
        case.precheck(d("approve", actor="mlee", role="supervisor"))


def test_the_roster_decides_who_holds_a_role():
    case = opened(T.SUBPOENA)
    assert case.decide(d("approve"), RosterEntry(known=False)).message == "jdoe is not on the roster"
    assert case.decide(d("approve", actor="bwilson"), roster("analyst", active=False)).message == (
        "bwilson is no longer active on the roster")
    assert case.decide(d("approve", actor="kpatel"), roster("legal")).message == (
        "kpatel does not hold the analyst role (holds: legal)")
    assert case.state is S.AWAITING_APPROVAL and case.approvals == {}


def test_request_info_returns_the_case_where_it_was():
    case = opened(T.EMERGENCY)
    assert case.state is S.AWAITING_CALLBACK
    assert case.decide(d("request_info", question="which unit?"), roster("analyst")).accepted
    assert case.state is S.AWAITING_INFO and case.open_tasks() == [
        "provide_info: answer from the requester to: which unit?"]
    assert case.decide(d("provide_info", info="unit 7"), roster("analyst")).accepted
    assert case.state is S.AWAITING_CALLBACK


def test_an_emergency_callback_must_reach_the_directory_number():
    case = opened(T.EMERGENCY)
    callback = d("verify_callback", number="+16025550123", verified_at="2026-11-26T20:30:00Z")
    refused = case.decide(callback, roster("analyst"), Facts(callback_listed=False,
                                                             directory_numbers=["+16025346311"]))
    assert not refused.accepted and refused.message == (
        "+16025550123 is not the agency's number in the agency directory (+16025346311); a callback must go "
        "to the directory number, never one the requester supplied")
    assert case.state is S.AWAITING_CALLBACK
    before = d("verify_callback", number="+16025346311", verified_at="2026-11-26T20:00:00Z")
    assert case.decide(before, roster("analyst"), Facts(callback_listed=True), NOW).message == (
        "verified_at 2026-11-26T20:00:00+00:00 is before the request was received (2026-11-26T20:10:00+00:00); "
        "the callback verifies this request")
    future = d("verify_callback", number="+16025346311", verified_at="2026-11-26T22:00:00Z")
    assert case.decide(future, roster("analyst"), Facts(callback_listed=True), NOW).message == (
        "verified_at 2026-11-26T22:00:00+00:00 is in the future")
    good = d("verify_callback", number="+16025346311", verified_at="2026-11-26T20:30:00Z")
    assert case.decide(good, roster("analyst"), Facts(callback_listed=True), NOW).accepted
    assert case.state is S.AWAITING_APPROVAL and case.approvals_required == [Role.ANALYST, Role.SUPERVISOR]
    assert case.decide(d("approve"), roster("analyst")).accepted
    assert case.state is S.AWAITING_APPROVAL
    assert case.decide(d("approve", actor="mlee", role="supervisor"), roster("supervisor")).accepted
    assert case.state is S.RETRIEVING


def test_a_customer_with_the_right_pin_goes_straight_to_the_fee():
    case = opened(T.CUSTOMER_CALL_LOOKUP, identity_confirmed=True)
    assert case.state is S.AWAITING_FEE_ACCEPTANCE and case.approvals_required == []
    early = case.decide(d("customer_accepts_fee", quote_id="Q-1"), roster("analyst"))
    assert early.message == "no fee has been quoted yet"
    case.quote_issued("Q-T-1")
    wrong = case.decide(d("customer_accepts_fee", quote_id="Q-9"), roster("analyst"))
    assert wrong.message == "quote Q-9 is not this request's quote (Q-T-1)"
    assert case.decide(d("customer_accepts_fee", quote_id="Q-T-1"), roster("analyst")).accepted
    assert case.state is S.RETRIEVING and case.fee_accepted_by == "jdoe"


def test_a_customer_without_a_pin_is_confirmed_by_an_analyst_first():
    case = opened(T.CUSTOMER_CALL_LOOKUP, identity_confirmed=False)
    assert case.state is S.AWAITING_APPROVAL
    assert case.decide(d("approve"), roster("analyst")).accepted
    assert case.state is S.AWAITING_FEE_ACCEPTANCE


def test_preservation_renews_once_before_the_lapse():
    case = opened(T.PRESERVATION)
    assert case.decide(d("approve"), roster("analyst")).accepted
    assert case.held(RECEIVED + timedelta(days=90))
    late = d("record_extension", renewal_received_at="2027-02-24T20:10:00Z")  # exactly at the lapse (90 days)
    assert not case.decide(late, roster("analyst")).accepted
    renewal = d("record_extension", renewal_received_at="2027-01-20T10:00:00Z")
    assert case.decide(renewal, roster("analyst"), now=datetime(2027, 1, 21, tzinfo=UTC)).accepted
    # 180 days from the original receipt (2703(f)(2)), not 90 from the renewal.
    assert case.hold_expires_at == datetime(2027, 5, 25, 20, 10, tzinfo=UTC)
    second = case.decide(d("record_extension", renewal_received_at="2027-03-01T10:00:00Z"), roster("analyst"))
    assert second.message.startswith("18 U.S.C. 2703(f)(2) allows one 90-day renewal, already recorded")
    assert case.decide(d("withdraw", note="case dropped"), roster("analyst")).accepted
    assert case.resolution is Resolution.HOLD_RELEASED


def test_a_civil_subpoena_waits_for_its_notice_period_after_approval():
    until = NOW + timedelta(days=14)
    case = opened(T.SUBPOENA, production_not_before=until)
    outcome = case.decide(d("approve"), roster("analyst"), now=NOW)
    assert outcome.accepted and case.state is S.AWAITING_APPROVAL
    assert not case.release_production(NOW + timedelta(days=13))
    assert case.release_production(until) and case.state is S.RETRIEVING


def test_a_decision_needs_its_fields():
    case = opened(T.SUBPOENA)
    with pytest.raises(Refused, match=r"^reject: the decision needs a non-empty `note`$"):
        case.precheck(d("reject", note=""))
    with pytest.raises(Refused, match=r"^approve: expected one JSON object"):
        parse_decision(D.APPROVE, "yes")
    with pytest.raises(Refused, match=r"^approve: malformed decision \(actor: Field required\)$"):
        parse_decision(D.APPROVE, {"role": "analyst"})


def test_verification_failure_closes_the_case_before_anyone_is_asked():
    case = Case(request_id="T-1", request_type=T.SUBPOENA)
    case.verified(rejection="unsigned")
    assert case.state is S.CLOSED and case.resolution is Resolution.REJECTED_ON_VERIFICATION
    assert case.open_tasks() == []


# ---- surveillance orders: extensions and Title III's first interception ----------------------------------

ENTERED = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)


def collecting(request_type: RequestType, end: datetime) -> Case:
    case = opened(request_type)
    case.surveillance_order(ENTERED, end, None)
    approvals = {"analyst": ("jdoe", roster("analyst")), "legal": ("kpatel", roster("legal"))}
    for role in list(case.approvals_required):
        actor, entry = approvals[str(role)]
        assert case.decide(d("approve", actor=actor, role=str(role)), entry).accepted
    assert case.state is S.PROVISIONING and case.advance(S.COLLECTING)
    return case


def extension(request_id: str = "PR-2", **facts) -> tuple[Decision, Facts]:
    order = {"request_id": request_id, "found": True, "request_type": "pen_register", "extension_of": "T-1",
             "verdict": "accept", "duration_days": 60, **facts}
    return d("record_extension", extension_request_id=request_id), Facts(extension=order)


def test_a_pen_register_extension_runs_60_days_from_the_current_end():
    end = ENTERED + timedelta(days=60)  # 2027-01-21T17:00Z
    case = collecting(T.PEN_REGISTER, end)
    decision, facts = extension()
    assert case.decide(decision, roster("analyst"), facts, now=end - timedelta(days=1)).accepted
    assert case.order_end == datetime(2027, 3, 22, 17, 0, tzinfo=UTC) and case.extensions == ["PR-2"]
    again = case.decide(decision, roster("analyst"), facts, now=end)
    assert again.message == "the extension PR-2 is already recorded"


@pytest.mark.parametrize(("facts", "message"), [
    ({"duration_days": 61}, "an extension of a pen_register runs at most 60 days (18 U.S.C. 3123(c)(2)); "
                            "this order grants 61"),
    ({"found": False}, "no request PR-2 is on file: submit the new order first"),
    ({"request_type": "title3_wiretap"}, "PR-2 is a title3_wiretap; a pen_register is extended only by a new "
                                         "pen_register"),
    ({"extension_of": "OTHER"}, "PR-2's legal_process.extension_of names 'OTHER', not T-1"),
    ({"verdict": "reject"}, "PR-2 has not passed verification (reject)"),
])
def test_an_extension_that_is_not_a_valid_new_order_is_refused(facts, message):
    end = ENTERED + timedelta(days=60)
    case = collecting(T.PEN_REGISTER, end)
    decision, looked_up = extension(**facts)
    outcome = case.decide(decision, roster("analyst"), looked_up, now=end - timedelta(days=1))
    assert (outcome.accepted, outcome.message) == (False, message) and case.order_end == end


def test_an_expired_order_cannot_be_extended():
    end = ENTERED + timedelta(days=60)
    case = collecting(T.PEN_REGISTER, end)
    decision, facts = extension()
    outcome = case.decide(decision, roster("analyst"), facts, now=end)
    assert outcome.message == ("the order expired at 2027-01-21T17:00:00+00:00; an expired order cannot be "
                               "extended: a new order starts a new case")


def test_title3_runs_30_days_from_the_earlier_of_first_interception_and_day_ten():
    # Entered 2026-11-22T17:00Z; day ten 2026-12-02T17:00Z; without interception it ends 2027-01-01T17:00Z.
    early = collecting(T.TITLE3_WIRETAP, datetime(2027, 1, 1, 17, 0, tzinfo=UTC))
    started = d("record_interception_started", at="2026-11-24T08:00:00Z")
    assert early.decide(started, roster("analyst"), now=datetime(2026, 11, 25, tzinfo=UTC)).accepted
    assert early.order_end == datetime(2026, 12, 24, 8, 0, tzinfo=UTC)  # 30 days from first interception
    late = collecting(T.TITLE3_WIRETAP, datetime(2027, 1, 1, 17, 0, tzinfo=UTC))
    after_day_ten = d("record_interception_started", at="2026-12-05T00:00:00Z")
    assert late.decide(after_day_ten, roster("analyst"), now=datetime(2026, 12, 6, tzinfo=UTC)).accepted
    assert late.order_end == datetime(2027, 1, 1, 17, 0, tzinfo=UTC)  # day ten came first
    before = collecting(T.TITLE3_WIRETAP, datetime(2027, 1, 1, 17, 0, tzinfo=UTC))
    too_early = before.decide(d("record_interception_started", at="2026-11-22T16:59:59Z"), roster("analyst"),
                              now=datetime(2026, 11, 25, tzinfo=UTC))
    assert too_early.message == "interception cannot begin before the order was entered (2026-11-22T17:00:00+00:00)"


# ---- the property test ------------------------------------------------------------------------------

ACTORS = ["jdoe", "asmith", "mlee", "kpatel", "rcruz", "tnguyen"]
FIELDS = {
    D.APPROVE: {}, D.REJECT: {"note": "no"}, D.WITHDRAW: {"note": "gone"},
    D.REQUEST_INFO: {"question": "q"}, D.PROVIDE_INFO: {"info": "i"},
    D.VERIFY_CALLBACK: {"number": "+16025346311", "verified_at": "2026-11-26T20:30:00Z"},
    D.RECORD_EXTENSION: {"renewal_received_at": "2027-01-20T10:00:00Z"},
    D.RECORD_INTERCEPTION_STARTED: {"at": "2026-11-27T00:00:00Z"},
    D.CUSTOMER_ACCEPTS_FEE: {"quote_id": "Q-T-1"},
}

# Mostly people who hold the role they claim and are active (so decisions get through and the
# interesting rules are reached), sometimes not; few actors, so the same person comes back.
decisions = st.builds(
    lambda name, actor, role, roles, holds, active, listed: (
        "decide", name, actor, role, roles | ({role} if holds else set()), active, listed),
    st.sampled_from([*DecisionName, *[D.APPROVE] * 8]), st.sampled_from(ACTORS[:2]), st.sampled_from(list(Role)),
    st.sets(st.sampled_from(list(Role)), max_size=3), st.sampled_from([True, True, True, False]),
    st.sampled_from([True, True, True, False]), st.booleans(),
)
system_steps = st.tuples(st.just("system"), st.sampled_from(
    ["advance", "close", "follow_up", "hold_produced", "held", "release"]),
    st.sampled_from(list(CaseState)), st.sampled_from(list(Resolution)))


@pytest.mark.parametrize("request_type", list(RequestType))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(identity=st.booleans(),
       steps=st.lists(st.one_of(decisions, decisions, decisions, decisions, system_steps), max_size=30))
def test_no_sequence_of_decisions_breaks_the_case(request_type, identity, steps):
    case = opened(request_type, identity_confirmed=identity)
    case.quote_issued("Q-T-1")
    plan = plan_for(request_type)
    if plan.shape is Shape.SURVEILLANCE:
        case.surveillance_order(RECEIVED, RECEIVED + timedelta(days=60), None)
    closed_as: Resolution | None = None
    reached_retrieval = False
    for step in steps:
        before = case.model_copy(deep=True)
        if step[0] == "decide":
            _, name, actor, role, roles, active, listed = step
            decision = Decision(name=name, actor=actor, role=role, note=FIELDS[name].get("note", ""),
                                fields={k: v for k, v in FIELDS[name].items() if k != "note"})
            entry = RosterEntry(known=True, active=active, roles=sorted(roles))
            outcome = case.decide(decision, entry, Facts(callback_listed=listed), NOW)
            assert outcome.message.strip(), "every outcome says why"
            if outcome.accepted:
                assert before.state is not S.CLOSED, "nothing is accepted after the close"
                assert name in plan.decisions and role in plan.roles_for(name)
                assert active and role in roles
                assert not plan.cleared_only or Role.CLEARED in roles
                if name is D.VERIFY_CALLBACK:
                    assert listed, "an unlisted callback number never verifies"
            else:
                assert case == before, "a refused decision changes nothing"
        else:
            _, action, state, resolution = step
            steps_by_name = {
                "advance": lambda s=state: case.advance(s), "close": lambda r=resolution: case.close(r),
                "follow_up": lambda: case.follow_up_arrived("F-1"),
                "hold_produced": lambda: case.hold_produced("P-1"),
                "held": lambda: case.held(NOW + timedelta(days=90)),
                "release": lambda: case.release_production(NOW),
            }
            try:
                steps_by_name[action]()
            except ValueError:
                assert case == before, "an impossible step changes nothing"
        if closed_as is not None:
            assert case.state is S.CLOSED and case.resolution is closed_as, "a closed case never moves"
        elif case.state is S.CLOSED:
            closed_as = case.resolution
        approvers = list(case.approvals.values())
        assert len(approvers) == len(set(approvers)), "separation of duties"
        assert set(case.approvals) <= {str(r) for r in case.approvals_required}
        if case.state in (S.RETRIEVING, S.PROVISIONING) and not reached_retrieval:
            reached_retrieval = True
            assert not case.missing_approvals(), "nothing is retrieved or switched on before every approval"
            if plan.gate is Gate.CALLBACK:
                assert case.callback_verified
            if plan.gate is Gate.CUSTOMER_IDENTITY:
                assert case.fee_accepted_by
        if plan.shape is not Shape.PRESERVATION:
            assert case.state is not S.PRESERVED


@pytest.mark.parametrize("request_type", list(RequestType), ids=str)
def test_an_auditor_makes_no_decision_on_any_type(request_type):
    """The auditor role (issue #11) reads and verifies; no plan lets it decide anything."""
    assert all(Role.AUDITOR not in plan_for(request_type).roles_for(name) for name in DecisionName)


def test_an_auditors_approval_is_refused_and_recorded_as_refused():
    case = opened(RequestType.SUBPOENA)
    outcome = case.decide(d("approve", actor="dokafor", role="auditor"), roster("auditor", "cleared"))
    assert (outcome.accepted, outcome.message) == (False, "role auditor may not approve (allowed: analyst)")
    assert case.state is CaseState.AWAITING_APPROVAL


def test_a_production_under_way_is_never_a_state_a_withdrawal_maps_to_a_resolution():
    """`_apply_withdraw` reads "producing" from WITHDRAWN_WHILE_PRODUCING alone: the states it
    names (retrieving, packaging) must stay outside WITHDRAWAL's gate and hold/collection states."""
    assert {CaseState.RETRIEVING, CaseState.PACKAGING} == WITHDRAWN_WHILE_PRODUCING
    assert not set(WITHDRAWAL) & WITHDRAWN_WHILE_PRODUCING
