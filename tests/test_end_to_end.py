"""End to end on the real dev server: the worker process, the PostgreSQL records store, and the
analyst's decision sent by the real `temporal workflow signal` command."""

from __future__ import annotations

import pytest

from tests.e2e_support import Terminal, checked_production, require_postgres
from tests.workflow_support import dated, example

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]


async def test_subpoena_end_to_end_on_the_dev_server(
    dev_server, database_url, is_postgres, prepared_store, tmp_path
):
    require_postgres(is_postgres)
    address = dev_server.client.service_client.config.target_host
    terminal = Terminal.for_server(address, database_url, tmp_path, "les-e2e")
    document = dated(example("subpoena", "E2E-SUB-0001"), await dev_server.get_current_time())  # real time

    with terminal.worker():
        submitted = terminal.submit(document)
        assert submitted.returncode == 0, submitted.stderr
        assert submitted.stdout.strip() == "case-E2E-SUB-0001"
        again = terminal.submit(document)
        assert again.returncode == 1 and "already submitted" in again.stderr

        waiting = terminal.wait_for("E2E-SUB-0001", "awaiting_approval")
        foreign = terminal.decide("verify_callback", "E2E-SUB-0001", "jdoe", "analyst")
        assert waiting["open_tasks"] == ["approval by analyst (approve / reject / request_info)"]

        signal = terminal.signal("E2E-SUB-0001", "approve", {"actor": "jdoe", "role": "analyst", "note": "in order"})
        assert signal.returncode == 0, signal.stderr
        closed = terminal.wait_for("E2E-SUB-0001", "closed")
        text = terminal.starter("status", "E2E-SUB-0001")
        unknown = terminal.starter("status", "NO-SUCH-REQUEST")
        late = terminal.decide("reject", "E2E-SUB-0001", "jdoe", "analyst")
    worker_output = terminal.worker_output()

    assert closed["resolution"] == "delivered", worker_output
    assert [e["name"] for e in closed["history"]] == [
        "verified", "approve", "production_delivered", "invoiced", "closed"
    ]
    approval = closed["history"][1]
    assert (approval["actor"], approval["role"], approval["via"]) == ("jdoe", "analyst", "signal")
    checked_production(closed, terminal.deliveries)
    logs = terminal.worker_logs()
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

