"""What an operator sets and checks: settings in words, secrets never shown, logs as asked, the
liveness and readiness probes, the modes of the stack's files (docs/operations.md)."""

from __future__ import annotations

import json
import os
import pty
import stat
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from console.supervisor import Service
from les.config import ConfigurationError, Settings
from tests.conftest import REPO, environ_without_les, free_port

PASSWORD = "s3cr3t-Horse-Battery"


def settings_with(monkeypatch, **env: str) -> Settings:
    for key in [k for k in os.environ if k.startswith("LES_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.from_env()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_settings_never_show_the_records_store_password(monkeypatch, tmp_path):
    secret = tmp_path / "records_db_password"
    secret.write_text(PASSWORD + "\n")
    settings = settings_with(monkeypatch, LES_DATABASE_URL="postgresql+psycopg2://les@records-db:5432/les",
                             LES_DATABASE_PASSWORD_FILE=str(secret))
    assert settings.database_url == f"postgresql+psycopg2://les:{PASSWORD}@records-db:5432/les"  # it is used
    for shown in (repr(settings), str(settings), f"{settings}", f"{[settings]}"):
        assert PASSWORD not in shown
        assert "database_url='postgresql+psycopg2://les:***@records-db:5432/les'" in shown


def test_the_stack_guide_never_prints_the_password(monkeypatch, tmp_path, capsys):
    from console.stack import print_guide

    secret = tmp_path / "pw"
    secret.write_text(PASSWORD)
    settings = settings_with(monkeypatch, LES_DATABASE_URL="postgresql+psycopg2://les@db:5432/les",
                             LES_DATABASE_PASSWORD_FILE=str(secret), LES_STATE_DIR=str(tmp_path))
    print_guide(settings, 8233, "300 subscribers", "awaiting_approval", 8234, 2, ["127.0.0.1:9464", "127.0.0.1:9465"])
    out = capsys.readouterr().out
    assert PASSWORD not in out
    assert "  records store     postgresql+psycopg2://les:***@db:5432/les (300 subscribers)" in out
    assert "  metrics           http://127.0.0.1:9464/metrics, http://127.0.0.1:9465/metrics (Prometheus" in out


@pytest.mark.parametrize(("name", "value", "message"), [
    ("LES_LOG_LEVEL", "loud", r"^LES_LOG_LEVEL='loud' is not one of DEBUG, INFO, WARNING, ERROR$"),
    ("LES_LOG_FORMAT", "xml", r"^LES_LOG_FORMAT='xml' is not one of auto, json, console$"),
    ("LES_METRICS_ADDRESS", "9464", r"^LES_METRICS_ADDRESS='9464' is not host:port \(e\.g\. 127\.0\.0\.1:9464\)$"),
    ("LES_METRICS_ADDRESS", "127.0.0.1:99999", r"is not host:port"),
    ("LES_METRICS_INTERVAL", "0", r"^LES_METRICS_INTERVAL='0' is not a number of seconds from 1 to 3600$"),
])
def test_a_bad_operations_setting_is_one_line_in_words(monkeypatch, name, value, message):
    with pytest.raises(ConfigurationError, match=message):
        settings_with(monkeypatch, **{name: value})


def test_operations_settings_as_given(monkeypatch):
    settings = settings_with(monkeypatch, LES_LOG_LEVEL="debug", LES_LOG_FORMAT="JSON",
                             LES_METRICS_ADDRESS="0.0.0.0:9464", LES_METRICS_INTERVAL="15")
    assert (settings.log_level, settings.log_format, settings.metrics_address, settings.metrics_interval) == (
        "DEBUG", "json", "0.0.0.0:9464", 15.0)
    assert settings_with(monkeypatch).metrics_address is None  # no endpoint unless asked


def test_the_worker_refuses_a_bad_log_level_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "worker.py"], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={**environ_without_les(), "LES_STATE_DIR": str(tmp_path), "LES_LOG_LEVEL": "loud"})
    assert (done.returncode, done.stderr) == (2, "worker: LES_LOG_LEVEL='loud' is not one of DEBUG, INFO, "
                                                 "WARNING, ERROR\n")


LOG_PROBE = """
import logging, structlog
from les.config import Settings
from les.logging import configure_logging_from
configure_logging_from(Settings.from_env())
structlog.get_logger("les.probe").info("probe event", rows=3)
structlog.get_logger("les.probe").debug("probe detail")
logging.getLogger("temporalio.core").warning("core says")
"""


