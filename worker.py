"""The LES worker: runs every workflow and activity on the task queue until stopped."""

from __future__ import annotations

import asyncio
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from datetime import timedelta

import structlog
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client
from temporalio.worker import Worker

from activities import build_activities
from console.health import beat_forever
from console.metrics_collector import Collector
from les.config import ConfigurationError, Settings, redacted_url
from les.failures import with_readable_failures
from les.logging import configure_logging_from
from les.sandbox import workflow_runner
from les.telemetry import TelemetryUnavailable, flush_traces, worker_runtime
from les.temporal import TemporalUnavailable, connect
from workflows import ALL_WORKFLOWS
from workflows.activity_options import BULK_ACTIVITIES, use_bulk_task_queue

log = structlog.get_logger("les.worker")


ACTIVITY_THREADS = 24
"""Activities are synchronous (database, files, HTTP): each runs on a thread of this pool, local
activities (the case store's quick steps, workflows/versions.py LOCAL_CASE_STORE) too: 16 for
activities from the task queue, 8 for local activities (`activity_slots`)."""
BULK_THREADS = 4
"""The bulk worker's own pool (and slots): at most this many exports at once per worker process,
whatever the decisions and quick steps on the main queue are doing."""

HEARTBEAT_THROTTLE = timedelta(seconds=1)
"""At most this long between a heartbeat and the server seeing its details (the rows done): the
SDK's own default holds them back for 80% of the 30-s heartbeat timeout, so progress would lag; and
a withdrawal's cancellation reaches a running export only with a heartbeat the server sees."""




def build_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    """The worker with all workflows and activities of LES Orchestrator registered; a refused
    decision leaves it as its message alone (les/failures.py), never with a stack trace.

    It takes at most as many tasks as the executor has threads: a task it takes must start at
    once, not wait in the pool's queue while its timeouts run (the SDK's default of 100 slots
    against 16 threads would leave 84 tasks queued and invisible to other workers). Activities
    and local activities share the pool, so they share its threads (`activity_slots`)."""
    use_bulk_task_queue(settings.bulk_task_queue)
    return Worker(
        with_readable_failures(client),
        task_queue=settings.task_queue,
        workflows=ALL_WORKFLOWS,
        workflow_runner=workflow_runner(settings.workflow_sandbox),
        max_cached_workflows=settings.workflow_cache,
        # The bulk activities too: runs recorded before the bulk queue still schedule them here.
        activities=build_activities(settings, threads=executor._max_workers),
        activity_executor=executor,
        **activity_slots(executor._max_workers),  # the pool's size, as its creator set it
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
    )


