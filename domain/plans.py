"""How each request type runs (SPEC §3), as data: one `RequestPlan` per type.

Built from the tables in domain.policy, domain.clocks and domain.decisions, so LEGAL.md is
still read in one place; this module only says which of those rules a type's case uses.
The case state machine (domain.case_machine) and the workflows read nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from domain.clocks import CUSTOMER_QUOTE_VALIDITY, EMERGENCY_FOLLOW_UP, RESPONSE_DUE_TYPES
from domain.decisions import DECISION_ROLES
from domain.policy import APPROVALS_REQUIRED, CLEARED_ONLY
from domain.vocabulary import DecisionName, RequestType, Role

D, T = DecisionName, RequestType


class Shape(StrEnum):
    """The four shapes of DESIGN.md; a type's workflow is built on its shape's base."""

    RECORDS = "records"
    """verify → gate → produce once → bill → close"""
    PRESERVATION = "preservation"
    """verify → gate → hold → renew / release / produce from the hold → close"""
    SURVEILLANCE = "surveillance"
    """verify → gate → switch on → produce periodically → switch off at the legal instant"""


class ProductionMode(StrEnum):
    ONCE = "once"
    NONE = "none"
    PERIODIC = "periodic"


class Gate(StrEnum):
    """What stands between verification and the approvals."""

    NONE = "none"
    CUSTOMER_IDENTITY = "customer_identity"
    """customer_call_lookup: PIN checked automatically, other methods by an analyst's approve."""
    CALLBACK = "callback"
    """emergency: the analyst verifies the callback to the agency's directory number."""


@dataclass(frozen=True)
class RequestPlan:
    """Everything a type's case needs to know about how it runs."""

    request_type: RequestType
    workflow_name: str
    """The workflow type's name in Temporal and the Web UI."""
    shape: Shape
    decisions: frozenset[DecisionName]
    """The SPEC §3 decisions this type takes; every other decision is refused as not for it."""
    approvals: tuple[Role, ...]
    """Roles that approve, each a different person (LEGAL.md Approvals)."""
    cleared_only: bool
    """NSL and FISA: every decision comes from an actor who also holds the cleared role."""
    gate: Gate
    production: ProductionMode
    response_clock: bool
    """A reminder before the document's response_due, overdue escalation after it."""
    fee_quote_validity: timedelta | None = None
    """customer_call_lookup: the quote lapses when unanswered this long."""
    follow_up_window: timedelta | None = None
    """emergency: legal process must follow within this window after delivery."""

    def roles_for(self, decision: DecisionName) -> frozenset[Role]:
        """Who may make `decision` on this type (empty when the type does not take it)."""
        if decision not in self.decisions:
            return frozenset()
        if decision is D.APPROVE:
            return frozenset(self.approvals)
        return DECISION_ROLES[decision]


# Every records request can be approved, rejected, questioned and withdrawn.
GATE_DECISIONS = frozenset({D.APPROVE, D.REJECT, D.REQUEST_INFO, D.PROVIDE_INFO, D.WITHDRAW})

WORKFLOW_NAMES: dict[RequestType, str] = {
    T.CUSTOMER_CALL_LOOKUP: "CustomerCallLookup",
    T.SUBPOENA: "Subpoena",
    T.COURT_ORDER: "CourtOrder",
    T.SEARCH_WARRANT: "SearchWarrant",
    T.PEN_REGISTER: "PenRegister",
    T.TITLE3_WIRETAP: "Title3Wiretap",
    T.NATIONAL_SECURITY_LETTER: "NationalSecurityLetter",
    T.FISA_ORDER: "FisaOrder",
    T.PRESERVATION: "Preservation",
    T.EMERGENCY: "Emergency",
}

EXTRA_DECISIONS: dict[RequestType, frozenset[DecisionName]] = {
    # SPEC §3: the analyst records that the customer accepted the quoted fee.
    T.CUSTOMER_CALL_LOOKUP: frozenset({D.CUSTOMER_ACCEPTS_FEE}),
    # LEGAL.md Emergency disclosure: the callback to the directory number is verified first.
    T.EMERGENCY: frozenset({D.VERIFY_CALLBACK}),
    # 18 U.S.C. 2703(f)(2): one renewal of the hold.
    T.PRESERVATION: frozenset({D.RECORD_EXTENSION}),
    # 3123(c)(2), 2518(5): extensions on new orders; Title III's clock starts at interception.
    T.PEN_REGISTER: frozenset({D.RECORD_EXTENSION}),
    T.TITLE3_WIRETAP: frozenset({D.RECORD_EXTENSION, D.RECORD_INTERCEPTION_STARTED}),
}

SHAPES: dict[RequestType, Shape] = {
    **dict.fromkeys(RequestType, Shape.RECORDS),
    T.PRESERVATION: Shape.PRESERVATION,
    T.PEN_REGISTER: Shape.SURVEILLANCE,
    T.TITLE3_WIRETAP: Shape.SURVEILLANCE,
}

GATES: dict[RequestType, Gate] = {
    T.CUSTOMER_CALL_LOOKUP: Gate.CUSTOMER_IDENTITY,
    T.EMERGENCY: Gate.CALLBACK,
}

PRODUCTION: dict[Shape, ProductionMode] = {
    Shape.RECORDS: ProductionMode.ONCE,
    Shape.PRESERVATION: ProductionMode.NONE,
    Shape.SURVEILLANCE: ProductionMode.PERIODIC,
}


def _plan(request_type: RequestType) -> RequestPlan:
    shape = SHAPES[request_type]
    return RequestPlan(
        request_type=request_type,
        workflow_name=WORKFLOW_NAMES[request_type],
        shape=shape,
        decisions=GATE_DECISIONS | EXTRA_DECISIONS.get(request_type, frozenset()),
        approvals=APPROVALS_REQUIRED[request_type],
        cleared_only=request_type in CLEARED_ONLY,
        gate=GATES.get(request_type, Gate.NONE),
        production=PRODUCTION[shape],
        response_clock=request_type in RESPONSE_DUE_TYPES,
        fee_quote_validity=CUSTOMER_QUOTE_VALIDITY if request_type is T.CUSTOMER_CALL_LOOKUP else None,
        follow_up_window=EMERGENCY_FOLLOW_UP if request_type is T.EMERGENCY else None,
    )


def plan_for(request_type: RequestType | str) -> RequestPlan:
    """The type's plan, built on each call (a few dict look-ups). Not a table built at import: the
    mutation tests (bench/mutation.py) can only reach `_plan` through a call a test makes."""
    return _plan(RequestType(request_type))
