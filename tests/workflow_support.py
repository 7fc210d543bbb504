"""Helpers for driving request workflows in tests: documents, a worker, waiting for a state."""

from __future__ import annotations

import asyncio
import copy
import json
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle

from domain.case import CaseState, CaseStatus, RequestSubmission
from domain.case_page import static_summary
from les.config import Settings
from les.temporal import start_attributes, workflow_id_for
from tests.conftest import EXAMPLES
from worker import Workers
from workflows import WORKFLOW_FOR_TYPE, SubpoenaWorkflow


def example(name: str, request_id: str, **changes: Any) -> dict[str, Any]:
    """A sample request from examples/ under a fresh request id, with top-level changes.

    Its dates are the example's own (fixed days of 2026); a document given to a workflow goes
    through `dated` first."""
    document = json.loads((EXAMPLES / f"{name}.json").read_text())
    document["request_id"] = request_id
    document.update(changes)
    return document


# When the paper happened: received, signed, entered, due, intercepted, gagged, called back.
# `period` and `targets[].observed_at` name records the store holds on fixed days (the example
# accounts), so they are not moved: a request dated later still asks for the same records.
PAPER_DATES = ("received_at", "legal_process.signed_at", "legal_process.issued_at",
               "legal_process.response_due", "legal_process.first_interception_at",
               "legal_process.nondisclosure_until", "emergency.callback.verified_at")


def dated(document: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A copy of `document` received at `now`: every date of the paper moves by the same amount,
    so the intervals between them (signed a day before receipt, due 20 days after...) are kept.

    Every document a workflow test submits goes through here, with `now` the clock of the server
    it runs on (`await env.get_current_time()`: the time-skipping server's own clock, the real
    time on the dev server), so no clock of the examples can fall due during a test."""
    if now.tzinfo is None:
        raise ValueError("dated() needs an aware `now`")
    moved = copy.deepcopy(document)
    shift = now - datetime.fromisoformat(document["received_at"])
    for path in PAPER_DATES:
        *parents, leaf = path.split(".")
        holder = moved
        for key in parents:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and isinstance(holder.get(leaf), str):
            holder[leaf] = (datetime.fromisoformat(holder[leaf]) + shift).isoformat()
    return moved


def iso(moment: datetime) -> str:
    return moment.isoformat()


@asynccontextmanager
async def running_worker(client: Client, settings: Settings):
    """The workers `worker.py` runs (its failure converter included), in this process: the main
    worker and the bulk task queue's worker (retrieval, packaging, collection)."""
    async with Workers(client, settings, threads=8) as worker:
        yield worker


async def submit(client: Client, settings: Settings, document: dict[str, Any]) -> WorkflowHandle:
    return await client.start_workflow(
        WORKFLOW_FOR_TYPE[document["type"]].run,
        RequestSubmission(request_id=document["request_id"], request_type=document["type"], document=document),
        id=workflow_id_for(document["request_id"]),
        task_queue=settings.task_queue,
        static_summary=static_summary(document),  # as `starter.py submit` starts it
        search_attributes=start_attributes(document["type"]),
    )


async def status(handle: WorkflowHandle) -> CaseStatus:
    return await handle.query(SubpoenaWorkflow.status)


async def wait_for_state(handle: WorkflowHandle, state: CaseState, seconds: float = 30) -> CaseStatus:
    """Poll the status query until the case reaches `state` (real seconds, no time skipped)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        current = await status(handle)
        if current.state is state:
            return current
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"case stayed {current.state}, expected {state}: {current.history}")
        await asyncio.sleep(0.1)


def decision(actor: str = "jdoe", role: str = "analyst", **fields: Any) -> dict[str, Any]:
    return {"actor": actor, "role": role, "note": "test", **fields}


def days(n: float) -> timedelta:
    return timedelta(days=n)


async def finish(env, handle: WorkflowHandle):
    """The workflow's result, waited for in real time: a test about decisions must not have the
    time-skipping server jump to the response clock's timers while an activity is in flight."""
    with env.auto_time_skipping_disabled():
        return await handle.result()
