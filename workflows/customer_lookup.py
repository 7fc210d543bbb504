"""CustomerCallLookup: a customer asks for the outgoing calls of their own numbers (SPEC §3).

The story: verify; confirm who the customer is (the PIN is checked against the account's
salted hash at once; any other method waits for an analyst's approve); quote the fee and
wait for the analyst to record that the customer accepted it (the quote lapses after 30
days); search only the account's own numbers; deliver to the address of record; invoice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.customers import CustomerActivities
    from domain.case import CaseOutcome, CaseState, RequestSubmission, Resolution
    from domain.contracts import (
        AcceptQuoteInput,
        AddressInput,
        AuthenticateInput,
        CustomerAuthentication,
        FeeQuote,
        QuoteInput,
    )
    from domain.verification import CheckResult
    from domain.vocabulary import RequestType
    from workflows.activity_options import QUICK
    from workflows.records import RecordsShape

_SECOND = timedelta(seconds=1)


@workflow.defn(name="CustomerCallLookup")
class CustomerCallLookup(RecordsShape, request_type=RequestType.CUSTOMER_CALL_LOOKUP):
    """47 CFR 64.2010: the customer's own outgoing calls, after authentication and a fee."""

    _authentication: CustomerAuthentication | None = None
    _quote: FeeQuote | None = None

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await self._story(submission)

    async def _before_gate(self, check: CheckResult) -> str | None:
        auth = await workflow.execute_activity_method(
            CustomerActivities.authenticate_customer,
            AuthenticateInput(request_id=self._request_id, document=self._document),
            summary="authenticate the customer against the account", **QUICK,
        )
        self._authentication = auth
        await self._record_system_event(
            "customer_authenticated" if auth.verified is not False else "customer_authentication_failed",
            note=auth.reason,
            details={"method": str(auth.method), "verified": auth.verified, "own_numbers": len(auth.own_numbers),
                     "refused_targets": [t.model_dump() for t in auth.refused_targets]},
        )
        if auth.verified is False:
            return f"customer authentication failed: {auth.reason}"
        if not auth.own_numbers:
            return "no target is a number on the customer's own account; nothing may be searched"
        return None

    def _identity_confirmed(self) -> bool:
        return self._authentication is not None and self._authentication.verified is True

    async def _through_the_gate(self) -> None:
        await self._wait_for(CaseState.AWAITING_FEE_ACCEPTANCE, CaseState.RETRIEVING)
        if self._case.closed:
            return
        assert self._authentication is not None and self.plan.fee_quote_validity is not None
        quote = await workflow.execute_activity_method(
            CustomerActivities.quote_fee,
            QuoteInput(request_id=self._request_id, account_number=self._authentication.account_number),
            summary="quote the lookup fee", **QUICK,
        )
        self._quote = quote
        self._case.quote_issued(quote.quote_id)
        await self._record_system_event(
            "fee_quoted", note=f"quote {quote.quote_id}: {quote.amount_cents / 100:.2f} {quote.currency}",
            details={"quote_id": quote.quote_id, "amount_cents": quote.amount_cents},
        )
        self._publish_state()
        expires = quote.quoted_at + self.plan.fee_quote_validity
        accepted = await self._wait_for(CaseState.RETRIEVING, timeout=max(expires - workflow.now(), _SECOND),
                                        summary="fee quote lapses")
        if not accepted and self._case.close(Resolution.QUOTE_EXPIRED,
                                             f"quote {quote.quote_id} unanswered for 30 days; nothing was searched"):
            return
        if self._case.state is CaseState.RETRIEVING:
            self._quote = await workflow.execute_activity_method(
                CustomerActivities.accept_quote,
                AcceptQuoteInput(request_id=self._request_id, quote_id=quote.quote_id),
                summary="record the accepted quote", **QUICK,
            )

    def _retrieval_document(self) -> dict[str, Any]:
        """The customer's own numbers only; every other target was refused with its reason."""
        assert self._authentication is not None
        own = set(self._authentication.own_numbers)
        targets = [t for t in self._document.get("targets") or [] if t.get("value") in own]
        return {**self._document, "targets": targets}

    async def _after_production(self) -> None:
        assert self._authentication is not None
        address = await workflow.execute_activity_method(
            CustomerActivities.address_of_record,
            AddressInput(request_id=self._request_id, account_number=self._authentication.account_number),
            summary="address the production to the account's address of record", **QUICK,
        )
        await self._record_system_event(
            "mailed_to_address_of_record", note=self._productions[-1].path,
            details={"name": address.name, "lines": address.lines},
        )

    def _extra_deadlines(self) -> dict[str, Any]:
        if self._quote is None or self.plan.fee_quote_validity is None:
            return {}
        return {"fee_quote_expires_at": self._quote.quoted_at + self.plan.fee_quote_validity}

    def _status_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {}
        if self._authentication is not None:
            details["authentication"] = {
                "method": str(self._authentication.method), "verified": self._authentication.verified,
                "refused_targets": [t.model_dump() for t in self._authentication.refused_targets],
            }
        if self._quote is not None:
            details["fee_quote"] = self._quote.model_dump(mode="json")
        return details

