"""MediationReconciliation: every hour, the mediation system's active tasks against the running orders.

A task that no running order justifies (no open 47 CFR 1.20004 record names it, or its order's end
has passed) is an unauthorised interception: it is switched off at once and reported (1.20003).
An answer from the mediation function that cannot be read is never taken for "nothing active":
the sweep is recorded as faulty, logged at error level, and the next sweep tries again."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.certification import CertificationActivities
    from activities.mediation import MediationActivities
    from domain.collection import liid_for
    from domain.contracts import DeactivateTaskInput, ListActiveTasksInput, UnauthorisedReport
    from les.codec import RECONCILIATION_WORKFLOW_ID
    from workflows.activity_options import QUICK
    from workflows.versions import UNREADABLE_IS_A_FAULT, Versions

RECONCILIATION_ID = RECONCILIATION_WORKFLOW_ID
"""One reconciliation per namespace: every worker makes sure it runs, none starts a second."""


class ReconciliationInput(BaseModel):
    interval_seconds: int = 3600
    """How often the sweep runs (hourly)."""
    sweeps_per_run: int = 24
    """Sweeps before the workflow continues as new, so its history stays short."""


class Sweep(BaseModel):
    at: str
    active: int
    orphans: list[str] = Field(default_factory=list)
    fault: str | None = None
    """Why the sweep could not see what is active (e.g. an unreadable answer); `active` is then 0
    and means nothing."""


@workflow.defn(name="MediationReconciliation")
class MediationReconciliation:
    """Compares what is collecting with what may collect, and switches off what may not."""

    def __init__(self) -> None:
        self._sweeps: list[Sweep] = []
        self._versions = Versions()

    @workflow.run
    async def run(self, sweep: ReconciliationInput) -> None:
        for _ in range(sweep.sweeps_per_run):
            await self._sweep()
            await workflow.sleep(timedelta(seconds=sweep.interval_seconds), summary="next reconciliation sweep")
        workflow.continue_as_new(sweep)

    @workflow.query(name="sweeps", description="The latest sweeps: when, how many tasks were active, the orphans.")
    def sweeps(self) -> list[Sweep]:
        return list(self._sweeps[-24:])

    async def _sweep(self) -> None:
        try:
            active = await workflow.execute_activity_method(
                MediationActivities.list_active_tasks, ListActiveTasksInput(), **QUICK)
        except ActivityError as err:
            if not self._versions.has(UNREADABLE_IS_A_FAULT):
                raise
            cause = err.cause
            kind = cause.type if isinstance(cause, ApplicationError) else type(cause).__name__
            fault = str(cause) if str(cause).startswith(f"{kind}:") else f"{kind}: {cause}"
            workflow.logger.error("reconciliation could not read what the mediation function holds; "
                                  "nothing concluded", extra={"fault": fault})
            self._sweeps.append(Sweep(at=workflow.now().isoformat(), active=0, fault=fault))
            return
        running = await workflow.execute_activity_method(
            CertificationActivities.running_interceptions, **QUICK)
        justified = {r.xid: r for r in running.running}
        now = workflow.now()
        orphans: list[str] = []
        for task in active.tasks:
            record = justified.get(task.xid)
            if record is None or liid_for(record.request_id) != task.liid:
                reason = "no running order's interception record names this task"
            elif task.end is not None and task.end <= now:
                reason = f"its order ended at {task.end.isoformat()}; the task was still collecting"
            else:
                continue
            await workflow.execute_activity_method(
                MediationActivities.deactivate_task,
                DeactivateTaskInput(request_id=task.liid or "unknown", xid=task.xid, at=now), **QUICK)
            await workflow.execute_activity_method(
                CertificationActivities.report_unauthorised_interception,
                UnauthorisedReport(xid=task.xid, found_at=now, switched_off_at=now, reason=reason,
                                   details={"liid": task.liid, "targets": list(task.targets),
                                            "end": task.end.isoformat() if task.end else None}),
                **QUICK,
            )
            orphans.append(task.xid)
        self._sweeps.append(Sweep(at=now.isoformat(), active=len(active.tasks), orphans=orphans))
