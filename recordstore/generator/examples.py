"""Placing the accounts and records that the sample requests in examples/ ask for."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from recordstore.db import make_session_factory
from recordstore.generator.cells import place_cell_sites
from recordstore.generator.example_accounts import (
    AGENCY_DIRECTORY,
    AGENCY_DOMAINS,
    EXAMPLE_ACCOUNTS,
    ExampleAccount,
)
from recordstore.generator.geography import CITIES
from recordstore.generator.people import local_number
from recordstore.models import (
    AccessType,
    AccountNote,
    AgencyDirectoryEntry,
    AgencyDomain,
    BillingStatement,
    CallCellRecord,
    CallRecord,
    CallType,
    EmergencyCall,
    InternetSession,
    PaymentMethod,
    Service,
    ServiceType,
    SessionCellRecord,
    Subscriber,
    TelephoneNumber,
    Voicemail,
)
from recordstore.pins import hash_pin


def place_examples(engine: Engine) -> list[str]:
    """Add every example account (and the agency directory: numbers and domains) not yet in the store.

    Returns the account numbers added; a second run adds nothing and returns [].
    """
    placed: list[str] = []
    with make_session_factory(engine).begin() as session:
        sectors = place_cell_sites(session.connection())
        for account in EXAMPLE_ACCOUNTS:
            exists = select(Subscriber.id).where(Subscriber.account_number == account.account_number)
            if session.scalar(exists) is None:
                _place_account(session, account, sectors)
                placed.append(account.account_number)
        for agency, number, source in AGENCY_DIRECTORY:
            listed = select(AgencyDirectoryEntry.id).where(
                AgencyDirectoryEntry.agency == agency, AgencyDirectoryEntry.main_number == number
            )
            if session.scalar(listed) is None:
                session.add(AgencyDirectoryEntry(agency=agency, main_number=number, source=source))
        for agency, domain, source in AGENCY_DOMAINS:
            registered = select(AgencyDomain.id).where(AgencyDomain.agency == agency, AgencyDomain.domain == domain)
            if session.scalar(registered) is None:
                session.add(AgencyDomain(agency=agency, domain=domain, source=source))
    return placed


def _place_account(session: Session, account: ExampleAccount, sectors: dict[str, list[int]]) -> None:
    rng = random.Random(f"les-example:{account.account_number}")
    city = next(c for c in CITIES if c.name == account.city)
    salt = f"{rng.getrandbits(64):016x}"
    subscriber = Subscriber(
        account_number=account.account_number,
        name=account.name,
        service_street=account.street,
        service_city=account.city,
        service_state=account.state,
        service_zip=account.zip_code,
        billing_street=account.street,
        billing_city=account.city,
        billing_state=account.state,
        billing_zip=account.zip_code,
        email=account.email,
        date_of_birth=date(1960, 1, 1) + timedelta(days=rng.randint(0, 14000)),
        pin_salt=salt,
        pin_hash=hash_pin(account.pin, salt),
        created_at=account.held_from,
    )
    session.add(subscriber)
    session.flush()
    sid = subscriber.id
    session.add(
        TelephoneNumber(
            subscriber_id=sid,
            number=account.number,
            valid_from=account.held_from,
            valid_to=account.held_until,
        )
    )
    ended = account.held_until.date() if account.held_until else None
    session.add_all(
        Service(
            subscriber_id=sid,
            service_type=kind,
            started_on=account.held_from.date(),
            ended_on=ended,
        )
        for kind in account.services
    )
    session.add(
        PaymentMethod(
            subscriber_id=sid,
            kind="credit_card",
            masked_detail=f"VISA ****{rng.randint(0, 9999):04d}",
            payer_name=account.name,
            added_at=account.held_from,
        )
    )
    zone = ZoneInfo(account.time_zone)
    placed_calls: list[CallRecord] = []
    calls = [
        (at, outgoing)
        for traffic in account.traffic
        for outgoing, count in ((True, traffic.outgoing), (False, traffic.incoming))
        for at in _instants(rng, traffic.start, traffic.end, count)
    ]
    for at, outgoing in sorted([*calls, *account.exact_calls]):
        other = local_number(rng, rng.choice(city.area_codes if rng.random() < 0.7 else ("415", "212")))
        caller, callee = (account.number, other) if outgoing else (other, account.number)
        offset = at.astimezone(zone).utcoffset() or timedelta()
        placed_calls.append(
            CallRecord(
                caller_number=caller,
                callee_number=callee,
                started_at=at,
                duration_seconds=rng.randint(0, 900),
                call_type=CallType.LOCAL if other[2:5] in city.area_codes else CallType.LONG_DISTANCE,
                switch_time_zone=account.time_zone,
                utc_offset_minutes=int(offset.total_seconds()) // 60,
            )
        )
    session.add_all(placed_calls)
    placed_sessions = _place_other_records(session, rng, account, sid)
    if ServiceType.MOBILE_VOICE in account.services:
        _place_cell_records(session, account, sectors[account.city], placed_calls, placed_sessions)


def _place_cell_records(session: Session, account: ExampleAccount, sectors: list[int],
                        calls: list[CallRecord], sessions: list[InternetSession]) -> None:
    """The serving sector of each of the account's calls and mobile sessions, from its own seed."""
    rng = random.Random(f"les-example-cells:{account.account_number}")
    session.flush()  # the calls and sessions get their keys
    session.add_all(
        CallCellRecord(call_id=call.id, number=account.number, sector_id=rng.choice(sectors)) for call in calls
    )
    session.add_all(
        SessionCellRecord(session_id=held.id, sector_id=rng.choice(sectors))
        for held in sessions if held.access_type is AccessType.MOBILE
    )


