"""Nothing leaks (issue 23): every example request, of every type, driven through `worker.py` on a
dev server, and a failing activity of each kind through a worker set up the same way; then the
workers' logs and the dev server's state file are searched for every identifying value of the
examples (requesters, references, targets, the customer's account, the emergency's words) and of
the records they reach (subscribers' names, accounts, addresses, e-mails): 0 hits.

Temporal only ever sees payloads and failure messages encrypted (les/temporal.py, les/failures.py);
the logs carry ids, counts, hashes, and exceptions as codes and paths (les/logging.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from recordstore.models import Subscriber, TelephoneNumber
from tests.conftest import REPO, running_dev_server
from tests.e2e_support import Terminal, require_postgres, worked_terminal
from tests.workflow_support import dated, example

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]

EXAMPLES = sorted(p.stem for p in (REPO / "examples").glob("*.json"))
CLEARED = "tnguyen"
WAITING = {"awaiting_approval", "awaiting_info", "awaiting_callback", "awaiting_fee_acceptance", "preserved",
           "awaiting_follow_up", "closed"}
IDENTIFYING_PATHS = (
    ("requester", "name"), ("requester", "email"), ("requester", "phone"), ("requester", "agency"),
    ("legal_process", "reference"), ("legal_process", "signed_by"), ("customer", "account_number"),
    ("emergency", "justification"), ("emergency", "callback", "number"),
)
PLANTED = ("ZZ-310044", "Daniel Reyes", "+13035550123 Daniel Reyes")
"""Values the failing activities are given (an account not on file, a name as a request id)."""


def identifying_values(document: dict[str, Any]) -> set[str]:
    """What in a request names a person, a target or a legal process (6 characters or more: a
    shorter string matches by chance in a binary file)."""
    found: set[str] = set()
    for path in IDENTIFYING_PATHS:
        value: Any = document
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str):
            found.add(value)
    found |= {t["value"] for t in document.get("targets") or [] if isinstance(t.get("value"), str)}
    found |= {d["name"] for d in document.get("documents") or [] if isinstance(d.get("name"), str)}
    return {v for v in found if len(v) >= 6}


def record_values(engine, numbers: set[str]) -> set[str]:
    """The records the examples' telephone targets reach: who holds them, where, which account."""
    with Session(engine) as session:
        rows = session.execute(select(Subscriber).join(TelephoneNumber, TelephoneNumber.subscriber_id == Subscriber.id)
                               .where(TelephoneNumber.number.in_(numbers))).scalars().all()
    values = set()
    for s in rows:
        values |= {s.name, s.account_number, s.service_street, s.billing_street, s.email or ""}
    return {v for v in values if len(v) >= 6}


@pytest.fixture(scope="module")
async def server(is_postgres, keyring, tmp_path_factory):
    require_postgres(is_postgres)
    state = tmp_path_factory.mktemp("leaks-server") / "temporal.db"
    async with running_dev_server(keyring, database_file=state) as env:
        yield env


@pytest.fixture(scope="module")
def terminal(server, database_url, prepared_store, tmp_path_factory, keyring_dir, oidc_provider, codec_servers):
    with worked_terminal(server, database_url, tmp_path_factory.mktemp("leaks"), "les-leaks", keyring_dir,
                         oidc=oidc_provider, codec=codec_servers) as shell:
        yield shell


@pytest.fixture(scope="module")
def leak_worker(terminal):
    """tests/leak_worker.py: the product's activities and logging, and the FailEachKind workflow."""
    log_path = terminal.folder / "leak-worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "tests.leak_worker"], env=terminal.env, cwd=REPO,
                                   stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while "leak worker started" not in log_path.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield log_path
    finally:
        process.terminate()
        process.wait(timeout=30)


def settled(terminal: Terminal, request_id: str, seconds: float = 90) -> dict[str, Any]:
    """The case once verification is done and it waits on a person (or has closed)."""
    deadline = time.monotonic() + seconds
    while True:
        shown = terminal.starter("status", request_id, "--json", person=CLEARED)
        if shown.returncode == 0 and json.loads(shown.stdout)["state"] in WAITING:
            return json.loads(shown.stdout)
        assert time.monotonic() < deadline, f"{request_id}: {shown.stdout} {shown.stderr}"
        time.sleep(0.3)


def closed(terminal: Terminal, request_id: str, seconds: float = 120) -> dict[str, Any]:
    return terminal.wait_for(request_id, "closed", seconds=seconds, actor=CLEARED)


def failing_calls(hold_id: str, hold: dict[str, Any], now) -> list[dict[str, Any]]:
    """One activity call per kind of failure, each given identifying values to (not) repeat."""
    rid = "LEAK-FAIL-0001"
    subpoena = dated(example("subpoena", rid), now)
    broken = {**subpoena, "targets": [{"kind": "phone_number", "value": PLANTED[2]}]}
    other_targets = {**subpoena, "targets": [{"kind": "phone_number", "value": "+13035550123"}],
                     "period": hold["period"], "records": hold["records"]}
    retrieve = {"request_id": rid, "production_id": f"{rid}-P01", "category": "subscriber_info"}
    return [
        {"activity": "retrieve_records", "input": {**retrieve, "document": broken}},
        {"activity": "address_of_record", "input": {"request_id": rid, "account_number": PLANTED[0]}},
        {"activity": "accept_quote", "input": {"request_id": rid, "quote_id": f"Q-{PLANTED[0]}"}},
        {"activity": "deliver_production", "input": {"request_id": rid, "production_id": f"{rid}-P01",
                                                     "staging_dir": "/nowhere", "manifest_sha256": "0" * 64,
                                                     "file_count": 1, "row_count": 1}},
        {"activity": "package_production", "input": {
            "request_id": PLANTED[1], "production_no": 1, "produced_at": now.isoformat(), "document": subpoena,
            "files": [], "approved_by": {"analyst": "jdoe"}}},
        {"activity": "retrieve_records", "input": {**retrieve, "document": subpoena, "from_hold": "LEAK-NO-HOLD"}},
        {"activity": "retrieve_records", "input": {**retrieve, "category": hold["records"][0],
                                                   "document": other_targets, "from_hold": hold_id}},
        {"activity": "open_case", "input": {"request_id": rid, "request_type": "x" * 41, "workflow_id": f"wf-{rid}",
                                            "document": subpoena}},  # longer than the column: a database fault
    ]


