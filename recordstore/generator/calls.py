"""Synthetic call detail records, written day by day as a switch would log them.

Calls follow a day/night rhythm in the caller's local time; a call to the same area is
local, to another area long distance, abroad international, and from a VoIP line VoIP.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from recordstore.generator.cells import CellWriter
from recordstore.generator.geography import CITIES, INTERNATIONAL_PREFIXES
from recordstore.generator.loader import TableLoader
from recordstore.generator.people import Person, local_number
from recordstore.models import CallType, ServiceType

# Relative share of calls starting in each local hour, midnight first.
_HOURLY = (2, 1, 1, 1, 1, 2, 4, 8, 12, 14, 15, 15, 16, 15, 15, 15, 16, 17, 16, 14, 12, 10, 7, 4)
_CUMULATIVE = tuple(itertools.accumulate(_HOURLY))

OUTGOING_SHARE = 0.6
"""Share of a subscriber's calls it places; the rest come in from outside the carrier."""


class OffsetCache:
    """UTC offsets in minutes by (zone, local day, local hour): zoneinfo is slow per call."""

    def __init__(self) -> None:
        self._zones: dict[str, ZoneInfo] = {}
        self._offsets: dict[tuple[str, int, int], int] = {}

    def minutes(self, zone_name: str, day: datetime, hour: int) -> int:
        key = (zone_name, day.toordinal(), hour)
        offset = self._offsets.get(key)
        if offset is None:
            zone = self._zones.setdefault(zone_name, ZoneInfo(zone_name))
            local = day.replace(hour=hour, tzinfo=zone)
            offset = int(local.utcoffset().total_seconds()) // 60  # type: ignore[union-attr]
            self._offsets[key] = offset
        return offset


def days_between(start: datetime, end: datetime) -> Iterator[datetime]:
    """Each local calendar day (as a naive midnight) from `start` until `end`."""
    day = datetime(start.year, start.month, start.day)
    while day.replace(tzinfo=UTC) < end:
        yield day
        day += timedelta(days=1)


class CallWriter:
    """Writes the calls of a population, one day at a time."""

    def __init__(self, rng: random.Random, people: list[Person], loader: TableLoader, cells: CellWriter):
        self._rng = rng
        self._cells = cells
        self._people = [p for p in people if p.numbers]
        self._all_numbers = [n for p in self._people for n in p.numbers]
        self._loader = loader
        self._offsets = OffsetCache()

    def write_day(self, day: datetime, start: datetime, end: datetime, per_day: dict[int, float]) -> None:
        """Write each subscriber's calls of `day`; `per_day` maps a person's index to its rate."""
        rng = self._rng
        for person in self._people:
            rate = per_day.get(person.index)
            if rate is None:
                continue
            count = int(rate) + (rng.random() < rate - int(rate))
            for _ in range(count):
                self._call(person, day, start, end)

    def write_exact(self, person: Person, day: datetime, count: int, start: datetime, end: datetime) -> None:
        """Write `count` calls placed by `person` on `day` (a heavy target's traffic)."""
        placed, attempts = 0, 0
        while placed < count and attempts < 10 * count:
            placed += self._call(person, day, start, end, outgoing=True)
            attempts += 1

    def _call(
        self,
        person: Person,
        day: datetime,
        start: datetime,
        end: datetime,
        outgoing: bool | None = None,
    ) -> bool:
        rng = self._rng
        hour = bisect.bisect_right(_CUMULATIVE, rng.random() * _CUMULATIVE[-1])
        zone = person.city.time_zone
        offset = self._offsets.minutes(zone, day, hour)
        local_seconds = hour * 3600 + rng.randint(0, 3599)
        started_at = (day + timedelta(seconds=local_seconds - offset * 60)).replace(tzinfo=UTC)
        if not start <= started_at < end:
            return False
        own = rng.choice(person.numbers)
        other, other_type = self._other_party(person)
        if outgoing is None:
            outgoing = rng.random() < OUTGOING_SHARE
        caller, callee = (own, other) if outgoing else (other, own)
        call_type = CallType.VOIP if person.voice is ServiceType.VOIP else other_type
        duration = 0 if rng.random() < 0.12 else int(rng.expovariate(1 / 170)) + 1
        call_id = self._loader.add(caller, callee, started_at, duration, call_type, zone, offset)
        self._cells.call(call_id, caller, callee)
        return True

    def _other_party(self, person: Person) -> tuple[str, CallType]:
        rng = self._rng
        draw = rng.random()
        if draw < 0.03:
            number = f"{rng.choice(INTERNATIONAL_PREFIXES)}{rng.randint(10**8, 10**10 - 1)}"
            return number, CallType.INTERNATIONAL
        if draw < 0.38 and len(self._all_numbers) > 1:
            number = rng.choice(self._all_numbers)
        elif draw < 0.75:
            number = local_number(rng, rng.choice(person.city.area_codes))
        else:
            number = local_number(rng, rng.choice(rng.choice(CITIES).area_codes))
        local = number[2:5] in person.city.area_codes
        return number, CallType.LOCAL if local else CallType.LONG_DISTANCE
