"""A mediation function that speaks LES's subset of X1 (ETSI TS 103 221-1), as its own process,
on uvicorn + starlette, over mutual TLS:

    python -m mediation.simulator --port 8733 --store .les/mediation.db --tls-cert simulator.pem
        --tls-key simulator-key.pem --client-ca ca.pem [--ne-id ID] [--event-period 300]
        [--fault slow|flaky|down --fault-count N --fault-seconds S --fault-delay D]
    (--plain-http instead of the three TLS flags: development only, said loudly)

POST /X1               X1 requests, validated against the vendored schema: CreateDestination,
                       GetDestinationDetails, ActivateTask, ModifyTask, DeactivateTask, GetTaskDetails,
                       ListAllDetails. A request that is not an X1Request at all is answered with an
                       X1TopLevelErrorResponse; a schema-invalid one with ErrorResponse 1001.
GET  /collected/<xid>  what a task collected in a window: ?product=iri|cc&from=<ISO>&to=<ISO>, JSON lines
                       (stands in for X2/X3 delivery, which a real mediation function pushes to the agency)
GET  /admin/tasks/<xid>   the store's record of a task, activation and deactivation instants included
GET|POST /admin/fault     read or set a fault: {"mode": "slow|flaky|down|none", "count": N, "seconds": S,
                          "delay": D, "skip": K (requests let through first)}; faults touch X1 and
                          /collected, never /admin
GET  /admin/health

Every endpoint needs the client certificate (TLS 1.2 or later, signed by --client-ca). Bodies are
capped before they are read (Content-Length required: absent 411, malformed 400, too large 413; a
body longer than it said is cut at the cap), reads time out, concurrency is bounded, and the
access log names the request line, never a payload.

Like a real mediation function, a deactivated task is forgotten by X1 (GetTaskDetails and
DeactivateTask answer 2020, ListAllDetails leaves it out) and a new ActivateTask for its XID is
accepted: the ADMF must remember what it switched off. The store keeps the record, so /collected
and /admin still show when it ran. Activation and deactivation are stamped with the request's
messageTimestamp (the ADMF's clock), so a workflow under a time-skipping test server drives it."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import ssl
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from mediation import messages as x1
from mediation.events import DEFAULT_PERIOD, PRODUCTS, ActiveSpan, collected
from mediation.messages import COMPLETE, ErrorCode, MalformedMessage, X1Message
from mediation.schema import SchemaUnavailable, schema_errors, x1_schema
from mediation.store import TaskStore

MAX_BODY = 1 << 20
BODY_SECONDS = 10.0
"""A request body not received within this many seconds is refused (408)."""
MAX_CONCURRENT = 64
"""Connections and requests at once; beyond it uvicorn answers 503."""
NE_ID = "les-mediation-simulator"
FAULT_MODES = ("slow", "flaky", "down")
REQUEST_TYPES = {
    "ActivateTask", "ModifyTask", "DeactivateTask", "DeactivateAllTasks", "GetTaskDetails", "CreateDestination",
    "ModifyDestination", "RemoveDestination", "RemoveAllDestinations", "GetDestinationDetails", "GetNEStatus",
    "GetAllDetails", "GetAllTaskDetails", "GetAllDestinationDetails", "GetAllGenericObjectDetails", "ListAllDetails",
    "ReportTaskIssue", "ReportDestinationIssue", "ReportNEIssue", "Ping", "Keepalive", "CreateObject",
    "ModifyObject", "GetObject", "DeleteObject", "ListObjectsOfType", "DeleteAllObjects",
}
"""The schema's RequestMessageType values: what an ErrorResponse may name."""


