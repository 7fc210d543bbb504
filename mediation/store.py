"""The simulator's own task and destination store: one SQLite file, so both survive a restart as they were.

A deactivated task stays on record with the instant it went off (for /collected and /admin), but X1
no longer sees it; an ActivateTask for its XID provisions it again, as a real mediation function
that forgot it would (the ADMF must remember what it switched off)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mediation.messages import DestinationDetails, TaskDetails, parse_time, x1_time

PROVISIONED, DEACTIVATED = "provisioned", "deactivated"
"""The store's own states of a task (X1 reports a provisioned one as `complete`; a deactivated one not at all)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    xid TEXT PRIMARY KEY,
    liid TEXT NOT NULL,
    targets TEXT NOT NULL,
    delivery_type TEXT NOT NULL,
    start_time TEXT,
    end_time TEXT,
    destination_ids TEXT NOT NULL,
    implicit_deactivation_allowed INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('provisioned', 'deactivated')),
    activated_at TEXT NOT NULL,
    modified_at TEXT,
    deactivated_at TEXT
);
CREATE TABLE IF NOT EXISTS destinations (
    did TEXT PRIMARY KEY,
    delivery_type TEXT NOT NULL,
    address TEXT NOT NULL,
    friendly_name TEXT
)
"""


@dataclass(frozen=True)
class TaskRecord:
    details: TaskDetails
    status: str
    activated_at: datetime
    deactivated_at: datetime | None
    modified_at: datetime | None

    def as_json(self) -> dict[str, object]:
        d = self.details
        return {
            "xid": d.xid, "liid": d.liid, "destination_ids": list(d.destination_ids), "targets": list(d.targets),
            "delivery_type": d.delivery_type,
            "start_time": _text(d.start_time), "end_time": _text(d.end_time), "status": self.status,
            "activated_at": _text(self.activated_at), "modified_at": _text(self.modified_at),
            "deactivated_at": _text(self.deactivated_at),
        }


def _text(at: datetime | None) -> str | None:
    return None if at is None else x1_time(at)


def _time(text: str | None) -> datetime | None:
    return None if text is None else parse_time(text)


def _make_private(path: Path) -> None:
    """The store holds intercept targets in plain text: 0600 (its WAL files take the same mode),
    created so before SQLite first opens it; an existing one is tightened, never opened here
    (closing a descriptor would drop SQLite's locks, as les/paths.py make_private_file says)."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    path.chmod(0o600)


class TaskStore:
    """Tasks by XID; every change is one committed transaction, serialised in this process."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        _make_private(path)
        with self._connection() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self._path, timeout=10, isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()

    def get(self, xid: str) -> TaskRecord | None:
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM tasks WHERE xid = ?", (xid,)).fetchone()
        return None if row is None else _record(row)

    def provisioned_xids(self) -> list[str]:
        with self._connection() as conn:
            rows = conn.execute("SELECT xid FROM tasks WHERE status = ? ORDER BY activated_at, xid", (PROVISIONED,))
            return [xid for (xid,) in rows]

    def by_liid(self, liid: str) -> list[TaskRecord]:
        with self._connection() as conn:
            rows = conn.execute("SELECT * FROM tasks WHERE liid = ? ORDER BY activated_at, xid", (liid,)).fetchall()
        return [_record(row) for row in rows]

    def activate(self, task: TaskDetails, at: datetime) -> TaskRecord | None:
        """Provision `task` (again, if its XID was deactivated); None when it is provisioned now (nothing changed)."""
        with self._lock, self._connection() as conn:
            inserted = conn.execute(
                "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL) ON CONFLICT (xid) DO UPDATE SET "
                "liid = excluded.liid, targets = excluded.targets, delivery_type = excluded.delivery_type, "
                "start_time = excluded.start_time, end_time = excluded.end_time, "
                "destination_ids = excluded.destination_ids, "
                "implicit_deactivation_allowed = excluded.implicit_deactivation_allowed, status = excluded.status, "
                "activated_at = excluded.activated_at, modified_at = NULL, deactivated_at = NULL "
                "WHERE tasks.status = 'deactivated'",
                (task.xid, task.liid or "", json.dumps(list(task.targets)), task.delivery_type,
                 _text(task.start_time), _text(task.end_time), json.dumps(list(task.destination_ids)),
                 int(task.implicit_deactivation_allowed), PROVISIONED, _text(at)),
            ).rowcount
        return self.get(task.xid) if inserted else None

    def create_destination(self, destination: DestinationDetails) -> bool:
        """Hold `destination`; False when its DID is already held (nothing changed)."""
        with self._lock, self._connection() as conn:
            return conn.execute(
                "INSERT INTO destinations VALUES (?, ?, ?, ?) ON CONFLICT (did) DO NOTHING",
                (destination.did, destination.delivery_type, destination.address, destination.friendly_name),
            ).rowcount == 1

    def destination(self, did: str) -> DestinationDetails | None:
        with self._connection() as conn:
            row = conn.execute("SELECT did, delivery_type, address, friendly_name FROM destinations WHERE did = ?",
                               (did,)).fetchone()
        return None if row is None else DestinationDetails(did=row[0], delivery_type=row[1], address=row[2],
                                                           friendly_name=row[3])

    def dids(self) -> list[str]:
        with self._connection() as conn:
            return [did for (did,) in conn.execute("SELECT did FROM destinations ORDER BY did")]

    def modify(self, task: TaskDetails, at: datetime) -> bool:
        """Replace a provisioned task's details (targets, products, window); False when none is."""
        with self._lock, self._connection() as conn:
            return conn.execute(
                "UPDATE tasks SET liid = ?, targets = ?, delivery_type = ?, start_time = ?, end_time = ?, "
                "destination_ids = ?, implicit_deactivation_allowed = ?, modified_at = ? "
                "WHERE xid = ? AND status = ?",
                (task.liid or "", json.dumps(list(task.targets)), task.delivery_type, _text(task.start_time),
                 _text(task.end_time), json.dumps(list(task.destination_ids)), int(task.implicit_deactivation_allowed),
                 _text(at), task.xid, PROVISIONED),
            ).rowcount == 1

    def deactivate(self, xid: str, at: datetime) -> bool:
        """Switch a provisioned task off at `at`; False when none is provisioned under this XID."""
        with self._lock, self._connection() as conn:
            return conn.execute(
                "UPDATE tasks SET status = ?, deactivated_at = ? WHERE xid = ? AND status = ?",
                (DEACTIVATED, _text(at), xid, PROVISIONED),
            ).rowcount == 1


def _record(row: tuple) -> TaskRecord:
    (xid, liid, targets, delivery_type, start_time, end_time, dids, implicit, status, activated_at, modified_at,
     deactivated_at) = row
    details = TaskDetails(
        xid=xid, targets=tuple(json.loads(targets)), delivery_type=delivery_type, liid=liid or None,
        start_time=_time(start_time), end_time=_time(end_time), destination_ids=tuple(json.loads(dids)),
        implicit_deactivation_allowed=bool(implicit),
    )
    activated = _time(activated_at)
    assert activated is not None
    return TaskRecord(details, status, activated, _time(deactivated_at), _time(modified_at))
