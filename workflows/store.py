"""The case store's quick steps, as one desk calls them: a local activity in runs with
LOCAL_CASE_STORE (workflows/versions.py), an activity before it; and filing in the case history."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as TemporalTimeout

with workflow.unsafe.imports_passed_through():
    from activities.case import CaseActivities
    from domain.contracts import NotifyInput
    from domain.vocabulary import Role
    from workflows.activity_options import QUICK
    from workflows.versions import LOCAL_CASE_STORE

if TYPE_CHECKING:
    from workflows.case_desk import CaseDesk


class CaseStore:
    """The store calls of one case: `call` any quick step, `file` a case event, `record` one of the
    system's own events, `notify` a role."""

    def __init__(self, desk: CaseDesk) -> None:
        self._desk = desk

    async def call(self, step: Callable[..., Any], arg: Any, *, summary: str,
                   options: dict[str, Any] = QUICK) -> Any:
        """One quick case-store step: a local activity in runs with LOCAL_CASE_STORE, else an activity.
        A local activity that fails for good raises its last error bare (an activity's comes as
        an ActivityError around it): wrapped here the same way, so what handles a failed step
        (the intake's "not recorded, try again", a run failing on a non-retryable error) sees one
        kind of failure whichever way the step ran."""
        if not self._desk.versions.has(LOCAL_CASE_STORE):
            return await workflow.execute_activity_method(step, arg, summary=summary, **options)
        try:
            return await workflow.execute_local_activity_method(step, arg, summary=summary, **options)
        except (ApplicationError, TemporalTimeout) as err:
            name = getattr(step, "__name__", str(step))
            raise ActivityError(f"local activity {name} failed", scheduled_event_id=0, started_event_id=0,
                                identity="", activity_type=name, activity_id="", retry_state=None) from err

    async def file(self, event: Any, options: dict[str, Any] = QUICK) -> None:
        """File one case event (already in `Case.history`) in the case store; the page follows."""
        await self.call(CaseActivities.record_case_event, event,
                        summary=f"file in the case history: {event.name}", options=options)
        self._desk.visibility.show_details()

    async def record(self, name: str, note: str = "", details: dict | None = None) -> None:
        """One of the system's own events: into the case's history, then on file."""
        await self.file(self._desk.case.record(name, workflow.now(), note=note, details=details))

    async def notify(self, kind: str, role: Role | str, message: str) -> None:
        await self.call(
            CaseActivities.notify,
            NotifyInput(request_id=self._desk.request_id, kind=kind, recipient_role=str(role), message=message),
            summary=f"notify {role}: {kind}",
        )
