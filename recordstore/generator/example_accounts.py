"""The accounts behind the sample requests in examples/, described as data.

Each account's traffic is given per window: calls inside each request's period, and calls
just outside it (down to the second before and after), so a retrieval that filters by
period wrongly is caught.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from recordstore.models import AccessType, ServiceType


def utc(text: str) -> datetime:
    """A timestamp written with its offset, as UTC."""
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass(frozen=True)
class Traffic:
    """`outgoing` calls placed and `incoming` calls received between `start` and `end`."""

    start: datetime
    end: datetime
    outgoing: int
    incoming: int


@dataclass(frozen=True)
class ExampleAccount:
    """One account a sample request names, with the records it must find."""

    account_number: str
    name: str
    street: str
    city: str
    state: str
    zip_code: str
    time_zone: str
    number: str
    held_from: datetime
    held_until: datetime | None
    pin: str
    email: str | None
    services: tuple[ServiceType, ...]
    traffic: tuple[Traffic, ...]
    exact_calls: tuple[tuple[datetime, bool], ...] = ()
    """Calls at chosen instants: (started_at, outgoing)."""
    e911_at: tuple[datetime, ...] = ()
    voicemail_at: tuple[datetime, ...] = ()
    statements_from: datetime | None = None
    statements_until: datetime | None = None
    access: AccessType | None = None
    sessions: tuple[datetime, ...] = field(default_factory=tuple)


SUBPOENA_PERIOD = (utc("2026-06-01T00:00:00Z"), utc("2026-08-31T23:59:59Z"))
LOOKUP_PERIOD = (utc("2026-10-01T00:00:00-05:00"), utc("2026-10-31T23:59:59-05:00"))
NSL_PERIOD = (utc("2026-01-01T00:00:00Z"), utc("2026-10-31T23:59:59Z"))
EMERGENCY_PERIOD = (utc("2026-11-24T00:00:00Z"), utc("2026-11-25T03:00:00Z"))
COURT_ORDER_PERIOD = (utc("2026-08-01T00:00:00-05:00"), utc("2026-10-31T23:59:59-05:00"))
PRESERVATION_PERIOD = (utc("2026-09-01T00:00:00Z"), utc("2026-11-26T00:00:00Z"))

_MOBILE = (ServiceType.MOBILE_VOICE,)


def _edges(period: tuple[datetime, datetime]) -> tuple[tuple[datetime, bool], ...]:
    """Calls at the first and last second of a period (inside), and one second beyond each."""
    start, end = period
    second = timedelta(seconds=1)
    return tuple((at, outgoing) for at in (start - second, start, end, end + second) for outgoing in (True, False))


EXAMPLE_ACCOUNTS: tuple[ExampleAccount, ...] = (
    # The number's earlier holder: nothing of theirs belongs to the subpoena's period.
    ExampleAccount(
        "CO-310044",
        "Gloria Whitaker",
        "88 Cherry Creek Dr",
        "Denver",
        "CO",
        "80209",
        "America/Denver",
        "+13035550123",
        utc("2014-05-01T15:00:00Z"),
        utc("2021-01-31T23:00:00Z"),
        "1188",
        "g.whitaker@example.org",
        _MOBILE,
        (Traffic(utc("2020-06-01T00:00:00Z"), utc("2021-01-31T00:00:00Z"), 30, 20),),
    ),
    ExampleAccount(
        "CO-770123",
        "Daniel Reyes",
        "1550 Larimer St Apt 4B",
        "Denver",
        "CO",
        "80202",
        "America/Denver",
        "+13035550123",
        utc("2021-03-15T17:20:00Z"),
        None,
        "5310",
        "daniel.reyes@example.com",
        _MOBILE,
        (
            Traffic(*SUBPOENA_PERIOD, 120, 80),
            Traffic(utc("2026-05-01T00:00:00Z"), utc("2026-05-31T23:00:00Z"), 10, 6),
            Traffic(utc("2026-09-01T01:00:00Z"), utc("2026-09-30T00:00:00Z"), 10, 6),
        ),
        exact_calls=_edges(SUBPOENA_PERIOD),
        voicemail_at=(
            utc("2026-06-14T18:03:11Z"),
            utc("2026-07-02T21:47:09Z"),
            utc("2026-08-30T15:12:44Z"),
            utc("2026-09-03T12:00:00Z"),
        ),
    ),
    ExampleAccount(
        "CL-448812",
        "Maria Lopez",
        "4402 Duval St",
        "Austin",
        "TX",
        "78751",
        "America/Chicago",
        "+15125550177",
        utc("2019-08-01T16:00:00Z"),
        None,
        "4921",
        "maria.lopez@example.com",
        (ServiceType.MOBILE_VOICE, ServiceType.HIGH_SPEED_INTERNET),
        (
            Traffic(*LOOKUP_PERIOD, 45, 25),
            Traffic(utc("2026-09-01T00:00:00-05:00"), utc("2026-09-30T20:00:00-05:00"), 8, 5),
            Traffic(utc("2026-11-01T03:00:00-05:00"), utc("2026-11-20T00:00:00-06:00"), 8, 5),
        ),
        exact_calls=_edges(LOOKUP_PERIOD),
        statements_from=utc("2026-01-01T00:00:00Z"),
        statements_until=utc("2026-11-30T00:00:00Z"),
        access=AccessType.CABLE,
        sessions=(utc("2026-10-03T02:00:00Z"), utc("2026-10-11T14:30:00Z")),
    ),
    ExampleAccount(
        "MN-552188",
        "Tyler Brooks",
        "2118 Nicollet Ave",
        "Minneapolis",
        "MN",
        "55404",
        "America/Chicago",
        "+16125550188",
        utc("2022-02-10T18:00:00Z"),
        None,
        "7730",
        None,
        _MOBILE,
        (
            Traffic(utc("2026-11-01T00:00:00Z"), utc("2026-11-22T00:00:00Z"), 30, 20),
            Traffic(*COURT_ORDER_PERIOD, 36, 24),
        ),
        voicemail_at=(utc("2026-09-14T16:20:05Z"), utc("2026-10-30T22:02:40Z")),
    ),
    ExampleAccount(
        "IL-660166",
        "Victor Salas",
        "3300 N Halsted St",
        "Chicago",
        "IL",
        "60657",
        "America/Chicago",
        "+17735550166",
        utc("2020-09-05T14:00:00Z"),
        None,
        "2044",
        "vsalas@example.net",
        _MOBILE,
        (Traffic(utc("2026-11-01T00:00:00Z"), utc("2026-11-23T00:00:00Z"), 40, 30),),
    ),
    ExampleAccount(
        "DC-880177",
        "Harold Quist",
        "1210 Vermont Ave NW",
        "Washington",
        "DC",
        "20005",
        "America/New_York",
        "+12025550177",
        utc("2012-04-20T13:00:00Z"),
        None,
        "6602",
        "h.quist@example.org",
        (ServiceType.LANDLINE, ServiceType.HIGH_SPEED_INTERNET),
        (
            Traffic(*NSL_PERIOD, 150, 90),
            Traffic(utc("2025-11-15T00:00:00Z"), utc("2025-12-31T23:00:00Z"), 10, 5),
            Traffic(utc("2026-11-01T01:00:00Z"), utc("2026-11-20T00:00:00Z"), 10, 5),
        ),
        exact_calls=_edges(NSL_PERIOD),
        statements_from=utc("2025-11-01T00:00:00Z"),
        statements_until=utc("2026-11-30T00:00:00Z"),
        access=AccessType.FIBER,
        sessions=(utc("2026-02-03T08:00:00Z"), utc("2026-05-19T19:45:00Z")),
    ),
    ExampleAccount(
        "AZ-990999",
        "Lauren Pike",
        "702 E Roosevelt St",
        "Phoenix",
        "AZ",
        "85006",
        "America/Phoenix",
        "+16025550999",
        utc("2023-06-30T20:00:00Z"),
        None,
        "8157",
        "lauren.pike@example.com",
        _MOBILE,
        (
            Traffic(*EMERGENCY_PERIOD, 14, 6),
            Traffic(utc("2026-11-20T00:00:00Z"), utc("2026-11-23T23:00:00Z"), 10, 6),
        ),
        exact_calls=_edges(EMERGENCY_PERIOD),
        e911_at=(
            utc("2026-10-02T04:10:00Z"),
            utc("2026-11-24T22:41:13Z"),
            utc("2026-11-25T01:05:40Z"),
        ),
        access=AccessType.MOBILE,
        sessions=(utc("2026-11-24T20:00:00Z"), utc("2026-11-25T01:00:00Z")),
    ),
    ExampleAccount(
        "TX-330142",
        "Jordan Ellis",
        "1907 E Cesar Chavez St",
        "Austin",
        "TX",
        "78702",
        "America/Chicago",
        "+15125550142",
        utc("2024-02-12T17:00:00Z"),
        None,
        "3307",
        "jordan.ellis@example.net",
        _MOBILE,
        (
            Traffic(*PRESERVATION_PERIOD, 40, 30),
            Traffic(utc("2026-08-01T00:00:00Z"), utc("2026-08-31T23:00:00Z"), 6, 4),
        ),
        exact_calls=_edges(PRESERVATION_PERIOD),
        access=AccessType.MOBILE,
        sessions=(utc("2026-09-09T13:00:00Z"), utc("2026-10-21T02:30:00Z"), utc("2026-11-20T18:45:00Z")),
    ),
)

AGENCY_DIRECTORY: tuple[tuple[str, str, str], ...] = (
    (
        "Phoenix Police Department",
        "+16025346311",
        "City of Phoenix published directory of police services, recorded by LES 2026-01-15",
    ),
    (
        "Denver Police Department",
        "+17205550100",
        "Denver city government published directory, recorded by LES 2026-01-15",
    ),
    (
        "Federal Bureau of Investigation, Washington Field Office",
        "+12025550199",
        "FBI field office listing, recorded by LES 2026-01-15",
    ),
    (
        "Federal Bureau of Investigation",
        "+12025550300",
        "FBI headquarters switchboard, fbi.gov contact page, recorded by LES 2026-01-15",
    ),
    (
        "Drug Enforcement Administration",
        "+12025550307",
        "DEA headquarters listing, dea.gov contact page, recorded by LES 2026-01-15",
    ),
    (
        "Austin Police Department",
        "+15125550400",
        "City of Austin published directory of police services, recorded by LES 2026-01-15",
    ),
    (
        "Hennepin County Sheriff's Office",
        "+16125550400",
        "Hennepin County published directory, recorded by LES 2026-01-15",
    ),
)
"""(agency, main number, where the carrier found it): never taken from a request."""

AGENCY_DOMAINS: tuple[tuple[str, str, str], ...] = (
    ("Phoenix Police Department", "phoenix.gov", "City of Phoenix contact page, confirmed by LES 2026-01-15"),
    ("Denver Police Department", "denvergov.org", "Denver city government contact page, confirmed by LES 2026-01-15"),
    ("Federal Bureau of Investigation, Washington Field Office", "fbi.gov",
     "FBI field office listing, confirmed by LES 2026-01-15"),
    ("Federal Bureau of Investigation", "fbi.gov", "fbi.gov contact page, confirmed by LES 2026-01-15"),
    ("Drug Enforcement Administration", "dea.gov", "dea.gov contact page, confirmed by LES 2026-01-15"),
    ("Austin Police Department", "austintexas.gov", "City of Austin contact page, confirmed by LES 2026-01-15"),
    ("Hennepin County Sheriff's Office", "hennepin.us", "Hennepin County contact page, confirmed by LES 2026-01-15"),
)
"""(agency, e-mail domain, how the carrier confirmed it): never taken from a request."""
