"""The auditor's commands (SPEC §5): verify the case ledger against the histories, export a
request's history with a readable timeline, replay histories in bulk against today's code."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Replayer

from console.histories import FilingReader, decoded, every_run, filed_events
from console.person import NotPermitted, Person, codec_for, require, signed_in
from domain import ledger
from domain.case_page import timeline_line, utc_second
from les.codec import NATIONAL_SECURITY_REQUEST_TYPES, NATIONAL_SECURITY_WORKFLOW_TYPES, PayloadUndecryptable
from les.config import Settings
from les.metrics import audit_textfile
from les.paths import PathRefused, audit_export_file
from les.remote_codec import RemoteCodec
from les.temporal import connect, workflow_id_for

OK, FAILED = 0, 1


class AuditRefused(Exception):
    """Said to the auditor in one line (exit 1 unless `status` says otherwise)."""

    def __init__(self, message: str, status: int = FAILED) -> None:
        super().__init__(message)
        self.status = status


def _sessions(settings: Settings):
    from recordstore.db import make_engine, make_session_factory

    return make_session_factory(make_engine(settings.database_url))


def stored_chain(settings: Settings, request_id: str) -> list[ledger.StoredEntry]:
    from recordstore.models import LedgerEntry

    with _sessions(settings)() as session:
        rows = session.scalars(select(LedgerEntry).where(LedgerEntry.request_id == request_id)
                               .order_by(LedgerEntry.position))
        return [ledger.StoredEntry(position=r.position, seq=r.seq, body=r.body, prev_hash=r.prev_hash,
                                   entry_hash=r.entry_hash) for r in rows]


def requests_on_file(settings: Settings) -> list[tuple[str, str, str]]:
    """(request_id, workflow_id, request_type) of every case in the store."""
    from recordstore.models import Case

    with _sessions(settings)() as session:
        return [(c.request_id, c.workflow_id, c.request_type)
                for c in session.scalars(select(Case).order_by(Case.request_id))]


# ---- verify --------------------------------------------------------------------------------------


def auditor(settings: Settings, doing: str) -> Person:
    """The signed-in auditor (every `audit` command needs one, SPEC §6); AuditRefused otherwise."""
    try:
        return require(signed_in(settings), "auditor", doing)
    except NotPermitted as refused:
        raise AuditRefused(str(refused)) from None


async def auditor_client(settings: Settings, person: Person) -> Client:
    """The auditor's client: histories read through the codec servers, with the auditor's token."""
    return await connect(settings, codec=codec_for(settings, person))


def _cleared_for(person: Person, request_id: str, request_type: str | None, doing: str) -> None:
    national_security = str(request_type) in NATIONAL_SECURITY_REQUEST_TYPES or \
        str(request_type) in NATIONAL_SECURITY_WORKFLOW_TYPES
    if national_security and not person.cleared:
        raise AuditRefused(f"{request_id}: a national security case is {doing} only by a cleared auditor "
                           f"({person.subject} is not cleared); nothing was written")


async def run_verify(settings: Settings, request_id: str | None, metrics_file: str | None = None) -> int:
    if metrics_file is not None and not Path(metrics_file).parent.is_dir():
        raise AuditRefused(f"--metrics-file {metrics_file}: the folder {Path(metrics_file).parent} does not exist; "
                           "nothing was verified")
    person = auditor(settings, "audit verify")
    cases = requests_on_file(settings)
    if request_id is not None:
        cases = [c for c in cases if c[0] == request_id]
        if not cases:
            raise AuditRefused(f"{request_id}: no such request in the case store")
    client = await auditor_client(settings, person)
    failed = 0
    kinds: dict[str, int] = {}
    for rid, workflow_id, _request_type in cases:
        findings = await verify_one(client, settings, rid, workflow_id)
        for finding in findings:
            kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
        chain = stored_chain(settings, rid)
        entries = len(chain)
        if findings:
            failed += 1
            print(f"{rid}: FAILED ({entries} ledger entries)")
            for finding in findings:
                print(f"  - {finding.kind}: {finding.message}")
        else:
            print(f"{rid}: ok ({entries} ledger entries{_backfilled(chain)}, chain intact, "
                  "matches the workflow history)")
    print(f"verified {len(cases)} request(s): {len(cases) - failed} ok, {failed} failed")
    if metrics_file is not None:
        write_metrics_file(Path(metrics_file), audit_textfile(kinds, len(cases), failed, time.time()))
    return FAILED if failed else OK


def write_metrics_file(path: Path, text: str) -> None:
    """Replace `path` whole (a scrape never reads half a file): written beside it, then renamed;
    0640, for the exporter's group. Counts only: nothing in it names a case."""
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.replace(partial, path)


