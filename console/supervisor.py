"""Keeping the local stack's processes alive: each is restarted when it dies, with backoff.

`stack.py up` hands every process it starts (the Temporal dev server, the two codec servers, the
mediation simulator, each worker) to one `Supervisor`. A process that exits while the stack is
up (a crash, an out-of-memory SIGKILL) is started again after a delay that doubles with each
exit in a row (1 s, 2 s, 4 s … at most 30 s) and falls back to the first delay once the process
has stayed up a minute; every exit and restart is said on stderr. On stop the processes get
SIGTERM in the reverse of their start order (workers before the server they talk to), then
SIGKILL if one has not exited within the grace period.

Each child runs in a session of its own, so a Ctrl-C at the terminal reaches only the
supervisor, which then stops them in that order."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from les.paths import LOG_FILE_MODE


def exit_words(returncode: int) -> str:
    """`-9` → "killed by SIGKILL"; `3` → "exit status 3"."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


@dataclass
class Service:
    """One supervised process: how to start it and where its log is."""

    name: str
    command: Sequence[str]
    log: Path | None = None
    cwd: Path | None = None
    process: subprocess.Popen | None = None
    restarts: int = 0
    failures_in_a_row: int = 0
    started_at: float = 0.0
    restart_at: float | None = None
    """When a dead process is due to be started again (monotonic seconds), or None if running."""
    exits: list[int] = field(default_factory=list)
    umask: int = -1
    """The process's umask (-1: the supervisor's own)."""
    env: Mapping[str, str] | None = None
    """Variables set for this process beside the supervisor's own environment (never a secret:
    the environment of a process is readable by its owner in /proc)."""

    def spawn(self) -> subprocess.Popen:
        out = open_log(self.log) if self.log is not None else subprocess.DEVNULL
        try:
            env = {**os.environ, **self.env} if self.env else None
            self.process = subprocess.Popen(list(self.command), stdout=out, stderr=subprocess.STDOUT,
                                            cwd=self.cwd, start_new_session=True, env=env,
                                            umask=self.umask)
        finally:
            if out is not subprocess.DEVNULL:
                os.close(out)  # the child holds its own descriptor
        self.started_at, self.restart_at = time.monotonic(), None
        return self.process

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None


def open_log(path: Path) -> int:
    """A descriptor appending to `path`, which is created 0600 (LOG_FILE_MODE) or tightened to it."""
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, LOG_FILE_MODE)
    os.fchmod(descriptor, LOG_FILE_MODE)
    return descriptor


class Supervisor:
    """Starts services, restarts the ones that die (with backoff), stops them all in reverse order."""

    def __init__(self, *, first_delay: float = 1.0, max_delay: float = 30.0, stable_after: float = 60.0,
                 grace: float = 15.0, say: Callable[[str], None] | None = None) -> None:
        self.services: list[Service] = []
        self.first_delay, self.max_delay, self.stable_after, self.grace = first_delay, max_delay, stable_after, grace
        self._say = say or (lambda message: print(message, file=sys.stderr, flush=True))
        self._stopping = False

    def start(self, service: Service) -> Service:
        service.spawn()
        self.services.append(service)
        return service

    def adopt(self, service: Service, process: subprocess.Popen) -> Service:
        """Supervise a process started elsewhere (one that had to be waited for at start-up);
        a restart uses `service.command`."""
        service.process, service.started_at = process, time.monotonic()
        self.services.append(service)
        return service

    def delay_for(self, failures_in_a_row: int) -> float:
        return min(self.max_delay, self.first_delay * 2 ** max(0, failures_in_a_row - 1))

    def check(self, now: float | None = None) -> None:
        """One round: note every process that exited and schedule its restart; start the ones due."""
        if self._stopping:
            return
        now = time.monotonic() if now is None else now
        for service in self.services:
            process = service.process
            if service.restart_at is None and process is not None and process.poll() is not None:
                service.exits.append(process.returncode)
                stable = now - service.started_at >= self.stable_after
                service.failures_in_a_row = 1 if stable else service.failures_in_a_row + 1
                delay = self.delay_for(service.failures_in_a_row)
                service.restart_at = now + delay
                where = f"; see {service.log}" if service.log else ""
                self._say(f"the {service.name} exited ({exit_words(process.returncode)}); "
                          f"restarting it in {delay:g}s{where}")
            if service.restart_at is not None and now >= service.restart_at:
                service.spawn()
                service.restarts += 1
                self._say(f"the {service.name} restarted (pid {service.pid}, restart {service.restarts})")

    async def run(self, stop: asyncio.Event, interval: float = 0.25) -> None:
        """Watch until `stop` is set."""
        while not stop.is_set():
            self.check()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    def stop_all(self) -> None:
        """SIGTERM to each running process, last started first; SIGKILL after the grace period."""
        self._stopping = True
        for service in reversed(self.services):
            process = service.process
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=self.grace)
            except subprocess.TimeoutExpired:
                self._say(f"the {service.name} did not stop in {self.grace:g}s; killed")
                process.kill()
                process.wait()
