"""What the simulated mediation function collects for a task, derived from (XID, time) alone.

Time is cut into slots of `period` seconds. A slot's SHA-256 of `<xid>/<slot>` decides whether the
target communicated in it and how: a call (set-up, maybe answer, release) or a message. The
same task and window always give the same rows, so a production can be checked against them,
and nothing is stored but the task itself. Rows exist only while the task was provisioned
(activated_at <= t < deactivated_at): what was never switched on collects nothing."""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.collection import INTERCEPT_CONTENT_LEGEND, PEN_TRAP_LEGEND

IRI_COLUMNS = [column for column, _ in PEN_TRAP_LEGEND]
CC_COLUMNS = [column for column, _ in INTERCEPT_CONTENT_LEGEND]
PRODUCTS = {"iri": IRI_COLUMNS, "cc": CC_COLUMNS}
"""X2 (intercept-related information) and X3 (content), each with its columns."""

DEFAULT_PERIOD = 300
"""Seconds per slot: about one communication every quarter of an hour per task."""

MAX_RING = 22
MAX_DURATION = 905
AREA_CODES = ("612", "651", "763", "952")


@dataclass(frozen=True)
class ActiveSpan:
    """The part of a task that collects: its XID, targets, products and when it was provisioned."""

    xid: str
    targets: tuple[str, ...]
    activated_at: datetime
    deactivated_at: datetime | None

    def covers(self, at: datetime) -> bool:
        return self.activated_at <= at and (self.deactivated_at is None or at < self.deactivated_at)


@dataclass(frozen=True)
class Communication:
    slot: int
    target: str
    outgoing: bool
    sms: bool
    other_party: str
    at: datetime
    ring_s: int
    answered: bool
    duration_s: int
    redirected_to: str | None
    release_cause: int
    sms_bytes: int


def utc_text(at: datetime) -> str:
    """The CSV convention of every production: UTC, whole seconds, `Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fictional_number(byte: int, area: int) -> str:
    """A NANP number in the 555-01XX block reserved for fiction."""
    return f"+1{AREA_CODES[area % len(AREA_CODES)]}55501{byte % 100:02d}"


def communication(xid: str, targets: tuple[str, ...], slot: int, period: int) -> Communication | None:
    """What happened in `slot`, or None when the target was quiet (about two slots in three)."""
    h = hashlib.sha256(f"{xid}/{slot}".encode()).digest()
    if h[0] >= 86:
        return None
    incoming = not h[2] & 1
    answered = h[11] < 180
    forwarded = incoming and not answered and h[14] < 64
    return Communication(
        slot=slot,
        target=targets[h[1] % len(targets)],
        outgoing=not incoming,
        sms=h[3] < 64,
        other_party=fictional_number(h[4], h[5]),
        at=datetime.fromtimestamp(slot * period + int.from_bytes(h[6:10]) % period, UTC),
        ring_s=3 + h[10] % (MAX_RING - 2),
        answered=answered,
        duration_s=5 + int.from_bytes(h[12:14]) % (MAX_DURATION - 5),
        redirected_to=fictional_number(h[15], h[5] + 1) if forwarded else None,
        release_cause=16 if answered else (17 if h[11] >= 230 else 19),
        sms_bytes=20 + h[16] % 140,
    )


def iri_rows(span: ActiveSpan, c: Communication) -> list[tuple[datetime, str, list[str | None]]]:
    """The signaling events of one communication, each as (time, event_id, row)."""
    calling, called = (c.target, c.other_party) if c.outgoing else (c.other_party, c.target)
    direction = "outgoing" if c.outgoing else "incoming"

    def row(n: int, at: datetime, event_type: str, cause: str | None = None, redirected: str | None = None) -> tuple:
        event_id = f"{c.slot}.{n}"
        return at, event_id, [event_id, utc_text(at), c.target, direction, event_type, calling, called,
                              redirected, cause]

    if c.sms:
        rows = [row(1, c.at, "sms")]
    else:
        answer_at = c.at + timedelta(seconds=c.ring_s)
        rows = [row(1, c.at, "call_setup", redirected=c.redirected_to)]
        if c.answered:
            rows.append(row(2, answer_at, "call_answer"))
            rows.append(row(3, answer_at + timedelta(seconds=c.duration_s), "call_release", "16"))
        else:
            rows.append(row(2, answer_at, "call_release", str(c.release_cause)))
    return [r for r in rows if span.covers(r[0])]


def cc_rows(span: ActiveSpan, c: Communication) -> list[tuple[datetime, str, list[str | None]]]:
    """The content of one communication, clipped to when the task was provisioned."""
    direction = "outgoing" if c.outgoing else "incoming"
    if c.sms:
        if not span.covers(c.at):
            return []
        digest = hashlib.sha256(f"{span.xid}/{c.slot}/sms".encode()).hexdigest()
        return [(c.at, str(c.slot), [str(c.slot), utc_text(c.at), c.target, direction, "sms", c.other_party,
                                     None, "GSM-7", str(c.sms_bytes), digest])]
    started = c.at + timedelta(seconds=c.ring_s)
    if not c.answered or not span.covers(started):
        return []
    ended = started + timedelta(seconds=c.duration_s)
    if span.deactivated_at is not None:
        ended = min(ended, span.deactivated_at)
    seconds = int((ended - started).total_seconds())
    digest = hashlib.sha256(f"{span.xid}/{c.slot}/voice/{seconds}".encode()).hexdigest()
    return [(started, str(c.slot), [str(c.slot), utc_text(started), c.target, direction, "voice", c.other_party,
                                    str(seconds), "G.711", str(seconds * 8000), digest])]


def collected(span: ActiveSpan, product: str, start: datetime, end: datetime,
              period: int = DEFAULT_PERIOD) -> Iterator[list[str | None]]:
    """The rows of `product` ("iri" or "cc") with start <= time < end, in time order, streamed:
    memory holds one slot's lookahead, however long the window."""
    if product not in PRODUCTS:
        raise ValueError(f"product is iri or cc, not {product!r}")
    rows_of = iri_rows if product == "iri" else cc_rows
    lookback = timedelta(seconds=period + MAX_RING + MAX_DURATION)
    first_at = max(start - lookback, span.activated_at)
    last_at = min(end, span.deactivated_at) if span.deactivated_at is not None else end
    first = int(first_at.timestamp()) // period
    last = int(last_at.timestamp()) // period
    pending: list[tuple[datetime, int, str, list[str | None]]] = []
    for slot in range(first, last + 1):
        slot_start = datetime.fromtimestamp(slot * period, UTC)
        while pending and pending[0][0] < slot_start:  # no later slot can produce an earlier row
            yield from _in_window(heapq.heappop(pending), start, end)
        c = communication(span.xid, span.targets, slot, period)
        if c is not None:
            for at, key, row in rows_of(span, c):
                heapq.heappush(pending, (at, slot, key, row))
    while pending:
        yield from _in_window(heapq.heappop(pending), start, end)


Row = list[str | None]


def _in_window(item: tuple[datetime, int, str, Row], start: datetime, end: datetime) -> Iterator[Row]:
    if start <= item[0] < end:
        yield item[3]
