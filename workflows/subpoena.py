"""SubpoenaWorkflow: a subpoena for stored records, from intake to a certified, billed production.

The story: open the case, verify the legal process, wait for the analyst, retrieve exactly the
permitted categories, package and certify them, deliver, bill, close. The response clock runs
throughout. Records never enter this history: activities hand back paths, counts and hashes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.billing import BillingActivities
    from activities.production import ProductionActivities
    from activities.records import RecordsActivities
    from domain.case import (
        BillInput,
        CaseOutcome,
        CaseState,
        DeliveredCategory,
        DeliverInput,
        Delivery,
        InvoiceSummary,
        PackageInput,
        ProductionFile,
        RequestSubmission,
        Resolution,
        RetrieveInput,
    )
    from domain.identifiers import FIRST_PRODUCTION, production_id
    from domain.vocabulary import Role, Verdict
    from les.temporal import OVERDUE
    from workflows.activity_options import BULK, QUICK
    from workflows.case_desk import CaseDesk
    from workflows.response_clock import ResponseDueTimer


@workflow.defn(name="Subpoena")
class SubpoenaWorkflow(CaseDesk):
    @workflow.init
    def __init__(self, submission: RequestSubmission) -> None:
        self._init_case(submission)

    # ---- the story -------------------------------------------------------------------------

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        await self._open_case(submission)
        self._check = await self._verify_legal_process()
        if self._check.verdict is Verdict.REJECT:
            reasons = "; ".join(p.message for p in self._check.problems) or "nothing permitted"
            return await self._close(Resolution.REJECTED_ON_VERIFICATION, reasons)

        clock = self._start_response_clock(submission.reminder_lead_hours)
        self._set_state(CaseState.AWAITING_APPROVAL)
        await workflow.wait_condition(
            lambda: self._state is CaseState.RETRIEVING or self._stopped is not None
        )
        if self._stopped is not None:
            outcome = await self._close(*self._stopped)
        else:
            files = await self._retrieve_permitted_records()
            self._production = await self._package_and_deliver(files)
            self._invoice = await self._bill(files)
            outcome = await self._close(Resolution.DELIVERED, self._production.path)
        if clock is not None:
            await clock
        await workflow.wait_condition(workflow.all_handlers_finished)
        return outcome

    def _start_response_clock(self, lead_hours: float) -> asyncio.Task[None] | None:
        assert self._check is not None
        due = self._check.deadlines.get("response_due")
        if due is None:
            return None
        timer = ResponseDueTimer(
            response_due=due,
            reminder_lead=timedelta(hours=lead_hours),
            is_closed=lambda: self._state is CaseState.CLOSED,
            on_reminder=self._remind,
            on_overdue=self._escalate_overdue,
        )
        return asyncio.create_task(timer.run())

    async def _remind(self) -> None:
        self._reminded = True
        due = self._check.deadlines["response_due"] if self._check else None
        await self._notify("reminder", Role.ANALYST, f"response due {due:%Y-%m-%d %H:%M %Z}")
        await self._record_system_event("reminder_sent", note=f"response due {due}")

    async def _escalate_overdue(self) -> None:
        self._overdue = True
        workflow.upsert_search_attributes([OVERDUE.value_set(True)])
        due = self._check.deadlines["response_due"] if self._check else None
        await self._notify(
            "overdue", Role.SUPERVISOR, f"response was due {due:%Y-%m-%d %H:%M %Z}; case is {self._state}"
        )
        await self._record_system_event("overdue_escalated", note=f"response was due {due}")

    async def _retrieve_permitted_records(self) -> list[ProductionFile]:
        assert self._check is not None
        production_id = self._production_id()
        retrievals = [
            workflow.execute_activity_method(
                RecordsActivities.retrieve_records,
                RetrieveInput(
                    request_id=self._request_id,
                    production_id=production_id,
                    category=category,
                    document=self._document,
                ),
                summary=f"retrieve {category}",
                **BULK,
            )
            for category in self._check.permitted
        ]
        return list(await asyncio.gather(*retrievals))

    async def _package_and_deliver(self, files: list[ProductionFile]) -> Delivery:
        assert self._check is not None
        self._set_state(CaseState.PACKAGING)
        package = await workflow.execute_activity_method(
            ProductionActivities.package_production,
            PackageInput(
                request_id=self._request_id,
                production_id=self._production_id(),
                produced_at=workflow.now(),
                document=self._document,
                files=files,
                approved_by=dict(self._approvals),
                refused=[r.model_dump() for r in self._check.refused],
            ),
            summary="write legend, manifest and certificate of authenticity",
            **BULK,
        )
        self._set_state(CaseState.DELIVERING)
        delivery = await workflow.execute_activity_method(
            ProductionActivities.deliver_production,
            DeliverInput(request_id=self._request_id, **package.model_dump()),
            **QUICK,
        )
        await self._record_system_event(
            "production_delivered",
            note=delivery.path,
            details={"manifest_sha256": delivery.manifest_sha256, "rows": package.row_count},
        )
        return delivery

    async def _bill(self, files: list[ProductionFile]) -> InvoiceSummary:
        self._set_state(CaseState.BILLING)
        targets = self._document.get("targets") or []
        invoice = await workflow.execute_activity_method(
            BillingActivities.bill_request,
            BillInput(
                request_id=self._request_id,
                request_type=str(self._document.get("type")),
                delivered=[DeliveredCategory(category=f.category, rows=f.rows) for f in files],
                target_count=len(targets),
            ),
            **QUICK,
        )
        await self._record_system_event(
            "invoiced", note=f"{invoice.total_cents / 100:.2f} {invoice.currency}"
        )
        return invoice

    def _production_id(self) -> str:
        return production_id(self._request_id, FIRST_PRODUCTION)
