"""The case store's side of a request: open and close the case file, the roster, the history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from domain import contracts as dto
from domain import ledger
from domain.contracts import ExtensionOrder, OrderLookup
from domain.identifiers import request_id_fault
from les.logging import activity_logger
from les.seals import SealRefused
from les.seals import verify as verify_seal
from recordstore.models import Actor, ActorRole, Case, CaseEvent, EventVia, LedgerEntry, Notification

LINK_TYPES_REFUSED = {"follow_up_of": ("emergency", "customer_call_lookup", "preservation")}
"""LEGAL.md Emergency disclosure: what follows an emergency request up must be legal process."""


class CaseActivities:
    """Every write is keyed by the request, so a retried activity changes nothing twice."""

    def __init__(self, session_factory: sessionmaker[Session],
                 seal_keys: Mapping[str, Ed25519PublicKey] | None = None) -> None:
        self._sessions = session_factory
        self._seal_keys = dict(seal_keys or {})
        """The codec servers' public seal keys (les/seals.py): a decision's seal is verified with them."""

    @activity.defn
    def open_case(self, opening: dto.OpenCaseInput) -> None:
        """Record the case file with the document exactly as received."""
        log = activity_logger(opening.request_id)
        if not _storable(opening.request_id):
            return
        with self._sessions() as session:
            if session.get(Case, opening.request_id) is not None:
                return
            session.add(Case(
                request_id=opening.request_id, request_type=opening.request_type,
                received_at=_received_at(opening.document), document=opening.document,
                workflow_id=opening.workflow_id, state="open", resolution=None,
                opened_at=datetime.now(UTC), closed_at=None,
            ))
            _commit_once(session)
        log.info("case opened", request_type=opening.request_type)

    @activity.defn
    def authorize_decision(self, asked: dto.AuthorizeInput) -> dto.Authorization:
        """What the roster says of this actor: known, active, every role held (cleared included);
        and, for a sealed decision, whether its seal verifies (the roster is not read when it does not).
        Whether that lets the actor decide is the case's rule (domain/case_machine.py Case.check_roster)."""
        if asked.sealed is not None:
            try:
                verify_seal(asked.sealed, self._seal_keys)
            except SealRefused as refused:
                return dto.Authorization(seal_refused=str(refused), roster=dto.RosterEntry(known=False))
        with self._sessions() as session:
            actor = session.get(Actor, asked.actor)
            if actor is None:
                return dto.Authorization(roster=dto.RosterEntry(known=False))
            roles = sorted(session.scalars(select(ActorRole.role).where(ActorRole.actor_id == asked.actor)))
        return dto.Authorization(roster=dto.RosterEntry(
            known=True, active=actor.active, roles=roles, display_name=actor.display_name))

    @activity.defn
    def record_case_event(self, event: dto.CaseEvent) -> dto.CaseEvent:
        """Append one event to the case history (once per request and sequence number). Answers
        with the event as filed: a local activity's marker holds only its result, and the audit
        reads every filing from the history (console/histories.py)."""
        if not _storable(event.request_id):
            return event
        with self._sessions() as session:
            # The case row, locked (PostgreSQL): one request's appends queue here, so each sees the
            # chain's true tail; other requests are not held up.
            session.get(Case, event.request_id, with_for_update=True)
            exists = session.scalar(select(CaseEvent.id).where(
                CaseEvent.request_id == event.request_id, CaseEvent.seq == event.seq))
            if exists is not None:
                return event
            session.add(CaseEvent(
                request_id=event.request_id, seq=event.seq, at=event.at, actor=event.actor,
                role=event.role, event=event.name, accepted=event.accepted, reason=event.reason or None,
                note=event.note or None, via=EventVia(event.via), details=event.details,
            ))
            session.add(_next_ledger_entry(session, event))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                if not _filed(session, event):
                    raise  # another append took this position first: the activity's retry re-reads the tail
        activity_logger(event.request_id).info(
            "case event", case_event=event.name, actor=event.actor, accepted=event.accepted, reason=event.reason
        )
        return event

    @activity.defn
    def look_up_order(self, asked: OrderLookup) -> ExtensionOrder:
        """What the case store says of an order named as an extension: its type, what it extends,
        its verification verdict, its term."""
        with self._sessions() as session:
            case = session.get(Case, asked.request_id) if request_id_fault(asked.request_id) is None else None
            if case is None:
                return ExtensionOrder(request_id=asked.request_id, found=False)
            verified = session.scalars(select(CaseEvent).where(
                CaseEvent.request_id == asked.request_id, CaseEvent.event == "verified")).first()
        process = (case.document or {}).get("legal_process") or {}
        duration = process.get("duration_days")
        issued = process.get("issued_at")
        try:
            issued_at = datetime.fromisoformat(str(issued).replace("Z", "+00:00")) if issued else None
        except ValueError:
            issued_at = None
        return ExtensionOrder(
            request_id=asked.request_id, found=True, request_type=case.request_type,
            extension_of=process.get("extension_of"),
            verdict=(verified.details or {}).get("verdict") if verified is not None else None,
            duration_days=duration if isinstance(duration, int) and not isinstance(duration, bool) else None,
            issued_at=issued_at if issued_at is not None and issued_at.tzinfo is not None else None,
        )

    @activity.defn
    def confirm_link(self, asked: dto.LinkInput) -> dto.LinkConfirmation:
        """A signal saying another request names this case is believed only if the case store agrees."""
        with self._sessions() as session:
            linked = session.get(Case, asked.linked_request_id)
        if linked is None:
            return dto.LinkConfirmation(linked=False, reason=f"no request {asked.linked_request_id!r} is on file")
        named = (linked.document or {}).get(asked.field)
        if named != asked.request_id:
            return dto.LinkConfirmation(linked=False, reason=(
                f"{asked.linked_request_id}'s {asked.field} names {named!r}, not {asked.request_id}"))
        if linked.request_type in LINK_TYPES_REFUSED.get(asked.field, ()):
            return dto.LinkConfirmation(
                linked=False, reason=f"a {linked.request_type} is not legal process that can follow up a request")
        return dto.LinkConfirmation(linked=True)

    @activity.defn
    def notify(self, notice: dto.NotifyInput) -> None:
        """Send a reminder or an escalation to a role's queue, at most once per kind."""
        if not _storable(notice.request_id):
            return
        with self._sessions() as session:
            exists = session.scalar(select(Notification.id).where(
                Notification.request_id == notice.request_id, Notification.kind == notice.kind))
            if exists is not None:
                return
            session.add(Notification(
                request_id=notice.request_id, kind=notice.kind, recipient_role=notice.recipient_role,
                message=notice.message, created_at=datetime.now(UTC),
            ))
            _commit_once(session)
        activity_logger(notice.request_id).warning(
            "notification", kind=notice.kind, recipient_role=notice.recipient_role, message=notice.message
        )

    @activity.defn
    def close_case(self, closing: dto.CloseInput) -> None:
        if not _storable(closing.request_id):
            return
        with self._sessions() as session:
            case = session.get(Case, closing.request_id)
            if case is None or case.closed_at is not None:
                return
            case.state, case.resolution, case.closed_at = "closed", str(closing.resolution), datetime.now(UTC)
            session.commit()
        activity_logger(closing.request_id).info("case closed", resolution=str(closing.resolution))


