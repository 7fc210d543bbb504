"""Every path LES Orchestrator touches is built here, and only here.

A path is a configured root (trusted: it comes from the operator) plus names made only of safe
parts: a well-formed request_id, a production id built from it and a number, a plain file name,
or one of this module's own constants. The result is resolved (symlinks followed) and refused
unless it still lies inside the root, so no request, decision or client can make the product
read, write or delete anywhere else."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from domain.identifiers import file_name_fault, production_id, request_id_fault

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = PROJECT_ROOT / ".les"
"""The state folder of a local run (databases, logs); LES_STATE_DIR moves it."""

STAGING = ".staging"
"""Under the delivery root: productions being written, one folder per production."""


class PathRefused(ValueError):
    """A name that is not safe, or a path that would leave its root; nothing was touched."""


def _unless_faulty(text: object, fault: str | None) -> str:
    if fault is not None:
        raise PathRefused(fault)
    return str(text)


def safe_name(text: object) -> str:
    """`text` when it is a well-formed request_id (SPEC §1), else PathRefused."""
    return _unless_faulty(text, request_id_fault(text))


def plain_file_name(text: object) -> str:
    """`text` when it is a plain file name (one component, no traversal), else PathRefused."""
    return _unless_faulty(text, file_name_fault(text))


def inside(root: Path | str, *parts: str, symlinks: bool = False) -> Path:
    """root/part/..., resolved; refused unless it lies inside the resolved root.

    Each part must be a single component. Symlinks are followed, so one inside the root that
    points outside it is always refused; with `symlinks=False` (the folders the product writes
    and deletes in) a symlink anywhere below the root is refused, wherever it points."""
    base = Path(root).resolve()
    for part in parts:
        if (not isinstance(part, str) or part in ("", ".", "..")
                or any(c in part for c in ("/", "\\", "\x00"))):
            raise PathRefused(f"{part!a} is not a single path component")
    written = base.joinpath(*parts)
    candidate = written.resolve()
    if not candidate.is_relative_to(base):
        raise PathRefused(f"{written} leads to {candidate}, outside {base}")
    if not symlinks and candidate != written:
        raise PathRefused(f"{written} passes through a symlink (to {candidate})")
    return candidate


def production_id_of(request_id: object, number: object) -> str:
    """The production id built from a well-formed request_id and a number, else PathRefused."""
    try:
        return production_id(safe_name(request_id), number)  # type: ignore[arg-type]
    except ValueError as bad:
        raise PathRefused(str(bad)) from None


def request_staging_dir(delivery_root: Path, request_id: object) -> Path:
    """The folder holding a request's productions while they are written."""
    return inside(delivery_root, STAGING, safe_name(request_id))


def staging_dir(delivery_root: Path, request_id: object, number: object) -> Path:
    """Where retrieval and packaging write one production before it is delivered."""
    return inside(delivery_root, STAGING, safe_name(request_id), production_id_of(request_id, number))


def delivered_dir(delivery_root: Path, request_id: object, number: object) -> Path:
    """<delivery root>/<request_id>/<request_id>-Pnn: one delivered production."""
    return inside(delivery_root, safe_name(request_id), production_id_of(request_id, number))


def document_file(documents_root: Path, request_id: object, name: object) -> Path:
    """<documents root>/<request_id>/<name>: one scanned paper on file."""
    return inside(documents_root, safe_name(request_id), plain_file_name(name), symlinks=True)


def audit_export_file(export_root: Path, request_id: object, name: object) -> Path:
    """<export folder>/<request_id>/<name>: one file of a request's audit export (SPEC §5)."""
    return inside(export_root, safe_name(request_id), plain_file_name(name))


def keyring_file(keyring_root: Path, key_id: object) -> Path:
    """<keyring folder>/<key id>: one payload-encryption key (SPEC §5); key ids follow the id alphabet."""
    return inside(keyring_root, safe_name(key_id))


def state_file(state_dir: Path, name: object) -> Path:
    """<state folder>/<name>: a database, log or other file of a local run."""
    return inside(state_dir, plain_file_name(name))


DELIVERY_DIR_MODE = 0o750
"""Delivery folders: the service account writes, its group (the LES team) reads, no one else."""
PRIVATE_FILE_MODE = 0o600
"""The records store's SQLite file (and its WAL files, which SQLite creates with the same mode)."""


def make_delivery_dir(delivery_root: Path, folder: Path) -> Path:
    """Create `folder` (a path this module built under `delivery_root`) and every folder between,
    the root included, each with mode 0750 whatever the umask."""
    root = Path(delivery_root).resolve()
    folder = Path(folder)
    if folder != root and root not in folder.parents:
        raise PathRefused(f"{folder} is not inside the delivery root {root}")
    folder.mkdir(parents=True, exist_ok=True, mode=DELIVERY_DIR_MODE)
    for level in [folder, *folder.parents]:
        level.chmod(DELIVERY_DIR_MODE)
        if level == root:
            break
    return folder


STATE_DIR_MODE = 0o700
"""The state folder of a local run: databases, keys, tokens and logs, its owner's alone."""
LOG_FILE_MODE = 0o600
"""A log file the stack writes (console/supervisor.py): logs name requests and people."""


def make_private_dir(folder: Path) -> Path:
    """Create `folder` (and its parents) if missing, and set it to 0700 whatever the umask."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=STATE_DIR_MODE)
    folder.chmod(STATE_DIR_MODE)
    return folder


def make_private_file(path: Path) -> Path:
    """Create `path` if missing, readable and writable by its owner only (mode 0600), and tighten
    an existing one to that mode.

    An existing file is never opened: closing any descriptor of a file drops every POSIX lock the
    process holds on it, SQLite's included. A worker that opened a second engine on its SQLite
    store that way lost its locks; another process closing the store then took its write-ahead
    log away, and the worker's later commits went into a deleted file (tests/unit/test_recordstore.py)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile: no lock of ours on it
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE))
    path.chmod(PRIVATE_FILE_MODE)
    return path
