"""The product's own metrics, served beside the SDK's on the worker's Prometheus endpoint
(LES_METRICS_ADDRESS, les/telemetry.py). Every name starts with `les_`; docs/operations.md says
what each means and what to alert on.

Events are counted where they happen, on the SDK's meters: `workflow.metric_meter()` in workflow
code (it counts nothing while a history is replayed), `activity.metric_meter()` in activities.
Labels are closed vocabularies only (a request type, a decision's name, a reason class, a record
category): never a request id, a target, an actor or any free text, because a metric is read by
people and systems that may not see the case.

Gauges of what stands open are read from the server's visibility counts and the records store by
a periodic collector in each worker process (console/metrics_collector.py): every worker reports the
same figures, so a dashboard takes their max()."""

from __future__ import annotations

from temporalio import activity, workflow

# Counters (events).
CASES_SUBMITTED = "les_cases_submitted"
CASES_CLOSED = "les_cases_closed"
DECISIONS_ACCEPTED = "les_decisions_accepted"
DECISIONS_REFUSED = "les_decisions_refused"
UNAUTHORISED_INTERCEPTIONS = "les_unauthorised_interceptions_reported"
RETRIEVAL_ROWS = "les_retrieval_rows"
RETRIEVAL_BYTES = "les_retrieval_bytes"
# Gauges (what stands now), set by the collector.
CASES_OPEN = "les_cases_open"
CASES_WAITING = "les_cases_waiting"
CASES_OVERDUE = "les_cases_overdue"
INTERCEPTIONS_RUNNING = "les_interceptions_running"
SWITCH_OFFS_PENDING = "les_switch_offs_pending"
METRICS_COLLECTED = "les_metrics_collected"
# Written by `starter.py audit verify --metrics-file` (a batch job's textfile, not the worker).
AUDIT_FINDINGS = "les_audit_findings"

REFUSAL_REASONS = ("seal", "malformed", "not_allowed", "roster", "rules", "not_recorded", "closed_meanwhile")
"""Why a decision was refused, by the step that refused it (the `reason` label): its seal (unsealed,
stale, replayed, for another case or compartment; a signature that does not verify counts with the
roster's answer, which carries it); its fields could
not be read; the case's state or the role's rights do not allow it; the roster does not (unknown,
inactive, role not held, not cleared); the legal rules and facts do not (workflows/case_desk.py);
the case store did not answer, so nothing was filed; a clock closed the case meanwhile. The exact
reason is in the case history, which a metric must not carry."""

DESCRIPTIONS = {
    CASES_SUBMITTED: "Cases opened, by request type",
    CASES_CLOSED: "Cases closed, by request type and resolution",
    DECISIONS_ACCEPTED: "Human decisions accepted, by decision",
    DECISIONS_REFUSED: "Human decisions refused, by decision and reason class",
    UNAUTHORISED_INTERCEPTIONS: "Interceptions no running order justified, reported (47 CFR 1.20003)",
    RETRIEVAL_ROWS: "Rows retrieved from the systems of record, by record category",
    RETRIEVAL_BYTES: "Bytes of the retrieved files, by record category",
    CASES_OPEN: "Cases open, by request type",
    CASES_WAITING: "Open cases waiting for analyst, supervisor, legal or customer",
    CASES_OVERDUE: "Open cases past their response due date",
    INTERCEPTIONS_RUNNING: "Interceptions switched on and not yet off (carrier's records)",
    SWITCH_OFFS_PENDING: "Interceptions still on after their authorisation ended",
    METRICS_COLLECTED: "Unix time of the collector's last complete reading",
    AUDIT_FINDINGS: "Findings of the last audit verify run, by kind",
}


def _count_in_workflow(name: str, attributes: dict[str, str], value: int = 1) -> None:
    workflow.metric_meter().create_counter(name, DESCRIPTIONS[name]).add(value, attributes)


def case_submitted(request_type: str) -> None:
    """In workflow code: a case was opened (counted once, not on replay)."""
    _count_in_workflow(CASES_SUBMITTED, {"request_type": request_type})


def case_closed(request_type: str, resolution: str) -> None:
    _count_in_workflow(CASES_CLOSED, {"request_type": request_type, "resolution": resolution})


def decision_accepted(decision: str) -> None:
    _count_in_workflow(DECISIONS_ACCEPTED, {"decision": decision})


def decision_refused(decision: str, reason: str) -> None:
    """In workflow code (or an update validator): a decision refused at the step `reason` names."""
    if reason not in REFUSAL_REASONS:
        raise ValueError(f"{reason!r} is not a refusal reason class ({', '.join(REFUSAL_REASONS)})")
    _count_in_workflow(DECISIONS_REFUSED, {"decision": decision, "reason": reason})


def unauthorised_interception_reported() -> None:
    """In an activity: a new 1.20003 report was kept."""
    activity.metric_meter().create_counter(UNAUTHORISED_INTERCEPTIONS, DESCRIPTIONS[UNAUTHORISED_INTERCEPTIONS]).add(1)


def records_retrieved(category: str, rows: int, size: int) -> None:
    """In an activity: one category's file of `rows` rows and `size` bytes was written."""
    meter = activity.metric_meter()
    attributes = {"category": category}
    meter.create_counter(RETRIEVAL_ROWS, DESCRIPTIONS[RETRIEVAL_ROWS]).add(rows, attributes)
    meter.create_counter(RETRIEVAL_BYTES, DESCRIPTIONS[RETRIEVAL_BYTES], "By").add(size, attributes)


AUDIT_FINDING_KINDS = ("edited", "deleted", "inserted", "missing", "unchecked")
"""The kinds `audit verify` reports (domain/ledger.py, console/audit.py), each written, 0 included."""


def audit_textfile(findings_by_kind: dict[str, int], requests: int, failed: int, now: float) -> str:
    """The Prometheus text (format 0.0.4) of one `audit verify` run, for node_exporter's textfile
    collector: a batch job leaves its result where the host's exporter serves it."""
    kinds = dict.fromkeys(AUDIT_FINDING_KINDS, 0) | findings_by_kind
    lines = [f"# HELP {AUDIT_FINDINGS} {DESCRIPTIONS[AUDIT_FINDINGS]}", f"# TYPE {AUDIT_FINDINGS} gauge"]
    lines += [f'{AUDIT_FINDINGS}{{kind="{kind}"}} {count}' for kind, count in sorted(kinds.items())]
    for name, help_text, value in (
            ("les_audit_requests_verified", "Requests the last audit verify run checked", requests),
            ("les_audit_requests_failed", "Requests of the last audit verify run with a finding", failed),
            ("les_audit_last_run_timestamp_seconds", "Unix time the last audit verify run ended", int(now))):
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]
    return "\n".join(lines) + "\n"