def _instants(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    seconds = int((end - start).total_seconds())
    return [start + timedelta(seconds=rng.randint(0, seconds)) for _ in range(count)]


def _place_other_records(
    session: Session, rng: random.Random, account: ExampleAccount, sid: int
) -> list[InternetSession]:
    city = next(c for c in CITIES if c.name == account.city)
    for at in account.e911_at:
        session.add(
            EmergencyCall(
                calling_number=account.number,
                started_at=at,
                psap=city.psap,
                latitude=round(city.latitude + rng.uniform(-0.03, 0.03), 6),
                longitude=round(city.longitude + rng.uniform(-0.03, 0.03), 6),
                location_source="device_gps",
                uncertainty_m=rng.randint(5, 40),
                dispatchable_address=None,
            )
        )
    for at in account.voicemail_at:
        audio = rng.randbytes(rng.randint(200, 400))
        session.add(
            Voicemail(
                mailbox_number=account.number,
                caller_number=local_number(rng, city.area_codes[0]),
                left_at=at,
                duration_seconds=rng.randint(5, 90),
                audio=audio,
                content_sha256=hashlib.sha256(audio).hexdigest(),
            )
        )
    if account.statements_from and account.statements_until:
        month = account.statements_from.date().replace(day=1)
        while (issued := datetime(month.year, month.month, 2, 10, tzinfo=UTC)) < account.statements_until:
            previous_end = month - timedelta(days=1)
            session.add(
                BillingStatement(
                    subscriber_id=sid,
                    period_start=previous_end.replace(day=1),
                    period_end=previous_end,
                    issued_at=issued,
                    amount_cents=rng.randint(4500, 9500),
                )
            )
            month = (month + timedelta(days=32)).replace(day=1)
        session.add(
            AccountNote(
                subscriber_id=sid,
                created_at=account.statements_from + timedelta(days=100),
                author="care.agent07",
                text='Customer asked about roaming charges, credited $5.00 as a "courtesy".',
            )
        )
    sessions: list[InternetSession] = []
    for begun in account.sessions:
        mobile = account.access is AccessType.MOBILE
        sessions.append(
            InternetSession(
                subscriber_id=sid,
                started_at=begun,
                ended_at=begun + timedelta(hours=3),
                assigned_ip="203.0.113.77" if mobile else f"198.19.200.{rng.randint(2, 250)}",
                nat_port_start=30000 if mobile else None,
                nat_port_end=31999 if mobile else None,
                access_type=account.access,
                bytes_up=rng.randint(10**6, 10**8),
                bytes_down=rng.randint(10**7, 10**9),
            )
        )
    session.add_all(sessions)
    return sessions
