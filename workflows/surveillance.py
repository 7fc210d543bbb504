"""The surveillance shape: verify → approve → switch on → produce every period → switch off at the
legal instant → bill → close (SPEC §3; LEGAL.md Clocks, 47 CFR 1.20004).

One rule above all: collection is never on past the order's end. The end is a durable timer to
the second; an extension moves it (and the mediation task's own end); a withdrawal (the order
vacated) switches off at once. A switch-off that fails retries without end and escalates, and
`status` shows `deprovision_pending` until it succeeds. A wiretap that runs for months carries
its case across continue-as-new, every clock and open decision with it."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from math import ceil
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.case import CaseActivities
    from activities.certification import CertificationActivities
    from activities.mediation import MediationActivities
    from domain.case import CaseOutcome, CaseState, RequestSubmission, Resolution
    from domain.case_machine import Case, Decision, Facts
    from domain.clocks import BRITISH_SPELLING, is_emergency_authorisation
    from domain.collection import task_xid
    from domain.contracts import (
        ActivateTaskInput,
        CertifyInput,
        CollectEventsInput,
        DeactivateTaskInput,
        Delivery,
        EndCertificationInput,
        LinkInput,
        OrderLookup,
        RosterEntry,
    )
    from domain.plans import Shape
    from domain.surveillance import DELIVERY_PERIOD, INTERCEPT_CATEGORIES, CollectionState, court_order_end
    from domain.verification import CheckResult
    from domain.vocabulary import STORED_CATEGORIES, DecisionName, Role
    from workflows.activity_options import DECISION, QUICK
    from workflows.production import ProducesRecords

SWITCH_OFF_ATTEMPTS = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10),
                                  maximum_attempts=3)
"""One round of switch-off attempts; the workflow repeats rounds without end, escalating after the first."""
SWITCH_OFF_PAUSE = timedelta(seconds=30)
X1_IDS_PER_CASE = "x1-ids-per-case"
"""Patch: a run so patched draws its mediation task's XID and its destination's DID as UUIDv4
(TS 103 221-1 clause 5.1) once, at the switch-on, with `workflow.uuid4()` (recorded, so replay
draws the same), and carries both across continue-as-new; the activation creates the destination
first. Runs without it keep the UUIDv5 XID derived from the request id (`task_xid`) and the one
legacy DID. Retire it once no open surveillance run started before it (the longest order, a
FISA term, is a year) and the histories in tests/histories/ without it are re-recorded."""
SWITCH_OFF_LEAD = timedelta(seconds=1)
"""A timer fires once the workflow task that set it completes, a little after the moment asked for:
switching off this much before the end keeps collection within the order, to the second."""
EMERGENCY_AUTHORISATION_SPELLING = "emergency-authorisation-spelling"
"""Patch: a run so patched takes `emergency_authorisation` (LEGAL.md's spelling) for the emergency
authorisation `emergency_authorization` is (verification does since the third edition), so its
collection is switched off when no court order follows in 48 hours. Asked only for a document
spelled so; may go once no running surveillance case was started before it."""


class CollectionCarry(BaseModel):
    """What crosses continue-as-new besides the request: the case and the collection's own state."""

    case: Case
    check: CheckResult
    collection: CollectionState
    activated_at: datetime | None
    certification_id: str | None
    delivered_until: datetime | None
    """The end of the last delivery period produced (the next one starts there)."""
    next_production: int
    productions: list[Any]
    escalated: bool
    xid: str | None = None
    """The task's XID and its destination's DID (runs with X1_IDS_PER_CASE); None in a carry made
    before them: the XID derived from the request id, the legacy DID."""
    did: str | None = None
    deactivated_at: datetime | None = None
    """Set once collection was switched off: the case remembers it and never switches on again."""


class SurveillanceShape(ProducesRecords):
    """verify → approve → switch on → productions P01, P02, ... → switch off at the end → bill → close."""

    _collection: CollectionState = CollectionState.PROVISIONING
    _activated_at: datetime | None = None
    _deactivated_at: datetime | None = None
    _certification_id: str | None = None
    _delivered_until: datetime | None = None
    _next_production: int = 1
    _escalated: bool = False
    _task_ids: tuple[str, str | None] | None = None
    """(XID, DID) of this case's mediation task, drawn once (X1_IDS_PER_CASE) or derived (older runs)."""

    async def _story(self, submission: RequestSubmission) -> CaseOutcome:
        if submission.carried is not None:
            self._restore(CollectionCarry.model_validate(submission.carried))
        else:
            outcome = await self._verify_and_approve(submission)
            if outcome is not None:
                return outcome
            if self._case.closed:
                return await self._finish(await self._close_as_decided())
            await self._switch_on()
        if await self._collect_until_the_end(submission):
            return await self._continue_as_new(submission)
        await self._switch_off()
        await self._produce_period(final=True)
        await self._close_certification()
        await self._bill([], assistance_days=self._days_on())
        if self._emergency() and not self._case.follow_ups and not self._case.closed:
            await self._escalate_missing_order()
        resolution = Resolution.EXPIRED if not self._case.closed else self._case.resolution
        assert resolution is not None
        return await self._finish(await self._close(resolution, self._closing_note()))

    # ---- before collection ----------------------------------------------------------------------------

    async def _verify_and_approve(self, submission: RequestSubmission) -> CaseOutcome | None:
        await self._open_case(submission)
        check = await self._verify_legal_process()
        rejection = self._rejection(check)
        if rejection is None and not self._collected_categories():
            rejection = "the order permits no prospective category to collect"
        if rejection is not None:
            self._case.verified(rejection=rejection)
            return await self._close(Resolution.REJECTED_ON_VERIFICATION, rejection)
        process = (self._document.get("legal_process") or {})
        if self._document.get("follow_up_of"):
            # The court order an emergency authorisation awaited: the running collection goes on under it.
            self._case.verified(rejection=None)
            await self._link_to_named_cases("follow_up_of")
            self._case.close(Resolution.FILED_AS_FOLLOW_UP,
                             f"the court order following {self._document['follow_up_of']}'s emergency authorisation")
            return await self._close_as_decided()
        if process.get("extension_of"):
            self._case.verified(rejection=None)
            self._case.close(Resolution.FILED_AS_EXTENSION,
                             f"verified; takes effect when record_extension names it on {process['extension_of']}")
            return await self._close_as_decided()
        assert check.request is not None and check.request.legal_process is not None
        self._case.collects = self.plan.shape is not Shape.SURVEILLANCE  # a FISA order collecting
        order = check.request.legal_process
        issued = order.issued_at or check.request.received_at
        self._case.surveillance_order(issued, check.deadlines["expires_at"], order.duration_days)
        self._case.verified(rejection=None)
        self._publish_state()
        await self._wait_for(CaseState.PROVISIONING)
        return None

    def _collected_categories(self) -> list[Any]:
        assert self._check is not None
        return [c for c in self._check.permitted if c in INTERCEPT_CATEGORIES]

    def _targets(self) -> list[str]:
        return [str(t.get("value")) for t in self._document.get("targets") or [] if t.get("kind") == "phone_number"]

    @property
    def _xid(self) -> str:
        return self._task_ids[0] if self._task_ids is not None else task_xid(self._request_id)

    @property
    def _did(self) -> str | None:
        return self._task_ids[1] if self._task_ids is not None else None

    def _draw_task_ids(self) -> None:
        """The XID and DID of this case's task, once: UUIDv4 from the workflow's seeded random
        source (replays draw the same) where X1_IDS_PER_CASE is patched in, else the derived XID."""
        if self._task_ids is None:
            if workflow.patched(X1_IDS_PER_CASE):
                self._task_ids = (str(workflow.uuid4()), str(workflow.uuid4()))
            else:
                self._task_ids = (task_xid(self._request_id), None)

    async def _switch_on(self) -> None:
        """Write the 47 CFR 1.20004 record, then provision and activate at the mediation system (in
        that order, so the hourly reconciliation never finds an active task without its record)."""
        case = self._case
        assert case.order_end is not None and case.order_issued_at is not None
        if self._deactivated_at is not None:  # never again: a far end may have forgotten the XID
            return
        self._draw_task_ids()
        self._collection = CollectionState.PROVISIONING
        switch_on_at = workflow.now()
        process = self._document.get("legal_process") or {}
        requester = self._document.get("requester") or {}
        certification = await workflow.execute_activity_method(
            CertificationActivities.certify_interception,
            CertifyInput(
                request_id=self._request_id, xid=self._xid, identities=self._targets(),
                interception_type=("intercept_content" if "intercept_content" in self._collected_categories()
                                   else "pen_trap"),
                started_at=switch_on_at, authorised_until=case.order_end,
                presenting_officer=str(requester.get("name") or requester.get("agency") or "unknown"),
                authorising_official=str(process.get("signed_by") or process.get("issued_by") or "unknown"),
                legal_reference=str(process.get("reference") or ""),
                responsible_employee=case.approvals.get("analyst", "unknown"),
            ),
            **QUICK,
        )
        self._certification_id = certification.certification_id
        await workflow.execute_activity_method(
            MediationActivities.activate_task,
            ActivateTaskInput(request_id=self._request_id, xid=self._xid, did=self._did, targets=self._targets(),
                              categories=self._collected_categories(),
                              start=max(switch_on_at, case.order_issued_at), end=case.order_end, at=switch_on_at),
            summary="switch collection on at the mediation system", **QUICK,
        )
        self._activated_at = self._delivered_until = switch_on_at
        self._collection = CollectionState.ACTIVE
        self._advance(CaseState.COLLECTING)
        await self._produce_stored_records()
        await self._record_system_event(
            "collection_on", note=f"until {case.order_end.isoformat()}",
            details={"xid": self._xid, "certification_id": self._certification_id},
        )

    async def _produce_stored_records(self) -> None:
        """A FISA order may name stored records besides collection: they are the first production."""
        assert self._check is not None
        stored = [c for c in self._check.permitted if c in STORED_CATEGORIES]
        if not stored:
            return
        number = self._next_production
        files = await self._retrieve(number, stored, self._document)
        await self._package_and_deliver(number, files, advance=False)
        self._next_production = number + 1

    # ---- while collecting --------------------------------------------------------------------------------

    async def _collect_until_the_end(self, submission: RequestSubmission) -> bool:
        """Deliver each period until the order's end or a withdrawal; True to continue as new."""
        while not self._case.closed:
            end = self._case.order_end
            assert end is not None and self._delivered_until is not None
            switch_off_at = end - SWITCH_OFF_LEAD
            cut = min(self._delivered_until + DELIVERY_PERIOD, switch_off_at)
            remaining = cut - workflow.now()
            if remaining > timedelta(0):
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda end=end: self._case.closed or self._case.order_end != end,
                        timeout=remaining,
                        timeout_summary="order ends" if cut == switch_off_at else "delivery period ends",
                    )
            if self._case.closed:
                return False
            if self._case.order_end != end:
                continue  # extended (or Title III's clock moved): the mediation task's end was updated
            if workflow.now() >= switch_off_at:
                return False
            await self._produce_period(final=False, until=cut)
            if self._should_continue_as_new(submission):
                return True
        return False

    async def _produce_period(self, *, final: bool, until: datetime | None = None) -> None:
        """One production of what was collected in [the last one's end, `until`): `<request_id>-Pnn`;
        the final one runs to the switch-off."""
        assert self._delivered_until is not None
        start = self._delivered_until
        if final:
            assert self._deactivated_at is not None
            until = max(self._deactivated_at, start + timedelta(seconds=1))
        assert until is not None
        number = self._next_production
        files = [
            await workflow.execute_activity_method(
                MediationActivities.collect_events,
                CollectEventsInput(request_id=self._request_id, production_no=number, category=category, xid=self._xid,
                                   window_start=start, window_end=until),
                summary=f"collect {category} for the delivery period", **self._bulk(),
            )
            for category in self._collected_categories()
        ]
        await self._package_and_deliver(number, files, advance=False)
        self._delivered_until, self._next_production = until, number + 1

    async def _look_up(self, decision: Decision, roster: RosterEntry) -> Facts:
        if decision.name is not DecisionName.RECORD_EXTENSION:
            return Facts()
        named = str(decision.fields.get("extension_request_id") or "").strip()
        order = await workflow.execute_activity_method(CaseActivities.look_up_order,
                                                       OrderLookup(request_id=named), **DECISION)
        return Facts(extension=order)

    async def _after_decision(self, decision: Decision) -> None:
        """An extension (or Title III's first interception) moved the end: tell the mediation task."""
        if decision.name in (DecisionName.RECORD_EXTENSION, DecisionName.RECORD_INTERCEPTION_STARTED):
            await self._after_decision_end_moved()

    # ---- switching off ------------------------------------------------------------------------------------

    async def _switch_off(self) -> None:
        """Deactivate now; retry without end, escalating once, until the mediation system confirms."""
        self._collection = CollectionState.DEPROVISION_PENDING
        failures = 0
        while True:
            attempt_at = workflow.now()
            try:
                await workflow.execute_activity_method(
                    MediationActivities.deactivate_task,
                    DeactivateTaskInput(request_id=self._request_id, xid=self._xid, at=attempt_at),
                    summary="switch collection off", start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=SWITCH_OFF_ATTEMPTS,
                )
                break
            except ActivityError as err:
                failures += 1
                if not self._escalated:
                    self._escalated = True
                    await self._notify("deprovision_failing", Role.SUPERVISOR,
                                       f"collection for {self._request_id} could not be switched off: {err.cause}")
                    await self._record_system_event("deprovision_escalated", note=str(err.cause))
                await workflow.sleep(SWITCH_OFF_PAUSE)
        self._deactivated_at = attempt_at  # the instant of the switch-off the mediation system confirmed
        self._collection = CollectionState.OFF
        await self._record_system_event("collection_off", note=self._deactivated_at.isoformat(),
                                        details={"xid": self._xid, "failed_attempt_rounds": failures})

    async def _close_certification(self) -> None:
        assert self._deactivated_at is not None
        await workflow.execute_activity_method(
            CertificationActivities.end_certification,
            EndCertificationInput(request_id=self._request_id, ended_at=self._deactivated_at), **QUICK,
        )

    def _days_on(self) -> int:
        """Days (or part days) collection was on: what 3124(c) / 2518(4) expenses are counted in."""
        assert self._activated_at is not None and self._deactivated_at is not None
        return max(1, ceil((self._deactivated_at - self._activated_at) / timedelta(days=1)))

    def _closing_note(self) -> str:
        if self._case.closed:
            return self._case.closing_note
        return f"switched off at the order's end {self._case.order_end.isoformat() if self._case.order_end else ''}"

    # ---- emergency authorisations (18 U.S.C. 3125(a), 2518(7)) -------------------------------------------

    def _emergency(self) -> bool:
        process = self._document.get("legal_process") or {}
        instrument = process.get("instrument")
        if instrument == BRITISH_SPELLING and not workflow.patched(EMERGENCY_AUTHORISATION_SPELLING):
            return False  # a run from before the patch read only SPEC's spelling
        return is_emergency_authorisation(self.plan.request_type, instrument)

    async def _escalate_missing_order(self) -> None:
        """No court order followed within 48 hours: collection is off; legal is told, the case closes."""
        note = "no court order followed the emergency authorisation within 48 hours; collection switched off"
        await self._notify("court_order_missing", Role.LEGAL, f"{self._request_id}: {note}")
        await self._record_system_event("court_order_missing", note=note)
        self._case.close(Resolution.FOLLOW_UP_MISSING, note)

    @workflow.signal(name="follow_up_received",
                     description="Sent by the system when the court order following this emergency "
                                 "authorisation is submitted; checked against the case store. Not for people.")
    async def follow_up_received(self, link: Any = None) -> None:
        other = str(link.get("request_id")) if isinstance(link, dict) else ""
        async with self._desk:
            answer = await workflow.execute_activity_method(
                CaseActivities.confirm_link,
                LinkInput(request_id=self._request_id, linked_request_id=other, field="follow_up_of"), **QUICK)
            order = await workflow.execute_activity_method(
                CaseActivities.look_up_order, OrderLookup(request_id=other), **QUICK)
            reason = answer.reason
            if answer.linked and not self._emergency():
                reason = "this order is itself a court order; nothing follows it up"
            elif answer.linked and (order.request_type != str(self.plan.request_type) or order.issued_at is None
                                    or order.verdict in (None, "reject")):
                reason = f"{other} is not a verified {self.plan.request_type} court order"
            elif answer.linked:
                end = court_order_end(self.plan.request_type, order.issued_at, order.duration_days,
                                      self._case.interception_started_at or self._activated_at)
                if self._case.court_order_followed(other, end):
                    await self._record_system_event("court_order_received", note=other,
                                                    details={"order_end": end.isoformat()})
                    await self._after_decision_end_moved()
                    self._publish_state()
                    return
                reason = "a court order already followed, or the case is closed"
            await self._file(self._case.record("court_order_received", workflow.now(), accepted=False,
                                               reason=reason, note=other))

    async def _after_decision_end_moved(self) -> None:
        if (self._collection is CollectionState.ACTIVE and self._case.order_end is not None
                and self._deactivated_at is None):
            await workflow.execute_activity_method(
                MediationActivities.modify_task_end,
                ActivateTaskInput(request_id=self._request_id, xid=self._xid, did=self._did, targets=self._targets(),
                                  categories=self._collected_categories(),
                                  start=self._activated_at or workflow.now(), end=self._case.order_end,
                                  at=workflow.now()),
                summary="move the mediation task's end", **QUICK,
            )

    # ---- continue-as-new -------------------------------------------------------------------------------------

    def _should_continue_as_new(self, submission: RequestSubmission) -> bool:
        limit = submission.continue_as_new_after_productions
        produced_this_run = self._next_production - (submission.carried or {}).get("next_production", 1)
        return workflow.info().is_continue_as_new_suggested() or (limit is not None and produced_this_run >= limit)

    async def _continue_as_new(self, submission: RequestSubmission) -> CaseOutcome:
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._flush_attributes()  # nothing staged is left behind with this run
        assert self._check is not None
        carry = CollectionCarry(
            case=self._case, check=self._check, collection=self._collection, activated_at=self._activated_at,
            certification_id=self._certification_id, delivered_until=self._delivered_until,
            next_production=self._next_production, productions=[p.model_dump(mode="json") for p in self._productions],
            escalated=self._escalated, xid=self._xid, did=self._did, deactivated_at=self._deactivated_at,
        )
        workflow.continue_as_new(submission.model_copy(update={"carried": carry.model_dump(mode="json")}))

    def _restore(self, carry: CollectionCarry) -> None:
        self._case, self._check = carry.case, carry.check
        self._collection, self._activated_at = carry.collection, carry.activated_at
        self._certification_id, self._delivered_until = carry.certification_id, carry.delivered_until
        self._next_production, self._escalated = carry.next_production, carry.escalated
        self._task_ids = (carry.xid or task_xid(self._request_id), carry.did)
        self._deactivated_at = carry.deactivated_at
        self._productions = [Delivery.model_validate(p) for p in carry.productions]
        self._published = None
        self._publish_state()

    # ---- what status shows ---------------------------------------------------------------------------------------

    def _status_details(self) -> dict[str, Any]:
        if self._case.shape is not Shape.SURVEILLANCE:
            return super()._status_details()
        return {"collection": self._collection_status(), "extensions": list(self._case.extensions),
                "interception_started_at": self._case.interception_started_at}

    def _collection_status(self) -> dict[str, Any] | None:
        if self._case.shape is not Shape.SURVEILLANCE:
            return None
        return {"state": str(self._collection), "activated_at": self._activated_at,
                "deactivated_at": self._deactivated_at, "certification_id": self._certification_id,
                "xid": self._xid if self._activated_at else None}

    def _extra_deadlines(self) -> dict[str, Any]:
        if self._case.shape is not Shape.SURVEILLANCE:
            return super()._extra_deadlines()
        return {"expires_at": self._case.order_end} if self._case.order_end else {}

    def _details_facts(self) -> list[str]:
        """The case page's collection line: its state, since when, and the instant it goes off."""
        facts = super()._details_facts()
        end = f"{self._case.order_end:%Y-%m-%d %H:%M:%S} UTC" if self._case.order_end else "not yet known"
        if self._collection is CollectionState.ACTIVE and self._activated_at is not None:
            facts.append(f"**Collection:** active since {self._activated_at:%Y-%m-%d %H:%M} UTC; "
                         f"off at the order's end, {end}")
        elif self._collection is CollectionState.OFF and self._deactivated_at is not None:
            facts.append(f"**Collection:** off since {self._deactivated_at:%Y-%m-%d %H:%M:%S} UTC")
        elif self._collection is CollectionState.DEPROVISION_PENDING:
            facts.append("**Collection:** switch-off pending: the mediation system has not confirmed it yet")
        elif not self._case.closed:
            facts.append(f"**Collection:** not on yet; the order ends {end}")
        return facts
