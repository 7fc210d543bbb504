"""The decision handlers of SPEC §3, made for each workflow class from its type's plan by the class
decorator `@decision_handlers(request_type)`, under the names in `HANDLERS`; and `DeskWorkflow`,
the one base of the request workflows: their desk, made at init, and the status query.

Every class gets, for every decision, a signal (fire-and-forget, as the Web UI and
`temporal workflow signal` send it), an update `<name>_sync` (answered) and the update's
validator. The descriptions, shown in the Web UI's lists, say who may send the decision
and the JSON it takes; a decision the type does not take is there too, marked so, and
refused with that reason (so a mistaken signal is recorded rather than lost)."""

from __future__ import annotations

import json
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseStatus, DecisionReceipt, RequestSubmission
    from domain.plans import Gate, RequestPlan, plan_for
    from domain.vocabulary import DecisionName, RequestType, Role
    from les.failures import DECISION_FAULT, PERSON_FACING
    from workflows.case_desk import CaseDesk

D, T = DecisionName, RequestType

HANDLERS: dict[DecisionName, tuple[str, str]] = {
    D.APPROVE: ("approve", "approve_sync"),
    D.REJECT: ("reject", "reject_sync"),
    D.REQUEST_INFO: ("request_info", "request_info_sync"),
    D.PROVIDE_INFO: ("provide_info", "provide_info_sync"),
    D.VERIFY_CALLBACK: ("verify_callback", "verify_callback_sync"),
    D.RECORD_EXTENSION: ("record_extension", "record_extension_sync"),
    D.RECORD_INTERCEPTION_STARTED: ("record_interception_started", "record_interception_started_sync"),
    D.CUSTOMER_ACCEPTS_FEE: ("customer_accepts_fee", "customer_accepts_fee_sync"),
    D.WITHDRAW: ("withdraw", "withdraw_sync"),
}
"""Every decision's signal and update, by name: what the Web UI, the CLI and `temporal workflow
signal|update` send. Each request workflow class has all eighteen (one not for its type is refused)."""

MEANING: dict[DecisionName, str] = {
    D.APPROVE: "Approve the request for production.",
    D.REJECT: "Reject the request: nothing is produced. The reason is required in note.",
    D.REQUEST_INFO: "Ask the requester a question before deciding; the case waits for the answer.",
    D.PROVIDE_INFO: "Record the requester's answer; the case returns to where it was.",
    D.VERIFY_CALLBACK: ("Record the callback to the agency's number in the carrier's agency directory "
                        "(never a number the requester gave)."),
    D.RECORD_EXTENSION: "Record a renewal or extension of the order or hold.",
    D.RECORD_INTERCEPTION_STARTED: "Record when interception first began (starts the 30-day clock).",
    D.CUSTOMER_ACCEPTS_FEE: ("Record that the customer accepted the quoted fee (quote id on the case's "
                             "Current Details); the search starts."),
    D.WITHDRAW: ("Record that the requester withdrew the request. The reason is required in note. "
                 "Accepted until delivery starts: a retrieval or packaging under way is stopped and its "
                 "files discarded; nothing is delivered or billed."),
}

TYPE_MEANING: dict[tuple[RequestType, DecisionName], str] = {
    (T.CUSTOMER_CALL_LOOKUP, D.APPROVE): ("Confirm the customer's identity when the PIN did not (photo ID, "
                                          "in person); the fee is then quoted."),
    (T.PRESERVATION, D.APPROVE): ("Approve the hold: the named records are copied where the retention "
                                  "purge cannot reach them. Nothing is disclosed."),
    (T.PRESERVATION, D.RECORD_EXTENSION): ("Record the one 90-day renewal (18 U.S.C. 2703(f)(2)); it must "
                                           "have been received before the hold lapses."),
    (T.PRESERVATION, D.WITHDRAW): "Release the hold: the requester withdrew it. The reason is required in note.",
}

EXAMPLE_FIELDS: dict[DecisionName, dict[str, str]] = {
    D.APPROVE: {"note": "in order"},
    D.REJECT: {"note": "overbroad: no period stated"},
    D.REQUEST_INFO: {"question": "which account?"},
    D.PROVIDE_INFO: {"info": "account CL-448812"},
    D.VERIFY_CALLBACK: {"number": "+16025346311", "verified_at": "2026-11-25T03:30:00Z"},
    D.RECORD_EXTENSION: {"renewal_received_at": "2027-02-01T12:00:00Z"},
    D.RECORD_INTERCEPTION_STARTED: {"at": "2026-11-23T08:00:00Z"},
    D.CUSTOMER_ACCEPTS_FEE: {"quote_id": "Q-LES-2026-000102"},
    D.WITHDRAW: {"note": "requester withdrew by e-mail"},
}