def contents(paths: list[Path]) -> dict[str, bytes]:
    """Each file's bytes, read once. A file gone since it was listed (SQLite's journal, removed when
    its transaction commits) is left out: what it held is in the database by then."""
    read: dict[str, bytes] = {}
    for path in paths:
        try:
            read[path.name] = path.read_bytes()
        except FileNotFoundError:
            continue
    return read


def hits(files: dict[str, bytes], values: set[str]) -> dict[str, list[str]]:
    """Which value occurs in which file (as UTF-8 bytes)."""
    found: dict[str, list[str]] = {}
    for name, data in files.items():
        for value in values:
            if value.encode() in data:
                found.setdefault(value, []).append(name)
    return found


async def test_no_identifying_value_reaches_a_workers_log_or_the_servers_state(
        server, terminal, leak_worker, prepared_store):
    now = await server.get_current_time()
    documents = {name: dated(example(name, f"LEAK-{name.upper().replace('_', '-')[:20]}-1"), now)
                 for name in EXAMPLES}
    for document in documents.values():
        submitted = terminal.submit(document)
        assert submitted.returncode == 0, submitted.stderr
    shown = {name: settled(terminal, document["request_id"]) for name, document in documents.items()}
    assert {name: s["state"] for name, s in shown.items()} == {
        "court_order": "awaiting_approval", "customer_call_lookup": "awaiting_fee_acceptance",
        "emergency": "awaiting_callback", "fisa_order": "awaiting_approval",
        "national_security_letter": "awaiting_approval", "pen_register": "awaiting_approval",
        "preservation": "awaiting_approval", "search_warrant": "awaiting_approval",
        "subpoena": "awaiting_approval", "title3_wiretap": "awaiting_approval",
    }
    # Stored records retrieved, packaged and delivered; a hold placed; a customer's quote accepted.
    for name in ("subpoena", "search_warrant"):
        approved = terminal.decide("approve", documents[name]["request_id"], "jdoe", "analyst", note="in order")
        assert approved.returncode == 0, approved.stderr
    held = terminal.decide("approve", documents["preservation"]["request_id"], "jdoe", "analyst")
    assert held.returncode == 0, held.stderr
    quote = shown["customer_call_lookup"]["details"]["fee_quote"]["quote_id"]
    paid = terminal.decide("customer_accepts_fee", documents["customer_call_lookup"]["request_id"], "jdoe",
                           "analyst", quote_id=quote)
    assert paid.returncode == 0, paid.stderr
    for name in ("subpoena", "search_warrant", "customer_call_lookup"):
        assert closed(terminal, documents[name]["request_id"])["resolution"] == "delivered"
    hold_id = documents["preservation"]["request_id"]
    terminal.wait_for(hold_id, "preserved", actor=CLEARED)

    # A failing activity of each kind, through a worker set up as worker.py is.
    failures = await server.client.execute_workflow(
        "FailEachKind", failing_calls(hold_id, documents["preservation"], now), id=f"leaks-{uuid.uuid4()}",
        task_queue=f"{terminal.env['LES_TASK_QUEUE']}-leaks", result_type=list[str])
    assert failures == ["InvalidRequest", "InvalidRequest", "QuoteMismatch", "ProductionConflict", "UnsafePath",
                        "HoldUnavailable", "HoldScopeMismatch", "DataError"]

    values = set(PLANTED)
    for document in documents.values():
        values |= identifying_values(document)
    numbers = {t["value"] for d in documents.values() for t in d["targets"] if t["kind"] == "phone_number"}
    values |= record_values(prepared_store, numbers)
    assert {"Daniel Reyes", "CO-770123", "jane.roe@denvergov.org", "GJ-2026-0457", "+13035550123",
            "Maria Lopez", "CL-448812"} <= values  # the search looks for what a leak would show

    failed_logged = [line for line in leak_worker.read_text().splitlines() if "Completing activity as failed" in line]
    assert len(failed_logged) == len(failures)  # the SDK logged each failure…
    assert any("ApplicationError[InvalidRequest]" in line for line in failed_logged)
    assert any("DataError at " in line for line in failed_logged)  # …as codes and paths
    state_files = contents(sorted(server.database_file.parent.glob(server.database_file.name + "*")))
    assert state_files and all(state_files.values())
    blob = b"".join(state_files.values())
    assert b"retrieve_records" in blob and documents["subpoena"]["request_id"].encode() in blob  # the search reads it

    logs = contents([terminal.worker_log, leak_worker])
    assert len(logs) == 2, logs.keys()  # both logs are searched
    assert hits(logs, values) == {}, "a value reached a worker's log"
    assert hits(state_files, values) == {}, "a value reached the Temporal server's state in clear"
