"""How the worker runs workflow code: without Temporal's sandbox (`off`, the default), inside it
with the project's own modules shared by every workflow instance (`shared`), or inside it with
them imported afresh for each instance (`strict`, what the tests and `audit replay` use).

The sandbox imports a workflow's module again for every workflow instance it starts, and again
whenever a cached instance was evicted and its history is replayed: for this project
`workflows/demands.py` and the shapes under it, about 45 ms of CPU per case (bench/README.md).
`shared` passes the project's packages through the sandbox, so they are imported once per
process. But a passed-through module runs outside the sandbox's restrictions: a `datetime.now()`
or `random.random()` in `workflows/` would not be stopped there either. What `shared` still paid
for was the sandbox itself: every payload of every command asks the workflow instance, inside
the sandbox, for its serialization context (the codec picks its key by it), about 50 ms of
worker CPU per subpoena (bench/README.md, 2026-12-04). `off` runs the same code with the same
(absent) guard without that cost.

The guard stays where code changes are checked: the test suite's workers and every replay of
recorded histories (`audit replay`, tests/workflow/test_replay.py) run `strict`, where the sandbox refuses
such a call and the workflow modules are imported per instance. Nothing in the project's
workflow modules holds state that an instance changes (module-level values are constants, the
decision handlers are generated once per class), which `shared` and `off` both rely on."""

from __future__ import annotations

from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
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
    if mode == "off":
        return UnsandboxedWorkflowRunner()
    raise ValueError(f"unknown workflow sandbox {mode!r}: one of {', '.join(SANDBOX_MODES)}")
