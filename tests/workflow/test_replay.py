"""Recorded histories replay against the current workflow code: a change to a workflow's
command sequence that is not guarded by `workflow.patched` fails here."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from activities.case import CaseActivities
from domain.case import CaseOutcome, RequestSubmission, Resolution
from domain.contracts import CloseInput, OpenCaseInput
from les.temporal import data_converter
from workflows import ALL_WORKFLOWS

HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*.json"))


def test_histories_are_recorded_for_every_scenario():
    names = {path.stem for path in HISTORIES}
    assert {"subpoena_v1_approve", "subpoena_v1_info_then_reject", "subpoena_v1_overdue_then_withdraw",
            "subpoena_v2_civil_notice"} <= names
    recorded_types = {json.loads(path.read_text())["events"][0]["workflowExecutionStartedEventAttributes"]
                      ["workflowType"]["name"] for path in HISTORIES}
    assert recorded_types == {"Subpoena", "CourtOrder", "SearchWarrant", "NationalSecurityLetter", "FisaOrder",
                              "CustomerCallLookup", "Emergency", "Preservation", "PenRegister", "Title3Wiretap",
                              "MediationReconciliation"}
    from workflows import ALL_WORKFLOWS  # every workflow the worker runs has a recorded history
    assert {w.__temporal_workflow_definition.name for w in ALL_WORKFLOWS} <= recorded_types


def outcome(path: Path) -> tuple[str, str | None]:
    """(workflow type, resolution it closed with; None for a run that continued as new)."""
    import base64

    events = json.loads(path.read_text())["events"]
    kind = events[0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"]
    completed = events[-1].get("workflowExecutionCompletedEventAttributes")
    if completed is None:
        return kind, None
    return kind, json.loads(base64.b64decode(completed["result"]["payloads"][0]["data"]))["resolution"]


def test_the_important_paths_are_recorded():
    """Issue 11: approved, rejected, expired, extended, withdrawn, continued-as-new where the type has them."""
    recorded = {outcome(path) for path in HISTORIES}
    for kind in ("Subpoena", "CourtOrder", "SearchWarrant", "NationalSecurityLetter", "FisaOrder"):
        assert {(kind, "delivered"), (kind, "rejected_by_analyst"), (kind, "withdrawn")} <= recorded, kind
    assert {("CustomerCallLookup", "delivered"), ("CustomerCallLookup", "quote_expired"),
            ("CustomerCallLookup", "withdrawn"), ("Emergency", "delivered"), ("Emergency", "withdrawn"),
            ("Preservation", "hold_released"), ("Preservation", "hold_expired"),
            ("PenRegister", "vacated"), ("PenRegister", "expired"), ("PenRegister", "filed_as_extension"),
            ("PenRegister", None), ("PenRegister", "rejected_by_analyst"), ("Title3Wiretap", "vacated"),
            ("Title3Wiretap", "rejected_by_analyst"), ("Title3Wiretap", "expired"),
            ("Title3Wiretap", "filed_as_extension"), ("Preservation", "rejected_by_analyst")} <= recorded


async def test_a_continued_as_new_order_is_recorded_run_by_run_and_replays_as_one_chain(keyring):
    """Every run of the pen register that continued as new is on file, each run continuing the one
    before; the runs replay in one pass (as `audit replay` gives them), each cleanly."""
    runs = sorted((Path(__file__).parents[1] / "histories").glob(
        "pen_register_v2_extended_continued_expires.run-*.json"))
    assert len(runs) >= 2
    events = [json.loads(path.read_text())["events"] for path in runs]
    continued_from = [run[0]["workflowExecutionStartedEventAttributes"].get("continuedExecutionRunId")
                      for run in events]
    new_run = [run[-1].get("workflowExecutionContinuedAsNewEventAttributes", {}).get("newExecutionRunId")
               for run in events]
    assert continued_from[0] is None and new_run[-1] is None and all(new_run[:-1])
    # Each run k (k >= 2) says it continued run k-1, whose id run k-2 named as its new run.
    assert continued_from[2:] == new_run[:-2]
    assert outcome(runs[-1]) == ("PenRegister", "expired")  # extended, then ran out at the extended end
    assert any(e.get("activityTaskScheduledEventAttributes", {}).get("activityType", {}).get("name")
               == "modify_task_end" for e in events[0])  # the extension moved the mediation task's end
    replayer = Replayer(workflows=ALL_WORKFLOWS, data_converter=data_converter(keyring))

    async def in_order():
        for path in runs:
            yield WorkflowHistory.from_json(f"case-chain-{path.stem}", path.read_text())

    results = await replayer.replay_workflows(in_order(), raise_on_replay_failure=False)
    assert results.replay_failures == {}


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_a_recorded_history_replays(path: Path, keyring):
    history = WorkflowHistory.from_json(f"case-{path.stem}", path.read_text())
    replayer = Replayer(workflows=ALL_WORKFLOWS, data_converter=data_converter(keyring))
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None



@workflow.defn(name="Subpoena", sandboxed=False)
class SubpoenaWithoutVerification:
    """A 'Subpoena' whose command sequence differs from v1: it skips verification."""

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        await workflow.execute_activity_method(
            CaseActivities.open_case,
            OpenCaseInput(request_id=submission.request_id, request_type=submission.request_type,
                          workflow_id=workflow.info().workflow_id, document=submission.document),
            start_to_close_timeout=timedelta(seconds=30),
        )
        await workflow.execute_activity_method(
            CaseActivities.close_case,
            CloseInput(request_id=submission.request_id, resolution=Resolution.WITHDRAWN),
            start_to_close_timeout=timedelta(seconds=30),
        )
        return CaseOutcome(request_id=submission.request_id, resolution=Resolution.WITHDRAWN)


async def test_a_changed_command_sequence_fails_replay(keyring):
    """The guard works: a 'Subpoena' that skips verification cannot replay the recorded history."""
    path = next(p for p in HISTORIES if p.stem.endswith("_approve"))
    history = WorkflowHistory.from_json("changed", path.read_text())
    replayer = Replayer(workflows=[SubpoenaWithoutVerification], data_converter=data_converter(keyring))
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None


def upserted(path: Path) -> list[dict[str, object]]:
    """The search attributes a recorded history upserted, in order, decoded."""
    import base64

    events = json.loads(path.read_text())["events"]
    return [{name: json.loads(base64.b64decode(value["data"]))
             for name, value in event["upsertWorkflowSearchAttributesEventAttributes"]
             ["searchAttributes"]["indexedFields"].items()}
            for event in events if "upsertWorkflowSearchAttributesEventAttributes" in event]


def test_the_queue_search_attributes_are_upserted_behind_their_patch():
    """v2 histories carry the `queue-search-attributes` marker and the queues' attributes; a v1
    history has neither, and still replays (above): the new upserts are not in its command sequence."""
    v2 = upserted(Path(__file__).parents[1] / "histories" / "national_security_letter_v2_queue_attributes.json")
    queue = [u for u in v2 if {"LesWaitingFor", "LesSecrecyBinds"} & set(u)]
    assert queue == [{"LesWaitingFor": ["analyst", "legal"], "LesSecrecyBinds": True},  # two cleared approvals
                     {"LesWaitingFor": ["legal"]},  # the analyst approved
                     {"LesWaitingFor": ["none"]}]  # legal approved: production runs
    assert {"TemporalChangeVersion": ["queue-search-attributes"]} in v2
    v1 = upserted(Path(__file__).parents[1] / "histories" / "national_security_letter_v1_cleared.json")
    assert not [u for u in v1 if {"LesWaitingFor", "LesSecrecyBinds", "TemporalChangeVersion"} & set(u)]


def scheduled_queues(name: str) -> dict[str, set[str]]:
    """Each activity type of a recorded history, with the task queues it was scheduled on."""
    queues: dict[str, set[str]] = {}
    for event in json.loads((Path(__file__).parents[1] / "histories" / f"{name}.json").read_text())["events"]:
        scheduled = event.get("activityTaskScheduledEventAttributes")
        if scheduled:
            queues.setdefault(scheduled["activityType"]["name"], set()).add(scheduled["taskQueue"]["name"])
    return queues


def test_bulk_activities_go_to_the_bulk_queue_and_a_withdrawal_cancels_them_behind_their_patches():
    """v3 histories schedule retrieval and packaging on the bulk task queue; a v1 history on the
    main one (and still replays, above). A v3 withdrawal while retrieving cancels the retrievals
    under way and discards the staging instead of packaging."""
    v1, v3 = scheduled_queues("subpoena_v1_approve"), scheduled_queues("subpoena_v3_bulk_queue_approve")
    assert v1["retrieve_records"] == v1["open_case"] and v1["package_production"] == v1["open_case"]
    assert v3["retrieve_records"] == v3["package_production"] == {"les-bulk"} != v3["open_case"]
    withdrawn = scheduled_queues("subpoena_v3_withdraw_while_retrieving")
    assert "discard_production" in withdrawn and "package_production" not in withdrawn
    events = json.loads((Path(__file__).parents[1] / "histories" / "subpoena_v3_withdraw_while_retrieving.json")
                        .read_text())["events"]
    assert any(e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_CANCELED" for e in events)


def test_a_v4_run_upserts_once_per_step_behind_one_marker():
    """v4 histories (PER_STEP_ATTRIBUTES): a subpoena's search attributes leave in 4 upserts
    (the patch's own TemporalChangeVersion; awaiting approval with its due date and queues;
    production under way; closed), not 13; the request type came with the start; the production's
    quick steps are never published; and no earlier patch leaves a marker (each run has one)."""
    from workflows.versions import PER_STEP_ATTRIBUTES
    from workflows.visibility import UNPUBLISHED_STATES

    folder = Path(__file__).parents[1] / "histories"
    assert upserted(folder / "subpoena_v4_approve.json") == [
        {"TemporalChangeVersion": [PER_STEP_ATTRIBUTES]},
        {"LesCaseState": "awaiting_approval", "LesWaitingFor": ["analyst"], "LesSecrecyBinds": False,
         "LesResponseDue": upserted(folder / "subpoena_v4_approve.json")[1]["LesResponseDue"]},
        {"LesCaseState": "retrieving", "LesWaitingFor": ["none"]},
        {"LesCaseState": "closed"},
    ]
    assert len(upserted(folder / "subpoena_v3_bulk_queue_approve.json")) == 13
    started = json.loads((folder / "subpoena_v4_approve.json").read_text())["events"][0]
    assert "LesRequestType" in started["workflowExecutionStartedEventAttributes"]["searchAttributes"]["indexedFields"]
    v4 = sorted(folder.glob("*_v4_*.json"))
    assert len(v4) >= 13
    for path in v4:
        events = json.loads(path.read_text())["events"]
        markers = [e for e in events if "markerRecordedEventAttributes" in e]
        assert len(markers) == 1, path.name
        states = {u["LesCaseState"] for u in upserted(path) if "LesCaseState" in u}
        assert not states & {str(s) for s in UNPUBLISHED_STATES}, path.name
        assert {"TemporalChangeVersion": [PER_STEP_ATTRIBUTES]} in upserted(path), path.name
    overdue = upserted(folder / "subpoena_v4_overdue_then_withdraw.json")
    assert {"LesOverdue": True} in overdue


def test_a_v5_run_runs_its_case_store_steps_as_local_activities_behind_one_marker():
    """v5 histories (LOCAL_CASE_STORE): a subpoena schedules 6 activities (verification, 3
    retrievals, packaging, delivery) and runs the rest of the same steps as v4 locally (open, the
    roster, the filings, bill, close); one patch marker per run, whose TemporalChangeVersion is the
    run's first upsert; the v4 upserts otherwise the same."""
    from console.histories import LOCAL_ACTIVITY_MARKER
    from workflows.versions import LOCAL_CASE_STORE

    folder = Path(__file__).parents[1] / "histories"

    def steps(path: Path) -> tuple[list[str], list[str]]:
        events = json.loads(path.read_text())["events"]
        scheduled = [e["activityTaskScheduledEventAttributes"]["activityType"]["name"] for e in events
                     if "activityTaskScheduledEventAttributes" in e]
        local = [json.loads(base64.b64decode(e["markerRecordedEventAttributes"]["details"]["data"]["payloads"][0]
                                             ["data"]))["activity_type"] for e in events
                 if e.get("markerRecordedEventAttributes", {}).get("markerName") == LOCAL_ACTIVITY_MARKER]
        return scheduled, local

    v4_scheduled, v4_local = steps(folder / "subpoena_v4_approve.json")
    v5_scheduled, v5_local = steps(folder / "subpoena_v5_approve.json")
    assert v4_local == []
    assert v5_scheduled == ["verify_legal_process", "retrieve_records", "retrieve_records", "retrieve_records",
                            "package_production", "deliver_production"]
    assert sorted(v5_scheduled + v5_local) == sorted(v4_scheduled)
    assert set(v5_local) == {"open_case", "record_case_event", "authorize_decision", "bill_request", "close_case"}
    v4_upserts = upserted(folder / "subpoena_v4_approve.json")
    v5_upserts = upserted(folder / "subpoena_v5_approve.json")
    assert v5_upserts[0] == {"TemporalChangeVersion": [LOCAL_CASE_STORE]}
    assert [set(u) for u in v5_upserts[1:]] == [set(u) for u in v4_upserts[1:]]
    v5 = sorted(folder.glob("*_v5_*.json"))
    assert len(v5) >= 16
    for path in v5:
        events = json.loads(path.read_text())["events"]
        patches = [e for e in events if e.get("markerRecordedEventAttributes", {}).get("markerName") == "core_patch"]
        assert len(patches) == 1, path.name
        assert {"TemporalChangeVersion": [LOCAL_CASE_STORE]} in upserted(path), path.name
        assert steps(path)[1], path.name  # each type's case-store steps ran locally


