"""Driving starter.py as a person at a terminal does, for the CLI tests: Ctrl-C in the middle of a command."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable

from tests.conftest import REPO


def interrupted(args: list[str], env: dict[str, str],
                at_work: Callable[[subprocess.Popen], str]) -> tuple[int, str, str]:
    """Run `starter.py ARGS`, wait until `at_work(process)` says it is at work (it returns what it read
    of stdout), press Ctrl-C: (exit status, all of stdout, stderr)."""
    process = subprocess.Popen([sys.executable, str(REPO / "starter.py"), *args], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        first = at_work(process)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, first + out, err
