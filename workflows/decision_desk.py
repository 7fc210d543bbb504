"""The decision desk: how a human decision is checked before it changes a case.

Shape, role and case state are checked here, purely (they can run in an update validator);
whether the actor really holds the role is asked of the roster by an activity afterwards."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from domain.case import OPEN_FOR_DECISION, CaseState
from domain.decisions import DECISION_ROLES, DecisionPayload, may_decide, missing_fields
from domain.vocabulary import DecisionName, Role


class DecisionRefused(Exception):
    """A decision that may not change the case, with the reason the actor is told."""


def parse_decision(name: DecisionName, raw: Any) -> DecisionPayload:
    """The decision object, or DecisionRefused saying which field is wrong."""
    if not isinstance(raw, dict):
        raise DecisionRefused(
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
        raise DecisionRefused(f"{name}: malformed decision ({fields})") from None
    missing = missing_fields(name, payload)
    if missing:
        raise DecisionRefused(f"{name}: the decision needs a non-empty `{'`, `'.join(missing)}`")
    return payload


def check_decision(
    name: DecisionName,
    payload: DecisionPayload,
    *,
    state: CaseState,
    approvals_required: list[Role],
    approvals: dict[str, str],
) -> None:
    """Raise DecisionRefused unless this role may make this decision in this state."""
    role = Role(payload.role)
    if not may_decide(name, role):
        allowed = ", ".join(sorted(DECISION_ROLES[name]))
        raise DecisionRefused(f"role {role} may not {name} (allowed: {allowed})")
    if name is DecisionName.APPROVE:
        if state is not CaseState.AWAITING_APPROVAL:
            raise DecisionRefused(f"nothing to approve: the case is {state}")
        if role not in approvals_required:
            needed = ", ".join(approvals_required)
            raise DecisionRefused(f"this request is approved by: {needed}; not by {role}")
        if role in approvals:
            raise DecisionRefused(f"the {role} approval was already given by {approvals[role]}")
        if payload.actor in approvals.values():
            raise DecisionRefused(
                f"{payload.actor} already approved this request; a second approval must come "
                "from another person (separation of duties)"
            )
    elif name is DecisionName.REQUEST_INFO:
        if state is not CaseState.AWAITING_APPROVAL:
            raise DecisionRefused(f"information can be requested only while awaiting approval; the case is {state}")
    elif name is DecisionName.PROVIDE_INFO:
        if state is not CaseState.AWAITING_INFO:
            raise DecisionRefused(f"no information was requested; the case is {state}")
    elif name in (DecisionName.REJECT, DecisionName.WITHDRAW):
        if state not in OPEN_FOR_DECISION:
            raise DecisionRefused(f"too late to {name}: the case is {state}")
    else:
        raise DecisionRefused(f"{name} does not apply to this kind of request")
