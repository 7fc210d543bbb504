"""The commands behind starter.py: each prints a clear answer and returns an exit status."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import (
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from console.audit import AuditRefused, run_backfill, run_export, run_replay, run_verify
from console.login import NotSignedIn
from console.person import NotPermitted, codec_for, signed_in
from console.report import ReportRefused, run_transparency
from console.session_cli import SESSION_COMMANDS, add_session_commands, run_session_command
from domain.case import CaseStatus, DecisionReceipt, RequestSubmission
from domain.case_page import static_summary
from domain.identifiers import request_id_fault
from domain.production import utc_text
from domain.targets import TargetMatch
from domain.transparency import Banding
from domain.verification import UnreadableRequest, read_request_file, verify_request
from domain.vocabulary import DecisionName, Role
from les.codec import NATIONAL_SECURITY_WORKFLOW_TYPES, PayloadUndecryptable
from les.config import ConfigurationError, Settings
from les.keyring import KeyringError
from les.oidc import ProviderUnreachable, TokenRefused
from les.remote_codec import CodecRefused, CodecUnreachable
from les.temporal import (
    CASE_STATE,
    OVERDUE,
    REQUEST_TYPE,
    RESPONSE_DUE,
    TemporalUnavailable,
    connect,
    start_attributes,
    workflow_id_for,
)

OK, REFUSED, BAD_INPUT, UNAVAILABLE = 0, 1, 2, 3
RPC_TIMEOUT = timedelta(seconds=15)


class CommandError(Exception):
    """A failure the user is told about in one line, with the exit status to use."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="starter.py", description="LES Orchestrator: analyst commands")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="pre-screen a request document offline")
    check.add_argument("file")
    check.add_argument("--json", action="store_true", help="print SPEC §2's JSON object")
    submit = sub.add_parser("submit", help="start the request's workflow and print its id")
    submit.add_argument("file")
    status = sub.add_parser("status", help="state, open tasks, deadlines and decisions of a request")
    status.add_argument("request_id")
    status.add_argument("--json", action="store_true", help="print SPEC §3's JSON object")
    audit = sub.add_parser("audit", help="the auditor's commands: verify, export, replay, "
                                                                     "backfill").add_subparsers(
        dest="audit_command", required=True)
    verify = audit.add_parser("verify", help="check the case ledger's hash chain against the workflow histories")
    verify.add_argument("request_id", nargs="?", help="one request (default: every request in the case store)")
    verify.add_argument("--metrics-file", metavar="PATH", help="also write the findings as Prometheus text "
                        "(les_audit_findings, for node_exporter's textfile collector; docs/operations.md)")
    export = audit.add_parser("export", help="write a request's full history (every run) and a readable timeline")
    export.add_argument("request_id")
    export.add_argument("folder", help="written to FOLDER/<request_id>/, which must not exist yet (0700; files 0600)")
    backfill = audit.add_parser("backfill", help="append to a request's ledger the events filed before the ledger "
                                                 "existed, marked back-filled")
    backfill.add_argument("request_id")
    replay = audit.add_parser("replay", help="replay histories against today's workflow code; exit 1 on any failure")
    replay.add_argument("--query", help="a visibility query (e.g. \"LesRequestType = 'subpoena'\"); "
                                        "default, with no FILE either: every workflow")
    replay.add_argument("files", nargs="*", metavar="FILE", help="history JSON files (as `audit export` writes)")
    report = sub.add_parser("report", help="reports: the half-year transparency report").add_subparsers(
        dest="report_command", required=True)
    transparency = report.add_parser("transparency", help="the half-year's counts (LEGAL.md, 50 U.S.C. 1874) "
                                                          "and a one-page PNG chart")
    transparency.add_argument("--half", required=True, help="e.g. 2026H2 (H1 = Jan-Jun, H2 = Jul-Dec, UTC, by the "
                                                            "date each request was received)")
    transparency.add_argument("--json", action="store_true", help="machine-readable (keys in README)")
    transparency.add_argument("--chart", metavar="FILE", help="where the PNG goes (default: "
                                                             "transparency-<half>.png in the current folder)")
    transparency.add_argument("--bands", choices=[b.value for b in Banding], default=Banding.PER_KIND.value,
                              help="national security bands: per-kind (1874(a)(1), bands of 1000) or combined "
                                   "(1874(a)(2), bands of 250)")
    add_session_commands(sub)
    queues = sub.add_parser("queues", help="the Web UI's queues: each one's query and the link that opens it")
    queues.add_argument("--web-ui", default="http://localhost:8233", help="where the Temporal Web UI answers")
    for name in DecisionName:
        decide = sub.add_parser(name.replace("_", "-"), help=f"send the `{name}` decision")
        decide.set_defaults(decision=name)
        decide.add_argument("request_id")
        decide.add_argument("--role", required=True, choices=[r.value for r in Role],
                            help="the role you decide in (the roster must show you hold it); you are the person "
                                 "signed in (`starter.py login USER`)")
        decide.add_argument("--note", default="")
        decide.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                            help="a further field the decision needs (e.g. question=...)")
        decide.add_argument("--signal", action="store_true",
                            help="fire-and-forget signal instead of the answered `_sync` update")
    return parser


