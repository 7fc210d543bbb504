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
"""A long activity heartbeats, with the rows done so far, at least every this many rows…"""
HEARTBEAT_EVERY_SECONDS = 10.0
"""…and at least this often while anything is written, however slowly rows arrive."""


class Heartbeat:
    """Heartbeats at the start, then every `every_rows` rows or `every_seconds`, whichever first.
    Outside an activity (a test calling the method directly) it does nothing."""

    def __init__(self, step: str, every_rows: int | None = None, every_seconds: float | None = None) -> None:
        self.step = step
        self.every_rows = every_rows or HEARTBEAT_EVERY_ROWS
        self.every_seconds = HEARTBEAT_EVERY_SECONDS if every_seconds is None else every_seconds
        self._live = activity.in_activity()
        self._next_rows = 0
        self._last = float("-inf")
        self.beats = 0

    def beat(self, **done: Any) -> None:
        if self._live:
            activity.heartbeat({"step": self.step, **done})
        self.beats += 1
        self._last = time.monotonic()

    def rows(self, rows: int, **more: Any) -> None:
        if rows >= self._next_rows or time.monotonic() - self._last >= self.every_seconds:
            self.beat(rows=rows, **more)
            self._next_rows = (rows // self.every_rows + 1) * self.every_rows

    def __call__(self, sink: HashingFile) -> None:
        """`on_write` of a production file: its rows so far (the header not counted)."""
        self.rows(max(0, sink.lines - 1), bytes=sink.bytes)
