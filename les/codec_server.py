"""The codec server the Temporal Web UI calls to show (and send) payloads in the clear.

`POST /encode` and `POST /decode` take and return Temporal's standard JSON,
`{"payloads": [{"metadata": {...base64...}, "data": "...base64..."}]}`; CORS lets only the UI's
origins call it. Every call must carry a person's token, as `Authorization: Bearer <token>` or,
for a UI that cannot send a header (the dev server's), in the path: `/t/<token>/decode`. The
tokens file (0600) maps each token to a person on the roster; on every call the roster in the
records store must show that person active and, on a cleared endpoint, holding `cleared`.

An endpoint is either general (it holds only the general keys: national security payloads pass
through it still encrypted) or cleared (it holds the natsec keys too, answers only cleared
people, and encrypts what the UI sends under the natsec key). Each is its own process, so the
natsec keys are never in a general endpoint's memory.

    python -m les.codec_server --port 8234 [--cleared] [--ui-origin http://localhost:8233 ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from temporalio.api.common.v1 import Payloads

from les.codec import PayloadUndecryptable, decrypt, encrypt
from les.keyring import Compartment, Keyring, KeyringError
from les.roster import RosterLookup, roster_lookup

MAX_BODY = 8 * 1024 * 1024


class TokenBook:
    """Token → person, from the secrets file; tokens are compared by their SHA-256."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self._by_digest = {hashlib.sha256(t.encode()).digest(): actor for t, actor in tokens.items()}

    def actor(self, token: str | None) -> str | None:
        return self._by_digest.get(hashlib.sha256(token.encode()).digest()) if token else None

    @classmethod
    def load(cls, path: Path) -> TokenBook:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyringError(f"{path} is readable by others (mode {mode:04o}); `chmod 600 {path}`")
        data = json.loads(path.read_text())
        return cls({str(token): str(actor) for token, actor in data.get("tokens", {}).items()})


def write_tokens(path: Path, actors: Iterable[str]) -> dict[str, str]:
    """Give each person a token (keeping tokens already issued); the file is 0600. Actor → token."""
    import secrets

    issued: dict[str, str] = {}
    if path.exists():
        issued = {a: t for t, a in json.loads(path.read_text()).get("tokens", {}).items()}
    for actor in actors:
        issued.setdefault(actor, secrets.token_urlsafe(32))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"tokens": {t: a for a, t in sorted(issued.items())}}, handle, indent=2)
    return issued


@dataclass
class Answer:
    status: int
    body: dict | None = None
    headers: dict[str, str] | None = None


class CodecService:
    """What the HTTP server does with one request (no sockets here, so it is tested directly too)."""

    def __init__(self, keyring: Keyring, tokens: TokenBook, roster: RosterLookup, *, cleared: bool,
                 ui_origins: Iterable[str]) -> None:
        self.cleared = cleared
        # A general endpoint never holds a natsec key, whatever keyring it was handed.
        self.keyring = keyring if cleared else keyring.restricted_to(Compartment.GENERAL)
        self.encrypts = Compartment.NATIONAL_SECURITY if cleared else Compartment.GENERAL
        self.keyring.active(self.encrypts)  # refuse to start without the key it encrypts with
        self.tokens = tokens
        self.roster = roster
        self.ui_origins = frozenset(ui_origins)

    def cors(self, origin: str | None) -> dict[str, str]:
        if origin not in self.ui_origins:
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, Authorization, X-Namespace",
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        }

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        cors = self.cors(headers.get("origin"))
        if method == "OPTIONS":
            return Answer(204 if cors else 403, headers=cors)
        token, operation = _token_and_operation(path, headers.get("authorization"))
        if method != "POST" or operation not in ("encode", "decode"):
            return Answer(404, {"error": "POST /encode or /decode"}, cors)
        refusal = self._refusal(token)
        if refusal is not None:
            return Answer(refusal[0], {"error": refusal[1]}, cors)
        try:
            payloads = ParseDict(json.loads(body or b"{}"), Payloads())
        except (ValueError, ParseError):
            return Answer(400, {"error": "the body is not {\"payloads\": [...]} JSON"}, cors)
        if operation == "encode":
            out = [encrypt(p, self.keyring, self.encrypts) for p in payloads.payloads]
        else:
            out = [self._decoded(p) for p in payloads.payloads]
        return Answer(200, MessageToDict(Payloads(payloads=out)), cors)

    def _decoded(self, payload):
        try:
            return decrypt(payload, self.keyring)
        except PayloadUndecryptable:  # a key this endpoint does not hold: the UI shows it encrypted
            return payload

    def _refusal(self, token: str | None) -> tuple[int, str] | None:
        if not token:
            return 401, "a bearer token is required"
        actor = self.tokens.actor(token)
        if actor is None:
            return 401, "unknown token"
        entry = self.roster(actor)
        if entry is None or not entry[0]:
            return 403, "the token's holder is not active on the roster"
        if self.cleared and "cleared" not in entry[1]:
            return 403, "this endpoint serves cleared people only"
        return None


def _token_and_operation(path: str, authorization: str | None) -> tuple[str | None, str]:
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    token = None
    if len(parts) == 3 and parts[0] == "t":
        token, parts = parts[1], parts[2:]
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip() or token
    return token, parts[0] if len(parts) == 1 else ""


def make_server(service: CodecService, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        server_version = "les-codec"
        sys_version = ""

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                answer = Answer(413, {"error": "too large"})
            else:
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    answer = service.handle(self.command, self.path, headers, body)
                except Exception:  # never a traceback to the caller; the log names no payload
                    answer = Answer(500, {"error": "the codec server failed"})
            data = json.dumps(answer.body).encode() if answer.body is not None else b""
            self.send_response(answer.status)
            for name, value in (answer.headers or {}).items():
                self.send_header(name, value)
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_OPTIONS = _serve

        def log_request(self, code: object = "-", size: object = "-") -> None:  # never the path: it may hold a token
            operation = self.path.split("?", 1)[0].rsplit("/", 1)[-1]
            sys.stderr.write(f"codec-server {self.command} {operation} {code}\n")

        def log_message(self, format: str, *args: object) -> None:  # request lines may hold a token
            return

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str]) -> int:
    from les.config import Settings
    from les.paths import state_file

    parser = argparse.ArgumentParser(prog="python -m les.codec_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8234)
    parser.add_argument("--cleared", action="store_true", help="hold the natsec keys; serve cleared people only")
    parser.add_argument("--ui-origin", action="append", default=[], help="the Web UI's origin (repeatable)")
    parser.add_argument("--tokens", help="the tokens file (default <state>/codec-tokens.json)")
    args = parser.parse_args(argv)
    origins = args.ui_origin or ["http://localhost:8233", "http://127.0.0.1:8233"]
    try:
        settings = Settings.from_env()
        keyring = Keyring.load(settings.keyring_dir)
        if not args.cleared:
            keyring = keyring.restricted_to(Compartment.GENERAL)
        tokens = TokenBook.load(Path(args.tokens) if args.tokens else state_file(settings.state_dir,
                                                                                  "codec-tokens.json"))
        service = CodecService(keyring, tokens, roster_lookup(settings.database_url), cleared=args.cleared,
                               ui_origins=origins)
        server = make_server(service, args.host, args.port)
    except (KeyringError, OSError, ValueError) as err:
        print(f"codec-server: {err}", file=sys.stderr)
        return 2
    kind = "cleared" if args.cleared else "general"
    print(f"codec-server ({kind}) on http://{args.host}:{args.port}, keys {keyring.key_ids}", file=sys.stderr,
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
