"""starter.py's command line: every command, option and help text (the source of truth for the
README's command table), the exit statuses in `--help`, and each decision's own help: who may send
it and the fields it needs, read from the plans (domain/plans.py, domain/decisions.py)."""

from __future__ import annotations

import argparse
import textwrap

from console.errors import exit_table
from console.session_cli import add_session_commands
from domain.decisions import DECISION_FIELDS
from domain.plans import Gate, plan_for
from domain.transparency import Banding
from domain.vocabulary import DecisionName, RequestType, Role

D = DecisionName

JSON_ERRORS = ('with --json, a failure is one JSON object on stderr, {"error": "...", "exit_code": N}, '
               "and nothing is written to stdout")

DESCRIPTION = """LES Orchestrator: the analyst's and the auditor's commands.

Every command acts as the person signed in on this machine (`starter.py login USER`), and reaches
Temporal through the codec servers with that person's token. `starter.py COMMAND --help` says more."""

CONNECTION = """connection options, before or after the command (as the temporal CLI takes them); each
overrides its environment variable, which overrides the Temporal connection profile
(TEMPORAL_CONFIG_FILE, default ~/.config/temporalio/temporal.toml)"""

EPILOG = exit_table() + "\n\n" + textwrap.fill(
    f"{JSON_ERRORS}. Ctrl-C stops any command with exit status 130 and one line; a usage error prints the usage "
    "on stderr.", 100)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32, width=100)


def connection_options() -> argparse.ArgumentParser:
    """--address, --namespace, --profile: accepted before the command and after it. Their default
    is SUPPRESS, so a value given on one side is not overwritten by the other's absence."""
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("connection", CONNECTION)
    group.add_argument("--address", metavar="HOST:PORT", default=argparse.SUPPRESS,
                       help="the Temporal server's frontend (LES_TEMPORAL_ADDRESS, else TEMPORAL_ADDRESS, else the "
                            "profile's, else localhost:7233)")
    group.add_argument("--namespace", metavar="NAME", default=argparse.SUPPRESS,
                       help="the Temporal namespace (LES_TEMPORAL_NAMESPACE, else TEMPORAL_NAMESPACE, else the "
                            "profile's, else default)")
    group.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS,
                       help="the connection profile to load: address, namespace, TLS and API key (TEMPORAL_PROFILE, "
                            "else default)")
    return options


def build_parser() -> argparse.ArgumentParser:
    connection = connection_options()
    parser = argparse.ArgumentParser(prog="starter.py", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=_Formatter, parents=[connection])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str, *, connects: bool = True, into=sub) -> argparse.ArgumentParser:
        return into.add_parser(name, help=text, description=text, formatter_class=_Formatter,
                               parents=[connection] if connects else [])

    check = command("check", "pre-screen a request document offline: verdict, categories, problems, deadlines",
                    connects=False)
    check.add_argument("file", help="the request document (JSON); - reads it from standard input")
    check.add_argument("--json", action="store_true",
                       help=f"print one JSON object (its keys: docs/request-format.md); {JSON_ERRORS}")
    submit = command("submit", "start the request's workflow and print its workflow id")
    submit.add_argument("file", help="the request document (JSON), whose request_id names the case; - reads it "
                                     "from standard input")
    status = command("status", "state, open tasks, deadlines, decisions and productions of a request")
    status.add_argument("request_id", help="the request's id (its document's request_id, e.g. LES-2026-000101)")
    status.add_argument("--json", action="store_true",
                        help=f"print one JSON object (its keys: docs/request-format.md); {JSON_ERRORS}")
    add_audit_commands(command("audit", "the auditor's commands: verify, export, replay, backfill (signed in as "
                                        "an auditor)", connects=False), command)
    add_report_commands(command("report", "reports: the half-year transparency report", connects=False), command)
    add_session_commands(sub)
    queues = command("queues", "the Web UI's queues: each one's visibility query and the link that opens it")
    queues.add_argument("--web-ui", default="http://localhost:8233", metavar="URL",
                        help="where the Temporal Web UI answers (default %(default)s)")
    for name in DecisionName:
        add_decision(command(name.replace("_", "-"), f"send the `{name}` decision"), name)
    return parser


