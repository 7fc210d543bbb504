"""Throughput: subpoenas per second through the real worker against a bare Temporal workflow
of the same shape, on the same dev server, in one run.

    python -m bench.throughput [--count N] [--concurrency C] [--warmup W] [--rounds R]
                               [--bare activities|local] [--py-spy FILE]

Each case, for both: start the workflow (as `starter.py submit` does), poll its `status` query
every 0.2 s until it awaits approval, send `approve_sync` (the update `starter.py approve`
sends), wait for the result. At most C cases are in flight. The rate is N / (first start to
last close). The product runs `python worker.py` (pydantic converter, AES-GCM codec, PostgreSQL
case store, the real activities); the bare one `python -m bench.bare` (default converter, no-op
activities, same number of activities, the same 24 threads and slots). The product runs 9 of its 15
steps as local activities (workflows/versions.py LOCAL_CASE_STORE); the bare workflow, as the
goal defines it, runs all 15 as activities, or with `--bare local` the same 9 locally too. Each
worker is a subprocess, started for its phase alone; its CPU seconds per case are printed too.

See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle

from bench.harness import (
    CpuMeter,
    WorkerProcess,
    bench_database,
    bench_folder,
    dev_server,
    load_average,
    percentile,
    persistence_requests,
    run_benchmark,
    server_address,
    wait_for_pollers,
    worker_environ,
)
from bench.sealing import sealing_data_converter
from domain.case import CaseStatus, DecisionReceipt, RequestSubmission
from domain.case_page import static_summary
from les.keyring import Keyring
from les.temporal import start_attributes, workflow_id_for

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "subpoena.json"
APPROVAL = {"actor": "jdoe", "role": "analyst", "note": "benchmark"}
POLL = 0.2
PY_SPY = Path(sys.executable).parent / "py-spy"


class ProductTypes:
    """What the product's status query and approve update answer."""

    status_type = CaseStatus
    update_type = DecisionReceipt


class BareTypes:
    status_type = dict
    update_type = dict


def subpoena(request_id: str, now: datetime) -> dict[str, Any]:
    """examples/subpoena.json under `request_id`, received now (its paper dates moved with it)."""
    from tests.workflow_support import dated, example

    return dated(example("subpoena", request_id), now)