async def verify_one(client: Client, settings: Settings, request_id: str, workflow_id: str) -> list[ledger.Finding]:
    entries = stored_chain(settings, request_id)
    findings = ledger.check_chain(request_id, entries)
    try:
        runs = [await decoded(run, client.data_converter.payload_codec) for run in await every_run(client, workflow_id)]
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return [*findings, ledger.Finding("missing", None, f"the workflow {workflow_id} has no history on the "
                                              "server (deleted, or past the namespace's retention)")]
        raise
    except PayloadUndecryptable as err:
        return [*findings, ledger.Finding("unchecked", None, f"the history cannot be read ({err}): verify with "
                                          "the keys of a cleared person's machine")]
    filed = filed_events(runs)
    pending = filed.pending_for(e.seq for e in entries)
    before = set(ledger.pre_ledger(entries, filed.bodies, pending))
    return findings + [
        ledger.Finding(f.kind, f.seq, f"{f.message}; it was filed before the ledger existed: `starter.py audit "
                       f"backfill {request_id}`, signed in as an auditor, appends it, marked back-filled")
        if f.kind == "missing" and f.seq in before else f
        for f in ledger.cross_check(entries, filed.bodies, pending)]


def _backfilled(chain: list[ledger.StoredEntry]) -> str:
    """`, 2 back-filled by dokafor` when the chain holds entries appended by `audit backfill`."""
    by = [mark["backfilled_by"] for _, mark in (ledger.as_filed(e.body) for e in chain) if mark is not None]
    return f", {len(by)} back-filled by {', '.join(sorted(set(map(str, by))))}" if by else ""


# ---- backfill ------------------------------------------------------------------------------------


async def run_backfill(settings: Settings, request_id: str) -> int:
    """Append to the request's chain the events its workflow filed before the ledger existed
    (domain/ledger.pre_ledger), each marked `backfilled: true` with the auditor and the time. An
    event missing after the chain began is never back-filled: `audit verify` keeps reporting it."""
    cases = [c for c in requests_on_file(settings) if c[0] == request_id]
    if not cases:
        raise AuditRefused(f"{request_id}: no such request in the case store")
    _, workflow_id, request_type = cases[0]
    person = auditor(settings, "audit backfill")
    actor = person.subject
    _cleared_for(person, request_id, request_type, "back-filled")
    client = await auditor_client(settings, person)
    try:
        runs = [await decoded(run, client.data_converter.payload_codec) for run in await every_run(client, workflow_id)]
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise AuditRefused(f"{request_id}: the workflow {workflow_id} has no history on the server; "
                               "nothing to back-fill from") from None
        raise
    except PayloadUndecryptable as err:
        raise AuditRefused(f"{request_id}: the history cannot be read ({err}); nothing was written") from None
    filed = filed_events(runs)
    names = {e.seq: e.name for e in filed.events}
    appended = _append_backfill(settings, request_id, filed.bodies, filed.pending, actor)
    for position, seq in appended:
        print(f"{request_id}: back-filled event seq {seq} ({names.get(seq)}) at position {position}")
    print(f"{request_id}: {len(appended)} entr{'y' if len(appended) == 1 else 'ies'} back-filled by {actor}")
    return OK


