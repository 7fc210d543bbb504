"""A property test of the case state machine: random sequences of decisions, actors, roles and system
events thrown at every type never break its invariants (nothing after the close, separation of
duties, nothing retrieved before every approval, a refusal changes nothing)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.case import CaseState, Resolution
from domain.case_machine import (
    Decision,
    Facts,
)
from domain.contracts import RosterEntry
from domain.plans import Gate, Shape, plan_for
from domain.vocabulary import DecisionName, RequestType, Role
from tests.case_support import (
    NOW,
    RECEIVED,
    D,
    S,
    opened,
)

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
