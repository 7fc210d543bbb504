"""Writing a production file: PostgreSQL's CSV dialect, hashed as written, moved in atomically."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def csv_field(value: Any) -> str:
    """One value as PostgreSQL's `COPY ... (FORMAT csv)` writes it.

    NULL is an empty field; an empty string is `""`; a value holding a comma, a quote or a
    line break is quoted with its quotes doubled. (`csv.writer` cannot tell NULL from an
    empty string, which is why this is not `csv.writer`.)
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text or _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_lines(rows: Iterable[Iterable[Any]]) -> str:
    """Rows as CSV lines, each ended by a bare line feed."""
    return "".join(",".join(map(csv_field, row)) + "\n" for row in rows)


BUFFER_BYTES = 1 << 20
"""What a HashingFile gathers before it writes, hashes and reports: `COPY ... TO STDOUT` hands
psycopg2's `copy_expert` one row at a time, and doing all that per row made a 5M-row export
take twice as long as psql (bench/retrieval_bench.py --huge, 2026-11-29: Python calls per row)."""
REPORT_EVERY_SECONDS = 1.0
"""…and at least this often while rows arrive slowly, so `on_write` (heartbeats) keeps up."""


class HashingFile:
    """A binary file that keeps the SHA-256 and the length of everything written to it.

    Writes gather in a buffer of BUFFER_BYTES; each full buffer is written, hashed and shown
    to `on_write`. `flush()` writes what is left (atomic_file does, before it syncs), and the
    counts and the hash are read after it."""

    def __init__(self, raw: BinaryIO, on_write: Callable[[HashingFile], None] | None = None) -> None:
        self._raw = raw
        self._sha256 = hashlib.sha256()
        self._on_write = on_write
        self._pending = bytearray()
        self._reported = time.monotonic()
        self.bytes = 0
        self.lines = 0
        """Line ends written so far: the header plus the rows (a quoted newline counts too)."""

    def write(self, data: bytes | bytearray | memoryview | str) -> int:
        chunk = data.encode() if isinstance(data, str) else data
        self._pending += chunk
        if len(self._pending) >= BUFFER_BYTES or time.monotonic() - self._reported >= REPORT_EVERY_SECONDS:
            self.flush()
        return len(chunk)

    def flush(self) -> None:
        """Write, hash and count what is buffered, then show it to `on_write`."""
        chunk = self._pending
        self._reported = time.monotonic()
        if not chunk:
            return
        self._raw.write(chunk)
        self._sha256.update(chunk)
        self.bytes += len(chunk)
        self.lines += chunk.count(b"\n")
        self._pending = bytearray()
        if self._on_write is not None:
            self._on_write(self)

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()


PRODUCTION_FILE_MODE = 0o640
"""Customer records: readable by the owner and the delivery group, never by everyone."""


@contextmanager
def atomic_file(out_path: Path, on_write: Callable[[HashingFile], None] | None = None) -> Iterator[HashingFile]:
    """A file that appears at `out_path` complete and durable, or not at all.

    It is written beside `out_path`, synced, then renamed over it, so a retried activity
    simply replaces what an earlier attempt wrote.
    """
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".part", dir=out_path.parent)
    os.fchmod(fd, PRODUCTION_FILE_MODE)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as raw:
            sink = HashingFile(raw, on_write)
            yield sink
            sink.flush()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temp_name, out_path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_directory(out_path.parent)


def _fsync_directory(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
