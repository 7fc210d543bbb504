"""ResponseDueTimer: the durable response clock of a records demand (LEGAL.md, Clocks).

A reminder fires ahead of the document's `response_due`; when it passes with the case
still open, the case turns overdue and escalates. Both fire by themselves as timers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from temporalio import workflow


class ResponseDueTimer:
    """Waits for the reminder and the due moment unless the case closes first."""

    def __init__(
        self,
        *,
        response_due: datetime,
        reminder_lead: timedelta,
        is_closed: Callable[[], bool],
        on_reminder: Callable[[], Awaitable[None]],
        on_overdue: Callable[[], Awaitable[None]],
    ) -> None:
        self.response_due = response_due
        self.reminder_at = response_due - reminder_lead
        self._is_closed = is_closed
        self._on_reminder = on_reminder
        self._on_overdue = on_overdue

    async def run(self) -> None:
        if await self._closed_before(self.reminder_at, "reminder before the response is due"):
            return
        await self._on_reminder()
        if await self._closed_before(self.response_due, "response due"):
            return
        await self._on_overdue()

    async def _closed_before(self, moment: datetime, summary: str) -> bool:
        """True if the case closed before `moment`; False once `moment` has come."""
        remaining = moment - workflow.now()
        if remaining <= timedelta(0):
            return self._is_closed()
        try:
            await workflow.wait_condition(self._is_closed, timeout=remaining, timeout_summary=summary)
        except TimeoutError:
            return False
        return True
