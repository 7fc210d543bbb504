"""CaseDesk: what every request workflow holds — one `Case` (domain.case_machine) and the lock its
decisions take, with its collaborators: the case store's calls (`store`), what it shows outside
its history (`visibility`), the patches its run has (`versions`) and the decision intake
(`intake`). The stories (records, surveillance, preservation) are objects that work on a desk;
what a type adds to it (a look-up before a decision, a line of status) is a `DeskPart` it joins.

Decisions are applied one at a time under the lock, so the order in which they arrive is the
order in which they take effect, and a closed case stays closed. In runs with
DECISIONS_BEFORE_CLOCKS a close the case makes by itself (`closes`) takes the lock too: a
decision being filed finishes first, and is filed once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.case import CaseActivities
    from activities.verification import VerificationActivities
    from domain.case import CaseOutcome, CaseState, CaseStatus, RequestSubmission, Resolution
    from domain.case_machine import Case, Decision, Facts
    from domain.case_page import case_facts, case_page
    from domain.contracts import CloseInput, OpenCaseInput, RosterEntry, VerifyInput
    from domain.plans import RequestPlan
    from domain.verification import CheckResult
    from domain.vocabulary import DecisionName
    from les import metrics
    from les.temporal import RESPONSE_DUE, workflow_id_for
    from workflows.activity_options import QUICK
    from workflows.intake import DecisionIntake
    from workflows.run_state import RunState
    from workflows.store import CaseStore
    from workflows.versions import DECISIONS_BEFORE_CLOCKS, Versions
    from workflows.visibility import Visibility

LINK_SIGNALS = {"follow_up_of": "follow_up_received", "preservation_ref": "hold_produced"}
"""A request that names another case tells that case's workflow, by these signals."""


class DeskPart:
    """What a type or a story adds to its desk; each default adds nothing."""

    async def look_up(self, decision: Decision, roster: RosterEntry) -> Facts | None:
        """What a decision needs looked up before it is decided; None: not this part's decision."""
        return None

    async def after_decision(self, decision: Decision) -> None:
        """What an accepted decision sets off at once."""

    async def after_refusal(self, name: DecisionName, decision: Decision | None, reason: str) -> None:
        """What a refused decision sets off."""

    def extra_deadlines(self) -> dict[str, Any]:
        """Clocks the case itself set (a quote's expiry, a hold's lapse, an order's end)."""
        return {}

    def status_details(self) -> dict[str, Any]:
        """Type-specific facts for status."""
        return {}

    def details_facts(self) -> list[str]:
        """Lines of its own on the case's page."""
        return []

    def collection_status(self) -> dict[str, Any] | None:
        """Surveillance only: where collection stands."""
        return None


