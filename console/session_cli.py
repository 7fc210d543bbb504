"""`starter.py login USER | whoami | logout | token`: who is signed in on this machine.

Exit status (console/errors.py): 0 done, 1 refused (wrong password, not signed in, a planted
session file), 2 bad input, 3 the OIDC provider cannot be reached, 4 the OIDC settings cannot be
used, 130 interrupted."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from console.errors import Exit, interruptible
from console.login import (
    LoginRefused,
    NotSignedIn,
    OidcClient,
    SessionStore,
    current_session,
    state_dir_from_env,
)
from les.config import ConfigurationError
from les.oidc import OidcConfigurationError, OidcSettings, ProviderUnreachable, TokenRefused, TokenVerifier
from les.private_files import PrivateFileRefused

OK, REFUSED, BAD_INPUT, UNAVAILABLE = Exit.OK, Exit.REFUSED, Exit.BAD_INPUT, Exit.UNAVAILABLE
USER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
SESSION_COMMANDS = ("login", "whoami", "logout", "token")


def add_session_commands(sub: argparse._SubParsersAction) -> None:
    login = sub.add_parser("login", help="sign in (OpenID Connect); the commands that follow act as you")
    login.add_argument("user", help="your id on the roster (e.g. jdoe)")
    login.add_argument("--password-stdin", action="store_true",
                       help="read the password from standard input (local provider only)")
    login.add_argument("--device", action="store_true",
                       help="sign in in a browser with a code (RFC 8628); the default for a provider not on "
                            "this machine")
    sub.add_parser("whoami", help="who is signed in, until when, and their roles on the roster")
    sub.add_parser("logout", help="revoke this machine's tokens at the provider and forget them")
    sub.add_parser("token", help="print the current access token, e.g. --codec-auth \"Bearer $(python "
                                 "starter.py token)\"")


def run_session_command(args: argparse.Namespace, *, stdin=None, say=None) -> int:
    """One of SESSION_COMMANDS; every failure is one line on stderr and an exit status."""
    stdin = stdin or sys.stdin
    say = say or (lambda text: print(text, flush=True))
    try:
        with interruptible():
            return _run(args, stdin, say)
    except KeyboardInterrupt:
        _complain("interrupted; nothing was changed")
        return Exit.INTERRUPTED


def _run(args: argparse.Namespace, stdin, say) -> int:
    try:
        settings = OidcSettings.from_env()
        state_dir = state_dir_from_env()
        if args.command == "login":
            return _login(settings, state_dir, args, stdin, say)
        if args.command == "whoami":
            return _whoami(settings, state_dir, say)
        if args.command == "logout":
            return _logout(settings, state_dir, say)
        print(current_session(state_dir, settings).access_token, flush=True)
        return OK
    except (OidcConfigurationError, ConfigurationError) as err:
        _complain(err)
        return Exit.CONFIGURATION
    except _BadInput as err:
        _complain(err)
        return BAD_INPUT
    except (LoginRefused, NotSignedIn, TokenRefused, PrivateFileRefused) as err:
        _complain(err)
        return REFUSED
    except ProviderUnreachable as err:
        _complain(err)
        return UNAVAILABLE
    except OSError as err:  # the state folder unwritable, the disk full …
        _complain(f"{err.strerror or err}: {err.filename or ''}".rstrip(": "))
        return REFUSED


class _BadInput(ValueError):
    pass


def _complain(err: Exception | str) -> None:
    print(f"starter: {err}", file=sys.stderr, flush=True)


def _until(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _read_password(args: argparse.Namespace, settings: OidcSettings, stdin) -> str:
    if args.password_stdin:
        password = stdin.readline().rstrip("\r\n")
    elif not sys.stdin.isatty():
        raise _BadInput("no terminal to ask the password on; pipe it in with --password-stdin")
    else:
        password = getpass.getpass(f"password for {args.user} at {settings.issuer}: ")
    if not password:
        raise _BadInput("an empty password was given")
    return password


def _login(settings: OidcSettings, state_dir: Path, args: argparse.Namespace, stdin, say) -> int:
    if not USER_ID.fullmatch(args.user):
        raise _BadInput(f"{args.user!r} is not a user id (letters, digits and . _ @ - only)")
    store = SessionStore(state_dir)
    store.check()  # a planted or foreign session file is refused before anything is asked
    client = OidcClient(settings)
    if args.device or not settings.is_local:
        if args.password_stdin:
            raise _BadInput(f"the provider {settings.issuer} is not this machine's: passwords are typed at the "
                            "provider, never given to this command; sign in with the device code (drop "
                            "--password-stdin)")
        tokens = client.sign_in_with_device(args.user, say)
    else:
        tokens = client.sign_in_with_password(args.user, _read_password(args, settings, stdin))
    path = store.save(tokens)
    say(f"signed in as {tokens.subject} at {settings.issuer}; access token valid until {_until(tokens.expires_at)}"
        f"{', renewed automatically' if tokens.refresh_token else ''} (kept in {path}, mode 0600)")
    return OK


def _whoami(settings: OidcSettings, state_dir: Path, say) -> int:
    tokens = current_session(state_dir, settings)
    identity = TokenVerifier(settings).verify(tokens.access_token)
    say(f"{identity.subject}, signed in at {identity.issuer}")
    say(f"  access token valid until {_until(identity.expires_at.timestamp())}"
        f"{' (renewed automatically with the refresh token)' if tokens.refresh_token else ''}")
    say(f"  roster: {_roster_line(identity.subject)}")
    return OK


def _roster_line(subject: str) -> str:
    """Roles and clearance come from the roster, never from the token."""
    from sqlalchemy.exc import SQLAlchemyError

    from console.roster import roster_lookup
    from les.config import ConfigurationError, Settings

    try:
        entry = roster_lookup(Settings.from_env().database_url)(subject)
    except (SQLAlchemyError, ConfigurationError) as err:
        return f"cannot be read ({str(err).splitlines()[0]})"
    if entry is None:
        return f"{subject} is not on the roster: may decide nothing and read nothing"
    active, roles = entry
    held = ", ".join(sorted(roles)) or "no role"
    return f"roles {held}" + ("" if active else " (inactive: may decide nothing)")


def _logout(settings: OidcSettings, state_dir: Path, say) -> int:
    store = SessionStore(state_dir)
    try:
        tokens = store.load()
    except NotSignedIn:
        store.delete()
        say(f"removed {store.file}, which held no session this command wrote")
        return OK
    if tokens is None:
        say("no one is signed in on this machine")
        return OK
    try:
        if tokens.issuer == settings.issuer:
            OidcClient(settings).revoke(tokens)
    except ProviderUnreachable as err:
        store.delete()
        _complain(f"{err}; the tokens were forgotten here but not revoked (they lapse by "
                  f"{_until(max(tokens.expires_at, time.time()))} for the access token)")
        return UNAVAILABLE
    store.delete()
    say(f"signed out {tokens.subject}: tokens revoked at {tokens.issuer} and removed from this machine")
    return OK
