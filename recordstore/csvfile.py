"""Writing a production file: PostgreSQL's CSV dialect, hashed as written, moved in atomically."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
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


class HashingFile:
    """A binary file that keeps the SHA-256 and the length of everything written to it."""

    def __init__(self, raw: BinaryIO, on_write: Callable[[HashingFile], None] | None = None) -> None:
        self._raw = raw
        self._sha256 = hashlib.sha256()
        self._on_write = on_write
        self.bytes = 0
        self.lines = 0
        """Line ends written so far: the header plus the rows (a quoted newline counts too)."""

    def write(self, data: bytes | bytearray | memoryview | str) -> int:
        chunk = data.encode() if isinstance(data, str) else bytes(data)
        self._raw.write(chunk)
        self._sha256.update(chunk)
        self.bytes += len(chunk)
        if self._on_write is not None:
            self.lines += chunk.count(b"\n")
            self._on_write(self)
        return len(chunk)

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
            yield HashingFile(raw, on_write)
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
