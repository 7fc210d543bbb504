"""Synthetic account activity besides calls: Internet sessions, bills, notes, 9-1-1, voicemail."""

from __future__ import annotations

import hashlib
import ipaddress
import random
from datetime import UTC, date, datetime, timedelta

from recordstore.generator.cells import CellWriter
from recordstore.generator.geography import CITIES
from recordstore.generator.loader import Loaders
from recordstore.generator.people import Person, local_number
from recordstore.models import AccessType, ServiceType

_DYNAMIC_POOL = ipaddress.ip_network("198.18.0.0/15")
"""Public addresses leased to fixed-line subscribers, one per session."""
_CGNAT_ADDRESSES = [
    str(address)
    for block in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
    for address in ipaddress.ip_network(block).hosts()
]
"""Public addresses shared by mobile subscribers behind carrier-grade NAT, in port blocks."""
CGNAT_BLOCK = 2000
_CGNAT_BLOCKS = 32

_NOTES = (
    "Customer called about a billing question; explained charges.",
    "Plan changed at customer's request.",
    'Customer asked about roaming charges, credited $5.00 as a "courtesy".',
    "Device upgrade processed in store.",
    "Port-out inquiry; customer decided to stay.",
    "Autopay enabled.",
)
_LOCATION_SOURCES = ("device_gps", "cell_sector", "wifi", "registered_address")


def write_sessions(
    rng: random.Random, person: Person, start: datetime, end: datetime, count: int, loaders: Loaders,
    cells: CellWriter,
) -> None:
    """`count` sessions, session k inside the k-th slice of the period.

    Addresses are dealt so that no two subscribers ever hold the same address (and port
    block) at the same moment, as a real allocator guarantees.
    """
    if not person.access or count <= 0:
        return
    slice_seconds = (end - start).total_seconds() / count
    for k in range(count):
        access = rng.choice(person.access)
        begun = start + timedelta(seconds=k * slice_seconds + rng.uniform(0, slice_seconds / 2))
        length = rng.uniform(600, min(slice_seconds / 2 - 1, 2 * 86400))
        ended: datetime | None = begun + timedelta(seconds=int(length))
        if k == count - 1 and rng.random() < 0.3:
            ended = None  # still connected
        port_start = port_end = None
        if access is AccessType.MOBILE:
            slot = (person.index + k * 7919) % (len(_CGNAT_ADDRESSES) * _CGNAT_BLOCKS)
            ip = _CGNAT_ADDRESSES[slot // _CGNAT_BLOCKS]
            port_start = 1024 + (slot % _CGNAT_BLOCKS) * CGNAT_BLOCK
            port_end = port_start + CGNAT_BLOCK - 1
        else:
            ip = str(_DYNAMIC_POOL[(person.index + k * 7919) % _DYNAMIC_POOL.num_addresses])
        up = rng.randint(100_000, 400_000_000)
        session_id = loaders.sessions.add(
            person.subscriber_id,
            begun.replace(microsecond=0),
            ended.replace(microsecond=0) if ended else None,
            ip,
            port_start,
            port_end,
            access,
            up,
            up * rng.randint(4, 20),
        )
        if access is AccessType.MOBILE:
            cells.session(session_id, person)


def write_statements(rng: random.Random, person: Person, start: datetime, end: datetime, loaders: Loaders) -> None:
    """A statement for each month of the period, issued two days after the month closes."""
    month = date(start.year, start.month, 1)
    base = rng.randint(2500, 15000)
    while True:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        issued_at = datetime(following.year, following.month, 2, 10, tzinfo=UTC)
        if issued_at >= end:
            return
        if issued_at >= start:
            amount = base + rng.randint(-500, 1500)
            loaders.statements.add(person.subscriber_id, month, following - timedelta(days=1), issued_at, amount)
        month = following


def write_notes(rng: random.Random, person: Person, start: datetime, end: datetime, loaders: Loaders) -> None:
    """Now and then, a customer-care note."""
    span = int((end - start).total_seconds())
    for _ in range(rng.choices([0, 1, 2], [85, 10, 5])[0]):
        at = start + timedelta(seconds=rng.randrange(span))
        author = f"care.agent{rng.randint(1, 40):02d}"
        loaders.notes.add(person.subscriber_id, at, author, rng.choice(_NOTES))


def write_e911(rng: random.Random, person: Person, start: datetime, end: datetime, loaders: Loaders) -> None:
    """About one subscriber in fifty called 9-1-1 during the period."""
    if not person.numbers or rng.random() >= 0.02:
        return
    at = start + timedelta(seconds=rng.randrange(int((end - start).total_seconds())))
    city = person.city
    fixed = person.voice in (ServiceType.LANDLINE, ServiceType.VOIP)
    source = "registered_address" if fixed else rng.choice(_LOCATION_SOURCES[:3])
    address = f"{rng.randint(10, 9899)} Main St, {city.name}, {city.state}" if fixed else None
    loaders.e911.add(
        person.numbers[0],
        at,
        city.psap,
        round(city.latitude + rng.uniform(-0.08, 0.08), 6),
        round(city.longitude + rng.uniform(-0.08, 0.08), 6),
        source,
        rng.randint(5, 30) if fixed else rng.randint(8, 1500),
        address,
    )


def write_voicemails(
    rng: random.Random, person: Person, start: datetime, end: datetime, count: int, loaders: Loaders
) -> None:
    """Messages left in the subscriber's mailbox, with small synthetic audio."""
    if not person.numbers:
        return
    span = int((end - start).total_seconds())
    for _ in range(count):
        caller = None if rng.random() < 0.1 else local_number(rng, rng.choice(rng.choice(CITIES).area_codes))
        audio = rng.randbytes(rng.randint(64, 512))
        loaders.voicemails.add(
            person.numbers[0],
            caller,
            start + timedelta(seconds=rng.randrange(span)),
            rng.randint(3, 120),
            audio,
            hashlib.sha256(audio).hexdigest(),
        )
