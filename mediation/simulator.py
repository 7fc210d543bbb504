"""A mediation function that speaks LES's subset of X1, as its own process:

    python -m mediation.simulator --port 8733 --store .les/mediation.db [--event-period 300]
                                  [--fault slow|flaky|down --fault-count N --fault-seconds S --fault-delay D]

POST /X1/NE            X1 requests (ActivateTask, ModifyTask, DeactivateTask, GetTaskDetails, ListAllDetails)
GET  /collected/<xid>  what a task collected in a window: ?product=iri|cc&from=<ISO>&to=<ISO>, JSON lines
                       (stands in for X2/X3 delivery, which a real mediation function pushes to the agency)
GET  /admin/tasks/<xid>   the store's record of a task, activation and deactivation instants included
GET|POST /admin/fault     read or set a fault: {"mode": "slow|flaky|down|none", "count": N, "seconds": S,
                          "delay": D}; faults touch X1 and /collected, never /admin
GET  /admin/health

Tasks live in a SQLite file and survive restarts. A task's activation and deactivation are stamped
with the X1 message's messageTimestamp (the ADMF's clock), so a workflow under a time-skipping test
server drives the simulator's notion of when collection ran."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mediation import messages as x1
from mediation.events import DEFAULT_PERIOD, PRODUCTS, ActiveSpan, collected
from mediation.messages import ErrorCode, MalformedMessage, X1Message
from mediation.store import TaskStore

MAX_BODY = 1 << 20
NE_ID = "les-mediation-simulator"
FAULT_MODES = ("slow", "flaky", "down")


class Faults:
    """The fault the simulator is told to show: for the next `count` requests and/or `seconds`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mode: str | None = None
        self._count: int | None = None
        self._until: float | None = None
        self.delay = 0.0

    def set(self, mode: str, count: int | None = None, seconds: float | None = None, delay: float = 2.0) -> None:
        if mode not in (*FAULT_MODES, "none"):
            raise ValueError(f"mode is one of {', '.join(FAULT_MODES)} or none, not {mode!r}")
        if (count is not None and count < 1) or (seconds is not None and seconds <= 0) or delay < 0:
            raise ValueError("count and seconds are positive, delay is not negative")
        with self._lock:
            self._mode = None if mode == "none" else mode
            self._count = count
            self._until = None if seconds is None else time.monotonic() + seconds
            self.delay = delay

    def take(self) -> str | None:
        """The fault this request meets, if any, counting it against `count`."""
        with self._lock:
            if self._mode is None:
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
    """The X1 server's behaviour over its store; the HTTP handler only moves bytes."""

    def __init__(self, store: TaskStore, period: int = DEFAULT_PERIOD) -> None:
        self.store = store
        self.period = period
        self.faults = Faults()

    def handle_x1(self, body: bytes) -> bytes:
        try:
            request = x1.parse(body)
        except MalformedMessage as err:
            return error("ErrorResponse", ErrorCode.MALFORMED, str(err))
        kind = request.type.removesuffix("Request")
        response = f"{kind}Response"
        if kind not in x1.MESSAGE_TYPES or not request.type.endswith("Request"):
            return error(response, ErrorCode.UNSUPPORTED, f"{request.type} is outside this X1 subset", request)
        at = request.timestamp or datetime.now(UTC)
        if kind in ("ActivateTask", "ModifyTask"):
            task = request.task
            if task is None:
                return error(response, ErrorCode.MALFORMED, "taskDetails is missing", request)
            if task.delivery_type == "X3Only":
                return error(response, ErrorCode.UNSUPPORTED, "X3Only is outside this subset", request)
            if kind == "ActivateTask" and self.store.activate(task, at) is None:
                return error(response, ErrorCode.XID_EXISTS, f"XID {task.xid} is already on record", request)
            if kind == "ModifyTask" and not self.store.modify(task, at):
                return error(response, ErrorCode.XID_UNKNOWN, f"no provisioned task {task.xid}", request)
            return ok(response, request)
        if kind == "ListAllDetails":
            return reply(X1Message(type=response, xids=tuple(self.store.provisioned_xids())), request)
        if not request.xid:
            return error(response, ErrorCode.MALFORMED, "xId is missing", request)
        if kind == "DeactivateTask":
            if not self.store.deactivate(request.xid, at):
                return error(response, ErrorCode.XID_UNKNOWN, f"no provisioned task {request.xid}", request)
            return ok(response, request)
        record = self.store.get(request.xid)
        if record is None:
            return error(response, ErrorCode.XID_UNKNOWN, f"no task {request.xid}", request)
        return reply(X1Message(type=response, task=record.details, status=record.status), request)

    def span(self, xid: str) -> tuple[ActiveSpan, str] | None:
        record = self.store.get(xid)
        if record is None:
            return None
        d = record.details
        return ActiveSpan(d.xid, d.targets, record.activated_at, record.deactivated_at), d.delivery_type


def reply(message: X1Message, request: X1Message | None) -> bytes:
    header = {"admf_id": request.admf_id, "transaction_id": request.transaction_id} if request else {}
    return x1.render(replace(message, ne_id=NE_ID, timestamp=datetime.now(UTC), **header), response=True)


