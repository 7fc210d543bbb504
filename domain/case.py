"""A case as the workflow sees it: its states, its events, and the typed inputs and results
that pass between the workflow and its activities (identifiers, counts and hashes, never records)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from domain.clocks import REMINDER_LEAD
from domain.identifiers import FIRST_PRODUCTION
from domain.targets import TargetResolution, TargetRows
from domain.vocabulary import RecordCategory, Role


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


class Resolution(StrEnum):
    DELIVERED = "delivered"
    """The certified production was delivered and the request billed."""
    NO_RESPONSIVE_RECORDS = "no_responsive_records"
    """No target matched a subscriber; an analyst confirmed it and the custodian's letter saying
    so was delivered instead of a production (not billed)."""
    REJECTED_ON_VERIFICATION = "rejected_on_verification"
    """The legal process failed verification: nothing may be produced."""
    REJECTED_BY_ANALYST = "rejected_by_analyst"
    WITHDRAWN = "withdrawn"
    QUOTE_EXPIRED = "quote_expired"
    """customer_call_lookup: the fee quote went unanswered for 30 days; nothing was searched."""
    FOLLOW_UP_MISSING = "follow_up_missing"
    """emergency: no legal process followed within 48 h; escalated to legal."""
    HOLD_EXPIRED = "hold_expired"
    """preservation: the hold lapsed (90 days, or 180 after the one renewal)."""
    HOLD_RELEASED = "hold_released"
    """preservation: withdrawn by the requester; the hold is released."""
    PRODUCED = "produced"
    """preservation: a demand naming the hold in preservation_ref took its records."""
    EXPIRED = "expired"
    """surveillance: switched off automatically at the order's end."""
    VACATED = "vacated"
    """surveillance: withdrawn; switched off at once."""
    FILED_AS_FOLLOW_UP = "filed_as_follow_up"
    """A court order whose follow_up_of names an emergency authorisation's collection: verified and
    filed there; the running collection continues under it (18 U.S.C. 3125(a), 2518(7))."""
    FILED_AS_EXTENSION = "filed_as_extension"
    """An order whose extension_of names a running order: verified and filed; it takes effect when an
    analyst records it there with record_extension."""


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


class RosterEntry(BaseModel):
    """What the roster says of an actor deciding on a case."""

    known: bool
    active: bool = False
    roles: list[Role] = Field(default_factory=list)
    display_name: str | None = None


class CaseEvent(BaseModel):
    """One entry of the case history: a human decision (accepted or refused) or a system event."""

    request_id: str
    seq: int
    """Position in this case's history; with request_id it makes the event's idempotency key."""
    at: AwareDatetime
    name: str
    actor: str
    role: str | None = None
    accepted: bool = True
    reason: str = ""
    note: str = ""
    via: str = "system"
    """signal, update or system."""
    details: dict[str, Any] = Field(default_factory=dict)


class OpenCaseInput(BaseModel):
    request_id: str
    request_type: str
    workflow_id: str
    document: dict[str, Any]


class VerifyInput(BaseModel):
    request_id: str
    document: dict[str, Any]


class AuthorizeInput(BaseModel):
    request_id: str
    actor: str
    role: str
    sealed: dict[str, Any] | None = None
    """The sealed envelope the decision arrived in (SPEC §6): its signature is checked here, with the
    public seal keys, so the answer is recorded and replays without them."""


class Authorization(BaseModel):
    authorized: bool
    """Active on the roster and holding the role asked for."""
    reason: str = ""
    display_name: str | None = None
    roster: RosterEntry | None = None
    """Everything the roster says of the actor (None in histories recorded before it was asked)."""
    seal_refused: str | None = None
    """Why the decision's seal does not verify (None: it verifies, or none was asked about)."""


class LinkInput(BaseModel):
    """Does the case store hold `linked_request_id`, a request whose `field` names `request_id`?"""

    request_id: str
    linked_request_id: str
    field: str
    """follow_up_of or preservation_ref."""


