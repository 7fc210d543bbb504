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
    from domain.contracts import ExtendHoldInput, HoldRef, HoldSummary, LinkInput, PlaceHoldInput, ReleaseHoldInput
    from domain.vocabulary import STORED_CATEGORIES, DecisionName, RequestType
    from workflows.activity_options import QUICK
    from workflows.case_desk import CaseDesk

_SECOND = timedelta(seconds=1)


@workflow.defn(name="Preservation")
class Preservation(CaseDesk, request_type=RequestType.PRESERVATION):
    """verify → approve → hold → renew once / release / produce from the hold → close."""

    _hold: HoldSummary | None = None

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        await self._open_case(submission)
        check = await self._verify_legal_process()
        rejection = self._rejection(check)
        self._case.verified(rejection=rejection)
        if rejection is not None:
            return await self._close(Resolution.REJECTED_ON_VERIFICATION, rejection)
        renews = (self._document.get("legal_process") or {}).get("extension_of")
        if renews and self._patched("renewal-filed-on-its-hold"):
            # A renewal places no hold of its own: it is recorded on the hold it names (2703(f)(2)).
            received = self._document.get("received_at")
            self._case.close(Resolution.FILED_AS_EXTENSION,
                             f"verified; record it on {renews} with record_extension "
                             f"renewal_received_at={received}")
            return await self._close_as_decided()
        self._publish_state()
        await self._wait_for(CaseState.RETRIEVING)
        if self._case.closed:
            return await self._finish(await self._close_as_decided())

        self._hold = await workflow.execute_activity_method(
            HoldActivities.place_hold,
            PlaceHoldInput(request_id=self._request_id, document=self._document,
                           categories=[c for c in check.permitted if c in STORED_CATEGORIES],
                           expires_at=check.deadlines["expires_at"]),
            summary="copy the named records into the hold", **QUICK,
        )
        self._case.held(self._hold.expires_at)
        self._publish_state()
        await self._record_system_event("hold_placed", note=f"until {self._hold.expires_at.isoformat()}",
                                        details={"rows": self._hold.rows_per_category})
        while not self._case.closed:
            expires = self._case.hold_expires_at
            assert expires is not None
            moved = await self._wait_until_changed(expires)
            if not moved:
                self._case.close(Resolution.HOLD_EXPIRED, f"the hold lapsed at {expires.isoformat()}")
        await self._end_hold()
        return await self._finish(await self._close_as_decided())

    async def _wait_until_changed(self, expires: Any) -> bool:
        """Wait for a close or a renewal; False when the hold lapsed first."""
        try:
            await workflow.wait_condition(
                lambda: self._case.closed or self._case.hold_expires_at != expires,
                timeout=max(expires - workflow.now(), _SECOND), timeout_summary="the hold lapses",
            )
        except TimeoutError:
            return False
        return True

    async def _end_hold(self) -> None:
        resolution = self._case.resolution
        if resolution is Resolution.HOLD_RELEASED or resolution is Resolution.PRODUCED:
            self._hold = await workflow.execute_activity_method(
                HoldActivities.release_hold,
                ReleaseHoldInput(request_id=self._request_id, reason=self._case.closing_note),
                summary="release the hold", **QUICK)
        elif resolution is Resolution.HOLD_EXPIRED:
            self._hold = await workflow.execute_activity_method(
                HoldActivities.expire_hold, HoldRef(request_id=self._request_id), summary="the hold lapses", **QUICK)
        ended = "hold_expired" if resolution is Resolution.HOLD_EXPIRED else "hold_released"
        await self._record_system_event(ended, note=self._case.closing_note)

    async def _after_decision(self, decision: Decision) -> None:
        if decision.name is DecisionName.RECORD_EXTENSION and self._case.hold_expires_at is not None:
            self._hold = await workflow.execute_activity_method(
                HoldActivities.extend_hold,
                ExtendHoldInput(request_id=self._request_id, expires_at=self._case.hold_expires_at),
                summary="renew the hold", **QUICK)

    @workflow.signal(name="hold_produced",
                     description="Sent by the system when a demand whose preservation_ref names this hold "
                                 "has produced from it; checked against the case store. Not for people.")
    async def hold_produced(self, link: Any = None) -> None:
        other = str(link.get("request_id")) if isinstance(link, dict) else ""
        async with self._desk:
            answer = await workflow.execute_activity_method(
                CaseActivities.confirm_link,
                LinkInput(request_id=self._request_id, linked_request_id=other, field="preservation_ref"),
                **QUICK,
            )
            if answer.linked and self._case.hold_produced(other):
                await self._record_system_event("hold_produced", note=other)
            else:
                await self._file(self._case.record("hold_produced", workflow.now(), accepted=False,
                                                   reason=answer.reason or "the hold is not active", note=other))

    def _extra_deadlines(self) -> dict[str, Any]:
        """The hold's lapse as it stands now: a renewal moves `expires_at` past the 90 days verification computed."""
        expires = self._case.hold_expires_at
        return {"expires_at": expires, "hold_expires_at": expires} if expires else {}

    def _status_details(self) -> dict[str, Any]:
        hold = self._hold.model_dump(mode="json") if self._hold else None
        return {"hold": hold, "renewals": self._case.renewals}
