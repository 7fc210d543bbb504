"""Container health checks, each exiting 0 or 1 with one line saying why:

- `python -m console.health worker`, LIVENESS: a worker process of this host (this container) is
  alive, its event loop beating (it touches <state>/alive/worker-<host>-<pid> every BEAT). It
  does not ask the cluster, so a Temporal outage never gets every worker restarted: a worker
  waits out an outage by itself and polls again when the cluster is back.
- `python -m console.health ready`, READINESS: a worker of this host polls its task queue now, as the
  server sees it. False during a cluster outage, which is what readiness is for (take it out of
  rotation, alert), never a reason to restart it.

The SDK names each worker `<pid>@<hostname>`; the server lists the recent pollers of a queue
with the time each last polled. A worker polls again at least every long-poll (about a minute),
so one not seen for POLL_WINDOW is taken as gone."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.service import RPCError

from les.config import ConfigurationError, Settings
from les.paths import make_private_file, state_file
from les.temporal import TemporalUnavailable, connect

log = structlog.get_logger("console.health")

POLL_WINDOW = timedelta(seconds=90)
BEAT = 10.0
"""Seconds between two beats of a live worker."""
BEAT_WINDOW = 60.0
"""A worker whose last beat is older than this is taken as hung (six beats missed)."""


def beat_file(state_dir: Path, host: str | None = None, pid: int | None = None) -> Path:
    return state_file(state_dir, "alive") / f"worker-{host or socket.gethostname()}-{pid or os.getpid()}"


async def beat_forever(state_dir: Path, running: Callable[[], bool] = lambda: True) -> None:
    """In the worker: touch this process's beat file every BEAT seconds while `running()` (its
    Temporal workers run: one that failed for good beats no more), until cancelled; then remove it."""
    path = beat_file(state_dir)
    try:
        while True:
            if not running():  # not yet started, or failed for good: look again soon
                await asyncio.sleep(min(BEAT, 1.0))
                continue
            try:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                make_private_file(path)
                os.utime(path)
            except OSError as err:  # no beat: the liveness probe says so; the worker itself goes on
                log.warning("liveness beat not written", path=str(path), error=err.strerror or str(err))
            await asyncio.sleep(BEAT)
    finally:
        path.unlink(missing_ok=True)


def worker_alive(state_dir: Path, host: str | None = None, now: float | None = None) -> bool:
    """Whether a worker process of `host` (default: this one) beat within BEAT_WINDOW."""
    folder = state_file(state_dir, "alive")
    now = time.time() if now is None else now
    prefix = f"worker-{host or socket.gethostname()}-"
    try:
        beats = [entry.stat().st_mtime for entry in folder.iterdir() if entry.name.startswith(prefix)]
    except FileNotFoundError:
        return False
    return any(now - beat <= BEAT_WINDOW for beat in beats)


async def worker_polls(settings: Settings, host: str | None = None, *, client=None) -> bool:
    """Whether a worker on `host` (default: this one) polled `settings.task_queue` within POLL_WINDOW."""
    host = host or socket.gethostname()
    client = client or await connect(settings)
    answer = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=settings.temporal_namespace, task_queue=TaskQueue(name=settings.task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    ))
    now = datetime.now(UTC)
    return any(poller.identity.endswith(f"@{host}")
               and now - poller.last_access_time.ToDatetime(tzinfo=UTC) <= POLL_WINDOW
               for poller in answer.pollers)


USAGE = "usage: python -m console.health worker|ready   (worker: liveness, ready: readiness)"


def main(argv: list[str]) -> int:
    if argv not in (["worker"], ["ready"]):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
    except ConfigurationError as err:
        print(f"health: {err}", file=sys.stderr)
        return 1
    if argv == ["worker"]:
        if not worker_alive(settings.state_dir):
            print(f"health: no worker process of {socket.gethostname()} beat in the last {BEAT_WINDOW:.0f}s "
                  f"({state_file(settings.state_dir, 'alive')})", file=sys.stderr)
            return 1
        return 0
    try:
        polling = asyncio.run(worker_polls(settings))
    except TemporalUnavailable as err:
        print(f"health: {err}", file=sys.stderr)
        return 1
    except RPCError as err:  # the server answered, but not with the queue
        print(f"health: the task queue could not be described: {' '.join(err.message.split())}", file=sys.stderr)
        return 1
    if not polling:
        print(f"health: no worker of {socket.gethostname()} polls {settings.task_queue}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # As starter.py: skip interpreter teardown, where the Temporal client's native runtime can
    # crash after the answer is known (a health check must exit with its own status).
    os._exit(code)
