"""`python -m tests.leak_worker`: a worker process set up as worker.py sets one up (its logging, the
project's data converter with the readable failure converter, every product activity), that also runs
tests/leak_workflow.py's FailEachKind on `<LES_TASK_QUEUE>-leaks`. Used by tests/system/test_no_leaks.py."""

from __future__ import annotations

import asyncio
import signal
import sys
from concurrent.futures import ThreadPoolExecutor

from temporalio.worker import Worker

from activities import build_activities
from les.config import Settings
from les.failures import with_readable_failures
from les.logging import configure_logging
from les.sandbox import workflow_runner
from les.temporal import connect
from tests.leak_workflow import FailEachKind


async def main() -> int:
    configure_logging()
    settings = Settings.from_env()
    client = with_readable_failures(await connect(settings))
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=4) as executor:
        worker = Worker(client, task_queue=f"{settings.task_queue}-leaks", workflows=[FailEachKind],
                        activities=build_activities(settings, threads=4), activity_executor=executor,
                        workflow_runner=workflow_runner(settings.workflow_sandbox), max_concurrent_activities=4)
        async with worker:
            print("leak worker started", file=sys.stderr, flush=True)
            await stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
