"""The desk's words: a refusal reaches the person as its message alone, a fault as words (its
trace in the worker's log). On the time-skipping server with the worker `worker.py` builds; the
case's page, a pure function, is tested in tests/unit/test_case_page.py."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.case import CaseState
from domain.case_machine import Case
from tests.workflow_support import dated, example, running_worker, submit, wait_for_state

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


async def refusal(handle, update: str, payload: dict) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update, payload)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_a_refused_decision_reaches_the_person_without_a_trace(time_skipping_env, settings, prepared_store):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await submit(env.client, settings, dated(example("subpoena", "DESK-1"), await env.get_current_time()))
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
        by_roster = await refusal(handle, "approve_sync", {"actor": "bwilson", "role": "analyst"})
        by_validator = await refusal(handle, "approve_sync", {"actor": "mlee", "role": "supervisor"})
        await handle.execute_update("withdraw_sync", {"actor": "jdoe", "role": "analyst", "note": "test over"})

    assert (by_roster.type, by_roster.message) == ("DecisionRefused", "bwilson is no longer active on the roster")
    assert (by_validator.type, by_validator.message) == (
        "DecisionRefused", "role supervisor may not approve (allowed: analyst)")
    for cause in (by_roster, by_validator):
        assert cause.failure.stack_trace == "" and not cause.failure.HasField("cause")


async def test_a_fault_while_checking_a_decision_is_told_in_words_and_logged_with_its_trace(
    time_skipping_env, settings, prepared_store, monkeypatch, caplog
):
    def broken(self, decision):
        raise RuntimeError("the check broke in /srv/les/domain/case_machine.py")

    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await submit(env.client, settings, dated(example("subpoena", "DESK-2"), await env.get_current_time()))
        await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
        monkeypatch.setattr(Case, "precheck", broken)
        with caplog.at_level(logging.ERROR):
            fault = await refusal(handle, "approve_sync", {"actor": "jdoe", "role": "analyst"})
        monkeypatch.undo()
        await handle.execute_update("withdraw_sync", {"actor": "jdoe", "role": "analyst", "note": "test over"})

    assert fault.type == "DecisionFault"
    assert fault.message == ("approve could not be checked because of a fault in the system, not in the decision; "
                             "the fault is in the worker's log for the operators. Try again later or ask a supervisor.")
    assert fault.failure.stack_trace == "" and not fault.failure.HasField("cause")
    logged = [r for r in caplog.records if r.getMessage().startswith("fault in the approve decision")]
    assert logged, [r.getMessage() for r in caplog.records] and isinstance(logged[0].exc_info[1], RuntimeError)
    assert "case_machine.py" in str(logged[0].exc_info[1])
