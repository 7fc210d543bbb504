"""The one renderer of a case: the short markdown the Web UI shows as the workflow's Current
Details, the static summary a workflow starts with (SPEC §3; issue 10, "the case explains
itself"), and the terminal text of `starter.py status` and of `audit export`'s timeline, which
share their lines (who decided, the fields a decision carried, the invoice, the deadlines).

Pure functions of what the workflow holds. The page names no target, no subscriber and no
requester: only the stage, who the case waits for and by when, the categories with their
reasons, the decisions so far by carrier staff, and the latest production's manifest hash.
NSL and FISA cases show only what their secrecy allows (LEGAL.md: their contents do not
appear to others): no categories, no notes, no refusal reasons."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.case import CaseState, CaseStatus
from domain.case_machine import SYSTEM, Case
from domain.contracts import CaseEvent, Delivery, InvoiceSummary
from domain.findings import Refusal
from domain.plans import Shape
from domain.production import utc_text
from domain.targets import TargetMatch
from domain.vocabulary import RequestType

T = RequestType

STATUTORY_SECRECY = frozenset({T.TITLE3_WIRETAP, T.PEN_REGISTER, T.FISA_ORDER, T.NATIONAL_SECURITY_LETTER})
"""LEGAL.md Secrecy: statute binds with no end date; a passed nondisclosure_until frees nothing."""

STAGE: dict[CaseState, str] = {
    CaseState.VERIFYING: "verifying the legal process",
    CaseState.AWAITING_APPROVAL: "awaiting approval",
    CaseState.AWAITING_INFO: "awaiting the requester's answer",
    CaseState.AWAITING_CALLBACK: "awaiting the callback to the agency",
    CaseState.AWAITING_FEE_ACCEPTANCE: "awaiting the customer's acceptance of the fee",
    CaseState.RETRIEVING: "retrieving the permitted records",
    CaseState.PACKAGING: "packaging and certifying the production",
    CaseState.DELIVERING: "delivering the production",
    CaseState.BILLING: "billing",
    CaseState.PRESERVED: "records preserved (hold in place)",
    CaseState.PROVISIONING: "provisioning the collection",
    CaseState.COLLECTING: "collecting",
    CaseState.AWAITING_FOLLOW_UP: "produced; awaiting the follow-up legal process",
    CaseState.CLOSED: "closed",
}

DEADLINE_NAMES: dict[str, str] = {
    "response_due": "response due",
    "reminder_at": "reminder to the analyst",
    "nondisclosure_until": "no customer notice until",
    "follow_up_legal_process_due": "follow-up legal process due",
    "expires_at": "hold lapses",
    "hold_expires_at": "hold lapses",
    "fee_quote_expires_at": "fee quote lapses",
}



def deadline_name(case: Case, name: str) -> str:
    """What a deadline is called on the page: `expires_at` is a hold's lapse only on a preservation."""
    if name == "expires_at" and case.request_type is not T.PRESERVATION:
        return "order ends: collection off" if case.plan.shape is Shape.SURVEILLANCE else "order ends"
    return DEADLINE_NAMES.get(name, name.replace("_", " "))


DECISIONS_SHOWN = 8
"""The latest decisions the page lists; the whole history is in the status query."""


def time_left(moment: datetime, now: datetime) -> str:
    """'3 d 4 h left', '5 h 10 min left', 'passed 2 d 1 h ago'."""
    delta = moment - now
    span = abs(delta)
    if span >= timedelta(days=1):
        text = f"{span.days} d {span.seconds // 3600} h"
    elif span >= timedelta(hours=1):
        text = f"{span.seconds // 3600} h {span.seconds % 3600 // 60} min"
    else:
        text = f"{span.seconds // 60} min"
    return f"{text} left" if delta >= timedelta(0) else f"passed {text} ago"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment.utcoffset() == timedelta(0) else moment.isoformat()


def waiting_line(case: Case) -> str:
    """'**Waits for:** analyst: approval by analyst (approve / reject / request_info)'."""
    who = case.waiting_for()
    tasks = "; ".join(case.open_tasks())
    if case.closed:
        return f"**Waits for:** none: closed as {case.resolution}"
    if who == ["none"]:  # the open task, if any, says what the case waits for instead
        return f"**Waits for:** {tasks or 'none: the system is working on it'}"
    return f"**Waits for:** {', '.join(who)}: {tasks}"


