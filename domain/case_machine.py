"""The case as a pure state machine: every state, every decision by role, every transition.

One `Case` object holds everything a request workflow knows about its case (it is a
pydantic model, so continue-as-new can carry it whole). People change it through
`Case.decide`; the workflow's own steps through `advance`, `close` and the few named
system events. The rules it enforces, whatever the order things arrive in:

- the first closing decision or event wins; a closed case never changes state again;
- nothing is accepted after the close;
- a type takes only the decisions its plan names, each only from the roles allowed, from
  actors active on the roster who hold the role (and the cleared role on NSL and FISA);
- approvals come from different people (separation of duties);
- every refusal says why.

No I/O and no clock of its own: the roster's answer and the moment are passed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, TypeAdapter, ValidationError

from domain.case import OPEN_FOR_DECISION, CaseState, Resolution
from domain.clocks import preservation_expiry, title3_expiry
from domain.contracts import CaseEvent, ExtensionOrder, RosterEntry
from domain.decisions import DECISION_ROLES, DecisionPayload, missing_fields
from domain.findings import article
from domain.plans import Gate, RequestPlan, Shape, plan_for
from domain.surveillance import extension_end, interception_start_problem
from domain.vocabulary import DecisionName, RequestType, Role

D, S = DecisionName, CaseState

SYSTEM = "les-orchestrator"
OVERRIDE = "requester_override"
"""The field of a supervisor's approve that overrides an unverified requester on an emergency."""
"""The actor named on events the system records by itself."""

# The workflow's own steps: from each state, the states it may move the case to.
SYSTEM_STEPS: dict[CaseState, frozenset[CaseState]] = {
    S.VERIFYING: frozenset({S.AWAITING_APPROVAL, S.AWAITING_CALLBACK, S.AWAITING_FEE_ACCEPTANCE}),
    S.RETRIEVING: frozenset({S.PACKAGING, S.PRESERVED}),
    S.PACKAGING: frozenset({S.DELIVERING}),
    S.DELIVERING: frozenset({S.BILLING}),
    S.BILLING: frozenset({S.AWAITING_FOLLOW_UP}),
    S.PROVISIONING: frozenset({S.COLLECTING}),
    S.COLLECTING: frozenset({S.BILLING}),
}

# Where a withdrawal leaves each state it is allowed in, and what it closes as.
WITHDRAWAL: dict[CaseState, Resolution] = {
    **dict.fromkeys(OPEN_FOR_DECISION, Resolution.WITHDRAWN),
    S.PRESERVED: Resolution.HOLD_RELEASED,
    S.PROVISIONING: Resolution.VACATED,
    S.COLLECTING: Resolution.VACATED,
}

WITHDRAWN_WHILE_PRODUCING = frozenset({S.RETRIEVING, S.PACKAGING})
"""Where a withdrawal is also accepted once the workflow can stop its production (the
`withdraw-during-retrieval` patch sets `Case.withdraw_while_producing`): retrieval and packaging
are cancelled and their staging discarded. Never once delivering: a delivered production cannot
be unsent."""

_MOMENT = TypeAdapter(AwareDatetime)


class Refused(Exception):
    """A decision that may not change the case, with the reason the actor is told."""


class Decision(BaseModel):
    """One human decision as it reached the case: who, in which role, and its fields."""

    name: DecisionName
    actor: str
    role: Role
    note: str = ""
    fields: dict[str, Any] = Field(default_factory=dict)
    """The decision's own fields beyond actor, role and note (question, quote_id, ...)."""
    via: str = "update"
    """signal or update."""


class Facts(BaseModel):
    """What the workflow looked up for a decision before it is decided (None: not asked)."""

    callback_listed: bool | None = None
    """verify_callback: whether the number is the agency's number in the agency directory."""
    directory_numbers: list[str] = Field(default_factory=list)
    extension: ExtensionOrder | None = None
    """record_extension of an order: the new order it names."""


class Outcome(BaseModel):
    """What deciding did: accepted or refused, and the message the actor is told."""

    accepted: bool
    message: str
    state: CaseState
    closed: bool = False


