"""How a command ends: the exit statuses (one table, shown by `starter.py --help` and used by every
failure) and each failure the user is told about, as one line and its status. No traceback reaches
a user: a failure this module does not know is a bug, and is said as one too."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import textwrap
import threading
from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    REFUSED = 1
    BAD_INPUT = 2
    UNAVAILABLE = 3
    CONFIGURATION = 4
    FAULT = 70
    INTERRUPTED = 130


EXIT_MEANINGS: dict[Exit, str] = {
    Exit.OK: "done (check: the verdict is accept or partial)",
    Exit.REFUSED: "refused: check's verdict is reject; a decision was refused; no one is signed in, or the "
                  "person signed in may not do it; no such request, or already submitted; an audit found a fault",
    Exit.BAD_INPUT: "bad input: an unknown command or option, a missing argument, an unreadable request file, "
                    "a malformed request id or value",
    Exit.UNAVAILABLE: "unavailable: the Temporal server, a codec server, the OIDC provider or the case store did "
                      "not answer, or no worker answered in time; try again once it is up",
    Exit.CONFIGURATION: "configuration: a setting (LES_*), the Temporal connection profile, the keyring or the "
                        "case store's tables are missing or unusable on this machine",
    Exit.FAULT: "a fault in this program (a bug): the line says what failed; please report it",
    Exit.INTERRUPTED: "interrupted (Ctrl-C)",
}


def exit_table(width: int = 100) -> str:
    """The exit statuses, as `--help` shows them."""
    return "exit status:\n" + "\n".join(
        textwrap.fill(meaning, width, initial_indent=f"  {int(code):<5}", subsequent_indent=" " * 7)
        for code, meaning in EXIT_MEANINGS.items())


class CommandError(Exception):
    """A failure the user is told about in one line, with the exit status to use."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def explain(err: BaseException, database_url: str | None = None) -> tuple[str, int] | None:
    """The line and the exit status of a failure the user is told about; None when it is none of
    them (a bug). `database_url` names the case store in the store's failures."""
    from sqlalchemy.exc import SQLAlchemyError

    from console.audit import AuditRefused
    from console.login import LoginRefused, NotSignedIn
    from console.person import NotPermitted
    from console.report import ReportRefused
    from les.codec import PayloadUndecryptable
    from les.config import ConfigurationError
    from les.keyring import KeyringError
    from les.oidc import OidcConfigurationError, ProviderUnreachable, TokenRefused
    from les.private_files import PrivateFileRefused
    from les.remote_codec import CodecRefused, CodecUnreachable
    from les.temporal import TemporalMisconfigured, TemporalUnavailable

    if isinstance(err, CommandError | AuditRefused | ReportRefused):
        return str(err), err.status
    if isinstance(err, TemporalMisconfigured | ConfigurationError | OidcConfigurationError):
        return str(err), Exit.CONFIGURATION
    if isinstance(err, KeyringError):
        return f"this machine's keyring cannot be used: {err}", Exit.CONFIGURATION
    if isinstance(err, TemporalUnavailable | CodecUnreachable | ProviderUnreachable):
        return str(err), Exit.UNAVAILABLE
    if isinstance(err, PayloadUndecryptable):
        return f"{err}; the case's contents cannot be read with the keys this machine holds", Exit.REFUSED
    if isinstance(err, NotSignedIn | TokenRefused | NotPermitted | LoginRefused | PrivateFileRefused):
        return str(err), Exit.REFUSED
    if isinstance(err, CodecRefused):
        return str(err), Exit.UNAVAILABLE if err.status >= 500 else Exit.REFUSED
    if isinstance(err, SQLAlchemyError):
        return store_failure(err, database_url)
    return None


def store_failure(err: BaseException, database_url: str | None) -> tuple[str, int]:
    """The case store failed: without its tables (a fresh state folder, a database never migrated)
    it is a configuration error; otherwise it did not answer."""
    from les.config import redacted_url

    reason = " ".join(str(getattr(err, "orig", None) or err).split("\n")[0].split())
    where = f"the case store at {redacted_url(database_url)}" if database_url else "the case store"
    if "no such table" in reason or ("relation" in reason and "does not exist" in reason):
        return (f"{where} has no case tables ({reason}): is LES_DATABASE_URL right? `python3 stack.py up` "
                "(or `python -m recordstore.migrate upgrade`) creates them", Exit.CONFIGURATION)
    return f"{where} cannot be read ({reason}); is it up, and is LES_DATABASE_URL right?", Exit.UNAVAILABLE


def report(message: str, status: int, *, as_json: bool = False) -> int:
    """Say a failure on stderr, where a Unix tool says it: one line, or with --json one object,
    {"error": "...", "exit_code": N}, so stdout holds only answers. Returns `status`."""
    line = json.dumps({"error": message, "exit_code": int(status)}) if as_json else f"starter: {message}"
    print(line, file=sys.stderr, flush=True)
    return int(status)


@contextlib.contextmanager
def interruptible():
    """Ctrl-C stops a command at once, wherever it is: a prompt, a read of standard input, the
    device code's polling, a replay. asyncio.run's own SIGINT handler would only cancel the task at
    its next await; here the KeyboardInterrupt is raised where the program is, and starter.py says
    it in one line (exit 130)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
