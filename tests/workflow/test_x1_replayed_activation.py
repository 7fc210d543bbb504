"""A replayed or retried activation must never switch collection on again once the case switched it off.

TS 103 221-1's far end forgets a task once it is deactivated (the simulator does, mediation/store.py):
a later ActivateTask for the same XID is accepted and provisions the task afresh. So the ADMF, LES,
must remember what it switched off. Where LES remembers it:

- the workflow (workflows/surveillance.py): `ActivateTask` has one call site, `_switch_on`, which
  runs once per case before the collection loop, and returns at once when the case carries its
  switch-off instant (`RunState.collection.deactivated_at`, carried across continue-as-new with the
  rest of the run's state). Temporal stops retrying an activity once it completed, so the workflow itself
  never schedules an activation after `deactivate_task`. The first test proves that, against the real
  simulator process over mutual TLS, from the run's own history.
- the activity (activities/mediation.py `MediationActivities.activate_task`): an attempt still running
  after the case switched the task off (one the server timed out goes on in its worker thread, never
  told: activate_task does not heartbeat) asks the case's 47 CFR 1.20004 record first and is refused
  (`InterceptionSwitchedOff`) once that record has ended; one that raced the switch-off reads the record
  again after its ActivateTask and switches the task off again at once. The second test runs such an
  attempt after the switch-off, through the real activity against the real simulator: without the
  guard the simulator provisions the forgotten XID again (the test failed so before the guard).

How the first test was checked to bite (each mutation of workflows/surveillance.py made by hand,
run, and reverted): removing `_switch_on`'s `if self._deactivated_at is not None: return` alone, it
still passes, because `_switch_on` is never re-entered after a switch-off (the check is defence in
depth, unreachable today); adding `await self._switch_on()` after `_switch_off()` in `_story`, it still
passes (the check returns at once); both together, it fails (the case's collection is `active` again,
a second activate_task in the history, the simulator's task provisioned again)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.mediation import MediationActivities
from domain.case import Resolution
from domain.contracts import ActivateTaskInput
from tests.workflow.test_surveillance import decide, start, switched_on, wired  # noqa: F401 - fixture
from tests.workflow_support import finish, running_worker, status

REQUEST = "TS-X1-REPLAY"
RETRIED = "TS-X1-RETRIED"
"""Each test its own request: the session's store keeps one interception record per request."""


async def withdrawn_case(env, settings, mediation_simulator, request_id: str):
    """A pen register approved, collecting, then its order vacated: the run's handle, its final status
    and the ActivateTask input it sent (decoded from its own history, exactly as a retry would resend it)."""
    async with running_worker(env.client, settings):
        handle = await start(env, settings, "pen_register", request_id)
        on = await switched_on(handle)
        assert on.collection["state"] == "active"
        assert mediation_simulator.admin.task_for(request_id)["status"] == "provisioned"
        await env.sleep(timedelta(hours=2))
        await decide(handle, "withdraw", note="order vacated by the court")
        outcome = await finish(env, handle)
        final = await status(handle)
    assert outcome.resolution is Resolution.VACATED
    assert final.collection["state"] == "off"
    history = await handle.fetch_history()
    scheduled = [(e.event_id, e.activity_task_scheduled_event_attributes) for e in history.events
                 if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    activations = [(i, a) for i, a in scheduled if a.activity_type.name == "activate_task"]
    deactivations = [i for i, a in scheduled if a.activity_type.name == "deactivate_task"]
    sent = await env.client.data_converter.decode(activations[0][1].input.payloads, [ActivateTaskInput])
    return handle, final, [i for i, _ in activations], deactivations, sent[0]


async def test_a_vacated_pen_register_is_activated_once_and_never_again_at_the_far_end(
    time_skipping_env, wired, prepared_store, mediation_simulator  # noqa: F811 - the fixture imported above
):
    env = time_skipping_env
    _, final, activations, deactivations, sent = await withdrawn_case(env, wired, mediation_simulator, REQUEST)
    xid = final.collection["xid"]

    # The workflow asked for the task once, before it switched it off, and never after.
    assert len(activations) == 1 and len(deactivations) == 1, (activations, deactivations)
    assert activations[0] < deactivations[0]
    assert sent.xid == xid
    # The simulator's own store: one task for the case, off, its one activation the original one.
    records = mediation_simulator.admin.task_records(REQUEST)
    assert [(r["xid"], r["status"]) for r in records] == [(xid, "deactivated")]
    assert records[0]["deactivated_at"] is not None and records[0]["modified_at"] is None
    # And over X1 (ListAllDetails, GetTaskDetails) the far end holds no task for it: nothing collects.
    with mediation_simulator.client() as x1:
        assert xid not in x1.list_all_details().xids
    assert mediation_simulator.admin.task_record(xid)["status"] == "deactivated"


async def test_an_activation_attempt_run_after_the_switch_off_does_not_switch_collection_on_again(
    time_skipping_env, wired, prepared_store, mediation_simulator  # noqa: F811 - the fixture imported above
):
    env = time_skipping_env
    _, final, _, _, sent = await withdrawn_case(env, wired, mediation_simulator, RETRIED)
    xid = final.collection["xid"]
    switched_off = mediation_simulator.admin.task_record(xid)
    assert switched_off["status"] == "deactivated"

    # The same input, resent by the real activity as a later attempt of the same activity would be
    # (attempt 2, its X1 messageTimestamp the original one), after the workflow's deactivate_task.
    retried = ActivityEnvironment()
    retried.info = replace(retried.info, activity_type="activate_task", attempt=2)
    refused = None
    try:
        retried.run(MediationActivities(wired).activate_task, sent)
    except ApplicationError as err:
        refused = err

    after = mediation_simulator.admin.task_record(xid)
    with mediation_simulator.client() as x1:
        held = x1.list_all_details().xids
    # What the design must give: refused in words, or a no-op; either way the far end still holds
    # nothing for the case and its record is the switch-off's, unchanged.
    assert refused is not None and refused.type == "InterceptionSwitchedOff", refused
    assert "a task switched off is never switched on again" in str(refused)
    assert xid not in held, f"collection for {RETRIED} is on again at the far end: {after}"
    assert after == switched_off
