"""The surveillance story: verify → approve → switch on → produce every period → switch off at the
legal instant → bill → close (SPEC §3; LEGAL.md Clocks, 47 CFR 1.20004).

One rule above all: collection is never on past the order's end. The end is a durable timer to
the second; an extension moves it (and the mediation task's own end); a withdrawal (the order
vacated) switches off at once. A switch-off that fails retries without end and escalates, and
`status` shows `deprovision_pending` until it succeeds. A wiretap that runs for months carries
its case across continue-as-new, every clock and open decision with it. What the desk knows of
the collection is workflows/collecting.py's."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from math import ceil

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.certification import CertificationActivities
    from activities.mediation import MediationActivities
    from domain.case import CaseOutcome, CaseState, RequestSubmission, Resolution
    from domain.contracts import (
        ActivateTaskInput,
        CertifyInput,
        CollectEventsInput,
        DeactivateTaskInput,
        EndCertificationInput,
    )
    from domain.plans import Shape
    from domain.surveillance import DELIVERY_PERIOD, CollectionState
    from domain.vocabulary import STORED_CATEGORIES, Role
    from workflows.activity_options import QUICK
    from workflows.case_desk import CaseDesk
    from workflows.collecting import Collection
    from workflows.production import Production
    from workflows.run_state import RunState

__all__ = ["SurveillanceStory"]

SWITCH_OFF_ATTEMPTS = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10),
                                  maximum_attempts=3)
"""One round of switch-off attempts; the workflow repeats rounds without end, escalating after the first."""
SWITCH_OFF_PAUSE = timedelta(seconds=30)
SWITCH_OFF_LEAD = timedelta(seconds=1)
"""A timer fires once the workflow task that set it completes, a little after the moment asked for:
switching off this much before the end keeps collection within the order, to the second."""


class SurveillanceStory:
    """verify → approve → switch on → productions P01, P02, ... → switch off at the end → bill → close."""

    def __init__(self, desk: CaseDesk) -> None:
        self.desk = desk
        self.collection = Collection(desk)
        self.production = Production(desk)
        self._first_production = 1
        """The number of this run's first production (a continued run carries on the numbering)."""
        desk.join(self.collection)

    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        desk, collection = self.desk, self.collection
        if submission.carried is not None:
            desk.resume(RunState.carried(submission.carried))
            self._first_production = desk.run.collection.next_production
        else:
            outcome = await self._verify_and_approve(submission)
            if outcome is not None:
                return outcome
            if desk.case.closed:
                return await desk.finish(await desk.close_as_decided())
            await self._switch_on()
        if await self._collect_until_the_end(submission):
            return await self._continue_as_new(submission)
        await self._switch_off()
        await self._produce_period(final=True)
        await self._close_certification()
        await self.production.bill([], assistance_days=self._days_on())
        if collection.emergency() and not desk.case.follow_ups and not desk.case.closed:
            await self._escalate_missing_order()
        resolution = Resolution.EXPIRED if not desk.case.closed else desk.case.resolution
        assert resolution is not None
        return await desk.finish(await desk.close(resolution, self._closing_note()))

    # ---- before collection ----------------------------------------------------------------------------

    async def _verify_and_approve(self, submission: RequestSubmission) -> CaseOutcome | None:
        desk, case, document = self.desk, self.desk.case, self.desk.document
        await desk.open_case(submission)
        check = await desk.verify_legal_process()
        rejection = desk.rejection(check)
        if rejection is None and not self.collection.categories():
            rejection = "the order permits no prospective category to collect"
        if rejection is not None:
            case.verified(rejection=rejection)
            return await desk.close(Resolution.REJECTED_ON_VERIFICATION, rejection)
        process = (document.get("legal_process") or {})
        if document.get("follow_up_of"):
            # The court order an emergency authorisation awaited: the running collection goes on under it.
            case.verified(rejection=None)
            await desk.link_to_named_cases("follow_up_of")
            await desk.closes(Resolution.FILED_AS_FOLLOW_UP,
                              f"the court order following {document['follow_up_of']}'s emergency authorisation")
            return await desk.close_as_decided()
        if process.get("extension_of"):
            case.verified(rejection=None)
            await desk.closes(Resolution.FILED_AS_EXTENSION,
                              f"verified; takes effect when record_extension names it on {process['extension_of']}")
            return await desk.close_as_decided()
        assert check.request is not None and check.request.legal_process is not None
        case.collects = desk.plan.shape is not Shape.SURVEILLANCE  # a FISA order collecting
        order = check.request.legal_process
        issued = order.issued_at or check.request.received_at
        case.surveillance_order(issued, check.deadlines["expires_at"], order.duration_days)
        case.verified(rejection=None)
        desk.visibility.publish()
        await desk.wait_for(CaseState.PROVISIONING)
        return None

    async def _switch_on(self) -> None:
        """Write the 47 CFR 1.20004 record, then provision and activate at the mediation system (in
        that order, so the hourly reconciliation never finds an active task without its record)."""
        desk, case, collection = self.desk, self.desk.case, self.collection
        assert case.order_end is not None and case.order_issued_at is not None
        if collection.run.deactivated_at is not None:  # never again: a far end may have forgotten the XID
            return
        collection.draw_task_ids()
        collection.run.state = CollectionState.PROVISIONING
        switch_on_at = workflow.now()
        process = desk.document.get("legal_process") or {}
        requester = desk.document.get("requester") or {}
        categories = collection.categories()
        certification = await workflow.execute_activity_method(
            CertificationActivities.certify_interception,
            CertifyInput(
                request_id=desk.request_id, xid=collection.xid, identities=collection.targets(),
                interception_type="intercept_content" if "intercept_content" in categories else "pen_trap",
                started_at=switch_on_at, authorised_until=case.order_end,
                presenting_officer=str(requester.get("name") or requester.get("agency") or "unknown"),
                authorising_official=str(process.get("signed_by") or process.get("issued_by") or "unknown"),
                legal_reference=str(process.get("reference") or ""),
                responsible_employee=case.approvals.get("analyst", "unknown"),
            ),
            **QUICK,
        )
        collection.run.certification_id = certification.certification_id
        await workflow.execute_activity_method(
            MediationActivities.activate_task,
            ActivateTaskInput(request_id=desk.request_id, xid=collection.xid, did=collection.did,
                              targets=collection.targets(), categories=categories,
                              start=max(switch_on_at, case.order_issued_at), end=case.order_end, at=switch_on_at),
            summary="switch collection on at the mediation system", **QUICK,
        )
        collection.run.activated_at = collection.run.delivered_until = switch_on_at
        collection.run.state = CollectionState.ACTIVE
        desk.advance(CaseState.COLLECTING)
        await self._produce_stored_records()
        await desk.store.record(
            "collection_on", note=f"until {case.order_end.isoformat()}",
            details={"xid": collection.xid, "certification_id": collection.run.certification_id},
        )

    async def _produce_stored_records(self) -> None:
        """A FISA order may name stored records besides collection: they are the first production."""
        assert self.desk.run.check is not None
        stored = [c for c in self.desk.run.check.permitted if c in STORED_CATEGORIES]
        if not stored:
            return
        number = self.collection.run.next_production
        files = await self.production.retrieve(number, stored, self.desk.document)
        assert files is not None
        await self.production.package_and_deliver(number, files, advance=False)
        self.collection.run.next_production = number + 1

    # ---- while collecting --------------------------------------------------------------------------------

    async def _collect_until_the_end(self, submission: RequestSubmission) -> bool:
        """Deliver each period until the order's end or a withdrawal; True to continue as new."""
        while not self.desk.case.closed:
            end = self.desk.case.order_end
            assert end is not None and self.collection.run.delivered_until is not None
            switch_off_at = end - SWITCH_OFF_LEAD
            cut = min(self.collection.run.delivered_until + DELIVERY_PERIOD, switch_off_at)
            remaining = cut - workflow.now()
            if remaining > timedelta(0):
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda end=end: self.desk.case.closed or self.desk.case.order_end != end,
                        timeout=remaining,
                        timeout_summary="order ends" if cut == switch_off_at else "delivery period ends",
                    )
            if self.desk.case.closed:
                return False
            if self.desk.case.order_end != end:
                continue  # extended (or Title III's clock moved): the mediation task's end was updated
            if workflow.now() >= switch_off_at:
                await self.desk.decisions_settled()  # an extension being filed moves the end first
                if self.desk.case.order_end != end and not self.desk.case.closed:
                    continue
                return False
            await self._produce_period(final=False, until=cut)
            if self._should_continue_as_new(submission):
                return True
        return False

    async def _produce_period(self, *, final: bool, until: datetime | None = None) -> None:
        """One production of what was collected in [the last one's end, `until`): `<request_id>-Pnn`;
        the final one runs to the switch-off."""
        desk, collection = self.desk, self.collection
        assert collection.run.delivered_until is not None
        start = collection.run.delivered_until
        if final:
            assert collection.run.deactivated_at is not None
            until = max(collection.run.deactivated_at, start + timedelta(seconds=1))
        assert until is not None
        number = collection.run.next_production
        files = [
            await workflow.execute_activity_method(
                MediationActivities.collect_events,
                CollectEventsInput(request_id=desk.request_id, production_no=number, category=category,
                                   xid=collection.xid,
                                   window_start=start, window_end=until),
                summary=f"collect {category} for the delivery period", **self.production.bulk(),
            )
            for category in collection.categories()
        ]
        await self.production.package_and_deliver(number, files, advance=False)
        collection.run.delivered_until, collection.run.next_production = until, number + 1

    # ---- switching off ------------------------------------------------------------------------------------

    async def _switch_off(self) -> None:
        """Deactivate now; retry without end, escalating once, until the mediation system confirms."""
        desk, collection = self.desk, self.collection
        collection.run.state = CollectionState.DEPROVISION_PENDING
        failures = 0
        while True:
            attempt_at = workflow.now()
            try:
                await workflow.execute_activity_method(
                    MediationActivities.deactivate_task,
                    DeactivateTaskInput(request_id=desk.request_id, xid=collection.xid, at=attempt_at),
                    summary="switch collection off", start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=SWITCH_OFF_ATTEMPTS,
                )
                break
            except ActivityError as err:
                failures += 1
                if not collection.run.escalated:
                    collection.run.escalated = True
                    await desk.store.notify("deprovision_failing", Role.SUPERVISOR,
                                            f"collection for {desk.request_id} could not be switched off: {err.cause}")
                    await desk.store.record("deprovision_escalated", note=str(err.cause))
                await workflow.sleep(SWITCH_OFF_PAUSE)
        collection.run.deactivated_at = attempt_at  # the instant of the switch-off the mediation system confirmed
        collection.run.state = CollectionState.OFF
        await desk.store.record("collection_off", note=collection.run.deactivated_at.isoformat(),
                                details={"xid": collection.xid, "failed_attempt_rounds": failures})

    async def _close_certification(self) -> None:
        assert self.collection.run.deactivated_at is not None
        await workflow.execute_activity_method(
            CertificationActivities.end_certification,
            EndCertificationInput(request_id=self.desk.request_id, ended_at=self.collection.run.deactivated_at),
            **QUICK,
        )

    def _days_on(self) -> int:
        """Days (or part days) collection was on: what 3124(c) / 2518(4) expenses are counted in."""
        on, off = self.collection.run.activated_at, self.collection.run.deactivated_at
        assert on is not None and off is not None
        return max(1, ceil((off - on) / timedelta(days=1)))

    def _closing_note(self) -> str:
        case = self.desk.case
        if case.closed:
            return case.closing_note
        return f"switched off at the order's end {case.order_end.isoformat() if case.order_end else ''}"

    async def _escalate_missing_order(self) -> None:
        """No court order followed within 48 hours: collection is off; legal is told, the case closes."""
        desk = self.desk
        note = "no court order followed the emergency authorisation within 48 hours; collection switched off"
        await desk.store.notify("court_order_missing", Role.LEGAL, f"{desk.request_id}: {note}")
        await desk.store.record("court_order_missing", note=note)
        await desk.closes(Resolution.FOLLOW_UP_MISSING, note)

    # ---- continue-as-new -------------------------------------------------------------------------------------

    def _should_continue_as_new(self, submission: RequestSubmission) -> bool:
        limit = submission.continue_as_new_after_productions
        produced_this_run = self.collection.run.next_production - self._first_production
        return workflow.info().is_continue_as_new_suggested() or (limit is not None and produced_this_run >= limit)

    async def _continue_as_new(self, submission: RequestSubmission) -> CaseOutcome:
        await workflow.wait_condition(workflow.all_handlers_finished)
        self.desk.visibility.flush()  # nothing staged is left behind with this run
        workflow.continue_as_new(submission.model_copy(update={"carried": self.desk.run.carry()}))
