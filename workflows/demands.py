"""The legal demands for stored records, one named workflow each (SPEC §3).

Each class is thin: its plan (domain.plans) says which decisions it takes, who approves and
whether only cleared actors may act; the story is the stored-records shape's. One class per
type lets the Web UI tell them apart and gives each its own replay and patch timeline."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.case import CaseOutcome, RequestSubmission
    from domain.surveillance import INTERCEPT_CATEGORIES
    from domain.vocabulary import RequestType
    from workflows.records import RecordsShape
    from workflows.surveillance import SurveillanceShape

T = RequestType


@workflow.defn(name="Subpoena")
class Subpoena(RecordsShape, request_type=T.SUBPOENA):
    """Grand jury, administrative, court or civil subpoena: 2703(c)(2) records. A civil
    subpoena's customer is notified and production waits 14 days for a motion to quash."""

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await self._story(submission)


@workflow.defn(name="CourtOrder")
class CourtOrder(RecordsShape, request_type=T.COURT_ORDER):
    """18 U.S.C. 2703(d) order: the subpoena set plus billing, 9-1-1 (no location) and voicemail metadata."""

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await self._story(submission)


@workflow.defn(name="SearchWarrant")
class SearchWarrant(RecordsShape, request_type=T.SEARCH_WARRANT):
    """Search warrant: every stored category, content and historical location included."""

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await self._story(submission)


@workflow.defn(name="NationalSecurityLetter")
class NationalSecurityLetter(RecordsShape, request_type=T.NATIONAL_SECURITY_LETTER):
    """18 U.S.C. 2709: name, address, length of service, toll records; cleared actors only,
    a cleared analyst and a different cleared legal approver; no charge, never a customer notice."""

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        return await self._story(submission)


@workflow.defn(name="FisaOrder")
class FisaOrder(SurveillanceShape, RecordsShape, request_type=T.FISA_ORDER):
    """FISA order (50 U.S.C. 1805, 1842): what the order names; cleared actors only, analyst and
    legal. Stored categories only: the records story. `pen_trap` or `intercept_content` named: the
    surveillance story (switched on, off at the order's end, 90 days unless the order says more),
    any stored categories it also names delivered as its first production."""

    @workflow.run
    async def run(self, submission: RequestSubmission) -> CaseOutcome:
        if collects(submission.document):
            return await SurveillanceShape._story(self, submission)
        return await RecordsShape._story(self, submission)


def collects(document: dict) -> bool:
    """Whether a FISA order asks for prospective collection (pen_trap, intercept_content)."""
    records = document.get("records")
    return isinstance(records, list) and any(r in INTERCEPT_CATEGORIES for r in records)
