"""A withdrawal while the records are retrieved stops the retrieval: the running activities are
cancelled through their heartbeats, their partial files and the production's staging are
removed, the case closes withdrawn with nothing delivered and nothing billed; `status` shows the
retrieval's progress (rows so far) while it runs. The case machine's rule (accepted while
retrieving or packaging, too late once delivering, refused as before in unpatched runs) is in
tests/unit/test_withdrawal.py, among the offline tests that must kill mutants."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import CancelledError
from temporalio.testing import ActivityEnvironment

import activities.heartbeat as heartbeat_module
import recordstore.csvfile as csvfile_module
import recordstore.export as export_module
from activities.records import RecordsActivities
from console.cases import run_status
from domain.case import CaseState, Resolution
from domain.contracts import RetrieveInput
from domain.vocabulary import RecordCategory
from les.paths import delivered_dir, request_staging_dir, staging_dir
from recordstore.models import CaseEvent as CaseEventRow
from recordstore.models import Invoice, LedgerEntry
from tests.conftest import running_dev_server
from tests.person_support import signed_in_env
from tests.workflow_support import dated, decision, example, running_worker, status, submit, wait_for_state
from workflows import SubpoenaWorkflow

SLOW_ROW_SECONDS = 0.25
"""TEST-ONLY THROTTLE: every chunk a retrieval writes (one row here) takes this long, standing
for a retrieval of millions of rows, which this machine cannot generate within the test's budget.
Uncancelled, the example's calls would take minutes to retrieve; the test must end in seconds."""


@pytest.fixture
def slow_retrieval(monkeypatch):
    real = heartbeat_module.Heartbeat.__call__

    def slowly(self, sink):
        real(self, sink)
        time.sleep(SLOW_ROW_SECONDS)

    monkeypatch.setattr(heartbeat_module.Heartbeat, "__call__", slowly)
    monkeypatch.setattr(heartbeat_module, "HEARTBEAT_EVERY_ROWS", 1)  # every row, so progress shows at once
    monkeypatch.setattr(export_module, "FETCH_ROWS", 1)  # SQLite streams row by row (PostgreSQL's COPY does)
    monkeypatch.setattr(csvfile_module, "BUFFER_BYTES", 1)  # each row written (and shown) as it comes


async def status_json(settings, request_id: str, capsys) -> dict:
    """`starter.py status ID --json` (the worker's log lines share this stdout: the object is read out)."""
    assert await run_status(settings, request_id, as_json=True) == 0
    out = capsys.readouterr().out
    return json.JSONDecoder().raw_decode(out, out.index('{\n  "request_id"'))[0]


@pytest.mark.devserver
async def test_a_withdrawal_during_retrieval_stops_it_and_nothing_is_delivered_or_billed(
    keyring, settings, prepared_store, slow_retrieval, capsys, oidc_provider, codec_servers, monkeypatch, tmp_path
):
    # `status` is jdoe's, signed in, reading through the codec servers (SPEC §6: starter.py holds no key)
    shell = signed_in_env("jdoe", tmp_path / "jdoe", oidc_provider, settings.database_url, codec_servers)
    for name, value in oidc_provider.env.items():
        monkeypatch.setenv(name, value)
    async with running_dev_server(keyring) as env:
        client = env.client
        cli = dataclasses.replace(settings, temporal_address=client.service_client.config.target_host,
                                  state_dir=Path(shell["LES_STATE_DIR"]), codec_url=codec_servers.general,
                                  cleared_codec_url=codec_servers.cleared)
        document = dated(example("subpoena", "WITHDRAW-RETRIEVING"), await env.get_current_time())
        rid = document["request_id"]
        async with running_worker(client, settings):
            handle = await submit(client, settings, document)
            await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
            assert (await handle.execute_update(SubpoenaWorkflow.approve_sync, decision())).accepted
            await wait_for_state(handle, CaseState.RETRIEVING)

            # status shows the retrieval's rows so far, from its heartbeats
            deadline = time.monotonic() + 20
            while True:
                shown = await status_json(cli, rid, capsys)
                outgoing = [p for p in shown["progress"] if p["step"] == "retrieve call_records_outgoing"]
                if outgoing and outgoing[0]["rows"]:
                    break
                assert time.monotonic() < deadline, shown["progress"]
                time.sleep(0.3)
            assert shown["state"] == "retrieving" and outgoing[0]["attempt"] == 1
            assert shown["open_tasks"] == [
                "none: the records are being retrieved; withdraw stops it and nothing is delivered"]
            assert outgoing[0]["activity"] == "retrieve_records"
            assert await run_status(cli, rid, as_json=False) == 0
            text = capsys.readouterr().out
            assert "in progress: retrieve call_records_outgoing: " in text
            assert " rows (attempt 1, last heartbeat " in text
            staging = request_staging_dir(settings.delivery_root, rid)
            assert any(staging.rglob("*")), "the retrieval is writing in its staging folder"

            started = time.monotonic()
            receipt = await handle.execute_update(SubpoenaWorkflow.withdraw_sync,
                                                  decision(note="the agency withdrew the subpoena"))
            assert receipt.accepted, receipt.message
            assert receipt.message == ("withdrawn: the production under way is stopped and discarded; "
                                       "nothing is delivered")
            outcome = await handle.result()
            took = time.monotonic() - started
            final = await status(handle)
            history = [e async for e in handle.fetch_history_events()]

    assert outcome.resolution is Resolution.WITHDRAWN and final.state is CaseState.CLOSED
    assert outcome.production is None and outcome.invoice is None and final.productions == []
    assert took < 15  # the retrieval did not run to its end (minutes at this pace)
    # the retrieval activities noticed the cancellation and finished their cleanup before the close
    assert any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED for e in history)
    assert not delivered_dir(settings.delivery_root, rid, 1).exists()
    assert not (settings.delivery_root / rid).exists()  # nothing delivered for the request at all
    assert not staging.exists() or not any(staging.iterdir())
    names = [e.name for e in final.history]
    assert names[-4:] == ["withdraw", "retrieval_cancelled", "staging_discarded", "closed"]
    with Session(prepared_store) as session:
        assert session.scalar(select(Invoice).where(Invoice.request_id == rid)) is None
        filed = session.scalars(select(CaseEventRow.event).where(CaseEventRow.request_id == rid)
                                .order_by(CaseEventRow.seq)).all()
        ledger = session.scalars(select(LedgerEntry.body).where(LedgerEntry.request_id == rid)
                                 .order_by(LedgerEntry.position)).all()
    assert filed == names
    withdrawals = [json.loads(body) for body in ledger if json.loads(body).get("name") == "withdraw"]
    assert len(withdrawals) == 1 and withdrawals[0]["actor"] == "jdoe" and withdrawals[0]["accepted"]


