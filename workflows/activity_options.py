"""Timeouts and retries for the activities the workflows call, in one place."""

from datetime import timedelta

from temporalio.common import RetryPolicy

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
