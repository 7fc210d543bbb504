"""Processes a fault test kills: the dev server, worker processes and a private PostgreSQL cluster,
each started by the test and always stopped at teardown (`Reaper`); and the checks every fault
test ends with: nothing lost, nothing duplicated, every manifest right (`assert_delivered_once`)."""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from les.temporal import dev_server_flags
from recordstore.models import Case as CaseRow
from recordstore.models import CaseEvent, Invoice, LedgerEntry, Production
from tests.conftest import BIN, REPO, environ_without_les, free_port


def wait_until(condition: Callable[[], Any], seconds: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Reaper:
    """Every process a fault test starts, killed (SIGKILL) at teardown if still running, so no dev
    server or worker outlives its test whatever the test's outcome."""

    def __init__(self) -> None:
        self._processes: list[subprocess.Popen] = []
        self._cleanups: list[Callable[[], None]] = []

    def popen(self, command: list[str], log: Path, **options: Any) -> subprocess.Popen:
        with log.open("ab") as out:
            process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, **options)
        self._processes.append(process)
        return process

    def on_teardown(self, cleanup: Callable[[], None]) -> None:
        self._cleanups.append(cleanup)

    def reap(self) -> None:
        for process in reversed(self._processes):
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)  # a process stopped by `Stepper` dies all the same
                process.kill()
                process.wait(timeout=10)
        for cleanup in reversed(self._cleanups):
            cleanup()


class DevServer:
    """`temporal server start-dev` on its own port, its state in `db_file`: killed with SIGKILL and
    started again on the same file and port, as a crashed server is."""

    def __init__(self, reaper: Reaper, folder: Path) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.db_file = folder / "temporal.db"
        self.log = folder / "temporal.log"
        self._reaper = reaper
        self.process: subprocess.Popen | None = None

    def start(self) -> DevServer:
        command = [str(BIN / "temporal"), "server", "start-dev", "--db-filename", str(self.db_file),
                   "--ip", "127.0.0.1", "--port", str(self.port), "--headless", "--log-level", "error",
                   *dev_server_flags()]
        self.process = self._reaper.popen(command, self.log)
        wait_until(lambda: port_open(self.port) or self.process.poll() is not None, 30, "the dev server's port")
        assert self.process.poll() is None, f"the dev server exited; see {self.log}"
        # the port opens before the frontend serves ("Frontend is not healthy yet"): wait for that too
        wait_until(lambda: self.serving() or self.process.poll() is not None, 30, "the dev server's frontend")
        assert self.process.poll() is None, f"the dev server exited; see {self.log}"
        return self

    def serving(self) -> bool:
        """The frontend's gRPC health check answers SERVING (`temporal operator cluster health`)."""
        try:
            shown = subprocess.run([str(BIN / "temporal"), "operator", "cluster", "health", "--address", self.address],
                                   capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return False
        return shown.stdout.strip() == "SERVING"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


class WorkerProcess:
    """`python worker.py` with the environment of `env`, its output in `log`."""

    def __init__(self, reaper: Reaper, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = reaper.popen([sys.executable, str(REPO / "worker.py")], log, env=env)

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL, as an out-of-memory kill: no handler runs, nothing is flushed."""
        self.process.send_signal(signal.SIGCONT)
        self.process.kill()
        self.process.wait(timeout=10)

    def started(self) -> WorkerProcess:
        wait_until(lambda: "worker started" in self.output() or self.process.poll() is not None, 60,
                   f"the worker's start; see {self.log}")
        assert self.process.poll() is None, self.output()
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def worker_env(address: str, database_url: str, folder: Path, task_queue: str, keyring_dir: Path) -> dict[str, str]:
    return {
        **environ_without_les(),
        "LES_TEMPORAL_ADDRESS": address,
        "LES_DATABASE_URL": database_url,
        "LES_STATE_DIR": str(folder / "state"),
        "LES_DELIVERY_ROOT": str(folder / "deliveries"),
        "LES_DOCUMENTS_ROOT": str(folder / "documents"),
        "LES_TASK_QUEUE": task_queue,
        "LES_KEYRING_DIR": str(keyring_dir),
        "LES_SEAL_PUBLIC_KEYS_DIR": str(keyring_dir.parent / "seal"),
    }


class Stepper:
    """Runs processes a slice at a time (SIGCONT, a few milliseconds, SIGSTOP), as a CPU-starved
    machine would, so a test can stop them between two heartbeats of a retrieval that takes half a
    second at full speed. Nothing in them is replaced: they are only paused."""

    def __init__(self, *processes: subprocess.Popen, slice_seconds: float = 0.02) -> None:
        self.processes = processes
        self.slice_seconds = slice_seconds

    def step(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGCONT)
        time.sleep(self.slice_seconds)
        for process in self.processes:
            process.send_signal(signal.SIGSTOP)

    def pause(self) -> None:
        """Stop them (SIGSTOP) until the next `step` or `release`."""
        for process in self.processes:
            process.send_signal(signal.SIGSTOP)

    def release(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)


# ---- a private PostgreSQL cluster ------------------------------------------------------------------

def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own: `initdb` in a temporary folder, its own port, trust
    auth; stopped (`pg_ctl stop -m fast`) and started again by the test. Run as the `postgres` user
    when the test runs as root (PostgreSQL refuses to run as root)."""

    def __init__(self, reaper: Reaper, bindir: Path) -> None:
        self.bin = bindir
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="les-faults-pg-"))  # tmp_path's parents are root's only
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres"
        self._as = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self._as:
            os.chown(self.folder, self._as.pw_uid, self._as.pw_gid)
        reaper.on_teardown(self._remove)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        user = {"user": self._as.pw_uid, "group": self._as.pw_gid, "extra_groups": []} if self._as else {}
        done = subprocess.run([str(self.bin / tool), *args], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "LC_ALL": "C.UTF-8"}, **user)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