EXAMPLE_ACTORS: dict[tuple[Role, bool], str] = {
    (Role.ANALYST, False): "jdoe", (Role.LEGAL, False): "kpatel", (Role.SUPERVISOR, False): "mlee",
    (Role.ANALYST, True): "tnguyen", (Role.LEGAL, True): "rcruz", (Role.SUPERVISOR, True): "mlee",
}
"""Who the examples name, by role and whether the type is for cleared actors (the demo roster)."""


def describe(plan: RequestPlan, name: DecisionName) -> str:
    """The handler's description: meaning, who may send it, and the JSON it takes, with an example."""
    if name not in plan.decisions:
        return f"Not for this type: a {plan.request_type} does not take {name}; it is refused."
    roles = sorted(plan.roles_for(name))
    who = " or ".join(roles)
    if plan.cleared_only:
        who += ", holding the cleared role too"
    if name is D.APPROVE and len(plan.approvals) > 1:
        who = (f"{' and '.join(plan.approvals)}, each a different person"
               f"{', each holding the cleared role too' if plan.cleared_only else ''}")
    if name is D.APPROVE and plan.gate is Gate.CALLBACK:
        who += "; after verify_callback"
    meaning = TYPE_MEANING.get((plan.request_type, name), MEANING[name])
    example = json.dumps({"case": "<request_id>", "role": roles[0], **EXAMPLE_FIELDS[name]})
    signer = EXAMPLE_ACTORS[(roles[0], plan.cleared_only)]
    return (f"{meaning} Who: {who}, signed in (e.g. {signer}); it is sealed for you by the codec server. "
            f"JSON, naming this case: {example}")


def _fault(name: DecisionName, err: BaseException, step: str) -> ApplicationError:
    """A fault met while handling a decision: its trace goes to the worker's log, the person is told in words."""
    workflow.logger.error("fault in the %s decision: it could not be %s", name, step, exc_info=err)
    return ApplicationError(
        f"{name} could not be {step} because of a fault in the system, not in the decision; "
        "the fault is in the worker's log for the operators. Try again later or ask a supervisor.",
        type=DECISION_FAULT, non_retryable=True,
    )


def _person_facing(err: BaseException) -> bool:
    return isinstance(err, ApplicationError) and err.type in PERSON_FACING


def _handlers(name: DecisionName, description: str) -> tuple[Any, Any]:
    signal_name, update_name = HANDLERS[name]

    async def signal(self: DeskWorkflow, decision: Any = None) -> None:
        await self.desk.intake.receive(name, decision, via="signal")

    async def update(self: DeskWorkflow, decision: Any = None) -> DecisionReceipt:
        try:
            return await self.desk.intake.receive(name, decision, via="update")
        except FailureError as err:  # an activity that failed for good: an update failure, in words
            if _person_facing(err):
                raise
            raise _fault(name, err, "completed") from None
        # Any other exception fails the workflow task (its trace in the worker's log) and is retried.

    def validator(self: DeskWorkflow, decision: Any = None) -> None:
        try:
            self.desk.intake.validate(name, decision)
        except Exception as err:  # a validator's exception rejects the update: never with its trace
            if _person_facing(err):
                raise
            raise _fault(name, err, "checked") from None

    signal.__name__ = signal.__qualname__ = signal_name
    update.__name__ = update.__qualname__ = update_name
    validator.__name__ = validator.__qualname__ = f"validate_{name}"
    # A decision arrives as raw JSON (Any): a malformed one must be recorded as refused, not
    # dropped by the data converter before the workflow ever sees it.
    signal_handler = workflow.signal(name=signal_name, description=description)(signal)
    update_handler = workflow.update(name=update_name, description=f"{description} Answers whether "
                                     "it was accepted, and why not.")(update)
    update_handler.validator(validator)
    return signal_handler, update_handler


def decision_handlers(request_type: RequestType) -> Any:
    """Class decorator (under `@workflow.defn`): the type's plan, and every decision's signal,
    update and validator under its names in HANDLERS, described from the plan."""
    plan = plan_for(request_type)

    def declare(cls: type) -> type:
        cls.plan = plan  # type: ignore[attr-defined]
        for name, (signal_name, update_name) in HANDLERS.items():
            signal_handler, update_handler = _handlers(name, describe(plan, name))
            setattr(cls, signal_name, signal_handler)
            setattr(cls, update_name, update_handler)
        return cls

    return declare


class DeskWorkflow:
    """A request workflow: its desk (made at init, so a decision that arrives before the run
    starts finds it) and the status query. A class composes its story in its own init and runs it."""

    plan: RequestPlan

    @workflow.init
    def __init__(self, submission: RequestSubmission) -> None:
        self.desk = CaseDesk(self.plan, submission)

    @workflow.query(name="status", description="State, open human tasks, deadlines, decisions so far.")
    def status(self) -> CaseStatus:
        return self.desk.status()
