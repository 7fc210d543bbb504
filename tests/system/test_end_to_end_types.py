"""Every stored-records type end to end, as a person runs it: one dev server and one real worker
process for the module, the PostgreSQL records store, requests built from examples/ under fresh
ids and dated now, driven only through `starter.py` (submit, status --json, the decisions with
--set) and the Temporal CLI (`temporal workflow update execute --name approve_sync ...`).

Each case runs to its SPEC §3 close and is checked the way a user checks it: exit codes, the
state and resolution `status --json` shows, the refusals' messages, and the production's files
against the manifest hash that status names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.conftest import running_dev_server
from tests.e2e_support import (
    Terminal,
    checked_production,
    history_names,
    refused_events,
    require_postgres,
    worked_terminal,
)
from tests.workflow_support import dated, example

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]

DIRECTORY_NUMBER = "+16025346311"
"""Phoenix Police Department's number in the agency directory (examples/emergency.json's agency)."""


@pytest.fixture(scope="module")
async def server(is_postgres, keyring):
    require_postgres(is_postgres)
    async with running_dev_server(keyring) as env:
        yield env


@pytest.fixture(scope="module")
def terminal(server, database_url, prepared_store, tmp_path_factory, keyring_dir, oidc_provider, codec_servers):
    """A shell pointed at the module's dev server, with `python worker.py` running; each person signs
    in (`starter.py login`) and the Temporal CLI goes through the codec servers with their token."""
    with worked_terminal(server, database_url, tmp_path_factory.mktemp("e2e-types"), "les-e2e-types", keyring_dir,
                         oidc=oidc_provider, codec=codec_servers) as shell:
        yield shell


async def paper(server, name: str, request_id: str, **changes: Any) -> dict[str, Any]:
    """examples/<name>.json under a fresh id, received now (the dev server's clock is real time)."""
    return dated(example(name, request_id, **changes), await server.get_current_time())


async def now_text(server) -> str:
    return (await server.get_current_time()).isoformat()


def submitted(terminal: Terminal, document: dict[str, Any]) -> None:
    done = terminal.submit(document)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"case-{document['request_id']}"


def accepted(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(result, message: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert message in result.stderr, result.stderr


def approval_by(actor: str, role: str, note: str = "in order") -> dict[str, str]:
    return {"actor": actor, "role": role, "note": note}


async def test_customer_call_lookup_pin_quote_and_acceptance(server, terminal):
    request_id = "E2E-CCL-0001"
    submitted(terminal, await paper(server, "customer_call_lookup", request_id))

    quoted = terminal.wait_for(request_id, "awaiting_fee_acceptance")  # the PIN matched: no approval asked
    quote = quoted["details"]["fee_quote"]
    assert quoted["details"]["authentication"]["verified"] is True
    assert quoted["approvals_required"] == []
    assert "fee_quote_expires_at" in quoted["deadlines"]
    assert quoted["open_tasks"] == [
        f"customer_accepts_fee by an analyst once the customer accepts quote {quote['quote_id']}"
    ]
    shown = accepted(terminal.starter("status", request_id))
    assert "customer identity: account_pin, confirmed" in shown
    assert f"fee quote: {quote['quote_id']}: {quote['amount_cents'] / 100:.2f} USD" in shown
    assert "not accepted yet" in shown

    refused(terminal.decide("customer_accepts_fee", request_id, "jdoe", "analyst", quote_id="Q-SOMEONE-ELSE"),
            f"quote Q-SOMEONE-ELSE is not this request's quote ({quote['quote_id']})")
    refused(terminal.decide("customer_accepts_fee", request_id, "mlee", "supervisor", quote_id=quote["quote_id"]),
            "role supervisor may not customer_accepts_fee")
    accepted(terminal.decide("customer_accepts_fee", request_id, "jdoe", "analyst",
                             note="customer accepted by phone", quote_id=quote["quote_id"]))

    closed = terminal.wait_for(request_id, "closed")
    assert closed["resolution"] == "delivered"
    manifest = checked_production(closed, terminal.deliveries)
    assert manifest["approved_by"] == {"analyst": "jdoe"}
    assert [f["name"] for f in manifest["files"] if f["name"].endswith(".csv") and "legend" not in f["name"]] == [
        "call_records_outgoing.csv"
    ]
    assert closed["invoice"]["total_cents"] == quote["amount_cents"]
    assert "mailed_to_address_of_record" in history_names(closed)


async def test_search_warrant_approved_from_the_temporal_cli(server, terminal):
    request_id = "E2E-SW-0001"
    submitted(terminal, await paper(server, "search_warrant", request_id))
    waiting = terminal.wait_for(request_id, "awaiting_approval")
    assert waiting["open_tasks"] == ["approval by analyst (approve / reject / request_info)"]

    answer = terminal.update(request_id, "approve_sync", approval_by("asmith", "analyst"))
    assert answer.returncode == 0, answer.stderr
    assert "approved: retrieving the permitted records" in answer.stdout

    closed = terminal.wait_for(request_id, "closed")
    assert closed["resolution"] == "delivered"
    manifest = checked_production(closed, terminal.deliveries)
    produced = {f["name"] for f in manifest["files"]}
    assert {"voicemail_content.csv", "cell_site_location.csv", "e911_records.csv"} <= produced
    assert manifest["refused_categories"] == []
    assert [e["name"] for e in closed["history"] if e["actor"] == "asmith"] == ["approve"]


async def test_emergency_callback_two_approvals_then_court_order_follow_up(server, terminal):
    request_id, follow_up_id = "E2E-EMR-0001", "E2E-CO-0001"
    submitted(terminal, await paper(server, "emergency", request_id))
    waiting = terminal.wait_for(request_id, "awaiting_callback")
    assert waiting["open_tasks"] == [
        "verify_callback by an analyst: call the agency back on its number in the agency directory"
    ]
    refused(terminal.decide("approve", request_id, "jdoe", "analyst"),
            "approve is not possible now: the case is awaiting_callback")

    requester_phone = "+16025550123"  # the number the requester gave: never good enough
    refused(terminal.decide("verify_callback", request_id, "jdoe", "analyst",
                            number=requester_phone, verified_at=await now_text(server)),
            f"{requester_phone} is not the agency's number in the agency directory ({DIRECTORY_NUMBER})")
    accepted(terminal.decide("verify_callback", request_id, "jdoe", "analyst", note="spoke to the watch commander",
                             number=DIRECTORY_NUMBER, verified_at=await now_text(server)))

    verified = terminal.wait_for(request_id, "awaiting_approval")
    assert verified["details"]["callback_verified"] == DIRECTORY_NUMBER
    assert "callback_flagged" in history_names(verified)  # the refused number went to a supervisor
    assert "still awaiting: supervisor" in accepted(terminal.decide("approve", request_id, "jdoe", "analyst"))
    refused(terminal.decide("approve", request_id, "asmith", "analyst"),
            "the analyst approval was already given by jdoe")
    answer = terminal.update(request_id, "approve_sync", approval_by("mlee", "supervisor", "life at risk"))
    assert answer.returncode == 0, answer.stderr

    delivered = terminal.wait_for(request_id, "awaiting_follow_up")
    assert delivered["resolution"] is None
    manifest = checked_production(delivered, terminal.deliveries)
    assert manifest["approved_by"] == {"analyst": "jdoe", "supervisor": "mlee"}
    assert delivered["invoice"]["total_cents"] == 0  # emergency requests are not charged
    assert "follow_up_legal_process_due" in delivered["deadlines"]

    submitted(terminal, await paper(server, "court_order", follow_up_id, follow_up_of=request_id))
    followed = terminal.wait_for(request_id, "closed")
    assert followed["resolution"] == "delivered"
    assert followed["details"]["follow_ups"] == [follow_up_id]
    assert followed["history"][-1]["note"] == f"delivered: followed up by {follow_up_id}"
    shown = accepted(terminal.starter("status", request_id))
    assert f"callback: {DIRECTORY_NUMBER}" in shown and f"followed up by: {follow_up_id}" in shown

    terminal.wait_for(follow_up_id, "awaiting_approval")
    accepted(terminal.decide("approve", follow_up_id, "jdoe", "analyst"))
    order = terminal.wait_for(follow_up_id, "closed")
    assert order["resolution"] == "delivered"
    assert "follow_up_of_linked" in history_names(order)
    manifest = checked_production(order, terminal.deliveries)
    assert [r["category"] for r in manifest["refused_categories"]] == ["cell_site_location"]


@pytest.mark.parametrize("kind", ["national_security_letter", "fisa_order"])
async def test_national_security_cases_take_decisions_only_from_cleared_actors(server, terminal, kind):
    request_id = {"national_security_letter": "E2E-NSL-0001", "fisa_order": "E2E-FISA-0001"}[kind]
    submitted(terminal, await paper(server, kind, request_id))
    waiting = terminal.wait_for(request_id, "awaiting_approval", actor="tnguyen")
    assert waiting["approvals_required"] == ["analyst", "legal"]
    assert waiting["open_tasks"][0] == "approval by analyst (cleared) (approve / reject / request_info)"

    # Compartments are keys: a person who is not cleared cannot even seal a decision for the case.
    refused(terminal.decide("approve", request_id, "jdoe", "analyst"),
            "jdoe is not cleared: this endpoint serves cleared people only")
    from_cli = terminal.update(request_id, "approve_sync", approval_by("kpatel", "legal"))
    assert from_cli.returncode != 0
    assert "its decisions and documents go only through the cleared codec server" in from_cli.stderr + from_cli.stdout
    refused(terminal.decide("reject", request_id, "asmith", "analyst", note="not ours"),
            "asmith is not cleared: this endpoint serves cleared people only")
    # and tnguyen cannot approve twice: there is no other name to type
    accepted(terminal.decide("approve", request_id, "tnguyen", "analyst"))
    refused(terminal.decide("approve", request_id, "tnguyen", "legal"), "tnguyen already approved this request; a "
            "second approval must come from another person (separation of duties)")
    twice = terminal.update(request_id, "approve_sync", {"actor": "rcruz", "role": "analyst"}, person="tnguyen")
    assert twice.returncode != 0 and "was sealed for tnguyen, who signed in" in twice.stderr + twice.stdout

    answer = terminal.update(request_id, "approve_sync", approval_by("rcruz", "legal"))
    assert answer.returncode == 0, answer.stderr

    closed = terminal.wait_for(request_id, "closed", actor="rcruz")
    assert closed["resolution"] == "delivered"
    assert closed["approvals"] == {"analyst": "tnguyen", "legal": "rcruz"}
    # Nobody uncleared reached the case, and tnguyen's second tries were refused by the updates' validator,
    # before anything was written: the case's history holds no refusal.
    assert refused_events(closed) == []
    manifest = checked_production(closed, terminal.deliveries)
    assert manifest["approved_by"] == {"analyst": "tnguyen", "legal": "rcruz"}
    if kind == "national_security_letter":
        assert closed["invoice"]["total_cents"] == 0  # no charge for an NSL
        assert [r["category"] for r in manifest["refused_categories"]] == ["billing_records"]


async def test_preservation_released_on_withdrawal(server, terminal):
    request_id = "E2E-PRS-0001"
    submitted(terminal, await paper(server, "preservation", request_id))
    terminal.wait_for(request_id, "awaiting_approval")
    answer = terminal.update(request_id, "approve_sync", approval_by("jdoe", "analyst"))
    assert answer.returncode == 0, answer.stderr

    held = terminal.wait_for(request_id, "preserved")
    assert held["details"]["hold"]["expires_at"] is not None
    assert "hold_expires_at" in held["deadlines"]
    assert held["production"] is None  # preservation discloses nothing
    refused(terminal.decide("withdraw", request_id, "jdoe", "analyst"),
            "withdraw: the decision needs a non-empty `note`")
    accepted(terminal.decide("withdraw", request_id, "jdoe", "analyst", note="agency dropped the investigation"))

    released = terminal.wait_for(request_id, "closed")
    assert released["resolution"] == "hold_released"
    assert released["productions"] == [] and released["invoice"] is None
    refused(terminal.decide("approve", request_id, "asmith", "analyst"), "the case is closed")


async def test_subpoena_produces_from_a_renewed_preservation_hold(server, terminal):
    hold_id, request_id = "E2E-PRS-0002", "E2E-SUB-0101"
    preservation = await paper(server, "preservation", hold_id)
    submitted(terminal, preservation)
    terminal.wait_for(hold_id, "awaiting_approval")
    accepted(terminal.decide("approve", hold_id, "jdoe", "analyst"))
    held = terminal.wait_for(hold_id, "preserved")

    renewed = accepted(terminal.decide("record_extension", hold_id, "asmith", "analyst",
                                       renewal_received_at=await now_text(server)))
    assert "renewed: the hold now runs to" in renewed
    refused(terminal.decide("record_extension", hold_id, "asmith", "analyst",
                            renewal_received_at=await now_text(server)),
            "allows one 90-day renewal, already recorded")
    after = terminal.status(hold_id)
    assert after["details"]["renewals"] == 1
    shown = accepted(terminal.starter("status", hold_id))
    assert "hold: active until " in shown and "renewals: 1 of 1" in shown
    assert "record_extension by asmith/analyst via update [renewal_received_at=" in shown
    first, second = (datetime.fromisoformat(s["deadlines"]["hold_expires_at"]) for s in (held, after))
    assert (second - first).days == 90

    # A Travis County grand jury subpoena for exactly what the Austin police asked to preserve.
    subpoena = example("subpoena", request_id, preservation_ref=hold_id, targets=preservation["targets"],
                       period=preservation["period"], records=preservation["records"])
    subpoena["legal_process"].update(jurisdiction="state:TX", issued_by="Travis County Grand Jury")
    submitted(terminal, dated(subpoena, await server.get_current_time()))
    terminal.wait_for(request_id, "awaiting_approval")
    answer = terminal.update(request_id, "approve_sync", approval_by("jdoe", "analyst"))
    assert answer.returncode == 0, answer.stderr

    closed = terminal.wait_for(request_id, "closed")
    assert closed["resolution"] == "delivered"
    manifest = checked_production(closed, terminal.deliveries)
    rows = {f["name"]: f["rows"] for f in manifest["files"]}
    assert {f"{category}.csv": n for category, n in held["details"]["hold"]["rows_per_category"].items()} == {
        name: n for name, n in rows.items() if name.endswith(".csv") and name != "field_legend.csv"
    }
    assert "preservation_ref_linked" in history_names(closed)

    produced = terminal.wait_for(hold_id, "closed")
    assert produced["resolution"] == "produced"
    assert produced["history"][-1]["note"] == f"produced: produced for {request_id}"

