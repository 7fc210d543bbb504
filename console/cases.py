"""`status` and the decisions: a running request's state read through its `status` query (as the
person signed in may read it), and the person's decisions sent to it. The text is domain/case_page.py's."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from temporalio.client import (
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from console.errors import CommandError, Exit
from console.person import codec_for, signed_in
from console.requests import RPC_TIMEOUT, connect_as_person, rpc_error
from domain.case import CaseStatus, DecisionReceipt
from domain.case_page import restricted_text, status_text
from domain.production import utc_text
from domain.vocabulary import DecisionName
from les.codec import NATIONAL_SECURITY_WORKFLOW_TYPES
from les.config import Settings
from les.temporal import CASE_STATE, OVERDUE, REQUEST_TYPE, RESPONSE_DUE, connect, workflow_id_for


async def open_case(client, settings: Settings, request_id: str):
    """The case's handle and its workflow description (type, search attributes: no payload)."""
    handle = client.get_workflow_handle(workflow_id_for(request_id))
    try:
        description = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as err:
        raise rpc_error(err, settings, request_id) from None
    return handle, description


async def run_status(settings: Settings, request_id: str, *, as_json: bool) -> int:
    person = signed_in(settings)
    client = await connect(settings, codec=codec_for(settings, person))
    handle, description = await open_case(client, settings, request_id)
    try:
        status = await handle.query("status", result_type=CaseStatus, rpc_timeout=RPC_TIMEOUT)
    except (KeyError, RuntimeError) as err:  # the SDK's "Unknown payload encoding binary/encrypted"
        if "encoding" not in str(err):
            raise
        if description.workflow_type not in NATIONAL_SECURITY_WORKFLOW_TYPES:
            raise CommandError(f"{request_id}: the case's status came back under a key the codec servers would not "
                               f"open for {person.subject}; ask a supervisor to check the case", Exit.REFUSED) from None
        # The cleared codec server would not open it for this person: the contents stay withheld.
        return print_restricted(request_id, description, person.subject, as_json=as_json)
    except WorkflowQueryFailedError as err:
        raise CommandError(f"{request_id}: the status query failed: {err}", Exit.REFUSED) from None
    except RPCError as err:
        if err.status == RPCStatusCode.DEADLINE_EXCEEDED or "timeout" in err.message.lower():
            raise CommandError(
                f"{request_id}: no worker answered the status query; is `python worker.py` "
                "(or `python3 stack.py up`) running?",
                Exit.UNAVAILABLE,
            ) from None
        raise rpc_error(err, settings, request_id) from None
    progress = await activity_progress(client, description)
    if as_json:
        print(json.dumps({**json.loads(status.model_dump_json()), "progress": progress}, indent=2))
    else:
        print(status_text(status, progress))
    return Exit.OK


async def activity_progress(client, description) -> list[dict[str, Any]]:
    """What each running activity of the case reported in its last heartbeat (rows done so far):
    the pending activities of the workflow's description, their heartbeat details decoded through
    the client's converter (so the codec's keys). Activities that never heartbeat are left out."""
    raw = getattr(description, "raw_description", None)
    now = datetime.now(UTC)
    progress: list[dict[str, Any]] = []
    for pending in getattr(raw, "pending_activities", None) or []:
        details: dict[str, Any] = {}
        if pending.heartbeat_details.payloads:
            try:
                decoded = await client.data_converter.decode(list(pending.heartbeat_details.payloads))
                details = decoded[0] if decoded and isinstance(decoded[0], dict) else {}
            except Exception:  # a key this client does not hold: the progress is left unsaid
                details = {}
        if not details and not pending.HasField("last_heartbeat_time"):
            continue
        beat = pending.last_heartbeat_time.ToDatetime(UTC) if pending.HasField("last_heartbeat_time") else None
        progress.append({
            "activity": pending.activity_type.name,
            "step": details.get("step") or pending.activity_type.name,
            "rows": details.get("rows"),
            "bytes": details.get("bytes"),
            "files": details.get("files"),
            "of": details.get("of"),
            "attempt": pending.attempt,
            "last_heartbeat": beat.isoformat() if beat else None,
            "seconds_since_heartbeat": round((now - beat).total_seconds(), 1) if beat else None,
        })
    return progress


def print_restricted(request_id: str, description, person: str, *, as_json: bool) -> int:
    """What anyone may see of a national security case: that it exists, its state, its deadlines
    (the search attributes), and nothing of its contents."""
    attributes = description.typed_search_attributes
    due = attributes.get(RESPONSE_DUE)
    shown = {
        "request_id": request_id,
        "request_type": attributes.get(REQUEST_TYPE),
        "state": attributes.get(CASE_STATE) or ("closed" if description.close_time else "open"),
        "deadlines": {"response_due": utc_text(due)} if due else {},
        "overdue": bool(attributes.get(OVERDUE)),
        "restricted": True,
    }
    if as_json:
        print(json.dumps(shown, indent=2))
    else:
        print(restricted_text(shown["request_type"], request_id, shown["state"], overdue=shown["overdue"], due=due,
                              person=person))
    return Exit.OK


def decision_payload(args: argparse.Namespace) -> dict[str, Any]:
    """The decision's JSON: the case, the role, the note and each --set FIELD=VALUE."""
    payload: dict[str, Any] = {"case": args.request_id, "role": args.role, "note": args.note}
    for item in args.set:
        field, sep, value = item.partition("=")
        if not sep or not field:
            raise CommandError(f"--set expects FIELD=VALUE, got {item!r}", Exit.BAD_INPUT)
        payload[field] = value
    return payload


async def run_decision(settings: Settings, args: argparse.Namespace) -> int:
    decision: DecisionName = args.decision
    payload = decision_payload(args)
    client = await connect_as_person(settings)
    handle, _ = await open_case(client, settings, args.request_id)
    try:
        if args.signal:
            await handle.signal(str(decision), payload, rpc_timeout=RPC_TIMEOUT)
            print(f"{decision} sent to {args.request_id} (signal; see `starter.py status`)")
            return Exit.OK
        receipt = await handle.execute_update(
            f"{decision}_sync", payload, result_type=DecisionReceipt, rpc_timeout=RPC_TIMEOUT
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause.message if getattr(err.cause, "message", None) else str(err.cause)
        raise CommandError(f"{args.request_id}: {decision} refused: {cause}", Exit.REFUSED) from None
    except WorkflowFailureError as err:
        raise CommandError(f"{args.request_id}: {err}", Exit.REFUSED) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise CommandError(
            f"{args.request_id}: no answer to {decision} in time; it may still be applied: check "
            "`starter.py status` before sending it again (a worker must be running)", Exit.UNAVAILABLE,
        ) from None
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND and await _is_closed(handle):
            raise CommandError(f"{args.request_id}: the case is closed; it takes no more decisions",
                               Exit.REFUSED) from None
        raise rpc_error(err, settings, args.request_id) from None
    print(f"{args.request_id}: {receipt.message} (state: {receipt.state})")
    return Exit.OK if receipt.accepted else Exit.REFUSED


async def _is_closed(handle) -> bool:
    """True when the workflow exists but has finished (updates then answer NOT_FOUND)."""
    try:
        description = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError:
        return False
    return description.close_time is not None