def patch_markers(path: Path) -> list[str]:
    """The patch ids a recorded history's markers name, in order."""
    events = json.loads(path.read_text())["events"]
    return [json.loads(base64.b64decode(
        e["markerRecordedEventAttributes"]["details"]["patch-data"]["payloads"][0]["data"]))["id"]
        for e in events if e.get("markerRecordedEventAttributes", {}).get("markerName") == "core_patch"]


def commands(path: Path) -> list[str]:
    """What a recorded history's run did, as types: activities, local activities, timers, signals sent,
    search attributes upserted (by name, less TemporalChangeVersion), continue-as-new; in order."""
    from console.histories import LOCAL_ACTIVITY_MARKER

    done: list[str] = []
    for e in json.loads(path.read_text())["events"]:
        if "activityTaskScheduledEventAttributes" in e:
            done.append(e["activityTaskScheduledEventAttributes"]["activityType"]["name"])
        elif e.get("markerRecordedEventAttributes", {}).get("markerName") == LOCAL_ACTIVITY_MARKER:
            data = e["markerRecordedEventAttributes"]["details"]["data"]["payloads"][0]["data"]
            done.append("local " + json.loads(base64.b64decode(data))["activity_type"])
        elif "timerStartedEventAttributes" in e:
            done.append("timer")
        elif "upsertWorkflowSearchAttributesEventAttributes" in e:
            names = set(e["upsertWorkflowSearchAttributesEventAttributes"]["searchAttributes"]["indexedFields"])
            if names - {"TemporalChangeVersion"}:
                done.append("upsert " + ",".join(sorted(names - {"TemporalChangeVersion"})))
        elif "workflowExecutionContinuedAsNewEventAttributes" in e:
            done.append("continue as new")
    return done