async def drive(handle_of: Callable[[int], Awaitable[WorkflowHandle]], count: int, concurrency: int,
                awaiting: Callable[[Any], bool], result_type: Any) -> tuple[float, list[float]]:
    """Run `count` cases through submit → awaiting approval → approve → closed; wall seconds and
    each case's approve-update latency."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(n: int) -> None:
        async with gate:
            handle = await handle_of(n)
            while not awaiting(await handle.query("status", result_type=result_type.status_type)):
                await asyncio.sleep(POLL)
            began = time.perf_counter()
            receipt = await handle.execute_update("approve_sync", APPROVAL, result_type=result_type.update_type)
            latencies.append(time.perf_counter() - began)
            accepted = receipt.accepted if hasattr(receipt, "accepted") else receipt["accepted"]
            if not accepted:
                raise RuntimeError(f"{handle.id}: approval refused: {receipt}")
            await handle.result()

    began = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(count)))
    return time.perf_counter() - began, latencies


async def product_phase(env: Any, folder: Path, database_url: str, label: str, count: int, concurrency: int,
                        warmup: int, py_spy: Path | None) -> dict[str, Any]:
    from workflows import SubpoenaWorkflow

    client, queue = env.client, "bench-product"
    now = datetime.now(UTC)
    stamp = now.strftime("%H%M%S")

    async def start(n: int, prefix: str) -> WorkflowHandle:
        document = subpoena(f"BENCH-{stamp}-{prefix}{n:06d}", now)
        return await client.start_workflow(
            SubpoenaWorkflow.run,
            RequestSubmission(request_id=document["request_id"], request_type="subpoena", document=document),
            id=workflow_id_for(document["request_id"]), task_queue=queue, static_summary=static_summary(document),
            search_attributes=start_attributes("subpoena"))

    def awaiting(status: CaseStatus) -> bool:
        if status.state == "closed":
            raise RuntimeError(f"{status.request_id} closed before approval: {status.history}")
        return status.state == "awaiting_approval"

    environ = worker_environ(folder, server_address(env), database_url, queue)
    with WorkerProcess([sys.executable, "worker.py"], environ, folder / f"worker-{label}.log") as worker:
        await wait_for_pollers(client, queue, worker)
        await drive(lambda n: start(n, "W"), warmup, concurrency, awaiting, ProductTypes)
        spy = None if py_spy is None else subprocess.Popen(
            [str(PY_SPY), "record", "--nonblocking", "--threads", "--gil", "-r", "100",
             "-f", "raw", "-o", str(py_spy), "-p", str(worker.process.pid)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        meter = CpuMeter(worker.process.pid, env.database_file)
        cpu, transactions, parts = worker.cpu_seconds(), database_transactions(database_url), meter.take()
        writes = persistence_requests(env)
        seconds, latencies = await drive(lambda n: start(n, label), count, concurrency, awaiting, ProductTypes)
        cpu, parts = worker.cpu_seconds() - cpu, CpuMeter.spent(parts, meter.take())
        writes = persistence_requests(env) - writes
        await asyncio.sleep(1.5)  # PostgreSQL publishes a backend's counts within a second
        transactions = database_transactions(database_url) - transactions
        if spy is not None:  # py-spy writes its file on Ctrl-C
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        worker.alive()
    last = client.get_workflow_handle(workflow_id_for(f"BENCH-{stamp}-{label}{count - 1:06d}"))
    return {"seconds": seconds, "latencies": latencies, "cpu": cpu, **await activity_steps(last),
            "transactions": transactions, "parts": parts, "persistence": writes, **await history_shape(last)}


def database_transactions(database_url: str) -> int:
    """Transactions committed or rolled back in the case store's database so far (pg_stat_database)."""
    from sqlalchemy import make_url, text

    from recordstore.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(text("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                                        "WHERE datname = :name"), {"name": make_url(database_url).database}))
    finally:
        engine.dispose()


async def bare_phase(env: Any, folder: Path, label: str, count: int, concurrency: int, warmup: int,
                     local: bool = False) -> dict[str, Any]:
    from bench.bare import BareCase, BareCaseLocal

    workflow_run = BareCaseLocal.run if local else BareCase.run

    address, queue = server_address(env), "bench-bare"
    client = await Client.connect(address)  # the SDK's default data converter

    async def start(n: int, prefix: str) -> WorkflowHandle:
        return await client.start_workflow(workflow_run, f"{prefix}{n}", id=f"bare-{label}-{prefix}{n}",
                                           task_queue=queue)

    def awaiting(status: dict) -> bool:
        return status["state"] == "awaiting_approval"

    command = [sys.executable, "-m", "bench.bare", "--address", address, "--task-queue", queue]
    with WorkerProcess(command, worker_environ(folder, address, "", queue), folder / "bare.log") as worker:
        await wait_for_pollers(client, queue, worker)
        await drive(lambda n: start(n, "W"), warmup, concurrency, awaiting, BareTypes)
        meter = CpuMeter(worker.process.pid, env.database_file)
        cpu, parts, writes = worker.cpu_seconds(), meter.take(), persistence_requests(env)
        seconds, latencies = await drive(lambda n: start(n, label), count, concurrency, awaiting, BareTypes)
        cpu, parts = worker.cpu_seconds() - cpu, CpuMeter.spent(parts, meter.take())
        writes = persistence_requests(env) - writes
    last = client.get_workflow_handle(f"bare-{label}-{label}{count - 1}")
    return {"seconds": seconds, "latencies": latencies, "cpu": cpu, **await activity_steps(last),
            "parts": parts, "persistence": writes, **await history_shape(last)}


async def activity_steps(handle: WorkflowHandle) -> dict[str, int]:
    """One case's activities: those scheduled through the server and those run as local activities
    (their markers; workflows/versions.py LOCAL_CASE_STORE). Both count as steps of its shape."""
    from console.histories import LOCAL_ACTIVITY_MARKER

    events = (await handle.fetch_history()).events
    scheduled = sum(1 for event in events if event.HasField("activity_task_scheduled_event_attributes"))
    local = sum(1 for event in events if event.HasField("marker_recorded_event_attributes")
                and event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER)
    return {"activities": scheduled + local, "local": local}


async def history_shape(handle: WorkflowHandle) -> dict[str, int]:
    """One case's history: its events, workflow tasks and search-attribute upserts."""
    events = (await handle.fetch_history()).events
    return {"events": len(events),
            "workflow_tasks": sum(1 for e in events if e.HasField("workflow_task_completed_event_attributes")),
            "upserts": sum(1 for e in events if e.HasField("upsert_workflow_search_attributes_event_attributes"))}


def report(name: str, count: int, figures: dict[str, Any]) -> float:
    rate = count / figures["seconds"]
    lat = figures["latencies"]
    local = f" ({figures['local']} local)" if figures["local"] else ""
    print(f"  {name:8}: {rate:6.2f} cases/s  ({count} cases in {figures['seconds']:.1f} s; "
          f"{figures['activities']} activities per case{local}; "
          f"worker CPU {figures['cpu'] / count * 1000:.1f} ms/case; "
          f"approve p50 {statistics.median(lat) * 1000:.0f} ms, p99 {percentile(lat, 0.99) * 1000:.0f} ms)")
    parts = figures["parts"]
    print("            CPU ms per case: " + ", ".join(
        f"{part} {parts[part] / count * 1000:.0f}" for part in ("worker", "server", "postgres", "client", "other",
                                                                "machine")))
    persistence = figures["persistence"]
    top = ", ".join(f"{op} {n / count:.1f}" for op, n in persistence.most_common(4))
    print(f"            history: {figures['events']} events, {figures['workflow_tasks']} workflow tasks, "
          f"{figures['upserts']} search-attribute upserts; server: {persistence.total() / count:.1f} "
          f"persistence requests per case ({top})")
    if "transactions" in figures:
        print(f"            case store: {figures['transactions'] / count:.1f} PostgreSQL transactions per case "
              "(idle-connection pings included)")
    return rate


async def run(args: argparse.Namespace) -> None:
    with bench_folder() as folder, bench_database("throughput") as database_url:
        keyring = Keyring.load(folder / "keyring", environ={})
        async with dev_server(folder, sealing_data_converter(keyring, folder / "seal")) as env:
            print(f"throughput: {args.count} cases per phase, at most {args.concurrency} in flight, "
                  f"{args.rounds} round(s), bare workflow: {args.bare}; {load_average()}")
            rates: dict[str, list[float]] = {"bare": [], "product": []}
            for round_no in range(args.rounds):
                bare = await bare_phase(env, folder, f"B{round_no}", args.count, args.concurrency, args.warmup,
                                        local=args.bare == "local")
                product = await product_phase(env, folder, database_url, f"P{round_no}", args.count,
                                              args.concurrency, args.warmup, args.py_spy)
                if product["activities"] != bare["activities"]:
                    print(f"  warning: the product ran {product['activities']} activities per case, "
                          f"the bare workflow {bare['activities']}: bench/bare.py's shape is out of date")
                print(f"round {round_no + 1}:")
                rates["bare"].append(report("bare", args.count, bare))
                rates["product"].append(report("product", args.count, product))
                print(f"  ratio product / bare: {rates['product'][-1] / rates['bare'][-1]:.2f}  (goal >= 0.9)")
            if args.rounds > 1:
                bare_rate, product_rate = statistics.median(rates["bare"]), statistics.median(rates["product"])
                print(f"median of {args.rounds}: bare {bare_rate:.2f}, product {product_rate:.2f} cases/s, "
                      f"ratio {product_rate / bare_rate:.2f}")
            print(f"after: {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--count", type=int, default=200, help="cases per phase (default 200)")
    parser.add_argument("--concurrency", type=int, default=50, help="cases in flight (default 50)")
    parser.add_argument("--warmup", type=int, default=10, help="uncounted cases first (default 10)")
    parser.add_argument("--rounds", type=int, default=1, help="bare then product, this many times (default 1)")
    parser.add_argument("--bare", choices=("activities", "local"), default="activities",
                        help="the bare workflow's steps: all activities (default, as bench/bare.py's BareCase), "
                             "or the subpoena's 9 case-store steps as local activities, as the product runs them "
                             "(BareCaseLocal)")
    parser.add_argument("--py-spy", type=Path, help="record the product worker with py-spy into this file")
    args = parser.parse_args()
    if args.py_spy is not None and not PY_SPY.exists():
        parser.error(f"--py-spy needs py-spy in this environment ({PY_SPY} is missing): "
                     'pip install -e ".[bench]"')
    run_benchmark(run(args))


if __name__ == "__main__":
    main()
