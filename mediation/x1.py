"""`X1Client`: LES as the ADMF, provisioning interception tasks at a mediation function over X1,
ETSI TS 103 221-1, over mutually authenticated TLS (1.2 or later).

A narrow interface: create a destination, activate, modify, deactivate, read one task, list what
the far end holds, and read what a task collected in a window (the simulator's stand-in for X2/X3).
Every answer is validated against the vendored schema before it is read. Every failure is a
`MediationError`: `MediationUnavailable` is worth retrying (down, timed out, cut off, HTTP 5xx);
`MediationRefused` (with `UnknownTask` for X1 error 2020, `TaskConflict`) is not, whatever the
error code (3001 included); `MediationUnreadable` is an answer that cannot be read, never taken as
"nothing". Activation and destination creation are idempotent: "already exists" is answered by
reading the object back and comparing it with what was asked."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from les.x1_tls import X1Tls, X1TlsError
from mediation import messages as x1
from mediation.errors import (
    MediationRefused,
    MediationUnavailable,
    MediationUnreadable,
    TaskConflict,
    UnknownTask,
)
from mediation.messages import DestinationDetails, ErrorCode, MalformedMessage, TaskDetails, X1Message
from mediation.schema import schema_errors

ADMF_ID = "les-orchestrator"
LEGACY_DESTINATION = "3f0b2d1c-7e4a-4c55-9a61-0d3c2b9e8f71"
"""The one DID every task named before DIDs were made per case (runs without the `x1-ids-per-case` patch)."""
DELIVERY_ADDRESS = "https://les.invalid/x2x3"
"""deliveryAddress/uri of LES's collection destinations (the simulator delivers over GET /collected instead)."""
log = logging.getLogger("les.x1")


@dataclass(frozen=True)
class Activation:
    task: TaskDetails
    already_active: bool
    """True when the same task was already provisioned (a retried activation)."""


@dataclass(frozen=True)
class TaskView:
    """GetTaskDetails: the task as the mediation function holds it, its provisioningStatus and faults."""

    task: TaskDetails
    status: str
    """awaitingProvisioning, failed or complete."""
    faults: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Holdings:
    """ListAllDetails: the XIDs and DIDs the mediation function holds."""

    xids: tuple[str, ...]
    dids: tuple[str, ...]


