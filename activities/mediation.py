"""Switching collection on and off at the mediation function, and taking in what it collected.

A mediation failure worth retrying is a retryable `MediationUnavailable`; one that is not is
non-retryable and named for what it is (`MediationUnknownTask`, `MediationTaskConflict`,
`MediationRefused`, `MediationUnreadable`: an answer that could not be read, never taken for
"nothing"). Deactivating what the far end does not hold (X1 error 2020) succeeds: switching off is
always safe. The X1 connection (URL, NE identifier, mutual TLS) comes from the settings (docs/x1.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import Heartbeat
from activities.production import production_folder
from domain.collection import COLLECTION_LEGEND, DeliveryType, delivery_type_for, liid_for
from domain.contracts import (
    ActivateTaskInput,
    ActiveTasks,
    CollectEventsInput,
    DeactivateTaskInput,
    GetTaskInput,
    ListActiveTasksInput,
    MediationTask,
    ProductionFile,
    TaskActivation,
    TaskDeactivation,
    TaskState,
)
from domain.vocabulary import RecordCategory
from les import paths
from les.config import Settings
from les.logging import activity_logger
from les.x1_tls import TLS_FOLDER, X1Tls, X1TlsError
from mediation.errors import MediationError, MediationRefused, MediationUnreadable, TaskConflict, UnknownTask
from mediation.messages import DestinationDetails, TaskDetails
from mediation.schema import x1_schema
from mediation.x1 import DELIVERY_ADDRESS, LEGACY_DESTINATION, TaskView, X1Client
from recordstore.csvfile import atomic_file, csv_lines
from recordstore.db import make_engine
from recordstore.surveillance_models import InterceptionCertification

PRODUCT_OF = {RecordCategory.PEN_TRAP: "iri", RecordCategory.INTERCEPT_CONTENT: "cc"}
"""pen_trap rows are X2 intercept-related information; intercept_content rows are X3 content."""
BATCH_ROWS = 1000


@contextmanager
def mediation_failures() -> Iterator[None]:
    """A MediationError as the ApplicationError a workflow's retry policy understands."""
    try:
        yield
    except X1TlsError as err:
        raise ApplicationError(str(err), type="MediationMisconfigured", non_retryable=True) from None
    except MediationError as err:
        if err.transient:
            raise ApplicationError(str(err), type="MediationUnavailable") from None
        kind = {UnknownTask: "MediationUnknownTask", TaskConflict: "MediationTaskConflict",
                MediationUnreadable: "MediationUnreadable"}.get(type(err), "MediationRefused")
        raise ApplicationError(str(err), type=kind, non_retryable=True) from None


def task_of(view: TaskView) -> MediationTask:
    """A held task as the workflows see it: any provisioningStatus is held (ACTIVE), for the
    reconciliation must switch off even a task the far end reports `failed` or not yet complete."""
    task = view.task
    delivery = task.delivery_type if task.delivery_type in tuple(DeliveryType) else None
    return MediationTask(
        xid=task.xid, state=TaskState.ACTIVE, liid=task.liid, targets=list(task.targets),
        delivery_type=DeliveryType(delivery) if delivery else None, start=task.start_time, end=task.end_time,
        provisioning_status=view.status, faults=[f"{code} {words}" for code, words in view.faults],
    )


def task_details(order: ActivateTaskInput) -> tuple[DeliveryType, TaskDetails]:
    """The X1 task an order asks for: its delivery type from the permitted categories, its LIID
    from the request id, its destination the case's DID."""
    delivery = delivery_type_for(order.categories)
    return delivery, TaskDetails(xid=order.xid, targets=tuple(order.targets), delivery_type=str(delivery),
                                 liid=liid_for(order.request_id), start_time=order.start, end_time=order.end,
                                 destination_ids=(order.did or LEGACY_DESTINATION,))


def destination_of(order: ActivateTaskInput, delivery: DeliveryType) -> DestinationDetails:
    """The case's destination: its DID, and what may be delivered to it. The legacy DID, shared
    by the tasks of older runs, takes X2 and X3 (it serves pen registers and wiretaps alike)."""
    if order.did is None:
        return DestinationDetails(did=LEGACY_DESTINATION, delivery_type="X2andX3", address=DELIVERY_ADDRESS,
                                  friendly_name="LES collection (shared)")
    return DestinationDetails(did=order.did, delivery_type=str(delivery), address=DELIVERY_ADDRESS,
                              friendly_name=f"LES {liid_for(order.request_id)}")


def x1_client(settings: Settings, timeout: float) -> X1Client:
    """The X1 client the settings describe: URL, NE identifier, and the mutual-TLS files (the local
    run's under <state>/x1-tls/ unless LES_X1_CLIENT_CERT, LES_X1_CLIENT_KEY, LES_X1_CA name others)."""
    local = X1Tls.local(settings.state_dir / TLS_FOLDER)
    tls = X1Tls(settings.x1_client_cert or local.client_cert, settings.x1_client_key or local.client_key,
                settings.x1_ca or local.ca)
    return X1Client(settings.mediation_url, ne_id=settings.mediation_ne_id, tls=tls,
                    plain_http=settings.x1_plain_http, timeout=timeout)


