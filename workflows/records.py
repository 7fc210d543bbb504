"""The stored-records shape: verify → gate → produce once → bill → close.

The story every records type tells (subpoena, 2703(d) order, warrant, NSL, FISA stored
records, customer call lookup, emergency): open the case, verify the legal process (and what
each target matches), pass the type's gate (approvals; a customer's identity and fee; an
emergency's callback), retrieve exactly the permitted categories, package and certify them,
deliver, bill, close. When no target matched a subscriber, the approval confirms it and the
custodian's "no responsive records" letter is delivered instead (not billed; nothing was
disclosed, so an emergency waits for no follow-up). The response
clock runs throughout. A type changes the story only at the named hooks."""

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
    from workflows.production import ProducesRecords
    from workflows.response_clock import ResponseDueTimer
    from workflows.versions import CIVIL_SUBPOENA_NOTICE, NO_RECORDS_LETTER


class RecordsShape(ProducesRecords):
    """verify → gate → produce once → bill → close."""

    async def _story(self, submission: RequestSubmission) -> CaseOutcome:
        await self._open_case(submission)
        check = await self._verify_legal_process()
        rejection = self._rejection(check)
        if rejection is None:
            rejection = await self._before_gate(check)
        if rejection is not None:
            self._case.verified(rejection=rejection)
            return await self._close(Resolution.REJECTED_ON_VERIFICATION, rejection)

        clock = self._start_response_clock(submission.reminder_lead_hours)
        self._case.verified(rejection=None, identity_confirmed=self._identity_confirmed(),
                            production_not_before=await self._customer_notice(check),
                            nothing_resolved=check.targets is not None and check.targets.nothing_resolved,
                            requester_doubts=requester_doubts(check.problems))
        self._publish_state()
        await self._link_to_named_cases("follow_up_of")
        await self._through_the_gate()
        if self._case.closed:
            return await self._finish(await self._close_as_decided(), clock)
        if self._case.nothing_resolved and self._versions.has(NO_RECORDS_LETTER):
            # Nothing to certify: the custodian's letter says what was searched and that no one matched.
            letter = await self._deliver_letter(1)
            return await self._finish(await self._close(Resolution.NO_RESPONSIVE_RECORDS, letter.path), clock)
        self._allow_withdraw_while_producing()
        files = await self._retrieve(1, self._categories(), self._retrieval_document(), **self._retrieval_extra())
        if files is None or await self._package_and_deliver(1, files) is None:
            # Withdrawn while retrieving or packaging: nothing delivered, nothing billed.
            return await self._finish(await self._close_as_decided(), clock)
        await self._bill(files)
        await self._link_to_named_cases("preservation_ref")
        await self._after_production()
        production = self._productions[-1]
        return await self._finish(await self._close(Resolution.DELIVERED, production.path), clock)

    # ---- hooks a type may change ---------------------------------------------------------------

    async def _before_gate(self, check: CheckResult) -> str | None:
        """Checks a type makes after verification and before anyone is asked (a rejection, or None)."""
        return None

    def _identity_confirmed(self) -> bool:
        return False

    async def _through_the_gate(self) -> None:
        """Wait until the case may retrieve, or is closed."""
        while True:
            await workflow.wait_condition(lambda: self._case.state is CaseState.RETRIEVING or self._case.closed
                                          or self._approved_but_waiting())
            if not self._approved_but_waiting():
                return
            until = self._case.production_not_before
            assert until is not None
            if await self._wait_for(CaseState.CLOSED, timeout=until - workflow.now(),
                                    summary="customer notice period"):
                return
            if self._case.release_production(workflow.now()):
                self._publish_state()

    def _approved_but_waiting(self) -> bool:
        case = self._case
        return (case.state is CaseState.AWAITING_APPROVAL and not case.missing_approvals()
                and case.production_not_before is not None)

    def _categories(self) -> list[Any]:
        """The stored categories to produce: exactly those permitted."""
        assert self._check is not None
        return [c for c in self._check.permitted if c in STORED_CATEGORIES]

    def _retrieval_document(self) -> dict[str, Any]:
        return self._document

    def _retrieval_extra(self) -> dict[str, Any]:
        ref = self._document.get("preservation_ref")
        return {"from_hold": ref} if isinstance(ref, str) and ref else {}

    async def _after_production(self) -> None:
        """What follows the delivery before the case closes (an emergency waits for legal process)."""

    # ---- customer notice (LEGAL.md, Secrecy and customer notice) --------------------------------

    def _is_civil_subpoena(self) -> bool:
        process = self._document.get("legal_process") or {}
        return self.plan.request_type is RequestType.SUBPOENA and process.get("issuer_kind") == IssuerKind.ATTORNEY

    async def _customer_notice(self, check: CheckResult) -> datetime | None:
        """A civil subpoena's customer is notified; production waits 14 days for a motion to quash."""
        if not self._is_civil_subpoena() or not self._versions.has(CIVIL_SUBPOENA_NOTICE):
            return None
        until = workflow.now() + CIVIL_NOTICE_PERIOD
        await self._notify("customer_notice", "customer",
                           f"a civil subpoena seeks your records; production waits until {until:%Y-%m-%d} "
                           "for a motion to quash")
        await self._record_system_event("customer_notified", note=f"production waits until {until.isoformat()}",
                                        details={"until": until.isoformat()})
        return until

    # ---- the response clock ---------------------------------------------------------------------

    def _start_response_clock(self, lead_hours: float) -> asyncio.Task[None] | None:
        assert self._check is not None
        due = self._check.deadlines.get("response_due")
        if due is None:
            return None
        timer = ResponseDueTimer(
            response_due=due,
            reminder_lead=timedelta(hours=lead_hours),
            is_closed=lambda: self._filed_closed,
            on_reminder=self._remind,
            on_overdue=self._escalate_overdue,
        )
        return asyncio.create_task(timer.run())

    async def _remind(self) -> None:
        self._reminded = True
        due = self._check.deadlines["response_due"] if self._check else None
        await self._notify("reminder", Role.ANALYST, f"response due {due:%Y-%m-%d %H:%M %Z}")
        await self._record_system_event("reminder_sent", note=f"response due {due}")

    async def _escalate_overdue(self) -> None:
        self._overdue = True
        self._set_attributes(OVERDUE.value_set(True), now=True)
        due = self._check.deadlines["response_due"] if self._check else None
        await self._notify(
            "overdue", Role.SUPERVISOR, f"response was due {due:%Y-%m-%d %H:%M %Z}; case is {self._case.state}"
        )
        await self._record_system_event("overdue_escalated", note=f"response was due {due}")

