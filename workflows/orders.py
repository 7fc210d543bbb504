"""The surveillance orders, one named workflow each (SPEC §3): collection switched on at the
mediation system for a bounded time and off by itself at the legal instant."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseOutcome, RequestSubmission
    from domain.vocabulary import RequestType
    from workflows.surveillance import SurveillanceShape


@workflow.defn(name="PenRegister")
class PenRegister(SurveillanceShape, request_type=RequestType.PEN_REGISTER):
    """18 U.S.C. 3123: dialing, routing, addressing and signaling only, at most 60 days (and each
    extension 60 more, on a new order); secret until a court orders otherwise (3123(d))."""

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await self._story(submission)


@workflow.defn(name="Title3Wiretap")
class Title3Wiretap(SurveillanceShape, request_type=RequestType.TITLE3_WIRETAP):
    """18 U.S.C. 2518: content and its signaling, analyst and a different legal approver, 30 days
    from the earlier of first interception or day ten; each extension 30 more on a new order."""

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await self._story(submission)
