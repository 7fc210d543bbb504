"""What a surveillance case's desk does with its collection (whose state, the mediation task's ids
and the periods delivered, is the run's: `RunState.collection`): the decisions that move the
order's end (an extension, Title III's first interception, the court order after an emergency
authorisation) and what status and the case's page show of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.case import CaseActivities
    from activities.mediation import MediationActivities
    from domain.case_machine import Decision, Facts
    from domain.clocks import BRITISH_SPELLING, is_emergency_authorisation
    from domain.collection import task_xid
    from domain.contracts import ActivateTaskInput, LinkInput, OrderLookup, RosterEntry
    from domain.surveillance import INTERCEPT_CATEGORIES, CollectionState, court_order_end
    from domain.vocabulary import DecisionName
    from workflows.activity_options import DECISION, QUICK
    from workflows.case_desk import DeskPart
    from workflows.run_state import CollectionRun
    from workflows.versions import EMERGENCY_AUTHORISATION_SPELLING, X1_IDS_PER_CASE

if TYPE_CHECKING:
    from workflows.case_desk import CaseDesk


class Collection(DeskPart):
    """One case's collection at the mediation system, as its desk sees it."""

    def __init__(self, desk: CaseDesk) -> None:
        self._desk = desk

    @property
    def run(self) -> CollectionRun:
        """The collection's part of the run's state (workflows/run_state.py)."""
        return self._desk.run.collection

    @property
    def xid(self) -> str:
        return self.run.xid or task_xid(self._desk.request_id)

    @property
    def did(self) -> str | None:
        return self.run.did

    def draw_task_ids(self) -> None:
        """The XID and DID of this case's task, once: UUIDv4 from the workflow's seeded random
        source (replays draw the same) where X1_IDS_PER_CASE is patched in, else the derived XID."""
        if self.run.xid is None:
            if self._desk.versions.has(X1_IDS_PER_CASE):
                self.run.xid, self.run.did = str(workflow.uuid4()), str(workflow.uuid4())
            else:
                self.run.xid = task_xid(self._desk.request_id)

    def categories(self) -> list[Any]:
        """The prospective categories the order permits."""
        assert self._desk.run.check is not None
        return [c for c in self._desk.run.check.permitted if c in INTERCEPT_CATEGORIES]

    def targets(self) -> list[str]:
        return [str(t.get("value")) for t in self._desk.document.get("targets") or []
                if t.get("kind") == "phone_number"]

    def emergency(self) -> bool:
        """An emergency authorisation (18 U.S.C. 3125(a), 2518(7)): a court order must follow in 48 hours."""
        process = self._desk.document.get("legal_process") or {}
        instrument = process.get("instrument")
        if instrument == BRITISH_SPELLING and not self._desk.versions.has(EMERGENCY_AUTHORISATION_SPELLING):
            return False  # a run from before the patch read only SPEC's spelling
        return is_emergency_authorisation(self._desk.plan.request_type, instrument)

    async def end_moved(self) -> None:
        """The order's end moved while collecting: the mediation task's end follows."""
        desk, run = self._desk, self.run
        if run.state is CollectionState.ACTIVE and desk.case.order_end is not None and run.deactivated_at is None:
            await workflow.execute_activity_method(
                MediationActivities.modify_task_end,
                ActivateTaskInput(request_id=desk.request_id, xid=self.xid, did=self.did, targets=self.targets(),
                                  categories=self.categories(), start=self.run.activated_at or workflow.now(),
                                  end=desk.case.order_end, at=workflow.now()),
                summary="move the mediation task's end", **QUICK,
            )

    # ---- the decisions that move the end ---------------------------------------------------------

    async def look_up(self, decision: Decision, roster: RosterEntry) -> Facts | None:
        if decision.name is not DecisionName.RECORD_EXTENSION:
            return None
        named = str(decision.fields.get("extension_request_id") or "").strip()
        order = await workflow.execute_activity_method(CaseActivities.look_up_order,
                                                       OrderLookup(request_id=named), **DECISION)
        return Facts(extension=order)

    async def after_decision(self, decision: Decision) -> None:
        """An extension (or Title III's first interception) moved the end: tell the mediation task."""
        if decision.name in (DecisionName.RECORD_EXTENSION, DecisionName.RECORD_INTERCEPTION_STARTED):
            await self.end_moved()

    # ---- what status and the page show -------------------------------------------------------------

    def status_details(self) -> dict[str, Any]:
        case = self._desk.case
        return {"collection": self.collection_status(), "extensions": list(case.extensions),
                "interception_started_at": case.interception_started_at}

    def collection_status(self) -> dict[str, Any] | None:
        return {"state": str(self.run.state), "activated_at": self.run.activated_at,
                "deactivated_at": self.run.deactivated_at, "certification_id": self.run.certification_id,
                "xid": self.xid if self.run.activated_at else None}

    def extra_deadlines(self) -> dict[str, Any]:
        end = self._desk.case.order_end
        return {"expires_at": end} if end else {}

    def details_facts(self) -> list[str]:
        """The case page's collection line: its state, since when, and the instant it goes off."""
        case = self._desk.case
        end = f"{case.order_end:%Y-%m-%d %H:%M:%S} UTC" if case.order_end else "not yet known"
        if self.run.state is CollectionState.ACTIVE and self.run.activated_at is not None:
            return [f"**Collection:** active since {self.run.activated_at:%Y-%m-%d %H:%M} UTC; "
                    f"off at the order's end, {end}"]
        if self.run.state is CollectionState.OFF and self.run.deactivated_at is not None:
            return [f"**Collection:** off since {self.run.deactivated_at:%Y-%m-%d %H:%M:%S} UTC"]
        if self.run.state is CollectionState.DEPROVISION_PENDING:
            return ["**Collection:** switch-off pending: the mediation system has not confirmed it yet"]
        if not case.closed:
            return [f"**Collection:** not on yet; the order ends {end}"]
        return []


