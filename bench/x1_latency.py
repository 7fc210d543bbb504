"""X1 round trips as the worker makes them: the real client, the real simulator process, mutual TLS,
every request validated by the simulator and every answer by the client against the vendored schemas.

    .venv/bin/python -m bench.x1_latency [--count 100]

Prints the median and 95th percentile of ActivateTask, GetTaskDetails and DeactivateTask (one kept-alive
connection), and of a trivial GET /admin/health on the same connection: the floor of one HTTP exchange
on this machine, which the X1 calls' figures include."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.x1_latency")
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "tests"))
    import httpx
    from conftest import SimulatorProcess

    from mediation.messages import DestinationDetails, TaskDetails

    folder = Path(tempfile.mkdtemp(prefix="les-x1-bench-"))
    simulator = SimulatorProcess(folder / "tasks.db", folder / "simulator.log", tls_folder=folder / "x1-tls").start()
    timings: dict[str, list[float]] = {"GET /admin/health": [], "ActivateTask": [], "GetTaskDetails": [],
                                       "DeactivateTask": []}

    def timed(kind: str, call: Callable[[], object]) -> None:
        started = time.perf_counter()
        call()
        timings[kind].append((time.perf_counter() - started) * 1000)

    try:
        with simulator.client() as x1, httpx.Client(verify=simulator.tls.client_context()) as http:
            did = str(uuid.uuid4())
            x1.create_destination(DestinationDetails(did, "X2Only", "https://les.invalid/x2x3"))
            for _ in range(args.count):
                xid = str(uuid.uuid4())
                task = TaskDetails(xid, ("+16125550188",), "X2Only", "LES-BENCH-1", datetime.now(UTC), None, (did,))
                timed("GET /admin/health", lambda: http.get(f"https://127.0.0.1:{simulator.port}/admin/health"))
                timed("ActivateTask", lambda task=task: x1.activate_task(task))
                timed("GetTaskDetails", lambda xid=xid: x1.get_task_details(xid))
                timed("DeactivateTask", lambda xid=xid: x1.deactivate_task(xid))
    finally:
        simulator.stop()
    for kind, ms in timings.items():
        ms.sort()
        print(f"{kind:18} median {statistics.median(ms):6.1f} ms   p95 {ms[int(len(ms) * 0.95) - 1]:6.1f} ms"
              f"   (n={len(ms)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
