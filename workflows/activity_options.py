"""Timeouts and retries for the activities the workflows call, in one place."""

from datetime import timedelta

from temporalio.common import Priority, RetryPolicy

from les.config import DEFAULT_BULK_TASK_QUEUE

NON_RETRYABLE = [
    "InvalidRequest", "NotStoredRecords", "ProductionConflict", "HoldUnavailable", "HoldScopeMismatch",
    "QuoteMismatch", "UnsafePath", "MediationUnknownTask", "MediationTaskConflict", "MediationRefused",
]
"""Business errors that no retry can fix (activities raise them as ApplicationError types)."""

RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=NON_RETRYABLE,
)

QUICK = {"start_to_close_timeout": timedelta(seconds=30), "retry_policy": RETRY}
"""Case-store writes and checks the workflow's own steps need: small, idempotent, retried until
the store is back (nobody waits on them but the case itself)."""

DECISION = {
    "start_to_close_timeout": timedelta(seconds=5),
    "schedule_to_close_timeout": timedelta(seconds=12),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(milliseconds=500),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=2),
        maximum_attempts=4,
        non_retryable_error_types=NON_RETRYABLE,
    ),
}
"""What a person's decision needs under the case lock (the roster, a look-up, filing the
decision): bounded, so an update answers within seconds even with the case store down, as
"not recorded, try again" (workflows/case_desk.py `_receive`), instead of holding the lock, and
every decision queued behind it, for as long as the outage lasts."""

BULK = {"start_to_close_timeout": timedelta(hours=2), "heartbeat_timeout": timedelta(seconds=30),
        "retry_policy": RETRY}
"""Streaming records into files and packaging them: long, idempotent, restartable. They
heartbeat (activities/heartbeat.py: rows done so far, at least every 10 s), so a worker that dies mid-export is
noticed within 30 s (three missed beats), not two hours, and the retry starts over on another worker. The timeout is
an attribute of the scheduled activity, not a command of its own: changing it keeps old histories replaying."""

FINISHING = Priority(priority_key=1)
"""Packaging and delivering a production: ahead of every other task waiting in its task queue.
A case whose records are in is finished before another case's retrieval starts, so under a
backlog the cases in flight stay few: each stays in the worker's workflow cache from retrieval
to close instead of being evicted and replayed at every step (issue 26: 10,000 approved at once).
Priority orders tasks within a task queue only when they wait (Temporal's task queue priority;
keys 1-5, unset is 3); it is an attribute of the scheduled activity, not a command of its own:
old histories replay unchanged."""

RETRIEVING = Priority(priority_key=2)
"""Retrieving an approved case's records: after finishing steps, before anything unset (intake
and the rest), so an approved case moves on ahead of checks that nobody waits on yet."""

BULK_ACTIVITIES = frozenset({"retrieve_records", "package_production", "collect_events"})
"""The activities that stream records (retrieval, packaging, collection): a workflow patched with
`bulk-task-queue` schedules them on the bulk task queue, which only the bulk worker polls
(worker.py build_bulk_worker), with threads of its own."""

_BULK_QUEUE = {"name": DEFAULT_BULK_TASK_QUEUE}
"""Where this process's workflows send bulk activities: set by the worker from its Settings
(`use_bulk_task_queue`). This module is passed through the workflow sandbox, so the workflows
read the worker's setting; a task queue is not part of what a history replays."""


def use_bulk_task_queue(name: str) -> None:
    _BULK_QUEUE["name"] = name


def bulk_task_queue() -> str:
    return _BULK_QUEUE["name"]