def ok(response_type: str, request: X1Message) -> bytes:
    return reply(X1Message(type=response_type, ok=True), request)


def error(response_type: str, code: int, description: str, request: X1Message | None = None) -> bytes:
    return reply(X1Message(type=response_type, error_code=code, error_description=description), request)


class Handler(BaseHTTPRequestHandler):
    server_version = "LESMediationSimulator/1"
    simulator: Simulator

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{datetime.now(UTC).isoformat()} {self.address_string()} {format % args}\n")

    def _body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, "text/plain", b"request too large\n")
            return None
        return self.rfile.read(length)

    def _send(self, status: int, content_type: str, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, value: object) -> None:
        self._send(status, "application/json", json.dumps(value).encode() + b"\n")

    def _fault(self) -> bool:
        """Apply the fault this request meets; True when it has been answered (or dropped) by it."""
        mode = self.simulator.faults.take()
        if mode == "slow":
            time.sleep(self.simulator.faults.delay)
            return False
        if mode == "flaky":
            body = error("ErrorResponse", ErrorCode.TEMPORARILY_UNAVAILABLE, "temporarily unavailable (fault)")
            self._send(503, "application/xml", body, {"Retry-After": "1"})
            return True
        if mode == "down":
            self.close_connection = True  # no answer at all, as from a crashed mediation function
            return True
        return False

    def do_POST(self) -> None:
        body = self._body()
        if body is None:
            return
        path = urlsplit(self.path).path
        if path == "/admin/fault":
            try:
                spec = json.loads(body or b"{}")
                self.simulator.faults.set(spec.get("mode", "none"), spec.get("count"), spec.get("seconds"),
                                          float(spec.get("delay", 2.0)))
            except (ValueError, TypeError, AttributeError) as err:
                self._json(400, {"error": str(err)})
                return
            self._json(200, self.simulator.faults.describe())
        elif path == "/X1/NE":
            if not self._fault():
                self._send(200, "application/xml", self.simulator.handle_x1(body))
        else:
            self._json(404, {"error": f"no such endpoint {path}"})

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        if path == "/admin/health":
            self._json(200, {"ok": True})
        elif path == "/admin/fault":
            self._json(200, self.simulator.faults.describe())
        elif path.startswith("/admin/tasks/"):
            record = self.simulator.store.get(path.removeprefix("/admin/tasks/"))
            if record is None:
                self._json(404, {"error": "no such task"})
            else:
                self._json(200, record.as_json())
        elif path.startswith("/collected/"):
            if not self._fault():
                self._collected(path.removeprefix("/collected/"), parse_qs(parts.query))
        else:
            self._json(404, {"error": f"no such endpoint {path}"})

    def _collected(self, xid: str, query: dict[str, list[str]]) -> None:
        product = query.get("product", [""])[0]
        try:
            start, end = x1.parse_time(query["from"][0]), x1.parse_time(query["to"][0])
        except (KeyError, ValueError, MalformedMessage):
            self._json(400, {"error": "from and to are ISO 8601 instants with a time zone"})
            return
        if product not in PRODUCTS or not start < end:
            self._json(400, {"error": "product is iri or cc, and from is before to"})
            return
        found = self.simulator.span(xid)
        if found is None:
            self._json(404, {"error": f"no task {xid}"})
            return
        span, delivery_type = found
        if product == "cc" and delivery_type != "X2andX3":
            self._json(409, {"error": f"task {xid} is {delivery_type}: it delivers no content (X3)"})
            return
        columns = PRODUCTS[product]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("X-Columns", ",".join(columns))
        self.end_headers()  # HTTP/1.0: the body ends when the connection closes, so rows stream
        for row in collected(span, product, start, end, self.simulator.period):
            self.wfile.write(json.dumps(dict(zip(columns, row, strict=True))).encode() + b"\n")


def serve(port: int, store: Path, period: int, host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, Simulator]:
    simulator = Simulator(TaskStore(store), period)
    handler = type("BoundHandler", (Handler,), {"simulator": simulator})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server, simulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mediation.simulator", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8733, help="0 picks a free port (printed)")
    parser.add_argument("--store", type=Path, required=True, help="the SQLite file holding the tasks")
    parser.add_argument("--event-period", type=int, default=DEFAULT_PERIOD, help="seconds per event slot")
    parser.add_argument("--fault", choices=FAULT_MODES)
    parser.add_argument("--fault-count", type=int)
    parser.add_argument("--fault-seconds", type=float)
    parser.add_argument("--fault-delay", type=float, default=2.0, help="seconds a slow request waits")
    args = parser.parse_args(argv)
    if args.event_period < 1:
        parser.error("--event-period is at least 1")
    server, simulator = serve(args.port, args.store, args.event_period, args.host)
    if args.fault:
        simulator.faults.set(args.fault, args.fault_count, args.fault_seconds, args.fault_delay)

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    print(f"mediation simulator listening on http://{host}:{port} (store {args.store})", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
