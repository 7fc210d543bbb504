"""CaseDesk: what every request workflow shares — one `Case` (domain.case_machine) holding the
case file, the human decisions (a signal and an answered `_sync` update per SPEC §3 decision,
made for each type from its plan), the status query, and the steps every case takes.

Decisions are applied one at a time under a lock, through `Case.decide`, so the order in which
they arrive is the order in which they take effect, and a closed case stays closed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as TemporalTimeout

with workflow.unsafe.imports_passed_through():
    from activities.case import CaseActivities
    from activities.verification import VerificationActivities
    from domain.case import CaseOutcome, CaseState, CaseStatus, DecisionReceipt, RequestSubmission, Resolution
    from domain.case_machine import Case, Decision, Facts, Refused, RosterEntry, parse_decision
    from domain.case_page import case_page
    from domain.contracts import (
        AuthorizeInput,
        CloseInput,
        Delivery,
        InvoiceSummary,
        NotifyInput,
        OpenCaseInput,
        VerifyInput,
    )
    from domain.plans import RequestPlan, plan_for
    from domain.seals import Seal, SealProblem, as_decision, check_seal, is_refusal, is_sealed, open_envelope
    from domain.verification import CheckResult
    from domain.vocabulary import DecisionName, RequestType, Role
    from les import metrics
    from les.failures import DECISION_REFUSED
    from les.temporal import (
        CASE_STATE,
        COLLECTION_END,
        REQUEST_TYPE,
        RESPONSE_DUE,
        SECRECY_BINDS,
        WAITING_FOR,
        workflow_id_for,
    )
    from workflows.activity_options import DECISION, QUICK
    from workflows.handlers import install_decision_handlers


LINK_SIGNALS = {"follow_up_of": "follow_up_received", "preservation_ref": "hold_produced"}
"""A request that names another case tells that case's workflow, by these signals."""

PER_STEP_ATTRIBUTES = "search-attributes-per-step"
"""Patch: a run so patched upserts its search attributes once per step that changes them, not
once per attribute: the request type comes with the start (`starter.py submit` sets it), the
response due date waits for the state the verification leads to, the state and the queues go
out together, and the production's quick steps (packaging, delivering, billing) are not
published (the search attribute says `retrieving` until the case closes; status and the Current
Details show the step). Each upsert is a visibility write on the server: a subpoena makes 4, not
13. A run so patched also has every patch before it (EARLIER_PATCHES) without their markers."""
EARLIER_PATCHES = frozenset({
    "queue-search-attributes", "bulk-task-queue", "withdraw-during-retrieval", "no-responsive-records-letter",
    "civil-subpoena-customer-notice", "renewal-filed-on-its-hold",
})
"""The patches PER_STEP_ATTRIBUTES implies (workflow.patched's ids in workflows/)."""
LOCAL_CASE_STORE = "case-store-local-activities"
"""Patch: a run so patched calls the case store's quick steps (open the case, ask the roster,
file a case event, notify, close, bill) as local activities: the worker running the workflow runs
them within its workflow task and records each as a marker holding its result, instead of a
round trip through the server's task queue (three events and a workflow task each). A subpoena
schedules 6 activities and runs 9 local ones, and an approval answers in about a tenth of the
time. The history still holds every filing: record_case_event answers with the event it filed,
which the marker keeps, and the audit reads it there (console/histories.py). Long steps (verification,
retrieval, packaging, delivery, mediation) stay activities. A run so patched also has
PER_STEP_ATTRIBUTES and every patch before it, without their markers."""
SEALED_DECISIONS = "sealed-decisions"
"""Patch: a run so patched takes a person's decision only sealed by a codec server that signed the
person in (SPEC §6, les/seals.py): the seal names the person (the decision's actor), the moment
(at most five minutes old), the case and the content, each seal once; the roster activity checks
its signature. Asked at the run's first decision, so a case that was running before takes sealed
decisions from its next one. Histories recorded before it take their plain decisions as then."""
UNPUBLISHED_STATES = frozenset({CaseState.PACKAGING, CaseState.DELIVERING, CaseState.BILLING})
"""The production's quick steps: a run patched with PER_STEP_ATTRIBUTES keeps them off the search attribute."""


