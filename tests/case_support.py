"""Hand-made cases for the case state machine's tests (tests/unit/test_approvals.py and its
neighbours): the moments, the roster entries, decisions, cases put in a state, and the plan of
each type as SPEC §3 writes it out. Expected values are the SPEC's and LEGAL.md's, counted by hand
in the comments, never the code's."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.case import CaseState
from domain.case_machine import Case, Decision, Facts
from domain.contracts import ExtensionOrder, RosterEntry
from domain.vocabulary import DecisionName, RequestType, Role

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
FIRST_STATE = {
    "customer_call_lookup": "awaiting_approval", "emergency": "awaiting_callback",
    **dict.fromkeys(["subpoena", "court_order", "search_warrant", "pen_register", "title3_wiretap",
                     "national_security_letter", "fisa_order", "preservation"], "awaiting_approval"),
}


# ---- decisions and cases of one kind -----------------------------------------------------------------


def callback(verified_at: object = "2026-11-26T20:30:00Z", number: str = "+16025346311") -> Decision:
    return d("verify_callback", number=number, verified_at=verified_at)


def preserved() -> Case:
    return at("preserved", "preservation", hold_expires_at=HOLD_LAPSES)


def renewal(received: object) -> Decision:
    return d("record_extension", renewal_received_at=received)


def collecting(request_type: str, end: datetime, duration_days: int | None = None) -> Case:
    case = at("collecting", request_type)
    case.surveillance_order(ENTERED, end, duration_days)
    return case


def approved_and_collecting(request_type: RequestType, end: datetime) -> Case:
    """A surveillance order approved by its approvers, provisioned and now collecting."""
    case = opened(request_type)
    case.surveillance_order(ENTERED, end, None)
    approvals = {"analyst": ("jdoe", roster("analyst")), "legal": ("kpatel", roster("legal"))}
    for role in list(case.approvals_required):
        actor, entry = approvals[str(role)]
        assert case.decide(d("approve", actor=actor, role=str(role)), entry).accepted
    assert case.state is S.PROVISIONING and case.advance(S.COLLECTING)
    return case


def order(kind: str = "pen_register", **facts) -> Facts:
    fields = {"request_id": "X-2", "found": True, "request_type": kind, "extension_of": "T-1",
              "verdict": "accept", "duration_days": None, **facts}
    return Facts(extension=ExtensionOrder(**fields))


def extend(request_id: str = "X-2") -> Decision:
    return d("record_extension", extension_request_id=request_id)


def extension(request_id: str = "PR-2", **facts) -> tuple[Decision, Facts]:
    order = {"request_id": request_id, "found": True, "request_type": "pen_register", "extension_of": "T-1",
             "verdict": "accept", "duration_days": 60, **facts}
    return d("record_extension", extension_request_id=request_id), Facts(extension=order)


def started(moment: str) -> Decision:
    return d("record_interception_started", at=moment)
