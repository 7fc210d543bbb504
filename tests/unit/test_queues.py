"""The queues' queries and links (console/queues.py, the README's table), at a moment fixed by hand.
That the server and the Web UI list the right cases on them: tests/system/test_web_ui.py."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from console.queues import queue_link, queue_queries
from tests.conftest import REPO, environ_without_les

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)  # a Monday morning


def test_the_look_ahead_queues_are_written_out_from_now():
    queries = queue_queries(NOW)
    assert queries["due in the next 72 hours"] == (
        'ExecutionStatus="Running" AND LesResponseDue BETWEEN "2026-12-07T09:30:00Z" AND "2026-12-10T09:30:00Z"')
    assert queries["collections ending this week"] == (
        'ExecutionStatus="Running" AND LesCollectionEnd BETWEEN "2026-12-07T09:30:00Z" AND "2026-12-14T09:30:00Z"')
    assert queries["waiting for legal"] == 'ExecutionStatus="Running" AND LesWaitingFor="legal"'
    assert queries["overdue"] == 'ExecutionStatus="Running" AND LesOverdue=true'
    assert queries["secrecy binds"] == 'ExecutionStatus="Running" AND LesSecrecyBinds=true'


def test_a_link_opens_the_workflows_list_on_the_query():
    assert queue_link("http://localhost:8233/", "default", 'LesWaitingFor="legal"') == (
        "http://localhost:8233/namespaces/default/workflows?query=LesWaitingFor%3D%22legal%22")


def test_starter_prints_every_queue_with_its_link():
    shown = subprocess.run([sys.executable, "starter.py", "queues", "--web-ui", "http://desk:8233"], cwd=REPO,
                           env=environ_without_les(), capture_output=True, text=True, check=True).stdout
    assert "waiting for legal\n  ExecutionStatus=\"Running\" AND LesWaitingFor=\"legal\"\n" \
           "  http://desk:8233/namespaces/default/workflows?query=ExecutionStatus%3D%22Running%22%20AND%20" \
           "LesWaitingFor%3D%22legal%22\n" in shown
    assert shown.count("http://desk:8233/namespaces/default/workflows?query=") == 8
