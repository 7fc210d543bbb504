"""The request document of SPEC §1 as pydantic models: structure here, legal judgement in policy."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from domain.fisa import fisa_section
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
from domain.wellformed import (
    MAX_CODE_CHARS,
    MAX_EXTRA_TEXT_CHARS,
    MAX_JUSTIFICATION_CHARS,
    MAX_NAME_CHARS,
    MAX_PHONE_TEXT_CHARS,
    MAX_SELECTOR_CHARS,
    email_fault,
    is_e164,
    jurisdiction_fault,
    longest_text,
    meaningful_text,
    quoted,
    renders_as_nothing,
    timestamp_fault,
    too_long,
)

SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)


def _rfc3339(value: Any) -> Any:
    """SPEC §1: a timestamp is an RFC 3339 string with an offset or Z; a number is not one."""
    fault = timestamp_fault(value)
    if fault == "naive":
        raise PydanticCustomError("timezone_aware", "timestamp has no UTC offset")
    if fault is not None:
        raise PydanticCustomError("invalid_field", "{fault}", {"fault": fault})
    return value


def _required_text(value: Any) -> Any:
    """A required name: format and control characters, default-ignorable code points, surrounding
    spaces and bare punctuation do not count."""
    kept = meaningful_text(value)
    if kept is None and value is not None:
        raise PydanticCustomError(
            "missing_field",
            "is blank (spaces, control, format and default-ignorable characters and bare punctuation "
            "do not count)")
    return kept


def _within(value: Any, limit: int) -> Any:
    """The value, or its length limit broken as a problem (anything but text is left to its type)."""
    fault = too_long(value, limit)
    if fault is not None:
        raise PydanticCustomError("invalid_field", "{fault}", {"fault": fault})
    return value


def _at_most(limit: int) -> BeforeValidator:
    """SPEC §1 (3rd): a text field's length limit, checked before anything else reads the value.
    In an Annotated type it is listed last, so that it runs first (pydantic runs before-validators
    from the last to the first)."""
    return BeforeValidator(partial(_within, limit=limit))


def _email_limits(value: Any) -> Any:
    """RFC 5321 and RFC 1035 length limits of an e-mail address (SPEC §1, 3rd)."""
    fault = email_fault(value) if isinstance(value, str) else None
    if fault is not None:
        raise PydanticCustomError("invalid_field", "{fault}", {"fault": fault})
    return value


# Strict: a legal document says 60 days, not "60" or 60.5 or true.
PositiveDays = Annotated[int, Field(strict=True, gt=0)]
PortNumber = Annotated[int, Field(strict=True, ge=0, le=65535)]
NonEmpty = Annotated[str, BeforeValidator(_required_text), Field(min_length=1), _at_most(MAX_NAME_CHARS)]
"""A required name or text: blank after dropping what does not count is missing."""
Code = Annotated[str, BeforeValidator(_required_text), Field(min_length=1), _at_most(MAX_CODE_CHARS)]
"""A required short code or reference (an instrument's name, a docket number)."""
Selector = Annotated[str, Field(min_length=1), _at_most(MAX_SELECTOR_CHARS)]
"""A value matched exactly against the store (a target, an account): never cleaned, only checked."""
Text = Annotated[str | None, BeforeValidator(meaningful_text), _at_most(MAX_NAME_CHARS)]
"""An optional name or signature: what is left empty after dropping what does not count is absent."""
Justification = Annotated[str, BeforeValidator(_required_text), Field(min_length=1),
                          _at_most(MAX_JUSTIFICATION_CHARS)]
"""Why an emergency cannot wait: a few paragraphs, blank is missing."""
Email = Annotated[str | None, BeforeValidator(_email_limits)]
"""An e-mail address as written, within RFC 5321's and RFC 1035's lengths."""
PhoneText = Annotated[str | None, _at_most(MAX_PHONE_TEXT_CHARS)]
"""A contact number as written (not a selector)."""
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


def _invalid(field: str, message: str) -> PydanticCustomError:
    """A value error pinned to one field of the raising model, so its path names that field."""
    return PydanticCustomError("invalid_field", message, {"field": field})


def _unless_faulty(value: str, fault: str | None) -> str:
    """The value, or the fault (domain/identifiers.py) as a problem with the field's path."""
    if fault is not None:
        raise PydanticCustomError("invalid_field", "{fault}", {"fault": fault})
    return value


def _is_e164(value: str) -> bool:
    return is_e164(value)


class DocumentModel(BaseModel):
    """Base of every request model: unknown fields are kept, never silently dropped (SPEC §1)."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="after")
    def _extra_text_bounded(self) -> DocumentModel:
        """A field SPEC §1 does not name is kept, but its text is bounded like every other field's."""
        for key, value in (self.model_extra or {}).items():
            if longest_text(value) > MAX_EXTRA_TEXT_CHARS:
                raise PydanticCustomError(
                    "invalid_field", "holds text longer than {limit} characters (a field the request "
                    "document does not name is kept, within that limit)",
                    {"field": key, "limit": MAX_EXTRA_TEXT_CHARS})
        return self


class Requester(DocumentModel):
    """Who sent the request."""

    kind: RequesterKind = Field(description="law_enforcement, government, attorney or customer.")
    agency: Text = Field(None, description="The agency or firm the requester acts for.")
    name: Text = Field(None, description="The requester's name.")
    email: Email = Field(None, description="Where answers and productions are sent.")
    phone: PhoneText = Field(None, description="The requester's telephone number.")


INSTRUMENT_SPELLINGS = {"emergency_authorisation": "emergency_authorization"}
"""Other spellings of an instrument's name, and the one the product uses."""


class LegalProcess(DocumentModel):
    """The legal instrument behind the request; fields that do not apply to a type are absent."""

    instrument: Code = Field(description="The instrument's own name, e.g. grand_jury_subpoena.")
    reference: Code = Field(description="Docket, case or letter number.")
    issued_by: NonEmpty = Field(description="The court, grand jury, agency or office.")
    issuer_kind: IssuerKind = Field(description="court, grand_jury, agency, fbi, fisc or attorney.")
    jurisdiction: Annotated[str, _at_most(MAX_CODE_CHARS)] = Field(
        description="'federal' or 'state:XX' (a US state, DC or territory).")
    signed_by: Text = Field(None, description="Who signed it; unsigned is a policy problem.")
    signed_at: Timestamp | None = Field(None, description="When it was signed.")
    issued_at: Timestamp | None = Field(None, description="When the order was entered.")
    response_due: Timestamp | None = Field(None, description="When the answer is due.")
    duration_days: PositiveDays | None = Field(
        None, description="Authorised length of a prospective order, in days (policy caps it)."
    )
    first_interception_at: Timestamp | None = Field(
        None, description="Title III: when interception first began (starts the 30-day clock)."
    )
    nondisclosure_until: Timestamp | None = Field(
        None, description="No notice to the customer before this (2705(b), 3123(d), 2709(c))."
    )
    extension_of: str | None = Field(None, description="request_id of the order this one extends.")
    authority: Annotated[str | None, _at_most(MAX_CODE_CHARS)] = Field(
        None, description="FISA: the section the order issues under, 50 U.S.C. 1805, 1842, 1861 or 1881a "
                          "(written so, or as the bare number); kept as '50 U.S.C. NNNN'.")

    @field_validator("instrument")
    @classmethod
    def _one_spelling(cls, value: str) -> str:
        # LEGAL.md spells it emergency_authorisation, SPEC emergency_authorization: the same instrument.
        return INSTRUMENT_SPELLINGS.get(value, value)

    @field_validator("authority")
    @classmethod
    def _fisa_section(cls, value: str | None) -> str | None:
        if value is None:
            return None
        section = fisa_section(value)
        if section is None:
            raise PydanticCustomError("invalid_field", "{value} is not a section a FISA order issues under; "
                                      "write 50 U.S.C. 1805, 1842, 1861 or 1881a", {"value": quoted(value)})
        return section

    @field_validator("extension_of")
    @classmethod
    def _extension_names_a_request(cls, value: str | None) -> str | None:
        return value if value is None else _unless_faulty(value, request_id_fault(value))

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction_form(cls, value: str) -> str:
        return _unless_faulty(value, jurisdiction_fault(value))


class Authentication(DocumentModel):
    """How the customer proved who they are; method-specific fields (e.g. pin) ride as extras."""

    method: AuthMethod = Field(description="account_pin, callback_to_number_of_record, ...")


class Customer(DocumentModel):
    """The customer asking for their own call records (customer_call_lookup only)."""

    account_number: Selector = Field(description="The customer's account number.")
    authentication: Authentication = Field(description="How the customer was authenticated.")


class Callback(DocumentModel):
    """The call back to the requesting agency that confirms an emergency request is genuine."""

    number: Annotated[str, _at_most(MAX_PHONE_TEXT_CHARS)] = Field(
        description="The agency number called back, E.164.")
    source: CallbackSource = Field(description="Where that number came from.")
    verified_by: Text = Field(None, description="Who made the verifying call.")
    verified_at: Timestamp | None = Field(None, description="When the callback was verified.")

    @field_validator("number")
    @classmethod
    def _number_is_e164(cls, value: str) -> str:
        if not _is_e164(value):
            raise PydanticCustomError(
                "invalid_field", "{value} is not an E.164 number (+ and 8-15 ASCII digits)",
                {"value": quoted(value)},
            )
        return value


class Emergency(DocumentModel):
    """The emergency disclosure claim of 18 U.S.C. 2702(c)(4) (emergency only)."""

    justification: Justification = Field(description="Why there is a danger that cannot wait.")
    danger: Danger = Field(description="death or serious_physical_injury.")
    callback: Callback = Field(description="The callback that authenticates the requester.")
    supervisor: Text = Field(None, description="The supervisor who approved; may be null.")


class Target(DocumentModel):
    """One selector: a phone number, account, IP address (at an instant) or e-mail address."""

    kind: TargetKind = Field(description="phone_number, account_number, ip_address or email.")
    value: Selector = Field(description="The selector itself.")
    observed_at: Timestamp | None = Field(
        None, description="ip_address: the instant the address was seen (resolves the subscriber)."
    )
    port: PortNumber | None = Field(
        None, description="ip_address: source port, needed behind carrier-grade NAT."
    )

    def identity(self) -> tuple[Any, ...]:
        """What makes two targets the same selector (their extras do not)."""
        return (self.kind, self.value.lower() if self.kind == TargetKind.EMAIL else self.value,
                self.observed_at, self.port)

    @model_validator(mode="after")
    def _value_fits_kind(self) -> Target:
        if self.kind == TargetKind.PHONE_NUMBER and not _is_e164(self.value):
            raise _invalid("value", f"{quoted(self.value)} is not an E.164 number (+ and 8-15 ASCII digits)")
        if self.value != self.value.strip() or any(renders_as_nothing(c) for c in self.value):
            # A selector is matched exactly: an invisible character would match no records.
            raise _invalid("value", f"{quoted(self.value)} holds spaces, control or format characters")
        if self.kind == TargetKind.IP_ADDRESS:
            try:
                ipaddress.ip_address(self.value)
            except ValueError:
                raise _invalid("value", f"{quoted(self.value)} is not an IPv4 or IPv6 address") from None
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
                raise _invalid("value", f"{quoted(self.value)} is not an e-mail address (one @)")
            if (fault := email_fault(self.value)) is not None:
                raise _invalid("value", fault)
        return self


# Orders for prospective collection: their clock, not a period, bounds what they reach.
PROSPECTIVE_TYPES = frozenset({RequestType.PEN_REGISTER, RequestType.TITLE3_WIRETAP})


class Period(DocumentModel):
    """The time span of historical records asked for."""

    start: Timestamp = Field(description="First instant covered.")
    end: Timestamp = Field(description="Last instant covered; after start.")

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
        if not SHA256_HEX.fullmatch(value):
            raise PydanticCustomError(
                "invalid_field", "{value} is not a SHA-256 digest (exactly 64 hex digits)",
                {"value": quoted(value)},
            )
        return value


class LegalRequest(DocumentModel):
    """One legal demand for customer records, as received (SPEC §1)."""

    request_id: str = Field(description="Unique id, e.g. LES-2026-000123; names the workflow and folders.")
    type: RequestType = Field(description="Which kind of demand this is.")
    received_at: Timestamp = Field(description="When the team received it.")
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

    follow_up_of: str | None = Field(
        None, description="emergency follow-up: the request_id of the emergency request it follows.")
    preservation_ref: str | None = Field(
        None, description="The request_id of the preservation hold this demand produces from.")

    _period_asked_end: datetime | None = PrivateAttr(None)
    """The period's end as written, when it reached past receipt and was cut there."""

    @field_validator("request_id", "follow_up_of", "preservation_ref")
    @classmethod
    def _well_formed_request_id(cls, value: str | None) -> str | None:
        return value if value is None else _unless_faulty(value, request_id_fault(value))

    @field_validator("records")
    @classmethod
    def _drop_duplicate_categories(cls, value: list[RecordCategory]) -> list[RecordCategory]:
        # Asking twice for a category is not a defect; keep the first mention's order.
        return list(dict.fromkeys(value))

    @field_validator("targets")
    @classmethod
    def _drop_duplicate_targets(cls, value: list[Target]) -> list[Target]:
        # SPEC §1: duplicate targets count once (one search, one fee); the first mention is kept.
        first: dict[tuple[Any, ...], Target] = {}
        for target in value:
            first.setdefault(target.identity(), target)
        return list(first.values())

    @model_validator(mode="after")
    def _period_cut_at_receipt(self) -> LegalRequest:
        """LEGAL.md: historical records are those that exist when the demand is received; a period
        reaching past receipt is cut there (screening warns). Prospective orders name no period."""
        span = self.period
        if (span is not None and self.type not in PROSPECTIVE_TYPES
                and span.start < self.received_at < span.end):
            self._period_asked_end = span.end
            self.period = span.model_copy(update={"end": self.received_at})
        return self

    @property
    def period_asked_end(self) -> datetime | None:
        """The period's end as the document wrote it, when it was cut at receipt (else None)."""
        return self._period_asked_end


def parse_request(raw: Mapping[str, Any]) -> LegalRequest:
    """Validate a decoded request document; raises pydantic.ValidationError."""
    return LegalRequest.model_validate(raw)
