"""CaseDesk: what every request workflow shares — the case file in workflow state, the human
decisions (signals and their answered `_sync` updates), the status query, and the history.

A request workflow subclasses it and tells its own story in `run`."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.case import CaseActivities
    from activities.verification import VerificationActivities
    from domain.case import (
        OPEN_FOR_DECISION,
        AuthorizeInput,
        CaseEvent,
        CaseOutcome,
        CaseState,
        CaseStatus,
        CloseInput,
        DecisionReceipt,
        Delivery,
        InvoiceSummary,
        NotifyInput,
        OpenCaseInput,
        RequestSubmission,
        Resolution,
        VerifyInput,
    )
    from domain.decisions import DecisionPayload
    from domain.verification import CheckResult
    from domain.vocabulary import DecisionName, Role
    from les.temporal import CASE_STATE, REQUEST_TYPE, RESPONSE_DUE
    from workflows.activity_options import QUICK
    from workflows.decision_desk import DecisionRefused, check_decision, parse_decision

SYSTEM = "les-orchestrator"
"""The actor named on events the workflow records by itself."""


class CaseDesk:
    """The case file and the decision desk of one request (not a workflow by itself)."""

    def _init_case(self, submission: RequestSubmission) -> None:
        self._request_id = submission.request_id
        self._document = submission.document
        self._state = CaseState.VERIFYING
        self._check: CheckResult | None = None
        self._approvals: dict[str, str] = {}
        self._open_question: str | None = None
        self._stopped: tuple[Resolution, str] | None = None
        self._history: list[CaseEvent] = []
        self._desk = asyncio.Lock()
        self._reminded = False
        self._overdue = False
        self._production: Delivery | None = None
        self._invoice: InvoiceSummary | None = None
        self._resolution: Resolution | None = None

    # ---- steps every request takes ----------------------------------------------------------

    async def _open_case(self, submission: RequestSubmission) -> None:
        await workflow.execute_activity_method(
            CaseActivities.open_case,
            OpenCaseInput(
                request_id=self._request_id,
                request_type=submission.request_type,
                workflow_id=workflow.info().workflow_id,
                document=self._document,
            ),
            **QUICK,
        )
        workflow.upsert_search_attributes([REQUEST_TYPE.value_set(submission.request_type)])

    async def _verify_legal_process(self) -> CheckResult:
        check = await workflow.execute_activity_method(
            VerificationActivities.verify_legal_process,
            VerifyInput(request_id=self._request_id, document=self._document),
            summary="verify the legal process against LEGAL.md and the documents on file",
            **QUICK,
        )
        due = check.deadlines.get("response_due")
        if due is not None:
            workflow.upsert_search_attributes([RESPONSE_DUE.value_set(due)])
        await self._record_system_event(
            "verified",
            note=f"verdict {check.verdict}",
            details={
                "verdict": str(check.verdict),
                "permitted": [str(c) for c in check.permitted],
                "refused": [r.model_dump() for r in check.refused],
                "problems": [p.model_dump() for p in check.problems],
            },
        )
        return check

    async def _notify(self, kind: str, role: Role, message: str) -> None:
        await workflow.execute_activity_method(
            CaseActivities.notify,
            NotifyInput(request_id=self._request_id, kind=kind, recipient_role=role, message=message),
            **QUICK,
        )

    async def _close(self, resolution: Resolution, note: str) -> CaseOutcome:
        self._resolution = resolution
        await workflow.execute_activity_method(
            CaseActivities.close_case,
            CloseInput(request_id=self._request_id, resolution=resolution, note=note),
            **QUICK,
        )
        await self._record_system_event("closed", note=f"{resolution}: {note}")
        self._set_state(CaseState.CLOSED)
        return CaseOutcome(
            request_id=self._request_id,
            resolution=resolution,
            production=self._production,
            invoice=self._invoice,
        )

    # ---- human decisions -------------------------------------------------------------------
    # A decision arrives as raw JSON (Any): a malformed one must be recorded as refused, not
    # dropped by the data converter before the workflow ever sees it.

    @workflow.signal(name="approve", description="Approve the request for production. "
                     '{"actor": "jdoe", "role": "analyst", "note": "..."}')
    async def approve(self, decision: Any = None) -> None:
        await self._receive(DecisionName.APPROVE, decision, via="signal")

    @workflow.update(name="approve_sync", description="Approve, and answer whether it was accepted.")
    async def approve_sync(self, decision: Any = None) -> DecisionReceipt:
        return await self._receive(DecisionName.APPROVE, decision, via="update")

    @approve_sync.validator
    def _validate_approve(self, decision: Any = None) -> None:
        self._validate(DecisionName.APPROVE, decision)

    @workflow.signal(name="reject", description="Reject the request: nothing is produced. The note "
                     '(the reason) is required. {"actor": "jdoe", "role": "analyst", "note": "why"}')
    async def reject(self, decision: Any = None) -> None:
        await self._receive(DecisionName.REJECT, decision, via="signal")

    @workflow.update(name="reject_sync", description="Reject, and answer whether it was accepted.")
    async def reject_sync(self, decision: Any = None) -> DecisionReceipt:
        return await self._receive(DecisionName.REJECT, decision, via="update")

    @reject_sync.validator
    def _validate_reject(self, decision: Any = None) -> None:
        self._validate(DecisionName.REJECT, decision)

    @workflow.signal(name="request_info", description="Ask the requester for more information "
                     'before deciding. {"actor": "jdoe", "role": "analyst", "question": "..."}')
    async def request_info(self, decision: Any = None) -> None:
        await self._receive(DecisionName.REQUEST_INFO, decision, via="signal")

    @workflow.update(name="request_info_sync", description="Request information, answered.")
    async def request_info_sync(self, decision: Any = None) -> DecisionReceipt:
        return await self._receive(DecisionName.REQUEST_INFO, decision, via="update")

    @request_info_sync.validator
    def _validate_request_info(self, decision: Any = None) -> None:
        self._validate(DecisionName.REQUEST_INFO, decision)

    @workflow.signal(name="provide_info", description="Record the requester's answer; the case "
                     'returns to approval. {"actor": "jdoe", "role": "analyst", "info": "..."}')
    async def provide_info(self, decision: Any = None) -> None:
        await self._receive(DecisionName.PROVIDE_INFO, decision, via="signal")

    @workflow.update(name="provide_info_sync", description="Provide information, answered.")
    async def provide_info_sync(self, decision: Any = None) -> DecisionReceipt:
        return await self._receive(DecisionName.PROVIDE_INFO, decision, via="update")

    @provide_info_sync.validator
    def _validate_provide_info(self, decision: Any = None) -> None:
        self._validate(DecisionName.PROVIDE_INFO, decision)

    @workflow.signal(name="withdraw", description="Record that the requester withdrew the request. "
                     '{"actor": "jdoe", "role": "analyst", "note": "..."}')
    async def withdraw(self, decision: Any = None) -> None:
        await self._receive(DecisionName.WITHDRAW, decision, via="signal")

    @workflow.update(name="withdraw_sync", description="Withdraw, and answer whether it was accepted.")
    async def withdraw_sync(self, decision: Any = None) -> DecisionReceipt:
        return await self._receive(DecisionName.WITHDRAW, decision, via="update")

    @withdraw_sync.validator
    def _validate_withdraw(self, decision: Any = None) -> None:
        self._validate(DecisionName.WITHDRAW, decision)

    @workflow.query(name="status", description="State, open human tasks, deadlines, decisions so far.")
    def status(self) -> CaseStatus:
        check = self._check
        return CaseStatus(
            request_id=self._request_id,
            request_type=str(self._document.get("type")),
            state=self._state,
            open_tasks=self._open_tasks(),
            deadlines=dict(check.deadlines) if check else {},
            overdue=self._overdue,
            reminded=self._reminded,
            verdict=str(check.verdict) if check else None,
            permitted=[str(c) for c in check.permitted] if check else [],
            refused=[r.model_dump() for r in check.refused] if check else [],
            problems=[{"code": p.code, "message": p.message} for p in check.problems] if check else [],
            approvals_required=[str(r) for r in check.approvals_required] if check else [],
            approvals=dict(self._approvals),
            history=list(self._history),
            production=self._production,
            invoice=self._invoice,
            resolution=self._resolution,
        )

    def _validate(self, name: DecisionName, raw: Any) -> None:
        """Update validator: refuse before anything is written to history."""
        self._check_pure(name, parse_decision(name, raw))

    def _check_pure(self, name: DecisionName, payload: DecisionPayload) -> None:
        check_decision(
            name,
            payload,
            state=self._state,
            approvals_required=list(self._check.approvals_required) if self._check else [],
            approvals=self._approvals,
        )

    async def _receive(self, name: DecisionName, raw: Any, *, via: str) -> DecisionReceipt:
        """Check, authorise against the roster, record and apply one decision, one at a time."""
        async with self._desk:
            payload: DecisionPayload | None = None
            try:
                payload = parse_decision(name, raw)
                self._check_pure(name, payload)
                authorization = await workflow.execute_activity_method(
                    CaseActivities.authorize_decision,
                    AuthorizeInput(request_id=self._request_id, actor=payload.actor, role=payload.role),
                    **QUICK,
                )
                if not authorization.authorized:
                    raise DecisionRefused(authorization.reason)
            except DecisionRefused as refusal:
                await self._record_decision(name, raw, payload, via, refused=str(refusal))
                if via == "update":
                    raise ApplicationError(str(refusal), type="DecisionRefused", non_retryable=True) from None
                return DecisionReceipt(accepted=False, state=self._state, message=str(refusal))
            await self._record_decision(name, raw, payload, via)  # on file before it takes effect
            message = self._apply(name, payload)
            return DecisionReceipt(accepted=True, state=self._state, message=message)

    def _apply(self, name: DecisionName, payload: DecisionPayload) -> str:
        note = payload.note or ""
        if name is DecisionName.APPROVE:
            self._approvals[str(payload.role)] = payload.actor
            missing = self._missing_approvals()
            if missing:
                return f"approved by {payload.actor}; still awaiting: {', '.join(missing)}"
            self._set_state(CaseState.RETRIEVING)
            return "approved: retrieving the permitted records"
        if name is DecisionName.REJECT:
            self._stopped = (Resolution.REJECTED_BY_ANALYST, f"{payload.actor}: {note}".rstrip(": "))
            return "rejected: nothing will be produced"
        if name is DecisionName.WITHDRAW:
            self._stopped = (Resolution.WITHDRAWN, f"{payload.actor}: {note}".rstrip(": "))
            return "withdrawn: the case closes without production"
        if name is DecisionName.REQUEST_INFO:
            self._open_question = str(payload.model_extra.get("question", "")) if payload.model_extra else ""
            self._set_state(CaseState.AWAITING_INFO)
            return "information requested; the case waits for the answer"
        # provide_info
        self._open_question = None
        self._set_state(CaseState.AWAITING_APPROVAL)
        return "information recorded; the case awaits approval again"

    async def _record_decision(
        self, name: DecisionName, raw: Any, payload: DecisionPayload | None, via: str, refused: str = ""
    ) -> None:
        actor = payload.actor if payload else (raw.get("actor") if isinstance(raw, dict) else None)
        role = payload.role if payload else (raw.get("role") if isinstance(raw, dict) else None)
        extra = dict(payload.model_extra or {}) if payload else {}
        await self._append_event(
            name=str(name),
            actor=str(actor or "unknown"),
            role=str(role) if role else None,
            accepted=not refused,
            reason=refused,
            note=payload.note if payload else "",
            via=via,
            details=extra,
        )

    async def _record_system_event(self, name: str, note: str = "", details: dict | None = None) -> None:
        await self._append_event(name=name, actor=SYSTEM, note=note, details=details or {})

    async def _append_event(self, **fields: Any) -> None:
        event = CaseEvent(
            request_id=self._request_id, seq=len(self._history) + 1, at=workflow.now(), **fields
        )
        self._history.append(event)
        await workflow.execute_activity_method(CaseActivities.record_case_event, event, **QUICK)

    # ---- small helpers ---------------------------------------------------------------------

    def _missing_approvals(self) -> list[str]:
        required = self._check.approvals_required if self._check else []
        return [str(r) for r in required if str(r) not in self._approvals]

    def _open_tasks(self) -> list[str]:
        if self._state is CaseState.AWAITING_APPROVAL:
            return [f"approval by {role} (approve / reject / request_info)" for role in self._missing_approvals()]
        if self._state is CaseState.AWAITING_INFO:
            return [f"provide_info: answer from the requester to: {self._open_question}"]
        return []

    def _set_state(self, state: CaseState) -> None:
        self._state = state
        workflow.logger.info("case state", extra={"request_id": self._request_id, "state": str(state)})
        workflow.upsert_search_attributes([CASE_STATE.value_set(str(state))])
        if state in OPEN_FOR_DECISION or state is CaseState.CLOSED:
            workflow.set_current_details(self._details_markdown())

    def _details_markdown(self) -> str:
        lines = [f"**{self._document.get('type')} {self._request_id}** — {self._state}"]
        lines += [f"- open task: {task}" for task in self._open_tasks()]
        if self._check:
            lines += [f"- {name}: {moment.isoformat()}" for name, moment in self._check.deadlines.items()]
        return "\n".join(lines)
