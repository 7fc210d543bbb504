"""Each type's plan as SPEC §3 "How each type runs" and LEGAL.md give it: its workflow, shape,
decisions, approvals, gate, production and clocks, and who may take each decision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.plans import plan_for
from domain.vocabulary import DecisionName, RequestType, Role
from tests.case_support import (
    GATE,
    PLAN_TABLE,
    D,
    T,
    opened,
)
from tests.unit.test_policy import EXPECTED_DECISION_ROLES


def test_the_plan_table_names_every_type():
    assert set(PLAN_TABLE) == {str(t) for t in RequestType}


@pytest.mark.parametrize("request_type", sorted(PLAN_TABLE))
def test_each_type_runs_as_spec_section_3_says(request_type):
    workflow, shape, extra, approvals, cleared, gate, production, clock = PLAN_TABLE[request_type]
    plan = plan_for(request_type)
    assert plan.request_type == request_type
    assert plan.workflow_name == workflow
    assert str(plan.shape) == shape
    assert {str(x) for x in plan.decisions} == GATE | extra
    assert tuple(str(r) for r in plan.approvals) == approvals
    assert plan.cleared_only is cleared
    assert str(plan.gate) == gate
    assert str(plan.production) == production
    assert plan.response_clock is clock
    # SPEC §3: a customer's quote lapses after 30 days unanswered; emergency legal process follows within 48 h.
    assert plan.fee_quote_validity == (timedelta(days=30) if request_type == "customer_call_lookup" else None)
    assert plan.follow_up_window == (timedelta(hours=48) if request_type == "emergency" else None)
    assert plan_for(RequestType(request_type)) == plan


def test_an_unknown_type_has_no_plan():
    with pytest.raises(ValueError, match=r"'warrant' is not a valid RequestType"):
        plan_for("warrant")


# SPEC §3 / domain/decisions.py: who takes each decision, as tests/unit/test_policy.py writes it out
# (approve: the type's approvers, checked apart).
ROLES = {name: roles for name, roles in EXPECTED_DECISION_ROLES.items() if name != "approve"}


@pytest.mark.parametrize("request_type", sorted(PLAN_TABLE))
def test_who_may_take_each_decision_on_each_type(request_type):
    _, _, extra, approvals, *_ = PLAN_TABLE[request_type]
    plan = plan_for(request_type)
    for name in DecisionName:
        roles = {str(r) for r in plan.roles_for(name)}
        if name not in GATE | extra:
            assert roles == set(), name
        elif name == "approve":
            assert roles == set(approvals)
        else:
            assert roles == ROLES[name], name


@pytest.mark.parametrize("request_type", list(RequestType), ids=str)
def test_an_auditor_makes_no_decision_on_any_type(request_type):
    """The auditor role (issue #11) reads and verifies; no plan lets it decide anything."""
    assert all(Role.AUDITOR not in plan_for(request_type).roles_for(name) for name in DecisionName)


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