class CaseDesk:
    """The case file and the decision desk of one request (not a workflow by itself).

    A concrete workflow class names its type: `class CourtOrder(RecordsShape, request_type=...)`;
    the class then gets a signal, an update and a validator for every SPEC §3 decision."""

    plan: RequestPlan

    def __init_subclass__(cls, request_type: RequestType | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if request_type is not None:
            cls.plan = plan_for(request_type)
            install_decision_handlers(cls, cls.plan)

    @workflow.init
    def __init__(self, submission: RequestSubmission) -> None:
        self._init_case(submission)

    def _init_case(self, submission: RequestSubmission) -> None:
        self._case = Case(request_id=submission.request_id, request_type=self.plan.request_type)
        self._document = submission.document
        self._check: CheckResult | None = None
        self._desk = asyncio.Lock()
        self._published: CaseState | None = None
        self._queued: tuple[Any, ...] | None = None
        """The queue search attributes last upserted (who the case waits for, collection end, secrecy)."""
        self._filed_closed = False
        """True once the close is filed in the case store: the case's clocks stop then."""
        self._reminded = False
        self._overdue = False
        self._productions: list[Delivery] = []
        self._invoice: InvoiceSummary | None = None
        self._took_effect = False
        """Whether the decision being received has taken effect (past that, no "not recorded")."""
        self._per_step_attributes: bool | None = None
        """Whether this run has PER_STEP_ATTRIBUTES (asked once, at the first search attribute)."""
        self._local_store_calls: bool | None = None
        """Whether this run has LOCAL_CASE_STORE (asked once, at the first case-store call)."""
        self._pending_attributes: dict[str, Any] = {}
        """Search attribute updates waiting for the end of the step (PER_STEP_ATTRIBUTES runs)."""
        self._sealed_decisions: bool | None = None
        """Whether this run takes only sealed decisions (SEALED_DECISIONS; asked at its first decision)."""

    @property
    def _request_id(self) -> str:
        return self._case.request_id

    # ---- steps every request takes ----------------------------------------------------------

    async def _open_case(self, submission: RequestSubmission) -> None:
        await self._store(
            CaseActivities.open_case,
            OpenCaseInput(
                request_id=self._request_id,
                request_type=submission.request_type,
                workflow_id=workflow.info().workflow_id,
                document=self._document,
            ),
            summary="open the case in the case store",
        )
        request_type = str(self.plan.request_type)
        metrics.case_submitted(request_type)
        if not self._per_step():
            workflow.upsert_search_attributes([REQUEST_TYPE.value_set(request_type)])
        elif workflow.info().typed_search_attributes.get(REQUEST_TYPE) != request_type:
            self._set_attributes(REQUEST_TYPE.value_set(request_type))  # started without it: with the first state

    async def _verify_legal_process(self) -> CheckResult:
        check = await workflow.execute_activity_method(
            VerificationActivities.verify_legal_process,
            VerifyInput(request_id=self._request_id, document=self._document),
            summary="verify the legal process against LEGAL.md and the documents on file",
            **QUICK,
        )
        self._check = check
        if check.request is not None:
            self._case.received_at = check.request.received_at
        due = check.deadlines.get("response_due")
        if due is not None:
            self._set_attributes(RESPONSE_DUE.value_set(due))
        await self._record_system_event(
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

    def _rejection(self, check: CheckResult) -> str | None:
        """Why verification rejected the request, or None."""
        if str(check.verdict) != "reject":
            return None
        return "; ".join(p.message for p in check.problems if p.fatal) or "nothing permitted"

    async def _notify(self, kind: str, role: Role | str, message: str) -> None:
        await self._store(
            CaseActivities.notify,
            NotifyInput(request_id=self._request_id, kind=kind, recipient_role=str(role), message=message),
            summary=f"notify {role}: {kind}",
        )

    async def _close(self, resolution: Resolution, note: str) -> CaseOutcome:
        """File the close. The case may already be closed by a decision: its resolution stands."""
        self._case.close(resolution, note)
        resolution, note = self._case.resolution, self._case.closing_note  # type: ignore[assignment]
        await self._store(
            CaseActivities.close_case,
            CloseInput(request_id=self._request_id, resolution=resolution, note=note),
            summary=f"close the case: {resolution}",
        )
        await self._record_system_event("closed", note=f"{resolution}: {note}")
        metrics.case_closed(str(self.plan.request_type), str(resolution))
        self._filed_closed = True
        self._publish_state()
        return CaseOutcome(
            request_id=self._request_id,
            resolution=resolution,
            production=self._productions[-1] if self._productions else None,
            invoice=self._invoice,
        )

    async def _close_as_decided(self) -> CaseOutcome:
        """File the close a person's decision (or a linked case) already made."""
        assert self._case.resolution is not None
        return await self._close(self._case.resolution, self._case.closing_note)

    async def _finish(self, outcome: CaseOutcome, *clocks: asyncio.Task[None] | None) -> CaseOutcome:
        for clock in clocks:
            if clock is not None:
                await clock
        await workflow.wait_condition(workflow.all_handlers_finished)
        return outcome

    def _advance(self, state: CaseState) -> bool:
        """One of the workflow's own steps; False (and nothing changes) once the case is closed."""
        moved = self._case.advance(state)
        if moved:
            self._publish_state()
        return moved

    async def _wait_for(self, *states: CaseState, timeout: Any = None, summary: str | None = None) -> bool:
        """Wait until the case is in one of `states` or closed; False if `timeout` passed first."""
        try:
            await workflow.wait_condition(
                lambda: self._case.state in states or self._case.closed,
                timeout=timeout, timeout_summary=summary,
            )
        except TimeoutError:
            return False
        return True

    # ---- links between cases ----------------------------------------------------------------------

    async def _link_to_named_cases(self, field: str) -> None:
        """Tell the case this request names (follow_up_of, preservation_ref) that it arrived or produced."""
        named = self._document.get(field)
        if not isinstance(named, str) or not named:
            return
        handle = workflow.get_external_workflow_handle(workflow_id_for(named))
        try:
            await handle.signal(LINK_SIGNALS[field], {"request_id": self._request_id})
        except Exception as err:  # the named case is unknown or already closed
            await self._record_system_event(f"{field}_not_linked", note=f"{named}: {err}")
            return
        await self._record_system_event(f"{field}_linked", note=named)

    # ---- human decisions ---------------------------------------------------------------------

    def _validate(self, name: DecisionName, raw: Any) -> None:
        """Update validator: refuse before anything is written to history. (Whether the run takes
        sealed decisions is asked at its first decision, which a validator may not do: until then the
        handler checks the seal.)"""
        step = "seal"
        try:
            if self._sealed_decisions or is_sealed(raw) or is_refusal(raw):
                raw = self._unseal(raw)[1]
            step = "malformed"
            decision = parse_decision(name, raw)
            step = "not_allowed"
            self._case.precheck(decision)
        except Refused as refusal:
            metrics.decision_refused(str(name), step)
            raise ApplicationError(str(refusal), type=DECISION_REFUSED, non_retryable=True) from None

    def _unseal(self, raw: Any) -> tuple[Seal, dict[str, Any]]:
        """The seal and the decision it carries, when both may take effect on this case now (all that
        needs no key: the signature is the roster activity's); Refused saying which check failed."""
        try:
            seal, decision = open_envelope(raw)  # a refusal in its place says why
            check_seal(seal, decision, request_id=self._request_id, now=workflow.now(),
                       compartment="natsec" if self.plan.cleared_only else "general",
                       nonces_used=self._case.seal_nonces)
        except SealProblem as problem:
            raise Refused(str(problem)) from None
        return seal, as_decision(seal, decision)

    async def _receive(self, name: DecisionName, raw: Any, *, via: str) -> DecisionReceipt:
        """Check, ask the roster, decide, record: one decision at a time, in arrival order.

        The roster, the look-ups and the filing run with bounded retries (DECISION). When one
        fails for good, the decision has not taken effect (it is filed before it takes effect),
        so the case is left as it was, its history too, and the person is told it was not
        recorded and to try again: a refusal, within seconds, whatever the outage."""
        async with self._desk:
            filed = len(self._case.history)
            self._took_effect = False
            try:
                return await self._decide(name, raw, via=via)
            except ActivityError as err:
                if self._took_effect:  # what an accepted decision set off: the workflow's own fault
                    raise
                del self._case.history[filed:]  # nothing of this decision is on file: nothing of it stays
                message = (f"{name} was not recorded: the case store did not answer "
                           f"({_cause(err)}); nothing changed, try again")
                workflow.logger.warning("decision not recorded", extra={"request_id": self._request_id,
                                                                        "decision": str(name), "via": via})
                self._show_details()
                metrics.decision_refused(str(name), "not_recorded")
                if via == "update":
                    raise ApplicationError(message, type=DECISION_REFUSED, non_retryable=True) from None
                return DecisionReceipt(accepted=False, state=self._case.state, message=message)

    async def _decide(self, name: DecisionName, raw: Any, *, via: str) -> DecisionReceipt:
        decision: Decision | None = None
        seal: Seal | None = None
        roster: RosterEntry | None = None
        if self._sealed_decisions is None:
            self._sealed_decisions = workflow.patched(SEALED_DECISIONS)
        step = "seal"  # the metrics' reason class: the step that refused it (les/metrics.py)
        try:
            if self._sealed_decisions or is_sealed(raw) or is_refusal(raw):
                seal, plain = self._unseal(raw)
            else:
                plain = raw
            step = "malformed"
            decision = parse_decision(name, plain, via)
            step = "not_allowed"
            self._case.precheck(decision)
            step = "roster"
            roster = await self._ask_roster(decision, raw if seal else None)
            step = "rules"
            facts = await self._look_up(decision, roster)
            self._case.check(decision, roster, facts, workflow.now())
        except Refused as refusal:
            metrics.decision_refused(str(name), _refusal_class(self._case, decision, roster, step))
            await self._record_decision(name, raw, decision, via, refused=str(refusal), seal=seal)
            await self._after_refusal(name, decision, str(refusal))
            if via == "update":
                raise ApplicationError(str(refusal), type=DECISION_REFUSED, non_retryable=True) from None
            return DecisionReceipt(accepted=False, state=self._case.state, message=str(refusal))
        await self._record_decision(name, raw, decision, via, seal=seal)  # on file before it takes effect
        outcome = self._case.decide(decision, roster, facts, workflow.now())
        self._took_effect = outcome.accepted
        if outcome.accepted:
            metrics.decision_accepted(str(name))
        if not outcome.accepted:  # a clock closed the case while the decision was being filed
            await self._record_decision(name, raw, decision, via, refused=outcome.message, seal=seal)
            metrics.decision_refused(str(name), "closed_meanwhile")
            return DecisionReceipt(accepted=False, state=self._case.state, message=outcome.message)
        if not self._case.closed:
            self._publish_state()
        await self._after_decision(decision)
        return DecisionReceipt(accepted=True, state=self._case.state, message=outcome.message)

    async def _ask_roster(self, decision: Decision, sealed: dict[str, Any] | None = None) -> RosterEntry:
        answer = await self._store(
            CaseActivities.authorize_decision,
            AuthorizeInput(request_id=self._request_id, actor=decision.actor, role=decision.role, sealed=sealed),
            summary=f"ask the roster whether {decision.actor} may {decision.name} as {decision.role}"
                    + (" (and check the seal)" if sealed else ""),
            options=DECISION,
        )
        if answer.seal_refused is not None:
            raise Refused(answer.seal_refused)
        if answer.roster is not None:
            return answer.roster
        # Histories recorded before the roster answered with the roles held: what it said then.
        if not answer.authorized:
            raise Refused(answer.reason)
        return RosterEntry(known=True, active=True, roles=[decision.role])

    async def _look_up(self, decision: Decision, roster: RosterEntry) -> Facts:
        """What a decision needs looked up before it is decided (a shape adds its own)."""
        return Facts()

    async def _after_decision(self, decision: Decision) -> None:
        """What an accepted decision sets off at once (a shape adds its own)."""

    async def _after_refusal(self, name: DecisionName, decision: Decision | None, reason: str) -> None:
        """What a refused decision sets off (a shape adds its own)."""

    async def _record_decision(
        self, name: DecisionName, raw: Any, decision: Decision | None, via: str, refused: str = "",
        seal: Seal | None = None,
    ) -> None:
        shown = raw.get("decision") if self._sealed_decisions and is_sealed(raw) else raw
        actor = decision.actor if decision else (seal.person if seal else (
            shown.get("actor") if isinstance(shown, dict) and not self._sealed_decisions else None))
        role = decision.role if decision else (shown.get("role") if isinstance(shown, dict) else None)
        await self._file(self._case.record(
            str(name), workflow.now(), actor=str(actor or "unknown"), role=str(role) if role else None,
            accepted=not refused, reason=refused, note=decision.note if decision else "", via=via,
            details=dict(decision.fields) if decision else {},
        ), DECISION)
        if seal is not None and seal.nonce not in self._case.seal_nonces:
            self._case.seal_nonces.append(seal.nonce)  # on file: this seal has been used

    async def _record_system_event(self, name: str, note: str = "", details: dict | None = None) -> None:
        await self._file(self._case.record(name, workflow.now(), note=note, details=details))

    async def _file(self, event: Any, options: dict[str, Any] = QUICK) -> None:
        await self._store(CaseActivities.record_case_event, event,
                          summary=f"file in the case history: {event.name}", options=options)
        self._show_details()

    # ---- what the case shows -------------------------------------------------------------------

    @workflow.query(name="status", description="State, open human tasks, deadlines, decisions so far.")
    def status(self) -> CaseStatus:
        check, case = self._check, self._case
        return CaseStatus(
            request_id=case.request_id,
            request_type=str(case.request_type),
            state=case.state,
            open_tasks=case.open_tasks(),
            deadlines={**(dict(check.deadlines) if check else {}), **self._extra_deadlines()},
            overdue=self._overdue,
            reminded=self._reminded,
            verdict=str(check.verdict) if check else None,
            permitted=[str(c) for c in check.permitted] if check else [],
            refused=[r.model_dump() for r in check.refused] if check else [],
            problems=[{"code": p.code, "message": p.message} for p in check.problems] if check else [],
            approvals_required=[str(r) for r in case.approvals_required],
            approvals=dict(case.approvals),
            history=list(case.history),
            production=self._productions[-1] if self._productions else None,
            productions=list(self._productions),
            invoice=self._invoice,
            resolution=case.resolution,
            details={**({"pending_checks": dict(check.pending_check_results)}
                        if check and check.pending_check_results else {}),
                     **self._target_details(), **self._status_details()},
            collection=self._collection_status(),
        )

    def _target_details(self) -> dict[str, Any]:
        """What each target matched, as verification found it (before anyone approves)."""
        if self._check is None or self._check.targets is None:
            return {}
        return {"targets": [t.model_dump(mode="json") for t in self._check.targets.targets]}

    def _extra_deadlines(self) -> dict[str, Any]:
        """Clocks the case itself set (a quote's expiry, a hold's lapse)."""
        return {}

    def _status_details(self) -> dict[str, Any]:
        """Type-specific facts for status (a shape adds its own)."""
        return {}

    def _collection_status(self) -> dict[str, Any] | None:
        """Surveillance only: where collection stands."""
        return None

    def _publish_state(self) -> None:
        """Tell the search attributes, the log and the Web UI the case's state, when it changed."""
        if not self._per_step():
            self._publish_state_each()
            return
        state = self._case.state
        if state is CaseState.CLOSED and not self._filed_closed:
            self._show_details()  # published once the close is filed
            return
        if state is not self._published:
            self._published = state
            workflow.logger.info("case state", extra={"request_id": self._request_id, "state": str(state)})
            if state not in UNPUBLISHED_STATES:
                self._set_attributes(CASE_STATE.value_set(str(state)))
        self._stage_queue()
        if state not in UNPUBLISHED_STATES:
            self._flush_attributes()
        self._show_details()

    def _publish_state_each(self) -> None:
        """_publish_state in runs before PER_STEP_ATTRIBUTES: an upsert per attribute changed."""
        state = self._case.state
        if state is self._published or (state is CaseState.CLOSED and not self._filed_closed):
            self._publish_queue()
            self._show_details()
            return
        self._published = state
        workflow.logger.info("case state", extra={"request_id": self._request_id, "state": str(state)})
        workflow.upsert_search_attributes([CASE_STATE.value_set(str(state))])
        self._publish_queue()
        self._show_details()

    # ---- search attributes and patches ------------------------------------------------------------

    def _local_store(self) -> bool:
        """Whether this run calls the case store's quick steps as local activities
        (LOCAL_CASE_STORE); asked at the run's first case-store call or search attribute, whichever
        comes first, the same point of every run, so its marker replays where it was made."""
        if self._local_store_calls is None:
            self._local_store_calls = workflow.patched(LOCAL_CASE_STORE)
        return self._local_store_calls

    def _per_step(self) -> bool:
        """Whether this run upserts once per step (PER_STEP_ATTRIBUTES, or LOCAL_CASE_STORE which
        implies it); asked at the run's first search attribute, so its marker replays where it was made."""
        if self._per_step_attributes is None:
            self._per_step_attributes = self._local_store() or workflow.patched(PER_STEP_ATTRIBUTES)
        return self._per_step_attributes

    async def _store(self, step: Callable[..., Any], arg: Any, *, summary: str,
                     options: dict[str, Any] = QUICK) -> Any:
        """One quick case-store step: a local activity in runs with LOCAL_CASE_STORE, else an activity.
        A local activity that fails for good raises its last error bare (an activity's comes as
        an ActivityError around it): wrapped here the same way, so what handles a failed step
        (`_receive`'s "not recorded, try again", a run failing on a non-retryable error) sees one
        kind of failure whichever way the step ran."""
        if not self._local_store():
            return await workflow.execute_activity_method(step, arg, summary=summary, **options)
        try:
            return await workflow.execute_local_activity_method(step, arg, summary=summary, **options)
        except (ApplicationError, TemporalTimeout) as err:
            name = getattr(step, "__name__", str(step))
            raise ActivityError(f"local activity {name} failed", scheduled_event_id=0, started_event_id=0,
                                identity="", activity_type=name, activity_id="", retry_state=None) from err

    def _patched(self, patch_id: str) -> bool:
        """workflow.patched(patch_id) for a patch before PER_STEP_ATTRIBUTES: a run with that one has it."""
        assert patch_id in EARLIER_PATCHES, patch_id
        return self._per_step() or workflow.patched(patch_id)

    def _set_attributes(self, *updates: Any, now: bool = False) -> None:
        """Upsert search attributes: at once before PER_STEP_ATTRIBUTES; after it, with the step's
        other changes when the state is next published, or at once (with them) when `now`."""
        if not self._per_step():
            workflow.upsert_search_attributes(list(updates))
            return
        for update in updates:
            self._pending_attributes[update.key.name] = update
        if now:
            self._flush_attributes()

    def _flush_attributes(self) -> None:
        if self._pending_attributes:
            workflow.upsert_search_attributes(list(self._pending_attributes.values()))
            self._pending_attributes.clear()

    def _stage_queue(self) -> None:
        """The queue attributes that changed, into the step's upsert (PER_STEP_ATTRIBUTES runs)."""
        queue = self._queue_attributes()
        if queue == self._queued or (self._case.closed and not self._filed_closed):
            return
        self._set_attributes(*self._queue_updates(queue))
        self._queued = queue

    def _queue_attributes(self) -> tuple[Any, ...]:
        """What the queues search on: who the case waits for, the collection's end, whether secrecy
        binds. Plain text on the server: roles, a moment and a flag, nothing identifying."""
        case, check = self._case, self._check
        waiting = ["none"] if case.closed else case.waiting_for()
        secrecy = None  # not known before verification
        if check is not None:
            binding = check.nondisclosure
            secrecy = binding is not None and (binding.until is None or binding.until > workflow.now())
        return tuple(waiting), case.order_end, secrecy

    def _publish_queue(self) -> None:
        """Upsert the queue search attributes when they changed. Histories recorded before they
        existed carry no `queue-search-attributes` marker and replay without these upserts."""
        queue = self._queue_attributes()
        if queue == self._queued or (self._case.closed and not self._filed_closed):
            return
        if not workflow.patched("queue-search-attributes"):
            return
        workflow.upsert_search_attributes(self._queue_updates(queue))
        self._queued = queue

    def _queue_updates(self, queue: tuple[Any, ...]) -> list[Any]:
        before = self._queued or ((), None, None)
        waiting, end, secrecy = queue
        updates: list[Any] = []
        if waiting != before[0]:
            updates.append(WAITING_FOR.value_set(list(waiting)))
        if end is not None and end != before[1]:
            updates.append(COLLECTION_END.value_set(end))
        if secrecy is not None and secrecy != before[2]:
            updates.append(SECRECY_BINDS.value_set(secrecy))
        return updates

    def _show_details(self) -> None:
        """Keep the workflow's Current Details (the Web UI) current: not a command, so never
        part of what a history replays."""
        workflow.set_current_details(self._details_markdown())

    def _details_markdown(self) -> str:
        check = self._check
        deadlines = {**(dict(check.deadlines) if check else {}), **self._extra_deadlines()}
        return case_page(
            self._case, workflow.now(), deadlines=deadlines,
            permitted=[str(c) for c in check.permitted] if check else None,
            refused=list(check.refused) if check else [],
            productions=self._productions, invoice=self._invoice, overdue=self._overdue,
            facts=self._details_facts(),
        )

    def _details_facts(self) -> list[str]:
        """The type's own lines on the case's page: a quote to accept, a verified callback, a hold."""
        case, facts = self._case, []
        if case.fee_quote_id:
            accepted = f", accepted (recorded by {case.fee_accepted_by})" if case.fee_accepted_by else \
                ": send its id in customer_accepts_fee once the customer accepts"
            facts.append(f"**Fee quote:** `{case.fee_quote_id}`{accepted}")
        if case.callback_verified:
            facts.append(f"**Callback verified** to the agency's directory number {case.callback_verified}")
        if case.hold_expires_at is not None:
            facts.append(f"**Hold:** in place until {case.hold_expires_at:%Y-%m-%d %H:%M} UTC; "
                         f"renewals recorded: {case.renewals} of 1")
        if case.follow_ups:
            facts.append(f"**Follow-up legal process:** {', '.join(case.follow_ups)}")
        if case.open_question:
            facts.append(f"**Open question to the requester:** {case.open_question}")
        return facts


def _cause(err: ActivityError) -> str:
    """Why the activity failed, in a few words: its timeout or its error's first line."""
    cause = err.cause
    while cause is not None and cause.cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.cause
    failure = cause or err
    text = failure.message if isinstance(failure, ApplicationError) else str(failure)
    return (text.splitlines()[0] if text else type(failure).__name__)[:160]


def _refusal_class(case: Case, decision: Decision | None, roster: RosterEntry | None, step: str) -> str:
    """The metrics' reason class of a refusal at `step` (les/metrics.py REFUSAL_REASONS): the
    rules' check runs the roster's first, so a refusal there is the roster's when the roster
    alone refuses it. Pure: it asks the case, it changes nothing and schedules nothing."""
    if step != "rules" or decision is None or roster is None:
        return step
    try:
        case.check_roster(decision, roster)
    except Refused:
        return "roster"
    return "rules"
