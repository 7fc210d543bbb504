"""The stack heals: a supervised process that dies (SIGKILL, as an out-of-memory kill does) is
started again with backoff and the restart is said; stopping ends every process, last first.

Real child processes throughout: a stand-in that sleeps, one that exits at once, one that
ignores SIGTERM, and the real mediation simulator as `stack.py up` starts it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from console.stack import mediation_service, worker_count, worker_services
from console.supervisor import Service, Supervisor, exit_words
from les.config import Settings

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def wait_until(condition, supervisor: Supervisor, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never held")
        supervisor.check()
        time.sleep(0.02)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_exit_words():
    assert exit_words(-9) == "killed by SIGKILL"
    assert exit_words(-15) == "killed by SIGTERM"
    assert exit_words(3) == "exit status 3"


def test_a_killed_process_is_restarted_and_said(tmp_path: Path):
    said: list[str] = []
    supervisor = Supervisor(first_delay=0.2, say=said.append, grace=2)
    log = tmp_path / "stand-in.log"
    first = supervisor.start(Service("worker", SLEEPER, log=log))
    other = supervisor.start(Service("codec server", SLEEPER))
    try:
        pid, other_pid = first.pid, other.pid
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_until(lambda: first.restarts == 1, supervisor)
        assert time.monotonic() - killed_at >= 0.2  # not before the backoff
        assert first.pid != pid and alive(first.pid)
        assert other.pid == other_pid and other.restarts == 0  # the others are left alone
        assert first.exits == [-9]
        assert said == [
            f"the worker exited (killed by SIGKILL); restarting it in 0.2s; see {log}",
            f"the worker restarted (pid {first.pid}, restart 1)",
        ]
    finally:
        supervisor.stop_all()
    assert not alive(first.pid) and not alive(other.pid)


def test_backoff_doubles_while_it_keeps_dying_and_is_capped():
    said: list[str] = []
    supervisor = Supervisor(first_delay=0.05, max_delay=0.2, say=said.append)
    crashing = supervisor.start(Service("mediation simulator", [sys.executable, "-c", "raise SystemExit(3)"]))
    try:
        wait_until(lambda: crashing.restarts == 4 and crashing.process.poll() is not None, supervisor)
        wait_until(lambda: len(crashing.exits) == 5, supervisor)
    finally:
        supervisor.stop_all()
    delays = [line.split("restarting it in ")[1] for line in said if "restarting" in line]
    assert delays == ["0.05s", "0.1s", "0.2s", "0.2s", "0.2s"]
    assert crashing.exits == [3, 3, 3, 3, 3]
    assert said[0] == "the mediation simulator exited (exit status 3); restarting it in 0.05s"


def test_backoff_starts_over_after_a_stable_run():
    supervisor = Supervisor(first_delay=1, stable_after=60, say=lambda _: None)
    service = supervisor.start(Service("worker", SLEEPER))
    try:
        service.failures_in_a_row = 4  # it had been crashing
        service.started_at = time.monotonic() - 61  # then stayed up a minute
        os.kill(service.pid, signal.SIGKILL)
        service.process.wait()
        now = time.monotonic()
        supervisor.check(now)
        assert service.restart_at == pytest.approx(now + 1)
    finally:
        supervisor.stop_all()


def test_stop_ends_everything_last_started_first_and_kills_the_stubborn(tmp_path: Path):
    said: list[str] = []
    order = tmp_path / "order"
    stubborn = [sys.executable, "-c",
                "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
                "time.sleep(120)"]
    polite = [sys.executable, "-c",
              f"import signal, sys, time\n"
              f"def bye(*_):\n open({str(order)!r}, 'a').write(sys.argv[1] + '\\n'); sys.exit(0)\n"
              f"signal.signal(signal.SIGTERM, bye)\nprint('ready', flush=True)\ntime.sleep(120)"]
    supervisor = Supervisor(grace=0.5, say=said.append)
    server = supervisor.start(Service("server", [*polite, "server"], log=tmp_path / "server.log"))
    worker = supervisor.start(Service("worker", [*polite, "worker"], log=tmp_path / "worker.log"))
    hung = supervisor.start(Service("hung", stubborn, log=tmp_path / "hung.log"))
    for name in ("server", "worker", "hung"):  # every handler installed before the stop
        wait_until(lambda name=name: "ready" in (tmp_path / f"{name}.log").read_text(errors="replace"), supervisor)
    supervisor.stop_all()
    assert order.read_text().split() == ["worker", "server"]
    assert hung.process.returncode == -9
    assert said == ["the hung did not stop in 0.5s; killed"]
    supervisor.check()  # nothing is restarted once stopping
    assert [s.restarts for s in (server, worker, hung)] == [0, 0, 0]


async def test_run_watches_until_stopped():
    said: list[str] = []
    supervisor = Supervisor(first_delay=0.05, say=said.append)
    service = supervisor.start(Service("worker", SLEEPER))
    stop = asyncio.Event()
    watching = asyncio.create_task(supervisor.run(stop, interval=0.02))
    try:
        os.kill(service.pid, signal.SIGKILL)
        for _ in range(200):
            if service.restarts:
                break
            await asyncio.sleep(0.02)
        assert service.restarts == 1
    finally:
        stop.set()
        await asyncio.wait_for(watching, timeout=2)
        supervisor.stop_all()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_real_mediation_simulator_comes_back_on_its_port(tmp_path: Path, monkeypatch):
    port = free_port()
    monkeypatch.setenv("LES_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("LES_MEDIATION_URL", f"https://127.0.0.1:{port}/X1")
    service = mediation_service(Settings.from_env())
    assert service is not None and service.log == tmp_path / "mediation.log"
    tls = tmp_path / "x1-tls"  # made by mediation_service on first use, as stack.py up does
    assert {p.name for p in tls.iterdir()} == {"ca.pem", "ca-key.pem", "simulator.pem", "simulator-key.pem",
                                               "worker.pem", "worker-key.pem"}
    assert oct(tls.stat().st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in tls.glob("*-key.pem")} == {"0o600"}
    said: list[str] = []
    supervisor = Supervisor(first_delay=0.1, say=said.append)
    supervisor.start(service)
    from les.x1_tls import X1Tls
    from mediation.admin import SimulatorAdmin

    admin = SimulatorAdmin(f"https://127.0.0.1:{port}/X1", tls=X1Tls.local(tls), timeout=0.5)

    def answers() -> bool:
        return admin.healthy()

    try:
        wait_until(answers, supervisor, seconds=20)
        os.kill(service.pid, signal.SIGKILL)
        wait_until(lambda: service.restarts == 1, supervisor)
        wait_until(answers, supervisor, seconds=20)
    finally:
        supervisor.stop_all()
    assert said[0].startswith("the mediation simulator exited (killed by SIGKILL); restarting it in 0.1s")


def test_n_workers_on_one_queue(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LES_STATE_DIR", str(tmp_path))
    services = worker_services(Settings.from_env(), 3)
    assert [s.name for s in services] == ["worker 1", "worker 2", "worker 3"]
    assert [s.log.name for s in services] == ["worker.log", "worker-2.log", "worker-3.log"]
    assert {tuple(s.command) for s in services} == {(sys.executable, str(Path("worker.py").resolve()))}
    assert worker_count("2") == 2
    with pytest.raises(Exception, match="between 1 and 32"):
        worker_count("0")


def test_stack_up_says_in_one_line_when_temporal_stops_answering_on_the_way_up(monkeypatch, capsys):
    """A server already on the port whose state is gone answers "shard status unknown" to the
    sample's submission: `stack.py up` says so in one line and exits 3 (unavailable), no traceback."""
    import console.stack
    from les.temporal import TemporalUnavailable

    async def up(args):
        raise TemporalUnavailable("the Temporal server at localhost:7233 did not answer (shard status unknown)")

    monkeypatch.setattr(console.stack, "up", up)
    monkeypatch.setattr("sys.argv", ["stack.py up"])
    assert console.stack.main() == 3
    err = capsys.readouterr().err
    assert err.splitlines() == ["stack.py up: the Temporal server at localhost:7233 did not answer (shard status "
                                "unknown); everything this run started is stopped"]
