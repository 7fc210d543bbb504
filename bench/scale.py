"""Scale: many open subpoenas waiting for approval, then all approved, then all closed.

    python -m bench.scale [--count N | --sizes 1000,10000] [--concurrency C] [--bare [only]]

For each size, from scratch (its own database, dev server and `python worker.py` subprocess):
1. submit N subpoenas (as `starter.py submit` does, C at a time) and wait until the server's
   visibility counts N awaiting approval (`LesCaseState`, what the queues search on);
2. read the dev server's state size (its SQLite --db-filename with -wal/-shm) and the worker's
   resident memory;
3. approve them all with `approve_sync` (the update `starter.py approve` sends), C concurrent;
   each update's latency is timed; then wait until all N are completed (the closing rate: N over
   the time from the first approval to the last close);
4. print the worker's peak RSS (VmHWM of /proc/PID/status), the state size before/after, the
   time to approve them all, p50/p99 update latency, and per-case costs to compare sizes; with
   several sizes, how each figure grows from the first to the last.

`--bare` runs each size a second time with the bare workflow of bench/bare.py (the subpoena's
steps as no-ops, one update) on its own dev server, the same concurrency and workflow cache, and
puts its update latency beside approve_sync's.

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


class ProductSubject:
    """The product: `python worker.py`, subpoenas started as `starter.py submit` starts them, the
    awaiting ones counted by the search attribute the queues use."""

    workflow_type = "Subpoena"
    label = "product"

    def __init__(self, client: Any, folder: Path, address: str, database_url: str) -> None:
        self.client, self.queue = client, "bench-scale"
        self.command = [sys.executable, "worker.py"]
        self.environ = worker_environ(folder, address, database_url, self.queue)

    def workflow_id(self, request_id: str) -> str:
        return workflow_id_for(request_id)

    async def start(self, request_id: str, now: datetime) -> None:
        from workflows import SubpoenaWorkflow

        document = subpoena(request_id, now)
        await self.client.start_workflow(
            SubpoenaWorkflow.run,
            RequestSubmission(request_id=request_id, request_type="subpoena", document=document),
            id=self.workflow_id(request_id), task_queue=self.queue, static_summary=static_summary(document),
            search_attributes=start_attributes("subpoena"))

    async def wait_awaiting(self, ids: list[str], worker: WorkerProcess, seconds: float) -> None:
        query = f"WorkflowType = '{self.workflow_type}' AND LesCaseState = 'awaiting_approval'"
        await wait_for_count(self.client, query, len(ids), worker, seconds)

    async def approve(self, handle: Any, update_id: str) -> tuple[bool, str]:
        receipt = await handle.execute_update("approve_sync", APPROVAL, id=update_id, result_type=DecisionReceipt)
        return receipt.accepted, receipt.message


class BareSubject(ProductSubject):
    """The bare workflow (bench/bare.py BareCaseLocal: the subpoena's steps as no-ops, the same
    one update `approve_sync`), its worker `python -m bench.bare` with the same threads, slots and
    workflow cache (LES_WORKFLOW_CACHE); the SDK's default data converter. It publishes no search
    attribute, so the awaiting ones are found by its `status` query."""

    workflow_type = "BareCaseLocal"
    label = "bare"

    def __init__(self, client: Any, folder: Path, address: str, database_url: str) -> None:
        self.client, self.queue = client, "bench-scale-bare"
        self.command = [sys.executable, "-m", "bench.bare", "--address", address, "--task-queue", self.queue]
        self.environ = worker_environ(folder, address, "", self.queue)

    def workflow_id(self, request_id: str) -> str:
        return f"bare-{request_id}"

    async def start(self, request_id: str, now: datetime) -> None:
        from bench.bare import BareCaseLocal

        await self.client.start_workflow(BareCaseLocal.run, request_id, id=self.workflow_id(request_id),
                                         task_queue=self.queue)

    async def wait_awaiting(self, ids: list[str], worker: WorkerProcess, seconds: float) -> None:
        began, waiting = time.perf_counter(), list(ids)
        gate = asyncio.Semaphore(50)

        async def awaiting(request_id: str) -> bool:
            async with gate:
                handle = self.client.get_workflow_handle(self.workflow_id(request_id))
                return (await handle.query("status", result_type=dict))["state"] == "awaiting_approval"

        while waiting:
            worker.alive()
            if time.perf_counter() - began > seconds:
                raise RuntimeError(f"{len(waiting)} of {len(ids)} not awaiting approval in {seconds:.0f} s")
            answers = await asyncio.gather(*(awaiting(r) for r in waiting))
            waiting = [r for r, ready in zip(waiting, answers, strict=True) if not ready]
            if waiting:
                await asyncio.sleep(1.0)

    async def approve(self, handle: Any, update_id: str) -> tuple[bool, str]:
        answer = await handle.execute_update("approve_sync", APPROVAL, id=update_id, result_type=dict)
        return answer["accepted"], str(answer)


async def one_size(size: int, concurrency: int, timeout: float, bare: bool = False) -> dict[str, Any]:
    with bench_folder() as folder, bench_database(f"scale{size}") as database_url:
        keyring = Keyring.load(folder / "keyring", environ={})
        converter = None if bare else sealing_data_converter(keyring, folder / "seal")
        async with dev_server(folder, converter) as env:
            client = env.client
            subject = (BareSubject if bare else ProductSubject)(client, folder, server_address(env), database_url)
            state_empty = state_bytes(env.database_file)
            with WorkerProcess(subject.command, subject.environ, folder / "worker.log") as worker:
                await wait_for_pollers(client, subject.queue, worker)
                rss_idle = worker.status_kib("VmRSS")
                now = datetime.now(UTC)
                ids = [f"SCALE-{now:%H%M%S}-{n:06d}" for n in range(size)]
                gate = asyncio.Semaphore(concurrency)

                async def submit(request_id: str) -> None:
                    async with gate:
                        await subject.start(request_id, now)

                began = time.perf_counter()
                await asyncio.gather(*(submit(r) for r in ids))
                submitted = time.perf_counter() - began
                await subject.wait_awaiting(ids, worker, timeout)
                all_waiting = time.perf_counter() - began
                state_waiting = state_bytes(env.database_file)
                rss_waiting = worker.status_kib("VmRSS")

                latencies: list[float] = []
                retried: list[str] = []
                timed_out: list[str] = []

                async def approve(request_id: str) -> None:
                    async with gate:
                        handle = client.get_workflow_handle(subject.workflow_id(request_id))
                        start = time.perf_counter()  # to the accepted answer, retries included
                        attempt = 1
                        while True:
                            try:  # one update id: a resend after a timeout is the same update
                                accepted, message = await subject.approve(handle, f"approve-{request_id}-{attempt}")
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
                        if not accepted:
                            raise RuntimeError(f"{request_id}: approval refused: {message}")

                began = time.perf_counter()
                await asyncio.gather(*(approve(r) for r in ids))
                approved = time.perf_counter() - began
                # said at once: with 10,000 the closings take long, and an interrupted run keeps these
                print(f"  ({subject.label}, {size:,}: all awaiting approval after {all_waiting:.1f} s; "
                      f"approved all in {approved:.1f} s, "
                      f"approve_sync p50 {statistics.median(latencies) * 1000:.0f} ms, "
                      f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms; worker peak so far "
                      f"{worker.status_kib('VmHWM') / 1024:.0f} MiB; state {state_waiting / MIB:.1f} MiB waiting; "
                      "waiting for all to close)", flush=True)
                done_query = f"WorkflowType = '{subject.workflow_type}' AND ExecutionStatus = 'Completed'"
                closed_at = await close_watch(client, done_query, size, worker, timeout)
                closed = time.perf_counter() - began
                state_closed = state_bytes(env.database_file)
                peak = worker.status_kib("VmHWM")
                rss_end = worker.status_kib("VmRSS")
    return {
        "label": subject.label, "size": size, "submitted": submitted, "all_waiting": all_waiting,
        "approved": approved, "closed": closed, "closing": closing_rate(closed_at, approved, closed, size),
        "retried": len(retried), "timed_out": len(timed_out), "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99), "max": max(latencies),
        "state_empty": state_empty, "state_waiting": state_waiting, "state_closed": state_closed,
        "rss_idle": rss_idle, "rss_waiting": rss_waiting, "rss_end": rss_end, "peak": peak,
    }


async def close_watch(client: Any, query: str, wanted: int, worker: WorkerProcess,
                      seconds: float) -> list[tuple[float, int]]:
    """Count the closed cases every 2 s until all are (at most `seconds`): (seconds since the
    watch began, closed) pairs, for the closing rate."""
    began, seen = time.perf_counter(), []
    while True:
        closed = await count(client, query)
        seen.append((time.perf_counter() - began, closed))
        if closed >= wanted:
            return seen
        worker.alive()
        if time.perf_counter() - began > seconds:
            raise RuntimeError(f"only {closed} of {wanted} closed in {seconds:.0f} s")
        await asyncio.sleep(2.0)


def closing_rate(seen: list[tuple[float, int]], approved: float, closed: float, size: int) -> dict[str, float]:
    """How fast cases closed once all were approved (from the end of the approvals to the last
    close), and overall (all cases over the time from the first approval to the last close)."""
    after = [(t, n) for t, n in seen]
    first_t, first_n = after[0]
    last_t, last_n = after[-1]
    tail = (last_n - first_n) / (last_t - first_t) if last_t > first_t else float("nan")
    return {"overall": size / closed, "after_approvals": tail, "closed_when_approved": first_n}


def show(r: dict[str, Any]) -> None:
    n = r["size"]
    print(f"\n{n:,} {'subpoenas' if r['label'] == 'product' else 'bare workflows (BareCaseLocal)'}:")
    print(f"  submitted in {r['submitted']:.1f} s; all {n:,} awaiting approval after {r['all_waiting']:.1f} s")
    print(f"  server state (SQLite + WAL): empty {r['state_empty'] / MIB:.1f} MiB, {n:,} waiting "
          f"{r['state_waiting'] / MIB:.1f} MiB, all closed {r['state_closed'] / MIB:.1f} MiB "
          f"({(r['state_waiting'] - r['state_empty']) / n / 1024:.1f} KiB per waiting case)")
    rate = r["closing"]
    print(f"  approved all in {r['approved']:.1f} s ({n / r['approved']:.1f} updates/s); "
          f"all closed {r['closed']:.1f} s after the first approval: closing rate {rate['overall']:.2f} cases/s "
          f"({rate['closed_when_approved']:,} closed when the last was approved, then "
          f"{rate['after_approvals']:.2f} cases/s)")
    print(f"  approve_sync latency: p50 {r['p50'] * 1000:.0f} ms, p99 {r['p99'] * 1000:.0f} ms, "
          f"max {r['max'] * 1000:.0f} ms")
    print(f"  {r['retried']} answered 'not recorded, try again' and were sent again; {r['timed_out']} times an "
          "update's RPC passed its deadline and was asked again (same update id)")
    print(f"  worker RSS: idle {r['rss_idle'] / 1024:.0f} MiB, with {n:,} waiting {r['rss_waiting'] / 1024:.0f} MiB, "
          f"at the end {r['rss_end'] / 1024:.0f} MiB; peak (VmHWM) {r['peak'] / 1024:.0f} MiB  (goal < 1024 MiB)")


GROWTH = (("all_waiting", "time until all awaiting approval"), ("approved", "time to approve all"),
          ("closed", "time until all closed"), ("p50", "approve_sync p50"), ("p99", "approve_sync p99"),
          ("peak", "worker peak RSS"))


def growth(results: list[dict[str, Any]]) -> None:
    """How each figure grows from the first size to the last (x10 cases: x10 is linear)."""
    first, last = results[0], results[-1]
    grow = last["size"] / first["size"]
    print(f"\n{first['label']}, from {first['size']:,} to {last['size']:,} (x{grow:g} cases):")
    for key, label in GROWTH:
        print(f"  {label:34}: x{last[key] / first[key]:.2f}")
    state = [r["state_closed"] - r["state_empty"] for r in (first, last)]
    print(f"  {'server state growth':34}: x{state[1] / max(1, state[0]):.2f}")
    ratio = last["closing"]["overall"] / first["closing"]["overall"]
    print(f"  {'closing rate':34}: {first['closing']['overall']:.2f} -> {last['closing']['overall']:.2f} cases/s, "
          f"x{ratio:.2f}  (goal: within 20 %, x0.80 or more)")


def beside(product: dict[str, Any], bare: dict[str, Any]) -> None:
    """The product's decision latency beside the bare workflow's one update, at the same size
    and concurrency."""
    n = product["size"]
    print(f"\n{n:,} open, approve_sync, product against bare:")
    for key in ("p50", "p99"):
        print(f"  {key}: product {product[key] * 1000:.0f} ms, bare {bare[key] * 1000:.0f} ms, "
              f"x{product[key] / bare[key]:.2f}" + ("  (goal at 10,000: x1.5 or less)" if key == "p99" else ""))
    print(f"  closing rate: product {product['closing']['overall']:.2f}, bare {bare['closing']['overall']:.2f} cases/s")


async def run(args: argparse.Namespace) -> None:
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [args.count]
    subjects = {"both": ("product", "bare"), "only": ("bare",)}.get(args.bare, ("product",))
    print(f"scale: sizes {sizes}, {args.concurrency} concurrent, {' and '.join(subjects)}; {load_average()}")
    results: dict[str, list[dict[str, Any]]] = {subject: [] for subject in subjects}
    for size in sizes:
        for subject in subjects:
            results[subject].append(await one_size(size, args.concurrency, args.timeout, bare=subject == "bare"))
            show(results[subject][-1])
            print(f"  ({load_average()})", flush=True)
        if len(subjects) == 2:
            beside(results["product"][-1], results["bare"][-1])
    for subject in subjects:
        if len(results[subject]) > 1:
            growth(results[subject])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="open requests (default 10000)")
    parser.add_argument("--sizes", help="several sizes, each from scratch, e.g. 1000,10000")
    parser.add_argument("--concurrency", type=int, default=50, help="submissions/approvals in flight (default 50)")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds to wait for a phase")
    parser.add_argument("--bare", nargs="?", const="both", choices=("both", "only"),
                        help="also run each size with the bare workflow that takes one update (bench/bare.py "
                             "BareCaseLocal) and put its update latency beside approve_sync's; "
                             "`--bare only` runs the bare workflow alone")
    run_benchmark(run(parser.parse_args()))


if __name__ == "__main__":
    main()
