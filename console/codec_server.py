"""The codec servers: the one door through which people read and send payloads (SPEC §5, §6).

`POST /encode` and `POST /decode` take and return Temporal's standard JSON,
`{"payloads": [{"metadata": {...base64...}, "data": "...base64..."}]}`, as the Web UI, the
Temporal CLI (`--codec-endpoint`, `--codec-auth`) and `starter.py` send it. Every call names a
person signed in at the OpenID Connect provider: `Authorization: Bearer <access token>` (the CLI,
starter.py, a production UI passing its own sign-in's token), or the session cookie this server
sets after `GET /login` (the local Web UI, with "Include cross-origin credentials" on). The token
is checked against the provider's keys, issuer, audience and expiry (les/oidc.py); the person is
then looked up on the roster: active, and on a cleared endpoint holding `cleared`.

- **encode** takes decisions, submissions and a workflow's summary (a short text) only. A decision
  (a JSON object naming its `"case"`) is sealed for the signed-in person (les/seals.py) and
  encrypted bound to its case's workflow, under its case's compartment; a submission (`request_id`
  and `document`) is encrypted bound to its workflow. A general endpoint refuses anything of a
  national security case. A refused encode is answered with a refusal in each payload's place
  (`{"les_refused": "<why>"}`), which the case refuses in those words.
- **decode** opens what this endpoint's keys open; a payload under a key it does not hold is
  returned as it came (the UI shows it encrypted).

An endpoint is general (the general keys only) or cleared (the natsec keys too, cleared people
only). Each is its own process, so the natsec keys are never in a general endpoint's memory.

It runs on uvicorn (a production ASGI server) with starlette: bodies are limited before they
are read (a missing, negative or too large Content-Length is refused, a streamed body is cut at
the limit), the person is checked before any body is read, concurrency and keep-alive are
bounded, and the access log names method, operation and status, never a token or a payload.

    python -m console.codec_server --port 8234 [--cleared] [--ui-origin http://localhost:8233 ...]
                               [--tls-cert F --tls-key F] [--public-url URL]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import logging
import secrets
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.api.common.v1 import Payload, Payloads

from console.roster import CaseTypeLookup, RosterLookup
from domain.policy import CLEARED_ONLY
from domain.seals import CASE_FIELD, REFUSED_FIELD
from les.codec import PayloadUndecryptable, decrypt, encrypt, names_national_security
from les.keyring import Compartment, Keyring, KeyringError
from les.seals import SealingKey, seal

MAX_BODY = 8 * 1024 * 1024
"""The largest body a codec server reads (a case's biggest payloads are a few hundred KiB)."""
SESSION_COOKIE = "les_codec_session"
"""Followed by the endpoint's kind: a browser shares cookies across ports, so the general and the
cleared server (one host, two ports) each need a cookie of their own."""
NATIONAL_SECURITY_TYPES = frozenset(str(t) for t in CLEARED_ONLY)
access_log = logging.getLogger("console.codec_server.access")


class Refusal(Exception):
    """An HTTP answer in words: status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Verifier:
    """What the codec service needs of les/oidc.py's TokenVerifier: `verify(token).subject`."""

    def verify(self, token: str) -> Any:  # pragma: no cover - protocol
        raise NotImplementedError


@dataclass
class Session:
    token: str
    expires: float


class SessionBook:
    """Browser sessions made by `/login`: a random id (the cookie) → the person's access token."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    def open(self, token: str, expires: float) -> str:
        now = time.time()
        self._sessions = {k: s for k, s in self._sessions.items() if s.expires > now}
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = Session(token, expires)
        return session_id

    def token(self, session_id: str | None) -> str | None:
        session = self._sessions.get(session_id or "")
        return session.token if session and session.expires > time.time() else None

    def close(self, session_id: str | None) -> None:
        self._sessions.pop(session_id or "", None)


class CodecService:
    """What a codec server does with one person's payloads (no sockets here, so it is tested directly too)."""

    def __init__(self, keyring: Keyring, verifier: Verifier, roster: RosterLookup, case_types: CaseTypeLookup,
                 sealing_key: SealingKey, *, cleared: bool, ui_origins: Iterable[str]) -> None:
        self.cleared = cleared
        # A general endpoint never holds a natsec key, whatever keyring it was handed.
        self.keyring = keyring if cleared else keyring.restricted_to(Compartment.GENERAL)
        self.keyring.active(Compartment.NATIONAL_SECURITY if cleared else Compartment.GENERAL)
        self.verifier = verifier
        self.roster = roster
        self.case_types = case_types
        self.sealing_key = sealing_key
        self.ui_origins = set(ui_origins)
        self.sessions = SessionBook()

    @property
    def kind(self) -> str:
        return "cleared" if self.cleared else "general"

    @property
    def cookie(self) -> str:
        return f"{SESSION_COOKIE}_{self.kind}"

    def person(self, token: str | None) -> str:
        """The signed-in person the token proves, active on the roster (and cleared, here if need be)."""
        from les.oidc import ProviderUnreachable, TokenRefused

        if not token:
            raise Refusal(401, "sign in first: a bearer token from the OIDC provider (starter.py token) or this "
                               "server's /login session is required")
        try:
            subject = self.verifier.verify(token).subject
        except TokenRefused as refused:
            raise Refusal(401, f"the token is refused: {refused.reason}") from None
        except ProviderUnreachable:
            raise Refusal(503, "the OIDC provider cannot be reached to check the token; try again") from None
        entry = self.roster(subject)
        if entry is None or not entry[0]:
            raise Refusal(403, f"{subject} is not active on the roster")
        if self.cleared and "cleared" not in entry[1]:
            raise Refusal(403, f"{subject} is not cleared: this endpoint serves cleared people only")
        return subject

    def encode(self, person: str, payloads: Payloads) -> Payloads:
        return Payloads(payloads=[self._encoded(person, p) for p in payloads.payloads])

    def decode(self, payloads: Payloads) -> Payloads:
        return Payloads(payloads=[self._decoded(p) for p in payloads.payloads])

    def _encoded(self, person: str, payload: Payload) -> Payload:
        value = _json_object(payload)
        if isinstance(value, dict) and CASE_FIELD in value:
            request_id = value[CASE_FIELD]
            compartment = self._compartment_of_case(request_id)
            envelope = seal(value, person=person, case=request_id, compartment=str(compartment),
                            key=self.sealing_key)
            sealed = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(envelope).encode())
            return encrypt(sealed, self.keyring, compartment, workflow_id=f"case-{request_id}")
        if isinstance(value, dict) and isinstance(value.get("request_id"), str) and "document" in value:
            compartment = (Compartment.NATIONAL_SECURITY if names_national_security(
                Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value["document"]).encode()))
                else Compartment.GENERAL)
            self._may_serve(compartment)
            return encrypt(payload, self.keyring, compartment, workflow_id=f"case-{value['request_id']}")
        if isinstance(value, str) and len(value) <= 4096:  # a workflow's summary (user metadata): text, no decision
            compartment = Compartment.NATIONAL_SECURITY if self.cleared else Compartment.GENERAL
            return encrypt(payload, self.keyring, compartment)
        raise Refusal(400, "the codec servers encode decisions (a JSON object naming its \"case\") and submissions "
                           "only; anything else a person sends would reach a case unsealed")

    def _compartment_of_case(self, request_id: Any) -> Compartment:
        if not isinstance(request_id, str) or not request_id:
            raise Refusal(400, "\"case\" must name the request id of the case the decision is for")
        request_type = self.case_types(request_id)
        if request_type is None:
            raise Refusal(404, f"there is no case {request_id!r} in the case store")
        compartment = (Compartment.NATIONAL_SECURITY if request_type in NATIONAL_SECURITY_TYPES
                       else Compartment.GENERAL)
        self._may_serve(compartment)
        return compartment

    def _may_serve(self, compartment: Compartment) -> None:
        if compartment is Compartment.NATIONAL_SECURITY and not self.cleared:
            raise Refusal(403, "a national security case: its decisions and documents go only through the cleared "
                               "codec server")

    def _decoded(self, payload: Payload) -> Payload:
        try:
            return decrypt(payload, self.keyring)
        except PayloadUndecryptable:  # a key this endpoint does not hold: the UI shows it encrypted
            return payload


