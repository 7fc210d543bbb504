"""Verifying the legal process: the offline policy check, the scanned papers on file, and what
every target matches in the records store (before anyone is asked to approve)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from temporalio import activity

from domain.clocks import PRESERVATION_PERIOD, preservation_expiry
from domain.contracts import VerifyInput
from domain.findings import Problem, warning
from domain.identifiers import request_id_fault
from domain.pending import (
    DOCUMENTS_ON_FILE,
    JURISDICTION_BINDS_TARGETS,
    RENEWAL_OF_HOLD,
    REQUESTER_VERIFIED,
    RUN_AT_IDENTITY_GATE,
)
from domain.policy import binds_target
from domain.request import LegalRequest
from domain.requesters import DirectoryAgency, agency_key, requester_problems
from domain.targets import TargetResolution
from domain.verification import CheckResult, verify_request
from domain.vocabulary import STORED_CATEGORIES, RequestType, Verdict
from les import paths
from les.logging import activity_logger
from recordstore.case_models import Case
from recordstore.export import snapshot_connection
from recordstore.hold_models import HoldState, PreservationHold
from recordstore.records_models import AgencyDirectoryEntry, AgencyDomain
from recordstore.targets import TargetSpec, match_targets, period_window, service_states

PASSED = "passed"


class VerificationActivities:
    def __init__(self, documents_root: Path, engine: Engine) -> None:
        self._documents_root = documents_root
        self._engine = engine

    @activity.defn
    def verify_legal_process(self, verification: VerifyInput) -> CheckResult:
        """The same verdict as `starter.py check`, then each listed paper is checked against its hash."""
        result = verify_request(verification.document)
        result = with_problems(result, id_problems(verification.request_id, verification.document))
        if result.verdict is not Verdict.REJECT and result.request is not None:
            result = self._run_pending_checks(verification.request_id, result)
        if result.verdict is not Verdict.REJECT and result.request is not None and produces_records(result):
            resolution = self._resolve_targets(result.request)
            result = with_problems(result, resolution.problems()).model_copy(update={"targets": resolution})
        activity_logger(verification.request_id).info(
            "legal process verified", verdict=str(result.verdict),
            problems=[p.code for p in result.problems], refused=[r.category for r in result.refused],
        )
        return result

    def _run_pending_checks(self, request_id: str, result: CheckResult) -> CheckResult:
        """Each check `check` left pending (SPEC §2), before anyone is asked to approve; every one's
        result is kept in `pending_check_results` (status shows it), a failure also as a problem."""
        request = result.request
        assert request is not None
        problems: list[Problem] = []
        outcomes: dict[str, str] = {}
        update: dict[str, Any] = {}
        for name in result.pending_checks:
            if name == DOCUMENTS_ON_FILE:
                found = self._document_problems(request_id, result)
            elif name == JURISDICTION_BINDS_TARGETS:
                found = self._jurisdiction_problems(request)
            elif name == RENEWAL_OF_HOLD:
                found, expires = self._renewal_problems(request)
                if expires is not None:
                    update["deadlines"] = {**result.deadlines, "expires_at": expires}
            elif name == REQUESTER_VERIFIED:
                found = requester_problems(request, self._agency_directory())
            elif name in RUN_AT_IDENTITY_GATE:
                outcomes[name] = "runs at the customer's identity gate (see authentication)"
                continue
            else:  # a check this worker does not know is never taken as passed
                found = [Problem(code="unknown_pending_check", message=f"{name}: no such check here")]
            problems += found
            outcomes[name] = "; ".join(
                ("failed: " if p.fatal else "warning: ") + p.message for p in found) or PASSED
        result = result.model_copy(update={**update, "pending_check_results": outcomes})
        return with_problems(result, problems)

    def _agency_directory(self) -> list[DirectoryAgency]:
        """Every agency of the directory with its registered domains and independently sourced numbers."""
        with self._engine.connect() as conn:
            numbers = conn.execute(select(AgencyDirectoryEntry.agency, AgencyDirectoryEntry.main_number)).all()
            domains = conn.execute(select(AgencyDomain.agency, AgencyDomain.domain)).all()
        names: dict[str, str] = {}
        for agency, _ in [*numbers, *domains]:
            names.setdefault(agency_key(agency), agency)
        return [DirectoryAgency(
            name=name,
            domains=tuple(sorted({d.lower() for a, d in domains if agency_key(a) == key})),
            numbers=tuple(sorted({n for a, n in numbers if agency_key(a) == key})),
        ) for key, name in sorted(names.items())]

    def _renewal_problems(self, request: LegalRequest) -> tuple[list[Problem], Any]:
        """2703(f)(2): one renewal, received before the hold lapses, runs to 180 days from the
        ORIGINAL receipt; a second renewal, or one after the lapse, is refused (a new request
        starts a new hold). Returns the problems and, when renewable, the new expiry."""
        process = request.legal_process
        assert process is not None and process.extension_of is not None
        held = process.extension_of
        with self._engine.connect() as conn:
            original = conn.execute(select(Case.request_type, Case.received_at, Case.document)
                                    .where(Case.request_id == held)).first()
            renewals = [row.request_id for row in conn.execute(
                select(Case.request_id, Case.document, Case.resolution)
                .where(Case.request_type == str(RequestType.PRESERVATION), Case.request_id != request.request_id))
                if _extends(row.document) == held and row.resolution != "rejected_on_verification"]
            hold = conn.execute(select(PreservationHold.expires_at, PreservationHold.state)
                                .where(PreservationHold.request_id == held)).first()
        if original is None or original.request_type != RequestType.PRESERVATION:
            return [Problem(code="renewal_hold_unknown",
                            message=f"legal_process.extension_of: {held} is not a preservation request on "
                                    "file; a renewal extends an existing hold")], None
        if _extends(original.document) is not None:
            return [Problem(code="second_renewal",
                            message=f"legal_process.extension_of: {held} is itself a renewal; 18 U.S.C. "
                                    "2703(f)(2) allows one renewal; a new request starts a new hold")], None
        received = _aware(original.received_at)
        lapse = received + PRESERVATION_PERIOD
        if hold is not None and _aware(hold.expires_at) > lapse:
            renewals.append(f"the record_extension decision on {held}")
        if hold is not None and hold.state in (HoldState.EXPIRED, HoldState.RELEASED):
            return [Problem(code="renewal_after_lapse",
                            message=f"legal_process.extension_of: hold {held} has ended ({hold.state}); a "
                                    "new request starts a new hold (18 U.S.C. 2703(f)(2))")], None
        if renewals:
            return [Problem(code="second_renewal",
                            message=f"legal_process.extension_of: hold {held} was already renewed by "
                                    f"{renewals[0]}; 18 U.S.C. 2703(f)(2) allows one renewal; a new "
                                    "request starts a new hold")], None
        if request.received_at >= lapse:
            return [Problem(code="renewal_after_lapse",
                            message=f"received_at: the renewal arrived after hold {held} lapsed at "
                                    f"{lapse.isoformat()} (90 days from its receipt); a new request "
                                    "starts a new hold (18 U.S.C. 2703(f)(2))")], None
        if request.received_at < received:
            return [Problem(code="renewal_before_hold",
                            message=f"received_at: the renewal is dated before hold {held} was received "
                                    f"({received.isoformat()})")], None
        return [], preservation_expiry(received, 1)

    def _resolve_targets(self, request: LegalRequest) -> TargetResolution:
        """Every target against the records store for the request's period, as retrieval will."""
        span = request.period
        start, end = (span.start, span.end) if span else (None, None)
        with snapshot_connection(self._engine) as conn:
            matches = match_targets(conn, [TargetSpec.of(t) for t in request.targets], period_window(start, end))
        return TargetResolution(searched_at=datetime.now(UTC), period_start=start, period_end=end,
                                targets=[m.described() for m in matches])

    def _document_problems(self, request_id: str, result: CheckResult) -> list[Problem]:
        problems: list[Problem] = []
        assert result.request is not None
        for paper in result.request.documents:
            try:
                path = paths.document_file(self._documents_root, request_id, paper.name)
            except paths.PathRefused as refused:
                problems.append(Problem(code="unsafe_document_path", message=f"documents: {refused}"))
                continue
            if not path.is_file():
                problems.append(warning(
                    "document_not_on_file",
                    f"documents: {paper.name} is not on file under {path.parent}; the analyst checks the paper copy",
                ))
                continue
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
            if actual != paper.sha256.lower():
                problems.append(Problem(
                    code="document_hash_mismatch",
                    message=f"documents: {paper.name} on file has SHA-256 {actual}, the request "
                            f"names {paper.sha256}; the papers are not the ones described",
                ))
        return problems

    def _jurisdiction_problems(self, request: LegalRequest) -> list[Problem]:
        """A state court's order binds within its state; a federal order nationwide (LEGAL.md)."""
        process = request.legal_process
        if process is None or process.jurisdiction == "federal":
            return []
        span = request.period
        period = period_window(span.start if span else request.received_at, span.end if span else request.received_at)
        problems: list[Problem] = []
        with self._engine.connect() as conn:
            for index, target in enumerate(request.targets):
                states = service_states(conn, TargetSpec.of(target), period)
                outside = sorted(s for s in states if not binds_target(process.jurisdiction, s))
                if outside:
                    problems.append(Problem(
                        code="outside_jurisdiction",
                        message=f"targets[{index}]: {target.value} is served in {', '.join(outside)}; an order of "
                                f"{process.jurisdiction} binds only within its state (domesticate it, or send "
                                "federal process)",
                    ))
        return problems


