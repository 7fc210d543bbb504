"""Every stored-records type on the time-skipping server, to its SPEC §3 close: the happy path,
the refusals that matter for it, and the clock that matters passing with nobody acting."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.client import WorkflowUpdateFailedError

from domain.case import CaseState, DecisionReceipt, Resolution
from recordstore.models import Invoice, Notification
from tests.workflow_support import dated, decision, example, finish, running_worker, status, submit, wait_for_state

S = CaseState
DIRECTORY_NUMBER = "+16025346311"  # Phoenix PD's number in the carrier's agency directory


async def start(env, settings, name: str, request_id: str, **changes):
    document = dated(example(name, request_id, **changes), await env.get_current_time())
    return await submit(env.client, settings, document)


async def now_text(env) -> str:
    """The server's clock now, as a decision's timestamp field."""
    return (await env.get_current_time()).isoformat()


async def decide(handle, update: str, payload: dict) -> DecisionReceipt:
    return await handle.execute_update(update, payload, result_type=DecisionReceipt)


async def wait_for_detail(handle, key: str):
    for _ in range(300):
        current = await status(handle)
        if key in current.details:
            return current
        await asyncio.sleep(0.1)
    raise AssertionError(f"{key} never shown: {current}")


async def refused(handle, update: str, payload: dict) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update(update, payload)
    return str(failed.value.cause)


def header(folder: Path, name: str) -> list[str]:
    with open(folder / name, newline="") as handle:
        return next(csv.reader(handle))


def delivered_files(outcome) -> dict[str, dict]:
    folder = Path(outcome.production.path)
    manifest_bytes = (folder / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest_bytes).hexdigest() == outcome.production.manifest_sha256
    return {f["name"]: f for f in json.loads(manifest_bytes)["files"]}


def invoice_of(engine, request_id: str) -> Invoice:
    with Session(engine) as session:
        return session.scalar(select(Invoice).where(Invoice.request_id == request_id))


def notifications(engine, request_id: str) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.scalars(select(Notification).where(Notification.request_id == request_id))
        return {n.kind: n.recipient_role for n in rows}


# ---- 2703(d) order and search warrant ---------------------------------------------------------------


async def test_a_court_order_produces_its_scope_and_e911_without_location(time_skipping_env, settings, prepared_store):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await start(env, settings, "court_order", "TS-CO-1")
        waiting = await wait_for_state(handle, S.AWAITING_APPROVAL)
        assert [r["category"] for r in waiting.refused] == ["cell_site_location"]
        assert await refused(handle, "approve_sync", decision(actor="mlee", role="supervisor")) == (
            "DecisionRefused: role supervisor may not approve (allowed: analyst)")
        assert (await decide(handle, "approve_sync", decision())).accepted
        outcome = await finish(env, handle)

    assert outcome.resolution is Resolution.DELIVERED
    files = delivered_files(outcome)
    assert sorted(files) == ["billing_records.csv", "call_records_outgoing.csv", "e911_records.csv",
                             "field_legend.csv", "records_as_text.xlsx", "subscriber_info.csv",
                             "voicemail_metadata.csv"]
    columns = header(Path(outcome.production.path), "e911_records.csv")
    assert not {"latitude", "longitude"} & set(columns), columns  # 2703(d): no location fields


async def test_a_search_warrant_produces_content_and_location(time_skipping_env, settings, prepared_store):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await start(env, settings, "search_warrant", "TS-SW-1")
        await wait_for_state(handle, S.AWAITING_APPROVAL)
        await decide(handle, "approve_sync", decision())
        outcome = await finish(env, handle)

    files = delivered_files(outcome)
    assert {"voicemail_content.csv", "cell_site_location.csv", "e911_records.csv"} <= set(files)
    assert {"latitude", "longitude"} <= set(header(Path(outcome.production.path), "e911_records.csv"))


# ---- national security letters and FISA: cleared actors only -------------------------------------------


async def test_an_nsl_takes_decisions_only_from_cleared_people_and_costs_nothing(
    time_skipping_env, settings, prepared_store
):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await start(env, settings, "national_security_letter", "TS-NSL-1")
        await wait_for_state(handle, S.AWAITING_APPROVAL)
        uncleared = await refused(handle, "approve_sync", decision(actor="jdoe"))
        uncleared_reject = await refused(handle, "reject_sync", decision(actor="kpatel", role="legal"))
        await decide(handle, "approve_sync", decision(actor="tnguyen"))
        same_person = await refused(handle, "approve_sync", decision(actor="tnguyen", role="legal"))
        current = await status(handle)
        await decide(handle, "approve_sync", decision(actor="rcruz", role="legal"))
        outcome = await finish(env, handle)

    assert uncleared == ("DecisionRefused: a national_security_letter is handled only by cleared actors; "
                         "jdoe is not cleared")
    assert "kpatel is not cleared" in uncleared_reject
    assert same_person.endswith("a second approval must come from another person (separation of duties)")
    assert current.state is S.AWAITING_APPROVAL and current.approvals == {"analyst": "tnguyen"}
    assert outcome.resolution is Resolution.DELIVERED
    folder = Path(outcome.production.path)
    # 2709(b)(1): name and address only; the service start only.
    assert header(folder, "subscriber_info.csv") == [
        "name", "service_street", "service_city", "service_state", "service_zip",
        "billing_street", "billing_city", "billing_state", "billing_zip"]
    assert "customer_notice" not in notifications(prepared_store, "TS-NSL-1")
    invoice = invoice_of(prepared_store, "TS-NSL-1")
    assert invoice.total_cents == 0 and "2709" in invoice.basis


async def test_a_fisa_order_for_stored_records_needs_a_cleared_analyst_and_cleared_legal(
    time_skipping_env, settings, prepared_store
):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await start(env, settings, "fisa_order", "TS-FISA-1")
        await wait_for_state(handle, S.AWAITING_APPROVAL)
        assert "kpatel is not cleared" in await refused(handle, "approve_sync", decision(actor="kpatel", role="legal"))
        await decide(handle, "approve_sync", decision(actor="rcruz", role="legal"))
        await decide(handle, "approve_sync", decision(actor="tnguyen"))
        outcome = await finish(env, handle)
    assert outcome.resolution is Resolution.DELIVERED
    assert sorted(delivered_files(outcome)) == ["call_records_incoming.csv", "call_records_outgoing.csv",
                                                "field_legend.csv", "records_as_text.xlsx", "subscriber_info.csv"]


# ---- customer call lookup ------------------------------------------------------------------------------


async def test_a_customer_with_the_right_pin_gets_their_own_outgoing_calls_for_the_fee(
    time_skipping_env, settings, prepared_store
):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await start(env, settings, "customer_call_lookup", "TS-CL-1")
        waiting = await wait_for_detail(handle, "fee_quote")
        quote = waiting.details["fee_quote"]
        wrong = await refused(handle, "customer_accepts_fee_sync", decision(quote_id="Q-OTHER"))
        not_taken = await refused(handle, "verify_callback_sync",
                                  decision(number=DIRECTORY_NUMBER, verified_at=await now_text(env)))
        await decide(handle, "customer_accepts_fee_sync", decision(quote_id=quote["quote_id"]))
        outcome = await finish(env, handle)
        final = await status(handle)

    assert waiting.approvals_required == [] and waiting.open_tasks == [
        f"customer_accepts_fee by an analyst once the customer accepts quote {quote['quote_id']}"]
    assert quote["amount_cents"] == 2500 and "fee_quote_expires_at" in waiting.deadlines
    assert f"is not this request's quote ({quote['quote_id']})" in wrong
    assert "verify_callback is not a decision a customer_call_lookup takes" in not_taken
    assert outcome.resolution is Resolution.DELIVERED
    folder = Path(outcome.production.path)
    with open(folder / "call_records_outgoing.csv", newline="") as rows:
        assert {r["caller_number"] for r in csv.DictReader(rows)} == {"+15125550177"}
    assert invoice_of(prepared_store, "TS-CL-1").total_cents == 2500
    assert any(e.name == "mailed_to_address_of_record" for e in final.history)


async def test_a_wrong_pin_rejects_the_lookup_before_anyone_is_asked(time_skipping_env, settings, prepared_store):
    env = time_skipping_env
    document = example("customer_call_lookup", "TS-CL-PIN")
    document["customer"]["authentication"]["pin"] = "0000"
    async with running_worker(env.client, settings):
        handle = await submit(env.client, settings, dated(document, await env.get_current_time()))
        outcome = await finish(env, handle)
        final = await status(handle)
    assert outcome.resolution is Resolution.REJECTED_ON_VERIFICATION and outcome.production is None
    assert final.history[-1].note.startswith(
        "rejected_on_verification: customer authentication failed: the PIN does not match")


async def test_an_unanswered_fee_quote_lapses_after_30_days(time_skipping_env, settings, prepared_store):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await start(env, settings, "customer_call_lookup", "TS-CL-LAPSE")
        quoted = await wait_for_detail(handle, "fee_quote")
        await env.sleep(timedelta(days=29, hours=23))  # nobody acts for just under 30 days
        still_open = await status(handle)
        await env.sleep(timedelta(hours=2))
        outcome = await finish(env, handle)
    assert quoted.state is S.AWAITING_FEE_ACCEPTANCE and still_open.state is S.AWAITING_FEE_ACCEPTANCE
    assert outcome.resolution is Resolution.QUOTE_EXPIRED and outcome.production is None


async def test_a_customer_authenticated_otherwise_is_confirmed_by_an_analyst(
    time_skipping_env, settings, prepared_store
):
    env = time_skipping_env
    document = example("customer_call_lookup", "TS-CL-ID")
    document["customer"]["authentication"] = {"method": "photo_id_in_store"}
    async with running_worker(env.client, settings):
        handle = await submit(env.client, settings, dated(document, await env.get_current_time()))
        await wait_for_state(handle, S.AWAITING_APPROVAL)
        await decide(handle, "approve_sync", decision())
        confirmed = await wait_for_state(handle, S.AWAITING_FEE_ACCEPTANCE)
        await decide(handle, "withdraw_sync", decision(note="customer changed their mind"))
        outcome = await finish(env, handle)
    assert confirmed.approvals == {"analyst": "jdoe"}
    assert outcome.resolution is Resolution.WITHDRAWN and outcome.production is None


# ---- emergency ----------------------------------------------------------------------------------------


async def test_an_emergency_is_produced_after_callback_and_two_approvals_then_followed_up(
    time_skipping_env, settings, prepared_store
):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await start(env, settings, "emergency", "TS-EM-1")
        await wait_for_state(handle, S.AWAITING_CALLBACK)
        early = await refused(handle, "approve_sync", decision())
        supplied = await refused(handle, "verify_callback_sync",
                                 decision(number="+16025550123", verified_at=await now_text(env)))
        await decide(handle, "verify_callback_sync",
                                    decision(number=DIRECTORY_NUMBER, verified_at=await now_text(env)))
        await decide(handle, "approve_sync", decision())
        await decide(handle, "approve_sync", decision(actor="mlee", role="supervisor"))
        waiting = await wait_for_state(handle, S.AWAITING_FOLLOW_UP)
        follow_up = await start(env, settings, "court_order", "TS-EM-1-ORDER", follow_up_of="TS-EM-1")
        outcome = await finish(env, handle)
        await decide(follow_up, "withdraw_sync", decision(note="test over"))
        final = await status(handle)

    assert early == "DecisionRefused: approve is not possible now: the case is awaiting_callback"
    assert "+16025550123 is not the agency's number in the agency directory" in supplied
    assert notifications(prepared_store, "TS-EM-1")["callback_flagged"] == "supervisor"
    assert waiting.production is not None and waiting.approvals == {"analyst": "jdoe", "supervisor": "mlee"}
    assert outcome.resolution is Resolution.DELIVERED
    assert invoice_of(prepared_store, "TS-EM-1").total_cents == 0
    assert [e.note for e in final.history if e.name == "follow_up_received"] == ["TS-EM-1-ORDER"]


async def test_an_emergency_without_legal_process_in_48_hours_escalates_to_legal(
    time_skipping_env, settings, prepared_store
):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await start(env, settings, "emergency", "TS-EM-LATE")
        await wait_for_state(handle, S.AWAITING_CALLBACK)
        await decide(handle, "verify_callback_sync",
                                    decision(number=DIRECTORY_NUMBER, verified_at=await now_text(env)))
        await decide(handle, "approve_sync", decision())
        await decide(handle, "approve_sync", decision(actor="mlee", role="supervisor"))
        await wait_for_state(handle, S.AWAITING_FOLLOW_UP)
        await env.sleep(timedelta(hours=49))
        outcome = await finish(env, handle)
    assert outcome.resolution is Resolution.FOLLOW_UP_MISSING and outcome.production is not None
    assert notifications(prepared_store, "TS-EM-LATE")["follow_up_missing"] == "legal"


# ---- preservation ---------------------------------------------------------------------------------------


async def test_a_preservation_hold_renews_once_and_is_produced_from_by_a_later_demand(
    time_skipping_env, settings, prepared_store
):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await start(env, settings, "preservation", "TS-PR-1")
        await wait_for_state(handle, S.AWAITING_APPROVAL)
        await decide(handle, "approve_sync", decision())
        held = await wait_for_state(handle, S.PRESERVED)
        now = await env.get_current_time()
        renewal = await decide(handle, "record_extension_sync",
                                              decision(renewal_received_at=now.isoformat()))
        second = await refused(handle, "record_extension_sync", decision(renewal_received_at=now.isoformat()))
        renewed = await status(handle)
        demand = example("subpoena", "TS-PR-1-SUB", preservation_ref="TS-PR-1")
        demand["legal_process"]["jurisdiction"] = "federal"  # the held number is served in Texas
        hold_doc = example("preservation", "x")
        demand.update(targets=hold_doc["targets"], records=["subscriber_info", "call_records_outgoing"],
                      period=hold_doc["period"])
        sub = await submit(env.client, settings, dated(demand, now))
        await wait_for_state(sub, S.AWAITING_APPROVAL)
        await decide(sub, "approve_sync", decision())
        produced_from_hold = await finish(env, sub)
        outcome = await finish(env, handle)

    assert held.deadlines["hold_expires_at"] == held.deadlines["expires_at"]  # 90 days from receipt
    assert renewal.accepted and renewed.details["renewals"] == 1
    assert (renewed.deadlines["hold_expires_at"] - held.deadlines["expires_at"]).days == 90  # 180 from receipt
    assert "allows one 90-day renewal, already recorded" in second
    assert produced_from_hold.resolution is Resolution.DELIVERED
    assert outcome.resolution is Resolution.PRODUCED


async def test_an_unrenewed_hold_lapses_after_90_days_and_a_withdrawn_one_is_released(
    time_skipping_env, settings, prepared_store
):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        lapsing = await start(env, settings, "preservation", "TS-PR-LAPSE")
        released = await start(env, settings, "preservation", "TS-PR-REL")
        for handle in (lapsing, released):
            await wait_for_state(handle, S.AWAITING_APPROVAL)
            await decide(handle, "approve_sync", decision())
            await wait_for_state(handle, S.PRESERVED)
        await decide(released, "withdraw_sync", decision(note="investigation closed"))
        withdrawn = await finish(env, released)
        await env.sleep(timedelta(days=89, hours=23))  # the hold runs 90 days from receipt
        still_held = await status(lapsing)
        await env.sleep(timedelta(hours=2))
        lapsed = await finish(env, lapsing)
    assert still_held.state is S.PRESERVED
    assert lapsed.resolution is Resolution.HOLD_EXPIRED
    assert withdrawn.resolution is Resolution.HOLD_RELEASED


# ---- civil subpoena: customer notice and the motion-to-quash period -------------------------------------------


async def test_a_civil_subpoena_notifies_the_customer_and_waits_14_days(time_skipping_env, settings, prepared_store):
    env = time_skipping_env
    document = example("subpoena", "TS-CIVIL-1")
    document["requester"]["kind"] = "attorney"
    document["legal_process"]["issuer_kind"] = "attorney"
    async with running_worker(env.client, settings):
        handle = await submit(env.client, settings, dated(document, await env.get_current_time()))
        await wait_for_state(handle, S.AWAITING_APPROVAL)
        await decide(handle, "approve_sync", decision())
        waiting = await status(handle)
        await env.sleep(timedelta(days=13, hours=23))
        still_waiting = await status(handle)
        await env.sleep(timedelta(hours=2))
        outcome = await finish(env, handle)
    assert notifications(prepared_store, "TS-CIVIL-1")["customer_notice"] == "customer"
    assert waiting.state is S.AWAITING_APPROVAL and waiting.open_tasks[0].startswith(
        "none: production waits for the customer notice period until")
    assert still_waiting.state is S.AWAITING_APPROVAL and still_waiting.production is None
    assert outcome.resolution is Resolution.DELIVERED


# ---- refusals every type shares -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["subpoena", "court_order", "search_warrant", "preservation"])
async def test_nothing_is_accepted_after_a_rejection(time_skipping_env, settings, prepared_store, name):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle = await start(env, settings, name, f"TS-REJ-{name}")
        await wait_for_state(handle, S.AWAITING_APPROVAL)
        await handle.signal("reject", decision(note="overbroad"))
        await handle.signal("approve", decision(actor="asmith"))
        await handle.signal("withdraw", decision(note="late"))
        outcome = await finish(env, handle)
        final = await status(handle)
    assert outcome.resolution is Resolution.REJECTED_BY_ANALYST and outcome.production is None
    decisions = [(e.name, e.accepted) for e in final.history if e.via == "signal"]
    assert decisions == [("reject", True), ("approve", False), ("withdraw", False)]
    assert final.state is S.CLOSED


async def test_a_renewal_document_is_filed_on_its_hold_and_places_none_of_its_own(
    time_skipping_env, settings, prepared_store
):
    from recordstore.models import PreservationHold

    env = time_skipping_env
    async with running_worker(env.client, settings):
        hold = await start(env, settings, "preservation", "TS-PR-HOLD")
        await wait_for_state(hold, S.AWAITING_APPROVAL)
        await decide(hold, "approve_sync", decision())
        await wait_for_state(hold, S.PRESERVED)
        renewal = example("preservation", "TS-PR-RENEWAL")
        renewal["legal_process"]["extension_of"] = "TS-PR-HOLD"
        filed = await submit(env.client, settings, dated(renewal, await env.get_current_time()))
        outcome = await finish(env, filed)
        final = await status(filed)
        await decide(hold, "withdraw_sync", decision(note="test over"))
        await finish(env, hold)

    assert outcome.resolution is Resolution.FILED_AS_EXTENSION
    assert final.history[-1].note.startswith("filed_as_extension: verified; record it on TS-PR-HOLD with "
                                             "record_extension renewal_received_at=")
    with Session(prepared_store) as session:
        assert session.get(PreservationHold, "TS-PR-RENEWAL") is None
