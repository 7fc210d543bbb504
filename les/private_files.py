"""Owner-only folders and files for secrets a person or the stack keeps (a session's tokens, the
local OIDC provider's configuration): never written through a link, never into a file someone
else planted, never readable by anyone but their owner."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class PrivateFileRefused(Exception):
    """A folder or file that is not as this module would have made it; nothing was read or written."""


def private_dir(path: Path) -> Path:
    """`path` as an owner-only folder (0700), created if missing (its parents as usual).

    Refused when it is a link, not a folder, or someone else's."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=PRIVATE_DIR_MODE)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise PrivateFileRefused(f"{path} is a link, not a folder of yours; remove it and try again")
    if not stat.S_ISDIR(info.st_mode):
        raise PrivateFileRefused(f"{path} is not a folder; remove it and try again")
    if info.st_uid != os.getuid():
        raise PrivateFileRefused(f"{path} belongs to someone else (uid {info.st_uid}); remove it and try again")
    os.chmod(path, PRIVATE_DIR_MODE, follow_symlinks=False)
    return path


def check_private_file(path: Path) -> os.stat_result | None:
    """`path`'s status, None if it does not exist; PrivateFileRefused when it is not a file this
    module would have made (a link, not a plain file, someone else's, readable by others,
    hard-linked)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise PrivateFileRefused(f"{path} is a link someone put there; remove it and try again")
    if not stat.S_ISREG(info.st_mode):
        raise PrivateFileRefused(f"{path} is not a plain file; remove it and try again")
    if info.st_uid != os.getuid():
        raise PrivateFileRefused(f"{path} belongs to someone else (uid {info.st_uid}); remove it and try again")
    if info.st_mode & 0o077:
        raise PrivateFileRefused(f"{path} is readable by others (mode {stat.S_IMODE(info.st_mode):04o}), so it "
                                 "was not made here; remove it and try again")
    if info.st_nlink != 1:
        raise PrivateFileRefused(f"{path} has {info.st_nlink} names (a hard link someone made); remove it and "
                                 "try again")
    return info


def replace_private_file(path: Path, data: bytes) -> Path:
    """Write `data` to `path` (mode 0600) in one step: a fresh file beside it, renamed over it.

    The fresh file is created exclusively and never through a link, and the rename replaces a
    name, never writes through it; an existing `path` that this module would not have made (a
    link, someone else's, readable by others, hard-linked) is refused, not replaced."""
    path = Path(path)
    check_private_file(path)
    fresh = path.with_name(f".{path.name}.{secrets.token_hex(8)}.new")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        check_private_file(path)
        os.replace(fresh, path)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    return path


def read_private_file(path: Path) -> bytes | None:
    """The contents of `path`, or None if it does not exist; refused when it is not a file this
    module would have made (a link, someone else's, readable by others, hard-linked)."""
    path = Path(path)
    if check_private_file(path) is None:
        return None
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as source:
        return source.read()


def remove_private_file(path: Path) -> bool:
    """Delete `path` (a link is removed, never followed); True if something was there."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True
