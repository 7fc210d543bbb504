"""The case state machine rule by rule, written out by hand from SPEC §3 and LEGAL.md.

Every refusal the actor reads, every open task, every plan field per type, every system step
and the surveillance and preservation clocks at their edges. Expected values come from the
statute or the SPEC (dates counted by hand in the comments), never from the code under test.
These tests kill the mutants of domain/case_machine.py, domain/plans.py and
domain/surveillance.py (docs/testing.md, "The case state machine")."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.case import CaseState, Resolution
from domain.case_machine import SYSTEM, Case, Decision, Facts, Refused, parse_decision
from domain.contracts import ExtensionOrder, RosterEntry
from domain.plans import plan_for
from domain.surveillance import extension_end, interception_start_problem
from domain.vocabulary import DecisionName, RequestType, Role
from tests.test_policy import EXPECTED_DECISION_ROLES

D, S, T = DecisionName, CaseState, RequestType
# Received 2026-11-26T20:10Z; 90 days later is 2027-02-24T20:10Z (4 days of November, 31 of
# December, 31 of January, 24 of February), 180 days 2027-05-25T20:10Z.
RECEIVED = datetime(2026, 11, 26, 20, 10, tzinfo=UTC)
NOW = datetime(2026, 11, 26, 21, 10, tzinfo=UTC)
HOLD_LAPSES = datetime(2027, 2, 24, 20, 10, tzinfo=UTC)
RENEWED_HOLD_LAPSES = datetime(2027, 5, 25, 20, 10, tzinfo=UTC)
# A surveillance order entered 2026-11-22T17:00Z.
ENTERED = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
PEN_END = datetime(2027, 1, 21, 17, 0, tzinfo=UTC)  # 60 days: 8 in Nov, 31 in Dec, 21 in Jan
TITLE3_END = datetime(2027, 1, 1, 17, 0, tzinfo=UTC)  # day ten 2026-12-02T17:00Z, plus 30 days


def roster(*roles: str, active: bool = True) -> RosterEntry:
    return RosterEntry(known=True, active=active, roles=[Role(r) for r in roles])


def d(name: str, actor: str = "jdoe", role: str = "analyst", note: str = "because", **fields) -> Decision:
    return Decision(name=DecisionName(name), actor=actor, role=Role(role), note=note, fields=fields)


def opened(request_type: str, **verified) -> Case:
    case = Case(request_id="T-1", request_type=request_type, received_at=RECEIVED)
    case.verified(rejection=None, **verified)
    return case


def at(state: str, request_type: str = "subpoena", **fields) -> Case:
    """A case put straight into a state (as continue-as-new would carry it)."""
    fields.setdefault("received_at", RECEIVED)
    return Case(request_id="T-1", request_type=request_type, state=CaseState(state), **fields)


def refusal(case: Case, decision: Decision, entry: RosterEntry | None = None, facts: Facts | None = None,
            now: datetime | None = NOW) -> str:
    """The message of a refused decision; the case must not have changed."""
    before = case.model_copy(deep=True)
    outcome = case.decide(decision, entry or roster("analyst", "legal", "supervisor", "cleared"), facts, now)
    assert not outcome.accepted, outcome.message
    assert outcome.state is before.state and not outcome.closed
    assert case == before, "a refused decision changes nothing"
    return outcome.message


def accept(case: Case, decision: Decision, entry: RosterEntry | None = None, facts: Facts | None = None,
           now: datetime | None = NOW) -> str:
    outcome = case.decide(decision, entry or roster("analyst", "legal", "supervisor", "cleared"), facts, now)
    assert outcome.accepted, outcome.message
    assert outcome.state is case.state and outcome.closed is (case.state is S.CLOSED)
    return outcome.message


# ---- each type's plan, field by field (SPEC §3 "How each type runs", LEGAL.md) -------------------

GATE = {"approve", "reject", "request_info", "provide_info", "withdraw"}
# type: workflow, shape, extra decisions, approvals, cleared only, gate, production, response clock
PLAN_TABLE = {
    "customer_call_lookup": ("CustomerCallLookup", "records", {"customer_accepts_fee"}, ("analyst",), False,
                             "customer_identity", "once", False),
    "subpoena": ("Subpoena", "records", set(), ("analyst",), False, "none", "once", True),
    "court_order": ("CourtOrder", "records", set(), ("analyst",), False, "none", "once", True),
    "search_warrant": ("SearchWarrant", "records", set(), ("analyst",), False, "none", "once", True),
    "pen_register": ("PenRegister", "surveillance", {"record_extension"}, ("analyst",), False, "none",
                     "periodic", False),
    "title3_wiretap": ("Title3Wiretap", "surveillance", {"record_extension", "record_interception_started"},
                       ("analyst", "legal"), False, "none", "periodic", False),
    "national_security_letter": ("NationalSecurityLetter", "records", set(), ("analyst", "legal"), True, "none",
                                 "once", True),
    "fisa_order": ("FisaOrder", "records", set(), ("analyst", "legal"), True, "none", "once", False),
    "preservation": ("Preservation", "preservation", {"record_extension"}, ("analyst",), False, "none", "none",
                     False),
    "emergency": ("Emergency", "records", {"verify_callback"}, ("analyst", "supervisor"), False, "callback",
                  "once", False),
}


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


# SPEC §3 / domain/decisions.py: who takes each decision, as tests/test_policy.py writes it out
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


# ---- verified(): the first gate of each type ---------------------------------------------------------

FIRST_STATE = {
    "customer_call_lookup": "awaiting_approval", "emergency": "awaiting_callback",
    **dict.fromkeys(["subpoena", "court_order", "search_warrant", "pen_register", "title3_wiretap",
                     "national_security_letter", "fisa_order", "preservation"], "awaiting_approval"),
}


@pytest.mark.parametrize("request_type", sorted(PLAN_TABLE))
def test_after_verification_each_type_waits_at_its_gate_for_its_approvers(request_type):
    until = datetime(2026, 12, 10, 20, 10, tzinfo=UTC)
    case = Case(request_id="T-1", request_type=request_type, received_at=RECEIVED)
    assert case.verified(rejection=None, production_not_before=until) == FIRST_STATE[request_type]
    assert case.state == FIRST_STATE[request_type]
    assert [str(r) for r in case.approvals_required] == list(PLAN_TABLE[request_type][3])
    assert case.production_not_before == until and case.resolution is None


@pytest.mark.parametrize("request_type", ["subpoena", "emergency", "title3_wiretap"])
def test_a_confirmed_identity_skips_the_approval_only_for_a_customer_call_lookup(request_type):
    case = opened(request_type, identity_confirmed=True)
    assert case.state == FIRST_STATE[request_type]
    assert [str(r) for r in case.approvals_required] == list(PLAN_TABLE[request_type][3])
    pin = opened("customer_call_lookup", identity_confirmed=True)
    assert (pin.state, pin.approvals_required) == (S.AWAITING_FEE_ACCEPTANCE, [])


def test_a_fatal_problem_at_verification_closes_the_case_with_that_reason():
    case = Case(request_id="T-1", request_type="subpoena", received_at=RECEIVED)
    assert case.verified(rejection="unsigned instrument") == "closed"
    assert (case.state, case.resolution, case.closing_note) == (S.CLOSED, Resolution.REJECTED_ON_VERIFICATION,
                                                                "unsigned instrument")
    assert case.approvals_required == []


# ---- the workflow's own steps: every edge and every non-edge --------------------------------------------

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


def test_a_hold_is_placed_only_on_a_preservation_that_is_retrieving():
    case = at("retrieving", "preservation")
    assert case.held(HOLD_LAPSES) is True
    assert (case.state, case.hold_expires_at) == (S.PRESERVED, HOLD_LAPSES)
    closed = at("closed", "preservation", resolution=Resolution.WITHDRAWN)
    assert closed.held(HOLD_LAPSES) is False and closed.hold_expires_at is None
    with pytest.raises(ValueError, match=r"^T-1: no step leads from retrieving to preserved$"):
        at("retrieving", "subpoena").held(HOLD_LAPSES)


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


def test_a_demand_takes_the_held_records_only_from_a_preserved_case():
    case = at("preserved", "preservation", hold_expires_at=HOLD_LAPSES)
    assert case.hold_produced("SUB-9") is True
    assert (case.state, case.resolution, case.closing_note) == (S.CLOSED, Resolution.PRODUCED,
                                                                "produced for SUB-9")
    assert case.hold_produced("SUB-10") is False and case.closing_note == "produced for SUB-9"
    waiting = at("awaiting_approval", "preservation")
    assert waiting.hold_produced("SUB-9") is False and waiting.state is S.AWAITING_APPROVAL


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


def test_the_order_clock_and_the_quote_are_kept_as_given():
    case = opened("title3_wiretap")
    case.surveillance_order(ENTERED, TITLE3_END, 20)
    assert (case.order_issued_at, case.order_end, case.order_duration_days) == (ENTERED, TITLE3_END, 20)
    case.quote_issued("Q-T-1")
    assert case.fee_quote_id == "Q-T-1"


# ---- the history ----------------------------------------------------------------------------------------


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


# ---- refusals, in the order the checks run -----------------------------------------------------------


def test_nothing_changes_a_closed_case_whatever_its_resolution():
    for resolution in ("withdrawn", "delivered", "hold_expired"):
        case = at("closed", resolution=Resolution(resolution))
        assert refusal(case, d("approve")) == f"the case is closed ({resolution}); nothing can change it now"
        with pytest.raises(Refused, match=rf"^the case is closed \({resolution}\); nothing can change it now$"):
            case.precheck(d("withdraw"))


def test_a_decision_outside_the_type_and_a_role_outside_the_decision_are_refused():
    case = opened("court_order")
    assert refusal(case, d("verify_callback", number="+1", verified_at="2026-11-26T20:30:00Z")) == (
        "verify_callback is not a decision a court_order takes")
    assert refusal(case, d("reject", role="cleared", note="no")) == (
        "role cleared may not reject (allowed: analyst, legal, supervisor)")
    assert refusal(case, d("approve", role="legal")) == "role legal may not approve (allowed: analyst)"
    assert refusal(opened("emergency"), d("approve", role="cleared")) == (
        "role cleared may not approve (allowed: analyst, supervisor)")


def test_a_decision_names_every_field_it_lacks():
    case = opened("emergency")
    assert refusal(case, d("verify_callback")) == (
        "verify_callback: the decision needs a non-empty `number`, `verified_at`")
    assert refusal(case, d("verify_callback", number="  ", verified_at="2026-11-26T20:30:00Z")) == (
        "verify_callback: the decision needs a non-empty `number`")
    assert refusal(case, d("withdraw", note="  ")) == "withdraw: the decision needs a non-empty `note`"
    assert refusal(case, d("request_info")) == "request_info: the decision needs a non-empty `question`"


def test_the_roster_is_asked_after_the_rules_of_the_type():
    case = opened("subpoena")
    assert refusal(case, d("approve"), RosterEntry(known=False)) == "jdoe is not on the roster"
    assert refusal(case, d("approve"), RosterEntry(known=True, active=False, roles=[Role.ANALYST])) == (
        "jdoe is no longer active on the roster")
    assert refusal(case, d("approve"), RosterEntry(known=True, active=True)) == (
        "jdoe does not hold the analyst role (holds: none)")
    assert refusal(case, d("approve"), roster("supervisor", "legal")) == (
        "jdoe does not hold the analyst role (holds: legal, supervisor)")
    # the type's rules come first: an unknown actor asking for a decision the type does not take
    assert refusal(case, d("customer_accepts_fee", quote_id="Q"), RosterEntry(known=False)) == (
        "customer_accepts_fee is not a decision a subpoena takes")


@pytest.mark.parametrize("request_type", ["national_security_letter", "fisa_order"])
def test_every_decision_on_a_cleared_only_type_needs_the_cleared_role(request_type):
    case = opened(request_type)
    message = f"a {request_type} is handled only by cleared actors; jdoe is not cleared"
    for decision in (d("approve"), d("reject", note="no"), d("withdraw", note="no"), d("request_info", question="q")):
        assert refusal(case, decision, roster("analyst", "legal", "supervisor")) == message
    assert accept(case, d("request_info", question="q"), roster("analyst", "cleared"))


def test_a_decision_in_the_wrong_state_names_the_state():
    retrieving = at("retrieving")
    assert refusal(retrieving, d("approve")) == "approve is not possible now: the case is retrieving"
    assert refusal(retrieving, d("reject", note="no")) == "reject is not possible now: the case is retrieving"
    assert refusal(retrieving, d("request_info", question="q")) == (
        "request_info is not possible now: the case is retrieving")
    assert refusal(at("awaiting_info"), d("request_info", question="q")) == (
        "request_info is not possible now: the case is awaiting_info")
    assert refusal(at("awaiting_approval"), d("provide_info", info="i")) == (
        "no information was requested; the case is awaiting_approval")
    emergency = at("awaiting_approval", "emergency")
    assert refusal(emergency, d("verify_callback", number="+1", verified_at="2026-11-26T20:30:00Z")) == (
        "verify_callback is not possible now: the case is awaiting_approval")
    lookup = at("awaiting_approval", "customer_call_lookup", fee_quote_id="Q-1")
    assert refusal(lookup, d("customer_accepts_fee", quote_id="Q-1")) == (
        "customer_accepts_fee is not possible now: the case is awaiting_approval")
    preservation = at("awaiting_approval", "preservation")
    assert refusal(preservation, d("record_extension", renewal_received_at="2027-01-20T10:00:00Z")) == (
        "record_extension is not possible now: the case is awaiting_approval")
    for kind in ("pen_register", "title3_wiretap"):
        assert refusal(at("awaiting_approval", kind), d("record_extension", extension_request_id="X")) == (
            "record_extension is not possible now: the case is awaiting_approval")
    assert refusal(at("retrieving", "title3_wiretap"), d("record_interception_started", at="2026-11-24T08:00:00Z")) \
        == "record_interception_started is not possible now: the case is retrieving"


# ---- approve ----------------------------------------------------------------------------------------------


def test_each_approval_says_what_comes_next():
    assert accept(opened("subpoena"), d("approve")) == "approved: retrieving the permitted records"
    nsl = opened("national_security_letter")
    assert accept(nsl, d("approve")) == "approved by jdoe; still awaiting: legal"
    assert nsl.state is S.AWAITING_APPROVAL and nsl.approvals == {"analyst": "jdoe"}
    assert accept(nsl, d("approve", actor="kpatel", role="legal")) == "approved: retrieving the permitted records"
    assert nsl.state is S.RETRIEVING and nsl.approvals == {"analyst": "jdoe", "legal": "kpatel"}
    lookup = opened("customer_call_lookup")
    assert accept(lookup, d("approve")) == (
        "identity confirmed: the fee is quoted and waits for the customer's acceptance")
    assert lookup.state is S.AWAITING_FEE_ACCEPTANCE
    pen = opened("pen_register")
    assert accept(pen, d("approve")) == "approved: provisioning collection at the mediation system"
    assert pen.state is S.PROVISIONING
    hold = opened("preservation")
    assert accept(hold, d("approve")) == "approved: copying the named records into the hold"
    assert hold.state is S.RETRIEVING
    # The workflow always passes the moment; without one the notice period is not consulted.
    until = datetime(2026, 12, 10, 20, 10, tzinfo=UTC)
    assert accept(opened("subpoena", production_not_before=until), d("approve"), now=None) == (
        "approved: retrieving the permitted records")
    assert accept(opened("subpoena", production_not_before=until), d("approve"), now=until) == (
        "approved: retrieving the permitted records")


def test_an_approval_is_given_once_per_role_and_once_per_person():
    case = opened("title3_wiretap")
    accept(case, d("approve"))
    assert refusal(case, d("approve", actor="asmith")) == "the analyst approval was already given by jdoe"
    assert refusal(case, d("approve", role="legal")) == (
        "jdoe already approved this request; a second approval must come from another person "
        "(separation of duties)")
    until = datetime(2026, 12, 10, 20, 10, tzinfo=UTC)
    waiting = opened("subpoena", production_not_before=until)
    accept(waiting, d("approve"))
    assert refusal(waiting, d("approve", actor="asmith")) == (
        "every approval was already given; production waits for its notice period")


def test_an_approval_from_a_role_the_case_no_longer_needs_is_refused():
    # A case carried over continue-as-new may need fewer approvals than its type's plan lists.
    case = at("awaiting_approval", "title3_wiretap", approvals_required=[Role.LEGAL])
    assert refusal(case, d("approve")) == "this request is approved by: legal; not by analyst"
    two = at("awaiting_approval", "title3_wiretap", approvals_required=[Role.LEGAL, Role.SUPERVISOR])
    assert refusal(two, d("approve")) == "this request is approved by: legal, supervisor; not by analyst"


# ---- reject, withdraw -------------------------------------------------------------------------------------


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


# ---- request_info, provide_info -----------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "request_type"), [("awaiting_approval", "subpoena"),
                                                     ("awaiting_callback", "emergency"),
                                                     ("awaiting_fee_acceptance", "customer_call_lookup")])
def test_a_question_parks_the_case_and_the_answer_returns_it(state, request_type):
    case = at(state, request_type)
    assert accept(case, d("request_info", question="which unit?")) == (
        "information requested; the case waits for the answer")
    assert (case.state, case.open_question, case.resume_state) == (S.AWAITING_INFO, "which unit?", state)
    assert accept(case, d("provide_info", info="unit 7")) == f"information recorded; the case is {state} again"
    assert (case.state, case.open_question, case.resume_state) == (state, None, None)


def test_an_answer_without_a_remembered_state_returns_to_approval():
    case = at("awaiting_info", open_question="q")
    assert accept(case, d("provide_info", info="a")) == "information recorded; the case is awaiting_approval again"
    assert case.state is S.AWAITING_APPROVAL


# ---- verify_callback (emergency) ------------------------------------------------------------------------------


def callback(verified_at: object = "2026-11-26T20:30:00Z", number: str = "+16025346311") -> Decision:
    return d("verify_callback", number=number, verified_at=verified_at)


def test_a_callback_time_must_be_a_moment_with_an_offset():
    case = opened("emergency")
    assert refusal(case, callback("2026-11-26T20:30:00"), facts=Facts(callback_listed=True)) == (
        "verify_callback: `verified_at` must be a timestamp with an offset or Z (got '2026-11-26T20:30:00')")
    with pytest.raises(Refused, match=r"^verify_callback: `verified_at` must be a timestamp with an offset or Z "
                                      r"\(got 'soon'\)$"):
        case.precheck(callback("soon"))


def test_a_callback_is_verified_between_receipt_and_now_and_on_the_directory_number():
    listed = Facts(callback_listed=True)
    case = opened("emergency")
    assert refusal(case, callback("2026-11-26T21:10:01Z"), facts=listed) == (
        "verified_at 2026-11-26T21:10:01+00:00 is in the future")
    assert refusal(case, callback("2026-11-26T20:09:59Z"), facts=listed) == (
        "verified_at 2026-11-26T20:09:59+00:00 is before the request was received (2026-11-26T20:10:00+00:00); "
        "the callback verifies this request")
    assert refusal(case, callback(), facts=Facts()) == "the agency directory could not be consulted; try again"
    assert refusal(case, callback(number="+15550000000"), facts=Facts(callback_listed=False)) == (
        "+15550000000 is not the agency's number in the agency directory (none on file); a callback must go "
        "to the directory number, never one the requester supplied")
    assert refusal(case, callback(number="+15550000000"), facts=Facts(
        callback_listed=False, directory_numbers=["+16025346311", "+16025346312"])) == (
        "+15550000000 is not the agency's number in the agency directory (+16025346311, +16025346312); a "
        "callback must go to the directory number, never one the requester supplied")
    # at the instant of receipt and at the instant of now are both fine
    assert accept(case, callback("2026-11-26T20:10:00Z"), facts=listed) == (
        "callback to +16025346311 verified; the request awaits approval")
    assert (case.state, case.callback_verified) == (S.AWAITING_APPROVAL, "+16025346311")
    late = opened("emergency")
    assert accept(late, callback("2026-11-26T21:10:00Z"), facts=listed)
    unknown_receipt = at("awaiting_callback", "emergency", received_at=None)
    assert accept(unknown_receipt, callback("2020-01-01T00:00:00Z"), facts=listed, now=None)


# ---- customer_accepts_fee ----------------------------------------------------------------------------------


def test_the_customer_accepts_the_quoted_fee_and_the_search_starts():
    case = opened("customer_call_lookup", identity_confirmed=True)
    assert refusal(case, d("customer_accepts_fee", quote_id="Q-T-1")) == "no fee has been quoted yet"
    case.quote_issued("Q-T-1")
    assert refusal(case, d("customer_accepts_fee", quote_id="Q-T-2")) == (
        "quote Q-T-2 is not this request's quote (Q-T-1)")
    assert accept(case, d("customer_accepts_fee", quote_id="Q-T-1")) == (
        "fee accepted (quote Q-T-1): searching the customer's own outgoing calls")
    assert (case.state, case.fee_accepted_by) == (S.RETRIEVING, "jdoe")


# ---- preservation: one renewal, received before the lapse (18 U.S.C. 2703(f)(2)) ------------------------------


def preserved() -> Case:
    return at("preserved", "preservation", hold_expires_at=HOLD_LAPSES)


def renewal(received: object) -> Decision:
    return d("record_extension", renewal_received_at=received)


def test_a_renewal_received_before_the_lapse_extends_the_hold_to_180_days_from_receipt():
    case = preserved()
    assert accept(case, renewal("2027-02-24T20:09:59Z"), now=datetime(2027, 2, 24, 21, 0, tzinfo=UTC)) == (
        "renewed: the hold now runs to 2027-05-25T20:10:00+00:00")
    assert (case.renewals, case.hold_expires_at, case.state) == (1, RENEWED_HOLD_LAPSES, S.PRESERVED)


def test_a_renewal_at_the_lapse_instant_is_too_late():
    assert refusal(preserved(), renewal("2027-02-24T20:10:00Z"), now=datetime(2027, 3, 1, tzinfo=UTC)) == (
        "the renewal was received 2027-02-24T20:10:00+00:00, after the hold lapsed at 2027-02-24T20:10:00+00:00; "
        "a new preservation request starts a new hold")


def test_a_renewal_received_before_the_preservation_request_is_refused():
    assert refusal(preserved(), renewal("2026-11-26T20:09:59Z")) == (
        "the renewal cannot have been received before the preservation request itself")
    assert accept(preserved(), renewal("2026-11-26T20:10:00Z"))  # the same instant is fine


def test_a_renewal_received_in_the_future_is_refused():
    case = preserved()
    assert refusal(case, renewal("2026-11-26T21:10:01Z")) == "renewal_received_at is in the future"
    assert accept(case, renewal("2026-11-26T21:10:00Z"))  # received now
    assert accept(preserved(), renewal("2027-01-20T10:00:00Z"), now=None)


def test_a_second_renewal_is_refused_and_the_renewal_must_be_a_moment():
    case = preserved()
    accept(case, renewal("2027-01-20T10:00:00Z"), now=datetime(2027, 1, 21, tzinfo=UTC))
    assert refusal(case, renewal("2027-02-01T10:00:00Z"), now=datetime(2027, 2, 2, tzinfo=UTC)) == (
        "18 U.S.C. 2703(f)(2) allows one 90-day renewal, already recorded; a new preservation request starts a "
        "new hold")
    assert refusal(preserved(), d("record_extension")) == (
        "record_extension: `renewal_received_at` must be a timestamp with an offset or Z (got None)")


# ---- surveillance: extensions on new orders, Title III's first interception ---------------------------------


def collecting(request_type: str, end: datetime, duration_days: int | None = None) -> Case:
    case = at("collecting", request_type)
    case.surveillance_order(ENTERED, end, duration_days)
    return case


def order(kind: str = "pen_register", **facts) -> Facts:
    fields = {"request_id": "X-2", "found": True, "request_type": kind, "extension_of": "T-1",
              "verdict": "accept", "duration_days": None, **facts}
    return Facts(extension=ExtensionOrder(**fields))


def extend(request_id: str = "X-2") -> Decision:
    return d("record_extension", extension_request_id=request_id)


def test_an_extension_without_a_stated_term_runs_the_statutory_cap_from_the_current_end():
    pen = collecting("pen_register", PEN_END)
    # 3123(c)(2): 60 days from 2027-01-21T17:00Z is 2027-03-22T17:00Z (10 in Jan, 28 in Feb, 22 in Mar).
    assert accept(pen, extend(), facts=order(), now=None) == (
        "extended by X-2: collection now ends 2027-03-22T17:00:00+00:00")
    assert pen.order_end == datetime(2027, 3, 22, 17, 0, tzinfo=UTC) and pen.extensions == ["X-2"]
    wiretap = collecting("title3_wiretap", TITLE3_END)
    # 2518(5): 30 days from 2027-01-01T17:00Z.
    accept(wiretap, extend(), facts=order("title3_wiretap", duration_days=30))
    assert wiretap.order_end == datetime(2027, 1, 31, 17, 0, tzinfo=UTC)
    assert refusal(wiretap, extend(" X-2 "), facts=order("title3_wiretap")) == "the extension X-2 is already recorded"
    padded = collecting("pen_register", PEN_END)
    assert accept(padded, extend(" X-2 "), facts=order()) == (
        "extended by X-2: collection now ends 2027-03-22T17:00:00+00:00")
    assert padded.extensions == ["X-2"]


def test_an_extension_term_above_the_cap_is_refused_naming_the_statute():
    wiretap = collecting("title3_wiretap", TITLE3_END)
    assert refusal(wiretap, extend(), facts=order("title3_wiretap", duration_days=31)) == (
        "an extension of a title3_wiretap runs at most 30 days (18 U.S.C. 2518(5)); this order grants 31")
    pen = collecting("pen_register", PEN_END)
    assert refusal(pen, extend(), facts=order(duration_days=61)) == (
        "an extension of a pen_register runs at most 60 days (18 U.S.C. 3123(c)(2)); this order grants 61")
    accept(pen, extend(), facts=order(duration_days=10))
    assert pen.order_end == datetime(2027, 1, 31, 17, 0, tzinfo=UTC)


def test_the_extension_caps_by_statute_including_fisa():
    end = datetime(2027, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))  # 2027-01-01T10:00Z
    assert extension_end(T.PEN_REGISTER, end, None).isoformat() == "2027-03-02T10:00:00+00:00"
    assert extension_end(T.TITLE3_WIRETAP, end, None).isoformat() == "2027-01-31T10:00:00+00:00"
    assert extension_end(T.FISA_ORDER, end, None).isoformat() == "2027-04-01T10:00:00+00:00"  # 90 days
    assert extension_end(T.FISA_ORDER, end, 90).isoformat() == "2027-04-01T10:00:00+00:00"
    with pytest.raises(ValueError, match=r"^an extension of a fisa_order runs at most 90 days "
                                         r"\(50 U\.S\.C\. 1805\(d\)\(2\), 1842\(e\)\(2\)\); this order grants 91$"):
        extension_end(T.FISA_ORDER, end, 91)


@pytest.mark.parametrize(("facts", "message"), [
    (Facts(), "the extension order could not be looked up; try again"),
    (order(found=False, request_type=None), "no request X-2 is on file: submit the new order first"),
    (order("title3_wiretap"), "X-2 is a title3_wiretap; a pen_register is extended only by a new pen_register"),
    (order(extension_of=None), "X-2's legal_process.extension_of names None, not T-1"),
    (order(verdict=None), "X-2 has not passed verification (not verified yet)"),
    (order(verdict="reject"), "X-2 has not passed verification (reject)"),
])
def test_an_extension_that_is_not_a_verified_new_order_of_the_same_type_is_refused(facts, message):
    assert refusal(collecting("pen_register", PEN_END), extend(), facts=facts) == message


def test_an_extension_with_warnings_passes_and_an_unnamed_one_is_refused():
    case = collecting("pen_register", PEN_END)
    assert refusal(case, extend("  "), facts=order()) == (
        "record_extension: the decision needs a non-empty `extension_request_id` (the new order)")
    assert refusal(case, d("record_extension"), facts=order()) == (
        "record_extension: the decision needs a non-empty `extension_request_id` (the new order)")
    accept(case, extend(), facts=order(verdict="partial"))
    provisioning = at("provisioning", "pen_register")
    assert refusal(provisioning, extend(), facts=order()) == (
        "the order's clock is not known yet; try again once collection is provisioned")
    provisioning.surveillance_order(ENTERED, PEN_END, None)
    assert accept(provisioning, extend(), facts=order())


def test_an_order_can_be_extended_until_its_last_instant_not_at_it():
    assert accept(collecting("pen_register", PEN_END), extend(), facts=order(),
                  now=PEN_END - timedelta(seconds=1))
    assert refusal(collecting("pen_register", PEN_END), extend(), facts=order(), now=PEN_END) == (
        "the order expired at 2027-01-21T17:00:00+00:00; an expired order cannot be extended: a new order starts "
        "a new case")


def started(moment: str) -> Decision:
    return d("record_interception_started", at=moment)


def test_first_interception_moves_the_title3_clock_and_keeps_the_extensions():
    # 30 days from 2026-11-24T08:00Z is 2026-12-24T08:00Z.
    case = collecting("title3_wiretap", TITLE3_END)
    assert accept(case, started("2026-11-24T08:00:00Z"), now=datetime(2026, 11, 25, tzinfo=UTC)) == (
        "first interception recorded: the order now ends 2026-12-24T08:00:00+00:00")
    assert case.interception_started_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert refusal(case, started("2026-11-24T09:00:00Z")) == (
        "first interception was already recorded at 2026-11-24T08:00:00+00:00")
    # An extension of 30 days recorded first (to 2027-01-31T17:00Z) is kept: 2026-12-24T08:00Z + 30 days.
    extended = collecting("title3_wiretap", datetime(2027, 1, 31, 17, 0, tzinfo=UTC))
    accept(extended, started("2026-11-24T08:00:00Z"), now=None)
    assert extended.order_end == datetime(2027, 1, 23, 8, 0, tzinfo=UTC)
    # An order of 20 days: day ten 2026-12-02T17:00Z + 20 = 2026-12-22T17:00Z without interception;
    # interception 2026-11-24T08:00Z + 20 days = 2026-12-14T08:00Z.
    short = collecting("title3_wiretap", datetime(2026, 12, 22, 17, 0, tzinfo=UTC), duration_days=20)
    accept(short, started("2026-11-24T08:00:00Z"))
    assert short.order_end == datetime(2026, 12, 14, 8, 0, tzinfo=UTC)


def test_interception_begins_between_the_order_and_its_end_and_not_in_the_future():
    assert accept(collecting("title3_wiretap", TITLE3_END), started("2026-11-22T17:00:00Z"))
    assert refusal(collecting("title3_wiretap", TITLE3_END), started("2027-01-01T17:00:00Z"),
                   now=datetime(2027, 1, 2, tzinfo=UTC)) == (
        "interception cannot begin after the order expired (2027-01-01T17:00:00+00:00)")
    assert refusal(collecting("title3_wiretap", TITLE3_END), started("2026-11-26T21:10:01Z")) == (
        "`at` 2026-11-26T21:10:01+00:00 is in the future")
    assert accept(collecting("title3_wiretap", TITLE3_END), started("2026-11-26T21:10:00Z"))
    assert refusal(collecting("title3_wiretap", TITLE3_END), started("tomorrow")) == (
        "record_interception_started: `at` must be a timestamp with an offset or Z (got 'tomorrow')")
    with pytest.raises(Refused, match=r"^record_interception_started: `at` must be a timestamp with an offset "
                                      r"or Z \(got 'tomorrow'\)$"):
        collecting("title3_wiretap", TITLE3_END).precheck(started("tomorrow"))
    unknown = at("provisioning", "title3_wiretap")
    assert refusal(unknown, started("2026-11-24T08:00:00Z")) == (
        "the order's clock is not known yet; try again once collection is provisioned")
    half = at("provisioning", "title3_wiretap", order_end=TITLE3_END)
    assert refusal(half, started("2026-11-24T08:00:00Z")) == (
        "the order's clock is not known yet; try again once collection is provisioned")


def test_interception_limits_are_given_in_utc():
    plus2 = timezone(timedelta(hours=2))
    issued = datetime(2026, 11, 22, 19, 0, tzinfo=plus2)  # 17:00Z
    end = datetime(2027, 1, 1, 19, 0, tzinfo=plus2)  # 17:00Z
    assert interception_start_problem(issued, end, datetime(2026, 11, 22, 18, 59, tzinfo=plus2)) == (
        "interception cannot begin before the order was entered (2026-11-22T17:00:00+00:00)")
    assert interception_start_problem(issued, end, datetime(2026, 11, 22, 17, 0, tzinfo=UTC)) is None
    assert interception_start_problem(issued, end, datetime(2027, 1, 1, 16, 59, tzinfo=UTC)) is None
    assert interception_start_problem(issued, end, datetime(2027, 1, 1, 17, 0, tzinfo=UTC)) == (
        "interception cannot begin after the order expired (2027-01-01T17:00:00+00:00)")


def test_order_ends_are_given_in_utc_whatever_the_hosts_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/Phoenix")  # UTC-7 all year
    time.tzset()
    try:
        plus2 = timezone(timedelta(hours=2))
        end = datetime(2027, 1, 1, 12, 0, tzinfo=plus2)
        assert extension_end(T.PEN_REGISTER, end, None).isoformat() == "2027-03-02T10:00:00+00:00"
        assert interception_start_problem(end - timedelta(days=40), end, end) == (
            "interception cannot begin after the order expired (2027-01-01T10:00:00+00:00)")
    finally:
        monkeypatch.undo()
        time.tzset()


# ---- check() decides nothing ------------------------------------------------------------------------------


def test_check_changes_nothing_and_raises_the_refusal_decide_would_give():
    case = opened("title3_wiretap")
    before = case.model_copy(deep=True)
    assert case.check(d("approve"), roster("analyst"), None, NOW) is None
    assert case == before and case.approvals == {}
    with pytest.raises(Refused, match=r"^role supervisor may not approve \(allowed: analyst, legal\)$"):
        case.check(d("approve", role="supervisor"), roster("supervisor"))
    with pytest.raises(Refused, match=r"^jdoe is not on the roster$"):
        case.check(d("approve"), RosterEntry(known=False))
    hold = preserved()
    with pytest.raises(Refused, match=r"^renewal_received_at is in the future$"):
        hold.check(renewal("2026-11-26T21:10:01Z"), roster("analyst"), None, NOW)
    hold.check(renewal("2026-11-26T21:10:01Z"), roster("analyst"))  # without a moment nothing is in the future
    assert hold == preserved()
    emergency = opened("emergency")
    emergency.check(callback(), roster("analyst"), Facts(callback_listed=True), NOW)
    with pytest.raises(Refused, match=r"^the agency directory could not be consulted; try again$"):
        emergency.check(callback(), roster("analyst"), None, NOW)
    assert emergency == opened("emergency")


# ---- open tasks -----------------------------------------------------------------------------------------------

APPROVAL_TASKS = {
    "subpoena": ["approval by analyst (approve / reject / request_info)"],
    "title3_wiretap": ["approval by analyst (approve / reject / request_info)",
                       "approval by legal (approve / reject / request_info)"],
    "national_security_letter": ["approval by analyst (cleared) (approve / reject / request_info)",
                                 "approval by legal (cleared) (approve / reject / request_info)"],
    "fisa_order": ["approval by analyst (cleared) (approve / reject / request_info)",
                   "approval by legal (cleared) (approve / reject / request_info)"],
    "emergency": ["approval by analyst (approve / reject / request_info)",
                  "approval by supervisor (approve / reject / request_info)"],
}


@pytest.mark.parametrize("request_type", sorted(APPROVAL_TASKS))
def test_open_tasks_name_each_missing_approver(request_type):
    case = at("awaiting_approval", request_type, approvals_required=list(PLAN_TABLE[request_type][3]))
    assert case.open_tasks() == APPROVAL_TASKS[request_type]
    case.approvals["analyst"] = "jdoe"
    assert case.open_tasks() == APPROVAL_TASKS[request_type][1:]


def test_open_tasks_in_each_waiting_state():
    until = datetime(2026, 12, 10, 20, 10, tzinfo=UTC)
    waiting = at("awaiting_approval", approvals_required=[Role.ANALYST], production_not_before=until)
    assert waiting.open_tasks() == ["approval by analyst (approve / reject / request_info)"]
    waiting.approvals["analyst"] = "jdoe"
    assert waiting.open_tasks(NOW) == [
        "none: production waits for the customer notice period until 2026-12-10T20:10:00+00:00"]
    assert at("awaiting_info", open_question="which unit?").open_tasks() == [
        "provide_info: answer from the requester to: which unit?"]
    assert at("awaiting_callback", "emergency").open_tasks() == [
        "verify_callback by an analyst: call the agency back on its number in the agency directory"]
    assert at("awaiting_fee_acceptance", "customer_call_lookup", fee_quote_id="Q-T-1").open_tasks() == [
        "customer_accepts_fee by an analyst once the customer accepts quote Q-T-1"]
    assert at("preserved", "preservation").open_tasks() == [
        "none: records are held; record_extension (one renewal) or withdraw to release"]
    assert at("awaiting_follow_up", "emergency").open_tasks() == [
        "none: waiting for legal process whose follow_up_of names this request"]


@pytest.mark.parametrize("state", ["verifying", "retrieving", "packaging", "delivering", "billing",
                                   "provisioning", "collecting", "closed"])
def test_no_open_task_while_the_system_works_or_after_the_close(state):
    assert at(state, "title3_wiretap", approvals_required=[Role.ANALYST]).open_tasks() == []


# ---- parse_decision -----------------------------------------------------------------------------------------


def test_a_decision_is_read_from_its_json_object():
    decision = parse_decision(D.RECORD_EXTENSION, {"actor": " jdoe ", "role": "legal", "note": "  renewal  ",
                                                   "renewal_received_at": "2027-01-20T10:00:00Z"}, via="signal")
    assert decision.model_dump() == {"name": "record_extension", "actor": "jdoe", "role": "legal",
                                     "note": "renewal", "fields": {"renewal_received_at": "2027-01-20T10:00:00Z"},
                                     "via": "signal"}
    assert parse_decision(D.APPROVE, {"actor": "jdoe", "role": "analyst"}).via == "update"
    assert parse_decision(D.APPROVE, {"actor": "jdoe", "role": "analyst"}).fields == {}


def test_a_malformed_decision_names_every_wrong_field():
    with pytest.raises(Refused, match=r'^approve: expected one JSON object like \{"actor": "jdoe", "role": '
                                      r'"analyst", "note": "\.\.\."\}, got list$'):
        parse_decision(D.APPROVE, ["jdoe"])
    with pytest.raises(Refused, match=r"^reject: malformed decision \(actor: Value error, actor must name a "
                                      r"person; role: Input should be 'analyst', 'supervisor', 'legal', "
                                      r"'cleared' or 'auditor'\)$"):
        parse_decision(D.REJECT, {"actor": "  ", "role": "pilot"})
