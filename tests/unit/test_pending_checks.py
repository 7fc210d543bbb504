"""The checks `check` leaves pending (SPEC §2), run by the verification activity against the store.

A preservation renewal (2703(f)(2)): one, received before the hold lapses, runs to 180 days from
the ORIGINAL receipt; a second, or one after the lapse, is refused. Dates written by hand."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from activities.verification import VerificationActivities
from domain.contracts import OpenCaseInput, VerifyInput
from domain.verification import CheckResult
from recordstore.db import make_session_factory
from tests.store_support import own_store
from tests.workflow_support import example

ORIGINAL_RECEIVED = "2026-11-20T14:05:00Z"  # + 90 days = 2027-02-18T14:05Z; + 180 = 2027-05-19T14:05Z


@pytest.fixture
def store(database_url, tmp_path):
    with own_store(database_url, tmp_path, "les_pending_checks") as engine:
        yield engine


def preservation(request_id: str, received_at: str, extension_of: str | None = None) -> dict:
    process = {"instrument": "2703f_letter", "reference": f"P-{request_id}", "issued_by": "Denver PD",
               "issuer_kind": "agency", "jurisdiction": "federal"}
    if extension_of:
        process["extension_of"] = extension_of
    return {
        "request_id": request_id, "type": "preservation", "received_at": received_at,
        "requester": {"kind": "law_enforcement", "agency": "Denver Police Department", "name": "Det. Roe",
                      "email": "jane.roe@denvergov.org"},
        "legal_process": process,
        "targets": [{"kind": "phone_number", "value": "+13035550123"}],
        "records": ["subscriber_info"],
        "period": {"start": "2026-06-01T00:00:00Z", "end": "2026-08-31T23:59:59Z"},
    }


def file_case(store: Engine, document: dict) -> None:
    ActivityEnvironment().run(CaseActivities(make_session_factory(store)).open_case, OpenCaseInput(
        request_id=document["request_id"], request_type=document["type"],
        workflow_id=f"case-{document['request_id']}", document=document))


def verify(store: Engine, tmp_path, document: dict) -> CheckResult:
    file_case(store, document)
    activities = VerificationActivities(documents_root=tmp_path, engine=store)
    return ActivityEnvironment().run(activities.verify_legal_process,
                                     VerifyInput(request_id=document["request_id"], document=document))


def test_a_renewal_before_the_lapse_runs_180_days_from_the_original_receipt(store, tmp_path):
    file_case(store, preservation("PRES-A", ORIGINAL_RECEIVED))
    result = verify(store, tmp_path, preservation("PRES-A-R1", "2027-02-10T09:00:00Z", "PRES-A"))
    assert result.verdict == "accept" and result.problems == []
    assert result.deadlines["expires_at"].isoformat() == "2027-05-19T14:05:00+00:00"
    assert result.pending_check_results == {"renewal_of_hold": "passed", "requester_verified": "passed"}


def test_a_second_renewal_is_refused(store, tmp_path):
    file_case(store, preservation("PRES-B", ORIGINAL_RECEIVED))
    verify(store, tmp_path, preservation("PRES-B-R1", "2027-01-10T09:00:00Z", "PRES-B"))
    second = verify(store, tmp_path, preservation("PRES-B-R2", "2027-02-10T09:00:00Z", "PRES-B"))
    assert second.verdict == "reject" and second.permitted == []
    assert [(p.code, p.fatal) for p in second.problems] == [("second_renewal", True)]
    assert "already renewed by PRES-B-R1" in second.problems[0].message
    assert second.pending_check_results["renewal_of_hold"].startswith("failed: legal_process.extension_of")
    renewal_of_renewal = verify(store, tmp_path, preservation("PRES-B-R3", "2027-02-11T09:00:00Z", "PRES-B-R1"))
    assert [p.code for p in renewal_of_renewal.problems] == ["second_renewal"]


def test_a_renewal_after_the_lapse_is_refused(store, tmp_path):
    file_case(store, preservation("PRES-C", ORIGINAL_RECEIVED))
    # 2027-02-18T14:05Z is the 90th day to the minute: the hold has lapsed.
    late = verify(store, tmp_path, preservation("PRES-C-R1", "2027-02-18T14:05:00Z", "PRES-C"))
    assert late.verdict == "reject"
    assert [p.code for p in late.problems] == ["renewal_after_lapse"]
    assert "lapsed at 2027-02-18T14:05:00+00:00" in late.problems[0].message


def test_a_renewal_of_no_hold_on_file_is_refused(store, tmp_path):
    result = verify(store, tmp_path, preservation("PRES-D-R1", "2027-01-10T09:00:00Z", "PRES-NOPE"))
    assert [(p.code, p.fatal) for p in result.problems] == [("renewal_hold_unknown", True)]
    assert "PRES-NOPE is not a preservation request on file" in result.problems[0].message


def test_state_process_checks_its_targets_and_says_so(store, tmp_path):
    """The example subpoena is a Colorado grand jury's; its target is served in Colorado."""
    document = example("subpoena", "LES-2026-CO", documents=[])
    result = verify(store, tmp_path, document)
    assert result.pending_checks == ["jurisdiction_binds_targets", "requester_verified"]
    assert result.pending_check_results == {"jurisdiction_binds_targets": "passed", "requester_verified": "passed"}
    document = {**document, "request_id": "LES-2026-TX", "legal_process": {
        **document["legal_process"], "jurisdiction": "state:TX"}}
    texas = verify(store, tmp_path, document)
    assert texas.verdict == "reject"
    assert texas.pending_check_results["jurisdiction_binds_targets"].startswith(
        "failed: targets[0]: +13035550123 is served in CO")
