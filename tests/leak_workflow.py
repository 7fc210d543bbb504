"""A test-only workflow that runs activities of the product by name with inputs that make each fail
(tests/system/test_no_leaks.py): one attempt each, and what each failed with, as codes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError


@workflow.defn(name="FailEachKind")
class FailEachKind:
    @workflow.run
    async def run(self, calls: list[dict[str, Any]]) -> list[str]:
        """Each call `{"activity": name, "input": {...}}` once; its failure's type (or "completed")."""
        seen: list[str] = []
        for call in calls:
            try:
                await workflow.execute_activity(call["activity"], call["input"],
                                                start_to_close_timeout=timedelta(seconds=30),
                                                retry_policy=RetryPolicy(maximum_attempts=1))
                seen.append("completed")
            except ActivityError as failed:
                cause = failed.cause
                seen.append(cause.type if isinstance(cause, ApplicationError) and cause.type
                            else type(cause).__name__)
        return seen
