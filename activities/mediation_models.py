"""The typed inputs and results of the mediation activities (activities/mediation.py).

Identifiers, instants and counts only: what a task collected never passes through workflow
history, it is streamed from the mediation function into a production's staging folder."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from domain.collection import DeliveryType
from domain.identifiers import FIRST_PRODUCTION
from domain.vocabulary import PROSPECTIVE_CATEGORIES, RecordCategory


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


class CollectEventsInput(BaseModel):
    request_id: str
    production_id: str
    """Must be the one built from request_id and production_no (les/paths.py); otherwise refused."""
    production_no: int = FIRST_PRODUCTION
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