class Faults:
    """The fault the simulator is told to show: for the next `count` requests and/or `seconds`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mode: str | None = None
        self._count: int | None = None
        self._until: float | None = None
        self._skip = 0
        self.delay = 0.0

    def set(self, mode: str, count: int | None = None, seconds: float | None = None, delay: float = 2.0,
            skip: int = 0) -> None:
        """`mode` for the next `count` requests and/or `seconds`, after letting `skip` requests through."""
        if mode not in (*FAULT_MODES, "none"):
            raise ValueError(f"mode is one of {', '.join(FAULT_MODES)} or none, not {mode!r}")
        if (count is not None and count < 1) or (seconds is not None and seconds <= 0) or delay < 0 or skip < 0:
            raise ValueError("count and seconds are positive, delay and skip are not negative")
        with self._lock:
            self._skip = skip
            self._mode = None if mode == "none" else mode
            self._count = count
            self._until = None if seconds is None else time.monotonic() + seconds
            self.delay = delay

    def take(self) -> str | None:
        """The fault this request meets, if any, counting it against `count`."""
        with self._lock:
            if self._mode is None:
                return None
            if self._skip > 0:
                self._skip -= 1
                return None
            if self._until is not None and time.monotonic() >= self._until:
                self._mode = None
                return None
            mode = self._mode
            if self._count is not None:
                self._count -= 1
                if self._count == 0:
                    self._mode = None
            return mode

    def describe(self) -> dict[str, Any]:
        with self._lock:
            left = None if self._until is None else max(0.0, self._until - time.monotonic())
            return {"mode": self._mode or "none", "count": self._count, "seconds": left, "delay": self.delay}


class Simulator:
    """The X1 server's behaviour over its store; the ASGI app only moves bytes."""

    def __init__(self, store: TaskStore, period: int = DEFAULT_PERIOD, ne_id: str = NE_ID) -> None:
        self.store = store
        self.period = period
        self.ne_id = ne_id
        self.faults = Faults()

    def handle_x1(self, body: bytes) -> bytes:
        """The answer to one X1 request document (always an X1 document itself)."""
        header = x1.request_header(body)
        kind = header.type.removesuffix("Request") if header is not None else ""
        if header is None or kind not in REQUEST_TYPES or not header.type.endswith("Request"):
            return self._top_level_error()  # not an X1Request of a type the schema knows: no message to answer
        problems = schema_errors(body)
        if problems:
            return self.error(kind, ErrorCode.REQUEST_INVALID, "not valid against TS 103 221-1: " + "; ".join(problems),
                              header)
        try:
            request = x1.parse(body)
        except MalformedMessage as err:
            return self.error(kind, ErrorCode.UNSUPPORTED, f"valid, but not readable by this NE: {err}", header)
        if request.ne_id != self.ne_id:
            return self.error(kind, ErrorCode.REQUEST_INVALID,
                              f"neIdentifier {request.ne_id!r} is not this NE ({self.ne_id})", request)
        if kind not in x1.MESSAGE_TYPES:
            return self.error(kind, ErrorCode.UNSUPPORTED, f"{kind} is not supported by this mediation function",
                              request)
        return self._answer(kind, request, request.timestamp or datetime.now(UTC))

    def _answer(self, kind: str, request: X1Message, at: datetime) -> bytes:
        store = self.store
        if kind == "CreateDestination":
            assert request.destination is not None
            if not store.create_destination(request.destination):
                return self.error(kind, ErrorCode.DID_EXISTS, f"DID {request.destination.did} already exists", request)
            return self.ok(kind, request)
        if kind == "GetDestinationDetails":
            destination = store.destination(request.did or "")
            if destination is None:
                return self.error(kind, ErrorCode.DID_UNKNOWN, f"DID {request.did} does not exist", request)
            return self.reply(X1Message(type="GetDestinationDetailsResponse", destination=destination,
                                        status="activeAndWorking"), request)
        if kind in ("ActivateTask", "ModifyTask"):
            task = request.task
            assert task is not None
            if task.delivery_type == "X3Only":
                return self.error(kind, ErrorCode.UNSUPPORTED, "X3Only is not supported", request)
            unknown = [did for did in task.destination_ids if store.destination(did) is None]
            if unknown:
                return self.error(kind, ErrorCode.DID_UNKNOWN, f"DID {unknown[0]} does not exist", request)
            if kind == "ActivateTask" and store.activate(task, at) is None:
                return self.error(kind, ErrorCode.XID_EXISTS, f"XID {task.xid} already exists", request)
            if kind == "ModifyTask" and not store.modify(task, at):
                return self.error(kind, ErrorCode.XID_UNKNOWN, f"XID {task.xid} does not exist", request)
            return self.ok(kind, request)
        if kind == "ListAllDetails":
            return self.reply(X1Message(type="ListAllDetailsResponse", xids=tuple(store.provisioned_xids()),
                                        dids=tuple(store.dids())), request)
        xid = request.xid or ""
        if kind == "DeactivateTask":
            if not store.deactivate(xid, at):
                return self.error(kind, ErrorCode.XID_UNKNOWN, f"XID {xid} does not exist", request)
            return self.ok(kind, request)
        record = store.get(xid)  # GetTaskDetails
        if record is None or record.status != "provisioned":
            return self.error(kind, ErrorCode.XID_UNKNOWN, f"XID {xid} does not exist", request)
        return self.reply(X1Message(type="GetTaskDetailsResponse", task=record.details, status=COMPLETE), request)

    def span(self, xid: str) -> tuple[ActiveSpan, str] | None:
        record = self.store.get(xid)
        if record is None:
            return None
        d = record.details
        return ActiveSpan(d.xid, d.targets, record.activated_at, record.deactivated_at), d.delivery_type

    def reply(self, message: X1Message, request: X1Message | None) -> bytes:
        header = {"admf_id": request.admf_id, "transaction_id": request.transaction_id} if request else {}
        return x1.render(replace(message, ne_id=self.ne_id, timestamp=datetime.now(UTC), **header), response=True)

    def ok(self, kind: str, request: X1Message) -> bytes:
        return self.reply(X1Message(type=f"{kind}Response", ok=True), request)

    def error(self, kind: str, code: int, description: str, request: X1Message | None = None) -> bytes:
        return self.reply(X1Message(type="ErrorResponse", request_type=kind, error_code=code,
                                    error_description=description[:2000]), request)

    def _top_level_error(self) -> bytes:
        return x1.render(X1Message(type="X1TopLevelErrorResponse", ne_id=self.ne_id, admf_id="unknown",
                                   timestamp=datetime.now(UTC)), response=True)