@pytest.mark.devserver
async def test_a_withdrawal_during_packaging_stops_it_and_nothing_is_delivered(
    keyring, settings, prepared_store, monkeypatch
):
    """TEST-ONLY THROTTLE: checking each retrieved file takes 5 s (heartbeating every 0.1 s), standing
    for hashing gigabytes; uncancelled, packaging the example's three files would take 15 s."""
    real = heartbeat_module.Heartbeat.beat

    def slowly(self, **done):
        real(self, **done)
        if self.step == "check the retrieved files":
            for _ in range(50):
                time.sleep(0.1)
                real(self, **done)

    monkeypatch.setattr(heartbeat_module.Heartbeat, "beat", slowly)
    monkeypatch.setattr(heartbeat_module, "HEARTBEAT_EVERY_SECONDS", 0.1)  # each of those 0.1-s beats is sent
    async with running_dev_server(keyring) as env:
        client = env.client
        document = dated(example("subpoena", "WITHDRAW-PACKAGING"), await env.get_current_time())
        rid = document["request_id"]
        async with running_worker(client, settings):
            handle = await submit(client, settings, document)
            await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
            assert (await handle.execute_update(SubpoenaWorkflow.approve_sync, decision())).accepted
            await wait_for_state(handle, CaseState.PACKAGING)
            started = time.monotonic()
            receipt = await handle.execute_update(SubpoenaWorkflow.withdraw_sync, decision(note="withdrawn"))
            assert receipt.accepted, receipt.message
            outcome = await handle.result()
            took = time.monotonic() - started
            final = await status(handle)
    assert outcome.resolution is Resolution.WITHDRAWN and outcome.production is None and outcome.invoice is None
    assert took < 10
    assert [e.name for e in final.history][-4:] == ["withdraw", "packaging_cancelled", "staging_discarded", "closed"]
    assert not (settings.delivery_root / rid).exists()
    staging = request_staging_dir(settings.delivery_root, rid)
    assert not staging.exists() or not any(staging.iterdir())
    with Session(prepared_store) as session:
        assert session.scalar(select(Invoice).where(Invoice.request_id == rid)) is None


def test_a_cancelled_retrieval_removes_its_partial_file_and_ends_cancelled(settings, prepared_store, slow_retrieval):
    """The activity alone: cancelled after its first rows, it leaves no CSV and no partial file
    behind, and ends as cancelled (a failure would be retried)."""
    env = ActivityEnvironment()
    beats: list[dict] = []

    def on_heartbeat(*details):
        beats.append(details[0])
        if details[0].get("rows", 0) >= 2:
            env.cancel()  # as the server's answer to a heartbeat does

    env.on_heartbeat = on_heartbeat
    with pytest.raises(CancelledError):
        env.run(RecordsActivities(settings, prepared_store).retrieve_records, RetrieveInput(
            request_id="CANCEL-RETRIEVE",
            category=RecordCategory.CALL_RECORDS_OUTGOING, document=example("subpoena", "CANCEL-RETRIEVE")))
    assert beats[-1]["rows"] >= 2
    staging = staging_dir(settings.delivery_root, "CANCEL-RETRIEVE", 1)
    assert staging.is_dir() and list(staging.iterdir()) == []