def test_a_v7_run_waits_for_decisions_behind_one_marker_more_and_the_same_commands():
    """v7 histories (DECISIONS_BEFORE_CLOCKS): the clocks' and the stories' closes take the desk's
    lock; with no decision in flight that adds the patch's marker and nothing else: each v7 path does
    what its v6 (where recorded) did, and every v7 run that closes holds the marker, after v6's two."""
    from workflows.versions import DECISIONS_BEFORE_CLOCKS, LOCAL_CASE_STORE, SEALED_DECISIONS

    folder = Path(__file__).parents[1] / "histories"
    v7 = sorted(folder.glob("*_v7_*.json"))
    assert len(v7) >= 16
    compared = 0
    for path in v7:
        markers = patch_markers(path)
        if outcome(path)[1] is None:  # continued as new: it never reached its end
            assert DECISIONS_BEFORE_CLOCKS not in markers, path.name
            continue
        assert markers[0] == LOCAL_CASE_STORE and markers[-1] == DECISIONS_BEFORE_CLOCKS, path.name
        assert markers.count(DECISIONS_BEFORE_CLOCKS) == 1 and set(markers) <= {
            LOCAL_CASE_STORE, SEALED_DECISIONS, DECISIONS_BEFORE_CLOCKS,
            "x1-ids-per-case"}, path.name
        v6 = folder / path.name.replace("_v7_", "_v6_")
        if v6.exists():
            assert commands(path) == commands(v6), path.name
            # v6's markers before it (their order follows when the decisions came; one v6 file predates sealing)
            assert set(patch_markers(v6)) <= set(markers[:-1]), path.name
            compared += 1
    assert compared >= 4


def test_a_v8_run_makes_one_marker_and_one_version_upsert_and_the_same_commands():
    """v8 histories (SINGLE_MARKER, issue 26): the run's first workflow task writes one marker that
    answers every patch before it, so a new run makes one marker and one TemporalChangeVersion upsert
    where v7 made three of each; every other command is v7's, in v7's order."""
    from workflows.versions import SINGLE_MARKER

    folder = Path(__file__).parents[1] / "histories"
    v8 = sorted(folder.glob("*_v8_*.json"))
    assert len(v8) >= 16
    compared = 0
    for path in v8:
        assert patch_markers(path) == [SINGLE_MARKER], path.name
        versions = [u for u in upserted(path) if "TemporalChangeVersion" in u]
        assert versions == [{"TemporalChangeVersion": [SINGLE_MARKER]}], path.name
        v7 = folder / path.name.replace("_v8_", "_v7_")
        if v7.exists():
            assert commands(path) == commands(v7), path.name
            compared += 1
    assert compared >= 16
    subpoena = upserted(folder / "subpoena_v8_approve.json")
    assert len(subpoena) == 4  # the case's visibility writes: was 6 in v7
    assert len(upserted(folder / "subpoena_v7_approve.json")) == 6