# ---- what every fault test checks at the end ------------------------------------------------------

def csv_rows(path: Path) -> int:
    with path.open(newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1  # less the header


def assert_manifest_right(folder: Path, manifest_sha256: str) -> dict[str, Any]:
    """Recompute what a recipient can: the manifest's SHA-256, and each listed file's SHA-256 and rows."""
    manifest_bytes = (folder / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest_bytes).hexdigest() == manifest_sha256
    manifest = json.loads(manifest_bytes)
    for entry in manifest["files"]:
        path = folder / entry["name"]
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        assert digest.hexdigest() == entry["sha256"], entry["name"]
        assert path.stat().st_size == entry["bytes"], entry["name"]
        if path.suffix == ".csv":
            assert csv_rows(path) == entry["rows"], entry["name"]
    return manifest


def assert_delivered_once(engine: Engine, request_id: str, deliveries: Path) -> dict[str, Any]:
    """Nothing lost, nothing duplicated, the manifest right: the case closed `delivered`; one
    production (one folder on disk), one invoice; every accepted event once in the case history,
    its seqs 1..n with no gap or repeat; one ledger entry per event, in the same order."""
    with Session(engine) as session:
        case = session.get(CaseRow, request_id)
        assert case is not None and (case.state, case.resolution) == ("closed", "delivered"), \
            (case and (case.state, case.resolution))
        productions = session.scalars(select(Production).where(Production.request_id == request_id)).all()
        invoices = session.scalars(select(Invoice).where(Invoice.request_id == request_id)).all()
        events = session.execute(select(CaseEvent.seq, CaseEvent.event, CaseEvent.accepted).where(
            CaseEvent.request_id == request_id).order_by(CaseEvent.seq)).all()
        ledger = session.execute(select(LedgerEntry.position, LedgerEntry.seq).where(
            LedgerEntry.request_id == request_id).order_by(LedgerEntry.position)).all()
    assert len(productions) == 1, [p.path for p in productions]
    assert len(invoices) == 1
    assert [seq for seq, _, _ in events] == list(range(1, len(events) + 1))
    accepted = [name for _, name, ok in events if ok]
    assert len(accepted) == len(set(accepted)), accepted
    assert {"approve", "production_delivered", "invoiced", "closed"} <= set(accepted), accepted
    assert [(position, seq) for position, seq in ledger] == [(n, seq) for n, (seq, _, _) in enumerate(events, 1)]
    on_disk = [p for p in (deliveries / request_id).iterdir() if not p.name.startswith(".")]
    assert [p.name for p in on_disk] == [Path(productions[0].path).name]
    manifest = assert_manifest_right(Path(productions[0].path), productions[0].manifest_sha256)
    assert sum(f["rows"] for f in manifest["files"] if f["category"]) == productions[0].row_count
    return manifest