def run_on_a_terminal(env: dict[str, str]) -> str:
    """Run LOG_PROBE with stderr on a pseudo-terminal, as an operator's shell; what it printed."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-c", LOG_PROBE], cwd=REPO, stderr=follower, timeout=60,
                              env={**environ_without_les(), **env})
        assert done.returncode == 0
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode()
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)


def test_json_logs_on_demand_even_on_a_terminal(tmp_path):
    printed = run_on_a_terminal({"LES_STATE_DIR": str(tmp_path), "LES_LOG_FORMAT": "json"})
    lines = [json.loads(line) for line in printed.splitlines() if line.strip()]
    assert [(line["event"], line["level"]) for line in lines] == [("probe event", "info"), ("core says", "warning")]
    assert lines[0]["rows"] == 3 and lines[1]["logger"] == "temporalio.core"


def test_the_log_level_is_the_operators_and_a_terminal_gets_columns_by_default(tmp_path):
    printed = run_on_a_terminal({"LES_STATE_DIR": str(tmp_path), "LES_LOG_LEVEL": "DEBUG"})
    assert "probe event" in printed and "probe detail" in printed and "core says" in printed
    assert not printed.lstrip().startswith("{")  # readable columns, not JSON
    quiet = run_on_a_terminal({"LES_STATE_DIR": str(tmp_path), "LES_LOG_LEVEL": "WARNING", "LES_LOG_FORMAT": "json"})
    assert [json.loads(line)["event"] for line in quiet.splitlines() if line.strip()] == ["core says"]


def health(check: str, state: Path, keyring: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m console.health <check>` with the cluster down (nothing listens on its address)."""
    return subprocess.run([sys.executable, "-m", "console.health", check], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env={**environ_without_les(), "LES_STATE_DIR": str(state),
                                           "LES_KEYRING_DIR": str(keyring or state / "keyring"),
                                           "LES_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"})


def test_liveness_holds_through_a_cluster_outage_and_readiness_does_not(tmp_path, keyring_dir):
    from console.health import BEAT_WINDOW, beat_file, worker_alive

    beat = beat_file(tmp_path)
    assert not worker_alive(tmp_path)
    dead = health("worker", tmp_path)
    assert dead.returncode == 1 and dead.stderr.startswith("health: no worker process of ")

    beat.parent.mkdir(mode=0o700)
    beat.touch()  # a live worker's beat, as beat_forever writes it
    alive = health("worker", tmp_path)
    assert (alive.returncode, alive.stderr) == (0, "")  # the cluster is down: the worker is not to be restarted
    ready = health("ready", tmp_path, keyring_dir)
    assert ready.returncode == 1 and ready.stderr.startswith("health: cannot reach the Temporal server at 127.0.0.1:")
    assert len(ready.stderr.splitlines()) == 1  # no traceback

    old = time.time() - BEAT_WINDOW - 5
    os.utime(beat, (old, old))  # a worker whose event loop stopped beating: hung
    hung = health("worker", tmp_path)
    assert hung.returncode == 1 and f"beat in the last {BEAT_WINDOW:.0f}s" in hung.stderr
    assert not worker_alive(tmp_path, host="another-container")


async def test_the_beat_is_kept_while_running_and_removed_on_stop(tmp_path):
    import asyncio

    from console.health import beat_file, beat_forever, worker_alive

    task = asyncio.create_task(beat_forever(tmp_path))
    for _ in range(50):
        if beat_file(tmp_path).exists():
            break
        await asyncio.sleep(0.02)
    assert worker_alive(tmp_path) and mode(beat_file(tmp_path)) == 0o600 and mode(tmp_path / "alive") == 0o700
    task.cancel()
    with pytest.raises(asyncio.CancelledError, match=r"^$"):
        await task
    assert not beat_file(tmp_path).exists()


def test_health_without_a_known_check_says_how_to_use_it(tmp_path):
    done = health("everything", tmp_path)
    assert (done.returncode, done.stderr) == (2, "usage: python -m console.health worker|ready   "
                                                 "(worker: liveness, ready: readiness)\n")


def test_a_supervised_process_logs_to_a_file_only_its_owner_reads(tmp_path):
    log = tmp_path / "worker.log"
    log.write_text("an older run's line\n")
    log.chmod(0o644)  # as an older release left it
    service = Service("probe", [sys.executable, "-c", "import os; print(os.environ['LES_PROBE'])"], log=log,
                      env={"LES_PROBE": "set for this process"})
    service.spawn().wait(timeout=30)
    assert mode(log) == 0o600
    assert log.read_text() == "an older run's line\nset for this process\n"
    fresh = Service("fresh", [sys.executable, "-c", "pass"], log=tmp_path / "new.log")
    fresh.spawn().wait(timeout=30)
    assert mode(tmp_path / "new.log") == 0o600


