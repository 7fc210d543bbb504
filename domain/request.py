"""The request document of SPEC §1 as pydantic models: structure here, legal judgement in policy."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from domain.identifiers import file_name_fault, request_id_fault
from domain.vocabulary import (
    AuthMethod,
    CallbackSource,
    Danger,
    IssuerKind,
    RecordCategory,
    RequesterKind,
    RequestType,
    TargetKind,
)

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
JURISDICTION = re.compile(r"^federal$|^state:[A-Z]{2}$")
SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")

# Strict: a legal document says 60 days, not "60" or 60.5 or true.
PositiveDays = Annotated[int, Field(strict=True, gt=0)]
PortNumber = Annotated[int, Field(strict=True, ge=0, le=65535)]
NonEmpty = Annotated[str, Field(min_length=1)]


def _invalid(field: str, message: str) -> PydanticCustomError:
    """A value error pinned to one field of the raising model, so its path names that field."""
    return PydanticCustomError("invalid_field", message, {"field": field})


def _unless_faulty(value: str, fault: str | None) -> str:
    """The value, or the fault (domain/identifiers.py) as a problem with the field's path."""
    if fault is not None:
        raise PydanticCustomError("invalid_field", "{fault}", {"fault": fault})
    return value


def _is_e164(value: str) -> bool:
    return bool(E164.match(value))


class DocumentModel(BaseModel):
    """Base of every request model: unknown fields are kept, never silently dropped (SPEC §1)."""

    model_config = ConfigDict(extra="allow")


class Requester(DocumentModel):
    """Who sent the request."""

    kind: RequesterKind = Field(description="law_enforcement, government, attorney or customer.")
    agency: str | None = Field(None, description="The agency or firm the requester acts for.")
    name: str | None = Field(None, description="The requester's name.")
    email: str | None = Field(None, description="Where answers and productions are sent.")
    phone: str | None = Field(None, description="The requester's telephone number.")


class LegalProcess(DocumentModel):
    """The legal instrument behind the request; fields that do not apply to a type are absent."""

    instrument: NonEmpty = Field(description="The instrument's own name, e.g. grand_jury_subpoena.")
    reference: NonEmpty = Field(description="Docket, case or letter number.")
    issued_by: NonEmpty = Field(description="The court, grand jury, agency or office.")
    issuer_kind: IssuerKind = Field(description="court, grand_jury, agency, fbi, fisc or attorney.")
    jurisdiction: str = Field(description="'federal' or 'state:XX' (two-letter state code).")
    signed_by: str | None = Field(None, description="Who signed it; unsigned is a policy problem.")
    signed_at: AwareDatetime | None = Field(None, description="When it was signed.")
    issued_at: AwareDatetime | None = Field(None, description="When the order was entered.")
    response_due: AwareDatetime | None = Field(None, description="When the answer is due.")
    duration_days: PositiveDays | None = Field(
        None, description="Authorised length of a prospective order, in days (policy caps it)."
    )
    first_interception_at: AwareDatetime | None = Field(
        None, description="Title III: when interception first began (starts the 30-day clock)."
    )
    nondisclosure_until: AwareDatetime | None = Field(
        None, description="No notice to the customer before this (2705(b), 3123(d), 2709(c))."
    )
    extension_of: str | None = Field(None, description="request_id of the order this one extends.")

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction_form(cls, value: str) -> str:
        if not JURISDICTION.match(value):
            raise PydanticCustomError(
                "invalid_field",
                "'{value}' is not a jurisdiction; use 'federal' or 'state:XX' (e.g. state:CO)",
                {"value": value},
            )
        return value


class Authentication(DocumentModel):
    """How the customer proved who they are; method-specific fields (e.g. pin) ride as extras."""

    method: AuthMethod = Field(description="account_pin, callback_to_number_of_record, ...")


class Customer(DocumentModel):
    """The customer asking for their own call records (customer_call_lookup only)."""

    account_number: NonEmpty = Field(description="The customer's account number.")
    authentication: Authentication = Field(description="How the customer was authenticated.")


class Callback(DocumentModel):
    """The call back to the requesting agency that confirms an emergency request is genuine."""

    number: str = Field(description="The agency number called back, E.164.")
    source: CallbackSource = Field(description="Where that number came from.")
    verified_by: str | None = Field(None, description="Who made the verifying call.")
    verified_at: AwareDatetime | None = Field(None, description="When the callback was verified.")

    @field_validator("number")
    @classmethod
    def _number_is_e164(cls, value: str) -> str:
        if not _is_e164(value):
            raise PydanticCustomError(
                "invalid_field", "'{value}' is not an E.164 number (+ and up to 15 digits)",
                {"value": value},
            )
        return value


