"""Verifying the legal process: the offline policy check, the scanned papers on file, and what
every target matches in the records store (before anyone is asked to approve)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from temporalio import activity

from domain.case import VerifyInput
from domain.findings import Problem, warning
from domain.identifiers import request_id_fault
from domain.policy import binds_target
from domain.request import LegalRequest
from domain.targets import TargetResolution
from domain.verification import CheckResult, verify_request
from domain.vocabulary import STORED_CATEGORIES, RequestType, Verdict
from les import paths
from les.logging import activity_logger
from recordstore.export import snapshot_connection
from recordstore.targets import TargetSpec, match_targets, period_window, service_states


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
            problems = self._document_problems(verification.request_id, result)
            problems += self._jurisdiction_problems(result.request)
            result = with_problems(result, problems)
        if result.verdict is not Verdict.REJECT and result.request is not None and produces_records(result):
            resolution = self._resolve_targets(result.request)
            result = with_problems(result, resolution.problems()).model_copy(update={"targets": resolution})
        activity_logger(verification.request_id).info(
            "legal process verified", verdict=str(result.verdict),
            problems=[p.code for p in result.problems], refused=[r.category for r in result.refused],
        )
        return result

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