async def main(argv: list[str]) -> int:
    if any(arg == "--actor" or arg.startswith("--actor=") for arg in argv):
        print("starter: --actor is gone: every command acts as the person signed in (`starter.py login USER`, "
              "`starter.py whoami`)", file=sys.stderr)
        return BAD_INPUT
    args = build_parser().parse_args(argv)
    if args.command in SESSION_COMMANDS:
        return run_session_command(args)
    try:
        if args.command == "check":
            return run_check(args.file, as_json=args.json)
        if args.command == "audit":
            return await run_audit(args)
        if args.command == "queues":
            return run_queues(args.web_ui)
        if args.command == "report":
            return run_transparency(Settings.from_env(), args.half, as_json=args.json, chart=args.chart,
                                    banding=args.bands)
        if args.command != "submit" and (fault := request_id_fault(args.request_id)) is not None:
            raise CommandError(f"request_id {fault}", BAD_INPUT)
        settings = Settings.from_env()
        if args.command == "submit":
            return await run_submit(settings, args.file)
        if args.command == "status":
            return await run_status(settings, args.request_id, as_json=args.json)
        return await run_decision(settings, args)
    except CommandError as err:
        print(f"starter: {err}", file=sys.stderr)
        return err.status
    except TemporalUnavailable as err:
        print(f"starter: {err}", file=sys.stderr)
        return UNAVAILABLE
    except ConfigurationError as err:
        print(f"starter: {err}", file=sys.stderr)
        return BAD_INPUT
    except (AuditRefused, ReportRefused) as err:
        print(f"starter: {err}", file=sys.stderr)
        return err.status
    except (PayloadUndecryptable, KeyringError) as err:
        print(f"starter: {err}; the case's contents cannot be read with the keys this machine holds",
              file=sys.stderr)
        return REFUSED
    except (NotSignedIn, TokenRefused, NotPermitted) as err:
        print(f"starter: {err}", file=sys.stderr)
        return REFUSED
    except CodecRefused as err:
        print(f"starter: {err}", file=sys.stderr)
        return UNAVAILABLE if err.status >= 500 else REFUSED
    except (CodecUnreachable, ProviderUnreachable) as err:
        print(f"starter: {err}", file=sys.stderr)
        return UNAVAILABLE


async def run_audit(args: argparse.Namespace) -> int:
    """SPEC §5: the auditor's commands (console/audit.py)."""
    request_id = getattr(args, "request_id", None)
    if request_id is not None and (fault := request_id_fault(request_id)) is not None:
        raise CommandError(f"request_id {fault}", BAD_INPUT)
    settings = Settings.from_env()
    if args.audit_command == "verify":
        return await run_verify(settings, request_id, args.metrics_file)
    if args.audit_command == "export":
        return await run_export(settings, request_id, args.folder)
    if args.audit_command == "backfill":
        return await run_backfill(settings, request_id)
    return await run_replay(settings, args.query, args.files)


