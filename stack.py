#!/usr/bin/env python3
"""Run LES Orchestrator from a fresh clone with nothing but Python 3.11+.

    python3 stack.py up     create .venv on first use, start Temporal (Web UI :8233), fill the
                            records store, start the worker, submit the sample subpoena
    python3 stack.py test   run the whole test suite (pytest arguments may follow)

Only the standard library is used here; everything else runs inside .venv."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".les-installed"


def ensure_venv() -> None:
    """Create the virtual environment and install the project (again when pyproject.toml changes)."""
    if sys.version_info < (3, 11):  # noqa: UP036 - stack.py runs under any python3 the user has
        sys.exit(f"stack.py: Python 3.11 or newer is needed (this is {sys.version.split()[0]})")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PYTHON.exists():
        print("stack.py: creating .venv (first run)", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("stack.py: installing the project and its test tools into .venv", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


USAGE = "usage: python3 stack.py {up,test} [ARGS...]   (python3 stack.py --help says more)"


def main() -> None:
    if len(sys.argv) == 2 and sys.argv[1] in {"-h", "--help", "help"}:
        print(__doc__.strip() + "\n\n`python3 stack.py up --help` and `python3 stack.py test --help` say more of each.")
        sys.exit(0)
    if len(sys.argv) < 2 or sys.argv[1] not in {"up", "test"}:
        problem = f"unknown command {sys.argv[1]!r}" if len(sys.argv) > 1 else "a command is needed"
        print(f"{USAGE}\nstack.py: {problem}", file=sys.stderr)
        sys.exit(2)
    command, rest = sys.argv[1], sys.argv[2:]
    try:
        ensure_venv()
    except subprocess.CalledProcessError as err:
        sys.exit(f"stack.py: installing into .venv failed ({err}); see pip's message above")
    os.chdir(ROOT)
    if command == "test":
        os.execv(str(PYTHON), [str(PYTHON), "-m", "pytest", *rest])
    os.execv(str(PYTHON), [str(PYTHON), "-m", "console.stack", *rest])


if __name__ == "__main__":
    main()
