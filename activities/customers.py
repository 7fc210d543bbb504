"""A customer call lookup's side of the store: who the customer is, what they pay, where it goes."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.exc import IntegrityError
from temporalio import activity

from activities.errors import invalid_request, parse_or_refuse, quote_mismatch
from domain.contracts import (
    AcceptQuoteInput,
    AddressInput,
    AuthenticateInput,
    CustomerAuthentication,
    FeeQuote,
    MailingAddress,
    QuoteInput,
    RefusedTarget,
)
from domain.fees import CUSTOMER_BASIS, CUSTOMER_LOOKUP_FEE_CENTS
from domain.request import LegalRequest
from domain.vocabulary import AuthMethod, RequestType, TargetKind
from les.logging import activity_logger
from recordstore.db import make_session_factory
from recordstore.models import CustomerFeeQuote, Subscriber, TelephoneNumber
from recordstore.pins import pin_matches
from recordstore.targets import period_window

NOT_OWN = "is not a number on account {account} during the period; a customer obtains only the records " \
          "of their own numbers (47 CFR 64.2010)"


def customer_lookup_fee_cents() -> int:
    """LES_CUSTOMER_LOOKUP_FEE_CENTS, or the schedule's fee (domain.fees)."""
    text = os.environ.get("LES_CUSTOMER_LOOKUP_FEE_CENTS", "").strip()
    cents = int(text) if text else CUSTOMER_LOOKUP_FEE_CENTS
    if cents < 0:
        raise ValueError(f"LES_CUSTOMER_LOOKUP_FEE_CENTS cannot be negative (got {cents})")
    return cents


class CustomerActivities:
    """Authentication, the fee quote and the address of record; the PIN is never logged or returned."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = make_session_factory(engine)

    def _account(self, account_number: str) -> Subscriber:
        with self._sessions() as session:
            account = session.scalar(select(Subscriber).where(Subscriber.account_number == account_number))
        if account is None:
            raise invalid_request("customer.account_number: no account on file with the number the request gives")
        return account

    @activity.defn
    def authenticate_customer(self, asked: AuthenticateInput) -> CustomerAuthentication:
        """Check the customer's proof of identity and split the targets into own numbers and refused."""
        request = parse_or_refuse(asked.request_id, asked.document)
        if request.type is not RequestType.CUSTOMER_CALL_LOOKUP or request.customer is None:
            raise invalid_request(f"{asked.request_id} is not a customer call lookup with a customer block")
        customer = request.customer
        method = customer.authentication.method
        with self._sessions() as session:
            account = session.scalar(select(Subscriber).where(Subscriber.account_number == customer.account_number))
            own = self._own_numbers(session, account, request) if account else set()
        answer = CustomerAuthentication(
            method=method, verified=False, reason="", account_number=customer.account_number)
        for target in request.targets:
            if target.kind is TargetKind.PHONE_NUMBER and target.value in own:
                answer.own_numbers.append(target.value)
            else:
                answer.refused_targets.append(RefusedTarget(
                    value=target.value, reason=f"{target.value} " + NOT_OWN.format(account=customer.account_number)))
        answer.verified, answer.reason = self._verdict(account, method, customer.authentication.model_extra or {})
        activity_logger(asked.request_id).info(
            "customer authentication", method=str(method), verified=answer.verified,
            own_numbers=len(answer.own_numbers), refused_targets=len(answer.refused_targets))
        return answer

    @staticmethod
    def _own_numbers(session, account: Subscriber, request: LegalRequest) -> set[str]:
        window = period_window(request.period.start, request.period.end) if request.period else None
        query = select(TelephoneNumber.number).where(TelephoneNumber.subscriber_id == account.id)
        if window is not None:
            query = query.where(and_(TelephoneNumber.valid_from < window.end,
                                     or_(TelephoneNumber.valid_to.is_(None), TelephoneNumber.valid_to > window.start)))
        return set(session.scalars(query))

    @staticmethod
    def _verdict(account: Subscriber | None, method: AuthMethod, proof: dict) -> tuple[bool | None, str]:
        if account is None:
            return False, "no such account on file"
        if method is not AuthMethod.ACCOUNT_PIN:
            return None, f"{method}: an analyst confirms the customer's identity and approves"
        if not account.pin_hash or not account.pin_salt:
            return False, "the account has no PIN on file; authenticate by another method"
        if pin_matches(str(proof.get("pin") or ""), account.pin_salt, account.pin_hash):
            return True, "the PIN matches the account's"
        return False, "the PIN does not match the account's"

    @activity.defn
    def quote_fee(self, asked: QuoteInput) -> FeeQuote:
        """Quote the lookup fee once per request; a retry returns the same quote."""
        self._account(asked.account_number)
        lookup = select(CustomerFeeQuote).where(CustomerFeeQuote.request_id == asked.request_id)
        with self._sessions() as session:
            quote = session.scalar(lookup)
            if quote is None:
                quote = CustomerFeeQuote(
                    quote_id=f"Q-{secrets.token_hex(6)}", request_id=asked.request_id,
                    account_number=asked.account_number, amount_cents=customer_lookup_fee_cents(),
                    currency="USD", basis=CUSTOMER_BASIS, quoted_at=datetime.now(UTC), accepted_at=None,
                )
                session.add(quote)
                try:
                    session.commit()
                except IntegrityError:  # a concurrent attempt quoted first
                    session.rollback()
                    quote = session.scalar(lookup)
        activity_logger(asked.request_id).info("fee quoted", quote_id=quote.quote_id, amount_cents=quote.amount_cents)
        return _fee_quote(quote)

    @activity.defn
    def accept_quote(self, accepted: AcceptQuoteInput) -> FeeQuote:
        """Record that the customer accepted the quote on file (the same quote id, or refused)."""
        with self._sessions() as session:
            quote = session.scalar(select(CustomerFeeQuote).where(CustomerFeeQuote.request_id == accepted.request_id))
            if quote is None or not secrets.compare_digest(quote.quote_id, accepted.quote_id):
                raise quote_mismatch(f"{accepted.quote_id} is not the quote on file for {accepted.request_id}")
            if quote.accepted_at is None:
                quote.accepted_at = datetime.now(UTC)
                session.commit()
        return _fee_quote(quote)

    @activity.defn
    def address_of_record(self, asked: AddressInput) -> MailingAddress:
        """Where the production is mailed: the account's billing address, never one the request gives."""
        account = self._account(asked.account_number)
        return MailingAddress(name=account.name, lines=[
            account.billing_street, f"{account.billing_city}, {account.billing_state} {account.billing_zip}",
        ])


def _fee_quote(quote: CustomerFeeQuote) -> FeeQuote:
    return FeeQuote(quote_id=quote.quote_id, amount_cents=quote.amount_cents, currency=quote.currency,
                    basis=quote.basis, quoted_at=quote.quoted_at, accepted_at=quote.accepted_at)
