"""The hash-chained case ledger: written with every case event, once, and what verification finds."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from temporalio.client import WorkflowHistory
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from console.histories import filed_events
from domain.contracts import CaseEvent, OpenCaseInput
from domain.ledger import (
    StoredEntry,
    backfill_body,
    check_chain,
    cross_check,
    entry_body,
    entry_hash,
    genesis_hash,
    pre_ledger,
)
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


def linked(*bodies: tuple[int, str]) -> list[StoredEntry]:
    """A chain of (seq, body) in append order, every hash right."""
    entries, prev = [], genesis_hash("LEDGER-0001")
    for position, (seq, body) in enumerate(bodies, start=1):
        entries.append(StoredEntry(position, seq, body, prev, entry_hash(prev, body)))
        prev = entries[-1].entry_hash
    return entries


def test_events_filed_before_the_ledger_are_back_filled_marked_and_then_match_the_history():
    history = {e.seq: entry_body(e) for e in (event(1, "verified"), event(2, "approve", actor="jdoe", role="analyst"),
                                              event(3, "closed"))}
    # The ledger began at seq 3: 1 and 2 were filed before it existed.
    began = linked((3, history[3]))
    assert pre_ledger(began, history, pending=set()) == [1, 2]
    assert [(f.kind, f.seq) for f in cross_check(began, history, pending=set())] == [("missing", 1), ("missing", 2)]
    backfilled = linked((3, history[3]), *((seq, backfill_body(history[seq], "dokafor", "2026-11-29T20:00:00+00:00"))
                                           for seq in (1, 2)))
    assert '"backfilled":true,"backfilled_at":"2026-11-29T20:00:00+00:00","backfilled_by":"dokafor"' in \
        backfilled[1].body
    assert check_chain("LEDGER-0001", backfilled) == [] and cross_check(backfilled, history, pending=set()) == []
    assert pre_ledger(backfilled, history, pending=set()) == []

    # Tampering stays visible: the mark is under the hash, and the event must still be the history's.
    forged = backfilled[1].body.replace('"backfilled_by":"dokafor"', '"backfilled_by":"jdoe"')
    rewritten = [backfilled[0], StoredEntry(2, 1, forged, backfilled[1].prev_hash, backfilled[1].entry_hash),
                 backfilled[2]]
    assert [(f.kind, f.seq) for f in check_chain("LEDGER-0001", rewritten)] == [("edited", 1)]
    lied = linked((3, history[3]), (1, backfill_body(history[1].replace('"verified"', '"rejected"'), "dokafor", "x")))
    assert [(f.kind, f.seq) for f in cross_check(lied, history, pending=set())] == [("edited", 1), ("missing", 2)]


def test_an_entry_deleted_after_the_chain_began_is_never_back_filled():
    history = {e.seq: entry_body(e) for e in (event(1, "verified"), event(2, "approve", actor="jdoe", role="analyst"),
                                              event(3, "closed"))}
    assert pre_ledger(linked((1, history[1]), (2, history[2])), history, pending=set()) == []  # tail 3 deleted
    assert pre_ledger(linked((1, history[1]), (3, history[3])), history, pending=set()) == []  # 2 deleted
    assert pre_ledger([], history, pending={3}) == [1, 2]  # no chain at all: every completed filing; 3 in flight
    # A back-filled entry for an event after the chain began is an insertion, however well hashed.
    sneaked = linked((1, history[1]), (3, history[3]), (2, backfill_body(history[2], "dokafor", "x")))
    [inserted] = cross_check(sneaked, history, pending=set())
    assert (inserted.kind, inserted.seq) == ("inserted", 2)
    assert "marked back-filled but the chain had begun (seq 1)" in inserted.message


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


# ---- what the histories say was filed: activities (v1-v4) and local activities (v5) ----------------

HISTORIES = Path(__file__).parents[1] / "histories"


def history(name: str, keep: int | None = None) -> WorkflowHistory:
    """A recorded history (tests/histories, plain payloads); `keep` cuts it to its first events,
    as the history of a case still open at that point."""
    recorded = WorkflowHistory.from_json("case-LEDGER", (HISTORIES / f"{name}.json").read_text())
    return WorkflowHistory(recorded.workflow_id, list(recorded.events)[:keep])


def first_update(recorded: WorkflowHistory) -> int:
    """The index of the first accepted update (the approval): the history cut there is an open case's."""
    return next(n for n, e in enumerate(recorded.events)
                if e.HasField("workflow_execution_update_accepted_event_attributes"))


def test_filings_read_from_local_activity_markers_are_those_read_from_activities():
    """The same scenario recorded with activities (v4) and with local activities (v5): the same
    events filed, each with the same body, in the same order; nothing pending once closed."""
    v4, v5 = filed_events([history("subpoena_v4_approve")]), filed_events([history("subpoena_v5_approve")])
    assert [e.name for e in v5.events] == [e.name for e in v4.events] == [
        "verified", "approve", "approve", "production_delivered", "invoiced", "closed"]
    assert [e.accepted for e in v5.events] == [e.accepted for e in v4.events]
    assert sorted(v5.bodies) == sorted(v4.bodies) == list(range(1, len(v4.bodies) + 1))
    assert (v5.pending, v5.open_after, v4.open_after) == (set(), None, None)
    assert all(json.loads(v5.bodies[s])["actor"] == json.loads(v4.bodies[s])["actor"] for s in v4.bodies)


def test_an_entry_after_an_open_local_run_s_last_filing_is_in_flight_and_once_closed_an_insertion():
    """A local activity's marker is written when its workflow task completes, so while the case is
    open its next filing may be in the ledger and not yet in the history: not a finding. The same
    entry against the closed case's history, which never filed it, is an insertion."""
    closed = history("subpoena_v5_approve")
    cut = first_update(closed)
    open_case = filed_events([history("subpoena_v5_approve", keep=cut)])
    assert open_case.open_after == max(open_case.bodies) == 2  # `verified` and the refused approve
    entries = linked(*((s, open_case.bodies[s]) for s in sorted(open_case.bodies)),
                     (3, entry_body(event(3, "approve", actor="mallory", role="analyst"))))
    assert cross_check(entries, open_case.bodies, open_case.pending_for(e.seq for e in entries)) == []

    done = filed_events([closed])
    forged = linked(*((s, done.bodies[s]) for s in sorted(done.bodies)),
                    (99, entry_body(event(99, "approve", actor="mallory", role="analyst"))))
    [inserted] = cross_check(forged, done.bodies, done.pending_for(e.seq for e in forged))
    assert (inserted.kind, inserted.seq) == ("inserted", 99)


def test_an_open_run_filing_as_activities_keeps_the_exact_pending_set():
    """Before local activities, a filing is in the history from its scheduling: an entry after the
    last one scheduled is an insertion even while the case is open."""
    full = history("subpoena_v4_approve")
    cut = first_update(full)
    open_case = filed_events([history("subpoena_v4_approve", keep=cut)])
    assert open_case.open_after is None
    entries = linked(*((s, open_case.bodies[s]) for s in sorted(open_case.bodies)),
                     (9, entry_body(event(9, "approve", actor="mallory", role="analyst"))))
    [inserted] = cross_check(entries, open_case.bodies, open_case.pending_for(e.seq for e in entries))
    assert (inserted.kind, inserted.seq) == ("inserted", 9)