class CourtOrderFollowUp:
    """The `follow_up_received` signal of a surveillance order: the court order that an emergency
    authorisation awaited arrived; checked against the case store, it moves the order's end."""

    DESCRIPTION = ("Sent by the system when the court order following this emergency "
                   "authorisation is submitted; checked against the case store. Not for people.")

    def __init__(self, desk: CaseDesk, collection: Collection) -> None:
        self._desk, self._collection = desk, collection

    async def received(self, link: Any = None) -> None:
        desk, collection = self._desk, self._collection
        other = str(link.get("request_id")) if isinstance(link, dict) else ""
        async with desk.lock:
            answer = await workflow.execute_activity_method(
                CaseActivities.confirm_link,
                LinkInput(request_id=desk.request_id, linked_request_id=other, field="follow_up_of"), **QUICK)
            order = await workflow.execute_activity_method(
                CaseActivities.look_up_order, OrderLookup(request_id=other), **QUICK)
            reason = answer.reason
            request_type = desk.plan.request_type
            if answer.linked and not collection.emergency():
                reason = "this order is itself a court order; nothing follows it up"
            elif answer.linked and (order.request_type != str(request_type) or order.issued_at is None
                                    or order.verdict in (None, "reject")):
                reason = f"{other} is not a verified {request_type} court order"
            elif answer.linked:
                end = court_order_end(request_type, order.issued_at, order.duration_days,
                                      desk.case.interception_started_at or collection.run.activated_at)
                if desk.case.court_order_followed(other, end):
                    await desk.store.record("court_order_received", note=other,
                                            details={"order_end": end.isoformat()})
                    await collection.end_moved()
                    desk.visibility.publish()
                    return
                reason = "a court order already followed, or the case is closed"
            await desk.store.file(desk.case.record("court_order_received", workflow.now(), accepted=False,
                                                   reason=reason, note=other))
