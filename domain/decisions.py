"""Who may make which human decision on a running request (SPEC §3; LEGAL.md, Approvals)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.vocabulary import DecisionName, Role

D, R = DecisionName, Role

DECISION_ROLES: dict[DecisionName, frozenset[Role]] = {
    # Analysts approve every request; legal and supervisors give the second approvals.
    D.APPROVE: frozenset({R.ANALYST, R.LEGAL, R.SUPERVISOR}),
    D.REJECT: frozenset({R.ANALYST, R.LEGAL, R.SUPERVISOR}),
    # The analyst owns the conversation with the requester.
    D.REQUEST_INFO: frozenset({R.ANALYST}),
    D.PROVIDE_INFO: frozenset({R.ANALYST}),
    # LEGAL.md Emergency: the callback to an independently sourced number is verified.
    D.VERIFY_CALLBACK: frozenset({R.ANALYST, R.SUPERVISOR}),
    # A new order extends a pen register or Title III (3123(c)(2), 2518(5)).
    D.RECORD_EXTENSION: frozenset({R.ANALYST, R.LEGAL}),
    D.RECORD_INTERCEPTION_STARTED: frozenset({R.ANALYST}),
    D.CUSTOMER_ACCEPTS_FEE: frozenset({R.ANALYST}),
    D.WITHDRAW: frozenset({R.ANALYST, R.SUPERVISOR}),
}

# Fields a decision cannot do without, beyond actor and role.
DECISION_FIELDS: dict[DecisionName, tuple[str, ...]] = {
    # A refusal's reason is reported (transparency reports count rejections with their reasons).
    D.REJECT: ("note",),
    D.WITHDRAW: ("note",),
    D.REQUEST_INFO: ("question",),
    D.PROVIDE_INFO: ("info",),
    D.VERIFY_CALLBACK: ("number", "verified_at"),
    D.RECORD_INTERCEPTION_STARTED: ("at",),
    D.CUSTOMER_ACCEPTS_FEE: ("quote_id",),
    # record_extension needs extension_request_id, or renewal_received_at for a preservation hold:
    # which one depends on the type, so domain.case_machine checks it.
}


class DecisionPayload(BaseModel):
    """The one JSON object every decision carries: who decides, in which role, and why."""

    model_config = ConfigDict(extra="allow")

    actor: str = Field(min_length=1, description="The deciding person's user id.")
    role: Role = Field(description="The role the actor decides in.")
    note: str = Field("", description="Free-text reason, kept in the case history.")

    @field_validator("actor")
    @classmethod
    def _actor_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("actor must name a person")
        return value.strip()


def missing_fields(decision: DecisionName, payload: DecisionPayload) -> list[str]:
    """The fields `decision` needs that the payload lacks or leaves empty."""
    given = {**(payload.model_extra or {}), "note": payload.note}
    return [f for f in DECISION_FIELDS.get(decision, ()) if not str(given.get(f) or "").strip()]
