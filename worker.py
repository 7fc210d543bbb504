"""The LES worker: runs every workflow and activity on the task queue until stopped."""

from __future__ import annotations

import asyncio
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import structlog
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client
from temporalio.worker import Worker

from activities import build_activities
from les.config import ConfigurationError, Settings, redacted_url
from les.failures import with_readable_failures
from les.logging import configure_logging
from les.temporal import TemporalUnavailable, connect
from workflows import ALL_WORKFLOWS

log = structlog.get_logger("les.worker")


ACTIVITY_THREADS = 16
"""Activities are synchronous (database, files, HTTP): each runs on a thread of this pool."""

HEARTBEAT_THROTTLE = timedelta(seconds=1)
"""At most this long between a heartbeat and the server seeing its details (the rows done): the
SDK's own default holds them back for 80% of the 30-s heartbeat timeout, so progress would lag."""


def build_worker(client: Client, settings: Settings, executor: ThreadPoolExecutor) -> Worker:
    """The worker with all workflows and activities of LES Orchestrator registered; a refused
    decision leaves it as its message alone (les/failures.py), never with a stack trace.

    It takes at most as many activity tasks as the executor has threads: a task it takes must
    start at once, not wait in the pool's queue while its timeouts run (the SDK's default of 100
    slots against 16 threads would leave 84 tasks queued and invisible to other workers)."""
    return Worker(
        with_readable_failures(client),
        task_queue=settings.task_queue,
        workflows=ALL_WORKFLOWS,
        activities=build_activities(settings),
        activity_executor=executor,
        max_concurrent_activities=executor._max_workers,  # the pool's size, as its creator set it
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
    )


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
    configure_logging()
    try:
        settings = Settings.from_env()
    except ConfigurationError as err:
        print(f"worker: {err}", file=sys.stderr)
        return 2
    refused = prepare_store(settings)
    if refused:
        print(f"worker: {refused}", file=sys.stderr)
        return 3
    try:
        client = await connect(settings)
    except TemporalUnavailable as err:
        print(f"worker: {err}", file=sys.stderr)
        return 3
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        try:
            worker = build_worker(client, settings, executor)
        except SQLAlchemyError as err:
            print(f"worker: the records store at {redacted_url(settings.database_url)} failed: "
                  f"{str(err).splitlines()[0]}", file=sys.stderr)
            return 3
        log.info("worker started", task_queue=settings.task_queue, address=settings.temporal_address,
                 database=settings.database_url.split("@")[-1], delivery_root=str(settings.delivery_root))
        async with worker:
            await ensure_reconciliation(client, settings.task_queue)
            await stop.wait()
    log.info("worker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
