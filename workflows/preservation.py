"""Preservation: a hold on stored records under 18 U.S.C. 2703(f) (SPEC §3).

The story: verify; the analyst approves; the named records of the targets are copied into a
hold that the retention purge cannot touch; the hold lapses 90 days after receipt, or 180
after the one renewal received before the lapse; withdraw releases it; a later demand whose
`preservation_ref` names it produces from the hold and the case closes as `produced`.
Nothing is disclosed by this request itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.case import CaseActivities
    from activities.holds import HoldActivities
    from domain.case import CaseOutcome, CaseState, RequestSubmission, Resolution
    from domain.case_machine import Decision
    from domain.contracts import ExtendHoldInput, HoldRef, LinkInput, PlaceHoldInput, ReleaseHoldInput
    from domain.vocabulary import STORED_CATEGORIES, DecisionName, RequestType
    from workflows.activity_options import QUICK
    from workflows.case_desk import CaseDesk, DeskPart
    from workflows.handlers import DeskWorkflow, decision_handlers
    from workflows.versions import RENEWAL_ON_ITS_HOLD

_SECOND = timedelta(seconds=1)


class HoldStory(DeskPart):
    """verify → approve → hold → renew once / release / produce from the hold → close."""

    def __init__(self, desk: CaseDesk) -> None:
        self.desk = desk
        desk.join(self)

    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        desk, case, document = self.desk, self.desk.case, self.desk.document
        await desk.open_case(submission)
        check = await desk.verify_legal_process()
        rejection = desk.rejection(check)
        case.verified(rejection=rejection)
        if rejection is not None:
            return await desk.close(Resolution.REJECTED_ON_VERIFICATION, rejection)
        renews = (document.get("legal_process") or {}).get("extension_of")
        if renews and desk.versions.has(RENEWAL_ON_ITS_HOLD):
            # A renewal places no hold of its own: it is recorded on the hold it names (2703(f)(2)).
            received = document.get("received_at")
            await desk.closes(Resolution.FILED_AS_EXTENSION,
                              f"verified; record it on {renews} with record_extension renewal_received_at={received}")
            return await desk.close_as_decided()
        desk.visibility.publish()
        await desk.wait_for(CaseState.RETRIEVING)
        if case.closed:
            return await desk.finish(await desk.close_as_decided())

        hold = desk.run.hold = await workflow.execute_activity_method(
            HoldActivities.place_hold,
            PlaceHoldInput(request_id=desk.request_id, document=document,
                           categories=[c for c in check.permitted if c in STORED_CATEGORIES],
                           expires_at=check.deadlines["expires_at"]),
            summary="copy the named records into the hold", **QUICK,
        )
        case.held(hold.expires_at)
        desk.visibility.publish()
        await desk.store.record("hold_placed", note=f"until {hold.expires_at.isoformat()}",
                                details={"rows": hold.rows_per_category})
        while not case.closed:
            expires = case.hold_expires_at
            assert expires is not None
            moved = await self._wait_until_changed(expires)
            if not moved:  # unless a renewal recorded while it lapsed moved the lapse
                await desk.closes(Resolution.HOLD_EXPIRED, f"the hold lapsed at {expires.isoformat()}",
                                  unless=lambda expires=expires: case.hold_expires_at != expires)
        await self._end_hold()
        return await desk.finish(await desk.close_as_decided())

    async def _wait_until_changed(self, expires: Any) -> bool:
        """Wait for a close or a renewal; False when the hold lapsed first."""
        case = self.desk.case
        try:
            await workflow.wait_condition(lambda: case.closed or case.hold_expires_at != expires,
                                          timeout=max(expires - workflow.now(), _SECOND),
                                          timeout_summary="the hold lapses")
        except TimeoutError:
            return False
        return True

    async def _end_hold(self) -> None:
        case, request_id = self.desk.case, self.desk.request_id
        resolution = case.resolution
        if resolution is Resolution.HOLD_RELEASED or resolution is Resolution.PRODUCED:
            self.desk.run.hold = await workflow.execute_activity_method(
                HoldActivities.release_hold, ReleaseHoldInput(request_id=request_id, reason=case.closing_note),
                summary="release the hold", **QUICK)
        elif resolution is Resolution.HOLD_EXPIRED:
            self.desk.run.hold = await workflow.execute_activity_method(
                HoldActivities.expire_hold, HoldRef(request_id=request_id), summary="the hold lapses", **QUICK)
        ended = "hold_expired" if resolution is Resolution.HOLD_EXPIRED else "hold_released"
        await self.desk.store.record(ended, note=case.closing_note)

    async def after_decision(self, decision: Decision) -> None:
        case = self.desk.case
        if decision.name is DecisionName.RECORD_EXTENSION and case.hold_expires_at is not None:
            self.desk.run.hold = await workflow.execute_activity_method(
                HoldActivities.extend_hold,
                ExtendHoldInput(request_id=self.desk.request_id, expires_at=case.hold_expires_at),
                summary="renew the hold", **QUICK)

    async def produced(self, link: Any = None) -> None:
        """A demand produced from this hold (its preservation_ref names it): checked, the case closes produced."""
        desk = self.desk
        other = str(link.get("request_id")) if isinstance(link, dict) else ""
        async with desk.lock:
            answer = await workflow.execute_activity_method(
                CaseActivities.confirm_link,
                LinkInput(request_id=desk.request_id, linked_request_id=other, field="preservation_ref"),
                **QUICK,
            )
            if answer.linked and desk.case.hold_produced(other):
                await desk.store.record("hold_produced", note=other)
            else:
                await desk.store.file(desk.case.record("hold_produced", workflow.now(), accepted=False,
                                                       reason=answer.reason or "the hold is not active", note=other))

    def extra_deadlines(self) -> dict[str, Any]:
        """The hold's lapse as it stands now: a renewal moves `expires_at` past the 90 days verification computed."""
        expires = self.desk.case.hold_expires_at
        return {"expires_at": expires, "hold_expires_at": expires} if expires else {}

    def status_details(self) -> dict[str, Any]:
        held = self.desk.run.hold
        hold = held.model_dump(mode="json") if held else None
        return {"hold": hold, "renewals": self.desk.case.renewals}


@workflow.defn(name="Preservation")
@decision_handlers(RequestType.PRESERVATION)
class Preservation(DeskWorkflow):
    """verify → approve → hold → renew once / release / produce from the hold → close."""

    @workflow.init
    def __init__(self, submission: RequestSubmission) -> None:
        super().__init__(submission)
        self.story = HoldStory(self.desk)

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await self.story.run(submission)

    @workflow.signal(name="hold_produced",
                     description="Sent by the system when a demand whose preservation_ref names this hold "
                                 "has produced from it; checked against the case store. Not for people.")
    async def hold_produced(self, link: Any = None) -> None:
        await self.story.produced(link)
