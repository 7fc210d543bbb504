"""`X1Client`: LES as the ADMF, provisioning interception tasks at a mediation function over X1/HTTP.

A narrow interface: activate, modify, deactivate, read one task, list the provisioned ones, and read
what a task collected in a window. Every failure is a `MediationError`: `MediationUnavailable` is
worth retrying (down, timed out, cut off, "temporarily unavailable"); `MediationRefused` and its
kinds `UnknownTask` and `TaskConflict` are not. Activation is idempotent by XID."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx

from mediation import messages as x1
from mediation.errors import MediationRefused, MediationUnavailable, TaskConflict, UnknownTask
from mediation.messages import DEACTIVATED, ErrorCode, MalformedMessage, TaskDetails, X1Message

ADMF_ID = "les-orchestrator"
LES_DESTINATION = "3f0b2d1c-7e4a-4c55-9a61-0d3c2b9e8f71"
"""The DID of LES's collection destination, named in every task's listOfDIDs."""


@dataclass(frozen=True)
class Activation:
    task: TaskDetails
    already_active: bool
    """True when the same task was already provisioned (a retried activation)."""


@dataclass(frozen=True)
class TaskView:
    """GetTaskDetails: the task as the mediation function holds it and its provisioning status."""

    task: TaskDetails
    status: str
    """provisioned or deactivated."""


class X1Client:
    """One mediation function at `base_url` (e.g. http://127.0.0.1:8733)."""

    def __init__(self, base_url: str, *, timeout: float = 10.0, admf_id: str = ADMF_ID,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._admf_id = admf_id
        self._http = httpx.Client(base_url=base_url, timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
                                  transport=transport)

    def __enter__(self) -> X1Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def activate_task(self, task: TaskDetails, *, at: datetime | None = None) -> Activation:
        """Provision `task`. The same task already provisioned is success (`already_active`); the
        XID on record with other details, or deactivated, is a TaskConflict (XIDs are never reused)."""
        task = _with_destination(task)
        try:
            self._call(X1Message(type="ActivateTaskRequest", task=task), at)
        except TaskConflict:
            held = self.get_task_details(task.xid)
            if held.status == DEACTIVATED:
                raise TaskConflict(f"task {task.xid} was deactivated; an XID is never provisioned again") from None
            if not held.task.same_task(task):
                raise TaskConflict(f"task {task.xid} is already provisioned with other details") from None
            return Activation(held.task, already_active=True)
        return Activation(task, already_active=False)

    def modify_task(self, task: TaskDetails, *, at: datetime | None = None) -> None:
        """Replace a provisioned task's details (e.g. a later end after an extension); UnknownTask if none."""
        self._call(X1Message(type="ModifyTaskRequest", task=_with_destination(task)), at)

    def deactivate_task(self, xid: str, *, at: datetime | None = None) -> None:
        """Switch the task off; UnknownTask when no task is provisioned under `xid`."""
        self._call(X1Message(type="DeactivateTaskRequest", xid=xid), at)

    def get_task_details(self, xid: str) -> TaskView:
        reply = self._call(X1Message(type="GetTaskDetailsRequest", xid=xid))
        if reply.task is None or reply.status is None:
            raise MediationRefused(f"GetTaskDetails for {xid} answered without the task or its status")
        return TaskView(reply.task, reply.status)

    def list_all_details(self) -> list[str]:
        """The XIDs of every task provisioned now."""
        return list(self._call(X1Message(type="ListAllDetailsRequest")).xids)

    @contextmanager
    def collected(self, xid: str, product: str, start: datetime, end: datetime) -> Iterator[Iterator[dict]]:
        """The rows `xid` collected with start <= time < end, streamed: product "iri" (X2) or "cc" (X3).

        Not X1: the simulator's stand-in for X2/X3 delivery (docs/architecture.md)."""
        params = {"product": product, "from": x1.x1_time(start), "to": x1.x1_time(end)}
        try:
            with self._http.stream("GET", f"/collected/{xid}", params=params) as response:
                if response.status_code == 404:
                    raise UnknownTask(f"no task {xid} at the mediation function")
                if response.status_code in (400, 409):
                    response.read()
                    raise MediationRefused(_json_error(response))
                if response.status_code != 200:
                    raise MediationUnavailable(f"reading what {xid} collected: HTTP {response.status_code}")
                yield (json.loads(line) for line in response.iter_lines() if line)
        except httpx.TransportError as err:
            raise MediationUnavailable(f"reading what {xid} collected: {_describe(err)}") from None

    def _call(self, message: X1Message, at: datetime | None = None) -> X1Message:
        request = replace(message, admf_id=self._admf_id, timestamp=at or datetime.now(UTC))
        try:
            response = self._http.post("/X1/NE", content=x1.render(request, response=False),
                                       headers={"Content-Type": "application/xml"})
        except httpx.TransportError as err:
            raise MediationUnavailable(f"{message.type}: {_describe(err)}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise MediationUnavailable(f"{message.type}: HTTP {response.status_code} from the mediation function")
        if response.status_code != 200:
            raise MediationRefused(f"{message.type}: HTTP {response.status_code} from the mediation function")
        try:
            reply = x1.parse(response.content)
        except MalformedMessage as err:
            raise MediationRefused(f"{message.type}: the answer is not X1: {err}") from None
        if reply.error_code is not None:
            raise _error_for(message, reply)
        if reply.type != message.type.replace("Request", "Response"):
            raise MediationRefused(f"{message.type} was answered with {reply.type}")
        return reply


def _with_destination(task: TaskDetails) -> TaskDetails:
    return task if task.destination_ids else replace(task, destination_ids=(LES_DESTINATION,))


def _error_for(request: X1Message, reply: X1Message) -> Exception:
    what = f"{request.type}: X1 error {reply.error_code} ({reply.error_description})"
    if reply.error_code == ErrorCode.TEMPORARILY_UNAVAILABLE:
        return MediationUnavailable(what)
    if reply.error_code == ErrorCode.XID_UNKNOWN:
        return UnknownTask(what)
    if reply.error_code == ErrorCode.XID_EXISTS:
        return TaskConflict(what)
    return MediationRefused(what)


def _describe(err: httpx.TransportError) -> str:
    kind = {httpx.ConnectError: "not reachable", httpx.TimeoutException: "timed out",
            httpx.RemoteProtocolError: "closed the connection without an answer"}
    for cls, words in kind.items():
        if isinstance(err, cls):
            return f"the mediation function {words} ({err})"
    return f"the mediation function failed in transport ({type(err).__name__}: {err})"


def _json_error(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"
