"""Typed inputs and results of the interception-record activities (47 CFR 1.20003, 1.20004)."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field


class CertifyInput(BaseModel):
    request_id: str
    xid: str
    identities: list[str]
    interception_type: str
    started_at: AwareDatetime
    authorised_until: AwareDatetime
    presenting_officer: str
    authorising_official: str
    legal_reference: str
    responsible_employee: str
    """The analyst whose approval switched collection on; the record is signed in their name."""


class EndCertificationInput(BaseModel):
    request_id: str
    ended_at: AwareDatetime


class Certification(BaseModel):
    certification_id: str
    signature: str
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None


class RunningInterception(BaseModel):
    request_id: str
    xid: str
    authorised_until: AwareDatetime


class RunningInterceptions(BaseModel):
    running: list[RunningInterception] = Field(default_factory=list)


class UnauthorisedReport(BaseModel):
    xid: str
    found_at: AwareDatetime
    switched_off_at: AwareDatetime | None
    reason: str
    details: dict[str, Any] = Field(default_factory=dict)


class OrderLookup(BaseModel):
    request_id: str
