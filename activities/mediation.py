"""Switching collection on and off at the mediation function, and taking in what it collected.

A mediation failure worth retrying is a retryable `MediationUnavailable`; one that is not is
non-retryable and named for what it is (`MediationUnknownTask`, `MediationTaskConflict`,
`MediationRefused`). Deactivating what is not active succeeds: switching off is always safe."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import Heartbeat
from activities.mediation_models import (
    ActivateTaskInput,
    ActiveTasks,
    CollectEventsInput,
    DeactivateTaskInput,
    GetTaskInput,
    ListActiveTasksInput,
    MediationTask,
    TaskActivation,
    TaskDeactivation,
    TaskState,
)
from activities.production import production_folder
from domain.case import ProductionFile
from domain.collection import COLLECTION_LEGEND, DeliveryType, delivery_type_for
from domain.vocabulary import RecordCategory
from les import paths
from les.config import Settings
from les.logging import activity_logger
from mediation.errors import MediationError, MediationRefused, TaskConflict, UnknownTask
from mediation.messages import DEACTIVATED, TaskDetails
from mediation.x1 import TaskView, X1Client
from recordstore.csvfile import atomic_file, csv_lines

PRODUCT_OF = {RecordCategory.PEN_TRAP: "iri", RecordCategory.INTERCEPT_CONTENT: "cc"}
"""pen_trap rows are X2 intercept-related information; intercept_content rows are X3 content."""
BATCH_ROWS = 1000


@contextmanager
def mediation_failures() -> Iterator[None]:
    """A MediationError as the ApplicationError a workflow's retry policy understands."""
    try:
        yield
    except MediationError as err:
        if err.transient:
            raise ApplicationError(str(err), type="MediationUnavailable") from None
        kind = {UnknownTask: "MediationUnknownTask", TaskConflict: "MediationTaskConflict"}.get(
            type(err), "MediationRefused")
        raise ApplicationError(str(err), type=kind, non_retryable=True) from None


def task_of(view: TaskView) -> MediationTask:
    task = view.task
    return MediationTask(
        xid=task.xid, state=TaskState.DEACTIVATED if view.status == DEACTIVATED else TaskState.ACTIVE,
        liid=task.liid, targets=list(task.targets), delivery_type=DeliveryType(task.delivery_type),
        start=task.start_time, end=task.end_time,
    )


def task_details(order: ActivateTaskInput) -> tuple[DeliveryType, TaskDetails]:
    """The X1 task an order asks for: its delivery type from the permitted categories."""
    delivery = delivery_type_for(order.categories)
    return delivery, TaskDetails(xid=order.xid, targets=tuple(order.targets), delivery_type=str(delivery),
                                 liid=order.request_id, start_time=order.start, end_time=order.end)


class MediationActivities:
    """The mediation function at `settings.mediation_url`, over X1; productions under the delivery root."""

    def __init__(self, settings: Settings, timeout: float = 10.0) -> None:
        self._settings = settings
        self._timeout = timeout

    def _client(self) -> X1Client:
        return X1Client(self._settings.mediation_url, timeout=self._timeout)

    @activity.defn
    def activate_task(self, order: ActivateTaskInput) -> TaskActivation:
        """Provision the task and switch collection on; the same task again is success, unchanged."""
        log = activity_logger(order.request_id, xid=order.xid)
        delivery, task = task_details(order)
        with mediation_failures(), self._client() as x1:
            activation = x1.activate_task(task, at=order.at)
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
        """Switch collection off. A task that is absent or already off needs nothing: success."""
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
        """Every task provisioned now, with its details (a task switched off meanwhile is left out)."""
        tasks = []
        with mediation_failures(), self._client() as x1:
            for xid in x1.list_all_details():
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
        log = activity_logger(window.request_id, production_id=window.production_id, xid=window.xid,
                              category=str(window.category))
        folder = production_folder(paths.staging_dir, self._settings.delivery_root, window)
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
