"""Activities sized for real work: long ones heartbeat with the rows done so far, hashing reads
a file a chunk at a time, and a decision the case store cannot record is answered within seconds
as "not recorded, try again", leaving the case as it was."""

from __future__ import annotations

import csv
import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

import activities.heartbeat as heartbeat_module
from activities import build_activities
from activities.heartbeat import Heartbeat
from activities.production import HASH_CHUNK, ProductionActivities, file_sha256
from activities.records import RecordsActivities
from domain.case import CaseState, Resolution
from domain.contracts import CaseEvent, PackageInput, RetrieveInput
from domain.vocabulary import RecordCategory
from les.failures import with_readable_failures
from recordstore.db import make_session_factory
from recordstore.models import CaseEvent as CaseEventRow
from tests.workflow_support import dated, decision, example, finish, status, submit, wait_for_state
from worker import ACTIVITY_THREADS, activity_slots, build_bulk_worker, build_worker
from workflows import ALL_WORKFLOWS, SubpoenaWorkflow
from workflows.activity_options import BULK, DECISION

PRODUCED_AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_long_activities_heartbeat_and_decisions_are_bounded():
    assert BULK["heartbeat_timeout"].total_seconds() == 30
    assert DECISION["retry_policy"].maximum_attempts == 4
    assert DECISION["schedule_to_close_timeout"].total_seconds() == 12


def test_heartbeat_every_n_rows_and_every_few_seconds():
    beat = Heartbeat("retrieve x", every_rows=100, every_seconds=3600)
    for rows in (0, 50, 99, 100, 150, 250, 299, 300):
        beat.rows(rows)
    assert beat.beats == 3  # at 100, 250 (past 200), 300: nothing to report at the start
    clock = Heartbeat("retrieve x", every_rows=10**9, every_seconds=0)
    for rows in (0, 1, 2):
        clock.rows(rows)
    assert clock.beats == 3  # slow rows: every time the interval passed


