"""One trip for a decision (domain/case_machine.py): the rules are one table; `Case.evaluate` checks
a decision once against the case as it stands and `Case.apply` makes the transition take effect,
deciding afresh only when the case or the moment changed in between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.case import CaseState, Resolution
from domain.case_machine import RULES, Case, Decision
from domain.contracts import RosterEntry
from domain.vocabulary import DecisionName, RequestType, Role

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ANALYST = RosterEntry(known=True, active=True, roles=[Role.ANALYST])


def awaiting() -> Case:
    case = Case(request_id="LES-2026-000101", request_type=RequestType.SUBPOENA, received_at=NOW)
    case.verified(rejection=None)
    return case


def approve(actor: str = "jdoe") -> Decision:
    return Decision(name=DecisionName.APPROVE, actor=actor, role=Role.ANALYST)


def test_every_decision_has_its_rule_in_the_table():
    assert set(RULES) == set(DecisionName)
    for check, apply in RULES.values():
        assert check.__name__.startswith("_check_") and apply.__name__.startswith("_apply_")


def test_evaluate_changes_nothing_and_apply_makes_it_take_effect():
    case = awaiting()
    before = case.model_dump()
    transition = case.evaluate(approve(), ANALYST, now=NOW)
    assert transition.accepted and transition.message == "approved: retrieving the permitted records"
    assert case.model_dump() == before
    case.record("approve", NOW, actor="jdoe", role="analyst")  # filed before it takes effect
    outcome = case.apply(transition, NOW)
    assert outcome.accepted and case.state is CaseState.RETRIEVING and case.approvals == {"analyst": "jdoe"}
    assert [e.name for e in case.history] == ["approve"]


def test_a_refusal_names_the_step_that_refused_it():
    case = awaiting()
    assert case.evaluate(approve()).accepted  # the cheap checks alone pass
    inactive = RosterEntry(known=True, active=False, roles=[Role.ANALYST])
    assert case.evaluate(approve(), inactive, now=NOW).refused_by == "roster"
    supervisor = Decision(name=DecisionName.APPROVE, actor="mlee", role=Role.SUPERVISOR)
    assert case.evaluate(supervisor).refused_by == "not_allowed"
    case.close(Resolution.WITHDRAWN, "gone")
    refused = case.evaluate(approve(), ANALYST, now=NOW)
    assert (refused.accepted, refused.refused_by) == (False, "not_allowed")
    assert refused.message.startswith("the case is closed")


def test_a_case_closed_meanwhile_refuses_the_transition_on_apply():
    case = awaiting()
    transition = case.evaluate(approve(), ANALYST, now=NOW)
    case.close(Resolution.WITHDRAWN, "a clock closed it while the decision was filed")
    outcome = case.apply(transition, NOW)
    assert not outcome.accepted and case.resolution is Resolution.WITHDRAWN and case.approvals == {}


def test_a_later_moment_decides_afresh():
    case = awaiting()
    case.production_not_before = NOW + timedelta(minutes=1)
    transition = case.evaluate(approve(), ANALYST, now=NOW)
    assert case.state is CaseState.AWAITING_APPROVAL
    outcome = case.apply(transition, NOW + timedelta(minutes=2))  # the notice period ended meanwhile
    assert outcome.accepted and case.state is CaseState.RETRIEVING


@pytest.fixture
def counted(monkeypatch):
    """How often the cheap checks, the roster's check and a rule's effect run."""
    calls = {"precheck": 0, "roster": 0, "rule": 0}
    precheck, roster = Case.precheck, Case._check_roster
    check, rule = RULES[DecisionName.APPROVE]

    def counting_precheck(self, decision):
        calls["precheck"] += 1
        return precheck(self, decision)

    def counting_roster(self, decision, entry):
        calls["roster"] += 1
        return roster(self, decision, entry)

    def counting_rule(self, decision, facts, now):
        calls["rule"] += 1
        return rule(self, decision, facts, now)

    monkeypatch.setattr(Case, "precheck", counting_precheck)
    monkeypatch.setattr(Case, "_check_roster", counting_roster)
    monkeypatch.setitem(RULES, DecisionName.APPROVE, (check, counting_rule))
    return calls


def test_an_approval_is_checked_once_per_step_on_its_trip(counted):
    """The trip workflows/intake.py makes: the validator's cheap checks, the handler's before it asks
    the roster, one full evaluation, one apply. Before: 4 prechecks, 3 roster checks, 2 rule runs
    (validator precheck; precheck; check = a trial decide; decide; the refusal class's roster check)."""
    case = awaiting()
    case.evaluate(approve())  # the update's validator
    case.evaluate(approve())  # the handler, before the roster activity
    transition = case.evaluate(approve(), ANALYST, now=NOW)
    case.apply(transition, NOW)
    assert counted == {"precheck": 3, "roster": 1, "rule": 1}


def test_the_trip_before_checked_each_step_more_often(counted):
    case = awaiting()
    case.precheck(approve())
    case.precheck(approve())
    case.check(approve(), ANALYST, now=NOW)
    case.check_roster(approve(), ANALYST)
    case.decide(approve(), ANALYST, now=NOW)
    assert counted == {"precheck": 4, "roster": 3, "rule": 2}
