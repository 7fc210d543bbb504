"""The stored-records story: verify → gate → produce once → bill → close.

The story every records type tells (subpoena, 2703(d) order, warrant, NSL, FISA stored
records, customer call lookup, emergency): open the case, verify the legal process (and what
each target matches), pass the type's gate (approvals; a customer's identity and fee; an
emergency's callback), retrieve exactly the permitted categories, package and certify them,
deliver, bill, close. When no target matched a subscriber, the approval confirms it and the
custodian's "no responsive records" letter is delivered instead (not billed; nothing was
disclosed, so an emergency waits for no follow-up). The response clock runs throughout.

A type's workflow composes it: `RecordsStory(desk).run(submission)`, or with its own
`RecordsSteps` (customer lookup, emergency) where its story differs."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseOutcome, CaseState, RequestSubmission, Resolution
    from domain.clocks import CIVIL_NOTICE_PERIOD
    from domain.requesters import requester_doubts
    from domain.verification import CheckResult
    from domain.vocabulary import STORED_CATEGORIES, IssuerKind, RequestType, Role
    from les.temporal import OVERDUE
    from workflows.case_desk import CaseDesk, DeskPart
    from workflows.production import Production
    from workflows.response_clock import ResponseDueTimer
    from workflows.versions import CIVIL_SUBPOENA_NOTICE, NO_RECORDS_LETTER


class RecordsSteps(DeskPart):
    """Where a records type's story differs (and what it adds to the desk); each default is the plain demand's."""

    async def before_gate(self, check: CheckResult) -> str | None:
        """Checks after verification and before anyone is asked (a rejection, or None)."""
        return None

    def identity_confirmed(self) -> bool:
        return False

    async def through_the_gate(self, story: RecordsStory) -> None:
        """Wait until the case may retrieve, or is closed: the approvals (and a notice period)."""
        await story.through_the_approvals()

    def retrieval_document(self, document: dict[str, Any]) -> dict[str, Any]:
        return document

    async def after_production(self) -> None:
        """What follows the delivery before the case closes."""


class RecordsStory:
    """verify → gate → produce once → bill → close, on one desk."""

    def __init__(self, desk: CaseDesk, steps: RecordsSteps | None = None) -> None:
        self.desk = desk
        self.steps = steps or RecordsSteps()
        self.production = Production(desk)

    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        desk, case, production = self.desk, self.desk.case, self.production
        await desk.open_case(submission)
        check = await desk.verify_legal_process()
        rejection = desk.rejection(check)
        if rejection is None:
            rejection = await self.steps.before_gate(check)
        if rejection is not None:
            case.verified(rejection=rejection)
            return await desk.close(Resolution.REJECTED_ON_VERIFICATION, rejection)

        clock = self._start_response_clock(submission.reminder_lead_hours)
        case.verified(rejection=None, identity_confirmed=self.steps.identity_confirmed(),
                      production_not_before=await self._customer_notice(),
                      nothing_resolved=check.targets is not None and check.targets.nothing_resolved,
                      requester_doubts=requester_doubts(check.problems))
        desk.visibility.publish()
        await desk.link_to_named_cases("follow_up_of")
        await self.steps.through_the_gate(self)
        if case.closed:
            return await desk.finish(await desk.close_as_decided(), clock)
        if case.nothing_resolved and desk.versions.has(NO_RECORDS_LETTER):
            # Nothing to certify: the custodian's letter says what was searched and that no one matched.
            letter = await production.deliver_letter(1)
            return await desk.finish(await desk.close(Resolution.NO_RESPONSIVE_RECORDS, letter.path), clock)
        production.allow_withdraw_while_producing()
        files = await production.retrieve(1, self._categories(), self.steps.retrieval_document(desk.document),
                                          **self._retrieval_extra())
        if files is None or await production.package_and_deliver(1, files) is None:
            # Withdrawn while retrieving or packaging: nothing delivered, nothing billed.
            return await desk.finish(await desk.close_as_decided(), clock)
        await production.bill(files)
        await desk.link_to_named_cases("preservation_ref")
        await self.steps.after_production()
        return await desk.finish(await desk.close(Resolution.DELIVERED, desk.run.productions[-1].path), clock)

    async def through_the_approvals(self) -> None:
        """Wait until the case may retrieve, or is closed; an approved civil subpoena waits out its notice."""
        desk = self.desk
        while True:
            await workflow.wait_condition(lambda: desk.case.state is CaseState.RETRIEVING or desk.case.closed
                                          or self._approved_but_waiting())
            if not self._approved_but_waiting():
                return
            until = desk.case.production_not_before
            assert until is not None
            if await desk.wait_for(CaseState.CLOSED, timeout=until - workflow.now(), summary="customer notice period"):
                return
            if desk.case.release_production(workflow.now()):
                desk.visibility.publish()

    def _approved_but_waiting(self) -> bool:
        case = self.desk.case
        return (case.state is CaseState.AWAITING_APPROVAL and not case.missing_approvals()
                and case.production_not_before is not None)

    def _categories(self) -> list[Any]:
        """The stored categories to produce: exactly those permitted."""
        assert self.desk.run.check is not None
        return [c for c in self.desk.run.check.permitted if c in STORED_CATEGORIES]

    def _retrieval_extra(self) -> dict[str, Any]:
        ref = self.desk.document.get("preservation_ref")
        return {"from_hold": ref} if isinstance(ref, str) and ref else {}

    # ---- customer notice (LEGAL.md, Secrecy and customer notice) --------------------------------

    def _is_civil_subpoena(self) -> bool:
        process = self.desk.document.get("legal_process") or {}
        return self.desk.plan.request_type is RequestType.SUBPOENA and process.get("issuer_kind") == IssuerKind.ATTORNEY

    async def _customer_notice(self) -> datetime | None:
        """A civil subpoena's customer is notified; production waits 14 days for a motion to quash."""
        if not self._is_civil_subpoena() or not self.desk.versions.has(CIVIL_SUBPOENA_NOTICE):
            return None
        until = workflow.now() + CIVIL_NOTICE_PERIOD
        await self.desk.store.notify("customer_notice", "customer",
                                     f"a civil subpoena seeks your records; production waits until "
                                     f"{until:%Y-%m-%d} for a motion to quash")
        await self.desk.store.record("customer_notified", note=f"production waits until {until.isoformat()}",
                                     details={"until": until.isoformat()})
        return until

    # ---- the response clock ---------------------------------------------------------------------

    def _start_response_clock(self, lead_hours: float) -> asyncio.Task[None] | None:
        assert self.desk.run.check is not None
        due = self.desk.run.check.deadlines.get("response_due")
        if due is None:
            return None
        timer = ResponseDueTimer(
            response_due=due,
            reminder_lead=timedelta(hours=lead_hours),
            is_closed=lambda: self.desk.run.filed_closed,
            on_reminder=self._remind,
            on_overdue=self._escalate_overdue,
        )
        return asyncio.create_task(timer.run())

    async def _remind(self) -> None:
        desk = self.desk
        desk.run.reminded = True
        due = desk.run.check.deadlines["response_due"] if desk.run.check else None
        await desk.store.notify("reminder", Role.ANALYST, f"response due {due:%Y-%m-%d %H:%M %Z}")
        await desk.store.record("reminder_sent", note=f"response due {due}")

    async def _escalate_overdue(self) -> None:
        desk = self.desk
        desk.run.overdue = True
        desk.visibility.set(OVERDUE.value_set(True), now=True)
        due = desk.run.check.deadlines["response_due"] if desk.run.check else None
        await desk.store.notify(
            "overdue", Role.SUPERVISOR, f"response was due {due:%Y-%m-%d %H:%M %Z}; case is {desk.case.state}"
        )
        await desk.store.record("overdue_escalated", note=f"response was due {due}")