def activity_slots(threads: int) -> dict[str, int]:
    """The main worker's slots for a pool of `threads`: a third for local activities, the rest for
    activities from the task queue, so that together they never outnumber the threads. A local
    activity is a quick case-store call (milliseconds) that a workflow task, or a decision under
    its 5-s timeout, waits on: it must not queue behind a pool full of activities. Activities keep
    the larger share: a task queue's task is matched at once only while a poller with a free slot
    waits for it; fewer slots push tasks to the server's backlog (a write and a read each)."""
    local = max(1, threads // 3)
    return {"max_concurrent_activities": max(1, threads - local), "max_concurrent_local_activities": local}


def build_bulk_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    """The worker of the bulk task queue: only retrieval, packaging and collection, on a pool of
    their own with as many slots as threads, so a long export never holds a thread a decision needs."""
    use_bulk_task_queue(settings.bulk_task_queue)  # where this process's workflows send them
    bulk = [fn for fn in build_activities(settings, threads=executor._max_workers)
            if getattr(fn, "__name__", "") in BULK_ACTIVITIES]
    return Worker(
        with_readable_failures(client),
        task_queue=settings.bulk_task_queue,
        activities=bulk,
        activity_executor=executor,
        max_concurrent_activities=executor._max_workers,
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
    )


class Workers:
    """The main worker and the bulk worker, each on a thread pool of its own, run together."""

    def __init__(self, client: Client, settings: Settings, threads: int = ACTIVITY_THREADS,
                 bulk_threads: int = BULK_THREADS) -> None:
        self._client, self._settings = client, settings
        self._threads, self._bulk_threads = threads, bulk_threads
        self._stack = AsyncExitStack()
        self._workers: list[Worker] = []

    async def __aenter__(self) -> Worker:
        stack = self._stack
        executor = stack.enter_context(ThreadPoolExecutor(max_workers=self._threads))
        bulk_executor = stack.enter_context(ThreadPoolExecutor(max_workers=self._bulk_threads,
                                                               thread_name_prefix="les-bulk"))
        try:
            main = build_worker(self._client, self._settings, executor)
            bulk = build_bulk_worker(self._client, self._settings, bulk_executor)
            await stack.enter_async_context(bulk)
            await stack.enter_async_context(main)
            self._workers = [main, bulk]
            return main
        except BaseException:
            await stack.aclose()
            raise

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    def running(self) -> bool:
        """Whether both workers still run (the liveness probe's beat: console/health.py)."""
        return bool(self._workers) and all(worker.is_running for worker in self._workers)


async def ensure_reconciliation(client: Client, task_queue: str) -> None:
    """Start the hourly mediation reconciliation unless it already runs (47 CFR 1.20003)."""
    from temporalio.common import WorkflowIDConflictPolicy

    from workflows.reconciliation import RECONCILIATION_ID, MediationReconciliation, ReconciliationInput

    await client.start_workflow(
        MediationReconciliation.run, ReconciliationInput(), id=RECONCILIATION_ID, task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary="hourly: the mediation system's active tasks against the running orders",
    )


def prepare_store(settings: Settings) -> str | None:
    """Bring the records store to this release's schema before anything else (recordstore.migrations);
    the reason the worker must not start, as one line, or None."""
    from recordstore.db import make_engine, upgrade
    from recordstore.migrations import SchemaUnknown

    engine = make_engine(settings.database_url)
    try:
        found = upgrade(engine)
        if found.state != "current":
            log.info("records store schema", was=found.state, revision=found.current or found.detected, now=found.head)
    except SchemaUnknown as err:
        return str(err)
    except SQLAlchemyError as err:
        return f"the records store at {redacted_url(settings.database_url)} failed: {str(err).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


async def main() -> int:
    try:
        settings = Settings.from_env()
    except ConfigurationError as err:
        print(f"worker: {err}", file=sys.stderr)
        return 2
    configure_logging_from(settings)
    try:
        runtime = worker_runtime(settings.metrics_address, settings.log_level)
    except TelemetryUnavailable as err:
        print(f"worker: {err}", file=sys.stderr)
        return 3
    refused = prepare_store(settings)
    if refused:
        print(f"worker: {refused}", file=sys.stderr)
        return 3
    from les.seals import SealError, load_public_keys

    seal_folder = settings.seal_public_dir or settings.seal_dir
    try:
        if not load_public_keys(seal_folder):
            print(f"worker: no seal key in {seal_folder} (seal-vN.pub): every person's decision would be refused "
                  "as not sealed by this product's codec servers; `python3 stack.py up` makes one, or set "
                  "LES_SEAL_PUBLIC_KEYS_DIR", file=sys.stderr)
            return 2
    except SealError as err:
        print(f"worker: {err}", file=sys.stderr)
        return 2
    try:
        client = await connect(settings, runtime=runtime, refuse_plain_decisions=True)
    except TemporalUnavailable as err:
        print(f"worker: {err}", file=sys.stderr)
        return 3
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    workers = Workers(client, settings)
    try:
        await workers.__aenter__()
    except SQLAlchemyError as err:
        print(f"worker: the records store at {redacted_url(settings.database_url)} failed: "
              f"{str(err).splitlines()[0]}", file=sys.stderr)
        return 3
    collector = Collector(client, settings, runtime.metric_meter) if settings.metrics_address else None
    beating = loop.create_task(beat_forever(settings.state_dir, workers.running), name="les-liveness")
    try:
        log.info("worker started", task_queue=settings.task_queue, bulk_task_queue=settings.bulk_task_queue,
                 address=settings.temporal_address, database=redacted_url(settings.database_url),
                 delivery_root=str(settings.delivery_root),
                 metrics=f"http://{settings.metrics_address}/metrics" if settings.metrics_address else "off")
        if collector is not None:
            collector.start()
        await ensure_reconciliation(client, settings.task_queue)
        await stop.wait()
    finally:
        if collector is not None:
            await collector.stop()
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)  # whatever became of it, the workers stop next
        await workers.__aexit__(None, None, None)
        flush_traces()
    log.info("worker stopped")
    return 0


if __name__ == "__main__":
    import logging
    import os

    code = asyncio.run(main())
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    # As starter.py: skip interpreter teardown, where the Temporal runtime (its Core threads, which
    # forward their logs into Python) can hang or crash after the worker has stopped cleanly.
    os._exit(code)
