"""Every activity contract: the typed inputs and results that pass between the workflows and their
activities (activities/), in one module.

Identifiers, counts, hashes, instants and reasons only: records never pass through a workflow's
history; activities stream them into a production's staging folder and answer with names, row
counts and hashes. These models are payloads in recorded histories (JSON): a field is only ever
added with a default, never renamed or given a new meaning, so every recorded history still
replays and the audit (console/histories.py) still reads the filings it holds.

A test (tests/unit/test_contracts.py) keeps the rule: every activity takes and answers models of
this module or plain builtins (the one exception, the verification's verdict, is named there)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, computed_field, field_validator, model_validator

from domain.collection import DeliveryType
from domain.identifiers import FIRST_PRODUCTION, production_id
from domain.targets import TargetResolution, TargetRows
from domain.vocabulary import PROSPECTIVE_CATEGORIES, AuthMethod, RecordCategory, Resolution, Role

# ---- the case store: the case file, the roster, the history, links, notices ----------------------


class OpenCaseInput(BaseModel):
    request_id: str
    request_type: str
    workflow_id: str
    document: dict[str, Any]


class AuthorizeInput(BaseModel):
    request_id: str
    actor: str
    role: str
    """The role the decision is taken in (the activity's summary names it; the answer holds every role)."""
    sealed: dict[str, Any] | None = None
    """The sealed envelope the decision arrived in (SPEC §6): its signature is checked here, with the
    public seal keys, so the answer is recorded and replays without them."""


class RosterEntry(BaseModel):
    """What the roster says of an actor deciding on a case."""

    known: bool
    active: bool = False
    roles: list[Role] = Field(default_factory=list)
    display_name: str | None = None


class Authorization(BaseModel):
    """The roster activity's answer: what the roster says of the actor, and whether the decision's
    seal verifies. Facts, not a verdict: whether they let the actor take the decision is the case's
    rule, told in the case's words (domain/case_machine.py Case.check_roster)."""

    roster: RosterEntry | None = None
    """Everything the roster says of the actor (None only in histories recorded before it was asked)."""
    seal_refused: str | None = None
    """Why the decision's seal does not verify (None: it verifies, or none was asked about)."""
    authorized: bool | None = None
    """Histories recorded before the roster answered with the roles held (`roster` None): whether the
    activity then found the actor active and holding the role. Not set since."""
    reason: str = ""
    """Histories recorded before the roster answered with the roles held: why the activity then refused."""


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


class CloseInput(BaseModel):
    request_id: str
    resolution: Resolution
    note: str = ""


class OrderLookup(BaseModel):
    request_id: str


class ExtensionOrder(BaseModel):
    """What the case store says of the order a record_extension names."""

    request_id: str
    found: bool
    request_type: str | None = None
    extension_of: str | None = None
    verdict: str | None = None
    """The order's own verification verdict; None while it has not been verified."""
    duration_days: int | None = None
    issued_at: datetime | None = None


# ---- verification --------------------------------------------------------------------------------


class VerifyInput(BaseModel):
    request_id: str
    document: dict[str, Any]


# ---- productions: retrieval, packaging, the no-records letter, delivery ---------------------------


class ProductionRef(BaseModel):
    """One production of a request: the request and the production's number, `<request_id>-Pnn`.

    The production's id is derived here, and only here (domain/identifiers.py production_id);
    nobody gives it. It is written into the JSON, so a history shows which production an activity
    worked on and a worker of the release before (which read it) still can; read back, it is
    ignored. An ill-formed request_id has no production id: reading it raises ValueError, and the
    activities refuse it as an unsafe path before they read it (les/paths.py)."""

    request_id: str
    production_no: int = FIRST_PRODUCTION
    """The production's number; with request_id it names the production's folders (les/paths.py)."""

    @computed_field(repr=False)
    @property
    def production_id(self) -> str:
        return production_id(self.request_id, self.production_no)


class RetrieveInput(ProductionRef):
    category: RecordCategory
    document: dict[str, Any]
    """The request (targets and period are read from it inside the activity)."""
    from_hold: str | None = None
    """The preservation request_id (the demand's `preservation_ref`) whose hold is produced from."""


class ProductionFile(BaseModel):
    """One CSV of a production, as the retrieval activity left it in staging."""

    category: RecordCategory
    file_name: str
    rows: int
    sha256: str
    bytes: int
    by_target: list[TargetRows] = Field(default_factory=list)
    """Per target that resolved: the rows of the file it answers and the accounts they came from."""


class PackageInput(ProductionRef):
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


class LetterInput(ProductionRef):
    """A production that is only the custodian's "no responsive records" letter: no target resolved."""

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


class DeliverInput(ProductionRef):
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


# ---- billing and the customer's fee --------------------------------------------------------------


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


class AuthenticateInput(BaseModel):
    request_id: str
    document: dict[str, Any]
    """The customer call lookup (its customer block and targets)."""


class RefusedTarget(BaseModel):
    value: str
    reason: str


class CustomerAuthentication(BaseModel):
    method: AuthMethod
    verified: bool | None
    """True: proven; False: refused; None: waits for an analyst to confirm it."""
    reason: str
    account_number: str
    own_numbers: list[str] = Field(default_factory=list)
    """Targets that are numbers of this account in the period: the only ones searched."""
    refused_targets: list[RefusedTarget] = Field(default_factory=list)


class QuoteInput(BaseModel):
    request_id: str
    account_number: str


class AcceptQuoteInput(BaseModel):
    request_id: str
    quote_id: str
    """The quote the customer accepted, as the analyst recorded it."""


class FeeQuote(BaseModel):
    quote_id: str
    amount_cents: int
    currency: str
    basis: str
    quoted_at: AwareDatetime
    accepted_at: AwareDatetime | None = None


class AddressInput(BaseModel):
    request_id: str
    account_number: str


class MailingAddress(BaseModel):
    name: str
    lines: list[str]
    """Street (or PO box), then city, state and ZIP."""


# ---- the agency directory ------------------------------------------------------------------------


class CallbackCheckInput(BaseModel):
    request_id: str
    agency: str
    number: str
    """The number the analyst called back."""


class CallbackCheck(BaseModel):
    listed: bool
    directory_numbers: list[str]
    """The agency's numbers in the carrier's own directory."""
    reason: str


# ---- preservation holds --------------------------------------------------------------------------


class HoldState(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    EXPIRED = "expired"


class PlaceHoldInput(BaseModel):
    request_id: str
    """The preservation request; it names the hold."""
    document: dict[str, Any]
    """The preservation request (targets and period are read from it)."""
    categories: list[RecordCategory]
    """The stored categories to preserve (the permitted ones)."""
    expires_at: AwareDatetime
    """When the hold lapses unless renewed (domain.clocks.preservation_expiry)."""


class ExtendHoldInput(BaseModel):
    request_id: str
    expires_at: AwareDatetime
    """The renewed expiry; never earlier than the current one."""


class ReleaseHoldInput(BaseModel):
    request_id: str
    reason: str
    """Why the hold ends early (the withdrawal's note)."""


class HoldRef(BaseModel):
    request_id: str


class HoldSummary(BaseModel):
    request_id: str
    rows_per_category: dict[str, int]
    """Rows snapshotted per category when the hold was placed."""
    expires_at: AwareDatetime
    state: HoldState
    """active, released or expired."""


# ---- interception records (47 CFR 1.20003, 1.20004) ----------------------------------------------


class CertifyInput(BaseModel):
    request_id: str
    xid: str
    identities: list[str]
    interception_type: str
    started_at: AwareDatetime
    authorised_until: AwareDatetime
    presenting_officer: str
    authorising_official: str
    legal_reference: str
    responsible_employee: str
    """The analyst whose approval switched collection on; the record is signed in their name."""


class EndCertificationInput(BaseModel):
    request_id: str
    ended_at: AwareDatetime


class Certification(BaseModel):
    certification_id: str
    signature: str
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None


class RunningInterception(BaseModel):
    request_id: str
    xid: str
    authorised_until: AwareDatetime


class RunningInterceptions(BaseModel):
    running: list[RunningInterception] = Field(default_factory=list)


class UnauthorisedReport(BaseModel):
    xid: str
    found_at: AwareDatetime
    switched_off_at: AwareDatetime | None
    reason: str
    details: dict[str, Any] = Field(default_factory=dict)


# ---- mediation (X1 tasks and what they collected) ------------------------------------------------


class TaskState(StrEnum):
    ACTIVE = "active"
    """Held by the mediation function (provisioningStatus complete, awaitingProvisioning or failed)."""
    DEACTIVATED = "deactivated"
    """Switched off and still reported (a far end speaking TS 103 221-1 forgets it instead: absent)."""
    ABSENT = "absent"
    """The mediation function holds no task with this XID (X1 error 2020)."""


class ActivateTaskInput(BaseModel):
    request_id: str
    """The request whose order authorises the task; sent as the task's LIID."""
    xid: str
    """The task's XID (UUIDv4 drawn once per case; runs before the x1-ids-per-case patch derive it
    from the request id, domain/collection.py task_xid)."""
    did: str | None = None
    """The DID of the case's destination, created before the task names it; None: the legacy one."""
    targets: list[str] = Field(min_length=1)
    """E.164 numbers (`+` and up to 15 digits) to intercept."""
    categories: list[RecordCategory] = Field(min_length=1)
    """The permitted prospective categories: intercept_content makes the task X2andX3, else X2Only."""
    start: AwareDatetime
    """When the order's collection may begin."""
    end: AwareDatetime
    """The order's end: sent as the task's endTime (LES still deactivates explicitly at that instant)."""
    at: AwareDatetime | None = None
    """The workflow's clock when it activates, stamped as the X1 messageTimestamp; None: the worker's clock."""

    @field_validator("categories")
    @classmethod
    def _prospective_only(cls, categories: list[RecordCategory]) -> list[RecordCategory]:
        stored = [str(c) for c in categories if c not in PROSPECTIVE_CATEGORIES]
        if stored:
            raise ValueError(f"{', '.join(stored)} are stored records, not collected by a mediation task")
        return categories

    @model_validator(mode="after")
    def _start_before_end(self) -> ActivateTaskInput:
        if not self.start < self.end:
            raise ValueError("start must be before end")
        return self


class TaskActivation(BaseModel):
    xid: str
    delivery_type: DeliveryType
    already_active: bool
    """True when this exact task was already provisioned (a retried activation): nothing changed."""


class DeactivateTaskInput(BaseModel):
    request_id: str
    xid: str
    at: AwareDatetime | None = None
    """The workflow's clock at the switch-off, stamped as the X1 messageTimestamp; None: the worker's clock."""


class TaskDeactivation(BaseModel):
    xid: str
    was_active: bool
    """False when there was nothing to switch off (absent, or already deactivated): still a success."""


class GetTaskInput(BaseModel):
    xid: str


class MediationTask(BaseModel):
    """A task as the mediation function holds it."""

    xid: str
    state: TaskState
    liid: str | None = None
    """The task's LIID (domain/collection.py liid_for of its request id); None when absent or the
    far end holds the task without mediation details."""
    provisioning_status: str | None = None
    """taskStatus/provisioningStatus as the far end reports it: complete, awaitingProvisioning, failed."""
    faults: list[str] = Field(default_factory=list)
    """taskStatus/listOfFaults, `<code> <description>` each."""
    targets: list[str] = Field(default_factory=list)
    delivery_type: DeliveryType | None = None
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None


class ListActiveTasksInput(BaseModel):
    """No fields yet: every provisioned task is listed."""


class ActiveTasks(BaseModel):
    tasks: list[MediationTask]
    """Every task the mediation function is collecting for now, for the hourly reconciliation."""


class CollectEventsInput(ProductionRef):
    """One delivery period of a collection, written as production `production_no`."""

    category: RecordCategory
    """pen_trap (X2 events) or intercept_content (X3 content records)."""
    xid: str
    window_start: AwareDatetime
    """The delivery period's first instant (included)."""
    window_end: AwareDatetime
    """The delivery period's end (excluded), so consecutive periods neither overlap nor leave a gap."""

    @field_validator("category")
    @classmethod
    def _collected_category(cls, category: RecordCategory) -> RecordCategory:
        if category not in PROSPECTIVE_CATEGORIES:
            raise ValueError(f"{category} is a stored record, not collected by a mediation task")
        return category

    @model_validator(mode="after")
    def _window(self) -> CollectEventsInput:
        if not self.window_start < self.window_end:
            raise ValueError("window_start must be before window_end")
        return self