class BodyRefused(Exception):
    def __init__(self, status: int, words: str) -> None:
        super().__init__(words)
        self.status = status


async def capped_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, refused before it is read when Content-Length is absent (411), malformed (400) or
    over `limit` (413); a body that runs past what it declared, or past `limit`, is cut there."""
    declared = request.headers.get("content-length")
    if declared is None:
        raise BodyRefused(411, "Content-Length is required")
    if not declared.isdigit():
        raise BodyRefused(400, "Content-Length is not a whole number")
    if int(declared) > limit:
        raise BodyRefused(413, f"request larger than {limit} bytes")
    chunks, size = [], 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > min(limit, int(declared)):
                raise BodyRefused(413, "request body longer than declared or allowed")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(read(), BODY_SECONDS)
    except TimeoutError:
        raise BodyRefused(408, "request body not received in time") from None
    except ClientDisconnect:
        raise BodyRefused(400, "client went away") from None
    return b"".join(chunks)


def build_app(simulator: Simulator) -> Starlette:
    async def fault() -> Response | None:
        mode = simulator.faults.take()
        if mode == "slow":
            await asyncio.sleep(simulator.faults.delay)
        elif mode == "flaky":
            return Response(simulator._top_level_error(), status_code=503, media_type="application/xml",
                            headers={"Retry-After": "1"})
        elif mode == "down":
            # Declares a body it never sends: the server drops the connection, as a crashed one would.
            return Response(b"", status_code=200, headers={"Content-Length": "1000"})
        return None

    async def x1_endpoint(request: Request) -> Response:
        try:
            body = await capped_body(request)
        except BodyRefused as refused:
            return Response(f"{refused}\n".encode(), status_code=refused.status, media_type="text/plain")
        faulty = await fault()
        if faulty is not None:
            return faulty
        answer = await run_in_threadpool(simulator.handle_x1, body)
        return Response(answer, media_type="application/xml")

    async def collected_endpoint(request: Request) -> Response:
        faulty = await fault()
        if faulty is not None:
            return faulty
        xid, query = request.path_params["xid"], request.query_params
        product = query.get("product", "")
        try:
            start, end = x1.parse_time(query["from"]), x1.parse_time(query["to"])
        except (KeyError, ValueError, MalformedMessage):
            return JSONResponse({"error": "from and to are ISO 8601 instants with a time zone"}, 400)
        if product not in PRODUCTS or not start < end:
            return JSONResponse({"error": "product is iri or cc, and from is before to"}, 400)
        found = await run_in_threadpool(simulator.span, xid)
        if found is None:
            return JSONResponse({"error": f"no task {xid}"}, 404)
        span, delivery_type = found
        if product == "cc" and delivery_type != "X2andX3":
            return JSONResponse({"error": f"task {xid} is {delivery_type}: it delivers no content (X3)"}, 409)
        columns = PRODUCTS[product]
        rows = (json.dumps(dict(zip(columns, row, strict=True))).encode() + b"\n"
                for row in collected(span, product, start, end, simulator.period))
        return StreamingResponse(rows, media_type="application/x-ndjson", headers={"X-Columns": ",".join(columns)})

    async def health(_: Request) -> Response:
        return JSONResponse({"ok": True})

    async def fault_endpoint(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(simulator.faults.describe())
        try:
            spec = json.loads(await capped_body(request, 4096) or b"{}")
            simulator.faults.set(spec.get("mode", "none"), spec.get("count"), spec.get("seconds"),
                                 float(spec.get("delay", 2.0)), int(spec.get("skip", 0)))
        except BodyRefused as refused:
            return JSONResponse({"error": str(refused)}, refused.status)
        except (ValueError, TypeError, AttributeError) as err:
            return JSONResponse({"error": str(err)}, 400)
        return JSONResponse(simulator.faults.describe())

    async def task_record(request: Request) -> Response:
        record = await run_in_threadpool(simulator.store.get, request.path_params["xid"])
        if record is None:
            return JSONResponse({"error": "no such task"}, 404)
        return JSONResponse(record.as_json())

    async def task_records(request: Request) -> Response:
        liid = request.query_params.get("liid", "")
        records = await run_in_threadpool(simulator.store.by_liid, liid)
        return JSONResponse([record.as_json() for record in records])

    return Starlette(routes=[
        Route("/X1", x1_endpoint, methods=["POST"]),
        Route("/collected/{xid}", collected_endpoint, methods=["GET"]),
        Route("/admin/health", health, methods=["GET"]),
        Route("/admin/fault", fault_endpoint, methods=["GET", "POST"]),
        Route("/admin/tasks", task_records, methods=["GET"]),
        Route("/admin/tasks/{xid}", task_record, methods=["GET"]),
    ])


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m mediation.simulator", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8733, help="0 picks a free port (printed)")
    parser.add_argument("--store", type=Path, required=True, help="the SQLite file holding the tasks")
    parser.add_argument("--ne-id", default=NE_ID, help="this mediation function's NE identifier")
    parser.add_argument("--tls-cert", type=Path, help="the server certificate (PEM)")
    parser.add_argument("--tls-key", type=Path, help="its private key (PEM)")
    parser.add_argument("--client-ca", type=Path, help="the CA a client's certificate must be signed by")
    parser.add_argument("--plain-http", action="store_true", help="no TLS at all: development only")
    parser.add_argument("--event-period", type=int, default=DEFAULT_PERIOD, help="seconds per event slot")
    parser.add_argument("--fault", choices=FAULT_MODES)
    parser.add_argument("--fault-count", type=int)
    parser.add_argument("--fault-seconds", type=float)
    parser.add_argument("--fault-delay", type=float, default=2.0, help="seconds a slow request waits")
    args = parser.parse_args(argv)
    if args.event_period < 1:
        parser.error("--event-period is at least 1")
    tls = (args.tls_cert, args.tls_key, args.client_ca)
    if args.plain_http == any(tls) or (not args.plain_http and not all(tls)):
        parser.error("give --tls-cert, --tls-key and --client-ca (mutual TLS), or --plain-http alone")
    for path in (p for p in tls if p is not None):
        if not path.is_file():
            parser.error(f"{path}: no such file")
    try:
        x1_schema()  # built before listening: the first request waits for no one, a missing schema stops here
    except SchemaUnavailable as err:
        print(f"mediation simulator: {err}", file=sys.stderr)
        return 1
    simulator = Simulator(TaskStore(args.store), args.event_period, args.ne_id)
    if args.fault:
        simulator.faults.set(args.fault, args.fault_count, args.fault_seconds, args.fault_delay)
    config = uvicorn.Config(
        build_app(simulator), host=args.host, port=args.port, lifespan="off", access_log=True,
        limit_concurrency=MAX_CONCURRENT, timeout_keep_alive=5, timeout_graceful_shutdown=2, server_header=False,
        ssl_certfile=str(args.tls_cert) if args.tls_cert else None,
        ssl_keyfile=str(args.tls_key) if args.tls_key else None,
        ssl_ca_certs=str(args.client_ca) if args.client_ca else None,
        ssl_cert_reqs=ssl.CERT_REQUIRED if args.client_ca else ssl.CERT_NONE,
    )
    config.load()
    if config.ssl is not None:
        config.ssl.minimum_version = ssl.TLSVersion.TLSv1_2
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by each connection: no Nagle wait
    try:
        sock.bind((args.host, args.port))
    except OSError as err:
        print(f"mediation simulator: cannot listen on {args.host}:{args.port} ({err.strerror})", file=sys.stderr)
        return 1
    host, port = sock.getsockname()[:2]
    scheme = "http" if args.plain_http else "https"
    if args.plain_http:
        logging.getLogger("uvicorn.error").warning("X1 over PLAIN HTTP: no encryption, no client authentication; "
                                                   "development only")
    print(f"mediation simulator listening on {scheme}://{host}:{port}/X1 (NE {args.ne_id}, store {args.store}"
          f"{', client certificate required' if args.client_ca else ''})", flush=True)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
