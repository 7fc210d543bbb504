"""The decision handlers of SPEC §3, made for each workflow class from its type's plan.

Every class gets, for every decision, a signal (fire-and-forget, as the Web UI and
`temporal workflow signal` send it), an update `<name>_sync` (answered) and the update's
validator. The descriptions, shown in the Web UI's lists, say who may send the decision
and the JSON it takes; a decision the type does not take is there too, marked so, and
refused with that reason (so a mistaken signal is recorded rather than lost)."""

from __future__ import annotations

import json
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import DecisionReceipt
    from domain.plans import RequestPlan
    from domain.vocabulary import DecisionName

D = DecisionName

MEANING: dict[DecisionName, str] = {
    D.APPROVE: "Approve the request for production (each required role, a different person).",
    D.REJECT: "Reject the request: nothing is produced. The reason is required in note.",
    D.REQUEST_INFO: "Ask the requester for more information before deciding.",
    D.PROVIDE_INFO: "Record the requester's answer; the case returns to where it was.",
    D.VERIFY_CALLBACK: "Record the callback to the agency's number in the agency directory.",
    D.RECORD_EXTENSION: "Record a renewal or extension of the order or hold.",
    D.RECORD_INTERCEPTION_STARTED: "Record when interception first began (starts the 30-day clock).",
    D.CUSTOMER_ACCEPTS_FEE: "Record that the customer accepted the quoted fee; the search starts.",
    D.WITHDRAW: "Record that the requester withdrew the request. The reason is required in note.",
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


def describe(plan: RequestPlan, name: DecisionName) -> str:
    """The handler's description: meaning, who may send it, and the JSON it takes."""
    if name not in plan.decisions:
        return f"Not for this type: a {plan.request_type} does not take {name}; it is refused and recorded."
    roles = sorted(plan.roles_for(name))
    cleared = " (cleared actors only)" if plan.cleared_only else ""
    example = json.dumps({"actor": "jdoe", "role": roles[0], **EXAMPLE_FIELDS[name]})
    return f"{MEANING[name]} Who: {', '.join(roles)}{cleared}. JSON: {example}"


def _handlers(name: DecisionName, description: str) -> tuple[Any, Any]:
    async def signal(self: Any, decision: Any = None) -> None:
        await self._receive(name, decision, via="signal")

    async def update(self: Any, decision: Any = None) -> DecisionReceipt:
        return await self._receive(name, decision, via="update")

    def validator(self: Any, decision: Any = None) -> None:
        self._validate(name, decision)

    signal.__name__ = signal.__qualname__ = str(name)
    update.__name__ = update.__qualname__ = f"{name}_sync"
    validator.__name__ = validator.__qualname__ = f"validate_{name}"
    # A decision arrives as raw JSON (Any): a malformed one must be recorded as refused, not
    # dropped by the data converter before the workflow ever sees it.
    signal_handler = workflow.signal(name=str(name), description=description)(signal)
    update_handler = workflow.update(name=f"{name}_sync", description=f"{description} Answers whether "
                                     "it was accepted, and why not.")(update)
    update_handler.validator(validator)
    return signal_handler, update_handler


def install_decision_handlers(cls: type, plan: RequestPlan) -> None:
    """Give the workflow class every decision's signal, update and validator."""
    for name in DecisionName:
        signal_handler, update_handler = _handlers(name, describe(plan, name))
        setattr(cls, str(name), signal_handler)
        setattr(cls, f"{name}_sync", update_handler)
