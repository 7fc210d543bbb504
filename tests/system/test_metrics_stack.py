"""`stack.py up` as a developer runs it, with real processes (the Temporal dev server, the codec
servers, the simulator, the worker): the worker serves Prometheus metrics on 127.0.0.1, the guide
prints the /metrics address, a scrape carries the SDK's series and the product's les_ ones, and
the product's move when a case is submitted, approved and refused. Scrapes are parsed with
prometheus_client's own parser (the text format's reference implementation), not ours. The same
run checks the stack's files as an operator would: state 0700, logs and SQLite stores 0600."""

from __future__ import annotations

import json
import os
import queue
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import REPO, environ_without_les, free_port

pytestmark = pytest.mark.devserver

SAMPLE = "LES-2026-000101"  # examples/subpoena.json, which stack.py up submits


def scrape(address: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of http://<address>/metrics: (name, labels) → value."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    """The sum of `name`'s samples that carry `labels` (0 when there is none yet). The endpoint
    exposes a counter as `name` (text format 0.0.4); the parser names its samples `name_total`."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n in (name, f"{name}_total") and wanted <= have)


def wait_until(address: str, check, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        samples = scrape(address)
        if check(samples):
            return samples
        if time.monotonic() > deadline:
            raise AssertionError({k: v for k, v in samples.items() if k[0].startswith("les_")})
        time.sleep(0.5)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_stack_up_serves_the_sdk_and_product_metrics_and_they_move(tmp_path: Path):
    state = tmp_path / "state"
    temporal, ui, codec, mediation, metrics, provider = (free_port() for _ in range(6))
    address = f"127.0.0.1:{metrics}"
    env = {**environ_without_les(), "LES_STATE_DIR": str(state), "LES_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal}",
           "LES_OIDC_ISSUER": f"http://127.0.0.1:{provider}",
           "LES_MEDIATION_URL": f"http://127.0.0.1:{mediation}", "LES_METRICS_ADDRESS": address,
           "LES_METRICS_INTERVAL": "1"}
    stack = subprocess.Popen([sys.executable, "-m", "console.stack", "--ui-port", str(ui), "--codec-port", str(codec),
                              "--subscribers", "30"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stack.stdout], daemon=True).start()
    guide: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while not any("Press Ctrl-C to stop." in line for line in guide):
            assert stack.poll() is None and time.monotonic() < deadline, "".join(guide)
            try:
                guide.append(lines.get(timeout=1))
            except queue.Empty:
                continue
        printed = "".join(guide)
        assert f"  metrics           http://{address}/metrics (Prometheus" in printed

        # The SDK's own series (slots, pollers, sticky cache) and the product's, on one endpoint.
        samples = wait_until(address, lambda s: value(s, "les_cases_submitted", request_type="subpoena") == 1)
        def slots(**labels: str) -> float:  # free and busy: an activity may be running as we scrape
            return sum(value(samples, f"temporal_worker_task_slots_{kind}", **labels) for kind in ("available", "used"))

        # worker.py's pool split (activity_slots): 16 activities and 8 local ones of 24 threads; bulk 4.
        assert slots(worker_type="ActivityWorker", task_queue="les-requests") == 16
        assert slots(worker_type="LocalActivityWorker", task_queue="les-requests") == 8
        assert slots(worker_type="ActivityWorker", task_queue="les-bulk") == 4
        assert ("temporal_sticky_cache_size", frozenset({("namespace", "default"), ("service_name",
                "temporal-core-sdk"), ("task_queue", "les-requests")})) in samples
        assert value(samples, "les_decisions_refused") == 0 and value(samples, "les_decisions_accepted") == 0
        samples = wait_until(address, lambda s: value(s, "les_cases_open", request_type="subpoena") == 1
                             and value(s, "les_cases_waiting", waiting_for="analyst") == 1)
        assert value(samples, "les_cases_open", request_type="court_order") == 0
        assert value(samples, "les_switch_offs_pending") == 0

        def starter(person: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
            """`starter.py` in `person`'s own shell (their session in a folder of their own), at the stack."""
            shell = {**env, "LES_STATE_DIR": str(tmp_path / "people" / person),
                     "LES_DATABASE_URL": f"sqlite:///{state / 'records.db'}",
                     "LES_CODEC_URL": f"http://127.0.0.1:{codec}",
                     "LES_CLEARED_CODEC_URL": f"http://127.0.0.1:{codec + 1}"}
            return subprocess.run([sys.executable, "starter.py", *args], cwd=REPO, env=shell, capture_output=True,
                                  text=True, timeout=60, input=stdin)

        for person in ("jdoe", "kpatel"):
            signed = starter(person, "login", person, "--password-stdin", stdin=f"{person}-dev\n")
            assert signed.returncode == 0, signed.stderr
        refused = starter("kpatel", "approve", SAMPLE, "--role", "analyst")
        assert refused.returncode != 0 and "kpatel does not hold the analyst role" in refused.stdout + refused.stderr
        refused = starter("jdoe", "approve", SAMPLE, "--role", "auditor")
        assert refused.returncode != 0
        approved = starter("jdoe", "approve", SAMPLE, "--role", "analyst", "--note", "in order")
        assert approved.returncode == 0, approved.stdout + approved.stderr
        samples = wait_until(address, lambda s: value(s, "les_decisions_accepted", decision="approve") == 1
                             and value(s, "les_cases_open", request_type="subpoena") == 0)
        assert value(samples, "les_decisions_refused", decision="approve", reason="roster") == 1
        assert value(samples, "les_decisions_refused", decision="approve", reason="not_allowed") == 1
        assert value(samples, "les_decisions_refused") == 2
        assert value(samples, "les_cases_closed", request_type="subpoena", resolution="delivered") == 1
        # examples/subpoena.json's target has call records in the demo year; subscriber_info is one row.
        assert value(samples, "les_retrieval_rows", category="subscriber_info") == 1
        assert value(samples, "les_retrieval_bytes", category="call_records_outgoing") > 0
        # Nothing that names a case, a target or a person is a label of any product series.
        for (name, labels), _ in samples.items():
            if name.startswith("les_"):
                assert not any(SAMPLE in v or "jdoe" in v or "+1" in v for _, v in labels), (name, labels)

        # Temporal Core's own records reach the worker's log, in its one format (JSON in a file).
        core = [json.loads(line) for line in (state / "worker.log").read_text().splitlines()
                if line.startswith("{") and '"temporalio.core"' in line]
        assert any(r["event"].startswith("Initializing worker") and r["core_target"].startswith("temporalio_sdk_core")
                   for r in core), core[:3]

        # The stack's files, as `ls -l` shows them to an operator.
        assert mode(state) == 0o700
        for name in ("worker.log", "temporal.log", "mediation.log", "codec-server.log"):
            assert mode(state / name) == 0o600, name
        for name in ("records.db", "temporal.db", "mediation.db"):
            assert mode(state / name) == 0o600, name
    finally:
        if stack.poll() is None:
            stack.send_signal(signal.SIGINT)
            try:
                stack.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(stack.pid, signal.SIGKILL)
                stack.wait()
