"""Lawful interception records the carrier keeps (47 CFR 1.20004) and reports (1.20003)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from recordstore.base import Base, JsonDocument


class InterceptionCertification(Base):
    """47 CFR 1.20004(a): the record made when an interception is switched on, kept whether or not it
    was authorised: the numbers or identities, start and end, the officer who presented the order, the
    authorising official, the type of interception, the responsible employee, and their signature."""

    __tablename__ = "interception_certifications"

    certification_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("cases.request_id"), unique=True)
    xid: Mapped[str] = mapped_column(String(36), unique=True)
    """The mediation system's task id (ETSI X1 XID)."""
    identities: Mapped[list[str]] = mapped_column(JsonDocument)
    interception_type: Mapped[str] = mapped_column(String(40))
    """pen_trap, or intercept_content (content and its signaling)."""
    started_at: Mapped[datetime]
    authorised_until: Mapped[datetime]
    """The order's end as it stood at switch-on (extensions move it; see the case history)."""
    ended_at: Mapped[datetime | None]
    presenting_officer: Mapped[str] = mapped_column(String(200))
    authorising_official: Mapped[str] = mapped_column(String(200))
    legal_reference: Mapped[str] = mapped_column(String(200))
    responsible_employee: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(64))
    """SHA-256 over the record's fields as signed by the responsible employee at switch-on."""


class UnauthorisedInterceptionReport(Base):
    """47 CFR 1.20003(b): an interception no running order justified, found and switched off."""

    __tablename__ = "unauthorised_interception_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    xid: Mapped[str] = mapped_column(String(36), unique=True)
    found_at: Mapped[datetime]
    switched_off_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    reason: Mapped[str] = mapped_column(Text)