def read_document(path: str) -> dict[str, Any]:
    try:
        return read_request_file(path)
    except UnreadableRequest as err:
        raise CommandError(str(err), BAD_INPUT) from None


def tracked_request_id(path: str, document: dict[str, Any]) -> str:
    """The document's request_id when it is well-formed (SPEC §1); it names the workflow and the
    production's folders, so a request without one is not accepted at all (exit 2)."""
    request_id = document.get("request_id")
    if request_id is None:
        raise CommandError(f"{path}: the request has no `request_id`; it cannot be tracked", BAD_INPUT)
    fault = request_id_fault(request_id)
    if fault is not None:
        raise CommandError(f"{path}: request_id {fault}; the request is not accepted", BAD_INPUT)
    return request_id


def run_queues(web_ui: str) -> int:
    from console.queues import render_queues

    print(render_queues(web_ui, Settings.from_env().temporal_namespace, datetime.now(UTC)))
    return OK


def run_check(path: str, *, as_json: bool) -> int:
    document = read_document(path)
    tracked_request_id(path, document)
    result = verify_request(document)
    if as_json:
        print(json.dumps(result.spec_dict(), indent=2))
    else:
        print(result.render_text())
    return REFUSED if result.verdict == "reject" else OK


async def run_submit(settings: Settings, path: str, client=None) -> int:
    """Start the request's workflow as the signed-in person (through the codec servers), or with
    `client` (stack.py's own, for the sample)."""
    from workflows import WORKFLOW_FOR_TYPE

    document = read_document(path)
    request_id = tracked_request_id(path, document)
    request_type = document.get("type")
    workflow_class = WORKFLOW_FOR_TYPE.get(str(request_type))
    if workflow_class is None:
        handled = ", ".join(sorted(WORKFLOW_FOR_TYPE))
        raise CommandError(
            f"{request_id}: no workflow handles requests of type {request_type!r} "
            f"(the types are: {handled}); `starter.py check` says what is wrong with it",
            BAD_INPUT,
        )
    precheck = verify_request(document)
    client = client or await connect_as_person(settings)
    workflow_id = workflow_id_for(request_id)
    try:
        await client.start_workflow(
            workflow_class.run,
            RequestSubmission(request_id=request_id, request_type=str(request_type), document=document),
            id=workflow_id,
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=static_summary(document),
            search_attributes=start_attributes(str(request_type)),
            rpc_timeout=RPC_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        raise CommandError(
            f"{request_id} was already submitted (workflow {workflow_id}); nothing new was started",
            REFUSED,
        ) from None
    except RPCError as err:
        raise _rpc_error(err, settings, request_id) from None
    print(workflow_id)
    print(f"pre-screen verdict: {precheck.verdict}", file=sys.stderr)
    return OK


async def connect_as_person(settings: Settings):
    """A client of the signed-in person: every payload through the codec servers with their token."""
    return await connect(settings, codec=codec_for(settings, signed_in(settings)))


async def _open_case(client, settings: Settings, request_id: str):
    """The case's handle and its workflow description (type, search attributes: no payload)."""
    handle = client.get_workflow_handle(workflow_id_for(request_id))
    try:
        description = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as err:
        raise _rpc_error(err, settings, request_id) from None
    return handle, description


async def run_status(settings: Settings, request_id: str, *, as_json: bool) -> int:
    person = signed_in(settings)
    client = await connect(settings, codec=codec_for(settings, person))
    handle, description = await _open_case(client, settings, request_id)
    try:
        status = await handle.query("status", result_type=CaseStatus, rpc_timeout=RPC_TIMEOUT)
    except (KeyError, RuntimeError) as err:  # the SDK's "Unknown payload encoding binary/encrypted"
        if "encoding" not in str(err):
            raise
        if description.workflow_type not in NATIONAL_SECURITY_WORKFLOW_TYPES:
            raise CommandError(f"{request_id}: the case's status came back under a key the codec servers would not "
                               f"open for {person.subject}; ask a supervisor to check the case", REFUSED) from None
        # The cleared codec server would not open it for this person: the contents stay withheld.
        return print_restricted(request_id, description, person.subject, as_json=as_json)
    except WorkflowQueryFailedError as err:
        raise CommandError(f"{request_id}: the status query failed: {err}", REFUSED) from None
    except RPCError as err:
        if err.status == RPCStatusCode.DEADLINE_EXCEEDED or "timeout" in err.message.lower():
            raise CommandError(
                f"{request_id}: no worker answered the status query; is `python worker.py` "
                "(or `python3 stack.py up`) running?",
                UNAVAILABLE,
            ) from None
        raise _rpc_error(err, settings, request_id) from None
    progress = await activity_progress(client, description)
    if as_json:
        print(json.dumps({**json.loads(status.model_dump_json()), "progress": progress}, indent=2))
    else:
        print("\n".join([render_status(status), *progress_lines(progress)]))
    return OK


async def activity_progress(client, description) -> list[dict[str, Any]]:
    """What each running activity of the case reported in its last heartbeat (rows done so far):
    the pending activities of the workflow's description, their heartbeat details decoded through
    the client's converter (so the codec's keys). Activities that never heartbeat are left out."""
    raw = getattr(description, "raw_description", None)
    now = datetime.now(UTC)
    progress: list[dict[str, Any]] = []
    for pending in getattr(raw, "pending_activities", None) or []:
        details: dict[str, Any] = {}
        if pending.heartbeat_details.payloads:
            try:
                decoded = await client.data_converter.decode(list(pending.heartbeat_details.payloads))
                details = decoded[0] if decoded and isinstance(decoded[0], dict) else {}
            except Exception:  # a key this client does not hold: the progress is left unsaid
                details = {}
        if not details and not pending.HasField("last_heartbeat_time"):
            continue
        beat = pending.last_heartbeat_time.ToDatetime(UTC) if pending.HasField("last_heartbeat_time") else None
        progress.append({
            "activity": pending.activity_type.name,
            "step": details.get("step") or pending.activity_type.name,
            "rows": details.get("rows"),
            "bytes": details.get("bytes"),
            "files": details.get("files"),
            "of": details.get("of"),
            "attempt": pending.attempt,
            "last_heartbeat": beat.isoformat() if beat else None,
            "seconds_since_heartbeat": round((now - beat).total_seconds(), 1) if beat else None,
        })
    return progress


def progress_lines(progress: list[dict[str, Any]]) -> list[str]:
    """`retrieve call_records_outgoing: 120,000 rows (attempt 1, last heartbeat 3 s ago)`, one per activity."""
    lines = []
    for item in progress:
        if item["rows"] is not None:
            done = f"{item['rows']:,} rows"
        elif item["files"] is not None:
            of = f" of {item['of']}" if item["of"] is not None else ""
            done = f"{item['files']}{of} files checked"
        else:
            done = "started"
        since = item["seconds_since_heartbeat"]
        beat = f", last heartbeat {since:.0f} s ago" if since is not None else ""
        lines.append(f"in progress: {item['step']}: {done} (attempt {item['attempt']}{beat})")
    return lines


async def run_decision(settings: Settings, args: argparse.Namespace) -> int:
    decision: DecisionName = args.decision
    payload: dict[str, Any] = {"case": args.request_id, "role": args.role, "note": args.note}
    for item in args.set:
        field, sep, value = item.partition("=")
        if not sep or not field:
            raise CommandError(f"--set expects FIELD=VALUE, got {item!r}", BAD_INPUT)
        payload[field] = value
    client = await connect_as_person(settings)
    handle, _ = await _open_case(client, settings, args.request_id)
    try:
        if args.signal:
            await handle.signal(str(decision), payload, rpc_timeout=RPC_TIMEOUT)
            print(f"{decision} sent to {args.request_id} (signal; see `starter.py status`)")
            return OK
        receipt = await handle.execute_update(
            f"{decision}_sync", payload, result_type=DecisionReceipt, rpc_timeout=RPC_TIMEOUT
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause.message if getattr(err.cause, "message", None) else str(err.cause)
        raise CommandError(f"{args.request_id}: {decision} refused: {cause}", REFUSED) from None
    except WorkflowFailureError as err:
        raise CommandError(f"{args.request_id}: {err}", REFUSED) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise CommandError(
            f"{args.request_id}: no answer to {decision} in time; it may still be applied: check "
            "`starter.py status` before sending it again (a worker must be running)", UNAVAILABLE,
        ) from None
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND and await _is_closed(handle):
            raise CommandError(f"{args.request_id}: the case is closed; it takes no more decisions", REFUSED) from None
        raise _rpc_error(err, settings, args.request_id) from None
    print(f"{args.request_id}: {receipt.message} (state: {receipt.state})")
    return OK if receipt.accepted else REFUSED


async def _is_closed(handle) -> bool:
    """True when the workflow exists but has finished (updates then answer NOT_FOUND)."""
    try:
        description = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError:
        return False
    return description.close_time is not None


def _rpc_error(err: RPCError, settings: Settings, request_id: str) -> Exception:
    if err.status == RPCStatusCode.NOT_FOUND:
        return CommandError(f"{request_id}: no such request was submitted", REFUSED)
    if err.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return TemporalUnavailable(
            f"the Temporal server at {settings.temporal_address} did not answer ({err.message}); "
            "is the stack up (`python3 stack.py up`) and a worker running?"
        )
    return CommandError(f"{request_id}: the server refused: {err.message}", REFUSED)


def print_restricted(request_id: str, description, person: str, *, as_json: bool) -> int:
    """What anyone may see of a national security case: that it exists, its state, its deadlines
    (the search attributes), and nothing of its contents."""
    attributes = description.typed_search_attributes
    due = attributes.get(RESPONSE_DUE)
    shown = {
        "request_id": request_id,
        "request_type": attributes.get(REQUEST_TYPE),
        "state": attributes.get(CASE_STATE) or ("closed" if description.close_time else "open"),
        "deadlines": {"response_due": utc_text(due)} if due else {},
        "overdue": bool(attributes.get(OVERDUE)),
        "restricted": True,
    }
    if as_json:
        print(json.dumps(shown, indent=2))
        return OK
    who = f"{person}, signed in, is not a cleared person on the roster"
    lines = [f"{shown['request_type']} {request_id}: {shown['state']}" + (" — OVERDUE" if shown["overdue"] else ""),
             "deadlines:" + ("" if due else " none")]
    lines += [f"  - response_due: {utc_text(due)}"] if due else []
    lines.append(f"contents withheld: a national security case is shown only to cleared people ({who})")
    print("\n".join(lines))
    return OK


def target_lines(targets: list[dict] | None) -> list[str]:
    """What each target matched (verification), as the analyst reads it before approving."""
    if targets is None:
        return []
    lines = ["targets:"]
    for shown in targets:
        match = TargetMatch.model_validate(shown)
        found = ", ".join(match.accounts) if match.resolved else f"no one ({match.problem}: {match.reason})"
        lines.append(f"  - {match.label}: {found}")
        lines += [f"      {n.number} held by {n.account_number} from {utc_text(n.held_from)} to "
                  f"{utc_text(n.held_until) if n.held_until else 'now'}" for n in match.numbers]
        lines += [f"      session {utc_text(s.started_at)} to {utc_text(s.ended_at) if s.ended_at else 'open'}"
                  + (f", NAT ports {s.port_start}-{s.port_end}" if s.port_start is not None else ", not shared")
                  + (f": {s.account_number}" if s.account_number else "") for s in match.sessions]
    return lines


def render_status(status: CaseStatus) -> str:
    lines = [
        f"{status.request_type} {status.request_id}: {status.state}"
        + (" — OVERDUE" if status.overdue else "")
        + (f" ({status.resolution})" if status.resolution else ""),
        f"verdict: {status.verdict}; permitted: {', '.join(status.permitted) or 'none'}",
    ]
    lines += [f"refused: {r['category']}: {r['reason']}" for r in status.refused]
    lines += [f"problem: {p['code']}: {p['message']}" for p in status.problems]
    lines += [f"checked: {name}: {found}" for name, found in (status.details.get("pending_checks") or {}).items()]
    lines += target_lines(status.details.get("targets"))
    lines.append("open tasks:" + ("" if status.open_tasks else " none"))
    lines += [f"  - {task}" for task in status.open_tasks]
    lines.append("deadlines:" + ("" if status.deadlines else " none"))
    lines += [f"  - {name}: {utc_text(moment)}" for name, moment in status.deadlines.items()]
    if status.approvals:
        lines.append("approvals: " + ", ".join(f"{role} by {actor}" for role, actor in status.approvals.items()))
    lines += render_details(status.details)
    lines.append("history:")
    for event in status.history:
        verdict = "" if event.accepted else f" REFUSED ({event.reason})"
        who = f"{event.actor}" + (f"/{event.role}" if event.role else "")
        note = f" — {event.note}" if event.note else ""
        when = f"{event.at:%Y-%m-%d %H:%M:%SZ}"
        # A person's decision shows the fields it carried (quote_id, number, renewal_received_at...).
        fields = "" if event.via == "system" or not event.details else " [" + ", ".join(
            f"{name}={value}" for name, value in event.details.items()) + "]"
        lines.append(f"  {event.seq:>3}. {when} {event.name} by {who} via {event.via}{fields}{verdict}{note}")
    for production in status.productions[:-1]:
        lines.append(f"production: {production.path} (manifest sha256 {production.manifest_sha256})")
    if status.production:
        lines.append(f"production: {status.production.path} (manifest sha256 {status.production.manifest_sha256})")
    if status.invoice:
        invoice = status.invoice
        lines.append(f"invoice: {invoice.total_cents / 100:.2f} {invoice.currency} ({invoice.basis})")
    return "\n".join(lines)


def render_details(details: dict[str, Any]) -> list[str]:
    """The type's own facts (fee quote, customer identity, callback, follow-ups, hold), one line each."""
    lines: list[str] = []
    for key, value in details.items():
        if value in (None, [], {}) and key != "callback_verified":
            continue
        if key == "fee_quote":
            accepted = f", accepted {_when(value['accepted_at'])}" if value.get("accepted_at") else ", not accepted yet"
            lines.append(f"fee quote: {value['quote_id']}: {value['amount_cents'] / 100:.2f} {value['currency']}, "
                         f"quoted {_when(value['quoted_at'])}{accepted}")
        elif key == "authentication":
            verified = {True: "confirmed", False: "failed", None: "to be confirmed by an analyst's approve"}
            lines.append(f"customer identity: {value['method']}, {verified.get(value['verified'], value['verified'])}")
            lines += [f"  not the customer's own: {t}" for t in value.get("refused_targets") or []]
        elif key == "callback_verified":
            lines.append(f"callback: {value or 'not verified yet'}")
        elif key == "follow_ups":
            lines.append(f"followed up by: {', '.join(value)}")
        elif key == "hold":
            rows = ", ".join(f"{category} {n}" for category, n in sorted(value["rows_per_category"].items()))
            until = f" until {_when(value['expires_at'])}" if value["state"] == "active" else ""
            lines.append(f"hold: {value['state']}{until}; rows held: {rows}")
        elif key == "renewals":
            lines.append(f"renewals: {value} of 1")
        else:
            lines.append(f"{key}: {json.dumps(value, default=str)}")
    return lines


def _when(text: str) -> str:
    """A timestamp from status details, as the rest of status shows times (UTC, to the second)."""
    return utc_text(datetime.fromisoformat(text))