class Emergency(DocumentModel):
    """The emergency disclosure claim of 18 U.S.C. 2702(c)(4) (emergency only)."""

    justification: NonEmpty = Field(description="Why there is a danger that cannot wait.")
    danger: Danger = Field(description="death or serious_physical_injury.")
    callback: Callback = Field(description="The callback that authenticates the requester.")
    supervisor: str | None = Field(None, description="The supervisor who approved; may be null.")


class Target(DocumentModel):
    """One selector: a phone number, account, IP address (at an instant) or e-mail address."""

    kind: TargetKind = Field(description="phone_number, account_number, ip_address or email.")
    value: NonEmpty = Field(description="The selector itself.")
    observed_at: AwareDatetime | None = Field(
        None, description="ip_address: the instant the address was seen (resolves the subscriber)."
    )
    port: PortNumber | None = Field(
        None, description="ip_address: source port, needed behind carrier-grade NAT."
    )

    @model_validator(mode="after")
    def _value_fits_kind(self) -> Target:
        if self.kind == TargetKind.PHONE_NUMBER and not _is_e164(self.value):
            raise _invalid("value", f"'{self.value}' is not an E.164 number (+, up to 15 digits)")
        if self.kind == TargetKind.IP_ADDRESS:
            try:
                ipaddress.ip_address(self.value)
            except ValueError:
                raise _invalid("value", f"'{self.value}' is not an IPv4 or IPv6 address") from None
            if self.observed_at is None:
                # An address is shared over time; without the instant no subscriber can be named.
                raise PydanticCustomError(
                    "missing_field",
                    "an ip_address target needs observed_at (the instant the address was seen)",
                    {"field": "observed_at"},
                )
        if self.kind == TargetKind.EMAIL:
            local, _, domain = self.value.partition("@")
            if self.value.count("@") != 1 or not local or not domain:
                raise _invalid("value", f"'{self.value}' is not an e-mail address (one @)")
        return self


class Period(DocumentModel):
    """The time span of historical records asked for."""

    start: AwareDatetime = Field(description="First instant covered.")
    end: AwareDatetime = Field(description="Last instant covered; after start.")

    @model_validator(mode="after")
    def _start_before_end(self) -> Period:
        if self.start >= self.end:
            raise _invalid("end", f"period end {self.end.isoformat()} is not after start "
                                  f"{self.start.isoformat()}")
        return self


class Document(DocumentModel):
    """One scanned legal paper, named and fingerprinted."""

    name: str = Field(description="File name of the scan: a plain name, no folders (SPEC §1).")
    sha256: str = Field(description="SHA-256 of the file, 64 hex digits.")

    @field_validator("name")
    @classmethod
    def _plain_file_name(cls, value: str) -> str:
        return _unless_faulty(value, file_name_fault(value))

    @field_validator("sha256")
    @classmethod
    def _sha256_form(cls, value: str) -> str:
        if not SHA256_HEX.match(value):
            raise PydanticCustomError(
                "invalid_field", "'{value}' is not a SHA-256 digest (exactly 64 hex digits)",
                {"value": value},
            )
        return value


class LegalRequest(DocumentModel):
    """One legal demand for customer records, as received (SPEC §1)."""

    request_id: str = Field(description="Unique id, e.g. LES-2026-000123; names the workflow and folders.")
    type: RequestType = Field(description="Which kind of demand this is.")
    received_at: AwareDatetime = Field(description="When the team received it.")
    requester: Requester = Field(description="Who sent it.")
    legal_process: LegalProcess | None = Field(
        None, description="The instrument; absent only for customer_call_lookup (and emergency)."
    )
    customer: Customer | None = Field(None, description="customer_call_lookup only.")
    emergency: Emergency | None = Field(None, description="emergency only.")
    targets: list[Target] = Field(default_factory=list, description="The selectors.")
    records: list[RecordCategory] = Field(
        default_factory=list, description="Record categories asked for, duplicates removed."
    )
    period: Period | None = Field(None, description="Span of historical records.")
    documents: list[Document] = Field(default_factory=list, description="The scanned papers.")

    @field_validator("request_id")
    @classmethod
    def _well_formed_request_id(cls, value: str) -> str:
        return _unless_faulty(value, request_id_fault(value))

    @field_validator("records")
    @classmethod
    def _drop_duplicate_categories(cls, value: list[RecordCategory]) -> list[RecordCategory]:
        # Asking twice for a category is not a defect; keep the first mention's order.
        return list(dict.fromkeys(value))


def parse_request(raw: Mapping[str, Any]) -> LegalRequest:
    """Validate a decoded request document; raises pydantic.ValidationError."""
    return LegalRequest.model_validate(raw)
