"""MediationReconciliation: every hour, the mediation system's active tasks against the running orders.

A task that no running order justifies (no open 47 CFR 1.20004 record names it, or its order's end
has passed) is an unauthorised interception: it is switched off at once and reported (1.20003)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.certification import CertificationActivities
    from activities.contracts_surveillance import UnauthorisedReport
    from activities.mediation import MediationActivities
    from activities.mediation_models import DeactivateTaskInput, ListActiveTasksInput
    from les.codec import RECONCILIATION_WORKFLOW_ID
    from workflows.activity_options import QUICK

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


@workflow.defn(name="MediationReconciliation")
class MediationReconciliation:
    """Compares what is collecting with what may collect, and switches off what may not."""

    def __init__(self) -> None:
        self._sweeps: list[Sweep] = []

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
        active = await workflow.execute_activity_method(
            MediationActivities.list_active_tasks, ListActiveTasksInput(), **QUICK)
        running = await workflow.execute_activity_method(
            CertificationActivities.running_interceptions, **QUICK)
        justified = {r.xid: r for r in running.running}
        now = workflow.now()
        orphans: list[str] = []
        for task in active.tasks:
            record = justified.get(task.xid)
            if record is None or record.request_id != task.liid:
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