def add_audit_commands(audit: argparse.ArgumentParser, command) -> None:
    sub = audit.add_subparsers(dest="audit_command", required=True, metavar="AUDIT_COMMAND")
    verify = command("verify", "check the case ledger's hash chain against the workflow histories; exit 1 on any "
                               "entry edited, deleted or missing", into=sub)
    verify.add_argument("request_id", nargs="?", help="one request (default: every request in the case store)")
    verify.add_argument("--metrics-file", metavar="PATH", help="also write the findings as Prometheus text "
                        "(les_audit_findings, for node_exporter's textfile collector; docs/operations.md)")
    export = command("export", "write a request's full history (every run) and a readable timeline", into=sub)
    export.add_argument("request_id", help="the request's id")
    export.add_argument("folder", help="written to FOLDER/<request_id>/, which must not exist yet (0700; files 0600)")
    backfill = command("backfill", "append to a request's ledger the events filed before the ledger existed, "
                                   "marked back-filled", into=sub)
    backfill.add_argument("request_id", help="the request's id")
    replay = command("replay", "replay histories against today's workflow code; exit 1 on any failure", into=sub)
    replay.add_argument("--query", help="a visibility query (e.g. \"LesRequestType = 'subpoena'\"); "
                                        "default, with no FILE either: every workflow")
    replay.add_argument("files", nargs="*", metavar="FILE", help="history JSON files (as `audit export` writes)")


def add_report_commands(report: argparse.ArgumentParser, command) -> None:
    sub = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    transparency = command("transparency", "the half-year's counts (LEGAL.md, 50 U.S.C. 1874) and a one-page "
                                           "PNG chart", connects=False, into=sub)
    transparency.add_argument("--half", required=True, help="e.g. 2026H2 (H1 = Jan-Jun, H2 = Jul-Dec, UTC, by the "
                                                            "date each request was received)")
    transparency.add_argument("--json", action="store_true",
                              help=f"print one JSON object (its keys: docs/operations.md); {JSON_ERRORS}")
    transparency.add_argument("--chart", metavar="FILE", help="where the PNG goes (default: "
                                                             "transparency-<half>.png in the current folder)")
    transparency.add_argument("--bands", choices=[b.value for b in Banding], default=Banding.PER_KIND.value,
                              help="national security bands: per-kind (1874(a)(1), bands of 1000) or combined "
                                   "(1874(a)(2), bands of 250)")


def add_decision(decide: argparse.ArgumentParser, name: DecisionName) -> None:
    decide.set_defaults(decision=name)
    decide.description = textwrap.fill(f"Send the `{name}` decision to a running request, as the person signed in: "
                                       "an answered update (exit 1 when refused), or with --signal a fire-and-forget "
                                       "signal.", 100)
    decide.epilog = decision_help(name)
    decide.add_argument("request_id", help="the request's id")
    decide.add_argument("--role", required=True, choices=[r.value for r in Role],
                        help="the role you decide in (the roster must show you hold it); you are the person "
                             "signed in (`starter.py login USER`)")
    decide.add_argument("--note", default="", help="the reason, kept in the case history"
                        + (" (required)" if "note" in DECISION_FIELDS.get(name, ()) else ""))
    decide.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="a field the decision needs (see below); repeat for each")
    decide.add_argument("--signal", action="store_true",
                        help="fire-and-forget signal instead of the answered `_sync` update")


def _deciders(name: DecisionName) -> dict[str, list[str]]:
    """Who may send `name`, in words, → the request types where they may (the plans' roles)."""
    grouped: dict[str, list[str]] = {}
    for request_type in RequestType:
        plan = plan_for(request_type)
        if name not in plan.decisions:
            continue
        if name is D.APPROVE and len(plan.approvals) > 1:
            who = " and ".join(plan.approvals) + ", each a different person"
        else:
            who = " or ".join(sorted(plan.roles_for(name)))
        if plan.cleared_only:
            who += ", holding the cleared role too"
        if name is D.APPROVE and plan.gate is Gate.CALLBACK:
            who += ", after verify-callback"
        grouped.setdefault(who, []).append(str(request_type))
    return grouped


def decision_help(name: DecisionName) -> str:
    """The decision's own help: who may send it, on which request types, and the fields it needs."""
    lines = ["who may send it (by request type):"]
    lines += [textwrap.fill(f"{who}: {', '.join(types)}", 100, initial_indent="  ", subsequent_indent="    ")
              for who, types in _deciders(name).items()]
    needed = DECISION_FIELDS.get(name, ())
    given = ["--note TEXT (the reason)"] if "note" in needed else []
    given += [f"--set {field}=VALUE" for field in needed if field != "note"]
    if name is D.RECORD_EXTENSION:
        given = ["--set extension_request_id=ID (a request of the same type, submitted and verified, whose "
                 "legal_process.extension_of names this one), or for a preservation --set renewal_received_at=TIME"]
    text = f"fields it needs: {' '.join(given)}" if given else "fields it needs: none besides --role"
    return "\n".join([*lines, textwrap.fill(text, 100, subsequent_indent="  ")])
