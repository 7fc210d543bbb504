"""The legal demands for stored records, one named workflow each (SPEC §3).

Each class is thin: its plan (domain.plans) says which decisions it takes, who approves and
whether only cleared actors may act; its run is the stored-records story. One class per type
lets the Web UI tell them apart and gives each its own replay and patch timeline."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseOutcome, RequestSubmission
    from domain.surveillance import INTERCEPT_CATEGORIES
    from domain.vocabulary import RequestType
    from workflows.collecting import Collection, CourtOrderFollowUp
    from workflows.handlers import DeskWorkflow, decision_handlers
    from workflows.records import RecordsStory
    from workflows.surveillance import SurveillanceStory

T = RequestType


@workflow.defn(name="Subpoena")
@decision_handlers(T.SUBPOENA)
class Subpoena(DeskWorkflow):
    """Grand jury, administrative, court or civil subpoena: 2703(c)(2) records. A civil
    subpoena's customer is notified and production waits 14 days for a motion to quash."""

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await RecordsStory(self.desk).run(submission)


@workflow.defn(name="CourtOrder")
@decision_handlers(T.COURT_ORDER)
class CourtOrder(DeskWorkflow):
    """18 U.S.C. 2703(d) order: the subpoena set plus billing, 9-1-1 (no location) and voicemail metadata."""

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await RecordsStory(self.desk).run(submission)


@workflow.defn(name="SearchWarrant")
@decision_handlers(T.SEARCH_WARRANT)
class SearchWarrant(DeskWorkflow):
    """Search warrant: every stored category, content and historical location included."""

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await RecordsStory(self.desk).run(submission)


@workflow.defn(name="NationalSecurityLetter")
@decision_handlers(T.NATIONAL_SECURITY_LETTER)
class NationalSecurityLetter(DeskWorkflow):
    """18 U.S.C. 2709: name, address, length of service, toll records; cleared actors only,
    a cleared analyst and a different cleared legal approver; no charge, never a customer notice."""

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await RecordsStory(self.desk).run(submission)


@workflow.defn(name="FisaOrder")
@decision_handlers(T.FISA_ORDER)
class FisaOrder(DeskWorkflow):
    """FISA order (50 U.S.C. 1805, 1842): what the order names; cleared actors only, analyst and
    legal. Stored categories only: the records story. `pen_trap` or `intercept_content` named: the
    surveillance story (switched on, off at the order's end, 90 days unless the order says more),
    any stored categories it also names delivered as its first production."""

    @workflow.init
    def __init__(self, submission: RequestSubmission) -> None:
        super().__init__(submission)
        self.surveillance = SurveillanceStory(self.desk) if collects(submission.document) else None
        self.follow_ups = CourtOrderFollowUp(
            self.desk, self.surveillance.collection if self.surveillance else Collection(self.desk))

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        if self.surveillance is not None:
            return await self.surveillance.run(submission)
        return await RecordsStory(self.desk).run(submission)

    @workflow.signal(name="follow_up_received", description=CourtOrderFollowUp.DESCRIPTION)
    async def follow_up_received(self, link: Any = None) -> None:
        await self.follow_ups.received(link)


def collects(document: dict) -> bool:
    """Whether a FISA order asks for prospective collection (pen_trap, intercept_content)."""
    records = document.get("records")
    return isinstance(records, list) and any(r in INTERCEPT_CATEGORIES for r in records)
