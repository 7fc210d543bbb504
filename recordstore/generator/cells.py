"""Synthetic cell sites: a few three-sector towers per city, and the sector that served each
mobile call leg and data session. Drawn from their own seeds, so adding location changes no
other generated record."""

from __future__ import annotations

import random
from collections import defaultdict

from sqlalchemy import Connection, insert, select

from recordstore.generator.geography import CITIES, STREET_NAMES, STREET_SUFFIXES, City
from recordstore.generator.loader import TableLoader
from recordstore.generator.people import Person
from recordstore.models import CellSector, CellSite, ServiceType

SITES_PER_CITY = 4
SECTOR_AZIMUTHS = (0, 120, 240)
BEAMWIDTH_DEGREES = 120


def site_code(city: City, k: int) -> str:
    """A site's code: state, city and its number, e.g. CO-DENVER-001."""
    letters = "".join(ch for ch in city.name.upper() if ch.isalpha())
    return f"{city.state}-{letters}-{k:03d}"


def place_cell_sites(conn: Connection) -> dict[str, list[int]]:
    """Add every site and sector not yet stored; returns each city's sector ids, in code order."""
    stored = set(conn.scalars(select(CellSite.site_code)))
    for city in CITIES:
        rng = random.Random(f"les-cell-sites:{city.name}")
        for k in range(1, SITES_PER_CITY + 1):
            code = site_code(city, k)
            latitude = round(city.latitude + rng.uniform(-0.12, 0.12), 6)
            longitude = round(city.longitude + rng.uniform(-0.12, 0.12), 6)
            street = f"{rng.randint(10, 9899)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_SUFFIXES)}"
            if code in stored:
                continue
            site_id = conn.execute(
                insert(CellSite).values(site_code=code, latitude=latitude, longitude=longitude, street=street,
                                        city=city.name, state=city.state).returning(CellSite.id)
            ).scalar_one()
            conn.execute(insert(CellSector), [
                {"cell_site_id": site_id, "sector": n, "azimuth_degrees": azimuth,
                 "beamwidth_degrees": BEAMWIDTH_DEGREES}
                for n, azimuth in enumerate(SECTOR_AZIMUTHS, start=1)
            ])
    sectors: dict[str, list[int]] = defaultdict(list)
    rows = conn.execute(
        select(CellSite.city, CellSector.id)
        .join(CellSector, CellSector.cell_site_id == CellSite.id)
        .order_by(CellSite.site_code, CellSector.sector)
    )
    for city_name, sector_id in rows:
        sectors[city_name].append(sector_id)
    return dict(sectors)


class CellWriter:
    """Gives each call leg of a carrier mobile number, and each mobile session, its sector."""

    def __init__(self, seed: int, people: list[Person], sectors: dict[str, list[int]],
                 calls: TableLoader, sessions: TableLoader) -> None:
        self._rng = random.Random(f"les-cells:{seed}")
        self._city_of = {n: p.city.name for p in people if p.voice is ServiceType.MOBILE_VOICE for n in p.numbers}
        self._sectors = sectors
        self._calls = calls
        self._sessions = sessions

    def call(self, call_id: int, caller: str, callee: str) -> None:
        for number in (caller, callee):
            city = self._city_of.get(number)
            if city is not None:
                self._calls.add(call_id, number, self._rng.choice(self._sectors[city]))

    def session(self, session_id: int, person: Person) -> None:
        self._sessions.add(session_id, self._rng.choice(self._sectors[person.city.name]))
