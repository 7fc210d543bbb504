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

from domain.case import CaseEvent
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


@dataclass
class Filed:
    """What the histories say the workflow filed: seq → event body (as the ledger writes it),
    for every record_case_event that completed, and the seqs still in flight."""

    bodies: dict[int, str] = field(default_factory=dict)
    pending: set[int] = field(default_factory=set)
    events: list[CaseEvent] = field(default_factory=list)


def filed_events(runs: list[WorkflowHistory]) -> Filed:
    """The record_case_event inputs of decoded histories."""
    filed = Filed()
    for history in runs:
        scheduled: dict[int, CaseEvent] = {}
        completed: set[int] = set()
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attributes = event.activity_task_scheduled_event_attributes
                if attributes.activity_type.name == FILING_ACTIVITY:
                    scheduled[event.event_id] = CaseEvent.model_validate(
                        payload_value(attributes.input.payloads[0]))
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                completed.add(event.activity_task_completed_event_attributes.scheduled_event_id)
        for event_id, case_event in scheduled.items():
            if event_id in completed:
                filed.bodies[case_event.seq] = entry_body(case_event)
                filed.events.append(case_event)
            else:
                filed.pending.add(case_event.seq)
    return filed

