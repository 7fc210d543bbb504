"""Driving the product end to end as a person does: `starter.py` and the Temporal CLI as
processes, against a dev server and the real worker process (`worker.py`)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BIN, REPO, environ_without_les


def require_postgres(is_postgres: bool) -> None:
    """Skip outside CI when the records store under test is not PostgreSQL; fail in CI."""
    if is_postgres:
        return
    if os.environ.get("LES_REQUIRE_POSTGRES"):
        pytest.fail("LES_REQUIRE_POSTGRES is set but the records store under test is not PostgreSQL")
    pytest.skip("needs LES_TEST_DATABASE_URL=postgresql+psycopg2://... (CI sets it)")


def run(*command: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout)


@dataclass
class Terminal:
    """An analyst's shell: the environment `stack.py up` would give, pointing at the server under test."""

    address: str
    env: dict[str, str]
    folder: Path
    """Where request files are written and productions delivered (`deliveries/`)."""
    codec: Any = None
    """The codec servers (tests/codec_support.py): starter.py and the Temporal CLI go through them."""
    cleared_people: frozenset[str] = frozenset({"tnguyen", "rcruz", "dokafor"})
    """Who uses the cleared codec server (the demo roster's cleared people)."""
    tokens: dict[str, str] = field(default_factory=dict)
    """Each person's bearer token, as `starter.py token` first printed it (it lives an hour)."""

    @classmethod
    def for_server(cls, address: str, database_url: str, folder: Path, task_queue: str,
                   keyring_dir: Path, *, oidc: Any, codec: Any) -> Terminal:
        env = {
            **environ_without_les(),
            "LES_TEMPORAL_ADDRESS": address,
            "LES_DATABASE_URL": database_url,
            "LES_DELIVERY_ROOT": str(folder / "deliveries"),
            "LES_DOCUMENTS_ROOT": str(folder / "documents"),
            "LES_TASK_QUEUE": task_queue,
            "LES_BULK_TASK_QUEUE": f"{task_queue}-bulk",
            "LES_KEYRING_DIR": str(keyring_dir),
            "LES_SEAL_PUBLIC_KEYS_DIR": str(keyring_dir.parent / "seal"),
            **oidc.env,
            "LES_CODEC_URL": codec.general,
            "LES_CLEARED_CODEC_URL": codec.cleared,
        }
        return cls(address=address, env=env, folder=folder, codec=codec)

    @property
    def deliveries(self) -> Path:
        return self.folder / "deliveries"

    # ---- the commands ------------------------------------------------------------------------

    def starter(self, *args: str, person: str = "jdoe") -> subprocess.CompletedProcess[str]:
        """`python starter.py ARGS...`, signed in as `person` (each person has a session of their own)."""
        return run(sys.executable, "starter.py", *args, env=self.signed_in(person))

    def signed_in(self, person: str) -> dict[str, str]:
        """The environment of `person`'s shell, signed in (`starter.py login`) on first use."""
        from console.oidc_provider import development_password

        env = {**self.env, "LES_STATE_DIR": str(self.folder / "people" / person)}
        if not (self.folder / "people" / person / "session").exists():
            login = subprocess.run([sys.executable, "starter.py", "login", person, "--password-stdin"],
                                   input=development_password(person) + "\n", capture_output=True, text=True,
                                   env=env, cwd=REPO, timeout=60)
            assert login.returncode == 0, f"{person} could not sign in: {login.stderr}"
        return env

    def token(self, person: str) -> str:
        """`starter.py token` of `person`: the bearer token other clients (the Temporal CLI) pass on. Asked
        once per person, as a shell keeps `TOKEN=$(starter.py token)`: the token lives an hour, a test minutes."""
        if person not in self.tokens:
            shown = self.starter("token", person=person)
            assert shown.returncode == 0 and shown.stdout.strip(), shown.stderr
            self.tokens[person] = shown.stdout.strip()
        return self.tokens[person]

    def submit(self, document: dict[str, Any], person: str | None = None) -> subprocess.CompletedProcess[str]:
        """Write the document to a file, as it arrived, and `starter.py submit` it (a national security
        request as a cleared analyst: only the cleared codec server takes it)."""
        path = self.folder / f"{document['request_id']}.json"
        path.write_text(json.dumps(document, indent=2))
        national_security = document.get("type") in ("national_security_letter", "fisa_order")
        return self.starter("submit", str(path), person=person or ("tnguyen" if national_security else "jdoe"))

    def decide(self, decision: str, request_id: str, actor: str, role: str, note: str = "",
               **fields: str) -> subprocess.CompletedProcess[str]:
        """`starter.py <decision> ID --role R [--note N] [--set field=value ...]`, signed in as `actor`."""
        args = [decision.replace("_", "-"), request_id, "--role", role]
        if note:
            args += ["--note", note]
        for name, value in fields.items():
            args += ["--set", f"{name}={value}"]
        return self.starter(*args, person=actor)

    def temporal(self, *args: str, person: str = "jdoe") -> subprocess.CompletedProcess[str]:
        """The Temporal CLI of the virtual environment, at the server under test, through the codec
        server with `person`'s token (`--codec-endpoint URL --codec-auth "Bearer $(starter.py token)"`)."""
        endpoint = self.codec.cleared if person in self.cleared_people else self.codec.general
        codec = ["--codec-endpoint", endpoint, "--codec-auth", f"Bearer {self.token(person)}"]
        return run(str(BIN / "temporal"), *args, "--address", self.address, *codec, env=self.env)

    def update(self, request_id: str, name: str, payload: dict[str, Any],
               person: str | None = None) -> subprocess.CompletedProcess[str]:
        """`temporal workflow update execute --workflow-id case-ID --name NAME --input JSON`, the JSON
        naming its case; as `person` (default: the payload's actor)."""
        person = person or payload["actor"]
        return self.temporal("workflow", "update", "execute", "--workflow-id", f"case-{request_id}",
                             "--name", name, "--input", json.dumps({"case": request_id, **payload}), person=person)

    def signal(self, request_id: str, name: str, payload: dict[str, Any],
               person: str | None = None) -> subprocess.CompletedProcess[str]:
        """`temporal workflow signal --workflow-id case-ID --name NAME --input JSON`, as for `update`."""
        person = person or payload["actor"]
        return self.temporal("workflow", "signal", "--workflow-id", f"case-{request_id}",
                             "--name", name, "--input", json.dumps({"case": request_id, **payload}), person=person)

    # ---- reading the case ----------------------------------------------------------------------

    def status(self, request_id: str, actor: str | None = None) -> dict[str, Any]:
        shown = self.starter("status", request_id, "--json", person=actor or "jdoe")
        assert shown.returncode == 0, shown.stderr
        return json.loads(shown.stdout)

    def wait_for(self, request_id: str, state: str, seconds: float = 60, actor: str | None = None) -> dict[str, Any]:
        """Poll `starter.py status --json` (signed in as `actor`, for a cleared-only case) until the case is
        in `state`."""
        deadline = time.monotonic() + seconds
        while True:
            shown = self.starter("status", request_id, "--json", person=actor or "jdoe")
            if shown.returncode == 0:
                current = json.loads(shown.stdout)
                if current["state"] == state:
                    return current
            if time.monotonic() > deadline:
                tail = "\n".join(self.worker_output().splitlines()[-40:])
                raise AssertionError(f"{request_id} never reached {state}: {shown.stdout} {shown.stderr}\n{tail}")
            time.sleep(0.2)

    # ---- the worker --------------------------------------------------------------------------

    @contextmanager
    def worker(self):
        """`python worker.py` running on this terminal's settings, its output in `worker.log`."""
        with self.worker_log.open("w") as log:
            process = subprocess.Popen([sys.executable, str(REPO / "worker.py")], env=self.env, cwd=REPO,
                                       stdout=log, stderr=subprocess.STDOUT, text=True)
            try:
                yield process
            finally:
                process.terminate()
                process.wait(timeout=30)

    @property
    def worker_log(self) -> Path:
        return self.folder / "worker.log"

    def worker_output(self) -> str:
        return self.worker_log.read_text() if self.worker_log.exists() else ""

    def worker_logs(self) -> list[dict[str, Any]]:
        """The worker's JSON log lines so far."""
        return [json.loads(line) for line in self.worker_output().splitlines() if line.startswith("{")]