class CaseDesk:
    """The case file and the decision desk of one request (not a workflow by itself)."""

    def __init__(self, plan: RequestPlan, submission: RequestSubmission) -> None:
        self.plan = plan
        self.run = RunState(case=Case(request_id=submission.request_id, request_type=plan.request_type))
        """Everything the run holds (workflows/run_state.py); continue-as-new carries it whole."""
        self.document = submission.document
        self.lock = asyncio.Lock()
        self.parts: list[DeskPart] = []
        self.versions = Versions()
        self.store = CaseStore(self)
        self.visibility = Visibility(self)
        self.intake = DecisionIntake(self)

    @property
    def case(self) -> Case:
        return self.run.case

    @property
    def request_id(self) -> str:
        return self.run.case.request_id

    def resume(self, run: RunState) -> None:
        """Take over the state a run that continued as new carried, and show it afresh."""
        self.run = run
        self.visibility.republish()

    def join(self, part: DeskPart) -> None:
        """Add what a type or a story contributes to the decisions, the status and the page."""
        self.parts.append(part)

    # ---- steps every request takes ----------------------------------------------------------

    async def open_case(self, submission: RequestSubmission) -> None:
        await self.store.call(
            CaseActivities.open_case,
            OpenCaseInput(request_id=self.request_id, request_type=submission.request_type,
                          workflow_id=workflow.info().workflow_id, document=self.document),
            summary="open the case in the case store",
        )
        request_type = str(self.plan.request_type)
        metrics.case_submitted(request_type)
        self.visibility.opened(request_type)

    async def verify_legal_process(self) -> CheckResult:
        check = await workflow.execute_activity_method(
            VerificationActivities.verify_legal_process,
            VerifyInput(request_id=self.request_id, document=self.document),
            summary="verify the legal process against LEGAL.md and the documents on file",
            **QUICK,
        )
        self.run.check = check
        if check.request is not None:
            self.case.received_at = check.request.received_at
        due = check.deadlines.get("response_due")
        if due is not None:
            self.visibility.set(RESPONSE_DUE.value_set(due))
        await self.store.record(
            "verified",
            note=f"verdict {check.verdict}",
            details={
                "verdict": str(check.verdict),
                "permitted": [str(c) for c in check.permitted],
                "refused": [r.model_dump() for r in check.refused],
                "problems": [p.model_dump() for p in check.problems],
                **({"targets": [t.model_dump(mode="json") for t in check.targets.targets]} if check.targets else {}),
            },
        )
        return check

    @staticmethod
    def rejection(check: CheckResult) -> str | None:
        """Why verification rejected the request, or None."""
        if str(check.verdict) != "reject":
            return None
        return "; ".join(p.message for p in check.problems if p.fatal) or "nothing permitted"

    async def closes(self, resolution: Resolution, note: str, *, unless: Callable[[], bool] | None = None) -> bool:
        """The case closes by itself (a clock ran out, the story ended), not by a person's decision;
        False when it was closed already or, looked at again, `unless()` says the reason went away.

        In runs with DECISIONS_BEFORE_CLOCKS it first waits for the decision being filed (the lock):
        that decision takes effect as it was decided, then the case closes (or not: `unless`). In runs
        before it the case closed at once, and a decision in flight was filed twice: accepted, then
        refused as closed meanwhile (workflows/intake.py keeps that path for their histories)."""
        if not self.versions.has(DECISIONS_BEFORE_CLOCKS):
            return self.case.close(resolution, note)
        async with self.lock:
            return not (unless is not None and unless()) and self.case.close(resolution, note)

    async def decisions_settled(self) -> None:
        """Before a clock acts on the case (an order's end): in runs with DECISIONS_BEFORE_CLOCKS,
        wait until no decision is being filed, so the clock sees what it decided."""
        if self.versions.has(DECISIONS_BEFORE_CLOCKS):
            async with self.lock:
                pass

    async def close(self, resolution: Resolution, note: str) -> CaseOutcome:
        """File the close. The case may already be closed by a decision: its resolution stands."""
        await self.closes(resolution, note)
        resolution, note = self.case.resolution, self.case.closing_note  # type: ignore[assignment]
        await self.store.call(
            CaseActivities.close_case,
            CloseInput(request_id=self.request_id, resolution=resolution, note=note),
            summary=f"close the case: {resolution}",
        )
        await self.store.record("closed", note=f"{resolution}: {note}")
        metrics.case_closed(str(self.plan.request_type), str(resolution))
        self.run.filed_closed = True
        self.visibility.publish()
        productions = self.run.productions
        return CaseOutcome(request_id=self.request_id, resolution=resolution,
                           production=productions[-1] if productions else None, invoice=self.run.invoice)

    async def close_as_decided(self) -> CaseOutcome:
        """File the close a person's decision (or a linked case) already made."""
        assert self.case.resolution is not None
        return await self.close(self.case.resolution, self.case.closing_note)

    @staticmethod
    async def finish(outcome: CaseOutcome, *clocks: asyncio.Task[None] | None) -> CaseOutcome:
        for clock in clocks:
            if clock is not None:
                await clock
        await workflow.wait_condition(workflow.all_handlers_finished)
        return outcome

    def advance(self, state: CaseState) -> bool:
        """One of the workflow's own steps; False (and nothing changes) once the case is closed."""
        moved = self.case.advance(state)
        if moved:
            self.visibility.publish()
        return moved

    async def wait_for(self, *states: CaseState, timeout: Any = None, summary: str | None = None) -> bool:
        """Wait until the case is in one of `states` or closed; False if `timeout` passed first."""
        try:
            await workflow.wait_condition(lambda: self.case.state in states or self.case.closed,
                                          timeout=timeout, timeout_summary=summary)
        except TimeoutError:
            return False
        return True

    async def link_to_named_cases(self, field: str) -> None:
        """Tell the case this request names (follow_up_of, preservation_ref) that it arrived or produced."""
        named = self.document.get(field)
        if not isinstance(named, str) or not named:
            return
        handle = workflow.get_external_workflow_handle(workflow_id_for(named))
        try:
            await handle.signal(LINK_SIGNALS[field], {"request_id": self.request_id})
        except Exception as err:  # the named case is unknown or already closed
            await self.store.record(f"{field}_not_linked", note=f"{named}: {err}")
            return
        await self.store.record(f"{field}_linked", note=named)

    # ---- what the case shows -------------------------------------------------------------------

    def deadlines(self) -> dict[str, Any]:
        check = self.run.check
        extra: dict[str, Any] = {}
        for part in self.parts:
            extra.update(part.extra_deadlines())
        return {**(dict(check.deadlines) if check else {}), **extra}

    def status(self) -> CaseStatus:
        run = self.run
        check, case = run.check, run.case
        details: dict[str, Any] = {}
        if check and check.pending_check_results:
            details["pending_checks"] = dict(check.pending_check_results)
        if check is not None and check.targets is not None:  # what each target matched, before anyone approves
            details["targets"] = [t.model_dump(mode="json") for t in check.targets.targets]
        collection = None
        for part in self.parts:
            details.update(part.status_details())
            collection = collection or part.collection_status()
        return CaseStatus(
            request_id=case.request_id,
            request_type=str(case.request_type),
            state=case.state,
            open_tasks=case.open_tasks(),
            deadlines=self.deadlines(),
            overdue=run.overdue,
            reminded=run.reminded,
            verdict=str(check.verdict) if check else None,
            permitted=[str(c) for c in check.permitted] if check else [],
            refused=[r.model_dump() for r in check.refused] if check else [],
            problems=[{"code": p.code, "message": p.message} for p in check.problems] if check else [],
            approvals_required=[str(r) for r in case.approvals_required],
            approvals=dict(case.approvals),
            history=list(case.history),
            production=run.productions[-1] if run.productions else None,
            productions=list(run.productions),
            invoice=run.invoice,
            resolution=case.resolution,
            details=details,
            collection=collection,
        )

    def page(self) -> str:
        """The case's page (Current Details in the Web UI)."""
        run = self.run
        check = run.check
        facts = case_facts(self.case)
        for part in self.parts:
            facts += part.details_facts()
        return case_page(
            self.case, workflow.now(), deadlines=self.deadlines(),
            permitted=[str(c) for c in check.permitted] if check else None,
            refused=list(check.refused) if check else [],
            productions=run.productions, invoice=run.invoice, overdue=run.overdue, facts=facts,
        )
