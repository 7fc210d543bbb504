"""End to end on the real dev server: the worker process, the PostgreSQL records store, and the
analyst's decision sent by the real `temporal workflow signal` command."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import BIN, REPO, environ_without_les
from tests.workflow_support import dated, example

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]


def run(*command: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout)


async def test_subpoena_end_to_end_on_the_dev_server(
    dev_server, database_url, is_postgres, prepared_store, tmp_path
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
    retrievals = [r for r in logs if r.get("activity") == "retrieve_records"]
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


def wait_for(env: dict[str, str], state: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        shown = run(sys.executable, "starter.py", "status", "E2E-SUB-0001", "--json", env=env)
        if shown.returncode == 0:
            current = json.loads(shown.stdout)
            if current["state"] == state:
                return current
        if time.monotonic() > deadline:
            raise AssertionError(f"never reached {state}: {shown.stdout} {shown.stderr}")
        time.sleep(0.5)
