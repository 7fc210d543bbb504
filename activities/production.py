"""Packaging and delivering a production: legend, text copy, manifest, certificate, then one atomic move."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import CancelledError

from activities.errors import paths_checked, production_conflict
from activities.heartbeat import Heartbeat
from domain.contracts import (
    DeliverInput,
    Delivery,
    LetterInput,
    PackagedProduction,
    PackageInput,
    ProductionRef,
)
from domain.letter import letter_text
from domain.production import (
    CERTIFICATE_FILE,
    LEGEND_FILE,
    LETTER_FILE,
    MANIFEST_FILE,
    TEXT_COPY_FILE,
    certificate_text,
    evaluated_warning,
    manifest_bytes,
    sha256_hex,
)
from domain.targets import TargetResolution, manifest_targets
from domain.vocabulary import RequestType
from les import paths
from les.config import Settings
from les.logging import activity_logger
from recordstore.csvfile import atomic_file
from recordstore.export import legend_for
from recordstore.models import Production
from recordstore.textcopy import FileScan, scan_file, write_text_copy


def production_folder(build: Callable[[Path, str, int], Path], delivery_root: Path, ref: ProductionRef) -> Path:
    """`build` (les/paths.py staging_dir or delivered_dir) for this production, refused as a
    non-retryable UnsafePath unless the request id is well-formed and the number 1-999. Call it
    before reading `ref.production_id`, which has no value for an ill-formed request id."""
    with paths_checked():
        return build(delivery_root, ref.request_id, ref.production_no)


def discard_staging(delivery_root: Path, ref: ProductionRef) -> None:
    """Remove exactly this production's staging folder, then its request's folder if now empty."""
    staging = production_folder(paths.staging_dir, delivery_root, ref)  # no symlink on the way
    with paths_checked():
        request_folder = paths.request_staging_dir(delivery_root, ref.request_id)
    if staging.is_dir():
        shutil.rmtree(staging)
    with contextlib.suppress(OSError):
        request_folder.rmdir()  # only ever removes an empty folder: another production may be staging


@contextlib.contextmanager
def cancelled_cleanly(partial: list[Path]):
    """Around a long activity's work: when the workflow cancels it (a withdrawal), the files it
    wrote are removed and it ends as cancelled.

    Cancellation reaches a synchronous activity through its heartbeat: the server answers a
    heartbeat with "cancel requested", the SDK raises CancelledError in the activity's thread
    (and `activity.is_cancelled()` turns true). Whatever the exception then seen (the database
    driver may wrap it), the cleanup runs shielded from a second one, then CancelledError is
    raised so the attempt is reported cancelled, not failed (a failure would be retried)."""
    try:
        yield
    except BaseException:
        if not (activity.in_activity() and activity.is_cancelled()):
            raise
        with activity.shield_thread_cancel_exception():
            for path in partial:
                path.unlink(missing_ok=True)
        raise CancelledError("cancelled by the workflow: the request was withdrawn") from None


HASH_CHUNK = 1 << 20
"""Files are hashed a MiB at a time: memory stays flat whatever a production's size."""


def file_sha256(path: Path, on_chunk: Callable[..., None] | None = None, chunks_per_beat: int = 256) -> str:
    """The file's SHA-256, read in chunks; `on_chunk(bytes=…)` every `chunks_per_beat` chunks."""
    digest, read = hashlib.sha256(), 0
    with path.open("rb") as handle:
        for n, chunk in enumerate(iter(lambda: handle.read(HASH_CHUNK), b""), start=1):
            digest.update(chunk)
            read += len(chunk)
            if on_chunk is not None and n % chunks_per_beat == 0:
                on_chunk(bytes=read)
    return digest.hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    with atomic_file(path) as handle:
        handle.write(data)


