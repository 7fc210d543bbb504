"""The roster is asked once and decides nothing (issue 25): the activity answers what the roster says
of the actor and whether the decision's seal verifies; the case alone decides whether that lets the
actor take the decision, in the words the person is told (domain/case_machine.py Case.check_roster)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from domain.case_machine import Case, Decision, Refused
from domain.contracts import Authorization, AuthorizeInput, RosterEntry
from domain.vocabulary import DecisionName, Role
from recordstore.db import make_session_factory

RECEIVED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def case_activities(prepared_store) -> CaseActivities:
    return CaseActivities(make_session_factory(prepared_store))


def ask(activities: CaseActivities, actor: str, role: str = "analyst", sealed: dict | None = None) -> Authorization:
    return ActivityEnvironment().run(activities.authorize_decision, AuthorizeInput(
        request_id="ROSTER-1", actor=actor, role=role, sealed=sealed))


def awaiting_approval() -> Case:
    case = Case(request_id="ROSTER-1", request_type="subpoena", received_at=RECEIVED)
    case.verified(rejection=None)
    return case


def approval(actor: str, role: str = "analyst") -> Decision:
    return Decision(name=DecisionName.APPROVE, actor=actor, role=Role(role), note="in order")


@pytest.mark.parametrize(("actor", "entry", "message"), [
    ("mallory", RosterEntry(known=False), "mallory is not on the roster"),
    ("bwilson", RosterEntry(known=True, active=False, roles=[Role.ANALYST], display_name="Ben Wilson"),
     "bwilson is no longer active on the roster"),
    ("kpatel", RosterEntry(known=True, active=True, roles=[Role.LEGAL], display_name="Kiran Patel"),
     "kpatel does not hold the analyst role (holds: legal)"),
], ids=["not on the roster", "no longer active", "role not held"])
def test_the_roster_answers_facts_and_the_case_refuses_in_its_words(case_activities, actor, entry, message):
    answer = ask(case_activities, actor)
    assert answer.roster == entry and answer.seal_refused is None
    assert (answer.authorized, answer.reason) == (None, "")  # no verdict and no words of the activity's own
    with pytest.raises(Refused, match=f"^{re.escape(message)}$"):
        awaiting_approval().check_roster(approval(actor), answer.roster)


def test_an_active_actor_holding_the_role_may_decide(case_activities):
    answer = ask(case_activities, "tnguyen")
    assert answer.roster == RosterEntry(known=True, active=True, roles=[Role.ANALYST, Role.CLEARED],
                                        display_name="Tuan Nguyen")
    case = awaiting_approval()
    case.check_roster(approval("tnguyen"), answer.roster)  # raises nothing
    assert case.decide(approval("tnguyen"), answer.roster).accepted


def test_a_seal_that_does_not_verify_is_answered_without_reading_the_roster(case_activities):
    envelope = {"seal": {"key": "seal-0", "signature": "AAAA"}, "decision": {"actor": "tnguyen", "role": "analyst"}}
    answer = ask(case_activities, "tnguyen", sealed=envelope)
    assert answer.seal_refused == ("the seal names key 'seal-0', which the worker does not hold: not sealed by "
                                   "this product's codec servers")
    assert answer.roster == RosterEntry(known=False)
