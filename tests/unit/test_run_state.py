"""The run's one model (workflows/run_state.py) through continue-as-new: the carry runs wrote before
it (`CollectionCarry`, taken from recorded histories exactly as the old code wrote it) and its own."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

from domain.case_machine import Case
from domain.collection import task_xid
from domain.surveillance import CollectionState
from workflows.run_state import CollectionRun, RunState

HISTORIES = Path(__file__).resolve().parents[1] / "histories"


def carried_by(history: str) -> dict:
    """The `carried` dict a recorded run started with (its continue-as-new input)."""
    first = json.loads((HISTORIES / history).read_text())["events"][0]
    started = first["workflowExecutionStartedEventAttributes"]
    return json.loads(base64.b64decode(started["input"]["payloads"][0]["data"]))["carried"]


def test_a_carry_from_before_x1_ids_loads_with_the_xid_derived_from_the_request() -> None:
    old = carried_by("pen_register_v2_extended_continued_expires.run-02.json")
    assert "xid" not in old and old["collection"] == "active"  # the old layout, flat, no task ids

    run = RunState.carried(old)

    assert run.case.request_id == old["case"]["request_id"] and run.case.extensions == old["case"]["extensions"]
    assert run.check is not None and [str(c) for c in run.check.permitted] == ["pen_trap"]
    assert run.collection.state is CollectionState.ACTIVE
    assert run.collection.next_production == old["next_production"]
    assert run.collection.certification_id == old["certification_id"]
    assert run.collection.xid == task_xid(old["case"]["request_id"]) and run.collection.did is None
    assert [p.path for p in run.productions] == [p["path"] for p in old["productions"]]


def test_a_carry_with_x1_ids_keeps_them() -> None:
    old = carried_by("pen_register_v6_extended_continued_expires.run-02.json")

    run = RunState.carried(old)

    assert (run.collection.xid, run.collection.did) == (old["xid"], old["did"])
    assert run.collection.activated_at == datetime.fromisoformat(old["activated_at"].replace("Z", "+00:00"))
    assert run.collection.delivered_until is not None and run.collection.deactivated_at is None


def test_its_own_carry_comes_back_whole() -> None:
    old = RunState.carried(carried_by("pen_register_v6_extended_continued_expires.run-03.json"))
    run = old.model_copy(update={"reminded": True, "filed_closed": False,
                                 "collection": old.collection.model_copy(update={"escalated": True})})

    again = RunState.carried(json.loads(json.dumps(run.carry())))

    assert again == run
    assert isinstance(run.carry()["collection"], dict)  # told apart from the old layout by this


def test_a_fresh_run_starts_empty() -> None:
    run = RunState(case=Case(request_id="R-1", request_type="subpoena"))

    assert run.check is None and run.productions == [] and run.invoice is None
    assert not (run.reminded or run.overdue or run.filed_closed)
    assert run.collection == CollectionRun() and run.collection.next_production == 1


def test_moments_keep_their_zone() -> None:
    run = RunState(case=Case(request_id="R-1", request_type="pen_register"),
                   collection=CollectionRun(activated_at=datetime(2027, 1, 1, tzinfo=UTC)))
    assert RunState.carried(run.carry()).collection.activated_at == datetime(2027, 1, 1, tzinfo=UTC)
