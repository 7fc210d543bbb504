"""The workflow's own steps on the case (SPEC §3): every edge and every non-edge, the first close,
follow-up legal process, the customer notice period, the order clock, and the case's history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.case import CaseState, Resolution
from domain.case_machine import (
    SYSTEM,
)
from domain.vocabulary import Role
from tests.case_support import (
    ENTERED,
    NOW,
    PLAN_TABLE,
    RECEIVED,
    TITLE3_END,
    S,
    T,
    accept,
    at,
    d,
    opened,
    roster,
)

# SPEC §3, by shape: records retrieve, package, deliver, bill (an emergency then waits for its
# follow-up); preservation holds; surveillance is provisioned and collects.
# SPEC §3, by shape: records retrieve, package, deliver, bill (an emergency then waits for its
# follow-up); preservation holds; surveillance is provisioned and collects.
EDGES = {
    ("verifying", "awaiting_approval"), ("verifying", "awaiting_callback"),
    ("verifying", "awaiting_fee_acceptance"),
    ("delivering", "billing"),
}
ONLY = {
    ("retrieving", "packaging"): lambda t: t != "preservation",
    ("packaging", "delivering"): lambda t: t != "preservation",  # a hold is never packaged
    ("retrieving", "preserved"): lambda t: t == "preservation",
    ("billing", "awaiting_follow_up"): lambda t: t == "emergency",
    ("provisioning", "collecting"): lambda t: t in ("pen_register", "title3_wiretap"),
    ("collecting", "billing"): lambda t: t in ("pen_register", "title3_wiretap"),
}


@pytest.mark.parametrize("request_type", sorted(PLAN_TABLE))
def test_every_system_step_and_every_step_that_is_not_one(request_type):
    for source in CaseState:
        if source is S.CLOSED:
            continue
        for target in CaseState:
            case = at(source, request_type)
            allowed = (source, target) in EDGES or ONLY.get((source, target), lambda t: False)(request_type)
            if allowed:
                assert case.advance(target) is True and case.state is target, (source, target)
            else:
                with pytest.raises(ValueError, match=rf"^T-1: no step leads from {source} to {target}$"):
                    case.advance(target)
                assert case.state is source


def test_a_closed_case_takes_no_step_and_the_first_close_wins():
    case = at("closed", resolution=Resolution.WITHDRAWN, closing_note="jdoe: gone")
    for target in CaseState:
        assert case.advance(target) is False and case.state is S.CLOSED
    assert case.close(Resolution.DELIVERED, "late") is False
    assert (case.resolution, case.closing_note) == (Resolution.WITHDRAWN, "jdoe: gone")
    fresh = at("billing")
    assert fresh.close(Resolution.DELIVERED, "billed") is True
    assert (fresh.state, fresh.resolution, fresh.closing_note) == (S.CLOSED, Resolution.DELIVERED, "billed")
    bare = at("billing")
    assert bare.close(Resolution.DELIVERED) is True and bare.closing_note == ""


def test_follow_up_legal_process_closes_an_emergency_waiting_for_it_and_only_once():
    case = at("awaiting_follow_up", "emergency")
    assert case.follow_up_arrived("F-1") is True
    assert (case.state, case.resolution, case.closing_note) == (S.CLOSED, Resolution.DELIVERED,
                                                                "followed up by F-1")
    assert case.follow_ups == ["F-1"]
    assert case.follow_up_arrived("F-2") is False and case.follow_ups == ["F-1"]
    early = at("delivering", "emergency")
    assert early.follow_up_arrived("F-1") is True
    assert early.state is S.DELIVERING and early.follow_ups == ["F-1"]  # noted; closes nothing yet
    assert early.follow_up_arrived("F-1") is False and early.follow_ups == ["F-1"]


def test_production_is_released_at_the_end_of_the_notice_period_not_before():
    # 14 days after 2026-11-26T20:10Z.
    until = datetime(2026, 12, 10, 20, 10, tzinfo=UTC)
    case = opened("subpoena", production_not_before=until)
    assert case.release_production(until) is False  # nobody approved yet
    assert accept(case, d("approve")) == (
        "approved; production waits for the customer notice period until 2026-12-10 20:10 UTC")
    assert case.state is S.AWAITING_APPROVAL
    assert case.production_released(until - timedelta(seconds=1)) is False
    assert case.release_production(until - timedelta(seconds=1)) is False and case.state is S.AWAITING_APPROVAL
    assert case.release_production(until) is True and case.state is S.RETRIEVING
    assert case.release_production(until) is False  # only from awaiting_approval
    without_period = at("awaiting_approval", approvals_required=[Role.ANALYST], approvals={"analyst": "jdoe"})
    assert without_period.production_released(RECEIVED) is True
    assert without_period.release_production(RECEIVED) is True and without_period.state is S.RETRIEVING


def test_a_civil_subpoena_waits_for_its_notice_period_after_approval():
    until = NOW + timedelta(days=14)
    case = opened(T.SUBPOENA, production_not_before=until)
    outcome = case.decide(d("approve"), roster("analyst"), now=NOW)
    assert outcome.accepted and case.state is S.AWAITING_APPROVAL
    assert not case.release_production(NOW + timedelta(days=13))
    assert case.release_production(until) and case.state is S.RETRIEVING


def test_the_order_clock_and_the_quote_are_kept_as_given():
    case = opened("title3_wiretap")
    case.surveillance_order(ENTERED, TITLE3_END, 20)
    assert (case.order_issued_at, case.order_end, case.order_duration_days) == (ENTERED, TITLE3_END, 20)
    case.quote_issued("Q-T-1")
    assert case.fee_quote_id == "Q-T-1"


def test_the_history_numbers_events_from_one_and_names_the_system_by_default():
    case = at("awaiting_approval")
    first = case.record("verified", RECEIVED)
    second = case.record("approve", NOW, actor="jdoe", role="analyst", accepted=False, reason="no", note="n",
                         via="update", details={"k": 1})
    assert [e.seq for e in case.history] == [1, 2] and case.history == [first, second]
    assert first.model_dump() == {"request_id": "T-1", "seq": 1, "at": RECEIVED, "name": "verified",
                                  "actor": "les-orchestrator", "role": None, "accepted": True, "reason": "",
                                  "note": "", "via": "system", "details": {}}
    assert second.model_dump() == {"request_id": "T-1", "seq": 2, "at": NOW, "name": "approve", "actor": "jdoe",
                                   "role": "analyst", "accepted": False, "reason": "no", "note": "n",
                                   "via": "update", "details": {"k": 1}}
    assert SYSTEM == "les-orchestrator"