def _json_object(payload: Payload) -> Any:
    if payload.metadata.get("encoding") != b"json/plain":
        return None
    try:
        return json.loads(payload.data)
    except ValueError:
        return None


# ---- HTTP ---------------------------------------------------------------------------------------


class BodyLimit:
    """ASGI middleware: a body is refused before it is read when its length is missing, negative or
    over the limit, and a body that streams past the limit is cut there."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length_text = headers.get(b"content-length")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        refusal = None
        if length_text is None and not chunked:
            refusal = (411, "a Content-Length is required")
        elif length_text is not None:
            text = length_text.decode("latin-1").strip()
            if not text.isdigit():
                refusal = (400, "the Content-Length is not a length")
            elif int(text) > self.limit:
                refusal = (413, f"the body is larger than {self.limit} bytes")
        if refusal is not None:
            await JSONResponse({"error": refusal[1]}, status_code=refusal[0],
                               headers={"Connection": "close"})(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise Refusal(413, f"the body is larger than {self.limit} bytes")
            return message

        await self.app(scope, limited, send)


async def _read_payloads(request: Request, into: Payloads) -> None:
    if into.payloads:
        return
    try:
        ParseDict(json.loads(await request.body() or b"{}"), into)
    except (ValueError, ParseError):
        raise Refusal(400, "the body is not {\"payloads\": [...]} JSON") from None


async def _refused_encode(request: Request, body: Payloads, refusal: Refusal, cors: dict[str, str]) -> Response:
    """An encode refused is answered with a refusal in place of each payload, not an HTTP error: the
    Temporal CLI retries a failed encode until its command times out, never saying why, while a
    refusal reaches the case, which refuses it in these words (an update fails at once, a signal is
    recorded as refused) and changes nothing. starter.py reads the refusal and sends nothing."""
    try:
        await _read_payloads(request, body)
    except Refusal as unreadable:
        return _answer(unreadable.status, {"error": unreadable.message}, cors)
    refused = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps({REFUSED_FIELD: refusal.message}).encode())
    return _answer(200, MessageToDict(Payloads(payloads=[refused] * max(len(body.payloads), 1))), cors)


def _bearer(request: Request, service: CodecService) -> str | None:
    authorization = request.headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return service.sessions.token(request.cookies.get(service.cookie))


def _cors(service: CodecService, request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin not in service.ui_origins:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Authorization, X-Namespace",
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def _answer(status: int, body: dict | None, headers: dict[str, str]) -> Response:
    headers = {**headers, "Cache-Control": "no-store"}
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


@dataclass
class LoginFlow:
    """The browser sign-in of the local Web UI: authorization code + PKCE at the OIDC provider,
    as the confidential client `les-codec`; the session cookie then stands for the person."""

    issuer: str
    client_id: str
    client_secret: str
    public_url: str
    scope: str = "openid les"

    def __post_init__(self) -> None:
        self._pending: dict[str, tuple[str, float]] = {}
        self._endpoints: dict[str, str] | None = None

    async def endpoints(self) -> dict[str, str]:
        import httpx

        if self._endpoints is None:
            async with httpx.AsyncClient(timeout=10) as http:
                found = (await http.get(f"{self.issuer}/.well-known/openid-configuration")).json()
            self._endpoints = {"authorize": found["authorization_endpoint"], "token": found["token_endpoint"]}
        return self._endpoints

    async def start(self) -> str:
        state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        now = time.time()
        self._pending = {k: v for k, v in self._pending.items() if v[1] > now}
        self._pending[state] = (verifier, now + 600)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode({"response_type": "code", "client_id": self.client_id, "scope": self.scope,
                           "redirect_uri": f"{self.public_url}/callback", "state": state,
                           "code_challenge": challenge, "code_challenge_method": "S256"})
        return f"{(await self.endpoints())['authorize']}?{query}"

    async def finish(self, state: str | None, code: str | None) -> tuple[str, float]:
        import httpx

        pending = self._pending.pop(state or "", None)
        if pending is None or pending[1] < time.time() or not code:
            raise Refusal(400, "this sign-in was not started here or took too long; open /login again")
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.post((await self.endpoints())["token"], auth=(self.client_id, self.client_secret),
                                     data={"grant_type": "authorization_code", "code": code,
                                           "redirect_uri": f"{self.public_url}/callback", "code_verifier": pending[0]})
        if answer.status_code != 200:
            raise Refusal(401, "the OIDC provider did not issue a token for this sign-in")
        tokens = answer.json()
        return str(tokens["access_token"]), time.time() + float(tokens.get("expires_in", 600))


def make_app(service: CodecService, login: LoginFlow | None = None, *, secure_cookie: bool = False,
             ready: Callable[[], str | None] | None = None) -> ASGIApp:
    """The codec server's ASGI application."""

    async def payloads(request: Request) -> Response:
        operation = request.url.path.rsplit("/", 1)[-1]
        cors = _cors(service, request)
        if request.method == "OPTIONS":
            return _answer(204 if cors else 403, None, cors)
        body = Payloads()
        try:
            # The person first, before a byte of the body is read.
            person = await run_in_threadpool(service.person, _bearer(request, service))
            await _read_payloads(request, body)
            if operation == "encode":
                answer = await run_in_threadpool(service.encode, person, body)
            else:
                answer = await run_in_threadpool(service.decode, body)
        except Refusal as refusal:
            if operation == "encode" and refusal.status < 500:
                return await _refused_encode(request, body, refusal, cors)
            return _answer(refusal.status, {"error": refusal.message}, cors)
        except (KeyringError, PayloadUndecryptable):
            return _answer(500, {"error": "the codec server could not process the payloads"}, cors)
        return _answer(200, MessageToDict(answer), cors)

    async def start_login(request: Request) -> Response:
        if login is None:
            return _answer(404, {"error": "this codec server offers no browser sign-in"}, {})
        return RedirectResponse(await login.start(), status_code=302)

    async def callback(request: Request) -> Response:
        if login is None:
            return _answer(404, {"error": "this codec server offers no browser sign-in"}, {})
        try:
            token, expires = await login.finish(request.query_params.get("state"), request.query_params.get("code"))
            person = await run_in_threadpool(service.person, token)
        except Refusal as refusal:
            return _answer(refusal.status, {"error": refusal.message}, {})
        response = JSONResponse({"signed_in": person, "endpoint": service.kind,
                                 "next": "open the Web UI; its codec setting 'Include cross-origin credentials' "
                                         "must be on"}, headers={"Cache-Control": "no-store"})
        response.set_cookie(service.cookie, service.sessions.open(token, expires), max_age=int(expires - time.time()),
                            httponly=True, samesite="lax", secure=secure_cookie, path="/")
        return response

    async def logout(request: Request) -> Response:
        service.sessions.close(request.cookies.get(service.cookie))
        response = _answer(200, {"signed_out": True}, {})
        response.delete_cookie(service.cookie, path="/")
        return response

    async def healthz(request: Request) -> Response:
        return _answer(200, {"status": "alive", "endpoint": service.kind}, {})

    def readyz(request: Request) -> Response:  # blocking checks: starlette runs it in its thread pool
        problem = ready() if ready else None
        return _answer(503 if problem else 200, {"status": problem or "ready", "endpoint": service.kind}, {})

    app = Starlette(routes=[
        Route("/encode", payloads, methods=["POST", "OPTIONS"]),
        Route("/decode", payloads, methods=["POST", "OPTIONS"]),
        Route("/login", start_login, methods=["GET"]),
        Route("/callback", callback, methods=["GET"]),
        Route("/logout", logout, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ])
    return AccessLog(BodyLimit(CatchAll(app)))


class CatchAll:
    """No traceback ever leaves the server: a refusal raised mid-stream, or any fault, is one JSON line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Refusal as refusal:
            if not started:
                await JSONResponse({"error": refusal.message}, status_code=refusal.status,
                                   headers={"Connection": "close"})(scope, receive, send)
        except Exception:
            logging.getLogger("console.codec_server").exception("codec server fault (no payload logged)")
            if not started and scope["type"] == "http":
                await JSONResponse({"error": "the codec server failed"}, status_code=500)(scope, receive, send)


class AccessLog:
    """One line per request: method, the path's last part, status, milliseconds. Never a token,
    a query string or a payload."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.monotonic(), 0

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            operation = scope["path"].rstrip("/").rsplit("/", 1)[-1][:20] or "/"
            access_log.info("%s %s %s %.0fms", scope["method"], operation, status,
                            (time.monotonic() - started) * 1000)


def server_config(app: ASGIApp, host: str, port: int, *, tls_cert: str | None = None,
                  tls_key: str | None = None) -> Any:
    """uvicorn's configuration: bounded concurrency and keep-alive, TLS when given, no access log of its own."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, limit_concurrency=64, backlog=128, timeout_keep_alive=5,
                          timeout_graceful_shutdown=5, access_log=False, log_level="warning", lifespan="off",
                          server_header=False, h11_max_incomplete_event_size=64 * 1024,
                          ssl_certfile=tls_cert, ssl_keyfile=tls_key)


def main(argv: list[str]) -> int:
    import uvicorn

    from console.roster import case_type_lookup, roster_lookup
    from les.config import Settings
    from les.oidc import OidcConfigurationError, OidcSettings, TokenVerifier
    from les.seals import SealError, load_sealing_key

    parser = argparse.ArgumentParser(prog="python -m console.codec_server",
                                     description="the codec server the Web UI, the Temporal CLI and starter.py call")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8234, help="port to listen on (default 8234)")
    parser.add_argument("--cleared", action="store_true", help="hold the natsec keys; serve cleared people only")
    parser.add_argument("--ui-origin", action="append", default=[],
                        help="the Web UI's origin allowed to call (repeatable; default http://localhost:8233)")
    parser.add_argument("--public-url", help="this server's URL as browsers reach it, for /login's return "
                                             "(default http://localhost:PORT, https with --tls-cert)")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate chain (PEM)")
    parser.add_argument("--tls-key", help="the certificate's private key (PEM, 0600)")
    parser.add_argument("--codec-client-secret-file",
                        help="the `les-codec` OIDC client's secret, for the browser sign-in (default "
                             "<state>/oidc/les-codec.secret; without it, no /login)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    origins = args.ui_origin or ["http://localhost:8233"]
    if bool(args.tls_cert) != bool(args.tls_key):
        print("codec-server: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    scheme = "https" if args.tls_cert else "http"
    public_url = (args.public_url or f"{scheme}://localhost:{args.port}").rstrip("/")
    try:
        settings = Settings.from_env()
        oidc = OidcSettings.from_env()
        keyring = Keyring.load(settings.keyring_dir)
        if not args.cleared:
            keyring = keyring.restricted_to(Compartment.GENERAL)
        sealing_key = load_sealing_key(settings.seal_key_file or settings.seal_dir)
        service = CodecService(keyring, TokenVerifier(oidc), roster_lookup(settings.database_url),
                               case_type_lookup(settings.database_url), sealing_key, cleared=args.cleared,
                               ui_origins=origins)
        login = _login_flow(oidc, args.codec_client_secret_file or settings.state_dir / "oidc" / "les-codec.secret",
                            public_url)
    except (KeyringError, SealError, OidcConfigurationError, OSError, ValueError) as err:
        print(f"codec-server: {err}", file=sys.stderr)
        return 2
    kind = "cleared" if args.cleared else "general"
    print(f"codec-server ({kind}) on {scheme}://{args.host}:{args.port}, keys {keyring.key_ids}, seals with "
          f"{sealing_key.key_id}, trusts tokens of {oidc.issuer}", file=sys.stderr, flush=True)
    app = make_app(service, login, secure_cookie=bool(args.tls_cert), ready=lambda: _readiness(service, oidc))
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(server_config(app, args.host, args.port, tls_cert=args.tls_cert, tls_key=args.tls_key)).run()
    return 0


def _login_flow(oidc: Any, secret_file: Any, public_url: str) -> LoginFlow | None:
    from pathlib import Path

    path = Path(secret_file)
    if not path.is_file():
        return None
    return LoginFlow(issuer=oidc.issuer, client_id="les-codec", client_secret=path.read_text().strip(),
                     public_url=public_url)


def _readiness(service: CodecService, oidc: Any) -> str | None:
    """None when the codec server can serve: the roster answers and the provider's keys are reachable."""
    import httpx

    try:
        service.roster("readiness-probe")
    except Exception:
        return "the roster (records store) does not answer"
    try:
        httpx.get(f"{oidc.issuer}/.well-known/openid-configuration", timeout=3).raise_for_status()
    except httpx.HTTPError:
        return "the OIDC provider does not answer"
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
