"""A deterministic synthetic carrier: subscribers and years of activity from one seed.

`generate` fills the records store at any scale (tens of millions of calls stream through
in batches); `place_examples` adds the accounts the sample requests in examples/ name;
`seed_roster` adds the demo team. The same seed always gives the same records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from recordstore.generator.activity import (
    write_e911,
    write_notes,
    write_sessions,
    write_statements,
    write_voicemails,
)
from recordstore.generator.calls import CallWriter, days_between
from recordstore.generator.cells import CellWriter, place_cell_sites
from recordstore.generator.examples import place_examples
from recordstore.generator.geography import CITIES
from recordstore.generator.loader import Loaders
from recordstore.generator.people import Person, make_person
from recordstore.generator.roster import seed_roster
from recordstore.models import AccessType, ServiceType
from recordstore.pins import hash_pin

__all__ = ["GenerationSummary", "generate", "hash_pin", "place_examples", "seed_roster"]


@dataclass(frozen=True)
class GenerationSummary:
    """How many rows of each kind one `generate` run wrote, and the key range of its calls."""

    seed: int
    subscribers: int
    telephone_numbers: int
    services: int
    payment_methods: int
    call_records: int
    internet_sessions: int
    billing_statements: int
    account_notes: int
    e911_calls: int
    voicemails: int
    call_cell_records: int
    session_cell_records: int
    first_call_id: int | None
    heavy_target_calls: int


def generate(
    engine: Engine,
    *,
    subscribers: int = 300,
    seed: int = 2026,
    calls_per_subscriber: int = 200,
    start: datetime,
    end: datetime,
    heavy_target: tuple[str, int] | None = None,
    sessions_per_subscriber: int = 20,
    voicemails_per_subscriber: int = 4,
    batch_size: int = 50_000,
) -> GenerationSummary:
    """Write `subscribers` synthetic accounts with their activity between `start` and `end`.

    `heavy_target` is (E.164 number, calls): one extra account whose number places that
    many calls over the period, as a benchmark's worst case. Everything is written in one
    transaction; account numbers carry the seed, so different seeds can share a store.
    """
    if start.utcoffset() is None or end.utcoffset() is None or start >= end:
        raise ValueError("start and end must carry offsets, start before end")
    rng = random.Random(seed)
    with engine.begin() as conn:
        sectors = place_cell_sites(conn)
        loaders = Loaders(conn, batch_size)
        people = [make_person(rng, i, f"A{seed}-{i:07d}", start, loaders) for i in range(subscribers)]
        heavy = _heavy_person(rng, seed, heavy_target, start, loaders, len(people))
        everyone = [*people, *([heavy] if heavy else [])]
        cells = CellWriter(seed, everyone, sectors, loaders.call_cells, loaders.session_cells)
        _write_calls(rng, people, heavy, heavy_target, calls_per_subscriber, start, end, loaders, cells)
        for person in everyone:
            write_sessions(rng, person, start, end, sessions_per_subscriber, loaders, cells)
            write_statements(rng, person, start, end, loaders)
            write_notes(rng, person, start, end, loaders)
            write_e911(rng, person, start, end, loaders)
            write_voicemails(rng, person, start, end, voicemails_per_subscriber, loaders)
        loaders.finish()
    return GenerationSummary(
        seed=seed,
        subscribers=loaders.subscribers.written,
        telephone_numbers=loaders.numbers.written,
        services=loaders.services.written,
        payment_methods=loaders.payments.written,
        call_records=loaders.calls.written,
        internet_sessions=loaders.sessions.written,
        billing_statements=loaders.statements.written,
        account_notes=loaders.notes.written,
        e911_calls=loaders.e911.written,
        voicemails=loaders.voicemails.written,
        call_cell_records=loaders.call_cells.written,
        session_cell_records=loaders.session_cells.written,
        first_call_id=loaders.calls.first_id,
        heavy_target_calls=heavy_target[1] if heavy_target else 0,
    )


def _heavy_person(
    rng: random.Random,
    seed: int,
    heavy_target: tuple[str, int] | None,
    start: datetime,
    loaders: Loaders,
    index: int,
) -> Person | None:
    if heavy_target is None:
        return None
    number = heavy_target[0]
    person = make_person(rng, index, f"H{seed}-{number.lstrip('+')}", start, loaders)
    person.city = next((c for c in CITIES if number[2:5] in c.area_codes), person.city)
    person.voice, person.access = ServiceType.MOBILE_VOICE, [AccessType.MOBILE]
    if not person.numbers:
        loaders.services.add(person.subscriber_id, ServiceType.MOBILE_VOICE, start.date(), None)
    person.numbers = [number]
    loaders.numbers.add(person.subscriber_id, number, start - timedelta(days=365), None)
    return person


def _write_calls(
    rng: random.Random,
    people: list[Person],
    heavy: Person | None,
    heavy_target: tuple[str, int] | None,
    calls_per_subscriber: int,
    start: datetime,
    end: datetime,
    loaders: Loaders,
    cells: CellWriter,
) -> None:
    days = list(days_between(start, end))
    mean_activity = sum(p.activity for p in people) / len(people) if people else 1.0
    per_day = {p.index: calls_per_subscriber * p.activity / mean_activity / len(days) for p in people}
    writer = CallWriter(rng, people, loaders.calls, cells)
    heavy_calls = heavy_target[1] if heavy_target else 0
    for position, day in enumerate(days):
        writer.write_day(day, start, end, per_day)
        if heavy is not None:
            share = heavy_calls // len(days) + (position < heavy_calls % len(days))
            writer.write_exact(heavy, day, share, start, end)
