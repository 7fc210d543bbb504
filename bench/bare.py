"""The bare Temporal workflow the throughput benchmark compares the product with.

The same shape as a subpoena's story (workflows/records.py): 3 activities before the approval,
an `approve_sync` update that runs 2 (the roster, filing the decision) and lets the run go on,
then 3 retrievals in parallel and 7 activities one after another: 15 in all. The activities do
nothing; the data converter is the SDK's default (no pydantic, no encryption); the worker has
the same 24 activity threads and slots as worker.py's (`activity_slots`: 16 for activities, 8 for
local activities) and the same workflow cache (LES_WORKFLOW_CACHE, as worker.py reads it; 1,000 by
default). BareCase runs all 15 as activities;
BareCaseLocal runs the 9 the product runs locally (LOCAL_STEPS) as local activities.

    python -m bench.bare --address HOST:PORT --task-queue QUEUE
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

BEFORE, IN_UPDATE, PARALLEL, AFTER = 3, 2, 3, 7
"""Activities of a subpoena: open, verify, file `verified` | roster, file `approve` | 3 retrievals |
package, deliver, file, bill, file, close, file (checked against a product history by throughput.py)."""
ACTIVITY_THREADS = 24


@activity.defn(name="noop")
def noop(step: str) -> str:
    return step


LOCAL_STEPS = frozenset({"before-0", "before-2", "decision-0", "decision-1", "after-2", "after-3", "after-4",
                         "after-5", "after-6"})
"""The steps a subpoena runs as local activities (workflows/versions.py LOCAL_CASE_STORE): open,
file `verified`, the roster, file `approve`, file `production_delivered`, bill, file `invoiced`,
close, file `closed`. BareCaseLocal runs these locally too."""


@workflow.defn(name="BareCase")
class BareCase:
    local_steps: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.state = "open"

    async def _step(self, name: str) -> str:
        if name in self.local_steps:
            return await workflow.execute_local_activity(noop, name, start_to_close_timeout=timedelta(seconds=30))
        return await workflow.execute_activity(noop, name, start_to_close_timeout=timedelta(seconds=30))

    @workflow.run
    async def run(self, request_id: str) -> str:
        for n in range(BEFORE):
            await self._step(f"before-{n}")
        self.state = "awaiting_approval"
        await workflow.wait_condition(lambda: self.state == "retrieving")
        await asyncio.gather(*(self._step(f"retrieve-{n}") for n in range(PARALLEL)))
        for n in range(AFTER):
            await self._step(f"after-{n}")
        self.state = "closed"
        return request_id

    @workflow.update(name="approve_sync")
    async def approve(self, decision: dict) -> dict:
        for n in range(IN_UPDATE):
            await self._step(f"decision-{n}")
        self.state = "retrieving"
        return {"accepted": True, "state": self.state}

    @approve.validator
    def _approvable(self, decision: dict) -> None:
        if self.state != "awaiting_approval":
            raise ValueError(f"nothing to approve in state {self.state}")

    @workflow.query(name="status")
    def status(self) -> dict:
        return {"state": self.state}


@workflow.defn(name="BareCaseLocal")
class BareCaseLocal(BareCase):
    """The same, with the subpoena's local steps local: what the product's design costs against a
    bare workflow that made the same choice (`bench.throughput --bare local`)."""

    local_steps = LOCAL_STEPS

    @workflow.run
    async def run(self, request_id: str) -> str:
        return await super().run(request_id)


async def main() -> None:
    from les.config import Settings  # the worker's LES_WORKFLOW_CACHE, read as worker.py reads it
    from worker import activity_slots  # the product worker's split of its threads (here, not in the sandbox)

    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    client = await Client.connect(args.address)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        async with Worker(client, task_queue=args.task_queue, workflows=[BareCase, BareCaseLocal], activities=[noop],
                          activity_executor=executor, **activity_slots(ACTIVITY_THREADS),
                          max_cached_workflows=Settings.from_env().workflow_cache):
            await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
