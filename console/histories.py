"""Reading a request's workflow histories for an auditor: every run, oldest first, decoded
through the project's codec, and what the workflow filed in its case history."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import PayloadCodec

from domain.contracts import CaseEvent
from domain.ledger import entry_body

FILING_ACTIVITY = "record_case_event"
PAYLOAD_TYPE = Payload.DESCRIPTOR.full_name


async def every_run(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """The workflow's runs, first to latest: from the latest run back along each run's
    `continued_execution_run_id` (no visibility query, so nothing is missed while it catches up)."""
    runs: list[WorkflowHistory] = []
    run_id: str | None = None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs.append(history)
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id or None
        if run_id is None:
            return list(reversed(runs))


async def decoded(history: WorkflowHistory, codec: PayloadCodec | None) -> WorkflowHistory:
    """A copy of the history with every payload decrypted (readable by the Temporal CLI and SDK
    with the plain pydantic converter); PayloadUndecryptable when a key is missing."""
    events = []
    for event in history.events:
        copy = type(event)()
        copy.CopyFrom(event)
        if codec is not None:
            await _decode_payloads(copy, codec)
        events.append(copy)
    return WorkflowHistory(history.workflow_id, events)


async def _decode_payloads(message: Message, codec: PayloadCodec) -> None:
    for descriptor, value in message.ListFields():
        if descriptor.type != descriptor.TYPE_MESSAGE:
            continue
        kind = descriptor.message_type
        if kind.GetOptions().map_entry:
            value_kind = kind.fields_by_name["value"].message_type
            if value_kind is None:
                continue
            for key in list(value):
                await _decode_one(value[key], codec, value_kind.full_name == PAYLOAD_TYPE)
        elif descriptor.is_repeated:
            for item in value:
                await _decode_one(item, codec, kind.full_name == PAYLOAD_TYPE)
        else:
            await _decode_one(value, codec, kind.full_name == PAYLOAD_TYPE)


async def _decode_one(message: Message, codec: PayloadCodec, is_payload: bool) -> None:
    if is_payload:
        message.CopyFrom((await codec.decode([message]))[0])  # type: ignore[list-item]
    else:
        await _decode_payloads(message, codec)


def payload_value(payload: Payload) -> Any:
    """A decoded JSON payload as Python data (None for anything else)."""
    if payload.metadata.get("encoding") != b"json/plain":
        return None
    return json.loads(payload.data)


LOCAL_ACTIVITY_MARKER = "core_local_activity"
"""The marker a local activity leaves in the history: its type in `data`, its answer in `result`."""
PATCH_MARKER = "core_patch"
LOCAL_FILING_PATCH = "case-store-local-activities"
"""workflows/versions.py LOCAL_CASE_STORE: a run so patched files its case events as local activities."""
_CLOSINGS = frozenset({
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
})


class FilingReader:
    """Reads one run's events in order and says which settle a record_case_event: an activity's
    scheduling (what it was asked to file) and completion, or a local activity's marker, which
    holds the event as filed (record_case_event answers with it)."""

    def __init__(self) -> None:
        self._scheduled: dict[int, CaseEvent] = {}
        self.local = False
        """Whether the run files as local activities (its LOCAL_FILING_PATCH marker was read)."""

    def read(self, event: Any) -> tuple[str, CaseEvent] | None:
        """("scheduled", event) or ("filed", event) for a filing, else None."""
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            if attributes.activity_type.name != FILING_ACTIVITY:
                return None
            case_event = CaseEvent.model_validate(payload_value(attributes.input.payloads[0]))
            self._scheduled[event.event_id] = case_event
            return "scheduled", case_event
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            case_event = self._scheduled.pop(event.activity_task_completed_event_attributes.scheduled_event_id, None)
            return None if case_event is None else ("filed", case_event)
        if kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            return self._marker(event.marker_recorded_event_attributes)
        return None

    def _marker(self, attributes: Any) -> tuple[str, CaseEvent] | None:
        details = attributes.details
        if attributes.marker_name == PATCH_MARKER and "patch-data" in details:
            patch = payload_value(details["patch-data"].payloads[0]) or {}
            self.local = self.local or patch.get("id") == LOCAL_FILING_PATCH
            return None
        if attributes.marker_name != LOCAL_ACTIVITY_MARKER or attributes.HasField("failure"):
            return None
        data = payload_value(details["data"].payloads[0]) if "data" in details else None
        if not data or data.get("activity_type") != FILING_ACTIVITY or "result" not in details:
            return None
        answer = payload_value(details["result"].payloads[0])
        return None if answer is None else ("filed", CaseEvent.model_validate(answer))

    @property
    def pending(self) -> list[CaseEvent]:
        """Filings scheduled as activities and not completed."""
        return list(self._scheduled.values())


@dataclass
class Filed:
    """What the histories say the workflow filed: seq → event body (as the ledger writes it),
    for every record_case_event that completed, and the seqs still in flight."""

    bodies: dict[int, str] = field(default_factory=dict)
    pending: set[int] = field(default_factory=set)
    events: list[CaseEvent] = field(default_factory=list)
    open_after: int | None = None
    """Set when the latest run is still open and files as local activities: a local activity's
    marker is written only when its workflow task completes, so an entry after the last seq the
    history holds may be one in flight. None when every filing is in the history."""

    def pending_for(self, seqs: Any) -> set[int]:
        """The seqs in flight, given the ledger's seqs: those scheduled and not done, and for an
        open run filing as local activities those after the last it filed."""
        later = set() if self.open_after is None else {seq for seq in seqs if seq > self.open_after}
        return self.pending | later


def filed_events(runs: list[WorkflowHistory]) -> Filed:
    """The record_case_event filings of decoded histories."""
    filed = Filed()
    latest_local = False
    for history in runs:
        reader = FilingReader()
        for event in history.events:
            read = reader.read(event)
            if read is not None and read[0] == "filed":
                filed.bodies[read[1].seq] = entry_body(read[1])
                filed.events.append(read[1])
        filed.pending.update(case_event.seq for case_event in reader.pending)
        latest_local = reader.local
    if latest_local and runs[-1].events and runs[-1].events[-1].event_type not in _CLOSINGS:
        filed.open_after = max(filed.bodies, default=0)
    return filed
