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
"""Case-store writes and checks: small, idempotent, retried until the store is back."""

BULK = {"start_to_close_timeout": timedelta(hours=2), "retry_policy": RETRY}
"""Streaming records into files and packaging them: long, idempotent, restartable."""
