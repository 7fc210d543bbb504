"""Verifying the legal process: the offline policy check plus the scanned papers on file."""

from __future__ import annotations

import hashlib
from pathlib import Path

from temporalio import activity

from domain.case import VerifyInput
from domain.findings import Problem, warning
from domain.verification import CheckResult, verify_request
from domain.vocabulary import Verdict
from les.logging import activity_logger


class VerificationActivities:
    def __init__(self, documents_root: Path) -> None:
        self._documents_root = documents_root

    @activity.defn
    def verify_legal_process(self, verification: VerifyInput) -> CheckResult:
        """The same verdict as `starter.py check`, then each listed paper is checked against its hash."""
        result = verify_request(verification.document)
        if result.verdict is not Verdict.REJECT and result.request is not None:
            result = with_problems(result, self._document_problems(verification.request_id, result))
        activity_logger(verification.request_id).info(
            "legal process verified", verdict=str(result.verdict),
            problems=[p.code for p in result.problems], refused=[r.category for r in result.refused],
        )
        return result

    def _document_problems(self, request_id: str, result: CheckResult) -> list[Problem]:
        problems: list[Problem] = []
        assert result.request is not None
        for paper in result.request.documents:
            path = self._documents_root / request_id / paper.name
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


def with_problems(result: CheckResult, problems: list[Problem]) -> CheckResult:
    """The result with further problems; a fatal one turns it into a reject that permits nothing."""
    if not problems:
        return result
    merged = [*result.problems, *problems]
    if any(p.fatal for p in problems):
        return result.model_copy(update={"problems": merged, "verdict": Verdict.REJECT, "permitted": []})
    return result.model_copy(update={"problems": merged})
