"""Issue 14: a target that matches nobody, or many, never becomes a certified "no records"
production. Each test reads what `status` shows the analyst before approving, then what is
delivered (time-skipping server, the records store with the examples' accounts)."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.case import CaseState, DecisionReceipt, Resolution
from domain.case_page import status_text as render_status
from recordstore.models import AccessType, InternetSession, Invoice, Subscriber
from tests.workflow_support import dated, decision, example, finish, running_worker, submit, wait_for_state

CGNAT_IP = "192.0.2.1"
SEEN = datetime(2026, 7, 4, 12, 0, tzinfo=UTC)
BLOCKS = {"CGNAT-T1": (1024, 3023), "CGNAT-T2": (3024, 5023), "CGNAT-T3": (5024, 7023), "CGNAT-T4": (7024, 9023)}
"""Four subscribers behind one public address at SEEN, each in a port block of its own."""

NO_PORT_TASK = ("approval by analyst (approve: confirms that no target matches a subscriber and closes the "
                "request with a 'no responsive records' letter / reject / request_info)")
LETTER = "no_responsive_records_letter.txt"


@pytest.fixture(scope="module")
def store(prepared_store):
    with Session(prepared_store) as session, session.begin():
        for account, (first, last) in BLOCKS.items():
            if session.scalar(select(Subscriber.id).where(Subscriber.account_number == account)):
                continue
            subscriber = Subscriber(
                account_number=account, name=f"Subscriber {account}", service_street="1 Test St",
                service_city="Denver", service_state="CO", service_zip="80202", billing_street="1 Test St",
                billing_city="Denver", billing_state="CO", billing_zip="80202", email=None,
                date_of_birth=None, pin_salt=None, pin_hash=None, created_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
            session.add(subscriber)
            session.flush()
            session.add(InternetSession(
                subscriber_id=subscriber.id, started_at=SEEN - timedelta(hours=2), ended_at=SEEN + timedelta(hours=2),
                assigned_ip=CGNAT_IP, nat_port_start=first, nat_port_end=last, access_type=AccessType.MOBILE,
                bytes_up=1, bytes_down=2,
            ))
    return prepared_store


def subpoena(request_id: str, targets: list[dict], records: list[str], period: dict | None = None) -> dict:
    changes = {"targets": targets, "records": records}
    if period:
        changes["period"] = period
    return example("subpoena", request_id, **changes)


def address(port: int | None = None) -> dict:
    target = {"kind": "ip_address", "value": CGNAT_IP, "observed_at": "2026-07-04T12:00:00Z"}
    return target if port is None else {**target, "port": port}


async def until_approval(env, settings, document: dict):
    handle = await submit(env.client, settings, dated(document, await env.get_current_time()))
    return handle, await wait_for_state(handle, CaseState.AWAITING_APPROVAL)


async def approve(env, handle) -> tuple[DecisionReceipt, object]:
    receipt = await handle.execute_update("approve_sync", decision(), result_type=DecisionReceipt)
    return receipt, await finish(env, handle)


def target_problems(shown) -> list[dict]:
    """The problems of target resolution (the papers are not on file in these tests: a warning of its own)."""
    return [p for p in shown.problems if p["code"] != "document_not_on_file"]


def manifest_of(outcome) -> dict:
    data = (Path(outcome.production.path) / "manifest.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == outcome.production.manifest_sha256
    return json.loads(data)


def rows(outcome, name: str) -> list[dict[str, str]]:
    with open(Path(outcome.production.path) / name, newline="") as handle:
        return list(csv.DictReader(handle))


def delivered(outcome) -> list[str]:
    return sorted(p.name for p in Path(outcome.production.path).iterdir())


def no_invoice(engine, request_id: str) -> bool:
    with Session(engine) as session:
        return session.scalar(select(Invoice).where(Invoice.request_id == request_id)) is None


def sessions_shown(ports: list[tuple[int, int]], named: dict[int, str] | None = None) -> list[dict]:
    named = named or {}
    return [{"account_number": named.get(first), "port_start": first, "port_end": last,
             "started_at": "2026-07-04T10:00:00Z", "ended_at": "2026-07-04T14:00:00Z"} for first, last in ports]


ALL_BLOCKS = [(1024, 3023), (3024, 5023), (5024, 7023), (7024, 9023)]


# ---- carrier-grade NAT ------------------------------------------------------------------------------


async def test_a_cgnat_address_with_its_port_names_one_subscriber(time_skipping_env, settings, store):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle, waiting = await until_approval(
            env, settings, subpoena("TR-NAT-PORT", [address(port=5100)], ["subscriber_info", "internet_sessions"]))
        assert target_problems(waiting) == []
        assert waiting.open_tasks == ["approval by analyst (approve / reject / request_info)"]
        [shown] = waiting.details["targets"]
        assert shown["accounts"] == ["CGNAT-T3"] and shown["problem"] is None
        assert shown["sessions"] == sessions_shown(ALL_BLOCKS, {5024: "CGNAT-T3"})
        assert ("  - targets[0] ip_address 192.0.2.1 at 2026-07-04T12:00:00Z port 5100: CGNAT-T3\n"
                "      session 2026-07-04T10:00:00Z to 2026-07-04T14:00:00Z, NAT ports 1024-3023\n"
                "      session 2026-07-04T10:00:00Z to 2026-07-04T14:00:00Z, NAT ports 3024-5023\n"
                "      session 2026-07-04T10:00:00Z to 2026-07-04T14:00:00Z, NAT ports 5024-7023: CGNAT-T3\n"
                "      session 2026-07-04T10:00:00Z to 2026-07-04T14:00:00Z, NAT ports 7024-9023\n"
                ) in render_status(waiting)
        receipt, outcome = await approve(env, handle)

    assert receipt.message == "approved: retrieving the permitted records"
    assert outcome.resolution is Resolution.DELIVERED
    assert [r["account_number"] for r in rows(outcome, "subscriber_info.csv")] == ["CGNAT-T3"]
    assert [r["assigned_ip"] for r in rows(outcome, "internet_sessions.csv")] == [CGNAT_IP]
    manifest = manifest_of(outcome)
    assert manifest["targets"] == [{"kind": "ip_address", "value": CGNAT_IP, "observed_at": "2026-07-04T12:00:00Z",
                                    "port": 5100, "accounts": ["CGNAT-T3"], "produced": True}]
    by_target = {f["name"]: f.get("by_target") for f in manifest["files"]}
    assert by_target["subscriber_info.csv"] == [{"index": 0, "value": CGNAT_IP, "rows": 1,
                                                 "accounts": {"CGNAT-T3": 1}}]
    assert by_target["internet_sessions.csv"] == [{"index": 0, "value": CGNAT_IP, "rows": 1,
                                                   "accounts": {"CGNAT-T3": 1}}]
    assert LETTER not in delivered(outcome) and "certificate_of_authenticity.txt" in delivered(outcome)


async def test_a_shared_address_without_a_port_closes_with_a_letter_not_a_certificate(
    time_skipping_env, settings, store
):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle, waiting = await until_approval(
            env, settings, subpoena("TR-NAT-NOPORT", [address()], ["subscriber_info", "internet_sessions"]))
        assert target_problems(waiting) == [{
            "code": "shared_address",
            "message": "targets[0]: 192.0.2.1: the address was shared by 4 subscribers behind carrier-grade NAT "
                       "at that instant and the request gives no source port, so it names none of them; "
                       "nothing is produced for it",
        }]
        assert waiting.verdict == "accept"  # a warning: the analyst decides, nothing is rejected
        assert waiting.open_tasks == [NO_PORT_TASK]
        [shown] = waiting.details["targets"]
        assert (shown["accounts"], shown["problem"], shown["subscribers_sharing"]) == ([], "shared_address", 4)
        assert shown["sessions"] == sessions_shown(ALL_BLOCKS)  # no holder named when none is the target
        receipt, outcome = await approve(env, handle)

    assert receipt.message == ("approved: no target matches a subscriber; the request closes with a "
                               "'no responsive records' letter signed by the custodian")
    assert outcome.resolution is Resolution.NO_RESPONSIVE_RECORDS
    assert outcome.production.path.endswith("TR-NAT-NOPORT/TR-NAT-NOPORT-P01")
    assert delivered(outcome) == ["manifest.json", LETTER]  # no CSV, no certificate
    letter = (Path(outcome.production.path) / LETTER).read_text()
    assert letter.startswith("NO RESPONSIVE RECORDS\n")
    assert ("  targets[0] ip_address 192.0.2.1 at 2026-07-04T12:00:00Z\n"
            "      searched: Internet session records and carrier-grade NAT port allocations at the instant\n"
            "                the address was observed\n"
            "      found:    the address was shared by 4 subscribers behind carrier-grade NAT at that instant\n"
            "                and the request gives no source port, so it names none of them\n") in letter
    assert "3. No target of the request matched a subscriber: no records are produced in response to it." in letter
    assert "4. The result of the search was reviewed and confirmed by jdoe (analyst)" in letter
    assert letter.endswith("Dana Whitfield\nCustodian of Records, Law Enforcement Support\n"
                           "Example Carrier Communications, Inc.\n")
    manifest = manifest_of(outcome)
    assert manifest["files"] == []
    assert manifest["no_responsive_records_letter"]["sha256"] == hashlib.sha256(letter.encode()).hexdigest()
    assert manifest["targets"][0]["reason"] == ("the address was shared by 4 subscribers behind carrier-grade NAT "
                                                "at that instant and the request gives no source port, so it "
                                                "names none of them")
    assert no_invoice(store, "TR-NAT-NOPORT")


async def test_a_port_no_session_covers_is_a_shared_address_too(time_skipping_env, settings, store):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle, waiting = await until_approval(
            env, settings, subpoena("TR-NAT-OUTSIDE", [address(port=65000)], ["subscriber_info"]))
        assert [p["message"] for p in target_problems(waiting)] == [
            "targets[0]: 192.0.2.1: the address was shared by 4 subscribers behind carrier-grade NAT at that "
            "instant and no subscriber's port block covers port 65000, so it names none of them; nothing is "
            "produced for it"]
        assert waiting.details["targets"][0]["subscribers_sharing"] == 4
        _, outcome = await approve(env, handle)

    assert outcome.resolution is Resolution.NO_RESPONSIVE_RECORDS
    assert delivered(outcome) == ["manifest.json", LETTER]
    assert "  targets[0] ip_address 192.0.2.1 at 2026-07-04T12:00:00Z port 65000\n" in (
        Path(outcome.production.path) / LETTER).read_text()


# ---- telephone numbers ------------------------------------------------------------------------------


async def test_a_number_never_assigned_is_not_found_and_answered_by_letter(time_skipping_env, settings, store):
    env = time_skipping_env
    async with running_worker(env.client, settings):
        handle, waiting = await until_approval(env, settings, subpoena(
            "TR-NUM-NONE", [{"kind": "phone_number", "value": "+13035550999"}],
            ["subscriber_info", "call_records_outgoing"]))
        assert target_problems(waiting) == [{
            "code": "target_not_found",
            "message": "targets[0]: +13035550999: the number was not assigned to any subscriber of the carrier "
                       "during the period; nothing is produced for it",
        }]
        assert waiting.open_tasks == [NO_PORT_TASK]
        assert waiting.details["targets"][0]["accounts"] == [] and waiting.details["targets"][0]["numbers"] == []
        _, outcome = await approve(env, handle)

    assert outcome.resolution is Resolution.NO_RESPONSIVE_RECORDS and outcome.invoice is None
    assert delivered(outcome) == ["manifest.json", LETTER]
    letter = (Path(outcome.production.path) / LETTER).read_text()
    assert ("  targets[0] phone_number +13035550999\n"
            "      searched: the assignment history of telephone numbers, for every holder during the period\n"
            "      found:    the number was not assigned to any subscriber of the carrier during the period\n"
            ) in letter
    assert "Period searched:    2026-06-01T00:00:00Z to 2026-08-31T23:59:59Z\n" in letter


async def test_a_number_reassigned_within_the_period_is_shown_and_produced_by_holder(
    time_skipping_env, settings, store
):
    env = time_skipping_env
    period = {"start": "2020-07-01T00:00:00Z", "end": "2021-06-30T23:59:59Z"}
    async with running_worker(env.client, settings):
        handle, waiting = await until_approval(env, settings, subpoena(
            "TR-NUM-REASSIGNED", [{"kind": "phone_number", "value": "+13035550123"}],
            ["subscriber_info", "call_records_outgoing"], period))
        assert target_problems(waiting) == []
        [shown] = waiting.details["targets"]
        assert shown["accounts"] == ["CO-310044", "CO-770123"]
        assert shown["numbers"] == [
            {"number": "+13035550123", "account_number": "CO-310044",
             "held_from": "2014-05-01T15:00:00Z", "held_until": "2021-01-31T23:00:00Z"},
            {"number": "+13035550123", "account_number": "CO-770123",
             "held_from": "2021-03-15T17:20:00Z", "held_until": None},
        ]
        assert ("targets:\n"
                "  - targets[0] phone_number +13035550123: CO-310044, CO-770123\n"
                "      +13035550123 held by CO-310044 from 2014-05-01T15:00:00Z to 2021-01-31T23:00:00Z\n"
                "      +13035550123 held by CO-770123 from 2021-03-15T17:20:00Z to now\n"
                "open tasks:") in render_status(waiting)
        _, outcome = await approve(env, handle)

    assert outcome.resolution is Resolution.DELIVERED
    assert sorted(r["account_number"] for r in rows(outcome, "subscriber_info.csv")) == ["CO-310044", "CO-770123"]
    calls = rows(outcome, "call_records_outgoing.csv")
    assert calls and all("2020-07-01" <= c["started_at"] < "2021-01-31T23:00:00Z" for c in calls)
    by_target = {f["name"]: f.get("by_target") for f in manifest_of(outcome)["files"]}
    assert by_target["subscriber_info.csv"] == [{"index": 0, "value": "+13035550123", "rows": 2,
                                                 "accounts": {"CO-310044": 1, "CO-770123": 1}}]
    # The later holder made no call before the period ended: every call is the earlier holder's.
    assert by_target["call_records_outgoing.csv"] == [{"index": 0, "value": "+13035550123", "rows": len(calls),
                                                       "accounts": {"CO-310044": len(calls), "CO-770123": 0}}]


# ---- e-mail addresses and account numbers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("request_id", "targets", "found", "missing"),
    [
        ("TR-MAIL-OK-ACCT-NONE",
         [{"kind": "email", "value": "Daniel.Reyes@example.com"}, {"kind": "account_number", "value": "CO-000404"}],
         0, (1, "account_number", "CO-000404", "no subscriber account of the carrier has this account number")),
        ("TR-MAIL-NONE-ACCT-OK",
         [{"kind": "email", "value": "nobody@example.net"}, {"kind": "account_number", "value": "CO-770123"}],
         1, (0, "email", "nobody@example.net", "no subscriber account of the carrier has this email")),
    ],
)
async def test_an_email_and_an_account_that_exist_are_produced_and_the_others_named_in_a_letter(
    time_skipping_env, settings, store, request_id, targets, found, missing
):
    env = time_skipping_env
    index, kind, value, reason = missing
    async with running_worker(env.client, settings):
        handle, waiting = await until_approval(env, settings, subpoena(request_id, targets, ["subscriber_info"]))
        assert target_problems(waiting) == [{"code": "target_not_found",
                                     "message": f"targets[{index}]: {value}: {reason}; nothing is produced for it"}]
        assert waiting.open_tasks == ["approval by analyst (approve / reject / request_info)"]
        shown = waiting.details["targets"]
        assert shown[found]["accounts"] == ["CO-770123"]
        assert shown[found]["numbers"] == [{"number": "+13035550123", "account_number": "CO-770123",
                                            "held_from": "2021-03-15T17:20:00Z", "held_until": None}]
        assert shown[index]["accounts"] == [] and shown[index]["problem"] == "target_not_found"
        _, outcome = await approve(env, handle)

    assert outcome.resolution is Resolution.DELIVERED
    assert delivered(outcome) == ["certificate_of_authenticity.txt", "field_legend.csv", "manifest.json", LETTER,
                                  "records_as_text.xlsx", "subscriber_info.csv"]
    assert [r["account_number"] for r in rows(outcome, "subscriber_info.csv")] == ["CO-770123"]
    manifest = manifest_of(outcome)
    assert manifest["targets"][index] == {"kind": kind, "value": value, "accounts": [], "produced": False,
                                          "problem": "target_not_found", "reason": reason}
    assert manifest["targets"][found]["accounts"] == ["CO-770123"] and manifest["targets"][found]["produced"]
    [answer] = next(f for f in manifest["files"] if f["name"] == "subscriber_info.csv")["by_target"]
    assert answer == {"index": found, "value": targets[found]["value"], "rows": 1, "accounts": {"CO-770123": 1}}
    assert manifest["no_responsive_records_letter"]["targets"] == [index]
    letter = (Path(outcome.production.path) / LETTER).read_text()
    assert f"  targets[{index}] {kind} {value}\n" in letter
    assert targets[found]["value"] not in letter  # the letter speaks only for the targets not produced
    assert "3. Records responsive to the request's other targets are produced in " + request_id + "-P01" in letter
    certificate = (Path(outcome.production.path) / "certificate_of_authenticity.txt").read_text()
    assert LETTER not in certificate  # the certificate covers records only