def test_the_state_folder_and_the_mediation_store_are_private(tmp_path):
    from les.paths import make_private_dir
    from mediation.store import TaskStore

    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    assert mode(make_private_dir(state)) == 0o700
    store_file = state / "mediation.db"
    TaskStore(store_file)
    assert mode(store_file) == 0o600
    store_file.chmod(0o644)  # an older release's store is tightened when it is opened again
    TaskStore(store_file)
    assert mode(store_file) == 0o600


def test_each_worker_of_the_stack_serves_metrics_on_its_own_port(monkeypatch, tmp_path):
    from console.stack import metrics_addresses, worker_services

    settings = settings_with(monkeypatch, LES_STATE_DIR=str(tmp_path))
    assert metrics_addresses(settings, 3) == ["127.0.0.1:9464", "127.0.0.1:9465", "127.0.0.1:9466"]
    moved = replace(settings, metrics_address="127.0.0.1:19000")
    assert [dict(s.env) for s in worker_services(moved, 2)] == [{"LES_METRICS_ADDRESS": "127.0.0.1:19000"},
                                                               {"LES_METRICS_ADDRESS": "127.0.0.1:19001"}]


def test_a_metric_label_is_a_closed_vocabulary():
    from les import metrics

    with pytest.raises(ValueError, match=r"^'LES-2026-000101' is not a refusal reason class"):
        metrics.decision_refused("approve", "LES-2026-000101")
    assert all(name.startswith("les_") for name in metrics.DESCRIPTIONS)


def test_a_metrics_port_in_use_is_one_line(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "worker.py"], cwd=REPO, capture_output=True, text=True, timeout=60,
                              env={**environ_without_les(), "LES_STATE_DIR": str(tmp_path),
                                   "LES_METRICS_ADDRESS": f"127.0.0.1:{port}"})
    assert done.returncode == 3
    assert done.stderr.startswith(f"worker: cannot serve metrics on 127.0.0.1:{port} (LES_METRICS_ADDRESS): ")
    assert len(done.stderr.splitlines()) == 1


async def test_a_beat_that_cannot_be_written_is_said_and_the_worker_goes_on(tmp_path, capsys):
    import asyncio

    from console.health import beat_forever

    blocked = tmp_path / "state"
    blocked.write_text("a file where the state folder should be")
    task = asyncio.create_task(beat_forever(blocked))
    await asyncio.sleep(0.1)
    assert not task.done()  # it keeps trying; the liveness probe reports the missing beat
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_settings_never_show_the_temporal_api_key(monkeypatch, tmp_path):
    (tmp_path / "temporal.toml").write_text("")
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "temporal.toml"))
    monkeypatch.setenv("TEMPORAL_API_KEY", "tmprl-api-key-" + PASSWORD)
    settings = settings_with(monkeypatch)
    assert settings.temporal_profile is not None and PASSWORD in repr(settings.temporal_profile)  # the SDK's own
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)


async def test_a_worker_that_stopped_running_beats_no_more(tmp_path, monkeypatch):
    import asyncio

    import console.health
    from console.health import beat_file, beat_forever

    monkeypatch.setattr(console.health, "BEAT", 0.02)
    running = [True]
    task = asyncio.create_task(beat_forever(tmp_path, lambda: running[0]))
    await asyncio.sleep(0.1)
    first = beat_file(tmp_path).stat().st_mtime_ns
    await asyncio.sleep(0.1)
    assert beat_file(tmp_path).stat().st_mtime_ns > first  # it beats while its workers run
    running[0] = False  # its Temporal workers failed for good: no more beats, liveness will say so
    await asyncio.sleep(0.05)
    stopped = beat_file(tmp_path).stat().st_mtime_ns
    await asyncio.sleep(0.1)
    assert beat_file(tmp_path).stat().st_mtime_ns == stopped
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_the_chart_without_the_report_extra_is_one_line_in_words(monkeypatch, tmp_path):
    """The worker's image has no matplotlib (the `report` extra): asking for a chart there says so."""
    from console.report import ReportRefused, write_chart

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed: importing it fails
    with pytest.raises(ReportRefused, match=r"^--chart needs matplotlib, which is not installed here: "
                                            r"pip install 'les-orchestrator\[report\]'; nothing was written$"):
        write_chart(None, tmp_path / "chart.png")
    assert not (tmp_path / "chart.png").exists()
