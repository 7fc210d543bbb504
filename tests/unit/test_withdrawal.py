"""The closing decisions: reject closes any gate state; withdraw resolves each state as SPEC §3 says,
stops a production under way once the workflow can, and is too late once delivering; the first
close wins."""

from __future__ import annotations

import pytest

from domain.case import CaseState, Resolution
from domain.case_machine import (
    WITHDRAWAL,
    WITHDRAWN_WHILE_PRODUCING,
)
from tests.case_support import (
    S,
    T,
    accept,
    at,
    d,
    opened,
    refusal,
    roster,
)


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


@pytest.mark.parametrize("state", ["awaiting_approval", "awaiting_info", "awaiting_callback",
                                   "awaiting_fee_acceptance"])
def test_reject_closes_any_gate_state_with_the_reason(state):
    case = at(state, "emergency")
    assert accept(case, d("reject", actor="mlee", note="no emergency")) == "rejected: nothing will be produced"
    assert (case.resolution, case.closing_note) == (Resolution.REJECTED_BY_ANALYST, "mlee: no emergency")


WITHDRAWN = {
    # state: (type, resolution, message)
    "awaiting_approval": ("subpoena", "withdrawn", "withdrawn: the case closes without production"),
    "awaiting_info": ("subpoena", "withdrawn", "withdrawn: the case closes without production"),
    "awaiting_callback": ("emergency", "withdrawn", "withdrawn: the case closes without production"),
    "awaiting_fee_acceptance": ("customer_call_lookup", "withdrawn", "withdrawn: the case closes without production"),
    "preserved": ("preservation", "hold_released", "withdrawn: the hold is released"),
    "provisioning": ("pen_register", "vacated", "withdrawn: collection is switched off"),
    "collecting": ("title3_wiretap", "vacated", "withdrawn: collection is switched off"),
}


@pytest.mark.parametrize("state", list(CaseState))
def test_withdraw_resolves_each_state_as_spec_section_3_says(state):
    if state in WITHDRAWN:
        request_type, resolution, message = WITHDRAWN[state]
        case = at(state, request_type)
        assert accept(case, d("withdraw", actor="mlee", role="supervisor", note="case dropped")) == message
        assert (case.state, case.resolution, case.closing_note) == (S.CLOSED, resolution, "mlee: case dropped")
    elif state is S.CLOSED:
        assert refusal(at(state, resolution=Resolution.DELIVERED), d("withdraw", note="x")) == (
            "the case is closed (delivered); nothing can change it now")
    else:
        assert refusal(at(state), d("withdraw", note="x")) == f"too late to withdraw: the case is {state}"


@pytest.mark.parametrize(("state", "doing"), [("retrieving", "retrieved"), ("packaging", "packaged")])
def test_withdraw_while_producing_is_accepted_once_the_workflow_can_stop_it(state, doing):
    """The `withdraw-during-retrieval` patch sets `withdraw_while_producing`: the production under way is
    stopped and discarded. Runs recorded before it refuse as too late (above)."""
    case = at(state, withdraw_while_producing=True)
    assert case.open_tasks() == [f"none: the records are being {doing}; withdraw stops it and nothing is delivered"]
    assert case.waiting_for() == ["none"]
    assert accept(case, d("withdraw", actor="mlee", role="supervisor", note="agency withdrew")) == (
        "withdrawn: the production under way is stopped and discarded; nothing is delivered")
    assert (case.state, case.resolution, case.closing_note) == (S.CLOSED, Resolution.WITHDRAWN, "mlee: agency withdrew")


@pytest.mark.parametrize("state", ["delivering", "billing", "awaiting_follow_up"])
def test_withdraw_once_delivering_stays_too_late_even_when_production_can_be_stopped(state):
    case = at(state, "emergency" if state == "awaiting_follow_up" else "subpoena", withdraw_while_producing=True)
    assert refusal(case, d("withdraw", note="x")) == f"too late to withdraw: the case is {state}"
    assert case.open_tasks() == ([] if state != "awaiting_follow_up" else
                                 ["none: waiting for legal process whose follow_up_of names this request"])


def test_withdraw_after_the_close_is_refused_when_production_can_be_stopped():
    case = at("closed", resolution=Resolution.DELIVERED, withdraw_while_producing=True)
    assert refusal(case, d("withdraw", note="x")) == "the case is closed (delivered); nothing can change it now"


def test_a_production_under_way_is_never_a_state_a_withdrawal_maps_to_a_resolution():
    """`_apply_withdraw` reads "producing" from WITHDRAWN_WHILE_PRODUCING alone: the states it
    names (retrieving, packaging) must stay outside WITHDRAWAL's gate and hold/collection states."""
    assert {CaseState.RETRIEVING, CaseState.PACKAGING} == WITHDRAWN_WHILE_PRODUCING
    assert not set(WITHDRAWAL) & WITHDRAWN_WHILE_PRODUCING
