"""The hash-chained case ledger: written with every case event, once, and what verification finds."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import select
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from domain.case import CaseEvent, OpenCaseInput
from domain.ledger import StoredEntry, check_chain, cross_check, entry_body, entry_hash, genesis_hash
from recordstore.db import make_session_factory
from recordstore.models import LedgerEntry
from tests.workflow_support import example

AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def event(seq: int, name: str, **fields) -> CaseEvent:
    return CaseEvent(request_id="LEDGER-0001", seq=seq, at=AT, name=name, actor=fields.pop("actor", "system"),
                     **fields)


def chain(*events: CaseEvent) -> list[StoredEntry]:
    entries, prev = [], genesis_hash("LEDGER-0001")
    for position, filed in enumerate(events, start=1):
        body = entry_body(filed)
        entries.append(StoredEntry(position=position, seq=filed.seq, body=body, prev_hash=prev,
                                   entry_hash=entry_hash(prev, body)))
        prev = entries[-1].entry_hash
    return entries


def test_an_entry_is_canonical_json_hashed_with_the_previous_hash():
    body = entry_body(event(1, "approve", actor="jdoe", role="analyst", via="update"))
    assert body == ('{"accepted":true,"actor":"jdoe","at":"2026-11-28T12:00:00Z","details":{},"name":"approve",'
                    '"note":"","reason":"","request_id":"LEDGER-0001","role":"analyst","seq":1,"via":"update"}')
    assert genesis_hash("LEDGER-0001") == sha("les-ledger-v1|genesis|LEDGER-0001")
    assert entry_hash("ab" * 32, body) == sha(f"les-ledger-v1|{'ab' * 32}|{body}")


def test_an_intact_chain_that_matches_the_history_has_no_finding():
    entries = chain(event(1, "verified"), event(2, "approve", actor="jdoe", role="analyst"))
    assert check_chain("LEDGER-0001", entries) == []
    assert cross_check(entries, {1: entries[0].body, 2: entries[1].body}, pending=set()) == []


def test_an_edited_entry_is_named():
    entries = chain(event(1, "verified"), event(2, "reject", actor="jdoe", role="analyst"))
    edited = entries[1].body.replace('"reject"', '"approve"')
    entries[1] = StoredEntry(2, 2, edited, entries[1].prev_hash, entries[1].entry_hash)
    findings = check_chain("LEDGER-0001", entries)
    assert [(f.kind, f.seq) for f in findings] == [("edited", 2)]
    history = {1: entries[0].body, 2: chain(event(1, "verified"), event(2, "reject", actor="jdoe",
                                                                         role="analyst"))[1].body}
    [against_history] = cross_check(entries, history, pending=set())
    assert (against_history.kind, against_history.seq) == ("edited", 2)
    assert "name is 'approve' in the ledger, 'reject' in the history" in against_history.message


def test_a_deleted_entry_breaks_the_chain_and_is_missing_against_the_history():
    full = chain(event(1, "verified"), event(2, "approve", actor="jdoe", role="analyst"), event(3, "closed"))
    kept = [full[0], full[2]]
    assert [(f.kind, f.seq) for f in check_chain("LEDGER-0001", kept)] == [("deleted", 3), ("broken link", 3)]
    [missing] = cross_check(kept, {e.seq: e.body for e in full}, pending=set())
    assert (missing.kind, missing.seq, missing.message) == (
        "missing", 2, "event seq 2 (approve) was filed by the workflow but is not in the ledger")


def test_an_entry_appended_with_a_valid_hash_is_still_an_insertion_against_the_history():
    entries = chain(event(1, "verified"), event(2, "approve", actor="jdoe", role="analyst"))
    assert check_chain("LEDGER-0001", entries) == []
    [inserted] = cross_check(entries, {1: entries[0].body}, pending=set())
    assert (inserted.kind, inserted.seq) == ("inserted", 2)
    assert cross_check(entries, {1: entries[0].body}, pending={2}) == []  # still in flight: not a finding


def test_every_case_event_is_chained_once_under_retries(settings, prepared_store):
    sessions = make_session_factory(prepared_store)
    case = CaseActivities(sessions)
    env = ActivityEnvironment()
    env.run(case.open_case, OpenCaseInput(request_id="LEDGER-0002", request_type="subpoena",
                                          workflow_id="case-LEDGER-0002",
                                          document=example("subpoena", "LEDGER-0002")))
    first = CaseEvent(request_id="LEDGER-0002", seq=1, at=AT, name="verified", actor="les-orchestrator")
    second = CaseEvent(request_id="LEDGER-0002", seq=2, at=AT, name="approve", actor="jdoe", role="analyst",
                       via="update")
    for filed in (first, first, second, second, first):
        env.run(case.record_case_event, filed)
    with sessions() as session:
        rows = list(session.scalars(select(LedgerEntry).where(LedgerEntry.request_id == "LEDGER-0002")
                                    .order_by(LedgerEntry.position)))
    assert [(r.position, r.seq) for r in rows] == [(1, 1), (2, 2)]
    assert rows[0].prev_hash == sha("les-ledger-v1|genesis|LEDGER-0002")
    assert rows[0].entry_hash == sha(f"les-ledger-v1|{rows[0].prev_hash}|{rows[0].body}")
    assert rows[1].prev_hash == rows[0].entry_hash
    assert '"name":"approve"' in rows[1].body and '"actor":"jdoe"' in rows[1].body
