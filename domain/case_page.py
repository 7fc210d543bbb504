"""The case's own page: the short markdown the Web UI shows as the workflow's Current Details,
and the static summary a workflow starts with (SPEC §3; issue 10, "the case explains itself").

Pure functions of what the workflow holds. The page names no target, no subscriber and no
requester: only the stage, who the case waits for and by when, the categories with their
reasons, the decisions so far by carrier staff, and the latest production's manifest hash.
NSL and FISA cases show only what their secrecy allows (LEGAL.md: their contents do not
appear to others): no categories, no notes, no refusal reasons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from domain.case import CaseState
from domain.case_machine import SYSTEM, Case
from domain.contracts import Delivery, InvoiceSummary
from domain.findings import Refusal
from domain.plans import Shape
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
        lines += [f"**Invoice:** {invoice.total_cents / 100:.2f} {invoice.currency} ({invoice.basis})", ""]
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
