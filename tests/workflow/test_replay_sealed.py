"""The v6 recorded histories (tests/histories/*_v6_*.json, recorded by tests/record_histories.py through its
SealingRecorderCodec): decisions sealed behind the `sealed-decisions` patch (issue 20). tests/workflow/test_replay.py
replays every recorded history, these included; this checks they hold what makes that replay worth having."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from console.histories import LOCAL_ACTIVITY_MARKER


def local_results(events: list[dict]) -> list[dict]:
    """The result payloads of the run's local activities (the case store's steps), in order."""
    return [p for e in events if e.get("markerRecordedEventAttributes", {}).get("markerName") == LOCAL_ACTIVITY_MARKER
            for p in e["markerRecordedEventAttributes"]["details"].get("result", {}).get("payloads", [])]


def test_a_v6_run_takes_sealed_decisions_behind_its_marker():
    """v6 histories (SEALED_DECISIONS, issue 20): the run asks the patch at its first decision (a second
    marker after LOCAL_CASE_STORE's); every decision a person sent is a sealed envelope for its case, in the
    name of the person who decided; the roster's check is asked with the seal; an unsealed one is refused
    in the workflow's words. `test_a_recorded_history_replays` replays them, so CI walks the sealed path."""
    from workflows.versions import LOCAL_CASE_STORE, SEALED_DECISIONS

    folder = Path(__file__).parents[1] / "histories"
    sealed = ("subpoena_v6_approve", "subpoena_v6_info_then_reject", "national_security_letter_v6_cleared")
    v6 = [folder / f"{name}.json" for name in sealed]  # the other v6 ones record X1 ids (issue 21)
    assert all(p.exists() for p in v6)
    for path in v6:
        events = json.loads(path.read_text())["events"]
        patches = [json.loads(base64.b64decode(e["markerRecordedEventAttributes"]["details"]["patch-data"]
                                               ["payloads"][0]["data"]))["id"]
                   for e in events if e.get("markerRecordedEventAttributes", {}).get("markerName") == "core_patch"]
        assert patches == [LOCAL_CASE_STORE, SEALED_DECISIONS], path.name
        request_id = json.loads(base64.b64decode(events[0]["workflowExecutionStartedEventAttributes"]["input"]
                                                 ["payloads"][0]["data"]))["request_id"]
        sent = []
        for event in events:
            attributes = event.get("workflowExecutionSignaledEventAttributes") or \
                event.get("workflowExecutionUpdateAcceptedEventAttributes", {}).get("acceptedRequest", {}).get("input")
            if attributes:
                payloads = (attributes.get("input") or attributes.get("args"))["payloads"]
                sent += [json.loads(base64.b64decode(p["data"])) for p in payloads]
        sealed = [value for value in sent if set(value) == {"seal", "decision"}]
        assert sealed, path.name
        for value in sealed:
            assert value["seal"]["case"] == value["decision"]["case"] == request_id
            assert value["seal"]["person"] == value["decision"]["actor"]
        local = [json.loads(base64.b64decode(p["data"])) for p in local_results(events) if p.get("data")]
        assert len([r for r in local if isinstance(r, dict) and "seal_refused" in r]) == len(sealed), path.name

    approve = json.loads((folder / "subpoena_v6_approve.json").read_text())["events"]
    signals = [json.loads(base64.b64decode(e["workflowExecutionSignaledEventAttributes"]["input"]["payloads"][0]
                                           ["data"])) for e in approve
               if "workflowExecutionSignaledEventAttributes" in e]
    assert signals == [{"role": "analyst"}]  # sent unsealed: refused, in the workflow's words, as not sealed
    filed = b"".join(base64.b64decode(p.get("data", "")) for p in local_results(approve))
    assert b"the decision is not sealed" in filed