def x1_endpoint(url: str, *, tls: X1Tls | None, plain_http: bool) -> tuple[str, str, object]:
    """(base URL, X1 path, httpx `verify`) for LES_MEDIATION_URL; X1TlsError when it cannot be spoken safely."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise X1TlsError(f"LES_MEDIATION_URL {url!r} is not an https://host:port/X1 address")
    base, path = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/") or "/X1"
    if parts.scheme == "http":
        if not plain_http:
            raise X1TlsError(f"LES_MEDIATION_URL {url} is plain http: X1 runs over mutual TLS (https); "
                             "LES_X1_PLAIN_HTTP=1 allows plain http for development only")
        log.warning("X1 over PLAIN HTTP to %s (LES_X1_PLAIN_HTTP=1): no encryption, no authentication of either "
                    "end; never in production", base)
        return base, path, False
    if tls is None:
        raise X1TlsError("X1 over https needs LES_X1_CLIENT_CERT, LES_X1_CLIENT_KEY and LES_X1_CA")
    return base, path, tls.client_context()


class X1Client:
    """One mediation function at `url` (https://host:port/X1), NE identifier `ne_id`."""

    def __init__(self, url: str, *, ne_id: str, tls: X1Tls | None = None, plain_http: bool = False,
                 timeout: float = 10.0, admf_id: str = ADMF_ID, transport: httpx.BaseTransport | None = None) -> None:
        base, self._path, verify = x1_endpoint(url, tls=tls, plain_http=plain_http)
        self._admf_id, self._ne_id = admf_id, ne_id
        # TCP_NODELAY: a POST's body follows its headers at once instead of waiting ~40 ms for an ACK
        transport = transport or httpx.HTTPTransport(verify=verify,  # type: ignore[arg-type]
                                                     socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        self._http = httpx.Client(base_url=base, timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
                                  transport=transport)

    def __enter__(self) -> X1Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ---- destinations -----------------------------------------------------------------------------------

    def create_destination(self, destination: DestinationDetails, *, at: datetime | None = None) -> bool:
        """CreateDestination; True when created, False when the same destination was already held.
        Refused as it stands (whatever the code), it is read back: the same destination is success,
        another under this DID a TaskConflict, none at all the refusal itself."""
        try:
            self._call(X1Message(type="CreateDestinationRequest", destination=destination), at)
            return True
        except MediationRefused as refusal:
            try:
                held = self.get_destination_details(destination.did)
            except MediationRefused:
                raise refusal from None
            if not held.same_destination(destination):
                raise TaskConflict(f"destination {destination.did} is held with other details") from None
            return False

    def get_destination_details(self, did: str) -> DestinationDetails:
        reply = self._call(X1Message(type="GetDestinationDetailsRequest", did=did))
        if reply.destination is None:
            raise MediationUnreadable(f"GetDestinationDetails for {did} answered without the destination")
        return reply.destination

    # ---- tasks --------------------------------------------------------------------------------------------

    def activate_task(self, task: TaskDetails, *, at: datetime | None = None) -> Activation:
        """Provision `task`. Answered 2010 (XID already exists), the task is read back: the same task
        is success (`already_active`); other details, or none held after all, a TaskConflict."""
        try:
            self._call(X1Message(type="ActivateTaskRequest", task=task), at)
        except MediationRefused as refusal:
            if refusal.code != ErrorCode.XID_EXISTS:
                raise
            try:
                held = self.get_task_details(task.xid)
            except UnknownTask:
                raise TaskConflict(f"task {task.xid}: the far end says the XID exists but holds no such task") from None
            if not held.task.same_task(task):
                raise TaskConflict(f"task {task.xid} is already provisioned with other details") from None
            return Activation(held.task, already_active=True)
        return Activation(task, already_active=False)

    def modify_task(self, task: TaskDetails, *, at: datetime | None = None) -> None:
        """Replace a provisioned task's details (e.g. a later end after an extension); UnknownTask if none."""
        self._call(X1Message(type="ModifyTaskRequest", task=task), at)

    def deactivate_task(self, xid: str, *, at: datetime | None = None) -> None:
        """Switch the task off; UnknownTask (2020) when the far end holds none under `xid`."""
        self._call(X1Message(type="DeactivateTaskRequest", xid=xid), at)

    def get_task_details(self, xid: str) -> TaskView:
        reply = self._call(X1Message(type="GetTaskDetailsRequest", xid=xid))
        if reply.task is None or reply.status is None:
            raise MediationUnreadable(f"GetTaskDetails for {xid} answered without the task or its status")
        if reply.task.xid != xid:
            raise MediationUnreadable(f"GetTaskDetails for {xid} answered with task {reply.task.xid}")
        return TaskView(reply.task, reply.status, reply.faults)

    def list_all_details(self) -> Holdings:
        """The XIDs and DIDs the far end holds now."""
        reply = self._call(X1Message(type="ListAllDetailsRequest"))
        return Holdings(reply.xids, reply.dids)

    @contextmanager
    def collected(self, xid: str, product: str, start: datetime, end: datetime) -> Iterator[Iterator[dict]]:
        """The rows `xid` collected with start <= time < end, streamed: product "iri" (X2) or "cc" (X3).

        Not X1: the simulator's stand-in for X2/X3 delivery (docs/x1.md)."""
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

    # ---- one exchange -------------------------------------------------------------------------------------

    def _call(self, message: X1Message, at: datetime | None = None) -> X1Message:
        kind = message.type.removesuffix("Request")
        request = replace(message, admf_id=self._admf_id, ne_id=self._ne_id, timestamp=at or datetime.now(UTC))
        try:
            response = self._http.post(self._path, content=x1.render(request, response=False),
                                       headers={"Content-Type": "application/xml"})
        except httpx.TransportError as err:
            raise MediationUnavailable(f"{kind}: {_describe(err)}") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise MediationUnavailable(f"{kind}: HTTP {response.status_code} from the mediation function")
        problems = schema_errors(response.content)
        if problems:
            if response.status_code != 200:
                raise MediationRefused(f"{kind}: HTTP {response.status_code} from the mediation function")
            raise MediationUnreadable(f"{kind}: the answer is not valid X1 ({'; '.join(problems[:3])})")
        try:
            reply = x1.parse(response.content)
        except MalformedMessage as err:
            raise MediationUnreadable(f"{kind}: the answer cannot be read as X1: {err}") from None
        if reply.type == "X1TopLevelErrorResponse":
            raise MediationRefused(f"{kind}: the mediation function could not read the request as X1")
        if reply.type == "ErrorResponse":
            raise _error_for(kind, reply)
        if reply.type != f"{kind}Response":
            raise MediationUnreadable(f"{kind} was answered with {reply.type}")
        if response.status_code != 200:
            raise MediationRefused(f"{kind}: HTTP {response.status_code} from the mediation function")
        return reply


def _error_for(kind: str, reply: X1Message) -> MediationRefused:
    """2020 is UnknownTask; every other code (2010 included, which activate_task reads back) a refusal."""
    what = f"{kind}: X1 error {reply.error_code} ({reply.error_description})"
    error = UnknownTask(what) if reply.error_code == ErrorCode.XID_UNKNOWN else MediationRefused(what)
    error.code = reply.error_code
    return error


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
