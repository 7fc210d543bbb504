"""Emergency: disclosure under 18 U.S.C. 2702(c)(4) when a life is at risk (SPEC §3).

The story: verify; the analyst calls the agency back on its number in the carrier's own
agency directory and records it (any other number is refused and flagged to a supervisor);
an analyst and a supervisor approve; non-content records are produced at once, with no
charge; then the case waits for the legal process that must follow within 48 hours, and
escalates to legal and closes as `follow_up_missing` if none arrives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.case import CaseActivities
    from activities.directory import DirectoryActivities
    from domain.case import CaseOutcome, CaseState, RequestSubmission, Resolution
    from domain.case_machine import Decision, Facts
    from domain.contracts import CallbackCheckInput, LinkInput, RosterEntry
    from domain.vocabulary import DecisionName, RequestType, Role
    from workflows.activity_options import DECISION, QUICK
    from workflows.case_desk import CaseDesk
    from workflows.handlers import DeskWorkflow, decision_handlers
    from workflows.records import RecordsSteps, RecordsStory

_SECOND = timedelta(seconds=1)


class EmergencySteps(RecordsSteps):
    """The callback looked up in the agency directory (a wrong number flagged to a supervisor), and
    after the production, the wait for the legal process that must follow."""

    def __init__(self, desk: CaseDesk) -> None:
        self.desk = desk
        self._last_facts: Facts | None = None
        desk.join(self)

    async def look_up(self, decision: Decision, roster: RosterEntry) -> Facts | None:
        if decision.name is not DecisionName.VERIFY_CALLBACK:
            return None
        agency = str((self.desk.document.get("requester") or {}).get("agency") or "")
        check = await workflow.execute_activity_method(
            DirectoryActivities.check_callback,
            CallbackCheckInput(request_id=self.desk.request_id, agency=agency,
                               number=str(decision.fields.get("number"))),
            summary="look the callback number up in the agency directory", **DECISION,
        )
        self._last_facts = Facts(callback_listed=check.listed, directory_numbers=check.directory_numbers)
        return self._last_facts

    async def after_refusal(self, name: DecisionName, decision: Decision | None, reason: str) -> None:
        facts, self._last_facts = self._last_facts, None
        if name is DecisionName.VERIFY_CALLBACK and facts is not None and facts.callback_listed is False:
            await self.desk.store.notify("callback_flagged", Role.SUPERVISOR, f"emergency callback refused: {reason}")
            await self.desk.store.record("callback_flagged", note=reason)

    async def after_production(self) -> None:
        """Wait for the legal process that must follow; escalate to legal when it does not come."""
        desk, case = self.desk, self.desk.case
        desk.advance(CaseState.AWAITING_FOLLOW_UP)
        if case.follow_ups:  # it arrived while the records were being produced
            await desk.closes(Resolution.DELIVERED, f"followed up by {case.follow_ups[0]}")
            return
        assert desk.run.check is not None
        due = desk.run.check.deadlines["follow_up_legal_process_due"]
        if await desk.wait_for(CaseState.CLOSED, timeout=max(due - workflow.now(), _SECOND),
                               summary="follow-up legal process due"):
            return
        await desk.store.notify("follow_up_missing", Role.LEGAL,
                                f"no legal process followed emergency request {desk.request_id} by {due.isoformat()}")
        await desk.store.record("follow_up_escalated", note=f"legal process was due {due.isoformat()}")
        await desk.closes(Resolution.FOLLOW_UP_MISSING, f"no legal process by {due.isoformat()}; escalated to legal")

    async def follow_up_received(self, link: Any = None) -> None:
        desk = self.desk
        other = str(link.get("request_id")) if isinstance(link, dict) else ""
        async with desk.lock:
            answer = await workflow.execute_activity_method(
                CaseActivities.confirm_link,
                LinkInput(request_id=desk.request_id, linked_request_id=other, field="follow_up_of"),
                **QUICK,
            )
            if answer.linked and desk.case.follow_up_arrived(other):
                await desk.store.record("follow_up_received", note=other)
            else:
                await desk.store.file(desk.case.record(
                    "follow_up_received", workflow.now(), accepted=False,
                    reason=answer.reason or "already linked, or the case is closed", note=other))

    def status_details(self) -> dict[str, Any]:
        case = self.desk.case
        return {"callback_verified": case.callback_verified, "follow_ups": list(case.follow_ups)}


@workflow.defn(name="Emergency")
@decision_handlers(RequestType.EMERGENCY)
class Emergency(DeskWorkflow):
    """2702(c)(4): callback verified, analyst and supervisor approve, produce, await legal process."""

    @workflow.init
    def __init__(self, submission: RequestSubmission) -> None:
        super().__init__(submission)
        self.steps = EmergencySteps(self.desk)

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await RecordsStory(self.desk, self.steps).run(submission)

    @workflow.signal(name="follow_up_received",
                     description="Sent by the system when a request whose follow_up_of names this one is "
                                 "submitted; checked against the case store. Not for people.")
    async def follow_up_received(self, link: Any = None) -> None:
        await self.steps.follow_up_received(link)
