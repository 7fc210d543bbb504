"""Preservation holds: a snapshot that outlives the retention purge and produces the same bytes."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.holds import HoldActivities
from activities.records import RecordsActivities
from domain.contracts import ExtendHoldInput, HoldRef, PlaceHoldInput, ReleaseHoldInput, RetrieveInput
from domain.vocabulary import RecordCategory
from recordstore.models import CallRecord, HeldRecord, HoldState
from recordstore.retention import purge
from tests.conftest import REPO
from tests.store_support import own_store, read_rows
from tests.workflow_support import example

C = RecordCategory
HELD = [C.SUBSCRIBER_INFO, C.CALL_RECORDS_OUTGOING, C.CALL_RECORDS_INCOMING, C.INTERNET_SESSIONS]
NOW = datetime.now(UTC)
PURGE_ALL = (timedelta(days=1), datetime(2027, 6, 1, tzinfo=UTC))  # everything begun before 2027-05-31


@pytest.fixture
def store(database_url, tmp_path):
    with own_store(database_url, tmp_path, "les_store_holds") as engine:
        yield engine


@pytest.fixture
def parts(store: Engine, settings):
    return HoldActivities(store), RecordsActivities(replace(settings), store), ActivityEnvironment()


def place(parts, request_id: str = "PRES-1", expires_at: datetime = NOW + timedelta(days=90)):
    holds, _, env = parts
    document = example("preservation", request_id)
    return env.run(holds.place_hold, PlaceHoldInput(request_id=request_id, document=document, categories=HELD,
                                                    expires_at=expires_at))


def demand(request_id: str, kind: str = "search_warrant", **changes):
    """A demand naming the preservation's target and period, received after the hold was placed
    (a demand reaches only records that existed when it was received: LEGAL.md)."""
    preserved = example("preservation", "x")
    scope = {"targets": preserved["targets"], "period": preserved["period"], "preservation_ref": "PRES-1",
             "received_at": "2026-11-27T09:00:00Z"}
    return example(kind, request_id, **{**scope, **changes})


def retrieve(parts, document, category: RecordCategory, from_hold: str | None = None, production: int = 1):
    _, records, env = parts
    request_id = document["request_id"]
    return env.run(records.retrieve_records, RetrieveInput(
        request_id=request_id, production_no=production,
        category=category, document=document, from_hold=from_hold))


def test_a_hold_snapshots_the_targets_records_within_the_period(parts, store: Engine) -> None:
    summary = place(parts)
    # TX-330142: 40 placed and 30 received in the period plus one at each edge second; 3 mobile sessions.
    assert summary.rows_per_category == {"subscriber_info": 1, "call_records_outgoing": 42,
                                         "call_records_incoming": 32, "internet_sessions": 3}
    assert summary.state is HoldState.ACTIVE
    again = place(parts)  # retried: the same hold, nothing copied twice
    assert again == summary
    with store.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(HeldRecord)) == 1 + 42 + 32 + 3


def test_a_demand_produces_from_the_hold_the_bytes_live_retrieval_gave_before_the_purge(parts, store) -> None:
    place(parts)
    warrant, nsl = demand("SW-1"), demand("NSL-1", kind="national_security_letter")
    before = {c: retrieve(parts, warrant, c) for c in HELD}
    nsl_before = retrieve(parts, nsl, C.SUBSCRIBER_INFO)
    counts = purge(store, *PURGE_ALL)
    assert counts["call_records"] > 74 and counts["internet_sessions"] > 3
    with store.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(CallRecord)) == 0
    assert retrieve(parts, warrant, C.CALL_RECORDS_OUTGOING, production=2).rows == 0  # the originals are gone
    for category, live in before.items():
        held = retrieve(parts, warrant, category, from_hold="PRES-1", production=3)
        assert (held.sha256, held.rows, held.bytes) == (live.sha256, live.rows, live.bytes), category
    nsl_held = retrieve(parts, nsl, C.SUBSCRIBER_INFO, from_hold="PRES-1", production=2)
    assert (nsl_held.sha256, nsl_held.rows) == (nsl_before.sha256, 1)
    assert before[C.CALL_RECORDS_OUTGOING].rows == 42


def test_an_nsl_from_a_hold_carries_only_the_nsl_columns(parts, settings) -> None:
    place(parts)
    nsl = demand("NSL-2", kind="national_security_letter")
    produced = retrieve(parts, nsl, C.SUBSCRIBER_INFO, from_hold="PRES-1")
    path = settings.delivery_root / ".staging" / "NSL-2" / "NSL-2-P01" / produced.file_name
    assert read_rows(path) == [{
        "name": "Jordan Ellis", "service_street": "1907 E Cesar Chavez St", "service_city": "Austin",
        "service_state": "TX", "service_zip": "78702", "billing_street": "1907 E Cesar Chavez St",
        "billing_city": "Austin", "billing_state": "TX", "billing_zip": "78702",
    }]


@pytest.mark.parametrize("end", ["release", "expire"])
def test_a_released_or_expired_hold_produces_nothing(parts, store: Engine, end: str) -> None:
    holds, _, env = parts
    place(parts)
    if end == "release":
        summary = env.run(holds.release_hold, ReleaseHoldInput(request_id="PRES-1", reason="withdrawn by DEA"))
        assert summary.state is HoldState.RELEASED
        again = env.run(holds.release_hold, ReleaseHoldInput(request_id="PRES-1", reason="withdrawn by DEA"))
    else:
        summary = env.run(holds.expire_hold, HoldRef(request_id="PRES-1"))
        assert summary.state is HoldState.EXPIRED
        again = env.run(holds.expire_hold, HoldRef(request_id="PRES-1"))
    assert again == summary
    with store.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(HeldRecord)) == 0
    with pytest.raises(ApplicationError, match=f"PRES-1 is {summary.state}") as refused:
        retrieve(parts, demand("SW-2"), C.CALL_RECORDS_OUTGOING, from_hold="PRES-1")
    assert refused.value.type == "HoldUnavailable" and refused.value.non_retryable
    with pytest.raises(ApplicationError, match="a new request starts a new hold"):
        env.run(holds.extend_hold, ExtendHoldInput(request_id="PRES-1", expires_at=NOW + timedelta(days=180)))


def test_a_hold_past_its_expiry_produces_nothing_even_before_it_is_expired(parts) -> None:
    place(parts, expires_at=NOW - timedelta(minutes=1))
    with pytest.raises(ApplicationError, match="PRES-1 is expired") as refused:
        retrieve(parts, demand("SW-3"), C.SUBSCRIBER_INFO, from_hold="PRES-1")
    assert refused.value.type == "HoldUnavailable"


def test_a_renewal_extends_the_hold_and_never_shortens_it(parts) -> None:
    holds, _, env = parts
    first = place(parts)
    later = first.expires_at + timedelta(days=90)
    assert env.run(holds.extend_hold, ExtendHoldInput(request_id="PRES-1", expires_at=later)).expires_at == later
    with pytest.raises(ApplicationError, match="a renewal only extends it") as refused:
        env.run(holds.extend_hold, ExtendHoldInput(request_id="PRES-1", expires_at=first.expires_at))
    assert refused.value.type == "InvalidRequest"
    with pytest.raises(ApplicationError, match="no preservation hold PRES-9") as missing:
        env.run(holds.extend_hold, ExtendHoldInput(request_id="PRES-9", expires_at=later))
    assert missing.value.type == "HoldUnavailable"


def test_a_demand_that_does_not_cover_the_hold_or_asks_what_it_lacks_is_refused(parts) -> None:
    place(parts)
    narrower = demand("SW-4", period={"start": "2026-10-01T00:00:00Z", "end": "2026-11-26T00:00:00Z"})
    with pytest.raises(ApplicationError, match="period does not cover") as refused:
        retrieve(parts, narrower, C.CALL_RECORDS_OUTGOING, from_hold="PRES-1")
    assert refused.value.type == "HoldScopeMismatch"
    other = demand("SW-5", targets=[{"kind": "phone_number", "value": "+13035550123"}])
    with pytest.raises(ApplicationError, match="other targets") as refused:
        retrieve(parts, other, C.CALL_RECORDS_OUTGOING, from_hold="PRES-1")
    assert refused.value.type == "HoldScopeMismatch"
    with pytest.raises(ApplicationError, match="does not hold voicemail_content") as refused:
        retrieve(parts, demand("SW-6"), C.VOICEMAIL_CONTENT, from_hold="PRES-1")
    assert refused.value.type == "HoldUnavailable"


def test_the_purge_keeps_what_is_young_enough(store: Engine) -> None:
    # 2026-11-10 + 2 days: only calls and sessions begun before 2026-11-10 go.
    now = datetime(2026, 11, 12, tzinfo=UTC)
    with store.connect() as conn:
        young = conn.scalar(select(func.count()).where(CallRecord.started_at >= datetime(2026, 11, 10, tzinfo=UTC)))
    dry = purge(store, timedelta(days=2), now, dry_run=True)
    assert purge(store, timedelta(days=2), now) == dry
    with store.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(CallRecord)) == young > 0
    assert purge(store, timedelta(days=2), now) == dict.fromkeys(dry, 0)


def test_the_purge_command_prints_its_counts(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    run = subprocess.run([sys.executable, "-m", "recordstore.retention", "--days", "30", "--dry-run", "--url", url],
                         capture_output=True, text=True, cwd=REPO, check=True)
    assert "records older than 30 days: would purge" in run.stdout
    assert "call_records: 0" in run.stdout
    bad = subprocess.run([sys.executable, "-m", "recordstore.retention", "--days", "0", "--url", url],
                         capture_output=True, text=True, cwd=REPO)
    assert bad.returncode == 2 and "--days must be at least 1" in bad.stderr
