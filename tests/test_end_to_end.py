"""End to end on the real dev server: the worker process, the PostgreSQL records store, and the
analyst's decision sent by the real `temporal workflow signal` command."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import datetime

import pytest

from tests.conftest import BIN, REPO, environ_without_les
from tests.workflow_support import dated, example

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]


def run(*command: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout)


async def test_subpoena_end_to_end_on_the_dev_server(
    dev_server, database_url, is_postgres, prepared_store, tmp_path, keyring_dir
):
    if not is_postgres:
        if os.environ.get("LES_REQUIRE_POSTGRES"):
            pytest.fail("LES_REQUIRE_POSTGRES is set but the records store under test is not PostgreSQL")
        pytest.skip("needs LES_TEST_DATABASE_URL=postgresql+psycopg2://... (CI sets it)")
    address = dev_server.client.service_client.config.target_host
    env = {
        **environ_without_les(),
        "LES_TEMPORAL_ADDRESS": address,
        "LES_DATABASE_URL": database_url,
        "LES_DELIVERY_ROOT": str(tmp_path / "deliveries"),
        "LES_DOCUMENTS_ROOT": str(tmp_path / "documents"),
        "LES_TASK_QUEUE": "les-e2e",
        "LES_KEYRING_DIR": str(keyring_dir),
        "LES_SEAL_PUBLIC_KEYS_DIR": str(keyring_dir.parent / "seal"),
    }
    document = dated(example("subpoena", "E2E-SUB-0001"), await dev_server.get_current_time())  # real time
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps(document))

    worker = subprocess.Popen([sys.executable, str(REPO / "worker.py")], env=env, cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        submitted = run(sys.executable, "starter.py", "submit", str(request_file), env=env)
        assert submitted.returncode == 0, submitted.stderr
        assert submitted.stdout.strip() == "case-E2E-SUB-0001"
        again = run(sys.executable, "starter.py", "submit", str(request_file), env=env)
        assert again.returncode == 1 and "already submitted" in again.stderr

        waiting = wait_for(env, "awaiting_approval")
        foreign = run(sys.executable, "starter.py", "verify-callback", "E2E-SUB-0001", "--actor", "jdoe",
                      "--role", "analyst", env=env)
        assert waiting["open_tasks"] == ["approval by analyst (approve / reject / request_info)"]

        signal = run(
            str(BIN / "temporal"), "workflow", "signal", "--address", address,
            "--workflow-id", "case-E2E-SUB-0001", "--name", "approve",
            "--input", json.dumps({"actor": "jdoe", "role": "analyst", "note": "in order"}),
            env=env,
        )
        assert signal.returncode == 0, signal.stderr
        closed = wait_for(env, "closed")
        text = run(sys.executable, "starter.py", "status", "E2E-SUB-0001", env=env)
        unknown = run(sys.executable, "starter.py", "status", "NO-SUCH-REQUEST", env=env)
        late = run(sys.executable, "starter.py", "reject", "E2E-SUB-0001", "--actor", "jdoe", "--role", "analyst",
                   env=env)
        nsl = run_nsl_to_delivery(env, await dev_server.get_current_time(), tmp_path)
    finally:
        worker.terminate()
        worker_output = worker.communicate(timeout=30)[0]

    assert closed["resolution"] == "delivered", worker_output
    assert [e["name"] for e in closed["history"]] == [
        "verified", "approve", "production_delivered", "invoiced", "closed"
    ]
    approval = closed["history"][1]
    assert (approval["actor"], approval["role"], approval["via"]) == ("jdoe", "analyst", "signal")
    folder = tmp_path / "deliveries" / "E2E-SUB-0001" / "E2E-SUB-0001-P01"
    manifest_bytes = (folder / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest_bytes).hexdigest() == closed["production"]["manifest_sha256"]
    for entry in json.loads(manifest_bytes)["files"]:
        assert hashlib.sha256((folder / entry["name"]).read_bytes()).hexdigest() == entry["sha256"]
    logs = [json.loads(line) for line in worker_output.splitlines() if line.startswith("{")]
    retrievals = [r for r in logs if r.get("activity") == "retrieve_records" and r["request_id"] == "E2E-SUB-0001"]
    assert len(retrievals) == 3, worker_output  # one per permitted category, none for the refused one
    assert all(r["request_id"] == "E2E-SUB-0001" and r["workflow_id"] == "case-E2E-SUB-0001" for r in retrievals)
    assert {r["category"] for r in retrievals} == {"subscriber_info", "call_records_outgoing", "call_records_incoming"}
    states = [r for r in logs if r.get("event") == "case state" and r.get("request_id") == "E2E-SUB-0001"]
    assert [r["state"] for r in states][-1] == "closed"
    assert all(r["temporal_workflow"]["workflow_id"] == "case-E2E-SUB-0001" for r in states)

    assert text.returncode == 0 and "closed (delivered)" in text.stdout
    assert unknown.returncode == 1 and "no such request" in unknown.stderr
    assert foreign.returncode == 1, foreign.stderr
    assert "verify_callback is not a decision a subpoena takes" in foreign.stderr
    assert late.returncode == 1 and "the case is closed; it takes no more decisions" in late.stderr


    # What the Temporal server keeps holds none of either case's people, numbers or references.
    server_state = b"".join(path.read_bytes() for path in dev_server.database_file.parent.glob("temporal.db*"))
    assert b"E2E-NSL-0001" in server_state and b"E2E-SUB-0001" in server_state  # the cases are there...
    for secret in ("+13035550123", "3035550123", "GJ-2026-0457", "Jane Roe", "jane.roe@denvergov.org",
                   "Denver Police Department", "7205550100", "Denver County Grand Jury",
                   "+12025550177", "2025550177", "NSL-26-0042", "nsl-wfo@fbi.gov", "Washington Field Office",
                   "2025550199", "Federal Bureau of Investigation", "NSL papers checked", "cleared by legal"):
        assert server_state.count(secret.encode()) == 0, secret  # ...and nothing identifying
        assert secret not in worker_output, secret  # nor in the worker's info-level log

    restricted, cleared = nsl
    assert restricted.returncode == 0, restricted.stderr
    assert restricted.stdout.splitlines() == [
        "national_security_letter E2E-NSL-0001: closed",
        "deadlines:",
        f"  - response_due: {datetime.fromisoformat(cleared['deadlines']['response_due']):%Y-%m-%dT%H:%M:%SZ}",
        "contents withheld: a national security case is shown only to cleared people "
        "(jdoe is not a cleared person on the roster)",
    ]
    assert cleared["resolution"] == "delivered"
    assert [(e["name"], e["actor"]) for e in cleared["history"] if e["name"] == "approve"] == [
        ("approve", "tnguyen"), ("approve", "rcruz")]


def run_nsl_to_delivery(env: dict[str, str], now, tmp_path) -> tuple[subprocess.CompletedProcess[str], dict]:
    """An NSL, submitted and approved by a cleared analyst and cleared legal with starter.py; what
    a non-cleared analyst's `status` shows of it, and the cleared analyst's full status."""
    request_file = tmp_path / "nsl.json"
    request_file.write_text(json.dumps(dated(example("national_security_letter", "E2E-NSL-0001"), now)))
    assert run(sys.executable, "starter.py", "submit", str(request_file), env=env).returncode == 0
    wait_for(env, "awaiting_approval", request_id="E2E-NSL-0001", actor="tnguyen")
    for actor, role, note in (("tnguyen", "analyst", "NSL papers checked"), ("rcruz", "legal", "cleared by legal")):
        decided = run(sys.executable, "starter.py", "approve", "E2E-NSL-0001", "--actor", actor, "--role", role,
                      "--note", note, env=env)
        assert decided.returncode == 0, decided.stderr
    cleared = wait_for(env, "closed", request_id="E2E-NSL-0001", actor="tnguyen")
    restricted = run(sys.executable, "starter.py", "status", "E2E-NSL-0001", "--actor", "jdoe", env=env)
    return restricted, cleared


def wait_for(env: dict[str, str], state: str, seconds: float = 60, request_id: str = "E2E-SUB-0001",
             actor: str | None = None) -> dict:
    deadline = time.monotonic() + seconds
    who = ["--actor", actor] if actor else []
    while True:
        shown = run(sys.executable, "starter.py", "status", request_id, "--json", *who, env=env)
        if shown.returncode == 0:
            current = json.loads(shown.stdout)
            settled = state != "closed" or current["history"][-1]["name"] == "closed"  # the close is filed
            if current["state"] == state and settled:
                return current
        if time.monotonic() > deadline:
            raise AssertionError(f"never reached {state}: {shown.stdout} {shown.stderr}")
        time.sleep(0.5)
