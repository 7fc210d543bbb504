"""`check` and `submit`: a request document, read from a file or standard input, pre-screened
offline or started as its workflow."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Any

from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from console.errors import CommandError, Exit
from console.person import codec_for, signed_in
from domain.case import RequestSubmission
from domain.case_page import static_summary
from domain.identifiers import request_id_fault
from domain.verification import (
    MAX_DOCUMENT_BYTES,
    UnreadableRequest,
    read_request_bytes,
    read_request_file,
    verify_request,
)
from les.config import Settings
from les.temporal import TemporalUnavailable, connect, start_attributes, workflow_id_for

RPC_TIMEOUT = timedelta(seconds=15)
STDIN = "-"


def read_document(path: str) -> dict[str, Any]:
    """The request document of FILE, or of standard input for `-`; exit 2 when unreadable."""
    try:
        if path == STDIN:
            return read_request_bytes(sys.stdin.buffer.read(MAX_DOCUMENT_BYTES + 1), "standard input")
        return read_request_file(path)
    except UnreadableRequest as err:
        raise CommandError(str(err), Exit.BAD_INPUT) from None


def tracked_request_id(path: str, document: dict[str, Any]) -> str:
    """The document's request_id when it is well-formed (SPEC §1); it names the workflow and the
    production's folders, so a request without one is not accepted at all (exit 2)."""
    name = "standard input" if path == STDIN else path
    request_id = document.get("request_id")
    if request_id is None:
        raise CommandError(f"{name}: the request has no `request_id`; it cannot be tracked", Exit.BAD_INPUT)
    fault = request_id_fault(request_id)
    if fault is not None:
        raise CommandError(f"{name}: request_id {fault}; the request is not accepted", Exit.BAD_INPUT)
    return request_id


def run_check(path: str, *, as_json: bool) -> int:
    document = read_document(path)
    tracked_request_id(path, document)
    result = verify_request(document)
    if as_json:
        print(json.dumps(result.spec_dict(), indent=2))
    else:
        print(result.render_text())
    return Exit.REFUSED if result.verdict == "reject" else Exit.OK


async def connect_as_person(settings: Settings):
    """A client of the signed-in person: every payload through the codec servers with their token."""
    return await connect(settings, codec=codec_for(settings, signed_in(settings)))


async def run_submit(settings: Settings, path: str, client=None) -> int:
    """Start the request's workflow as the signed-in person (through the codec servers), or with
    `client` (stack.py's own, for the sample)."""
    from workflows import WORKFLOW_FOR_TYPE

    document = read_document(path)
    request_id = tracked_request_id(path, document)
    request_type = document.get("type")
    workflow_class = WORKFLOW_FOR_TYPE.get(str(request_type))
    if workflow_class is None:
        handled = ", ".join(sorted(WORKFLOW_FOR_TYPE))
        raise CommandError(
            f"{request_id}: no workflow handles requests of type {request_type!r} "
            f"(the types are: {handled}); `starter.py check` says what is wrong with it",
            Exit.BAD_INPUT,
        )
    precheck = verify_request(document)
    client = client or await connect_as_person(settings)
    workflow_id = workflow_id_for(request_id)
    try:
        await client.start_workflow(
            workflow_class.run,
            RequestSubmission(request_id=request_id, request_type=str(request_type), document=document),
            id=workflow_id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=static_summary(document),
            search_attributes=start_attributes(str(request_type)),
            rpc_timeout=RPC_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        raise CommandError(
            f"{request_id} was already submitted (workflow {workflow_id}); nothing new was started",
            Exit.REFUSED,
        ) from None
    except RPCError as err:
        raise rpc_error(err, settings, request_id) from None
    print(workflow_id)
    print(f"pre-screen verdict: {precheck.verdict}", file=sys.stderr)
    return Exit.OK


def rpc_error(err: RPCError, settings: Settings, request_id: str) -> Exception:
    """What a refused or failed call to the server says."""
    from temporalio.service import RPCStatusCode

    if err.status == RPCStatusCode.NOT_FOUND:
        return CommandError(f"{request_id}: no such request was submitted", Exit.REFUSED)
    if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return TemporalUnavailable(
            f"the Temporal server at {settings.temporal_address} did not answer ({err.message}); "
            "is the stack up (`python3 stack.py up`) and a worker running?"
        )
    return CommandError(f"{request_id}: the server refused: {err.message}", Exit.REFUSED)


def run_queues(settings: Settings, web_ui: str) -> int:
    from datetime import UTC, datetime

    from console.queues import render_queues

    print(render_queues(web_ui, settings.temporal_namespace, datetime.now(UTC)))
    return Exit.OK
