"""Heartbeats of the long activities: progress the server keeps, and proof the worker lives.

A long activity (retrieval, packaging, collection) is scheduled with a `heartbeat_timeout`
(workflows/activity_options.py BULK): if its worker dies, the server notices within that
timeout and retries the activity elsewhere, instead of after its two-hour start-to-close.
Details carry what is done so far (`{"step", "rows", "bytes"}` or `{"step", "files"}`), which
`temporal workflow describe` shows under the pending activity."""

from __future__ import annotations

import time
from typing import Any

from temporalio import activity

from recordstore.csvfile import HashingFile

HEARTBEAT_EVERY_ROWS = 10_000
"""A long activity heartbeats, with the rows done so far, every this many rows…"""
HEARTBEAT_EVERY_SECONDS = 10.0
"""…and at least this often (well inside the 30-s heartbeat timeout), however slowly rows arrive."""


class Heartbeat:
    """Heartbeats once there is progress to report: every `every_rows` rows, or when
    `every_seconds` have passed since the start or the last heartbeat, whichever first. Work done
    in less than that sends none: each heartbeat is a write on the Temporal server, and a case's
    small retrievals and packaging end in milliseconds. Outside an activity (a test calling the
    method directly) it sends nothing but still counts."""

    def __init__(self, step: str, every_rows: int | None = None, every_seconds: float | None = None) -> None:
        self.step = step
        self.every_rows = every_rows or HEARTBEAT_EVERY_ROWS
        self.every_seconds = HEARTBEAT_EVERY_SECONDS if every_seconds is None else every_seconds
        self._live = activity.in_activity()
        self._next_rows = self.every_rows
        self._last = time.monotonic()
        self.beats = 0

    def beat(self, **done: Any) -> None:
        """Report `done` if `every_seconds` have passed since the start or the last report."""
        if time.monotonic() - self._last >= self.every_seconds:
            self._send(done)

    def rows(self, rows: int, **more: Any) -> None:
        if rows >= self._next_rows or time.monotonic() - self._last >= self.every_seconds:
            self._send({"rows": rows, **more})
            self._next_rows = (rows // self.every_rows + 1) * self.every_rows

    def _send(self, done: dict[str, Any]) -> None:
        if self._live:
            activity.heartbeat({"step": self.step, **done})
        self.beats += 1
        self._last = time.monotonic()

    def __call__(self, sink: HashingFile) -> None:
        """`on_write` of a production file: its rows so far (the header not counted)."""
        self.rows(max(0, sink.lines - 1), bytes=sink.bytes)