def _append_backfill(settings: Settings, request_id: str, bodies: dict[int, str], pending: set[int],
                     actor: str) -> list[tuple[int, int]]:
    """In one transaction, the case row locked as record_case_event locks it (so no workflow
    append interleaves): the pre-ledger events appended after the chain's tail, oldest first."""
    from sqlalchemy.exc import IntegrityError

    from recordstore.models import Case, LedgerEntry

    now = datetime.now(UTC)
    with _sessions(settings)() as session:
        session.get(Case, request_id, with_for_update=True)
        rows = list(session.scalars(select(LedgerEntry).where(LedgerEntry.request_id == request_id)
                                    .order_by(LedgerEntry.position)))
        entries = [ledger.StoredEntry(position=r.position, seq=r.seq, body=r.body, prev_hash=r.prev_hash,
                                      entry_hash=r.entry_hash) for r in rows]
        prev = rows[-1].entry_hash if rows else ledger.genesis_hash(request_id)
        position = rows[-1].position if rows else 0
        appended: list[tuple[int, int]] = []
        for seq in ledger.pre_ledger(entries, bodies, pending):
            body = ledger.backfill_body(bodies[seq], actor, now.isoformat())
            position += 1
            digest = ledger.entry_hash(prev, body)
            session.add(LedgerEntry(request_id=request_id, position=position, seq=seq, body=body, prev_hash=prev,
                                    entry_hash=digest, appended_at=now))
            prev = digest
            appended.append((position, seq))
        try:
            session.commit()
        except IntegrityError:
            raise AuditRefused(f"{request_id}: the workflow appended to the ledger meanwhile; nothing was "
                               "written, run the back-fill again") from None
    return appended


# ---- export --------------------------------------------------------------------------------------


async def run_export(settings: Settings, request_id: str, folder: str) -> int:
    person = auditor(settings, "audit export")
    client = await auditor_client(settings, person)
    workflow_id = workflow_id_for(request_id)
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise AuditRefused(f"{request_id}: no such request was submitted") from None
        raise
    _cleared_for(person, request_id, description.workflow_type, "exported")
    runs = [await decoded(run, client.data_converter.payload_codec) for run in await every_run(client, workflow_id)]
    timeline = build_timeline(request_id, description.workflow_type, runs)
    root = Path(folder)
    written: list[Path] = []
    try:
        export_dir = _fresh_dir(root, request_id)
        for number, run in enumerate(runs, start=1):
            written.append(_write(export_dir, f"history-run-{number:02d}.json", run.to_json()))
        written.append(_write(export_dir, "timeline.txt", "\n".join(timeline) + "\n"))
    except (PathRefused, OSError) as err:
        raise AuditRefused(f"{request_id}: cannot write the export there: {getattr(err, 'strerror', None) or err}",
                           2) from None
    for path in written:
        print(path)
    print(f"{request_id}: {len(runs)} run(s) exported", file=sys.stderr)
    return OK


EXPORT_DIR_MODE, EXPORT_FILE_MODE = 0o700, 0o600
"""An export holds decrypted histories: its folder and files are the auditor's alone."""


def _fresh_dir(root: Path, request_id: str) -> Path:
    """FOLDER/<request_id>, made now (0700): an existing folder, or a link in its place, is refused."""
    import os

    root.mkdir(parents=True, exist_ok=True, mode=EXPORT_DIR_MODE)
    target = audit_export_file(root, request_id, "timeline.txt").parent
    try:
        os.mkdir(target, EXPORT_DIR_MODE)
    except FileExistsError:
        raise PathRefused(f"{target} already exists; an export is written only into a folder it creates") from None
    os.chmod(target, EXPORT_DIR_MODE)
    return target