class Transition(BaseModel):
    """What a decision would do to the case as it stood when evaluated (`Case.evaluate`): accepted,
    with the case it leads to, or refused with the reason and the step that refused it (the
    metrics' reason class: `not_allowed`, `roster`, `rules`). `Case.apply` makes it take effect."""

    decision: Decision
    accepted: bool
    message: str
    refused_by: str = ""
    """The step that refused it; empty when accepted."""
    roster: RosterEntry | None = None
    facts: Facts | None = None
    now: datetime | None = None
    before: dict[str, Any] = Field(default_factory=dict)
    """The case it was evaluated on, but its history (what a filing adds does not change it)."""
    after: dict[str, Any] = Field(default_factory=dict)
    """The case it leads to, but its history; empty when refused."""


def parse_decision(name: DecisionName, raw: Any, via: str = "update") -> Decision:
    """The decision object from raw JSON, or Refused saying which field is wrong."""
    if not isinstance(raw, dict):
        raise Refused(
            f"{name}: expected one JSON object like "
            '{"actor": "jdoe", "role": "analyst", "note": "..."}'
            f", got {type(raw).__name__}"
        )
    try:
        payload = DecisionPayload.model_validate(raw)
    except ValidationError as err:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'decision'}: {e['msg']}" for e in err.errors()
        )
        raise Refused(f"{name}: malformed decision ({fields})") from None
    return Decision(name=name, actor=payload.actor, role=Role(payload.role), note=payload.note.strip(),
                    fields=dict(payload.model_extra or {}), via=via)


def _moment(decision: Decision, field: str) -> datetime:
    try:
        return _MOMENT.validate_python(decision.fields.get(field))
    except ValidationError:
        raise Refused(
            f"{decision.name}: `{field}` must be a timestamp with an offset or Z "
            f"(got {decision.fields.get(field)!r})"
        ) from None


