"""The identifiers a case gives X1, as the standard's text and schema say: an XID and a DID drawn
once per case as UUIDv4 (workflow.uuid4, replay-safe), kept across continue-as-new, the
destination created before the task names it; the LIID within TS 103 280's limits."""

from __future__ import annotations

import uuid
from datetime import timedelta

from domain.collection import liid_for
from mediation.messages import LIID_PATTERN, TaskDetails, X1Message, render
from mediation.schema import schema_errors
from tests.workflow.test_surveillance import instant, sleep_until, start, switched_on, wired  # noqa: F401 - fixture
from tests.workflow_support import finish, status

EXPECTED_LONG = "4a477ff325ede4bedd1b31836a7fd18621c1b79273b545142a"


def test_a_request_id_maps_to_an_liid_within_the_schema() -> None:
    assert liid_for("LES-2026-000103") == "LES-2026-000103"  # 1-25 printable: itself
    assert liid_for("A" * 25) == "A" * 25
    long_one, other = "LES-" + "9" * 60, "LES-" + "9" * 59 + "8"  # 64 characters: SPEC §1's longest
    assert LIID_PATTERN.fullmatch(liid_for(long_one)) and len(liid_for(long_one)) == 50
    assert liid_for(long_one) != liid_for(other)
    # SHA-256 of "LES-" + 60 nines, first 50 hex digits (computed with sha256sum, not by liid_for)
    assert liid_for(long_one) == EXPECTED_LONG
    task = TaskDetails(xid=str(uuid.uuid4()), targets=("+16125550188",), delivery_type="X2Only",
                       liid=liid_for(long_one), destination_ids=(str(uuid.uuid4()),))
    assert schema_errors(render(X1Message(type="ActivateTaskRequest", admf_id="les", ne_id="ne", task=task),
                                response=False)) == []
    too_long = TaskDetails(**{**task.__dict__, "liid": long_one})
    assert any("LIID" in p for p in schema_errors(render(X1Message(type="ActivateTaskRequest", admf_id="les",
                                                                   ne_id="ne", task=too_long), response=False)))


async def test_a_case_draws_its_xid_and_did_once_and_keeps_them_across_continue_as_new(
    time_skipping_env, wired, prepared_store, mediation_simulator  # noqa: F811 - the fixture imported above
):
    env = time_skipping_env
    from tests.workflow_support import running_worker

    async with running_worker(env.client, wired):
        order = await start(env, wired, "pen_register", "TS-X1-IDS", duration=4, continue_after=1)
        on = await switched_on(order)
        held = mediation_simulator.admin.task_for("TS-X1-IDS")
        end = instant(on.deadlines["expires_at"])
        await sleep_until(env, end - timedelta(minutes=5))
        await env.sleep(timedelta(minutes=10))
        await finish(env, order)
        final = await status(order)
        description = await order.describe()

    xid, did = on.collection["xid"], held["destination_ids"][0]
    assert uuid.UUID(xid).version == 4 and uuid.UUID(did).version == 4 and xid != did  # clause 5.1: v4
    assert held["xid"] == xid and held["liid"] == "TS-X1-IDS"
    with mediation_simulator.client() as x1:
        destination = x1.get_destination_details(did)  # created before the task named it
    assert (destination.did, destination.delivery_type) == (did, "X2Only")
    assert description.run_id != order.first_execution_run_id  # continued as new at least once
    assert final.collection["xid"] == xid  # the same task, carried: never a second one
    records = mediation_simulator.admin.task_records("TS-X1-IDS")
    assert [r["xid"] for r in records] == [xid] and records[0]["status"] == "deactivated"
