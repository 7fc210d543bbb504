"""Who a demand is about: resolving its targets to numbers and accounts, each within a window.

A phone number is itself the selector for the records it made (calls, 9-1-1 calls, its
mailbox) over the whole period, whoever held it; account-level records come from each
account that held the number, only while it held it. An account, an e-mail address or an IP
address seen at a moment resolves to one account, and through it to the numbers the account
held, each while it held it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select

from domain.vocabulary import TargetKind
from recordstore.models import InternetSession, Subscriber, TelephoneNumber

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, tzinfo=UTC)


class TargetSpec(BaseModel):
    """One target of a demand, as the request names it (SPEC §1 `targets`)."""

    model_config = ConfigDict(frozen=True)

    kind: TargetKind
    """What the value is: a phone number (E.164), an account number, an IP address, an e-mail."""
    value: str
    """The selector itself."""
    observed_at: datetime | None = None
    """For an IP address: the moment it was seen in use."""
    port: int | None = None
    """For an IP address behind carrier-grade NAT: the source port seen."""

    @classmethod
    def of(cls, target: Any) -> TargetSpec:
        """The selector fields of a request's target (`domain.request.Target`), nothing else."""
        return cls(kind=target.kind, value=target.value, observed_at=getattr(target, "observed_at", None),
                   port=getattr(target, "port", None))

    @field_validator("observed_at")
    @classmethod
    def _observed_at_has_offset(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("observed_at needs an offset")
        return value


@dataclass(frozen=True, order=True)
class Window:
    """A half-open UTC interval [start, end) in which a selector's records are in scope."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Scope:
    """What the targets resolved to: numbers and accounts, each with the windows they count in."""

    numbers: tuple[tuple[str, Window], ...]
    subscribers: tuple[tuple[int, Window], ...]


def period_window(period_start: datetime | None, period_end: datetime | None) -> Window:
    """The demand's period, inclusive of its last instant, as a half-open UTC window."""
    start = period_start.astimezone(UTC) if period_start else EARLIEST
    # Periods name their last second ("...23:59:59"); one microsecond later closes it exactly.
    end = period_end.astimezone(UTC) + timedelta(microseconds=1) if period_end else LATEST
    return Window(start, end)


def resolve_targets(
    conn: Connection, targets: list[TargetSpec], period: Window, within_account: str | None = None
) -> Scope:
    """Resolve every target against the store, as of the records it holds for `period`.

    With `within_account`, only phone numbers count, each only while that account held it:
    a customer's own records, never an earlier or later holder's.
    """
    numbers: set[tuple[str, Window]] = set()
    subscribers: set[tuple[int, Window]] = set()
    owner = None
    if within_account is not None:
        owner = conn.scalar(select(Subscriber.id).where(Subscriber.account_number == within_account))
    for target in targets:
        if within_account is not None:
            if target.kind is TargetKind.PHONE_NUMBER:
                held = [(sid, window) for sid, window in _holders(conn, target.value, period) if sid == owner]
                numbers.update((target.value, window) for _, window in held)
                subscribers.update(held)
            continue
        if target.kind is TargetKind.PHONE_NUMBER:
            numbers.add((target.value, period))
            for subscriber_id, held_window in _holders(conn, target.value, period):
                subscribers.add((subscriber_id, held_window))
            continue
        for subscriber_id in _accounts(conn, target):
            subscribers.add((subscriber_id, period))
            numbers.update(_numbers_held(conn, subscriber_id, period))
    return Scope(tuple(sorted(numbers)), tuple(sorted(subscribers)))


def _overlap(period: Window, valid_from: datetime, valid_to: datetime | None) -> Window:
    return Window(max(period.start, valid_from), min(period.end, valid_to or LATEST))


def _holding_overlaps(period: Window) -> ColumnElement[bool]:
    return and_(
        TelephoneNumber.valid_from < period.end,
        or_(TelephoneNumber.valid_to.is_(None), TelephoneNumber.valid_to > period.start),
    )


def _holders(conn: Connection, number: str, period: Window) -> list[tuple[int, Window]]:
    rows = conn.execute(
        select(TelephoneNumber.subscriber_id, TelephoneNumber.valid_from, TelephoneNumber.valid_to).where(
            TelephoneNumber.number == number, _holding_overlaps(period)
        )
    )
    return [(sid, _overlap(period, start, end)) for sid, start, end in rows]


def _numbers_held(conn: Connection, subscriber_id: int, period: Window) -> list[tuple[str, Window]]:
    rows = conn.execute(
        select(TelephoneNumber.number, TelephoneNumber.valid_from, TelephoneNumber.valid_to).where(
            TelephoneNumber.subscriber_id == subscriber_id, _holding_overlaps(period)
        )
    )
    return [(number, _overlap(period, start, end)) for number, start, end in rows]


def _accounts(conn: Connection, target: TargetSpec) -> list[int]:
    if target.kind is TargetKind.ACCOUNT_NUMBER:
        query = select(Subscriber.id).where(Subscriber.account_number == target.value)
    elif target.kind is TargetKind.EMAIL:
        query = select(Subscriber.id).where(func.lower(Subscriber.email) == target.value.lower())
    elif target.kind is TargetKind.IP_ADDRESS:
        if target.observed_at is None:
            return []  # an address without a moment names no one
        query = _ip_holder_query(target.value, target.observed_at, target.port)
    else:
        raise ValueError(f"unknown target kind {target.kind!r}")
    return sorted(set(conn.scalars(query)))


def _ip_holder_query(ip: str, observed_at: datetime, port: int | None) -> Select[Any]:
    """Sessions that held `ip` at `observed_at`; behind carrier-grade NAT only the one whose
    port block holds `port` (without a port, a shared address names no one)."""
    session = InternetSession
    if port is None:
        port_matches = session.nat_port_start.is_(None)
    else:
        port_matches = or_(
            session.nat_port_start.is_(None),
            and_(session.nat_port_start <= port, session.nat_port_end >= port),
        )
    return select(session.subscriber_id).where(
        session.assigned_ip == ip,
        session.started_at <= observed_at,
        or_(session.ended_at.is_(None), session.ended_at >= observed_at),
        port_matches,
    )


def service_states(conn: Connection, target: TargetSpec, period: Window) -> set[str]:
    """The states where the accounts a target resolves to are served, during `period`."""
    subscriber_ids = {subscriber_id for subscriber_id, _ in resolve_targets(conn, [target], period).subscribers}
    if not subscriber_ids:
        return set()
    return set(conn.scalars(select(Subscriber.service_state).where(Subscriber.id.in_(subscriber_ids))))