class Case(BaseModel):
    """Everything one request's workflow holds about its case."""

    request_id: str
    request_type: RequestType
    received_at: datetime | None = None
    state: CaseState = S.VERIFYING
    resolution: Resolution | None = None
    closing_note: str = ""
    approvals_required: list[Role] = Field(default_factory=list)
    approvals: dict[str, str] = Field(default_factory=dict)
    """Role -> the actor who gave that approval."""
    seal_nonces: list[str] = Field(default_factory=list)
    """The nonces of the seals this case has taken decisions under: a seal takes effect once (SPEC §6)."""
    open_question: str | None = None
    resume_state: CaseState | None = None
    """Where provide_info returns the case to."""
    production_not_before: datetime | None = None
    """A civil subpoena's motion-to-quash period: approvals given, production still waits."""
    nothing_resolved: bool = False
    """No target matched a subscriber: approving confirms that no responsive records exist."""
    callback_verified: str | None = None
    requester_doubts: list[str] = Field(default_factory=list)
    """What verification found doubtful about the requester (domain.requesters); empty: verified."""
    requester_override: str | None = None
    """An emergency from an unverified requester: the supervisor who overrode, and why."""
    fee_quote_id: str | None = None
    fee_accepted_by: str | None = None
    hold_expires_at: datetime | None = None
    renewals: int = 0
    follow_ups: list[str] = Field(default_factory=list)
    order_issued_at: datetime | None = None
    """Surveillance: when the order was entered."""
    order_duration_days: int | None = None
    order_end: datetime | None = None
    """Surveillance: the legal instant collection must be off, moved by extensions and (Title III)
    by the first interception."""
    interception_started_at: datetime | None = None
    collects: bool = False
    """A FISA order naming pen_trap or intercept_content: collected prospectively (surveillance)."""
    extensions: list[str] = Field(default_factory=list)
    withdraw_while_producing: bool = False
    """The workflow can cancel its retrieval and packaging: a withdrawal is accepted then too
    (False in runs recorded before, which refused it as too late)."""
    history: list[CaseEvent] = Field(default_factory=list)

    @property
    def plan(self) -> RequestPlan:
        return plan_for(self.request_type)

    @property
    def shape(self) -> Shape:
        """The type's shape; a FISA order that collects prospectively runs as surveillance."""
        return Shape.SURVEILLANCE if self.collects else self.plan.shape

    def decisions(self) -> frozenset[DecisionName]:
        """The decisions this case takes: its type's, and an extension for a collecting FISA order."""
        extra = frozenset({D.RECORD_EXTENSION}) if self.collects else frozenset()
        return self.plan.decisions | extra

    def roles_for(self, name: DecisionName) -> frozenset[Role]:
        if name is D.RECORD_EXTENSION and self.collects:
            return DECISION_ROLES[name]
        return self.plan.roles_for(name)

    @property
    def closed(self) -> bool:
        return self.state is S.CLOSED

    # ---- the history -------------------------------------------------------------------------

    def record(self, name: str, at: datetime, *, actor: str = SYSTEM, role: str | None = None,
               accepted: bool = True, reason: str = "", note: str = "", via: str = "system",
               details: dict[str, Any] | None = None) -> CaseEvent:
        """Append one event to the history and return it (the workflow files it in the store)."""
        event = CaseEvent(request_id=self.request_id, seq=len(self.history) + 1, at=at, name=name,
                          actor=actor, role=role, accepted=accepted, reason=reason, note=note, via=via,
                          details=details or {})
        self.history.append(event)
        return event

    # ---- the system's own steps --------------------------------------------------------------

    def verified(self, *, rejection: str | None, identity_confirmed: bool = False,
                 production_not_before: datetime | None = None, nothing_resolved: bool = False,
                 requester_doubts: list[str] | None = None) -> CaseState:
        """After verification: closed on a fatal problem, else the type's first gate."""
        self.requester_doubts = list(requester_doubts or [])
        if rejection is not None:
            self.close(Resolution.REJECTED_ON_VERIFICATION, rejection)
            return self.state
        plan = self.plan
        self.approvals_required = list(plan.approvals)
        self.production_not_before = production_not_before
        self.nothing_resolved = nothing_resolved
        if plan.gate is Gate.CALLBACK:
            first = S.AWAITING_CALLBACK
        elif plan.gate is Gate.CUSTOMER_IDENTITY and identity_confirmed:
            # The PIN matched the account: no person needs to confirm who the customer is.
            self.approvals_required = []
            first = S.AWAITING_FEE_ACCEPTANCE
        else:
            first = S.AWAITING_APPROVAL
        self.advance(first)
        return self.state

    def advance(self, state: CaseState) -> bool:
        """Move the case on by one of the workflow's own steps; False once it is closed."""
        if self.closed:
            return False
        if (state not in SYSTEM_STEPS.get(self.state, frozenset()) or not self._shape_has(state)
                or not self._shape_has(self.state)):
            raise ValueError(f"{self.request_id}: no step leads from {self.state} to {state}")
        self.state = state
        return True

    def _shape_has(self, state: CaseState) -> bool:
        """States only some shapes pass through."""
        plan = self.plan
        if state is S.PRESERVED:
            return self.shape is Shape.PRESERVATION
        if state in (S.PROVISIONING, S.COLLECTING):
            return self.shape is Shape.SURVEILLANCE
        if state is S.AWAITING_FOLLOW_UP:
            return plan.follow_up_window is not None
        if state is S.PACKAGING:
            return plan.shape is not Shape.PRESERVATION
        return True

    def close(self, resolution: Resolution, note: str = "") -> bool:
        """Close the case; False when it was already closed (the first close wins)."""
        if self.closed:
            return False
        self.state, self.resolution, self.closing_note = S.CLOSED, resolution, note
        return True

    def production_released(self, now: datetime) -> bool:
        """Whether an approved case may produce now (a notice period may still run)."""
        return self.production_not_before is None or now >= self.production_not_before

    def release_production(self, now: datetime) -> bool:
        """The notice period ended: an approved case starts retrieving."""
        if self.state is S.AWAITING_APPROVAL and not self.missing_approvals() and self.production_released(now):
            self.state = S.RETRIEVING
            return True
        return False

    def surveillance_order(self, issued_at: datetime, end: datetime, duration_days: int | None) -> None:
        """The order's clock as verification computed it (LEGAL.md Clocks)."""
        self.order_issued_at, self.order_end, self.order_duration_days = issued_at, end, duration_days

    def quote_issued(self, quote_id: str) -> None:
        self.fee_quote_id = quote_id

    def held(self, expires_at: datetime) -> bool:
        """The preservation hold was placed (RETRIEVING -> PRESERVED)."""
        if not self.advance(S.PRESERVED):
            return False
        self.hold_expires_at = expires_at
        return True

    def follow_up_arrived(self, request_id: str) -> bool:
        """Legal process naming this emergency arrived; it closes a case waiting for it."""
        if self.closed or request_id in self.follow_ups:
            return False
        self.follow_ups.append(request_id)
        if self.state is S.AWAITING_FOLLOW_UP:
            self.close(Resolution.DELIVERED, f"followed up by {request_id}")
        return True

    def court_order_followed(self, request_id: str, end: datetime) -> bool:
        """The court order an emergency authorisation needed arrived: collection runs to its end."""
        if self.closed or self.follow_ups:
            return False
        self.follow_ups.append(request_id)
        self.order_end = end
        return True

    def hold_produced(self, request_id: str) -> bool:
        """A demand took the held records: a preserved case closes as produced."""
        if self.state is not S.PRESERVED:
            return False
        return self.close(Resolution.PRODUCED, f"produced for {request_id}")

    # ---- people's decisions ------------------------------------------------------------------

    def precheck(self, decision: Decision) -> None:
        """Every check that needs neither the roster nor a look-up; raises Refused."""
        name, role = decision.name, decision.role
        if self.closed:
            raise Refused(f"the case is closed ({self.resolution}); nothing can change it now")
        if name not in self.decisions():
            raise Refused(f"{name} is not a decision {article(str(self.request_type))} takes")
        if role not in self.roles_for(name):
            allowed = ", ".join(sorted(self.roles_for(name)))
            raise Refused(f"role {role} may not {name} (allowed: {allowed})")
        missing = missing_fields(name, DecisionPayload.model_validate(
            {"actor": decision.actor, "role": role, "note": decision.note, **decision.fields}))
        if missing:
            raise Refused(f"{name}: the decision needs a non-empty `{'`, `'.join(missing)}`")
        RULES[name][0](self, decision)

    def check(self, decision: Decision, roster: RosterEntry, facts: Facts | None = None,
              now: datetime | None = None) -> None:
        """Every check `decide` makes, changing nothing; raises Refused."""
        trial = self.model_copy(deep=True)
        outcome = trial.decide(decision, roster, facts, now)
        if not outcome.accepted:
            raise Refused(outcome.message)

    def decide(self, decision: Decision, roster: RosterEntry, facts: Facts | None = None,
               now: datetime | None = None) -> Outcome:
        """Check the decision against the case as it stands now, then apply it."""
        try:
            self.precheck(decision)
            self._check_roster(decision, roster)
            message = RULES[decision.name][1](self, decision, facts or Facts(), now)
        except Refused as refusal:
            return Outcome(accepted=False, message=str(refusal), state=self.state)
        return Outcome(accepted=True, message=message, state=self.state, closed=self.closed)

    def evaluate(self, decision: Decision, roster: RosterEntry | None = None, facts: Facts | None = None,
                 now: datetime | None = None) -> Transition:
        """What `decision` would do to the case as it stands, changing nothing: every check in order
        (the cheap ones, then the roster's, then the rules with the facts looked up), once each, and
        the rule's effect on a copy. Without a roster only the cheap checks run (an update's validator,
        or before asking the roster): accepted then means "may go on to the roster"."""
        if roster is None:  # the cheap checks alone: nothing to copy, nothing they change
            try:
                self.precheck(decision)
            except Refused as refusal:
                return Transition(decision=decision, accepted=False, message=str(refusal), refused_by="not_allowed")
            return Transition(decision=decision, accepted=True, message="")
        before = self.model_dump(exclude={"history"})
        trial = self.model_copy(update={"history": []}, deep=True)
        step = "not_allowed"
        try:
            trial.precheck(decision)
            step = "roster"
            trial._check_roster(decision, roster)
            step = "rules"
            message = RULES[decision.name][1](trial, decision, facts or Facts(), now)
        except Refused as refusal:
            return Transition(decision=decision, accepted=False, message=str(refusal), refused_by=step,
                              roster=roster, facts=facts, now=now, before=before)
        return Transition(decision=decision, accepted=True, message=message, roster=roster, facts=facts, now=now,
                          before=before, after=trial.model_dump(exclude={"history"}))

    def apply(self, transition: Transition, now: datetime | None = None) -> Outcome:
        """Make an accepted transition take effect at `now`. When the case changed since it was
        evaluated, or the moment did (a clock moved or closed it while the decision was being filed),
        it is decided afresh on the case as it stands now, which refuses it on a closed case."""
        if not transition.accepted or transition.roster is None:
            return Outcome(accepted=False, message=transition.message or "not evaluated", state=self.state)
        if now != transition.now or self.model_dump(exclude={"history"}) != transition.before:
            return self.decide(transition.decision, transition.roster, transition.facts, now)
        for name, value in transition.after.items():
            setattr(self, name, value)
        return Outcome(accepted=True, message=transition.message, state=self.state, closed=self.closed)

    def check_roster(self, decision: Decision, roster: RosterEntry) -> None:
        """Whether the roster lets this actor take this decision in this role; raises Refused,
        changes nothing (`decide` checks it too)."""
        self._check_roster(decision, roster)

    def _check_roster(self, decision: Decision, roster: RosterEntry) -> None:
        actor, role = decision.actor, decision.role
        if not roster.known:
            raise Refused(f"{actor} is not on the roster")
        if not roster.active:
            raise Refused(f"{actor} is no longer active on the roster")
        if role not in roster.roles:
            held = ", ".join(sorted(roster.roles)) or "none"
            raise Refused(f"{actor} does not hold the {role} role (holds: {held})")
        if self.plan.cleared_only and Role.CLEARED not in roster.roles:
            raise Refused(f"a {self.request_type} is handled only by cleared actors; {actor} is not cleared")

    def _require_state(self, decision: Decision, *states: CaseState) -> None:
        if self.state not in states:
            raise Refused(f"{decision.name} is not possible now: the case is {self.state}")

    # approve

    def _check_approve(self, decision: Decision) -> None:
        self._require_state(decision, S.AWAITING_APPROVAL)
        role, actor = decision.role, decision.actor
        if not self.missing_approvals():
            raise Refused("every approval was already given; production waits for its notice period")
        if role not in self.approvals_required:
            needed = ", ".join(self.approvals_required)
            raise Refused(f"this request is approved by: {needed}; not by {role}")
        if role in self.approvals:
            raise Refused(f"the {role} approval was already given by {self.approvals[role]}")
        if actor in self.approvals.values():
            raise Refused(f"{actor} already approved this request; a second approval must come from "
                          "another person (separation of duties)")
        if self._needs_override(role) and not str(decision.fields.get(OVERRIDE) or "").strip():
            raise Refused(f"the requester is not verified ({'; '.join(self.requester_doubts)}); a supervisor "
                          f"approves an emergency from an unverified requester only with `{OVERRIDE}`: the "
                          "reason, kept in the case history")

    def _needs_override(self, role: Role) -> bool:
        """An emergency from an unverified requester: its supervisor approval is an explicit override."""
        return self.request_type is RequestType.EMERGENCY and bool(self.requester_doubts) and role is Role.SUPERVISOR

    def _apply_approve(self, decision: Decision, facts: Facts, now: datetime | None) -> str:
        self.approvals[str(decision.role)] = decision.actor
        if self._needs_override(decision.role):
            self.requester_override = f"{decision.actor}: {str(decision.fields[OVERRIDE]).strip()}"
        missing = self.missing_approvals()
        if missing:
            return f"approved by {decision.actor}; still awaiting: {', '.join(missing)}"
        if self.plan.gate is Gate.CUSTOMER_IDENTITY and self.fee_accepted_by is None:
            self.state = S.AWAITING_FEE_ACCEPTANCE
            return "identity confirmed: the fee is quoted and waits for the customer's acceptance"
        if self.shape is Shape.SURVEILLANCE:
            self.state = S.PROVISIONING
            return "approved: provisioning collection at the mediation system"
        if now is not None and not self.production_released(now):
            return (f"approved; production waits for the customer notice period until "
                    f"{self.production_not_before:%Y-%m-%d %H:%M %Z}")
        self.state = S.RETRIEVING
        if self.nothing_resolved:
            return ("approved: no target matches a subscriber; the request closes with a "
                    "'no responsive records' letter signed by the custodian")
        if self.shape is Shape.PRESERVATION:
            return "approved: copying the named records into the hold"
        return "approved: retrieving the permitted records"

    # reject and withdraw

    def _check_reject(self, decision: Decision) -> None:
        self._require_state(decision, *OPEN_FOR_DECISION)

    def _apply_reject(self, decision: Decision, facts: Facts, now: datetime | None) -> str:
        self.close(Resolution.REJECTED_BY_ANALYST, f"{decision.actor}: {decision.note}")
        return "rejected: nothing will be produced"

    def _check_withdraw(self, decision: Decision) -> None:
        if self.state in WITHDRAWAL:
            return
        if self.withdraw_while_producing and self.state in WITHDRAWN_WHILE_PRODUCING:
            return
        raise Refused(f"too late to withdraw: the case is {self.state}")

    def _apply_withdraw(self, decision: Decision, facts: Facts, now: datetime | None) -> str:
        producing = self.state in WITHDRAWN_WHILE_PRODUCING  # never a state WITHDRAWAL maps: they are disjoint
        resolution = WITHDRAWAL.get(self.state, Resolution.WITHDRAWN)
        self.close(resolution, f"{decision.actor}: {decision.note}")
        if producing:
            return "withdrawn: the production under way is stopped and discarded; nothing is delivered"
        return {Resolution.HOLD_RELEASED: "withdrawn: the hold is released",
                Resolution.VACATED: "withdrawn: collection is switched off"}.get(
            resolution, "withdrawn: the case closes without production")

    # request_info and provide_info

    def _check_request_info(self, decision: Decision) -> None:
        self._require_state(decision, S.AWAITING_APPROVAL, S.AWAITING_CALLBACK, S.AWAITING_FEE_ACCEPTANCE)

    def _apply_request_info(self, decision: Decision, facts: Facts, now: datetime | None) -> str:
        self.open_question = str(decision.fields.get("question", ""))
        self.resume_state, self.state = self.state, S.AWAITING_INFO
        return "information requested; the case waits for the answer"

    def _check_provide_info(self, decision: Decision) -> None:
        if self.state is not S.AWAITING_INFO:
            raise Refused(f"no information was requested; the case is {self.state}")

    def _apply_provide_info(self, decision: Decision, facts: Facts, now: datetime | None) -> str:
        self.state = self.resume_state or S.AWAITING_APPROVAL
        self.open_question, self.resume_state = None, None
        return f"information recorded; the case is {self.state} again"

    # verify_callback (emergency)

    def _check_verify_callback(self, decision: Decision) -> None:
        self._require_state(decision, S.AWAITING_CALLBACK)
        _moment(decision, "verified_at")

    def _apply_verify_callback(self, decision: Decision, facts: Facts, now: datetime | None) -> str:
        number = str(decision.fields.get("number"))
        verified_at = _moment(decision, "verified_at")
        if now is not None and verified_at > now:
            raise Refused(f"verified_at {verified_at.isoformat()} is in the future")
        if self.received_at is not None and verified_at < self.received_at:
            raise Refused(f"verified_at {verified_at.isoformat()} is before the request was received "
                          f"({self.received_at.isoformat()}); the callback verifies this request")
        if facts.callback_listed is None:
            raise Refused("the agency directory could not be consulted; try again")
        if not facts.callback_listed:
            listed = ", ".join(facts.directory_numbers) or "none on file"
            raise Refused(f"{number} is not the agency's number in the agency directory ({listed}); "
                          "a callback must go to the directory number, never one the requester supplied")
        self.callback_verified = number
        self.state = S.AWAITING_APPROVAL
        return f"callback to {number} verified; the request awaits approval"

    # customer_accepts_fee (customer_call_lookup)

    def _check_customer_accepts_fee(self, decision: Decision) -> None:
        self._require_state(decision, S.AWAITING_FEE_ACCEPTANCE)
        quote = str(decision.fields.get("quote_id"))
        if self.fee_quote_id is None:
            raise Refused("no fee has been quoted yet")
        if quote != self.fee_quote_id:
            raise Refused(f"quote {quote} is not this request's quote ({self.fee_quote_id})")

    def _apply_customer_accepts_fee(self, decision: Decision, facts: Facts, now: datetime | None) -> str:
        self.fee_accepted_by = decision.actor
        self.state = S.RETRIEVING
        return f"fee accepted (quote {self.fee_quote_id}): searching the customer's own outgoing calls"

    # record_extension

    def _check_record_extension(self, decision: Decision) -> None:
        if self.shape is Shape.SURVEILLANCE:
            self._check_order_extension(decision)
            return
        self._require_state(decision, S.PRESERVED)
        renewal_at = _moment(decision, "renewal_received_at")
        assert self.hold_expires_at is not None and self.received_at is not None
        if self.renewals >= 1:
            raise Refused("18 U.S.C. 2703(f)(2) allows one 90-day renewal, already recorded; a new "
                          "preservation request starts a new hold")
        if renewal_at >= self.hold_expires_at:
            raise Refused(f"the renewal was received {renewal_at.isoformat()}, after the hold lapsed at "
                          f"{self.hold_expires_at.isoformat()}; a new preservation request starts a new hold")
        if renewal_at < self.received_at:
            raise Refused("the renewal cannot have been received before the preservation request itself")

    def _apply_record_extension(self, decision: Decision, facts: Facts, now: datetime | None) -> str:
        if self.shape is Shape.SURVEILLANCE:
            return self._apply_order_extension(decision, facts, now)
        if now is not None and _moment(decision, "renewal_received_at") > now:
            raise Refused("renewal_received_at is in the future")
        assert self.received_at is not None
        self.renewals += 1
        self.hold_expires_at = preservation_expiry(self.received_at, self.renewals)
        return f"renewed: the hold now runs to {self.hold_expires_at.isoformat()}"

    # record_extension of a surveillance order: a new order of the same type, verified

    def _check_order_extension(self, decision: Decision) -> None:
        self._require_state(decision, S.PROVISIONING, S.COLLECTING)
        named = str(decision.fields.get("extension_request_id") or "").strip()
        if not named:
            raise Refused("record_extension: the decision needs a non-empty `extension_request_id` (the new order)")
        if named in self.extensions:
            raise Refused(f"the extension {named} is already recorded")

    def _apply_order_extension(self, decision: Decision, facts: Facts, now: datetime | None) -> str:
        named = str(decision.fields.get("extension_request_id")).strip()
        order = facts.extension
        if order is None:
            raise Refused("the extension order could not be looked up; try again")
        if not order.found:
            raise Refused(f"no request {named} is on file: submit the new order first")
        if order.request_type != self.request_type:
            raise Refused(f"{named} is a {order.request_type}; a {self.request_type} is extended only by "
                          f"a new {self.request_type}")
        if order.extension_of != self.request_id:
            raise Refused(f"{named}'s legal_process.extension_of names {order.extension_of!r}, not {self.request_id}")
        if order.verdict is None or order.verdict == "reject":
            raise Refused(f"{named} has not passed verification ({order.verdict or 'not verified yet'})")
        if self.order_end is None:
            raise Refused("the order's clock is not known yet; try again once collection is provisioned")
        if now is not None and now >= self.order_end:
            raise Refused(f"the order expired at {self.order_end.isoformat()}; an expired order cannot be "
                          "extended: a new order starts a new case")
        try:
            new_end = extension_end(self.request_type, self.order_end, order.duration_days)
        except ValueError as err:
            raise Refused(str(err)) from None
        self.order_end = new_end
        self.extensions.append(named)
        return f"extended by {named}: collection now ends {new_end.isoformat()}"

    # record_interception_started (Title III): the 30 days run from the earlier of this and day 10

    def _check_record_interception_started(self, decision: Decision) -> None:
        self._require_state(decision, S.PROVISIONING, S.COLLECTING)
        _moment(decision, "at")
        if self.interception_started_at is not None:
            raise Refused(f"first interception was already recorded at {self.interception_started_at.isoformat()}")

    def _apply_record_interception_started(self, decision: Decision, facts: Facts, now: datetime | None) -> str:
        at = _moment(decision, "at")
        if self.order_issued_at is None or self.order_end is None:
            raise Refused("the order's clock is not known yet; try again once collection is provisioned")
        problem = interception_start_problem(self.order_issued_at, self.order_end, at)
        if problem:
            raise Refused(problem)
        if now is not None and at > now:
            raise Refused(f"`at` {at.isoformat()} is in the future")
        added = self.order_end - title3_expiry(self.order_issued_at, None, self.order_duration_days)
        self.order_end = title3_expiry(self.order_issued_at, at, self.order_duration_days) + added
        self.interception_started_at = at
        return f"first interception recorded: the order now ends {self.order_end.isoformat()}"

    # ---- what the case is waiting for --------------------------------------------------------

    def missing_approvals(self) -> list[str]:
        return [str(r) for r in self.approvals_required if str(r) not in self.approvals]

    def waiting_for(self) -> list[str]:
        """Who the case waits for: the roles whose decision moves it on, `customer`, or `none`."""
        if self.state is S.AWAITING_APPROVAL:
            return self.missing_approvals() or ["none"]  # approved: a notice period runs
        if self.state is S.AWAITING_FEE_ACCEPTANCE:
            return ["customer"]
        if self.state is S.AWAITING_INFO:
            return ["customer"] if self.request_type is RequestType.CUSTOMER_CALL_LOOKUP else [str(Role.ANALYST)]
        if self.state is S.AWAITING_CALLBACK:
            return [str(Role.ANALYST)]
        return ["none"]

    def open_tasks(self, now: datetime | None = None) -> list[str]:
        """What the case waits for from people, one line each."""
        cleared = " (cleared)" if self.plan.cleared_only else ""
        if self.state is S.AWAITING_APPROVAL:
            missing = self.missing_approvals()
            if not missing and self.production_not_before is not None:
                return [f"none: production waits for the customer notice period until "
                        f"{self.production_not_before.isoformat()}"]
            if self.nothing_resolved:
                return [f"approval by {role}{cleared} (approve: confirms that no target matches a subscriber and "
                        "closes the request with a 'no responsive records' letter / reject / request_info)"
                        for role in missing]
            return [f"approval by {role}{cleared} (approve with `{OVERRIDE}`: the reason, as the requester is not "
                    "verified / reject / request_info)" if self._needs_override(Role(role)) else
                    f"approval by {role}{cleared} (approve / reject / request_info)" for role in missing]
        if self.state is S.AWAITING_INFO:
            return [f"provide_info: answer from the requester to: {self.open_question}"]
        if self.state is S.AWAITING_CALLBACK:
            return ["verify_callback by an analyst: call the agency back on its number in the agency directory"]
        if self.state is S.AWAITING_FEE_ACCEPTANCE:
            return [f"customer_accepts_fee by an analyst once the customer accepts quote {self.fee_quote_id}"]
        if self.state is S.PRESERVED:
            return ["none: records are held; record_extension (one renewal) or withdraw to release"]
        if self.state is S.AWAITING_FOLLOW_UP:
            return ["none: waiting for legal process whose follow_up_of names this request"]
        if self.withdraw_while_producing and self.state in WITHDRAWN_WHILE_PRODUCING:
            doing = "retrieved" if self.state is S.RETRIEVING else "packaged"
            return [f"none: the records are being {doing}; withdraw stops it and nothing is delivered"]
        return []


