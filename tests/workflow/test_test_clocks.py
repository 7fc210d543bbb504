"""The tests' own clocks: documents are dated on the server's clock (`dated`), and a server whose
clock runs a year ahead really does make the examples' own dates fall due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.case import CaseState
from tests.workflow_support import dated, example, running_worker, status, submit, wait_for_state
from workflows import SubpoenaWorkflow


def test_dated_moves_every_date_of_the_paper_by_the_same_amount():
    # examples/subpoena.json: received 2026-11-20T14:05Z, signed and issued 2026-11-19T10:00-07:00
    # (21 h 05 min earlier), due 2026-12-10T17:00-07:00 (20 days 9 h 55 min later).
    document = dated(example("subpoena", "DATED-1"), datetime(2030, 1, 1, tzinfo=UTC))
    process = document["legal_process"]

    assert document["received_at"] == "2030-01-01T00:00:00+00:00"
    assert process["signed_at"] == "2029-12-30T19:55:00-07:00"
    assert process["issued_at"] == "2029-12-30T19:55:00-07:00"
    assert process["response_due"] == "2030-01-21T02:55:00-07:00"
    # the records sought stay where the store holds them
    assert document["period"] == {"start": "2026-06-01T00:00:00Z", "end": "2026-08-31T23:59:59Z"}
    assert example("subpoena", "DATED-1")["received_at"] == "2026-11-20T14:05:00Z"  # examples/ untouched


def test_dated_moves_the_dates_of_other_request_types():
    # examples/title3_wiretap.json: received 2026-11-23T08:00Z, issued 2026-11-22T15:00-06:00
    # (11 h earlier), nondisclosure until 2027-05-22T00:00-06:00 (179 days 22 h later).
    title3 = dated(example("title3_wiretap", "DATED-2"), datetime(2031, 3, 1, 12, 0, tzinfo=UTC))
    assert title3["received_at"] == "2031-03-01T12:00:00+00:00"
    assert title3["legal_process"]["issued_at"] == "2031-02-28T19:00:00-06:00"
    assert title3["legal_process"]["nondisclosure_until"] == "2031-08-28T04:00:00-06:00"

    # examples/emergency.json, received 2026-11-25T03:12Z, with a callback made 8 minutes later
    emergency = example("emergency", "DATED-3")
    emergency["emergency"]["callback"]["verified_at"] = "2026-11-25T03:20:00Z"
    moved = dated(emergency, datetime(2031, 3, 1, 12, 0, tzinfo=UTC))
    assert moved["emergency"]["callback"]["verified_at"] == "2031-03-01T12:08:00+00:00"


def test_dated_refuses_a_naive_now():
    with pytest.raises(ValueError, match="aware `now`"):
        dated(example("subpoena", "DATED-4"), datetime(2030, 1, 1))


@pytest.mark.parametrize("time_skipping_env", [timedelta(days=365)], ids=["a-year-ahead"], indirect=True)
async def test_a_year_ahead_the_examples_own_dates_have_passed_and_dated_ones_have_not(
    time_skipping_env, settings, prepared_store
):
    """Without `dated`, a test run a year from now would see the reminder and the overdue
    escalation fire at once; this is what the a-year-ahead runs of the workflow tests guard."""
    env = time_skipping_env
    now = await env.get_current_time()
    assert now > datetime(2027, 11, 1, tzinfo=UTC)  # the fixture moved the server's clock a year
    async with running_worker(env.client, settings):
        stale = await submit(env.client, settings, example("subpoena", f"CLOCK-STALE-{now:%Y%m%d}"))
        fresh = await submit(env.client, settings, dated(example("subpoena", f"CLOCK-FRESH-{now:%Y%m%d}"), now))
        await wait_for_state(stale, CaseState.AWAITING_APPROVAL)
        await wait_for_state(fresh, CaseState.AWAITING_APPROVAL)
        for _ in range(100):
            stale_status = await status(stale)
            if stale_status.overdue:
                break
            await __import__("asyncio").sleep(0.1)
        fresh_status = await status(fresh)
        for handle in (stale, fresh):
            await handle.signal(SubpoenaWorkflow.withdraw, {"actor": "jdoe", "role": "analyst", "note": "test"})
            with env.auto_time_skipping_disabled():
                await handle.result()

    assert stale_status.reminded and stale_status.overdue
    assert not fresh_status.reminded and not fresh_status.overdue