class ProductionActivities:
    """Writes the production's paperwork and delivers it; both steps are safe to retry."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session]) -> None:
        self._settings = settings
        self._sessions = session_factory

    @activity.defn
    def discard_production(self, ref: ProductionRef) -> None:
        """A withdrawn production: remove its staging folder (exactly that production's), never
        anything delivered. Safe to retry."""
        discard_staging(self._settings.delivery_root, ref)
        activity_logger(ref.request_id, production_id=ref.production_id).info("production staging discarded")

    @activity.defn
    def package_production(self, package: PackageInput) -> PackagedProduction:
        folder = production_folder(paths.staging_dir, self._settings.delivery_root, package)
        written = [folder / LEGEND_FILE, folder / MANIFEST_FILE, folder / CERTIFICATE_FILE, folder / LETTER_FILE,
                   folder / TEXT_COPY_FILE]
        with cancelled_cleanly(written):
            return self._package(package, folder)

    def _package(self, package: PackageInput, folder: Path) -> PackagedProduction:
        log = activity_logger(package.request_id, production_id=package.production_id)
        paths.make_delivery_dir(self._settings.delivery_root, folder)
        entries = [
            {"name": f.file_name, "category": str(f.category), "rows": f.rows, "sha256": f.sha256, "bytes": f.bytes,
             **({"by_target": [answer.model_dump() for answer in f.by_target]} if package.targets else {})}
            for f in package.files
        ]
        heartbeat = Heartbeat("check the retrieved files")
        for done, entry in enumerate(entries):  # a file changed since retrieval must never be certified
            heartbeat.beat(files=done, of=len(entries))
            with paths_checked():
                retrieved = paths.inside(folder, paths.plain_file_name(entry["name"]))
            if file_sha256(retrieved, on_chunk=heartbeat.beat) != entry["sha256"]:
                raise production_conflict(f"{entry['name']} no longer matches the hash taken at retrieval")
        scans = self._scan(folder, [entry["name"] for entry in entries])
        legend = legend_csv(str(package.document.get("type")), [f.category for f in package.files], scans)
        write_atomically(folder / LEGEND_FILE, legend)
        copy = self._text_copy(folder, scans, package.produced_at)
        entries.append({"name": LEGEND_FILE, "category": None, "rows": legend.count(b"\n") - 1,
                        "sha256": sha256_hex(legend), "bytes": len(legend)})
        if copy is not None:
            entries.append(copy)
        letter = None
        if package.targets is not None and package.targets.unresolved:
            letter = self._write_letter(folder, package.document, package.production_id, package.produced_at,
                                        package.targets, package.approved_by, produced_for_others=True)
        manifest = manifest_bytes(
            request=package.document, production_id=package.production_id, produced_at=package.produced_at,
            files=entries, refused=package.refused, approved_by=package.approved_by,
            targets=self._targets(package.document, package.targets), letter=letter,
            evaluated=[finding for scan in scans for finding in scan.findings()],
        )
        write_atomically(folder / MANIFEST_FILE, manifest)
        manifest_sha = sha256_hex(manifest)
        certificate = certificate_text(
            request=package.document, production_id=package.production_id, produced_at=package.produced_at,
            manifest_sha256=manifest_sha, files=entries, custodian_name=self._settings.custodian_name,
            custodian_title=self._settings.custodian_title, carrier_name=self._settings.carrier_name,
        )
        write_atomically(folder / CERTIFICATE_FILE, certificate.encode())
        rows = sum(f.rows for f in package.files)
        log.info("production packaged", files=len(entries), rows=rows, manifest_sha256=manifest_sha)
        return PackagedProduction(
            production_id=package.production_id, production_no=package.production_no, staging_dir=str(folder),
            manifest_sha256=manifest_sha,
            file_count=len(entries) + 2 + (letter is not None), row_count=rows,
        )

    @staticmethod
    def _scan(folder: Path, names: list[str]) -> list[FileScan]:
        """Each retrieved CSV read once for cells a spreadsheet would evaluate (OWASP CSV injection)."""
        heartbeat = Heartbeat("look for spreadsheet formulas")
        return [scan_file(folder / name, on_row=lambda rows, name=name: heartbeat.rows(rows, file=name))
                for name in names]

    @staticmethod
    def _text_copy(folder: Path, scans: list[FileScan], produced_at: datetime) -> dict[str, object] | None:
        """When any cell would be evaluated: the XLSX copy with every cell as text, as a manifest entry."""
        if not any(scan.evaluated for scan in scans):
            (folder / TEXT_COPY_FILE).unlink(missing_ok=True)  # an earlier attempt's, if the files changed
            return None
        heartbeat = Heartbeat(f"write {TEXT_COPY_FILE}")
        copy = write_text_copy(folder, [scan.name for scan in scans], produced_at, on_row=heartbeat.rows)
        return {"name": TEXT_COPY_FILE, "category": None, "rows": copy.rows, "sha256": file_sha256(folder / copy.name),
                "bytes": (folder / copy.name).stat().st_size, "copy_of": [scan.name for scan in scans],
                "cells_cut_to_32767_characters": copy.cut_cells}

    @activity.defn
    def write_no_records_letter(self, letter: LetterInput) -> PackagedProduction:
        """No target resolved: stage the custodian's letter and a manifest naming it, no certificate."""
        folder = production_folder(paths.staging_dir, self._settings.delivery_root, letter)
        log = activity_logger(letter.request_id, production_id=letter.production_id)
        paths.make_delivery_dir(self._settings.delivery_root, folder)
        entry = self._write_letter(folder, letter.document, letter.production_id, letter.produced_at,
                                   letter.targets, letter.confirmed_by, produced_for_others=False)
        manifest = manifest_bytes(
            request=letter.document, production_id=letter.production_id, produced_at=letter.produced_at,
            files=[], refused=letter.refused, approved_by=letter.confirmed_by,
            targets=self._targets(letter.document, letter.targets), letter=entry,
        )
        write_atomically(folder / MANIFEST_FILE, manifest)
        manifest_sha = sha256_hex(manifest)
        log.info("no responsive records letter written", targets=len(letter.targets.unresolved),
                 manifest_sha256=manifest_sha)
        return PackagedProduction(
            production_id=letter.production_id, production_no=letter.production_no, staging_dir=str(folder),
            manifest_sha256=manifest_sha, file_count=2, row_count=0,
        )

    def _write_letter(self, folder: Path, document: dict, production_id: str, produced_at: datetime,
                      resolution: TargetResolution, confirmed_by: dict[str, str], *,
                      produced_for_others: bool) -> dict[str, object]:
        text = letter_text(
            request=document, production_id=production_id, produced_at=produced_at, resolution=resolution,
            confirmed_by=confirmed_by, produced_for_others=produced_for_others,
            custodian_name=self._settings.custodian_name, custodian_title=self._settings.custodian_title,
            carrier_name=self._settings.carrier_name,
        ).encode()
        write_atomically(folder / LETTER_FILE, text)
        return {"name": LETTER_FILE, "sha256": sha256_hex(text), "bytes": len(text),
                "targets": [m.index for m in resolution.unresolved]}

    @staticmethod
    def _targets(document: dict, resolution: TargetResolution | None) -> list[dict] | None:
        """The manifest's per-target entries once verification resolved them; the old list before."""
        return manifest_targets(document.get("targets") or [], resolution) if resolution else None

    @activity.defn
    def deliver_production(self, delivery: DeliverInput) -> Delivery:
        root = self._settings.delivery_root
        staging = production_folder(paths.staging_dir, root, delivery)
        final = production_folder(paths.delivered_dir, root, delivery)
        log = activity_logger(delivery.request_id, production_id=delivery.production_id)
        if not final.exists():
            if not staging.is_dir():
                raise production_conflict(f"{staging} holds no packaged production to deliver")
            paths.make_delivery_dir(root, final.parent)
            os.replace(staging, final)
        delivered_sha = sha256_hex((final / MANIFEST_FILE).read_bytes())
        if delivered_sha != delivery.manifest_sha256:
            raise production_conflict(
                f"{final} already holds a different production (manifest {delivered_sha}); not overwritten"
            )
        discard_staging(root, delivery)
        delivered_at = self._record(delivery, final)
        log.info("production delivered", path=str(final), manifest_sha256=delivered_sha)
        return Delivery(production_id=delivery.production_id, path=str(final),
                        manifest_sha256=delivered_sha, delivered_at=delivered_at)

    def _record(self, delivery: DeliverInput, final: Path) -> datetime:
        """One productions row per request and production number, however often retried."""
        lookup = select(Production).where(
            Production.request_id == delivery.request_id, Production.production_no == delivery.production_no
        )
        with self._sessions() as session:
            existing = session.scalar(lookup)
            if existing is not None:
                return existing.created_at
            row = Production(
                request_id=delivery.request_id, production_no=delivery.production_no, path=str(final),
                manifest_sha256=delivery.manifest_sha256, file_count=delivery.file_count,
                row_count=delivery.row_count, created_at=datetime.now(UTC),
            )
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # a concurrent attempt recorded it first
                session.rollback()
                return session.scalar(lookup).created_at
            return row.created_at


def legend_csv(request_type: str, categories: list, scans: list[FileScan] = ()) -> bytes:
    """One row per column of every delivered file: what the column means (the instrument's columns
    only); then, for each column holding cells a spreadsheet would evaluate, a warning row naming
    the file, the column and how many cells (never their values)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "column", "meaning"])
    for category in categories:
        for column, meaning in legend_for(RequestType(request_type), category):
            writer.writerow([f"{category}.csv", column, meaning])
    for scan in scans:
        for column, cells in scan.evaluated.items():
            writer.writerow([scan.name, column, evaluated_warning(cells, scan.formulas.get(column, 0))])
    return buffer.getvalue().encode()
