"""starter.py's commands: the command line read (console/args.py), the command run, and every
failure said in one line with its exit status (console/errors.py). The commands themselves live
in console/requests.py (check, submit, queues), console/cases.py (status, decisions),
console/audit.py, console/report.py and console/session_cli.py."""

from __future__ import annotations

import argparse
import os
import traceback

from console.args import build_parser
from console.errors import CommandError, Exit, explain, interruptible, report
from console.session_cli import SESSION_COMMANDS, run_session_command
from domain.identifiers import request_id_fault
from les.config import Settings

CONNECTION_SETTINGS = {"address": "LES_TEMPORAL_ADDRESS", "namespace": "LES_TEMPORAL_NAMESPACE",
                       "profile": "TEMPORAL_PROFILE"}
"""--address, --namespace and --profile, each over the variable it overrides."""


async def main(argv: list[str]) -> int:
    if any(arg == "--actor" or arg.startswith("--actor=") for arg in argv):
        return report("--actor is gone: every command acts as the person signed in (`starter.py login USER`, "
                      "`starter.py whoami`)", Exit.BAD_INPUT)
    args = build_parser().parse_args(argv)
    if args.command in SESSION_COMMANDS:
        return run_session_command(args)
    as_json = bool(getattr(args, "json", False))
    try:
        with interruptible():
            return await run(args)
    except Exception as err:  # every failure ends here: one line (or one JSON object), never a traceback
        explained = explain(err, _store_url(args))
        if explained is None:
            if os.environ.get("LES_LOG_LEVEL", "").upper() == "DEBUG":
                traceback.print_exc()
            explained = (f"an unexpected fault ({type(err).__name__}: {' '.join(str(err).split())[:200]}); "
                         "this is a bug: please report it with the command you ran", Exit.FAULT)
        return report(*explained, as_json=as_json)


def settings_for(args: argparse.Namespace) -> Settings:
    """The settings of the environment, with --address, --namespace and --profile over it."""
    given = {}
    for option, variable in CONNECTION_SETTINGS.items():
        value = getattr(args, option, None)
        if value is not None and not value.strip():
            raise CommandError(f"--{option} needs a value", Exit.BAD_INPUT)
        if value is not None:
            given[variable] = value
    return Settings.from_env({**os.environ, **given})


def _store_url(args: argparse.Namespace) -> str | None:
    """The case store's URL, to name it in a failure of the store (None when the settings fail too)."""
    try:
        return settings_for(args).database_url
    except Exception:  # the failure being said is the settings' own
        return None


def _well_formed(request_id: str | None) -> None:
    if request_id is not None and (fault := request_id_fault(request_id)) is not None:
        raise CommandError(f"request_id {fault}", Exit.BAD_INPUT)


async def run(args: argparse.Namespace) -> int:
    """The command `args` names (`check` reads no setting: it runs offline)."""
    from console.requests import run_check, run_queues, run_submit

    _well_formed(getattr(args, "request_id", None))
    if args.command == "check":
        return run_check(args.file, as_json=args.json)
    settings = settings_for(args)
    if args.command == "submit":
        return await run_submit(settings, args.file)
    if args.command == "queues":
        return run_queues(settings, args.web_ui)
    if args.command == "report":
        from console.report import run_transparency

        return run_transparency(settings, args.half, as_json=args.json, chart=args.chart, banding=args.bands)
    if args.command == "audit":
        return await run_audit(args, settings)
    from console.cases import run_decision, run_status

    if args.command == "status":
        return await run_status(settings, args.request_id, as_json=args.json)
    return await run_decision(settings, args)


async def run_audit(args: argparse.Namespace, settings: Settings) -> int:
    """SPEC §5: the auditor's commands (console/audit.py)."""
    from console.audit import run_backfill, run_export, run_replay, run_verify

    if args.audit_command == "verify":
        return await run_verify(settings, args.request_id, args.metrics_file)
    if args.audit_command == "export":
        return await run_export(settings, args.request_id, args.folder)
    if args.audit_command == "backfill":
        return await run_backfill(settings, args.request_id)
    return await run_replay(settings, args.query, args.files)
