"""How the worker runs workflow code: inside Temporal's sandbox, with the project's own modules
either shared by every workflow instance (`shared`, the default) or imported afresh for each one
(`strict`, what the tests and `audit replay` use).

The sandbox imports a workflow's module again for every workflow instance it starts, and again
whenever a cached instance was evicted and its history is replayed. For this project that is
`workflows/demands.py` and the shapes under it, their classes and generated decision handlers:
about 45 ms of CPU per case (bench/README.md), a quarter of the worker's work per subpoena, and
most of the cost of taking up again one of 10,000 waiting cases (bench/scale.py).

`shared` passes the project's packages through the sandbox: they are imported once per process
and every instance uses the same classes and the same module globals (so a workflow module must
never keep per-case state at module level). The sandbox still gives each instance its own copy of
every other module a workflow imports; what it no longer does for project code is stand between
it and the standard library, so a `datetime.now()` or a `random.random()` in a workflow module
would not be stopped there. That guard stays where code
changes are checked: the test suite's workers and every replay of recorded histories
(`audit replay`, tests/test_replay.py) run `strict`, where the sandbox refuses such a call.

Nothing in the project's workflow modules holds state that an instance changes: the module-level
values are constants and the decision handlers are generated once per class."""

from __future__ import annotations

from temporalio.worker import WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from les.config import DEFAULT_SANDBOX, SANDBOX_MODES

PROJECT_PACKAGES = ("workflows", "domain", "activities", "les")
"""What workflow code imports of the project: its own modules and the pure domain, the activity
contracts (dataclasses and pydantic models) and the converter/failure helpers."""


def workflow_runner(mode: str = DEFAULT_SANDBOX) -> WorkflowRunner:
    """The sandbox for `mode` (one of SANDBOX_MODES)."""
    if mode == "strict":
        return SandboxedWorkflowRunner()
    if mode == "shared":
        return SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PROJECT_PACKAGES))
    raise ValueError(f"unknown workflow sandbox {mode!r}: one of {', '.join(SANDBOX_MODES)}")
