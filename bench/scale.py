"""Scale: many open subpoenas waiting for approval, then all approved.

    python -m bench.scale [--count N | --sizes 1000,10000] [--concurrency C]

For each size, from scratch (its own database, dev server and `python worker.py` subprocess):
1. submit N subpoenas (as `starter.py submit` does, C at a time) and wait until the server's
   visibility counts N awaiting approval (`LesCaseState`, what the queues search on);
2. read the dev server's state size (its SQLite --db-filename with -wal/-shm) and the worker's
   resident memory;
3. approve them all with `approve_sync` (the update `starter.py approve` sends), C concurrent;
   each update's latency is timed; then wait until all N are completed;
4. print the worker's peak RSS (VmHWM of /proc/PID/status), the state size before/after, the
   time to approve them all, p50/p99 update latency, and per-case costs to compare sizes.

See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError

from bench.harness import (
    WorkerProcess,
    bench_database,
    bench_folder,
    dev_server,
    load_average,
    percentile,
    run_benchmark,
    server_address,
    wait_for_pollers,
    worker_environ,
)
from bench.sealing import sealing_data_converter
from bench.throughput import APPROVAL, subpoena
from domain.case import DecisionReceipt, RequestSubmission
from domain.case_page import static_summary
from les.keyring import Keyring
from les.temporal import start_attributes, workflow_id_for

MIB = 1024 * 1024


def state_bytes(database_file: Path) -> int:
    """The dev server's state: its SQLite file with the write-ahead log and shared memory."""
    return sum(p.stat().st_size for p in database_file.parent.glob(database_file.name + "*") if p.is_file())


async def count(client: Any, query: str) -> int:
    return (await client.count_workflows(query)).count


async def wait_for_count(client: Any, query: str, wanted: int, worker: WorkerProcess, seconds: float) -> float:
    began = time.perf_counter()
    while (seen := await count(client, query)) < wanted:
        worker.alive()
        if time.perf_counter() - began > seconds:
            raise RuntimeError(f"only {seen} of {wanted} reached `{query}` in {seconds:.0f} s")
        await asyncio.sleep(1.0)
    return time.perf_counter() - began


async def one_size(size: int, concurrency: int, timeout: float) -> dict[str, Any]:
    from workflows import SubpoenaWorkflow

    queue = "bench-scale"
    with bench_folder() as folder, bench_database(f"scale{size}") as database_url:
        keyring = Keyring.load(folder / "keyring", environ={})
        async with dev_server(folder, sealing_data_converter(keyring, folder / "seal")) as env:
            client = env.client
            state_empty = state_bytes(env.database_file)
            environ = worker_environ(folder, server_address(env), database_url, queue)
            with WorkerProcess([sys.executable, "worker.py"], environ, folder / "worker.log") as worker:
                await wait_for_pollers(client, queue, worker)
                rss_idle = worker.status_kib("VmRSS")
                now = datetime.now(UTC)
                ids = [f"SCALE-{now:%H%M%S}-{n:06d}" for n in range(size)]
                gate = asyncio.Semaphore(concurrency)

                async def submit(request_id: str) -> None:
                    document = subpoena(request_id, now)
                    async with gate:
                        await client.start_workflow(
                            SubpoenaWorkflow.run,
                            RequestSubmission(request_id=request_id, request_type="subpoena", document=document),
                            id=workflow_id_for(request_id), task_queue=queue, static_summary=static_summary(document),
                            search_attributes=start_attributes("subpoena"))

                began = time.perf_counter()
                await asyncio.gather(*(submit(r) for r in ids))
                submitted = time.perf_counter() - began
                waiting_query = "WorkflowType = 'Subpoena' AND LesCaseState = 'awaiting_approval'"
                await wait_for_count(client, waiting_query, size, worker, timeout)
                all_waiting = time.perf_counter() - began
                state_waiting = state_bytes(env.database_file)
                rss_waiting = worker.status_kib("VmRSS")

                latencies: list[float] = []
                retried: list[str] = []
                timed_out: list[str] = []

                async def approve(request_id: str) -> None:
                    async with gate:
                        handle = client.get_workflow_handle(workflow_id_for(request_id))
                        start = time.perf_counter()  # to the accepted answer, retries included
                        attempt = 1
                        while True:
                            try:  # one update id: a resend after a timeout is the same update
                                receipt = await handle.execute_update("approve_sync", APPROVAL,
                                                                      id=f"approve-{request_id}-{attempt}",
                                                                      result_type=DecisionReceipt)
                                break
                            except WorkflowUpdateRPCTimeoutOrCancelledError:
                                timed_out.append(request_id)  # the server's deadline passed: ask again
                                if timed_out.count(request_id) > 20:
                                    raise RuntimeError(f"{request_id}: no answer to approve_sync in 20 tries") from None
                            except WorkflowUpdateFailedError as err:
                                cause = str(getattr(err.cause, "message", err.cause))
                                if "not recorded" not in cause or attempt == 3:
                                    raise RuntimeError(f"{request_id}: approval refused: {cause}") from None
                                retried.append(cause)  # "not recorded, try again": as a person would
                                attempt += 1
                        latencies.append(time.perf_counter() - start)
                        if not receipt.accepted:
                            raise RuntimeError(f"{request_id}: approval refused: {receipt.message}")

                began = time.perf_counter()
                await asyncio.gather(*(approve(r) for r in ids))
                approved = time.perf_counter() - began
                # said at once: with 10,000 the closings take long, and an interrupted run keeps these
                print(f"  ({size:,}: all awaiting approval after {all_waiting:.1f} s; "
                      f"approved all in {approved:.1f} s, "
                      f"approve_sync p50 {statistics.median(latencies) * 1000:.0f} ms, "
                      f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms; worker peak so far "
                      f"{worker.status_kib('VmHWM') / 1024:.0f} MiB; state {state_waiting / MIB:.1f} MiB waiting; "
                      "waiting for all to close)", flush=True)
                done_query = "WorkflowType = 'Subpoena' AND ExecutionStatus = 'Completed'"
                await wait_for_count(client, done_query, size, worker, timeout)
                closed = time.perf_counter() - began
                state_closed = state_bytes(env.database_file)
                peak = worker.status_kib("VmHWM")
                rss_end = worker.status_kib("VmRSS")
    return {
        "size": size, "submitted": submitted, "all_waiting": all_waiting, "approved": approved, "closed": closed,
        "retried": len(retried), "timed_out": len(timed_out), "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99), "max": max(latencies),
        "state_empty": state_empty, "state_waiting": state_waiting, "state_closed": state_closed,
        "rss_idle": rss_idle, "rss_waiting": rss_waiting, "rss_end": rss_end, "peak": peak,
    }