@contextmanager
def worked_terminal(server, database_url: str, folder: Path, task_queue: str, keyring_dir: Path, *, oidc: Any,
                    codec: Any):
    """A Terminal on `server` (a dev server environment) with `python worker.py` running on it."""
    address = server.client.service_client.config.target_host
    shell = Terminal.for_server(address, database_url, folder, task_queue, keyring_dir, oidc=oidc, codec=codec)
    with shell.worker():
        yield shell


def history_names(status: dict[str, Any]) -> list[str]:
    return [event["name"] for event in status["history"]]


def refused_events(status: dict[str, Any]) -> list[dict[str, Any]]:
    return [event for event in status["history"] if not event["accepted"]]


def checked_production(status: dict[str, Any], deliveries: Path, number: int = 1) -> dict[str, Any]:
    """The delivered production's manifest, after checking what a recipient would: the folder is where
    status says, the manifest's SHA-256 is the one status (and the certificate) names, and every file
    listed has the SHA-256 the manifest gives."""
    request_id = status["request_id"]
    folder = deliveries / request_id / f"{request_id}-P{number:02d}"
    production = status["production"]
    assert production is not None and Path(production["path"]) == folder, production
    assert status["productions"][-1] == production
    manifest_bytes = (folder / "manifest.json").read_bytes()
    manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    assert manifest_sha256 == production["manifest_sha256"]
    assert manifest_sha256 in (folder / "certificate_of_authenticity.txt").read_text()
    manifest = json.loads(manifest_bytes)
    for entry in manifest["files"]:
        assert hashlib.sha256((folder / entry["name"]).read_bytes()).hexdigest() == entry["sha256"], entry
    return manifest