class MediationActivities:
    """The mediation function at `settings.mediation_url`, over X1; productions under the delivery root."""

    def __init__(self, settings: Settings, timeout: float = 10.0, engine: Engine | None = None) -> None:
        self._settings = settings
        self._timeout = timeout
        self._engine = engine
        x1_schema()  # every answer is validated against it: built once, when the worker starts

    def _client(self) -> X1Client:
        return x1_client(self._settings, self._timeout)

    def _switched_off_at(self, xid: str) -> datetime | None:
        """When the case switched this task off (its 47 CFR 1.20004 record's end), or None."""
        if self._engine is None:
            self._engine = make_engine(self._settings.database_url)
        with Session(self._engine) as session:
            return session.scalar(select(InterceptionCertification.ended_at)
                                  .where(InterceptionCertification.xid == xid))

    def _never_again(self, xid: str) -> None:
        ended = self._switched_off_at(xid)
        if ended is not None:
            raise ApplicationError(
                f"task {xid} was switched off at {ended.isoformat()}: a task switched off is never switched on "
                "again (the far end forgets a deactivated XID; a new order starts a new task)",
                type="InterceptionSwitchedOff", non_retryable=True)

    @activity.defn
    def activate_task(self, order: ActivateTaskInput) -> TaskActivation:
        """Create the case's destination (the same one already held is success), then provision the
        task and switch collection on; the same task again is success, unchanged."""
        log = activity_logger(order.request_id, xid=order.xid)
        delivery, task = task_details(order)
        # An attempt still running after the case switched the task off (one that timed out keeps its
        # thread) must not switch it on again: the far end has forgotten the XID and would take it.
        self._never_again(order.xid)
        with mediation_failures(), self._client() as x1:
            created = x1.create_destination(destination_of(order, delivery), at=order.at)
            log.info("mediation destination ready", did=task.destination_ids[0], created=created)
            activation = x1.activate_task(task, at=order.at)
            if self._switched_off_at(order.xid) is not None:  # switched off while this attempt ran: undo it
                x1.deactivate_task(order.xid, at=order.at)
                log.warning("mediation task switched off again: the case had switched it off meanwhile")
                self._never_again(order.xid)
        log.info("mediation task active", delivery_type=str(delivery), already_active=activation.already_active)
        return TaskActivation(xid=order.xid, delivery_type=delivery, already_active=activation.already_active)

    @activity.defn
    def modify_task_end(self, order: ActivateTaskInput) -> TaskActivation:
        """ModifyTask: the order's end moved (an extension, or Title III's first interception)."""
        log = activity_logger(order.request_id, xid=order.xid)
        delivery, task = task_details(order)
        with mediation_failures(), self._client() as x1:
            x1.modify_task(task, at=order.at)
        log.info("mediation task end moved", end=order.end.isoformat())
        return TaskActivation(xid=order.xid, delivery_type=delivery, already_active=True)

    @activity.defn
    def deactivate_task(self, order: DeactivateTaskInput) -> TaskDeactivation:
        """Switch collection off. A task the far end does not hold (2020: never provisioned, or
        already off and forgotten) needs nothing: success, `was_active=False`."""
        log = activity_logger(order.request_id, xid=order.xid)
        with mediation_failures(), self._client() as x1:
            try:
                x1.deactivate_task(order.xid, at=order.at)
            except UnknownTask:
                log.info("mediation task already off or never provisioned")
                return TaskDeactivation(xid=order.xid, was_active=False)
        log.info("mediation task deactivated")
        return TaskDeactivation(xid=order.xid, was_active=True)

    @activity.defn
    def get_task(self, query: GetTaskInput) -> MediationTask:
        with mediation_failures(), self._client() as x1:
            try:
                return task_of(x1.get_task_details(query.xid))
            except UnknownTask:
                return MediationTask(xid=query.xid, state=TaskState.ABSENT)

    @activity.defn
    def list_active_tasks(self, _: ListActiveTasksInput) -> ActiveTasks:
        """Every task the far end holds now, with its details (one switched off meanwhile, 2020, is
        left out). An answer that cannot be read fails as MediationUnreadable: never an empty list."""
        tasks = []
        with mediation_failures(), self._client() as x1:
            for xid in x1.list_all_details().xids:
                try:
                    task = task_of(x1.get_task_details(xid))
                except UnknownTask:
                    continue
                if task.state is TaskState.ACTIVE:
                    tasks.append(task)
        return ActiveTasks(tasks=tasks)

    @activity.defn
    def collect_events(self, window: CollectEventsInput) -> ProductionFile:
        """Stream what the task collected in [window_start, window_end) into `<category>.csv` in the
        production's staging folder: header row, UTC timestamps, hashed as written."""
        folder = production_folder(paths.staging_dir, self._settings.delivery_root, window)
        log = activity_logger(window.request_id, production_id=window.production_id, xid=window.xid,
                              category=str(window.category))
        columns = [column for column, _ in COLLECTION_LEGEND[window.category]]
        out = folder / f"{window.category}.csv"
        rows = 0
        heartbeat = Heartbeat(f"collect {window.category}")
        with mediation_failures(), self._client() as x1, atomic_file(out) as sink:
            sink.write(csv_lines([columns]))
            with x1.collected(window.xid, PRODUCT_OF[window.category], window.window_start,
                              window.window_end) as collected:
                batch: list[list[str]] = []
                for event in collected:
                    if list(event) != columns:
                        raise MediationRefused(f"the mediation function sent columns {list(event)}, not {columns}")
                    batch.append(list(event.values()))
                    if len(batch) == BATCH_ROWS:
                        sink.write(csv_lines(batch))
                        rows, batch = rows + len(batch), []
                        heartbeat.rows(rows, bytes=sink.bytes)
                sink.write(csv_lines(batch))
                rows += len(batch)
        log.info("collected events written", rows=rows, sha256=sink.sha256, bytes=sink.bytes,
                 window_start=window.window_start.isoformat(), window_end=window.window_end.isoformat())
        return ProductionFile(category=window.category, file_name=out.name, rows=rows, sha256=sink.sha256,
                              bytes=sink.bytes)
