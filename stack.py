#!/usr/bin/env python3
"""Run LES Orchestrator from a fresh clone with nothing but Python 3.11+.

    python3 stack.py up     create .venv on first use, start Temporal (Web UI :8233), fill the
                            records store, start the worker, submit the sample subpoena
    python3 stack.py test   run the whole test suite, as CI does (pytest arguments may follow);
                            `test --fast` runs tests/unit and tests/workflow only; `test --help`
                            says more

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

TEST_HELP = """usage: python3 stack.py test [--fast] [pytest arguments ...]

Run the test suite with pytest in .venv (created on first use; docs/testing.md).

  (nothing)    every tier, as CI runs it (.ci/run): tests/unit, tests/workflow, tests/system
  --fast       tests/unit and tests/workflow only (the developer's loop): no dev server, worker
               process, codec server, OIDC provider, browser or fault injection
  -h, --help   show this help and exit

Every other argument goes to pytest as it is: files or folders, -k EXPR, -x, -q, --durations=N.
With --fast a -m EXPR of yours is joined to the tiers': -m "(unit or workflow) and (EXPR)".
The test files run on one process per core (pytest-xdist: -n CORES --dist loadfile); -n 0 runs
them all in one process, -n N on N.
Markers: unit, workflow, system (by folder), postgres, devserver, browser, faults; for example
`python3 stack.py test -m "system and not faults"`. pytest's own options:
`.venv/bin/python -m pytest --help`."""

FAST_TIERS = "unit or workflow"
FAST_FOLDERS = ["tests/unit", "tests/workflow"]


def in_parallel(args: list[str], cores: int | None) -> list[str]:
    """One pytest process per core (pytest-xdist), each test file whole on one of them (`--dist
    loadfile`: a file's module-scoped servers are started once); none added when ARGS choose (-n)."""
    chosen = any(arg == "-n" or arg.startswith(("-n", "--numprocesses", "--dist")) for arg in args)
    if chosen or not cores or cores < 2:
        return list(args)
    return ["-n", str(cores), "--dist", "loadfile", *args]


def pytest_arguments(args: list[str], cores: int | None = None) -> list[str]:
    """The pytest command line for `stack.py test ARGS`: ARGS, on `cores` processes; with --fast, the
    unit and workflow tiers only (their folders too when no file or folder is named, so the system
    tier is not even imported)."""
    if "--fast" not in args:
        return in_parallel(args, cores)
    rest, marker, index = [], None, 0
    while index < len(args):
        arg = args[index]
        if arg == "--fast":
            pass
        elif arg == "-m" and index + 1 < len(args):
            marker, index = args[index + 1], index + 1
        elif arg.startswith("-m") and len(arg) > 2:
            marker = arg[2:]
        else:
            rest.append(arg)
        index += 1
    tiers = f"({FAST_TIERS}) and ({marker})" if marker else FAST_TIERS
    named = any(not arg.startswith("-") and (ROOT / arg.split("::")[0]).exists() for arg in rest)
    return in_parallel(["-m", tiers, *rest, *([] if named else FAST_FOLDERS)], cores)


def main() -> None:
    if len(sys.argv) == 2 and sys.argv[1] in {"-h", "--help", "help"}:
        print(__doc__.strip() + "\n\n`python3 stack.py up --help` and `python3 stack.py test --help` say more of each.")
        sys.exit(0)
    if len(sys.argv) < 2 or sys.argv[1] not in {"up", "test"}:
        problem = f"unknown command {sys.argv[1]!r}" if len(sys.argv) > 1 else "a command is needed"
        print(f"{USAGE}\nstack.py: {problem}", file=sys.stderr)
        sys.exit(2)
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "test" and ("-h" in rest or "--help" in rest):
        print(TEST_HELP)
        return
    try:
        ensure_venv()
    except subprocess.CalledProcessError as err:
        sys.exit(f"stack.py: installing into .venv failed ({err}); see pip's message above")
    os.chdir(ROOT)
    if command == "test":
        os.execv(str(PYTHON), [str(PYTHON), "-m", "pytest", *pytest_arguments(rest, os.cpu_count())])
    os.execv(str(PYTHON), [str(PYTHON), "-m", "console.stack", *rest])


if __name__ == "__main__":
    main()
