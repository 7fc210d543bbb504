"""The analyst's and the auditor's command line: pre-screen, submit, follow and decide LES
requests; audit them; report on them.

    python starter.py check FILE [--json]      offline pre-screen (FILE or - for standard input)
    python starter.py submit FILE              start the request's workflow, print its id
    python starter.py status ID [--json]       state, open tasks, deadlines, decisions
    python starter.py approve ID --role analyst [--note ...]   (and the other decisions)

`python starter.py --help` lists every command and the exit statuses (console/args.py,
console/errors.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _use_project_venv() -> None:
    """Re-run under the project's virtual environment when started with a bare `python`."""
    venv = Path(__file__).resolve().parent / ".venv"
    venv_python = venv / "bin" / "python"
    try:
        import pydantic  # noqa: F401
        import temporalio  # noqa: F401
    except ImportError:
        if venv_python.exists() and Path(sys.prefix).resolve() != venv.resolve():
            os.execv(str(venv_python), [str(venv_python), *sys.argv])
        sys.exit("starter: dependencies missing; run `python3 stack.py up` once to install them")


if __name__ == "__main__":
    _use_project_venv()



def run(argv: list[str]) -> int:
    """The command's exit status; Ctrl-C at any moment (even while the program loads) is one line, 130."""
    try:
        import asyncio

        from console.cli import main

        return asyncio.run(main(argv))
    except KeyboardInterrupt:
        print("starter: interrupted", file=sys.stderr, flush=True)
        return 130


if __name__ == "__main__":
    import signal

    # Piped into `head` or a pager that quits early: stop quietly, as a Unix tool does.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    status = run(sys.argv[1:])
    try:
        from les.telemetry import flush_traces

        flush_traces()  # the spans still batched: os._exit below would drop them
    except KeyboardInterrupt:
        status = 130
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: the Temporal client's native runtime can crash while it is
    # torn down after the answer is already printed, turning a success into exit 139.
    os._exit(status)