def case_page(
    case: Case,
    now: datetime,
    *,
    deadlines: Mapping[str, datetime],
    permitted: Sequence[str] | None,
    refused: Sequence[Refusal],
    productions: Sequence[Delivery] = (),
    invoice: InvoiceSummary | None = None,
    overdue: bool = False,
    facts: Sequence[str] = (),
) -> str:
    """The Current Details markdown of one case, as of `now` (the workflow's clock).

    `permitted` is None before verification; `facts` are the shape's own lines (a quote, a hold)."""
    secret = case.plan.cleared_only
    lines = [f"### {case.plan.workflow_name} {case.request_id}", "",
             f"**Stage:** {STAGE[case.state]}" + (f" ({case.resolution})" if case.closed else ""), "",
             waiting_line(case), ""]
    if case.closed and case.closing_note and not secret:
        lines += [f"**Closing note:** {case.closing_note}", ""]
    if overdue:
        lines += ["**OVERDUE:** the response date passed with the case open; supervisors were told.", ""]
    if case.request_type in STATUTORY_SECRECY:
        lines += ["**Secrecy:** binds until a court orders otherwise (statute; no end date)", ""]
    shown = {name: moment for name, moment in deadlines.items()
             if not (name == "nondisclosure_until" and case.request_type in STATUTORY_SECRECY)
             and not (name == "expires_at" and "hold_expires_at" in deadlines)}  # the hold's own, renewed
    if shown:
        lines += [f"**Deadlines** (as of {_when(now)}):", ""]
        for name, moment in sorted(shown.items(), key=lambda item: item[1]):
            left = "" if case.closed else f" ({time_left(moment, now)})"
            lines.append(f"- {deadline_name(case, name)}: {_when(moment)}{left}")
        lines.append("")
    if secret:
        if permitted is not None:
            lines += [f"**Categories:** {len(permitted)} permitted, {len(refused)} refused "
                      "(named only to cleared actors: `starter.py status`)", ""]
    elif permitted is not None:
        label = "To preserve" if case.request_type is T.PRESERVATION else "Permitted"
        lines += [f"**{label}:** {', '.join(permitted) or 'nothing'}", ""]
        if refused:
            lines += ["**Refused:**", ""] + [f"- {r.category}: {r.reason}" for r in refused] + [""]
    if case.approvals_required:
        given = [f"{role} by {case.approvals[role]}" if role in case.approvals else f"{role}: awaited"
                 for role in map(str, case.approvals_required)]
        lines += [f"**Approvals:** {'; '.join(given)}", ""]
    lines += [*facts, ""] if facts else []
    decisions = [e for e in case.history if e.actor != SYSTEM]
    if decisions:
        lines += ["**Decisions so far:**", ""]
        if len(decisions) > DECISIONS_SHOWN:
            lines.append(f"- … {len(decisions) - DECISIONS_SHOWN} earlier (all in the `status` query)")
        for event in decisions[-DECISIONS_SHOWN:]:
            verdict = "accepted" if event.accepted else (
                "refused" if secret else f"refused: {event.reason}")
            note = f" — {event.note}" if event.note and not secret and event.accepted else ""
            lines.append(f"- {_when(event.at)} {event.name} by {event.actor} ({event.role}), {verdict}{note}")
        lines.append("")
    if productions:
        latest = productions[-1]
        lines += [f"**Latest production:** {latest.production_id}, delivered {_when(latest.delivered_at)}, "
                  f"manifest SHA-256 `{latest.manifest_sha256}`", ""]
    if invoice is not None:
        lines += [f"**Invoice:** {invoice_text(invoice)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def static_summary(document: Mapping[str, Any]) -> str:
    """A workflow's static summary: its type, its legal-process kind and the due date, nothing
    identifying (no target, no requester, no reference). Written before verification, from the
    document as received: an unreadable due date is left out, not guessed."""
    kind = str(document.get("type") or "request").replace("_", " ")
    process = document.get("legal_process") if isinstance(document.get("legal_process"), Mapping) else {}
    instrument = str(process.get("instrument") or "").replace("_", " ")
    issuer = str(process.get("issuer_kind") or "").replace("_", " ")
    parts = [kind]
    if instrument and instrument not in (kind, "nsl"):
        parts.append(instrument)
    if issuer and issuer not in instrument:
        parts.append(f"issued by {issuer}")
    if document.get("type") == "customer_call_lookup":
        parts.append("the customer's own request")
    elif document.get("type") == "emergency":
        parts.append("18 U.S.C. 2702(c)(4), legal process to follow")
    text = " · ".join(parts)
    try:
        due = datetime.fromisoformat(str(process.get("response_due")))
    except ValueError:
        return text
    return f"{text} · due {due:%Y-%m-%d}"


# ---- the terminal: `starter.py status` and `audit export`'s timeline --------------------------------


def invoice_text(invoice: InvoiceSummary) -> str:
    """`123.45 USD (per page)`, on the page and in `status` alike."""
    return f"{invoice.total_cents / 100:.2f} {invoice.currency} ({invoice.basis})"


def decider(event: CaseEvent) -> str:
    """`jdoe/analyst` (or `system`): who filed an event, in `status` and in the audit timeline."""
    return event.actor + (f"/{event.role}" if event.role else "")


def carried(fields: Mapping[str, Any]) -> str:
    """`quote_id=Q-1, number=+16025346311`: the fields a decision carried."""
    return ", ".join(f"{name}={value}" for name, value in fields.items())


def utc_second(moment: datetime) -> str:
    """`2026-12-01 09:30:00Z`: a moment of the audit timeline."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def headline(request_type: str | None, request_id: str, state: str, *, overdue: bool,
             resolution: str | None = None) -> str:
    """`subpoena LES-2026-000101: closed — OVERDUE (delivered)`: the first line of `status`."""
    return (f"{request_type} {request_id}: {state}" + (" — OVERDUE" if overdue else "")
            + (f" ({resolution})" if resolution else ""))


def deadline_lines(deadlines: Mapping[str, datetime]) -> list[str]:
    return ["deadlines:" + ("" if deadlines else " none"),
            *(f"  - {name}: {utc_text(moment)}" for name, moment in deadlines.items())]


def status_text(status: CaseStatus, progress: Sequence[Mapping[str, Any]] = ()) -> str:
    """`starter.py status`: the case as the analyst reads it, then what each running activity reported."""
    lines = [headline(status.request_type, status.request_id, status.state, overdue=status.overdue,
                      resolution=status.resolution),
             f"verdict: {status.verdict}; permitted: {', '.join(status.permitted) or 'none'}"]
    lines += [f"refused: {r['category']}: {r['reason']}" for r in status.refused]
    lines += [f"problem: {p['code']}: {p['message']}" for p in status.problems]
    lines += [f"checked: {name}: {found}" for name, found in (status.details.get("pending_checks") or {}).items()]
    lines += target_lines(status.details.get("targets"))
    lines.append("open tasks:" + ("" if status.open_tasks else " none"))
    lines += [f"  - {task}" for task in status.open_tasks]
    lines += deadline_lines(status.deadlines)
    if status.approvals:
        lines.append("approvals: " + ", ".join(f"{role} by {actor}" for role, actor in status.approvals.items()))
    lines += detail_lines(status.details)
    lines.append("history:")
    lines += [history_line(event) for event in status.history]
    lines += [f"production: {p.path} (manifest sha256 {p.manifest_sha256})" for p in status.productions[:-1]]
    if status.production:
        lines.append(f"production: {status.production.path} (manifest sha256 {status.production.manifest_sha256})")
    if status.invoice:
        lines.append(f"invoice: {invoice_text(status.invoice)}")
    return "\n".join([*lines, *progress_lines(progress)])


def history_line(event: CaseEvent) -> str:
    """One event of `status`; a person's decision shows the fields it carried (quote_id, number...)."""
    verdict = "" if event.accepted else f" REFUSED ({event.reason})"
    note = f" — {event.note}" if event.note else ""
    fields = "" if event.via == "system" or not event.details else f" [{carried(event.details)}]"
    return (f"  {event.seq:>3}. {event.at:%Y-%m-%d %H:%M:%SZ} {event.name} by {decider(event)} via {event.via}"
            f"{fields}{verdict}{note}")


def timeline_line(event: CaseEvent) -> str:
    """One filed event of `audit export`'s timeline: outcome, the production's manifest, the fields."""
    outcome = "accepted" if event.accepted else f"REFUSED ({event.reason})"
    facts = dict(event.details)
    manifest = facts.pop("manifest_sha256", None)
    extra = (f"; manifest sha256 {manifest}" if manifest else "") + (f"; {carried(facts)}" if facts else "")
    note = f" — {event.note}" if event.note else ""
    return (f"{utc_second(event.at)}  #{event.seq} {event.name} by {decider(event)} via {event.via}: "
            f"{outcome}{extra}{note}")


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


SHOWN_APART = frozenset({"pending_checks", "targets"})
"""Details `status` shows in lines of their own (checked:, targets:), not again as raw JSON."""


def detail_lines(details: Mapping[str, Any]) -> list[str]:
    """The type's own facts (fee quote, customer identity, callback, follow-ups, hold), one line each."""
    lines: list[str] = []
    for key, value in details.items():
        if key in SHOWN_APART or (value in (None, [], {}) and key != "callback_verified"):
            continue
        if key == "fee_quote":
            accepted = f", accepted {_stamp(value['accepted_at'])}" if value.get("accepted_at") else \
                ", not accepted yet"
            lines.append(f"fee quote: {value['quote_id']}: {value['amount_cents'] / 100:.2f} {value['currency']}, "
                         f"quoted {_stamp(value['quoted_at'])}{accepted}")
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
            until = f" until {_stamp(value['expires_at'])}" if value["state"] == "active" else ""
            lines.append(f"hold: {value['state']}{until}; rows held: {rows}")
        elif key == "renewals":
            lines.append(f"renewals: {value} of 1")
        else:
            lines.append(f"{key}: {json.dumps(value, default=str)}")
    return lines


def _stamp(text: str) -> str:
    """A timestamp from status details, as the rest of status shows times (UTC, to the second)."""
    return utc_text(datetime.fromisoformat(text))


def progress_lines(progress: Sequence[Mapping[str, Any]]) -> list[str]:
    """`in progress: retrieve call_records_outgoing: 120,000 rows (attempt 1, last heartbeat 3 s ago)`."""
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


def restricted_text(request_type: str | None, request_id: str, state: str, *, overdue: bool,
                    due: datetime | None, person: str) -> str:
    """What anyone may see of a national security case: that it exists, its state, its response date."""
    return "\n".join([headline(request_type, request_id, state, overdue=overdue),
                      *deadline_lines({"response_due": due} if due else {}),
                      "contents withheld: a national security case is shown only to cleared people "
                      f"({person}, signed in, is not a cleared person on the roster)"])


def case_facts(case: Case) -> list[str]:
    """The case's own lines on its page: a quote to accept, a verified callback, a hold, the
    follow-ups, an open question (a type's desk parts add theirs: the collection's)."""
    facts: list[str] = []
    if case.fee_quote_id:
        accepted = f", accepted (recorded by {case.fee_accepted_by})" if case.fee_accepted_by else \
            ": send its id in customer_accepts_fee once the customer accepts"
        facts.append(f"**Fee quote:** `{case.fee_quote_id}`{accepted}")
    if case.callback_verified:
        facts.append(f"**Callback verified** to the agency's directory number {case.callback_verified}")
    if case.hold_expires_at is not None:
        facts.append(f"**Hold:** in place until {case.hold_expires_at:%Y-%m-%d %H:%M} UTC; "
                     f"renewals recorded: {case.renewals} of 1")
    if case.follow_ups:
        facts.append(f"**Follow-up legal process:** {', '.join(case.follow_ups)}")
    if case.open_question:
        facts.append(f"**Open question to the requester:** {case.open_question}")
    return facts
