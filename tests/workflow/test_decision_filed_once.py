"""A decision is filed once, even when a clock closes the case while it is being filed
(workflows/versions.py DECISIONS_BEFORE_CLOCKS): the clock waits for the decision, which takes
effect first. Before the patch the decision was filed accepted, then refused "closed meanwhile".

The race, on the time-skipping server: the fee quote of a customer lookup lapses while the
analyst's `customer_accepts_fee` is being filed. The filing is made slow (TEST-ONLY THROTTLE
below) and the workflow task timeout short, so the worker hands the lapse's timer to the run
while the filing's local activity still runs."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from datetime import datetime, timedelta

import pytest

import activities.case as case_activities
from domain.case import CaseState, DecisionReceipt, RequestSubmission, Resolution
from les.temporal import start_attributes, workflow_id_for
from tests.workflow_support import dated, decision, example, finish, running_worker, status
from workflows import CustomerCallLookup
from workflows.versions import DECISIONS_BEFORE_CLOCKS, Versions

SLOW_FILING_SECONDS = 4.0
"""TEST-ONLY THROTTLE: the decision's filing in the case store takes this long (real seconds), so the
quote lapses (1 s of server time after the decision is sent) while it is being filed."""


@pytest.fixture
def slow_next_filing(monkeypatch):
    """Arm it (`armed.set()`): the next case-store write waits SLOW_FILING_SECONDS, then it disarms."""
    armed = threading.Event()  # set by the test, read by the activity's thread
    real = case_activities._storable

    def storable(request_id: str) -> bool:
        if armed.is_set():
            armed.clear()
            time.sleep(SLOW_FILING_SECONDS)
        return real(request_id)

    monkeypatch.setattr(case_activities, "_storable", storable)
    return armed


def without_the_patch(monkeypatch) -> None:
    """The run as one started before DECISIONS_BEFORE_CLOCKS: the clocks close without the desk's lock.
    (Works on the unsandboxed worker only, where the workflow sees this module's `Versions`.)"""
    real = Versions.has
    monkeypatch.setattr(Versions, "has", lambda self, patch: patch != DECISIONS_BEFORE_CLOCKS and real(self, patch))


@pytest.mark.parametrize("patched", [True, False], ids=["with-the-patch", "before-the-patch"])
async def test_a_quote_lapsing_while_its_acceptance_is_filed_waits_for_it(
    time_skipping_env, settings, prepared_store, slow_next_filing, monkeypatch, patched
):
    env = time_skipping_env
    settings = dataclasses.replace(settings, workflow_sandbox="off")  # both variants run alike
    if not patched:
        without_the_patch(monkeypatch)
    document = dated(example("customer_call_lookup", "TS-CL-RACE"), await env.get_current_time())
    async with running_worker(env.client, settings):
        handle = await env.client.start_workflow(
            CustomerCallLookup.run,
            RequestSubmission(request_id=document["request_id"], request_type=document["type"], document=document),
            id=workflow_id_for(document["request_id"]), task_queue=settings.task_queue,
            search_attributes=start_attributes(document["type"]),
            task_timeout=timedelta(seconds=1),  # a long local activity hands the timer over after 0.8 s
        )
        quoted = await wait_for_quote(handle)
        expires = datetime.fromisoformat(str(quoted.deadlines["fee_quote_expires_at"]).replace("Z", "+00:00"))
        await env.sleep(expires - await env.get_current_time() - timedelta(seconds=1))
        slow_next_filing.set()
        receipt = await handle.execute_update(
            "customer_accepts_fee_sync", decision(quote_id=quoted.details["fee_quote"]["quote_id"]),
            result_type=DecisionReceipt)
        outcome = await finish(env, handle)
        final = await status(handle)

    filings = [e for e in final.history if e.name == "customer_accepts_fee"]
    assert await env.get_current_time() > expires  # the quote's clock did run out meanwhile
    if patched:  # the acceptance came before the lapse: it stands, filed once, and the search runs
        assert [(e.accepted, e.reason) for e in filings] == [(True, "")]
        assert receipt.accepted and outcome.resolution is Resolution.DELIVERED
    else:  # what this patch ends: accepted on file, then refused on file, and the quote lapsed
        assert [e.accepted for e in filings] == [True, False]
        assert "closed" in filings[1].reason
        assert not receipt.accepted and outcome.resolution is Resolution.QUOTE_EXPIRED


async def wait_for_quote(handle):
    for _ in range(300):
        current = await status(handle)
        if current.state is CaseState.AWAITING_FEE_ACCEPTANCE and "fee_quote" in current.details:
            return current
        await asyncio.sleep(0.1)
    raise AssertionError(f"no fee quote shown: {current}")