class LinkConfirmation(BaseModel):
    linked: bool
    reason: str = ""


class NotifyInput(BaseModel):
    request_id: str
    kind: str
    """reminder or overdue: one notification of each kind per request, however often retried."""
    recipient_role: str
    message: str


class RetrieveInput(BaseModel):
    request_id: str
    production_id: str
    production_no: int = FIRST_PRODUCTION
    """The production's number; with request_id it names the production's folders (les/paths.py)."""
    category: RecordCategory
    document: dict[str, Any]
    """The request (targets and period are read from it inside the activity)."""
    from_hold: str | None = None
    """The preservation request_id (the demand's `preservation_ref`) whose hold is produced from."""


class DiscardInput(BaseModel):
    """One production whose staging is thrown away (withdrawn before delivery)."""

    request_id: str
    production_id: str
    production_no: int = FIRST_PRODUCTION


class ProductionFile(BaseModel):
    """One CSV of a production, as the retrieval activity left it in staging."""

    category: RecordCategory
    file_name: str
    rows: int
    sha256: str
    bytes: int
    by_target: list[TargetRows] = Field(default_factory=list)
    """Per target that resolved: the rows of the file it answers and the accounts they came from."""


class PackageInput(BaseModel):
    request_id: str
    production_id: str
    production_no: int = FIRST_PRODUCTION
    """The production's number; with request_id it names the production's folders (les/paths.py)."""
    produced_at: AwareDatetime
    """The workflow's clock at packaging, so a retried package is byte-identical."""
    document: dict[str, Any]
    files: list[ProductionFile]
    approved_by: dict[str, str]
    """Role -> actor who approved."""
    refused: list[dict[str, str]] = Field(default_factory=list)
    targets: TargetResolution | None = None
    """What verification found each target matched; the unresolved are named in the manifest and
    in a no-records letter beside the certified files. None in histories from before."""


class LetterInput(BaseModel):
    """A production that is only the custodian's "no responsive records" letter: no target resolved."""

    request_id: str
    production_id: str
    production_no: int = FIRST_PRODUCTION
    produced_at: AwareDatetime
    """The workflow's clock, so a retried letter is byte-identical."""
    document: dict[str, Any]
    targets: TargetResolution
    confirmed_by: dict[str, str]
    """Role -> actor whose approval confirmed that nothing responsive exists."""
    refused: list[dict[str, str]] = Field(default_factory=list)


class PackagedProduction(BaseModel):
    production_id: str
    production_no: int = FIRST_PRODUCTION
    """The production's number; with request_id it names the production's folders (les/paths.py)."""
    staging_dir: str
    """Where packaging left it; informational: delivery rebuilds the path from the ids."""
    manifest_sha256: str
    file_count: int
    row_count: int


class DeliverInput(BaseModel):
    request_id: str
    production_id: str
    production_no: int = FIRST_PRODUCTION
    """The production's number; with request_id it names the production's folders (les/paths.py)."""
    staging_dir: str
    """Informational: delivery rebuilds the staging path from request_id and production_no."""
    manifest_sha256: str
    file_count: int
    row_count: int


class Delivery(BaseModel):
    production_id: str
    path: str
    manifest_sha256: str
    delivered_at: AwareDatetime


class DeliveredCategory(BaseModel):
    category: RecordCategory
    rows: int


class BillInput(BaseModel):
    request_id: str
    request_type: str
    delivered: list[DeliveredCategory]
    target_count: int
    assistance_days: int = 0
    """Surveillance: days collection was on (3124(c), 2518(4) reasonable expenses)."""


class InvoiceSummary(BaseModel):
    request_id: str
    total_cents: int
    currency: str
    line_count: int
    basis: str


class CloseInput(BaseModel):
    request_id: str
    resolution: Resolution
    note: str = ""


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
