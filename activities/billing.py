"""Billing: one invoice per request under 18 U.S.C. 2706 and the carrier's fee schedule."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from domain.case import BillInput, InvoiceSummary
from domain.fees import quote_invoice
from domain.vocabulary import RequestType
from les.logging import activity_logger
from recordstore.models import Invoice


class BillingActivities:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    @activity.defn
    def bill_request(self, billing: BillInput) -> InvoiceSummary:
        """Write the request's invoice once; a retry returns the invoice already written."""
        quote = quote_invoice(
            RequestType(billing.request_type),
            [(d.category, d.rows) for d in billing.delivered],
            billing.target_count,
        )
        with self._sessions() as session:
            invoice = session.scalar(select(Invoice).where(Invoice.request_id == billing.request_id))
            if invoice is None:
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
