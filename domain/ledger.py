"""The case ledger's rules, pure: how an entry is written down and hashed, and what an auditor
finds when the chain and the workflow history are laid side by side.

One chain per request. Entry n carries the hash of entry n-1 of the same request (the first
carries the request's genesis hash), in the order the entries were appended. A chain per
request, not one for the whole store: requests are written concurrently by different
workflows, and a global chain would serialize every case event of the carrier on one row;
a request's chain is also what an auditor exports and checks for one request."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from domain.contracts import CaseEvent

HASH_VERSION = "les-ledger-v1"


def entry_body(event: CaseEvent) -> str:
    """The event as canonical JSON (sorted keys, no spaces): what is hashed and kept."""
    return json.dumps(event.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def genesis_hash(request_id: str) -> str:
    """What the first entry of a request's chain carries as its previous hash."""
    return hashlib.sha256(f"{HASH_VERSION}|genesis|{request_id}".encode()).hexdigest()


def entry_hash(prev_hash: str, body: str) -> str:
    """sha256 over the version, the previous entry's hash and the entry's body."""
    return hashlib.sha256(f"{HASH_VERSION}|{prev_hash}|{body}".encode()).hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    """One ledger row as read back from the store."""

    position: int
    seq: int
    body: str
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class Finding:
    """One thing wrong: the kind (edited, deleted, inserted, missing, ...) and what it concerns."""

    kind: str
    seq: int | None
    message: str


def check_chain(request_id: str, entries: list[StoredEntry]) -> list[Finding]:
    """Walk a request's chain in append order: every hash recomputed, every link followed."""
    findings: list[Finding] = []
    expected_prev, expected_position = genesis_hash(request_id), 1
    for entry in entries:
        if entry.position != expected_position:
            findings.append(Finding("deleted" if entry.position > expected_position else "inserted", entry.seq,
                                    f"entry seq {entry.seq} is at position {entry.position} where "
                                    f"{expected_position} was expected"))
        if entry_hash(entry.prev_hash, entry.body) != entry.entry_hash:
            findings.append(Finding("edited", entry.seq,
                                    f"entry seq {entry.seq}: its content no longer matches its hash"))
        if entry.prev_hash != expected_prev:
            findings.append(Finding("broken link", entry.seq,
                                    f"entry seq {entry.seq}: the previous hash it carries is not the hash of the "
                                    "entry before it (an entry was deleted, inserted or rewritten)"))
        expected_prev, expected_position = entry.entry_hash, entry.position + 1
    return findings


BACKFILL_FIELDS = ("backfilled", "backfilled_by", "backfilled_at")
"""What a back-filled entry's body carries besides the event, all covered by its hash."""


def backfill_body(filed_body: str, actor: str, at: str) -> str:
    """The body of an entry appended after the fact (`audit backfill`) for an event the workflow
    filed before the ledger existed: the event as the history holds it, marked as back-filled,
    by whom and when."""
    body = json.loads(filed_body)
    body.update(backfilled=True, backfilled_by=actor, backfilled_at=at)
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def as_filed(body: str) -> tuple[str, dict[str, Any] | None]:
    """An entry's body as the workflow filed it, and its back-fill mark (None for an entry
    written when the event was filed)."""
    parsed = json.loads(body)
    if parsed.get("backfilled") is not True:
        return body, None
    mark = {k: parsed.pop(k, None) for k in BACKFILL_FIELDS}
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False), mark


def chain_start(entries: list[StoredEntry]) -> int | None:
    """The seq of the first event the ledger recorded as it was filed (None: no such entry)."""
    written = [e.seq for e in entries if as_filed(e.body)[1] is None]
    return min(written) if written else None


def pre_ledger(entries: list[StoredEntry], filed: dict[int, str], pending: set[int]) -> list[int]:
    """Events the workflow filed before the ledger existed and the ledger lacks: no entry at all
    for the request yet, or a seq before the first entry written at filing time. A gap after
    that is not pre-ledger (an entry deleted): it stays `missing`, never back-filled."""
    start = chain_start(entries)
    have = {e.seq for e in entries}
    return sorted(seq for seq in filed if seq not in have and seq not in pending and (start is None or seq < start))


def cross_check(entries: list[StoredEntry], filed: dict[int, str], pending: set[int]) -> list[Finding]:
    """The ledger against the workflow history: `filed` maps each seq whose record_case_event
    completed to its body as the history holds it; `pending` are seqs scheduled but not done.
    A back-filled entry is compared without its mark, and must be one from before the chain's
    first entry written at filing time."""
    findings: list[Finding] = []
    seen: set[int] = set()
    start = chain_start(entries)
    for entry in entries:
        if entry.seq in seen:
            findings.append(Finding("inserted", entry.seq, f"entry seq {entry.seq} appears twice in the ledger"))
            continue
        seen.add(entry.seq)
        body, backfilled = as_filed(entry.body)
        if backfilled is not None and start is not None and entry.seq > start:
            findings.append(Finding("inserted", entry.seq, f"entry seq {entry.seq} is marked back-filled but the "
                                    f"chain had begun (seq {start}) before that event was filed"))
        recorded = filed.get(entry.seq)
        if recorded is None:
            if entry.seq not in pending:
                findings.append(Finding("inserted", entry.seq,
                                        f"entry seq {entry.seq} is in the ledger but the workflow never filed it"))
        elif recorded != body:
            findings.append(Finding("edited", entry.seq, f"entry seq {entry.seq} differs from what the workflow "
                                    f"filed: {_difference(body, recorded)}"))
    for seq in sorted(set(filed) - seen):
        findings.append(Finding("missing", seq, f"event seq {seq} ({_name(filed[seq])}) was filed by the workflow "
                                "but is not in the ledger"))
    return findings


def _name(body: str) -> str:
    return str(json.loads(body).get("name"))


def _difference(stored: str, recorded: str) -> str:
    ledger, history = json.loads(stored), json.loads(recorded)
    fields = sorted(k for k in set(ledger) | set(history) if ledger.get(k) != history.get(k))
    return "; ".join(f"{k} is {ledger.get(k)!r} in the ledger, {history.get(k)!r} in the history" for k in fields)


def event_summary(body: str) -> dict[str, Any]:
    """The body back as a dict (for the timeline)."""
    return json.loads(body)