def test_a_file_is_hashed_a_chunk_at_a_time(tmp_path: Path):
    path = tmp_path / "big.csv"
    data = b"x" * (2 * HASH_CHUNK + HASH_CHUNK // 2)
    path.write_bytes(data)
    seen: list[int] = []
    assert file_sha256(path, on_chunk=lambda bytes: seen.append(bytes), chunks_per_beat=1) == \
        hashlib.sha256(data).hexdigest()
    assert seen == [1048576, 2097152, 2621440]


def heartbeats_of(env: ActivityEnvironment) -> list[dict]:
    seen: list[dict] = []
    env.on_heartbeat = lambda *details: seen.append(details[0])
    return seen


def retrieve_and_package(settings, prepared_store, request_id: str) -> tuple[list[dict], list[dict]]:
    """The heartbeats of one retrieval and of its packaging, as the server would receive them."""
    env = ActivityEnvironment()
    seen = heartbeats_of(env)
    document = example("subpoena", request_id)
    file = env.run(RecordsActivities(settings, prepared_store).retrieve_records, RetrieveInput(
        request_id=request_id,
        category=RecordCategory.CALL_RECORDS_OUTGOING, document=document))
    with open(settings.delivery_root / ".staging" / request_id / f"{request_id}-P01" / file.file_name,
              newline="") as handle:
        assert len(list(csv.DictReader(handle))) == file.rows > 0
    retrieval = list(seen)
    if retrieval:
        rows = [d["rows"] for d in retrieval]
        assert rows == sorted(rows) and rows[-1] == file.rows
        assert retrieval[-1]["bytes"] == file.bytes
    seen.clear()
    env.run(ProductionActivities(settings, make_session_factory(prepared_store)).package_production,
            PackageInput(request_id=request_id, produced_at=PRODUCED_AT,
                         document=document, files=[file], approved_by={"analyst": "jdoe"}))
    return retrieval, list(seen)


def test_retrieval_and_packaging_heartbeat_what_is_done(settings, prepared_store, monkeypatch):
    monkeypatch.setattr(heartbeat_module, "HEARTBEAT_EVERY_ROWS", 1)  # every chunk written
    monkeypatch.setattr(heartbeat_module, "HEARTBEAT_EVERY_SECONDS", 0)  # and whenever asked
    retrieval, packaging = retrieve_and_package(settings, prepared_store, "HB-RETRIEVE")
    assert retrieval[0]["step"] == "retrieve call_records_outgoing" and retrieval[0]["rows"] > 0
    assert packaging[0] == {"step": "check the retrieved files", "files": 0, "of": 1}


def test_work_done_in_less_than_the_interval_sends_no_heartbeat(settings, prepared_store):
    """Each heartbeat is a write on the server: a retrieval of a few hundred rows and its
    packaging, done in milliseconds, send none (a long one reports every 10,000 rows or 10 s)."""
    retrieval, packaging = retrieve_and_package(settings, prepared_store, "HB-QUICK")
    assert (retrieval, packaging) == ([], [])


def worker_whose_case_store_fails(client, settings, executor, failing: dict) -> Worker:
    """The real worker, except that filing an `approve` fails while failing["on"]: the case
    store is down for decisions (its own steps are not exercised meanwhile)."""
    registered = build_activities(settings)
    real = next(fn for fn in registered if getattr(fn, "__name__", "") == "record_case_event")

    @activity.defn(name="record_case_event")
    def record_case_event(event: CaseEvent) -> None:
        if failing["on"] and event.name == "approve":
            raise RuntimeError("could not connect to the case store")
        real(event)

    return Worker(with_readable_failures(client), task_queue=settings.task_queue, workflows=ALL_WORKFLOWS,
                  activities=[fn for fn in registered if fn is not real] + [record_case_event],
                  activity_executor=executor, max_concurrent_activities=8)


async def test_an_update_that_cannot_be_recorded_is_refused_in_seconds_and_changes_nothing(
    time_skipping_env, settings, prepared_store
):
    env, client = time_skipping_env, time_skipping_env.client
    now = await env.get_current_time()
    document = dated(example("subpoena", f"NOT-RECORDED-{now:%Y%m%d}"), now)
    rid = document["request_id"]
    failing = {"on": True}
    with ThreadPoolExecutor(max_workers=8) as executor, ThreadPoolExecutor(max_workers=2) as bulk:
        async with worker_whose_case_store_fails(client, settings, executor, failing), \
                build_bulk_worker(client, settings, bulk):
            handle = await submit(client, settings, document)
            before = await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
            with env.auto_time_skipping_disabled():  # real seconds: the retries' backoff, not skipped
                started = datetime.now(UTC)
                with pytest.raises(WorkflowUpdateFailedError) as failed:
                    await handle.execute_update(SubpoenaWorkflow.approve_sync, decision())
                took = (datetime.now(UTC) - started).total_seconds()
            assert failed.value.cause.message == (
                "approve was not recorded: the case store did not answer (could not connect to the case "
                "store); nothing changed, try again")
            cause = failed.value.cause  # a refusal a person reads: no trace, no cause chain
            assert cause.type == "DecisionRefused"
            assert cause.failure.stack_trace == "" and not cause.failure.HasField("cause")
            assert 3 <= took < 15  # four attempts, 0.5 + 1 + 2 s apart, then the answer
            after = await status(handle)
            assert after.state is CaseState.AWAITING_APPROVAL and after.approvals == {}
            assert after.history == before.history  # nothing of the decision stayed

            failing["on"] = False  # the store is back: the same decision again
            receipt = await handle.execute_update(SubpoenaWorkflow.approve_sync, decision())
            assert receipt.accepted
            outcome = await finish(env, handle)
    assert outcome.resolution is Resolution.DELIVERED
    with Session(prepared_store) as session:
        events = session.execute(select(CaseEventRow.seq, CaseEventRow.event).where(
            CaseEventRow.request_id == rid).order_by(CaseEventRow.seq)).all()
    assert [seq for seq, _ in events] == list(range(1, len(events) + 1))  # no gap where it failed
    assert [name for _, name in events].count("approve") == 1


async def test_the_worker_never_takes_more_tasks_than_it_has_threads(time_skipping_env, settings):
    """Activities and local activities (the case store's quick steps) run on one pool: the slots
    of both together are its threads, so every task the worker takes starts at once."""
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        async with build_worker(time_skipping_env.client, settings, executor) as running:
            config = running.config()
    slots = config["max_concurrent_activities"], config["max_concurrent_local_activities"]
    assert sum(slots) == ACTIVITY_THREADS and min(slots) >= ACTIVITY_THREADS // 4, slots
    for threads in range(2, 33):
        split = activity_slots(threads)
        assert sum(split.values()) == threads and min(split.values()) >= 1, (threads, split)