def _write(folder: Path, name: str, text: str) -> Path:
    """A new file (0600) in the export's own folder: never an existing file, never through a link."""
    import os

    path = folder / name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, EXPORT_FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def build_timeline(request_id: str, workflow_type: str | None, runs: list[WorkflowHistory]) -> list[str]:
    """What an auditor reads: runs, every filed case event (decisions with actor, role and outcome,
    verification, productions with their manifest hash, the invoice) and every clock that fired."""
    lines = [f"{workflow_type} {request_id}: audit timeline ({len(runs)} run(s)); times UTC"]
    filed = {e.seq: e for e in filed_events(runs).events}
    for number, run in enumerate(runs, start=1):
        first = run.events[0]
        started = first.workflow_execution_started_event_attributes
        how = f"continued from run {started.continued_execution_run_id}" if started.continued_execution_run_id \
            else "submitted"
        lines.append(f"{utc_second(first.event_time.ToDatetime(UTC))}  run {number} started ({how})")
        reader = FilingReader()
        for event in run.events:
            kind, read = event.event_type, reader.read(event)
            if read is not None:
                if read[0] == "filed" and read[1].seq in filed:
                    lines.append(timeline_line(filed[read[1].seq]))
            elif kind == EventType.EVENT_TYPE_TIMER_FIRED:
                lines.append(f"{utc_second(event.event_time.ToDatetime(UTC))}  clock fired "
                             f"(timer {event.timer_fired_event_attributes.timer_id})")
            elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                lines.append(f"{utc_second(event.event_time.ToDatetime(UTC))}  continued as a new run")
            elif kind in _ENDINGS:
                lines.append(f"{utc_second(event.event_time.ToDatetime(UTC))}  workflow {_ENDINGS[kind]}")
    return lines


_ENDINGS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "completed",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: "failed",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: "terminated",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: "timed out",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: "cancelled",
}


# ---- replay --------------------------------------------------------------------------------------


async def run_replay(settings: Settings, query: str | None, files: list[str]) -> int:
    if query is not None and files:
        raise AuditRefused("give either --query or history files, not both", 2)
    person = auditor(settings, "audit replay")
    codec = codec_for(settings, person)
    client = await connect(settings, codec=codec) if query is not None or not files else None
    histories: list[tuple[str, WorkflowHistory]] = []
    if client is not None:
        async for execution in client.list_workflows(query or ""):
            handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
            histories.append((f"{execution.id} (run {execution.run_id})", await handle.fetch_history()))
    else:
        for name in files:
            try:
                text = Path(name).read_text(encoding="utf-8")
                histories.append((name, WorkflowHistory.from_json(Path(name).stem, text)))
            except (OSError, ValueError) as err:
                raise AuditRefused(f"{name}: not a readable history ({err})", 2) from None
    from les.temporal import data_converter

    replaying = RemoteCodec(codec.general_url, codec.cleared_url, person.token, ca_file=settings.codec_ca_file,
                            read_only=True)
    failures = await replay_histories(histories, data_converter(codec=replaying), progress=Progress(len(histories)))
    print(f"replayed {len(histories)} history(ies): {len(histories) - len(failures)} cleanly, {len(failures)} failed")
    for name, why in failures:
        print(f"  - {name}: {why}")
    return FAILED if failures else OK


async def replay_histories(histories: list[tuple[str, WorkflowHistory]], converter: DataConverter,
                           progress: Progress | None = None) -> list[tuple[str, str]]:
    """Replay named histories against today's workflow code with one Replayer, streamed through
    the SDK's replay iterator; (name, why) for each that did not replay cleanly (for a
    non-determinism error, the SDK's reason names the diverging event). `audit replay`'s core,
    and what bench/replay_bench.py times."""
    from workflows import ALL_WORKFLOWS

    replayer = Replayer(workflows=ALL_WORKFLOWS, data_converter=converter)
    failures: list[tuple[str, str]] = []
    async with replayer.workflow_replay_iterator(_one_by_one([h for _, h in histories])) as results:
        names = iter(name for name, _ in histories)
        async for result in results:
            name = next(names)
            if result.replay_failure is not None:
                failures.append((name, str(result.replay_failure)))
            if progress is not None:
                progress.step(len(failures))
    if progress is not None:
        progress.done()
    return failures


async def _one_by_one(histories: list[WorkflowHistory]):
    for history in histories:
        yield history


class Progress:
    """A one-line progress bar on a terminal (stderr); silent when stderr is not a terminal."""

    def __init__(self, total: int) -> None:
        self.total, self.count, self.shown = total, 0, sys.stderr.isatty()

    def step(self, failed: int) -> None:
        self.count += 1
        if self.shown:
            filled = int(30 * self.count / max(self.total, 1))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.count}/{self.total}, {failed} failed")
            sys.stderr.flush()

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
