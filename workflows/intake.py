"""The desk's intake of a person's decision (SPEC §3, §6): unseal, parse, check, ask the roster,
look up what the decision needs, file it, apply it — one decision at a time, under the desk's lock."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.case import CaseActivities
    from domain.case import DecisionReceipt
    from domain.case_machine import Decision, Facts, Refused, parse_decision
    from domain.contracts import AuthorizeInput, RosterEntry
    from domain.seals import Seal, SealProblem, as_decision, check_seal, is_refusal, is_sealed, open_envelope
    from domain.vocabulary import DecisionName
    from les import metrics
    from les.failures import DECISION_REFUSED
    from workflows.activity_options import DECISION
    from workflows.versions import SEALED_DECISIONS

if TYPE_CHECKING:
    from workflows.case_desk import CaseDesk


class DecisionIntake:
    """Takes a desk's decisions: `validate` (an update's validator) and `receive` (its handler)."""

    def __init__(self, desk: CaseDesk) -> None:
        self._desk = desk
        self._took_effect = False
        """Whether the decision being received has taken effect (past that, no "not recorded")."""

    def _sealed(self) -> bool | None:
        """Whether this run takes only sealed decisions; None before its first decision asked."""
        return self._desk.versions.asked(SEALED_DECISIONS)

    def validate(self, name: DecisionName, raw: Any) -> None:
        """Update validator: refuse before anything is written to history. (Whether the run takes
        sealed decisions is asked at its first decision, which a validator may not do: until then the
        handler checks the seal.)"""
        step = "seal"
        try:
            if self._sealed() or is_sealed(raw) or is_refusal(raw):
                raw = self._unseal(raw)[1]
            step = "malformed"
            decision = parse_decision(name, raw)
            step = "not_allowed"
            cheap = self._desk.case.evaluate(decision)  # without the roster: it runs before history
            if not cheap.accepted:
                raise Refused(cheap.message)
        except Refused as refusal:
            metrics.decision_refused(str(name), step)
            raise ApplicationError(str(refusal), type=DECISION_REFUSED, non_retryable=True) from None

    def _unseal(self, raw: Any) -> tuple[Seal, dict[str, Any]]:
        """The seal and the decision it carries, when both may take effect on this case now (all that
        needs no key: the signature is the roster activity's); Refused saying which check failed."""
        desk = self._desk
        try:
            seal, decision = open_envelope(raw)  # a refusal in its place says why
            check_seal(seal, decision, request_id=desk.request_id, now=workflow.now(),
                       compartment="natsec" if desk.plan.cleared_only else "general",
                       nonces_used=desk.case.seal_nonces)
        except SealProblem as problem:
            raise Refused(str(problem)) from None
        return seal, as_decision(seal, decision)

    async def receive(self, name: DecisionName, raw: Any, *, via: str) -> DecisionReceipt:
        """Check, ask the roster, decide, record: one decision at a time, in arrival order.

        The roster, the look-ups and the filing run with bounded retries (DECISION). When one
        fails for good, the decision has not taken effect (it is filed before it takes effect),
        so the case is left as it was, its history too, and the person is told it was not
        recorded and to try again: a refusal, within seconds, whatever the outage."""
        desk = self._desk
        async with desk.lock:
            filed = len(desk.case.history)
            self._took_effect = False
            try:
                return await self._decide(name, raw, via=via)
            except ActivityError as err:
                if self._took_effect:  # what an accepted decision set off: the workflow's own fault
                    raise
                del desk.case.history[filed:]  # nothing of this decision is on file: nothing of it stays
                message = (f"{name} was not recorded: the case store did not answer "
                           f"({_cause(err)}); nothing changed, try again")
                workflow.logger.warning("decision not recorded", extra={"request_id": desk.request_id,
                                                                        "decision": str(name), "via": via})
                desk.visibility.show_details()
                metrics.decision_refused(str(name), "not_recorded")
                if via == "update":
                    raise ApplicationError(message, type=DECISION_REFUSED, non_retryable=True) from None
                return DecisionReceipt(accepted=False, state=desk.case.state, message=message)

    async def _decide(self, name: DecisionName, raw: Any, *, via: str) -> DecisionReceipt:
        desk, case = self._desk, self._desk.case
        decision: Decision | None = None
        seal: Seal | None = None
        roster: RosterEntry | None = None
        sealed_run = desk.versions.has(SEALED_DECISIONS)  # asked at the run's first decision
        step = "seal"  # the metrics' reason class: the step that refused it (les/metrics.py)
        try:
            if sealed_run or is_sealed(raw) or is_refusal(raw):
                seal, plain = self._unseal(raw)
            else:
                plain = raw
            step = "malformed"
            decision = parse_decision(name, plain, via)
            step = "not_allowed"
            cheap = case.evaluate(decision)  # before the roster is asked
            if not cheap.accepted:
                raise Refused(cheap.message)
            step = "roster"
            roster = await self._ask_roster(decision, raw if seal else None)
            facts = await self._look_up(decision, roster)
            transition = case.evaluate(decision, roster, facts, workflow.now())
            if not transition.accepted:
                # The roster's refusal is the roster's; any other past the roster is the rules' (les/metrics.py).
                step = "roster" if transition.refused_by == "roster" else "rules"
                raise Refused(transition.message)
        except Refused as refusal:
            metrics.decision_refused(str(name), step)
            await self._record(name, raw, decision, via, refused=str(refusal), seal=seal)
            for part in desk.parts:
                await part.after_refusal(name, decision, str(refusal))
            if via == "update":
                raise ApplicationError(str(refusal), type=DECISION_REFUSED, non_retryable=True) from None
            return DecisionReceipt(accepted=False, state=case.state, message=str(refusal))
        await self._record(name, raw, decision, via, seal=seal)  # on file before it takes effect
        outcome = case.apply(transition, workflow.now())
        self._took_effect = outcome.accepted
        if outcome.accepted:
            metrics.decision_accepted(str(name))
        if not outcome.accepted:  # a clock closed the case while the decision was being filed
            await self._record(name, raw, decision, via, refused=outcome.message, seal=seal)
            metrics.decision_refused(str(name), "closed_meanwhile")
            return DecisionReceipt(accepted=False, state=case.state, message=outcome.message)
        if not case.closed:
            desk.visibility.publish()
        for part in desk.parts:
            await part.after_decision(decision)
        return DecisionReceipt(accepted=True, state=case.state, message=outcome.message)

    async def _ask_roster(self, decision: Decision, sealed: dict[str, Any] | None = None) -> RosterEntry:
        answer = await self._desk.store.call(
            CaseActivities.authorize_decision,
            AuthorizeInput(request_id=self._desk.request_id, actor=decision.actor, role=decision.role,
                           sealed=sealed),
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
        """What the desk's parts look up for this decision (an emergency's callback, an extension order)."""
        for part in self._desk.parts:
            facts = await part.look_up(decision, roster)
            if facts is not None:
                return facts
        return Facts()

    async def _record(self, name: DecisionName, raw: Any, decision: Decision | None, via: str,
                      refused: str = "", seal: Seal | None = None) -> None:
        case, sealed_run = self._desk.case, self._sealed()
        shown = raw.get("decision") if sealed_run and is_sealed(raw) else raw
        actor = decision.actor if decision else (seal.person if seal else (
            shown.get("actor") if isinstance(shown, dict) and not sealed_run else None))
        role = decision.role if decision else (shown.get("role") if isinstance(shown, dict) else None)
        await self._desk.store.file(case.record(
            str(name), workflow.now(), actor=str(actor or "unknown"), role=str(role) if role else None,
            accepted=not refused, reason=refused, note=decision.note if decision else "", via=via,
            details=dict(decision.fields) if decision else {},
        ), DECISION)
        if seal is not None and seal.nonce not in case.seal_nonces:
            case.seal_nonces.append(seal.nonce)  # on file: this seal has been used


def _cause(err: ActivityError) -> str:
    """Why the activity failed, in a few words: its timeout or its error's first line."""
    cause = err.cause
    while cause is not None and cause.cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.cause
    failure = cause or err
    text = failure.message if isinstance(failure, ApplicationError) else str(failure)
    return (text.splitlines()[0] if text else type(failure).__name__)[:160]
