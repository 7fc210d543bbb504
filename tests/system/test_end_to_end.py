"""The README's walk-through, end to end on the real dev server, as each demo person runs it: the
worker process, the PostgreSQL records store, the real OIDC provider where each person signs in
(`starter.py login`), and the real codec servers every client goes through with that person's token
(SPEC §6). jdoe approves sample subpoenas from `starter.py`, from `temporal workflow signal` and from
`temporal workflow update execute` (both with --codec-endpoint/--codec-auth); tnguyen and rcruz approve
the NSL, jdoe's and kpatel's attempts are refused; jdoe cannot read the NSL by `starter.py status` nor
by `temporal workflow query/describe` through the general codec server."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest

from tests.e2e_support import Terminal, checked_production, history_names, require_postgres
from tests.workflow_support import dated, example

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]

NSL_SECRETS = ("+12025550177", "2025550177", "NSL-26-0042", "nsl-wfo@fbi.gov", "Washington Field Office",
               "2025550199", "Federal Bureau of Investigation", "NSL papers checked", "cleared by legal")
"""What examples/national_security_letter.json (and its approvers' notes) hold that identifies anyone."""
SUBPOENA_SECRETS = ("+13035550123", "3035550123", "GJ-2026-0457", "Jane Roe", "jane.roe@denvergov.org",
                    "Denver Police Department", "7205550100", "Denver County Grand Jury")
"""The same for examples/subpoena.json."""


def settled(terminal: Terminal, request_id: str, state: str, actor: str = "jdoe") -> dict[str, Any]:
    """The case in `state`; for `closed`, once the close itself is filed (the history's last event)."""
    deadline = time.monotonic() + 60
    while True:
        current = terminal.wait_for(request_id, state, actor=actor)
        if state != "closed" or current["history"][-1]["name"] == "closed":
            return current
        assert time.monotonic() < deadline, current["history"]
        time.sleep(0.3)


async def test_the_readme_walk_through_as_each_person(dev_server, database_url, is_postgres, prepared_store,
                                                      tmp_path, keyring_dir, oidc_provider, codec_servers):
    require_postgres(is_postgres)
    address = dev_server.client.service_client.config.target_host
    terminal = Terminal.for_server(address, database_url, tmp_path, "les-e2e", keyring_dir,
                                   oidc=oidc_provider, codec=codec_servers)
    now = await dev_server.get_current_time()  # real time
    with terminal.worker():
        # ---- the sample subpoena, approved by jdoe with `temporal workflow signal` through the codec server
        document = dated(example("subpoena", "E2E-SUB-0001"), now)
        submitted = terminal.submit(document)
        assert submitted.returncode == 0, submitted.stderr
        assert submitted.stdout.strip() == "case-E2E-SUB-0001"
        again = terminal.submit(document)
        assert again.returncode == 1 and "already submitted" in again.stderr

        waiting = terminal.wait_for("E2E-SUB-0001", "awaiting_approval")
        foreign = terminal.decide("verify_callback", "E2E-SUB-0001", "jdoe", "analyst")
        signal = terminal.signal("E2E-SUB-0001", "approve", {"actor": "jdoe", "role": "analyst", "note": "in order"})
        assert signal.returncode == 0, signal.stderr
        closed = settled(terminal, "E2E-SUB-0001", "closed")
        text = terminal.starter("status", "E2E-SUB-0001")
        unknown = terminal.starter("status", "NO-SUCH-REQUEST")
        late = terminal.decide("reject", "E2E-SUB-0001", "jdoe", "analyst")

        # ---- the same from starter.py, and from `temporal workflow update execute --name approve_sync`
        by_starter, by_update = "E2E-SUB-0002", "E2E-SUB-0003"
        for request_id in (by_starter, by_update):
            assert terminal.submit(dated(example("subpoena", request_id), now)).returncode == 0
            terminal.wait_for(request_id, "awaiting_approval")
        from_starter = terminal.decide("approve", by_starter, "jdoe", "analyst", note="in order")
        # issue 20: this exited 1 ("payload encoding is not supported") even when the decision was
        # accepted; through the codec server the CLI reads the encrypted answer and exits 0.
        from_update = terminal.update(by_update, "approve_sync", {"actor": "jdoe", "role": "analyst",
                                                                  "note": "in order"})
        closed_by_starter = settled(terminal, by_starter, "closed")
        closed_by_update = settled(terminal, by_update, "closed")

        # ---- the NSL: tnguyen and rcruz approve; jdoe and kpatel are refused; jdoe reads nothing of it
        nsl = run_nsl_to_delivery(terminal, now)
    worker_output = terminal.worker_output()

    assert waiting["open_tasks"] == ["approval by analyst (approve / reject / request_info)"]
    assert closed["resolution"] == "delivered", worker_output
    assert history_names(closed) == ["verified", "approve", "production_delivered", "invoiced", "closed"]
    approval = closed["history"][1]
    assert (approval["actor"], approval["role"], approval["via"], approval["note"]) == (
        "jdoe", "analyst", "signal", "in order")
    manifest = checked_production(closed, terminal.deliveries)
    assert manifest["approved_by"] == {"analyst": "jdoe"}
    logs = terminal.worker_logs()
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

    assert from_starter.returncode == 0, from_starter.stderr
    assert "approved: retrieving the permitted records" in from_starter.stdout
    assert from_update.returncode == 0, from_update.stderr
    assert "approved: retrieving the permitted records" in from_update.stdout
    for shown, via in ((closed_by_starter, "update"), (closed_by_update, "update")):
        assert shown["resolution"] == "delivered"
        assert [(e["name"], e["actor"], e["role"], e["via"]) for e in shown["history"] if e["name"] == "approve"] \
            == [("approve", "jdoe", "analyst", via)]
        assert checked_production(shown, terminal.deliveries)["approved_by"] == {"analyst": "jdoe"}

    # What the Temporal server keeps holds none of the cases' people, numbers or references.
    server_state = b"".join(path.read_bytes() for path in dev_server.database_file.parent.glob("temporal.db*"))
    assert b"E2E-NSL-0001" in server_state and b"E2E-SUB-0001" in server_state  # the cases are there...
    for secret in SUBPOENA_SECRETS + NSL_SECRETS:
        assert server_state.count(secret.encode()) == 0, secret  # ...and nothing identifying
        assert secret not in worker_output, secret  # nor in the worker's info-level log

    cleared = nsl["cleared"]
    assert cleared["resolution"] == "delivered"
    assert [(e["name"], e["actor"], e["role"]) for e in cleared["history"] if e["name"] == "approve"] == [
        ("approve", "tnguyen", "analyst"), ("approve", "rcruz", "legal")]
    assert [e for e in cleared["history"] if not e["accepted"]] == []  # the uncleared never reached the case
    assert checked_production(cleared, terminal.deliveries)["approved_by"] == {"analyst": "tnguyen", "legal": "rcruz"}

    by_jdoe, by_kpatel = nsl["jdoe approves"], nsl["kpatel approves"]
    assert (by_jdoe.returncode, by_jdoe.stdout) == (1, ""), by_jdoe.stderr
    assert "jdoe is not cleared: this endpoint serves cleared people only" in by_jdoe.stderr
    assert by_kpatel.returncode != 0
    assert "its decisions and documents go only through the cleared codec server" in \
        by_kpatel.stderr + by_kpatel.stdout

    restricted = nsl["jdoe status"]
    assert restricted.returncode == 0, restricted.stderr
    assert restricted.stdout.splitlines() == [
        "national_security_letter E2E-NSL-0001: closed",
        "deadlines:",
        f"  - response_due: {datetime.fromisoformat(cleared['deadlines']['response_due']):%Y-%m-%dT%H:%M:%SZ}",
        "contents withheld: a national security case is shown only to cleared people "
        "(jdoe, signed in, is not a cleared person on the roster)",
    ]
    # The Temporal CLI through the general codec server, with jdoe's token: the payloads stay encrypted.
    for name in ("jdoe query", "jdoe describe"):
        shown = nsl[name]
        everything = shown.stdout + shown.stderr
        for secret in (*NSL_SECRETS, "tnguyen", "rcruz", "national_security_letter\""):
            assert secret not in everything, (name, secret, everything)
        assert shown.returncode == 0, shown.stderr
    # The query's answer is shown as the server holds it: still under the natsec key (the base64 of
    # `binary/encrypted` and of `natsec-v1`, as the CLI prints a payload it could not decode).
    query = nsl["jdoe query"].stdout
    assert query.startswith("Query result:\n") and '"encoding":"YmluYXJ5L2VuY3J5cHRlZA=="' in query, query
    assert '"encryption-key-id":"bmF0c2VjLXYx"' in query, query


def run_nsl_to_delivery(terminal: Terminal, now) -> dict[str, Any]:
    """An NSL submitted by tnguyen; jdoe (starter.py) and kpatel (the Temporal CLI) try to approve it;
    tnguyen and rcruz approve with starter.py; then what jdoe reads of it by starter.py and by the CLI."""
    assert terminal.submit(dated(example("national_security_letter", "E2E-NSL-0001"), now)).returncode == 0
    terminal.wait_for("E2E-NSL-0001", "awaiting_approval", actor="tnguyen")
    seen: dict[str, Any] = {
        "jdoe approves": terminal.decide("approve", "E2E-NSL-0001", "jdoe", "analyst", note="not mine to give"),
        "kpatel approves": terminal.update("E2E-NSL-0001", "approve_sync",
                                           {"actor": "kpatel", "role": "legal", "note": "not mine to give"}),
    }
    for actor, role, note in (("tnguyen", "analyst", "NSL papers checked"), ("rcruz", "legal", "cleared by legal")):
        decided = terminal.decide("approve", "E2E-NSL-0001", actor, role, note=note)
        assert decided.returncode == 0, decided.stderr
    seen["cleared"] = settled(terminal, "E2E-NSL-0001", "closed", actor="tnguyen")
    seen["jdoe status"] = terminal.starter("status", "E2E-NSL-0001", person="jdoe")
    seen["jdoe query"] = terminal.temporal("workflow", "query", "--workflow-id", "case-E2E-NSL-0001",
                                           "--name", "status", person="jdoe")
    seen["jdoe describe"] = terminal.temporal("workflow", "describe", "--workflow-id", "case-E2E-NSL-0001",
                                              person="jdoe")
    return seen
