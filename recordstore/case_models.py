"""The case store: each request's case file, its append-only history, and what it produced."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from domain.vocabulary import Role
from recordstore.base import Base, BigId, JsonDocument
from recordstore.records_models import enum_type


class EventVia(StrEnum):
    """How an event reached the case: a Temporal signal, an update, or the system itself."""

    SIGNAL = "signal"
    UPDATE = "update"
    SYSTEM = "system"


class Case(Base):
    """One request's case file: the document as received and where its workflow stands."""

    __tablename__ = "cases"

    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_type: Mapped[str] = mapped_column(String(40), index=True)
    received_at: Mapped[datetime]
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    """The request document exactly as received, unknown fields included."""
    workflow_id: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(40))
    resolution: Mapped[str | None] = mapped_column(String(40))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class CaseEvent(Base):
    """One entry of a case's history; entries are only ever appended."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("request_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("cases.request_id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    """Position in the case's history, given by the workflow: a retried append is a no-op."""
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(64))
    """The decision's name (approve, reject, ...) or a system event's name."""
    accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    via: Mapped[EventVia] = mapped_column(enum_type(EventVia))
    details: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)


@event.listens_for(CaseEvent, "before_update")
@event.listens_for(CaseEvent, "before_delete")
def _refuse_rewriting_history(_mapper: Mapper[Any], _connection: Any, target: CaseEvent) -> None:
    raise ValueError(f"case history is append-only (event {target.id} of {target.request_id})")


class Actor(Base):
    """A person on the roster who may make decisions on requests."""

    __tablename__ = "actors"

    actor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ActorRole(Base):
    """A role an actor holds; an actor may hold several."""

    __tablename__ = "actor_roles"

    actor_id: Mapped[str] = mapped_column(ForeignKey("actors.actor_id"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_type(Role), primary_key=True)


class Production(Base):
    """A delivered production; numbered per request and never created twice."""

    __tablename__ = "productions"
    __table_args__ = (UniqueConstraint("request_id", "production_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("cases.request_id"))
    production_no: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(500))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    file_count: Mapped[int] = mapped_column(Integer)
    row_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class Invoice(Base):
    """The one invoice (or fee quote) of a request."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("cases.request_id"), unique=True)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JsonDocument)
    total_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    basis: Mapped[str] = mapped_column(String(200))
    """The legal or policy basis of the charge (e.g. 18 U.S.C. 2706)."""
    created_at: Mapped[datetime]


class Notification(Base):
    """A notice sent about a request (reminder, overdue, ...); each kind at most once."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("request_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("cases.request_id"))
    kind: Mapped[str] = mapped_column(String(40))
    recipient_role: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CustomerFeeQuote(Base):
    """The fee quoted to a customer before a call lookup's search; one per request."""

    __tablename__ = "fee_quotes"

    quote_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("cases.request_id"), unique=True)
    account_number: Mapped[str] = mapped_column(String(32))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    basis: Mapped[str] = mapped_column(String(200))
    quoted_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]


class LedgerEntry(Base):
    """One link of a request's hash chain (domain/ledger.py): the case event as filed, the hash of
    the request's previous entry and its own. Written with the case event, in the same transaction."""

    __tablename__ = "case_ledger"
    __table_args__ = (UniqueConstraint("request_id", "seq"), UniqueConstraint("request_id", "position"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("cases.request_id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    """1, 2, 3... in the order the request's entries were appended."""
    seq: Mapped[int] = mapped_column(Integer)
    """The case event's seq, given by the workflow: a retried append is a no-op."""
    body: Mapped[str] = mapped_column(Text)
    """The event as canonical JSON, exactly what was hashed."""
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    appended_at: Mapped[datetime]


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _refuse_rewriting_the_ledger(_mapper: Mapper[Any], _connection: Any, target: LedgerEntry) -> None:
    raise ValueError(f"the case ledger is append-only (entry {target.position} of {target.request_id})")
