"""Container health checks: `python -m les.health worker` exits 0 while a worker of this host
(this container) polls the task queue, 1 otherwise, with one line saying why.

The SDK names each worker `<pid>@<hostname>`; the server lists the recent pollers of a queue
with the time each last polled. A worker polls again at least every long-poll (about a minute),
so one not seen for POLL_WINDOW is taken as gone."""

from __future__ import annotations

import asyncio
import socket
import sys
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.service import RPCError

from les.config import ConfigurationError, Settings
from les.temporal import TemporalUnavailable, connect

POLL_WINDOW = timedelta(seconds=90)


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


def main(argv: list[str]) -> int:
    if argv != ["worker"]:
        print("usage: python -m les.health worker", file=sys.stderr)
        return 2
    try:
        settings = Settings.from_env()
        polling = asyncio.run(worker_polls(settings))
    except (ConfigurationError, TemporalUnavailable) as err:
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
    import os

    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # As starter.py: skip interpreter teardown, where the Temporal client's native runtime can
    # crash after the answer is known (a health check must exit with its own status).
    os._exit(code)
