"""A case as the workflow and its callers see it: its states, how it ended, the workflow's input
and result, what a decision's update answers and what `status` shows.

The activities' inputs and results are in domain/contracts.py; Resolution is defined with the
domain's words (domain/vocabulary.py) because the close_case activity's input carries it too."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from domain.clocks import REMINDER_LEAD
from domain.contracts import CaseEvent, Delivery, InvoiceSummary
from domain.vocabulary import Resolution


class CaseState(StrEnum):
    VERIFYING = "verifying"
    AWAITING_APPROVAL = "awaiting_approval"
    AWAITING_INFO = "awaiting_info"
    AWAITING_CALLBACK = "awaiting_callback"
    AWAITING_FEE_ACCEPTANCE = "awaiting_fee_acceptance"
    RETRIEVING = "retrieving"
    PACKAGING = "packaging"
    DELIVERING = "delivering"
    BILLING = "billing"
    PRESERVED = "preserved"
    PROVISIONING = "provisioning"
    COLLECTING = "collecting"
    AWAITING_FOLLOW_UP = "awaiting_follow_up"
    CLOSED = "closed"


OPEN_FOR_DECISION = frozenset({
    CaseState.AWAITING_APPROVAL, CaseState.AWAITING_INFO, CaseState.AWAITING_CALLBACK,
    CaseState.AWAITING_FEE_ACCEPTANCE,
})
"""The gate states: a person's decision is what moves the case on."""


class RequestSubmission(BaseModel):
    """The workflow's one input: the request document exactly as received."""

    request_id: str
    request_type: str
    document: dict[str, Any]
    """The JSON object as received, unknown fields included (the case file)."""
    reminder_lead_hours: float = REMINDER_LEAD.total_seconds() / 3600
    """How long before the response is due the team is reminded: domain/clocks.py REMINDER_LEAD.
    Kept as a field because recorded workflow inputs carry it (replay)."""
    carried: dict[str, Any] | None = None
    """Continue-as-new: the case and its clocks from the run before (None on the first run)."""
    continue_as_new_after_productions: int | None = None
    """Continue as new after this many productions in one run (None: when the server suggests it)."""


class DecisionReceipt(BaseModel):
    """What a `_sync` update answers: the decision as recorded."""

    accepted: bool
    state: CaseState
    message: str


class CaseStatus(BaseModel):
    """Everything `starter.py status` shows: state, open human tasks, clocks, decisions so far."""

    request_id: str
    request_type: str
    state: CaseState
    open_tasks: list[str]
    deadlines: dict[str, datetime]
    overdue: bool
    reminded: bool
    verdict: str | None
    permitted: list[str]
    refused: list[dict[str, str]]
    problems: list[dict[str, str]]
    approvals_required: list[str]
    approvals: dict[str, str]
    history: list[CaseEvent]
    production: Delivery | None
    """The latest production."""
    productions: list[Delivery] = Field(default_factory=list)
    invoice: InvoiceSummary | None
    resolution: Resolution | None
    details: dict[str, Any] = Field(default_factory=dict)
    """Type-specific facts: the fee quote, the callback, the hold, customer notice."""
    collection: dict[str, Any] | None = None
    """Surveillance (SPEC §3): state provisioning | active | deprovision_pending | off, activated_at,
    deactivated_at, certification_id."""


class CaseOutcome(BaseModel):
    """The workflow's result."""

    request_id: str
    resolution: Resolution
    production: Delivery | None = None
    invoice: InvoiceSummary | None = None
