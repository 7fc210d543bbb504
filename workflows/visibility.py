"""What a case shows outside its history: its search attributes (the Web UI's queues) and its
Current Details (the case's page). One publish path, `Visibility.publish`; runs before
PER_STEP_ATTRIBUTES (workflows/versions.py) take its versioned branch, an upsert per attribute."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseState
    from les.temporal import CASE_STATE, COLLECTION_END, REQUEST_TYPE, SECRECY_BINDS, WAITING_FOR
    from workflows.versions import PER_STEP_ATTRIBUTES, QUEUE_SEARCH_ATTRIBUTES

if TYPE_CHECKING:
    from workflows.case_desk import CaseDesk

UNPUBLISHED_STATES = frozenset({CaseState.PACKAGING, CaseState.DELIVERING, CaseState.BILLING})
"""The production's quick steps: a run patched with PER_STEP_ATTRIBUTES keeps them off the search attribute."""


class Visibility:
    """The search attributes and the Current Details of one case."""

    def __init__(self, desk: CaseDesk) -> None:
        self._desk = desk
        self._published: CaseState | None = None
        self._queued: tuple[Any, ...] | None = None
        """The queue search attributes last upserted (who the case waits for, collection end, secrecy)."""
        self._pending: dict[str, Any] = {}
        """Search attribute updates waiting for the end of the step (PER_STEP_ATTRIBUTES runs)."""

    def _per_step(self) -> bool:
        """Asked at the run's first search attribute, so its marker replays where it was made."""
        return self._desk.versions.has(PER_STEP_ATTRIBUTES)

    def opened(self, request_type: str) -> None:
        """The request type, once the case is open: with the start in runs with PER_STEP_ATTRIBUTES
        (`starter.py submit` sets it), else upserted; staged for the first state if a start lacked it."""
        if not self._per_step():
            workflow.upsert_search_attributes([REQUEST_TYPE.value_set(request_type)])
        elif workflow.info().typed_search_attributes.get(REQUEST_TYPE) != request_type:
            self.set(REQUEST_TYPE.value_set(request_type))

    def publish(self) -> None:
        """Tell the search attributes, the log and the Web UI the case's state, when it changed."""
        state = self._desk.case.state
        closing = state is CaseState.CLOSED and not self._desk.run.filed_closed  # published once the close is filed
        if not self._per_step():
            self._publish_each(state, closing)
            return
        if closing:
            self.show_details()
            return
        if state is not self._published:
            self._published = state
            self._log(state)
            if state not in UNPUBLISHED_STATES:
                self.set(CASE_STATE.value_set(str(state)))
        queue = self._queue()
        if queue != self._queued and not self._closing():
            self.set(*self._queue_updates(queue))
            self._queued = queue
        if state not in UNPUBLISHED_STATES:
            self.flush()
        self.show_details()

    def _publish_each(self, state: CaseState, closing: bool) -> None:
        """`publish` in runs before PER_STEP_ATTRIBUTES: an upsert per attribute changed, the queues'
        only in runs with QUEUE_SEARCH_ATTRIBUTES (asked only when one changed: v1 histories hold no marker)."""
        if state is not self._published and not closing:
            self._published = state
            self._log(state)
            workflow.upsert_search_attributes([CASE_STATE.value_set(str(state))])
        queue = self._queue()
        if queue != self._queued and not self._closing() and self._desk.versions.has(QUEUE_SEARCH_ATTRIBUTES):
            workflow.upsert_search_attributes(self._queue_updates(queue))
            self._queued = queue
        self.show_details()

    def republish(self) -> None:
        """A run that continued as new publishes its case afresh."""
        self._published = None
        self.publish()

    def set(self, *updates: Any, now: bool = False) -> None:
        """Upsert search attributes: at once before PER_STEP_ATTRIBUTES; after it, with the step's
        other changes when the state is next published, or at once (with them) when `now`."""
        if not self._per_step():
            workflow.upsert_search_attributes(list(updates))
            return
        for update in updates:
            self._pending[update.key.name] = update
        if now:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            workflow.upsert_search_attributes(list(self._pending.values()))
            self._pending.clear()

    def show_details(self) -> None:
        """Keep the workflow's Current Details (the Web UI) current: not a command, so never
        part of what a history replays."""
        workflow.set_current_details(self._desk.page())

    def _log(self, state: CaseState) -> None:
        workflow.logger.info("case state", extra={"request_id": self._desk.request_id, "state": str(state)})

    def _closing(self) -> bool:
        return self._desk.case.closed and not self._desk.run.filed_closed

    def _queue(self) -> tuple[Any, ...]:
        """What the queues search on: who the case waits for, the collection's end, whether secrecy
        binds. Plain text on the server: roles, a moment and a flag, nothing identifying."""
        case, check = self._desk.case, self._desk.run.check
        waiting = ["none"] if case.closed else case.waiting_for()
        secrecy = None  # not known before verification
        if check is not None:
            binding = check.nondisclosure
            secrecy = binding is not None and (binding.until is None or binding.until > workflow.now())
        return tuple(waiting), case.order_end, secrecy

    def _queue_updates(self, queue: tuple[Any, ...]) -> list[Any]:
        before = self._queued or ((), None, None)
        waiting, end, secrecy = queue
        updates: list[Any] = []
        if waiting != before[0]:
            updates.append(WAITING_FOR.value_set(list(waiting)))
        if end is not None and end != before[1]:
            updates.append(COLLECTION_END.value_set(end))
        if secrecy is not None and secrecy != before[2]:
            updates.append(SECRECY_BINDS.value_set(secrecy))
        return updates