def show(r: dict[str, Any]) -> None:
    n = r["size"]
    print(f"\n{n:,} subpoenas:")
    print(f"  submitted in {r['submitted']:.1f} s; all {n:,} awaiting approval after {r['all_waiting']:.1f} s")
    print(f"  server state (SQLite + WAL): empty {r['state_empty'] / MIB:.1f} MiB, {n:,} waiting "
          f"{r['state_waiting'] / MIB:.1f} MiB, all closed {r['state_closed'] / MIB:.1f} MiB "
          f"({(r['state_waiting'] - r['state_empty']) / n / 1024:.1f} KiB per waiting case)")
    print(f"  approved all in {r['approved']:.1f} s ({n / r['approved']:.1f} updates/s); "
          f"all closed after {r['closed']:.1f} s ({n / r['closed']:.2f} cases/s)")
    print(f"  approve_sync latency: p50 {r['p50'] * 1000:.0f} ms, p99 {r['p99'] * 1000:.0f} ms, "
          f"max {r['max'] * 1000:.0f} ms")
    print(f"  {r['retried']} answered 'not recorded, try again' and were sent again; {r['timed_out']} times an "
          "update's RPC passed its deadline and was asked again (same update id)")
    print(f"  worker RSS: idle {r['rss_idle'] / 1024:.0f} MiB, with {n:,} waiting {r['rss_waiting'] / 1024:.0f} MiB, "
          f"at the end {r['rss_end'] / 1024:.0f} MiB; peak (VmHWM) {r['peak'] / 1024:.0f} MiB  (goal < 1024 MiB)")


async def run(args: argparse.Namespace) -> None:
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [args.count]
    print(f"scale: sizes {sizes}, {args.concurrency} concurrent; {load_average()}")
    results = []
    for size in sizes:
        results.append(await one_size(size, args.concurrency, args.timeout))
        show(results[-1])
        print(f"  ({load_average()})")
    if len(results) > 1:
        first, last = results[0], results[-1]
        grow = last["size"] / first["size"]
        print(f"\nfrom {first['size']:,} to {last['size']:,} (x{grow:g}):")
        for key, label in (("approved", "time to approve all"), ("closed", "time until all closed"),
                           ("p50", "p50 latency"), ("p99", "p99 latency"), ("peak", "worker peak RSS")):
            print(f"  {label:22}: x{last[key] / first[key]:.2f}")
        state = [r["state_closed"] - r["state_empty"] for r in (first, last)]
        print(f"  {'server state growth':22}: x{state[1] / max(1, state[0]):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="open requests (default 10000)")
    parser.add_argument("--sizes", help="several sizes, each from scratch, e.g. 1000,10000")
    parser.add_argument("--concurrency", type=int, default=50, help="submissions/approvals in flight (default 50)")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds to wait for a phase")
    run_benchmark(run(parser.parse_args()))


if __name__ == "__main__":
    main()
