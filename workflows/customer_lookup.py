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
        QuoteInput,
    )
    from domain.verification import CheckResult
    from domain.vocabulary import RequestType
    from workflows.activity_options import QUICK
    from workflows.case_desk import CaseDesk
    from workflows.handlers import DeskWorkflow, decision_handlers
    from workflows.records import RecordsSteps, RecordsStory

_SECOND = timedelta(seconds=1)


class CustomerSteps(RecordsSteps):
    """The customer authenticated before the gate, the fee quoted and accepted at it, only the
    account's own numbers searched, the production mailed to the address of record."""

    def __init__(self, desk: CaseDesk) -> None:
        self.desk = desk
        desk.join(self)

    async def before_gate(self, check: CheckResult) -> str | None:
        desk = self.desk
        auth = await workflow.execute_activity_method(
            CustomerActivities.authenticate_customer,
            AuthenticateInput(request_id=desk.request_id, document=desk.document),
            summary="authenticate the customer against the account", **QUICK,
        )
        self.desk.run.authentication = auth
        await desk.store.record(
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

    def identity_confirmed(self) -> bool:
        authentication = self.desk.run.authentication
        return authentication is not None and authentication.verified is True

    async def through_the_gate(self, story: RecordsStory) -> None:
        desk, case, plan = self.desk, self.desk.case, self.desk.plan
        await desk.wait_for(CaseState.AWAITING_FEE_ACCEPTANCE, CaseState.RETRIEVING)
        if case.closed:
            return
        authentication = desk.run.authentication
        assert authentication is not None and plan.fee_quote_validity is not None
        quote = await workflow.execute_activity_method(
            CustomerActivities.quote_fee,
            QuoteInput(request_id=desk.request_id, account_number=authentication.account_number),
            summary="quote the lookup fee", **QUICK,
        )
        desk.run.quote = quote
        case.quote_issued(quote.quote_id)
        await desk.store.record(
            "fee_quoted", note=f"quote {quote.quote_id}: {quote.amount_cents / 100:.2f} {quote.currency}",
            details={"quote_id": quote.quote_id, "amount_cents": quote.amount_cents},
        )
        desk.visibility.publish()
        expires = quote.quoted_at + plan.fee_quote_validity
        accepted = await desk.wait_for(CaseState.RETRIEVING, timeout=max(expires - workflow.now(), _SECOND),
                                       summary="fee quote lapses")
        if not accepted and await desk.closes(
                Resolution.QUOTE_EXPIRED, f"quote {quote.quote_id} unanswered for 30 days; nothing was searched",
                unless=lambda: case.state is CaseState.RETRIEVING):  # accepted while the quote lapsed
            return
        if case.state is CaseState.RETRIEVING:
            desk.run.quote = await workflow.execute_activity_method(
                CustomerActivities.accept_quote,
                AcceptQuoteInput(request_id=desk.request_id, quote_id=quote.quote_id),
                summary="record the accepted quote", **QUICK,
            )

    def retrieval_document(self, document: dict[str, Any]) -> dict[str, Any]:
        """The customer's own numbers only; every other target was refused with its reason."""
        authentication = self.desk.run.authentication
        assert authentication is not None
        own = set(authentication.own_numbers)
        targets = [t for t in document.get("targets") or [] if t.get("value") in own]
        return {**document, "targets": targets}

    async def after_production(self) -> None:
        desk = self.desk
        authentication = desk.run.authentication
        assert authentication is not None
        address = await workflow.execute_activity_method(
            CustomerActivities.address_of_record,
            AddressInput(request_id=desk.request_id, account_number=authentication.account_number),
            summary="address the production to the account's address of record", **QUICK,
        )
        await desk.store.record(
            "mailed_to_address_of_record", note=desk.run.productions[-1].path,
            details={"name": address.name, "lines": address.lines},
        )

    def extra_deadlines(self) -> dict[str, Any]:
        validity = self.desk.plan.fee_quote_validity
        quote = self.desk.run.quote
        if quote is None or validity is None:
            return {}
        return {"fee_quote_expires_at": quote.quoted_at + validity}

    def status_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {}
        authentication, quote = self.desk.run.authentication, self.desk.run.quote
        if authentication is not None:
            details["authentication"] = {
                "method": str(authentication.method), "verified": authentication.verified,
                "refused_targets": [t.model_dump() for t in authentication.refused_targets],
            }
        if quote is not None:
            details["fee_quote"] = quote.model_dump(mode="json")
        return details


@workflow.defn(name="CustomerCallLookup")
@decision_handlers(RequestType.CUSTOMER_CALL_LOOKUP)
class CustomerCallLookup(DeskWorkflow):
    """47 CFR 64.2010: the customer's own outgoing calls, after authentication and a fee."""

    @workflow.init
    def __init__(self, submission: RequestSubmission) -> None:
        super().__init__(submission)
        self.steps = CustomerSteps(self.desk)

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await RecordsStory(self.desk, self.steps).run(submission)
