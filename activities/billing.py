"""Billing: one invoice per request under 18 U.S.C. 2706 and the carrier's fee schedule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.errors import invalid_request
from domain.contracts import BillInput, InvoiceSummary
from domain.fees import InvoiceQuote, quote_invoice
from domain.vocabulary import IssuerKind, RequesterKind, RequestType, TargetKind
from les.logging import activity_logger
from recordstore.models import Case, CustomerFeeQuote, Invoice


class BillingActivities:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    @activity.defn
    def bill_request(self, billing: BillInput) -> InvoiceSummary:
        """Write the request's invoice once; a retry returns the invoice already written."""
        with self._sessions() as session:
            invoice = session.scalar(select(Invoice).where(Invoice.request_id == billing.request_id))
            if invoice is None:
                quote = self._quote(session, billing)
                invoice = Invoice(
                    request_id=billing.request_id,
                    lines=[line.model_dump(mode="json") for line in quote.lines],
                    total_cents=quote.total_cents, currency=quote.currency, basis=quote.basis,
                    created_at=datetime.now(UTC),
                )
                session.add(invoice)
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()
                    invoice = session.scalar(select(Invoice).where(Invoice.request_id == billing.request_id))
        activity_logger(billing.request_id).info("invoiced", total_cents=invoice.total_cents)
        return InvoiceSummary(
            request_id=billing.request_id, total_cents=invoice.total_cents, currency=invoice.currency,
            line_count=len(invoice.lines), basis=invoice.basis,
        )

    @staticmethod
    def _quote(session: Session, billing: BillInput) -> InvoiceQuote:
        """The invoice as the case file says: its targets, who asked, and any fee the customer accepted."""
        request_type = RequestType(billing.request_type)
        case = session.get(Case, billing.request_id)
        document: dict[str, Any] = case.document if case is not None else {}
        fee_cents = None
        if request_type is RequestType.CUSTOMER_CALL_LOOKUP:
            quote = session.scalar(select(CustomerFeeQuote).where(CustomerFeeQuote.request_id == billing.request_id))
            if quote is None or quote.accepted_at is None:
                raise invalid_request(f"{billing.request_id}: no accepted fee quote on file; nothing is billed")
            fee_cents = quote.amount_cents
        return quote_invoice(
            request_type, [(d.category, d.rows) for d in billing.delivered], billing.target_count,
            billing.assistance_days, target_kinds=_target_kinds(document), civil_party=_civil_party(document),
            customer_fee_cents=fee_cents,
        )


def _target_kinds(document: dict[str, Any]) -> frozenset[TargetKind]:
    kinds = {t.get("kind") for t in document.get("targets") or [] if isinstance(t, dict)}
    return frozenset(TargetKind(k) for k in kinds if k in TargetKind.__members__.values())


def _civil_party(document: dict[str, Any]) -> str | None:
    """Who a civil subpoena is billed to: the attorney's firm (or the attorney); None if not civil."""
    requester = document.get("requester") or {}
    process = document.get("legal_process") or {}
    civil = requester.get("kind") == RequesterKind.ATTORNEY or process.get("issuer_kind") == IssuerKind.ATTORNEY
    if not civil:
        return None
    return ", ".join(str(requester[k]) for k in ("agency", "name") if requester.get(k)) or "the requesting party"
