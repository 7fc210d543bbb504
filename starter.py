"""The analyst's command line: pre-screen, submit, follow and decide LES requests.

    python starter.py check FILE [--json]      offline pre-screen (SPEC §2)
    python starter.py submit FILE              start the request's workflow, print its id
    python starter.py status ID [--json]       state, open tasks, deadlines, decisions
    python starter.py approve ID --actor jdoe --role analyst [--note ...]   (and the other decisions)

Exit status: 0 done (check: accept or partial); 1 refused (check: reject; decision refused;
duplicate or unknown request); 2 bad input; 3 the Temporal server cannot be reached."""

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

import asyncio  # noqa: E402

from console.cli import main  # noqa: E402

if __name__ == "__main__":
    import signal

    # Piped into `head` or a pager that quits early: stop quietly, as a Unix tool does.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    status = asyncio.run(main(sys.argv[1:]))
    from les.telemetry import flush_traces

    flush_traces()  # the spans still batched: os._exit below would drop them
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: the Temporal client's native runtime can crash while it is
    # torn down after the answer is already printed, turning a success into exit 139.
    os._exit(status)