def _extends(document: Any) -> str | None:
    """The hold a stored preservation document renews (its legal_process.extension_of), or None."""
    process = document.get("legal_process") if isinstance(document, dict) else None
    named = process.get("extension_of") if isinstance(process, dict) else None
    return named if isinstance(named, str) else None


def _aware(moment: datetime) -> datetime:
    """A stored instant in UTC (SQLite hands back naive datetimes)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

def produces_records(result: CheckResult) -> bool:
    """Whether the request discloses stored records of its targets, so each must resolve to someone.
    A customer's lookup is checked against the customer's own numbers instead (customer_owns_targets);
    preservation discloses nothing; surveillance is prospective."""
    request = result.request
    if request is None or request.type in (RequestType.CUSTOMER_CALL_LOOKUP, RequestType.PRESERVATION):
        return False
    return any(c in STORED_CATEGORIES for c in result.permitted)


def id_problems(request_id: str, document: dict[str, Any]) -> list[Problem]:
    """The workflow's own request id names folders: one that is not well-formed rejects the request
    before any path is built (a workflow started without starter.py is checked here too)."""
    fault = request_id_fault(request_id)
    if fault is None or request_id == document.get("request_id"):
        return []  # well-formed, or already reported by the document's own validation
    return [Problem(code="invalid_request_id", message=f"request_id: {fault}")]


def with_problems(result: CheckResult, problems: list[Problem]) -> CheckResult:
    """The result with further problems; a fatal one turns it into a reject that permits nothing."""
    if not problems:
        return result
    merged = [*result.problems, *problems]
    if any(p.fatal for p in problems):
        return result.model_copy(update={"problems": merged, "verdict": Verdict.REJECT, "permitted": []})
    return result.model_copy(update={"problems": merged})