def _next_ledger_entry(session: Session, event: dto.CaseEvent) -> LedgerEntry:
    """The entry that links `event` to the request's chain (domain/ledger.py)."""
    tail = session.scalars(select(LedgerEntry).where(LedgerEntry.request_id == event.request_id)
                           .order_by(LedgerEntry.position.desc()).limit(1)).first()
    prev = tail.entry_hash if tail is not None else ledger.genesis_hash(event.request_id)
    body = ledger.entry_body(event)
    return LedgerEntry(request_id=event.request_id, position=(tail.position + 1) if tail else 1, seq=event.seq,
                       body=body, prev_hash=prev, entry_hash=ledger.entry_hash(prev, body),
                       appended_at=datetime.now(UTC))


def _filed(session: Session, event: dto.CaseEvent) -> bool:
    """True when the event and its ledger entry are both written (by a concurrent attempt)."""
    return session.scalar(select(LedgerEntry.id).where(
        LedgerEntry.request_id == event.request_id, LedgerEntry.seq == event.seq)) is not None


def _storable(request_id: str) -> bool:
    """The case store is keyed by well-formed request ids. An ill-formed one (a workflow started
    without starter.py) is rejected at verification; its workflow history is its only record."""
    fault = request_id_fault(request_id)
    if fault is not None:
        activity_logger(ascii(request_id)).warning("not written to the case store", reason=fault)
    return fault is None


def _commit_once(session: Session) -> None:
    """Commit; a unique-key clash means a concurrent attempt already wrote the same row."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()


def _received_at(document: dict) -> datetime:
    """The document's received_at when it is a valid aware timestamp, else the moment of filing."""
    text = document.get("received_at")
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo is not None else datetime.now(UTC)
