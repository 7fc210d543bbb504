"""RunState: everything one request's run holds, in one model — the `Case`, what verification
found, what was produced and billed, the clocks' flags, a surveillance case's collection, a
preservation's hold, a customer lookup's authentication and quote. The desk and the stories read
and write it (`desk.run`); continue-as-new carries it whole (`RunState.carried`, `carry`).

A run that continued as new before this model carried a `CollectionCarry` (its fields flat, the
collection's state a string); `carried` still loads it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case_machine import Case
    from domain.collection import task_xid
    from domain.contracts import CustomerAuthentication, Delivery, FeeQuote, HoldSummary, InvoiceSummary
    from domain.surveillance import CollectionState
    from domain.verification import CheckResult


class CollectionRun(BaseModel):
    """A surveillance case's collection at the mediation system."""

    state: CollectionState = CollectionState.PROVISIONING
    activated_at: datetime | None = None
    deactivated_at: datetime | None = None
    """Set once collection was switched off: the case remembers it and never switches on again."""
    certification_id: str | None = None
    delivered_until: datetime | None = None
    """The end of the last delivery period produced (the next one starts there)."""
    next_production: int = 1
    escalated: bool = False
    """A failing switch-off was escalated to a supervisor (once)."""
    xid: str | None = None
    """The mediation task's XID once drawn (UUIDv4 with X1_IDS_PER_CASE, else derived); None: not yet."""
    did: str | None = None
    """Its destination's DID (runs with X1_IDS_PER_CASE); None: the legacy destination."""


class RunState(BaseModel):
    """One run's state: what the desk, the stories and the status query read, and what continues as new."""

    case: Case
    check: CheckResult | None = None
    productions: list[Delivery] = Field(default_factory=list)
    invoice: InvoiceSummary | None = None
    reminded: bool = False
    overdue: bool = False
    filed_closed: bool = False
    """True once the close is filed in the case store: the case's clocks stop then."""
    collection: CollectionRun = Field(default_factory=CollectionRun)
    hold: HoldSummary | None = None
    authentication: CustomerAuthentication | None = None
    quote: FeeQuote | None = None

    def carry(self) -> dict[str, Any]:
        """What continue-as-new carries in `RequestSubmission.carried`."""
        return self.model_dump(mode="json")

    @classmethod
    def carried(cls, data: dict[str, Any]) -> RunState:
        """The state a continued run starts from: this model's carry, or a `CollectionCarry` as runs
        before it wrote one (the case, the check, the collection's state as a string and its other
        fields flat beside it; no xid before X1_IDS_PER_CASE: the one derived from the request id)."""
        if isinstance(data.get("collection"), dict):
            return cls.model_validate(data)
        case = Case.model_validate(data["case"])
        collection = CollectionRun(
            state=data["collection"], activated_at=data.get("activated_at"),
            deactivated_at=data.get("deactivated_at"), certification_id=data.get("certification_id"),
            delivered_until=data.get("delivered_until"), next_production=data.get("next_production", 1),
            escalated=data.get("escalated", False), xid=data.get("xid") or task_xid(case.request_id),
            did=data.get("did"),
        )
        return cls(case=case, check=CheckResult.model_validate(data["check"]),
                   productions=[Delivery.model_validate(p) for p in data.get("productions") or []],
                   collection=collection)
