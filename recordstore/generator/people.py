"""Synthetic subscribers: who they are, where they live, their numbers, services and payment."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from recordstore.generator.geography import (
    CITIES,
    CITY_WEIGHTS,
    FIRST_NAMES,
    LAST_NAMES,
    STREET_NAMES,
    STREET_SUFFIXES,
    City,
)
from recordstore.generator.loader import Loaders
from recordstore.models import AccessType, ServiceType


@dataclass
class Person:
    """What the activity generator needs to know of one subscriber it created."""

    index: int
    subscriber_id: int
    name: str
    city: City
    numbers: list[str]
    voice: ServiceType | None
    """mobile_voice, landline or voip; None for an Internet-only account."""
    access: list[AccessType] = field(default_factory=list)
    """How the subscriber reaches the Internet (mobile data, cable, dial-up...)."""
    activity: float = 1.0
    """How busy a caller this subscriber is, relative to the average."""


def local_number(rng: random.Random, area_code: str) -> str:
    """A plausible number in `area_code`, outside the 555 exchange kept for examples."""
    exchange = rng.randint(201, 998)
    exchange += exchange == 555
    return f"+1{area_code}{exchange}{rng.randint(0, 9999):04d}"


def street_address(rng: random.Random) -> str:
    return f"{rng.randint(10, 9899)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_SUFFIXES)}"


def make_person(rng: random.Random, index: int, account_number: str, start: datetime, loaders: Loaders) -> Person:
    """Create one subscriber with its numbers, services and means of payment."""
    city = rng.choices(CITIES, CITY_WEIGHTS)[0]
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    name = f"{first} {last}"
    created_at = start - timedelta(days=rng.randint(30, 7000), seconds=rng.randint(0, 86399))
    street, zip_code = street_address(rng), f"{city.zip_prefix}{rng.randint(1, 99):02d}"
    billing = (street, city.name, city.state, zip_code)
    if rng.random() < 0.15:
        billing = (f"PO Box {rng.randint(100, 99999)}", city.name, city.state, zip_code)
    email = None
    if rng.random() < 0.85:
        email = f"{first}.{last}.{account_number}@example.net".lower().replace("'", "")
    birthday = date(1940, 1, 1) + timedelta(days=rng.randint(0, 24000))
    subscriber_id = loaders.subscribers.add(
        account_number,
        name,
        street,
        city.name,
        city.state,
        zip_code,
        *billing,
        email,
        birthday,
        None,  # synthetic customers set no PIN (scrypt per account would dominate generation)
        None,
        created_at,
    )
    voice = rng.choices([ServiceType.MOBILE_VOICE, ServiceType.LANDLINE, ServiceType.VOIP, None], [60, 20, 12, 8])[0]
    person = Person(index, subscriber_id, name, city, [], voice, activity=rng.lognormvariate(0, 0.5))
    since = created_at.date()
    if voice is not None:
        line_count = 2 if voice is ServiceType.MOBILE_VOICE and rng.random() < 0.2 else 1
        for _ in range(line_count):
            number = local_number(rng, rng.choice(city.area_codes))
            person.numbers.append(number)
            loaders.numbers.add(subscriber_id, number, created_at, None)
        loaders.services.add(subscriber_id, voice, since, None)
        if voice is ServiceType.MOBILE_VOICE:
            person.access.append(AccessType.MOBILE)
    if voice is None or rng.random() < 0.45:
        person.access.append(rng.choice([AccessType.CABLE, AccessType.FIBER, AccessType.DSL]))
        loaders.services.add(subscriber_id, ServiceType.HIGH_SPEED_INTERNET, since, None)
    elif rng.random() < 0.04:
        person.access.append(AccessType.DIAL_UP)
        loaders.services.add(subscriber_id, ServiceType.DIAL_UP, since, None)
    if rng.random() < 0.25 and since.year > 2006:
        # An older landline, given up before the current services.
        ended = since - timedelta(days=rng.randint(1, 400))
        loaders.services.add(
            subscriber_id,
            ServiceType.LANDLINE,
            ended - timedelta(days=rng.randint(200, 3000)),
            ended,
        )
    _add_payment_methods(rng, subscriber_id, name, created_at, loaders)
    return person


def _add_payment_methods(
    rng: random.Random, subscriber_id: int, name: str, created_at: datetime, loaders: Loaders
) -> None:
    for position in range(rng.choice([1, 1, 1, 2])):
        kind = rng.choices(["credit_card", "bank_account", "prepaid_card", "cash"], [55, 30, 10, 5])[0]
        digits = f"{rng.randint(0, 9999):04d}"
        detail = {
            "credit_card": f"{rng.choice(['VISA', 'MC', 'AMEX', 'DISC'])} ****{digits}",
            "bank_account": f"checking ****{digits}",
            "prepaid_card": f"refill card ****{digits}",
            "cash": "paid in store",
        }[kind]
        payer = name if rng.random() < 0.85 else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        added_at = created_at + timedelta(days=position * rng.randint(30, 900))
        loaders.payments.add(subscriber_id, kind, detail, payer, added_at.astimezone(UTC))
