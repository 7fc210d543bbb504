"""Activities retried by Temporal must never duplicate a production, an invoice or an event."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.billing import BillingActivities
from activities.case import CaseActivities
from activities.production import ProductionActivities
from activities.records import RecordsActivities
from domain.contracts import (
    BillInput,
    CaseEvent,
    DeliveredCategory,
    DeliverInput,
    NotifyInput,
    OpenCaseInput,
    PackageInput,
    RetrieveInput,
)
from domain.vocabulary import RecordCategory
from recordstore.db import make_session_factory
from recordstore.models import CaseEvent as CaseEventRow
from recordstore.models import Invoice, Notification, Production
from tests.workflow_support import example

PRODUCED_AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def parts(settings, prepared_store):
    sessions = make_session_factory(prepared_store)
    return {
        "case": CaseActivities(sessions),
        "records": RecordsActivities(settings, prepared_store),
        "production": ProductionActivities(settings, sessions),
        "billing": BillingActivities(sessions),
        "sessions": sessions,
    }


def produce(parts, request_id: str):
    """Retrieve, package and deliver one production, as the workflow would."""
    env = ActivityEnvironment()
    document = example("subpoena", request_id)
    env.run(parts["case"].open_case, OpenCaseInput(request_id=request_id, request_type="subpoena",
                                                   workflow_id=f"case-{request_id}", document=document))
    files = [
        env.run(parts["records"].retrieve_records, RetrieveInput(
            request_id=request_id, category=category, document=document))
        for category in (RecordCategory.SUBSCRIBER_INFO, RecordCategory.CALL_RECORDS_OUTGOING)
    ]
    package = env.run(parts["production"].package_production, PackageInput(
        request_id=request_id, produced_at=PRODUCED_AT, document=document,
        files=files, approved_by={"analyst": "jdoe"}))
    return env, files, package


def test_a_retried_delivery_delivers_once(parts):
    env, _files, package = produce(parts, "IDEM-DELIVER")
    deliver = DeliverInput(request_id="IDEM-DELIVER", **package.model_dump())
    first = env.run(parts["production"].deliver_production, deliver)
    again = env.run(parts["production"].deliver_production, deliver)  # the worker died before reporting
    assert (again.path, again.manifest_sha256, again.delivered_at) == (first.path, first.manifest_sha256,
                                                                       first.delivered_at)
    with Session(bind=parts["sessions"].kw["bind"]) as session:
        count = session.scalar(select(func.count()).select_from(Production)
                               .where(Production.request_id == "IDEM-DELIVER"))
    assert count == 1


def test_a_retried_package_is_byte_identical(parts):
    _, _files, first = produce(parts, "IDEM-PACKAGE")
    before = hashlib.sha256((Path(first.staging_dir) / "manifest.json").read_bytes()).hexdigest()
    _, _, second = produce(parts, "IDEM-PACKAGE")
    assert second.manifest_sha256 == first.manifest_sha256 == before


def test_a_different_production_is_never_written_over_a_delivered_one(parts):
    env, _, package = produce(parts, "IDEM-CONFLICT")
    env.run(parts["production"].deliver_production, DeliverInput(request_id="IDEM-CONFLICT", **package.model_dump()))
    _, _, repackaged = produce(parts, "IDEM-CONFLICT")
    forged = DeliverInput(request_id="IDEM-CONFLICT", **{**repackaged.model_dump(), "manifest_sha256": "0" * 64})
    with pytest.raises(ApplicationError) as refused:
        env.run(parts["production"].deliver_production, forged)
    assert refused.value.type == "ProductionConflict" and refused.value.non_retryable


def test_a_retried_invoice_bills_once(parts):
    env, files, _ = produce(parts, "IDEM-BILL")
    billing = BillInput(request_id="IDEM-BILL", request_type="subpoena", target_count=1,
                        delivered=[DeliveredCategory(category=f.category, rows=f.rows) for f in files])
    first = env.run(parts["billing"].bill_request, billing)
    again = env.run(parts["billing"].bill_request, billing)
    assert again == first
    with Session(bind=parts["sessions"].kw["bind"]) as session:
        assert session.scalar(select(func.count()).select_from(Invoice).where(Invoice.request_id == "IDEM-BILL")) == 1


def test_retried_events_and_notices_are_written_once(parts):
    env, _, _ = produce(parts, "IDEM-EVENTS")
    event = CaseEvent(request_id="IDEM-EVENTS", seq=1, at=PRODUCED_AT, name="verified", actor="les-orchestrator")
    notice = NotifyInput(request_id="IDEM-EVENTS", kind="reminder", recipient_role="analyst", message="due soon")
    for _ in range(3):
        env.run(parts["case"].record_case_event, event)
        env.run(parts["case"].notify, notice)
    with Session(bind=parts["sessions"].kw["bind"]) as session:
        events = session.scalar(select(func.count()).select_from(CaseEventRow)
                                .where(CaseEventRow.request_id == "IDEM-EVENTS"))
        notices = session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.request_id == "IDEM-EVENTS"))
    assert (events, notices) == (1, 1)


def test_delivery_removes_only_its_own_staging_folder_and_a_retry_deletes_nothing(parts, settings):
    env, _files, package = produce(parts, "IDEM-STAGING")
    staging = settings.delivery_root / ".staging" / "IDEM-STAGING"
    sibling = staging / "IDEM-STAGING-P02"  # another production of the same request, still being written
    sibling.mkdir()
    (sibling / "partial.csv").write_bytes(b"half a file\n")
    first = env.run(parts["production"].deliver_production, DeliverInput(request_id="IDEM-STAGING",
                                                                          **package.model_dump()))
    delivered = {p.name: p.read_bytes() for p in Path(first.path).iterdir()}
    assert sorted(delivered) == ["call_records_outgoing.csv", "certificate_of_authenticity.txt",
                                 "field_legend.csv", "manifest.json", "records_as_text.xlsx", "subscriber_info.csv"]
    _, _, repackaged = produce(parts, "IDEM-STAGING")  # the workflow retried packaging after the move
    again = env.run(parts["production"].deliver_production, DeliverInput(request_id="IDEM-STAGING",
                                                                          **repackaged.model_dump()))
    assert again.path == first.path
    assert {p.name: p.read_bytes() for p in Path(again.path).iterdir()} == delivered
    assert sorted(p.name for p in staging.iterdir()) == ["IDEM-STAGING-P02"]
    assert (sibling / "partial.csv").read_bytes() == b"half a file\n"