Check = Callable[[Case, Decision], None]
Apply = Callable[[Case, Decision, Facts, datetime | None], str]

RULES: dict[DecisionName, tuple[Check, Apply]] = {
    D.APPROVE: (Case._check_approve, Case._apply_approve),
    D.REJECT: (Case._check_reject, Case._apply_reject),
    D.WITHDRAW: (Case._check_withdraw, Case._apply_withdraw),
    D.REQUEST_INFO: (Case._check_request_info, Case._apply_request_info),
    D.PROVIDE_INFO: (Case._check_provide_info, Case._apply_provide_info),
    D.VERIFY_CALLBACK: (Case._check_verify_callback, Case._apply_verify_callback),
    D.CUSTOMER_ACCEPTS_FEE: (Case._check_customer_accepts_fee, Case._apply_customer_accepts_fee),
    D.RECORD_EXTENSION: (Case._check_record_extension, Case._apply_record_extension),
    D.RECORD_INTERCEPTION_STARTED: (Case._check_record_interception_started, Case._apply_record_interception_started),
}
"""Each decision's rule: the check that needs neither the roster nor a look-up (after the checks
every decision passes, `Case.precheck`), and what it does to the case once the roster let the
actor take it (`Case.decide`, `Case.evaluate`). A record_extension's pair picks a hold's renewal or
an order's extension by the case's shape."""
