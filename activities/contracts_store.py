"""Typed inputs and results of the records-store activities: holds, customers, the directory,
and retrieval from a hold. Identifiers, counts and reasons only; never records."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from domain.vocabulary import AuthMethod, RecordCategory
from recordstore.hold_models import HoldState


class PlaceHoldInput(BaseModel):
    request_id: str
    """The preservation request; it names the hold."""
    document: dict[str, Any]
    """The preservation request (targets and period are read from it)."""
    categories: list[RecordCategory]
    """The stored categories to preserve (the permitted ones)."""
    expires_at: AwareDatetime
    """When the hold lapses unless renewed (domain.clocks.preservation_expiry)."""


class ExtendHoldInput(BaseModel):
    request_id: str
    expires_at: AwareDatetime
    """The renewed expiry; never earlier than the current one."""


class ReleaseHoldInput(BaseModel):
    request_id: str
    reason: str
    """Why the hold ends early (the withdrawal's note)."""


class HoldRef(BaseModel):
    request_id: str


class HoldSummary(BaseModel):
    request_id: str
    rows_per_category: dict[str, int]
    """Rows snapshotted per category when the hold was placed."""
    expires_at: AwareDatetime
    state: HoldState
    """active, released or expired."""


class AuthenticateInput(BaseModel):
    request_id: str
    document: dict[str, Any]
    """The customer call lookup (its customer block and targets)."""


class RefusedTarget(BaseModel):
    value: str
    reason: str


class CustomerAuthentication(BaseModel):
    method: AuthMethod
    verified: bool | None
    """True: proven; False: refused; None: waits for an analyst to confirm it."""
    reason: str
    account_number: str
    own_numbers: list[str] = Field(default_factory=list)
    """Targets that are numbers of this account in the period: the only ones searched."""
    refused_targets: list[RefusedTarget] = Field(default_factory=list)


class QuoteInput(BaseModel):
    request_id: str
    account_number: str


class AcceptQuoteInput(BaseModel):
    request_id: str
    quote_id: str
    """The quote the customer accepted, as the analyst recorded it."""


class FeeQuote(BaseModel):
    quote_id: str
    amount_cents: int
    currency: str
    basis: str
    quoted_at: AwareDatetime
    accepted_at: AwareDatetime | None = None


class AddressInput(BaseModel):
    request_id: str
    account_number: str


class MailingAddress(BaseModel):
    name: str
    lines: list[str]
    """Street (or PO box), then city, state and ZIP."""


class CallbackCheckInput(BaseModel):
    request_id: str
    agency: str
    number: str
    """The number the analyst called back."""


class CallbackCheck(BaseModel):
    listed: bool
    directory_numbers: list[str]
    """The agency's numbers in the carrier's own directory."""
    reason: str
