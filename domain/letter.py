"""The "no responsive records" letter (SPEC §4): what the custodian signs for targets that
resolved to no one, instead of a certificate of authenticity over empty files.

It names each such target, what was searched for it and how, when the search ran, what it
found, and who at the carrier confirmed it. Beside a certified production it covers only the
targets the production does not answer; alone, it is the whole response."""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import Any

from domain.production import declaration
from domain.targets import SEARCHED, TargetResolution, utc_text

WIDTH = 96
"""The letter's lines, at most: it is printed and signed."""


def _period(resolution: TargetResolution) -> str:
    start = utc_text(resolution.period_start) if resolution.period_start else "the earliest record"
    end = utc_text(resolution.period_end) if resolution.period_end else "the latest record"
    return f"{start} to {end}"


def _wrapped(label: str, text: str) -> str:
    return textwrap.fill(text, width=WIDTH, initial_indent=f"      {label:<10}", subsequent_indent=" " * 16)


def letter_text(
    *,
    request: dict[str, Any],
    production_id: str,
    produced_at: datetime,
    resolution: TargetResolution,
    confirmed_by: dict[str, str],
    produced_for_others: bool,
    custodian_name: str,
    custodian_title: str,
    carrier_name: str,
) -> str:
    """The letter's text: deterministic for the same inputs, so a retried letter is byte-identical."""
    process = request.get("legal_process") or {}
    requester = request.get("requester") or {}
    asked = ", ".join(str(r) for r in request.get("records") or []) or "(none)"
    listing = "\n".join(
        f"  {match.label}\n{_wrapped('searched:', SEARCHED[match.kind])}\n{_wrapped('found:', match.reason)}"
        for match in resolution.unresolved
    )
    confirmed = ", ".join(f"{actor} ({role})" for role, actor in sorted(confirmed_by.items())) or "(no one)"
    if produced_for_others:
        outcome = (f"Records responsive to the request's other targets are produced in {production_id},\n"
                   "   under the certificate of authenticity delivered with them.")
    else:
        outcome = "No target of the request matched a subscriber: no records are produced in response to it."
    return f"""NO RESPONSIVE RECORDS
Letter of the custodian of records of {carrier_name}

Request:            {request.get('request_id')} ({request.get('type')})
Legal process:      {process.get('reference') or '(none)'}, issued by {process.get('issued_by') or '(not applicable)'}
Requester:          {requester.get('name') or '(not named)'}, {requester.get('agency') or '(no agency)'}
Records asked for:  {asked}
Period searched:    {_period(resolution)}
Searched at:        {utc_text(resolution.searched_at)}
Production:         {production_id}, produced {utc_text(produced_at)}

I, {custodian_name}, {custodian_title} of {carrier_name}, state that:

1. On {utc_text(resolution.searched_at)} the carrier's systems of record were searched for each target
   below, as described beside it, for the period above.
2. For these targets the search found no subscriber, and so no records responsive to the request:

{listing}

3. {outcome}
4. The result of the search was reviewed and confirmed by {confirmed} before this letter
   was issued.

This letter is not a certificate of authenticity: it certifies no records, because none were
found for the targets above.

{declaration(produced_at, custodian_name, custodian_title, carrier_name)}"""
