"""Producing records: retrieve each permitted category, package and certify, deliver, bill.

One production is `<request_id>-Pnn`; a records request makes P01, a surveillance order one
per delivery period. A request none of whose targets matched a subscriber gets, as its P01, the
custodian's no-records letter instead of certified files. Records never enter the history:
activities hand back names, row counts and hashes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.billing import BillingActivities
    from activities.production import ProductionActivities
    from activities.records import RecordsActivities
    from domain.case import CaseState
    from domain.contracts import (
        BillInput,
        DeliveredCategory,
        DeliverInput,
        Delivery,
        InvoiceSummary,
        LetterInput,
        PackagedProduction,
        PackageInput,
        ProductionFile,
        ProductionRef,
        RetrieveInput,
    )
    from domain.vocabulary import RecordCategory
    from workflows.activity_options import BULK, FINISHING, QUICK, RETRIEVING, bulk_task_queue
    from workflows.versions import BULK_TASK_QUEUE, WITHDRAW_DURING_RETRIEVAL

if TYPE_CHECKING:
    from workflows.case_desk import CaseDesk

T = TypeVar("T")


class Production:
    """The production steps of one desk's case (a records story's one, a surveillance story's every period)."""

    def __init__(self, desk: CaseDesk) -> None:
        self._desk = desk

    @property
    def _case(self) -> Any:
        return self._desk.case

    def bulk(self) -> dict[str, Any]:
        """BULK, on the bulk task queue (patched runs) and, when a withdrawal may stop the
        production, waiting for the activity's own cleanup when cancelled."""
        options: dict[str, Any] = dict(BULK)
        if self._desk.versions.has(BULK_TASK_QUEUE):
            options["task_queue"] = bulk_task_queue()
        if self._case.withdraw_while_producing:
            options["cancellation_type"] = workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
        return options

    def allow_withdraw_while_producing(self) -> None:
        """From here on a withdrawal stops the production instead of being refused as too late."""
        if self._desk.versions.has(WITHDRAW_DURING_RETRIEVAL):
            self._case.withdraw_while_producing = True

    async def _unless_withdrawn(self, number: int, step: str, work: Awaitable[T]) -> T | None:
        """`work` (retrieval or packaging of production `number`), or None when a withdrawal closed
        the case meanwhile: the running activities are cancelled and finish their own cleanup, then
        the production's staging folder is discarded and the history says so."""
        if not self._case.withdraw_while_producing:
            return await work
        task = asyncio.ensure_future(work)
        await workflow.wait_condition(lambda: task.done() or self._case.closed)
        if not self._case.closed:
            return await task
        finished = task.done()
        if not finished:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ActivityError):
            await task  # cancelled as asked, or failed: either way nothing of it is delivered
        ref = ProductionRef(request_id=self._desk.request_id, production_no=number)
        await self._desk.store.record(f"{step}_cancelled", note=f"withdrawn during {step}; nothing delivered",
                                        details={"production_id": ref.production_id, "had_finished": finished})
        await workflow.execute_activity_method(
            ProductionActivities.discard_production, ref,
            summary=f"discard the staging of {ref.production_id}", **QUICK,
        )
        await self._desk.store.record("staging_discarded", note=ref.production_id)
        return None

    async def retrieve(self, number: int, categories: list[RecordCategory],
                        document: dict[str, Any], **extra: Any) -> list[ProductionFile] | None:
        """The files of production `number`; None when a withdrawal stopped the retrieval."""
        bulk = self.bulk()
        retrievals = [
            workflow.execute_activity_method(
                RecordsActivities.retrieve_records,
                RetrieveInput(
                    request_id=self._desk.request_id,
                    production_no=number,
                    category=category,
                    document=document,
                    **extra,
                ),
                summary=f"retrieve {category}",
                priority=RETRIEVING,
                **bulk,
            )
            for category in categories
        ]

        async def gathered() -> list[ProductionFile]:
            return list(await asyncio.gather(*retrievals))

        return await self._unless_withdrawn(number, "retrieval", gathered())

    async def package_and_deliver(self, number: int, files: list[ProductionFile], *,
                                   advance: bool = True) -> Delivery | None:
        """Package and deliver production `number`; a records case moves through packaging and
        delivering, a collecting case stays collecting (`advance=False`). None when a withdrawal
        stopped the packaging: nothing was delivered."""
        assert self._desk.run.check is not None
        if advance:
            self._desk.advance(CaseState.PACKAGING)
        package = await self._unless_withdrawn(number, "packaging", workflow.execute_activity_method(
            ProductionActivities.package_production,
            PackageInput(
                request_id=self._desk.request_id,
                production_no=number,
                produced_at=workflow.now(),
                document=self._desk.document,
                files=files,
                approved_by=self._approved_by(),
                refused=[r.model_dump() for r in self._desk.run.check.refused],
                targets=self._desk.run.check.targets,
            ),
            summary="write legend, manifest and certificate of authenticity",
            priority=FINISHING,
            **self.bulk(),
        ))
        if package is None:
            return None
        return await self._deliver(package, "production_delivered", advance=advance)

    async def deliver_letter(self, number: int) -> Delivery:
        """No target resolved: the custodian's no-records letter is delivered as production `number`."""
        assert self._desk.run.check is not None and self._desk.run.check.targets is not None
        self._desk.advance(CaseState.PACKAGING)
        package = await workflow.execute_activity_method(
            ProductionActivities.write_no_records_letter,
            LetterInput(
                request_id=self._desk.request_id,
                production_no=number,
                produced_at=workflow.now(),
                document=self._desk.document,
                targets=self._desk.run.check.targets,
                confirmed_by=self._approved_by(),
                refused=[r.model_dump() for r in self._desk.run.check.refused],
            ),
            summary="write the no responsive records letter",
            priority=FINISHING,
            **QUICK,
        )
        return await self._deliver(package, "no_records_letter_delivered")

    async def _deliver(self, package: PackagedProduction, event: str, *, advance: bool = True) -> Delivery:
        if advance:
            self._desk.advance(CaseState.DELIVERING)
        delivery = await workflow.execute_activity_method(
            ProductionActivities.deliver_production,
            DeliverInput(request_id=self._desk.request_id, **package.model_dump()),
            summary="deliver the production into the delivery root", priority=FINISHING, **QUICK,
        )
        self._desk.run.productions.append(delivery)
        await self._desk.store.record(
            event,
            note=delivery.path,
            details={"manifest_sha256": delivery.manifest_sha256, "rows": package.row_count},
        )
        return delivery

    def _approved_by(self) -> dict[str, str]:
        """Who approved, by role; the analyst who recorded a customer's fee acceptance counts."""
        approved = dict(self._case.approvals)
        if self._case.fee_accepted_by and "analyst" not in approved:
            approved["analyst"] = self._case.fee_accepted_by
        return approved

    async def bill(self, files: list[ProductionFile], assistance_days: int = 0) -> InvoiceSummary:
        self._desk.advance(CaseState.BILLING)
        targets = self._desk.document.get("targets") or []
        invoice = await self._desk.store.call(
            BillingActivities.bill_request,
            BillInput(
                request_id=self._desk.request_id,
                request_type=str(self._desk.plan.request_type),
                delivered=[DeliveredCategory(category=f.category, rows=f.rows) for f in files],
                target_count=len(targets),
                assistance_days=assistance_days,
            ),
            summary="bill the request (LEGAL.md, Fees)",
        )
        self._desk.run.invoice = invoice
        await self._desk.store.record(
            "invoiced", note=f"{invoice.total_cents / 100:.2f} {invoice.currency}"
        )
        return invoice
