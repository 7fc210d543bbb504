"""The surveillance orders, one named workflow each (SPEC §3): collection switched on at the
mediation system for a bounded time and off by itself at the legal instant."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseOutcome, RequestSubmission
    from domain.vocabulary import RequestType
    from workflows.collecting import CourtOrderFollowUp
    from workflows.handlers import DeskWorkflow, decision_handlers
    from workflows.surveillance import SurveillanceStory


@workflow.defn(name="PenRegister")
@decision_handlers(RequestType.PEN_REGISTER)
class PenRegister(DeskWorkflow):
    """18 U.S.C. 3123: dialing, routing, addressing and signaling only, at most 60 days (and each
    extension 60 more, on a new order); secret until a court orders otherwise (3123(d))."""

    @workflow.init
    def __init__(self, submission: RequestSubmission) -> None:
        super().__init__(submission)
        self.surveillance = SurveillanceStory(self.desk)
        self.follow_ups = CourtOrderFollowUp(self.desk, self.surveillance.collection)

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await self.surveillance.run(submission)

    @workflow.signal(name="follow_up_received", description=CourtOrderFollowUp.DESCRIPTION)
    async def follow_up_received(self, link: Any = None) -> None:
        await self.follow_ups.received(link)


@workflow.defn(name="Title3Wiretap")
@decision_handlers(RequestType.TITLE3_WIRETAP)
class Title3Wiretap(DeskWorkflow):
    """18 U.S.C. 2518: content and its signaling, analyst and a different legal approver, 30 days
    from the earlier of first interception or day ten; each extension 30 more on a new order."""

    @workflow.init
    def __init__(self, submission: RequestSubmission) -> None:
        super().__init__(submission)
        self.surveillance = SurveillanceStory(self.desk)
        self.follow_ups = CourtOrderFollowUp(self.desk, self.surveillance.collection)

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await self.surveillance.run(submission)

    @workflow.signal(name="follow_up_received", description=CourtOrderFollowUp.DESCRIPTION)
    async def follow_up_received(self, link: Any = None) -> None:
        await self.follow_ups.received(link)
