"""The queues: saved searches of the Temporal Web UI's Workflows list, on the search attributes the
workflows keep (les/temporal.py). The visibility language has no "now", so the queues that look
ahead ("due in the next 72 hours", "collections ending this week") are written out with today's
moments; `starter.py queues` prints every queue's query and the link that opens the UI on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

RUNNING = 'ExecutionStatus="Running"'


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def queue_queries(now: datetime) -> dict[str, str]:
    """Queue name → its visibility query, at `now`."""
    in_72_hours, in_a_week = _moment(now + timedelta(hours=72)), _moment(now + timedelta(days=7))
    return {
        "analyst's queue": f'{RUNNING} AND LesWaitingFor="analyst"',
        "waiting for a supervisor": f'{RUNNING} AND LesWaitingFor="supervisor"',
        "waiting for legal": f'{RUNNING} AND LesWaitingFor="legal"',
        "waiting for the customer": f'{RUNNING} AND LesWaitingFor="customer"',
        "due in the next 72 hours": f'{RUNNING} AND LesResponseDue BETWEEN "{_moment(now)}" AND "{in_72_hours}"',
        "overdue": f"{RUNNING} AND LesOverdue=true",
        "collections ending this week": f'{RUNNING} AND LesCollectionEnd BETWEEN "{_moment(now)}" AND "{in_a_week}"',
        "secrecy binds": f"{RUNNING} AND LesSecrecyBinds=true",
    }


def queue_link(web_ui: str, namespace: str, query: str) -> str:
    """The Web UI's Workflows list opened on `query`."""
    return f"{web_ui.rstrip('/')}/namespaces/{namespace}/workflows?query={quote(query, safe='')}"


def render_queues(web_ui: str, namespace: str, now: datetime) -> str:
    return "\n".join(f"{name}\n  {query}\n  {queue_link(web_ui, namespace, query)}"
                     for name, query in queue_queries(now).items())
