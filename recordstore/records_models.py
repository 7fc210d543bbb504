"""The carrier's systems of record: subscribers, their numbers and services, and their activity."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from recordstore.base import Base, BigId


class ServiceType(StrEnum):
    MOBILE_VOICE = "mobile_voice"
    LANDLINE = "landline"
    VOIP = "voip"
    HIGH_SPEED_INTERNET = "high_speed_internet"
    DIAL_UP = "dial_up"


class CallType(StrEnum):
    LOCAL = "local"
    LONG_DISTANCE = "long_distance"
    VOIP = "voip"
    INTERNATIONAL = "international"


class AccessType(StrEnum):
    DIAL_UP = "dial_up"
    DSL = "dsl"
    CABLE = "cable"
    FIBER = "fiber"
    MOBILE = "mobile"


def enum_type(enum_class: type[StrEnum]) -> Enum:
    """A portable VARCHAR + CHECK column holding the enum's values (not its member names)."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        name=f"ck_{enum_class.__name__.lower()}",
    )


class Subscriber(Base):
    """An account holder: who the carrier bills and where service is delivered."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    service_street: Mapped[str] = mapped_column(String(200))
    service_city: Mapped[str] = mapped_column(String(100))
    service_state: Mapped[str] = mapped_column(String(2), index=True)
    service_zip: Mapped[str] = mapped_column(String(10))
    billing_street: Mapped[str] = mapped_column(String(200))
    billing_city: Mapped[str] = mapped_column(String(100))
    billing_state: Mapped[str] = mapped_column(String(2))
    billing_zip: Mapped[str] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    pin_salt: Mapped[str | None] = mapped_column(String(32))
    """Hex salt of this account's PIN hash (empty: the customer never set a PIN)."""
    pin_hash: Mapped[str | None] = mapped_column(String(64))
    """scrypt(PIN, salt) in hex (recordstore.pins); the PIN itself is never stored."""
    created_at: Mapped[datetime]


class TelephoneNumber(Base):
    """A number held by an account from `valid_from` until `valid_to` (open while held).

    Numbers are reassigned, so one E.164 number appears once per holder over time.
    """

    __tablename__ = "telephone_numbers"
    __table_args__ = (Index("ix_telephone_numbers_number_valid_from", "number", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), index=True)
    number: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]


class Service(Base):
    """A service on an account, from its first day to its last (open while active)."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), index=True)
    service_type: Mapped[ServiceType] = mapped_column(enum_type(ServiceType))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class PaymentMethod(Base):
    """A means of payment on file: its kind, a masked detail and who pays with it."""

    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    masked_detail: Mapped[str] = mapped_column(String(64))
    payer_name: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime]


class CallRecord(Base):
    """One call detail record as the switch wrote it (start in UTC plus the switch's zone)."""

    __tablename__ = "call_records"
    __table_args__ = (
        Index("ix_call_records_caller_started", "caller_number", "started_at"),
        Index("ix_call_records_callee_started", "callee_number", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    caller_number: Mapped[str] = mapped_column(String(16))
    callee_number: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    duration_seconds: Mapped[int] = mapped_column(Integer)
    call_type: Mapped[CallType] = mapped_column(enum_type(CallType))
    switch_time_zone: Mapped[str] = mapped_column(String(40))
    utc_offset_minutes: Mapped[int] = mapped_column(Integer)


class InternetSession(Base):
    """A data session and the address (and, behind carrier-grade NAT, the ports) it was given."""

    __tablename__ = "internet_sessions"
    __table_args__ = (
        Index("ix_internet_sessions_ip_started", "assigned_ip", "started_at"),
        Index("ix_internet_sessions_subscriber_started", "subscriber_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    assigned_ip: Mapped[str] = mapped_column(String(45))
    nat_port_start: Mapped[int | None] = mapped_column(Integer)
    nat_port_end: Mapped[int | None] = mapped_column(Integer)
    access_type: Mapped[AccessType] = mapped_column(enum_type(AccessType))
    bytes_up: Mapped[int] = mapped_column(BigInteger)
    bytes_down: Mapped[int] = mapped_column(BigInteger)


class BillingStatement(Base):
    """A monthly statement issued to an account."""

    __tablename__ = "billing_statements"
    __table_args__ = (Index("ix_billing_statements_subscriber_issued", "subscriber_id", "issued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime]
    amount_cents: Mapped[int] = mapped_column(Integer)


class AccountNote(Base):
    """A note a customer-care agent left on an account."""

    __tablename__ = "account_notes"
    __table_args__ = (Index("ix_account_notes_subscriber_created", "subscriber_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id"))
    created_at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)


class EmergencyCall(Base):
    """A 9-1-1 call and the location data delivered with it to the answering PSAP."""

    __tablename__ = "e911_calls"
    __table_args__ = (Index("ix_e911_calls_number_started", "calling_number", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calling_number: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    psap: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(32))
    uncertainty_m: Mapped[int] = mapped_column(Integer)
    dispatchable_address: Mapped[str | None] = mapped_column(String(300))


class Voicemail(Base):
    """A message left in a mailbox, with its audio and the audio's SHA-256."""

    __tablename__ = "voicemails"
    __table_args__ = (Index("ix_voicemails_mailbox_left", "mailbox_number", "left_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox_number: Mapped[str] = mapped_column(String(16))
    caller_number: Mapped[str | None] = mapped_column(String(16))
    left_at: Mapped[datetime]
    duration_seconds: Mapped[int] = mapped_column(Integer)
    audio: Mapped[bytes] = mapped_column(LargeBinary)
    content_sha256: Mapped[str] = mapped_column(String(64))


class AgencyDirectoryEntry(Base):
    """A law-enforcement agency's main number as the carrier found it, for callback checks and
    requester verification (domain.requesters)."""

    __tablename__ = "agency_directory"
    __table_args__ = (UniqueConstraint("agency", "main_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[str] = mapped_column(String(200), index=True)
    main_number: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(String(300))
    """Where the number was found, independently of any request (a published directory)."""


class AgencyDomain(Base):
    """An e-mail domain registered to an agency (mail from it or its subdomains is the agency's), as
    the carrier confirmed it independently of any request; requester verification checks against it."""

    __tablename__ = "agency_domains"
    __table_args__ = (UniqueConstraint("agency", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[str] = mapped_column(String(200), index=True)
    domain: Mapped[str] = mapped_column(String(253), index=True)
    """Lower case ASCII (punycode for an internationalized name), no trailing dot."""
    source: Mapped[str] = mapped_column(String(300))
    """How the carrier confirmed the domain is the agency's (its published contact page, a call)."""
