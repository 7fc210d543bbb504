"""Who a demand is about: resolving its targets to numbers and accounts, each within a window.

A phone number held by a subscriber during the period is itself the selector for the records
it made (calls, 9-1-1 calls, its mailbox) over the whole period; account-level records come from
each account that held the number, only while it held it. An account, an e-mail address or an
IP address seen at a moment resolves to its account(s), and through them to the numbers each
held, while it held it. A target that resolves to no one (domain/targets.py: not found, or an
address shared behind carrier-grade NAT with no port naming its holder) reaches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from domain.targets import AddressSession, HeldNumber, TargetMatch, TargetProblem
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


@dataclass(frozen=True)
class Holding:
    """One account a target reaches: the window it counts in and the numbers it held then."""

    subscriber_id: int
    account_number: str
    window: Window
    numbers: tuple[tuple[str, Window], ...]
    """Each number the account held, with the part of the window it held it in."""
    spans: tuple[tuple[str, datetime, datetime | None], ...] = ()
    """Each of those numbers as assigned: held from, until (None: still held)."""

    @property
    def scope(self) -> Scope:
        return Scope(self.numbers, ((self.subscriber_id, self.window),))


@dataclass(frozen=True)
class Match:
    """What one target matched: the accounts it reaches, or the problem that it reaches none."""

    index: int
    target: TargetSpec
    holdings: tuple[Holding, ...]
    own_numbers: tuple[tuple[str, Window], ...] = ()
    """A phone number target is itself the selector of its calls over the whole period."""
    sessions: tuple[AddressSession, ...] = ()
    problem: TargetProblem | None = None
    sharing: int = 0
    """shared_address: how many subscribers held the address at that instant."""

    @property
    def scope(self) -> Scope:
        """Everything the target reaches; nothing for a target that resolved to no one."""
        if self.problem is not None:
            return Scope((), ())
        numbers = self.own_numbers or tuple(n for h in self.holdings for n in h.numbers)
        return Scope(tuple(sorted(set(numbers))), tuple(sorted({(h.subscriber_id, h.window) for h in self.holdings})))

    def held_by(self, subscriber_id: int | None) -> Match:
        """Only what `subscriber_id` held, each while it held it (a customer's own numbers)."""
        if self.target.kind is not TargetKind.PHONE_NUMBER:
            return Match(self.index, self.target, (), problem=TargetProblem.NOT_FOUND)
        own = tuple(h for h in self.holdings if h.subscriber_id == subscriber_id)
        return Match(self.index, self.target, own, tuple(n for h in own for n in h.numbers),
                     problem=None if own else TargetProblem.NOT_FOUND)

    def described(self) -> TargetMatch:
        """The match as the analyst, the manifest and the letter see it (account numbers, no records)."""
        return TargetMatch(
            index=self.index, kind=self.target.kind, value=self.target.value,
            observed_at=self.target.observed_at, port=self.target.port,
            accounts=sorted({h.account_number for h in self.holdings}),
            numbers=[
                HeldNumber(number=number, account_number=h.account_number, held_from=start, held_until=end)
                for h in sorted(self.holdings, key=lambda h: h.window) for number, start, end in h.spans
            ],
            sessions=list(self.sessions),
            problem=self.problem,
            subscribers_sharing=self.sharing,
        )


def match_targets(
    conn: Connection, targets: list[TargetSpec], period: Window, within_account: str | None = None
) -> list[Match]:
    """Each target resolved against the store, as of the records it holds for `period`.

    With `within_account`, only phone numbers count, each only while that account held it:
    a customer's own records, never an earlier or later holder's.
    """
    matches = [_match(conn, index, target, period) for index, target in enumerate(targets)]
    if within_account is None:
        return matches
    owner = conn.scalar(select(Subscriber.id).where(Subscriber.account_number == within_account))
    return [m.held_by(owner) for m in matches]


def resolve_targets(
    conn: Connection, targets: list[TargetSpec], period: Window, within_account: str | None = None
) -> Scope:
    """The numbers and accounts every target that resolved reaches, for `period`."""
    return union(m.scope for m in match_targets(conn, targets, period, within_account))


def union(scopes: Iterable[Scope]) -> Scope:
    numbers: set[tuple[str, Window]] = set()
    subscribers: set[tuple[int, Window]] = set()
    for scope in scopes:
        numbers.update(scope.numbers)
        subscribers.update(scope.subscribers)
    return Scope(tuple(sorted(numbers)), tuple(sorted(subscribers)))


def _match(conn: Connection, index: int, target: TargetSpec, period: Window) -> Match:
    if target.kind is TargetKind.PHONE_NUMBER:
        holdings = tuple(
            Holding(sid, account, window, ((target.value, window),), ((target.value, start, end),))
            for sid, account, window, start, end in _holders(conn, target.value, period)
        )
        if not holdings:
            return Match(index, target, (), problem=TargetProblem.NOT_FOUND)
        return Match(index, target, holdings, ((target.value, period),))
    sessions: tuple[AddressSession, ...] = ()
    if target.kind is TargetKind.IP_ADDRESS:
        accounts, sessions, sharing = _address_holder(conn, target)
        if sharing:
            return Match(index, target, (), sessions=sessions, problem=TargetProblem.SHARED_ADDRESS,
                         sharing=sharing)
    else:
        accounts = _accounts(conn, target)
    if not accounts:
        return Match(index, target, (), sessions=sessions, problem=TargetProblem.NOT_FOUND)
    holdings = tuple(
        Holding(sid, account, period, tuple((n, w) for n, w, _, _ in held), tuple((n, s, e) for n, _, s, e in held))
        for sid, account in accounts
        for held in [_numbers_held(conn, sid, period)]
    )
    return Match(index, target, holdings, sessions=sessions)


def _address_holder(
    conn: Connection, target: TargetSpec
) -> tuple[list[tuple[int, str]], tuple[AddressSession, ...], int]:
    """Who held the address at `observed_at`: the holder (or none), every session that held it,
    and, when the address was shared and the port names none of its holders, how many shared it.

    Behind carrier-grade NAT the port names the subscriber whose block holds it; without a
    port, only a subscriber alone on the address is named."""
    if target.observed_at is None:
        return [], (), 0  # an address without a moment names no one
    seen = target.observed_at
    session = InternetSession
    rows = conn.execute(
        select(session.subscriber_id, Subscriber.account_number, session.nat_port_start, session.nat_port_end,
               session.started_at, session.ended_at)
        .join(Subscriber, Subscriber.id == session.subscriber_id)
        .where(session.assigned_ip == target.value, session.started_at <= seen,
               or_(session.ended_at.is_(None), session.ended_at >= seen))
        .order_by(session.nat_port_start, session.started_at, session.id)
    ).all()
    if not rows:
        return [], (), 0

    def covers(row: Any) -> bool:
        return row.nat_port_start is None or (target.port is not None
                                              and row.nat_port_start <= target.port <= row.nat_port_end)

    chosen = [row for row in rows if covers(row)]
    if target.port is None and not chosen and len({row.subscriber_id for row in rows}) == 1:
        chosen = rows  # one subscriber alone on the address: the port is not needed to name them
    holders = sorted({(row.subscriber_id, row.account_number) for row in chosen})
    sessions = tuple(
        AddressSession(account_number=row.account_number if len(holders) == 1 and row in chosen else None,
                       port_start=row.nat_port_start, port_end=row.nat_port_end, started_at=row.started_at,
                       ended_at=row.ended_at)
        for row in rows
    )
    if len(holders) != 1:
        return [], sessions, len({row.subscriber_id for row in rows})
    return holders, sessions, 0


def _overlap(period: Window, valid_from: datetime, valid_to: datetime | None) -> Window:
    return Window(max(period.start, valid_from), min(period.end, valid_to or LATEST))


def _holding_overlaps(period: Window) -> ColumnElement[bool]:
    return and_(
        TelephoneNumber.valid_from < period.end,
        or_(TelephoneNumber.valid_to.is_(None), TelephoneNumber.valid_to > period.start),
    )


def _holders(conn: Connection, number: str, period: Window) -> list[tuple[int, str, Window, datetime, datetime | None]]:
    """Every account that held `number` during the period: the overlap, and the assignment itself."""
    rows = conn.execute(
        select(TelephoneNumber.subscriber_id, Subscriber.account_number, TelephoneNumber.valid_from,
               TelephoneNumber.valid_to)
        .join(Subscriber, Subscriber.id == TelephoneNumber.subscriber_id)
        .where(TelephoneNumber.number == number, _holding_overlaps(period))
        .order_by(TelephoneNumber.valid_from, TelephoneNumber.id)
    )
    return [(sid, account, _overlap(period, start, end), start, end) for sid, account, start, end in rows]


def _numbers_held(
    conn: Connection, subscriber_id: int, period: Window
) -> list[tuple[str, Window, datetime, datetime | None]]:
    rows = conn.execute(
        select(TelephoneNumber.number, TelephoneNumber.valid_from, TelephoneNumber.valid_to)
        .where(TelephoneNumber.subscriber_id == subscriber_id, _holding_overlaps(period))
        .order_by(TelephoneNumber.valid_from, TelephoneNumber.id)
    )
    return [(number, _overlap(period, start, end), start, end) for number, start, end in rows]


def _accounts(conn: Connection, target: TargetSpec) -> list[tuple[int, str]]:
    if target.kind is TargetKind.ACCOUNT_NUMBER:
        matches = Subscriber.account_number == target.value
    elif target.kind is TargetKind.EMAIL:
        matches = func.lower(Subscriber.email) == target.value.lower()
    else:
        raise ValueError(f"unknown target kind {target.kind!r}")
    return [(sid, account) for sid, account in
            conn.execute(select(Subscriber.id, Subscriber.account_number).where(matches).order_by(Subscriber.id))]


def service_states(conn: Connection, target: TargetSpec, period: Window) -> set[str]:
    """The states where the accounts a target resolves to are served, during `period`."""
    subscriber_ids = {subscriber_id for subscriber_id, _ in resolve_targets(conn, [target], period).subscribers}
    if not subscriber_ids:
        return set()
    return set(conn.scalars(select(Subscriber.service_state).where(Subscriber.id.in_(subscriber_ids))))
