"""A benchmark interrupted with Ctrl-C stops everything it started (issue 12: bench/scale.py once
left its worker running and its database behind). Runs bench/scale.py as a person would, in a
process group of its own, and sends the group SIGINT as a terminal does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[2]


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    try:
        state = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State:"))
    except (OSError, StopIteration):
        return False
    return "zombie" not in state


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.devserver
@pytest.mark.postgres
def test_ctrl_c_on_the_scale_benchmark_stops_its_worker_and_server_and_drops_its_database(tmp_path):
    url = os.environ.get("LES_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("the benchmarks make their databases on PostgreSQL (LES_TEST_DATABASE_URL)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LES_")}
    env |= {"LES_BENCH_POSTGRES": url, "TMPDIR": str(tmp_path)}
    bench = subprocess.Popen([sys.executable, "-m", "bench.scale", "--count", "400", "--concurrency", "10"],
                             cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True, text=True)
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    pattern = f"les_bench_scale400_{bench.pid}_%"

    def databases() -> list[str]:
        with server.connect() as conn:
            return list(conn.scalars(text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": pattern}))

    try:
        deadline = time.monotonic() + 90
        started: list[int] = []
        while time.monotonic() < deadline and bench.poll() is None:
            started = children(bench.pid)
            worker_log = next(tmp_path.glob("les-bench-*/worker.log"), None)
            if databases() and worker_log and "worker started" in worker_log.read_text(errors="replace"):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"the benchmark did not get to its worker: {bench.communicate(timeout=30)[0]}")
        time.sleep(3)  # submissions in flight
        started = children(bench.pid)
        assert any("worker.py" in command_line(pid) for pid in started)
        assert any("start-dev" in command_line(pid) for pid in started)

        os.killpg(bench.pid, signal.SIGINT)  # Ctrl-C at the terminal: the benchmark's group
        time.sleep(0.5)
        os.killpg(bench.pid, signal.SIGINT)  # and again, impatiently, while it cleans up
        output, _ = bench.communicate(timeout=90)

        assert bench.returncode == 130, output
        assert "interrupted" in output
        assert "Traceback" not in output, output
        for pid in started:
            assert not running(pid), f"{command_line(pid)} is still running"
        assert databases() == [], "the benchmark's database was left behind"
        assert list(tmp_path.glob("les-bench-*")) == [], "its temporary folder was left behind"
    finally:
        if bench.poll() is None:
            os.killpg(bench.pid, signal.SIGKILL)
        for pid in children(bench.pid):
            os.kill(pid, signal.SIGKILL)
        server.dispose()
