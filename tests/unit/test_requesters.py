"""Requester verification against the agency directory (issue 9): a corpus of forged and doubtful
requesters in tests/requesters/corpus.json, each with its expected problems written by hand; the
examples' genuine agencies pass; an emergency from an unverified requester needs the supervisor's
explicit override."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from activities.verification import VerificationActivities
from domain.case import CaseState
from domain.case_machine import Case, Decision, Facts
from domain.contracts import RosterEntry, VerifyInput
from domain.pending import pending_checks
from domain.request import parse_request
from domain.requesters import (
    LOOKALIKE_DOMAIN,
    DirectoryAgency,
    agency_key,
    edit_distance,
    lookalike,
    requester_doubts,
    requester_problems,
    skeleton,
)
from domain.verification import verify_request
from domain.vocabulary import DecisionName, RequestType, Role
from recordstore.generator.example_accounts import AGENCY_DIRECTORY, AGENCY_DOMAINS
from tests.workflow_support import example

CORPUS = json.loads((Path(__file__).parents[1] / "requesters" / "corpus.json").read_text())
EXAMPLES = Path(__file__).parents[2] / "examples"


def example_directory() -> list[DirectoryAgency]:
    names = {agency_key(a): a for a, _, _ in (*AGENCY_DIRECTORY, *AGENCY_DOMAINS)}
    return [DirectoryAgency(
        name=name,
        domains=tuple(d for a, d, _ in AGENCY_DOMAINS if agency_key(a) == key),
        numbers=tuple(n for a, n, _ in AGENCY_DIRECTORY if agency_key(a) == key),
    ) for key, name in names.items()]


def with_requester(entry: dict[str, Any]) -> dict[str, Any]:
    document = example(entry["base"], "REQ-1")
    document["requester"] = {**document["requester"], "agency": entry["agency"], "email": entry["email"]}
    if "callback" in entry:
        document["emergency"]["callback"]["number"] = entry["callback"]
    return document


def test_the_corpus_holds_at_least_25_forged_or_doubtful_requesters():
    assert len(CORPUS["forged_or_doubtful"]) >= 25
    assert all(entry["expect"] for entry in CORPUS["forged_or_doubtful"])


@pytest.mark.parametrize("entry", CORPUS["forged_or_doubtful"] + CORPUS["genuine"],
                         ids=lambda e: f"{e['agency'].strip()[:20]}|{e['email']}")
def test_each_requester_of_the_corpus_gets_exactly_its_expected_problems(entry):
    problems = requester_problems(parse_request(with_requester(entry)), example_directory())
    assert [p.code for p in problems] == entry["expect"]
    assert all(p.fatal == (p.code == LOOKALIKE_DOMAIN) for p in problems)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_the_examples_genuine_agencies_pass(path):
    request = parse_request(json.loads(path.read_text()))
    assert requester_problems(request, example_directory()) == []
    checked = request.requester.kind in ("law_enforcement", "government")
    assert ("requester_verified" in pending_checks(request)) is checked


def test_lookalikes_say_what_they_imitate():
    registered = ["fbi.gov", "denvergov.org", "phoenix.gov"]
    assert lookalike("denvergov-org.com", registered) == (
        "denvergov-org.com contains denvergov.org with other words around it")
    assert lookalike("fbi.gov.us", registered) == "fbi.gov.us contains fbi.gov with other words around it"
    assert lookalike("xn--fb-ioc.gov", registered) == (
        "xn--fb-ioc.gov (fb\u0456.gov) is drawn like fbi.gov (confusable characters)")
    assert lookalike("fbi.us", registered) == "fbi.us is fbi.gov under another top-level domain"
    assert lookalike("phoenx.gov", registered) == "phoenx.gov differs from phoenix.gov by 1 character(s)"
    assert lookalike("xn--zz-zz.gov", registered) == "xn--zz-zz.gov holds a punycode label that does not decode"
    assert lookalike("xn--mnchen-3ya.de", registered) == (
        "xn--mnchen-3ya.de is an internationalized domain (m\u00fcnchen.de); agencies write from ASCII domains")
    assert lookalike("wfo.fbi.gov", registered) is None
    assert lookalike("usdoj.gov", registered) is None


def test_skeleton_and_distance_by_hand():
    assert skeleton("PH\u041eENIX.gov") == "phoenlx.gov"  # Cyrillic O; i drawn as l
    assert skeleton("rnodern") == "modem"
    assert edit_distance("fbi.gov", "fbi.gov") == 0
    assert edit_distance("fbi.gov", "fbl.gov") == 1
    assert edit_distance("dea.gov", "deaa.gov") == 1
    assert edit_distance("kitten", "sitting") == 3


def test_customers_and_attorneys_are_not_looked_up_in_the_agency_directory():
    customer = parse_request(example("customer_call_lookup", "REQ-2"))
    assert requester_problems(customer, []) == []
    assert "requester_verified" not in pending_checks(customer)


def test_check_lists_the_requester_check_as_pending():
    result = verify_request(example("subpoena", "REQ-3"))
    assert result.pending_checks[-1] == "requester_verified"


# ---- in the verification activity, against the records store ------------------------------------


def verify(store, tmp_path, document: dict):
    activities = VerificationActivities(documents_root=tmp_path, engine=store)
    return ActivityEnvironment().run(activities.verify_legal_process,
                                     VerifyInput(request_id=document["request_id"], document=document))


def test_the_activity_passes_a_genuine_requester_and_rejects_a_lookalike(prepared_store, tmp_path):
    genuine = verify(prepared_store, tmp_path, example("subpoena", "REQ-10"))
    assert genuine.pending_check_results["requester_verified"] == "passed"
    forged = example("subpoena", "REQ-11")
    forged["requester"]["email"] = "jsmith@fbi.gov.us"
    result = verify(prepared_store, tmp_path, forged)
    assert result.verdict == "reject" and result.permitted == []
    assert result.pending_check_results["requester_verified"] == (
        "failed: requester.email: fbi.gov.us contains fbi.gov with other words around it; a look-alike domain is "
        "how forged requests arrive: reject, and contact the agency on its directory number")


def test_the_activity_warns_of_a_free_mail_requester_and_goes_on(prepared_store, tmp_path):
    doubtful = example("subpoena", "REQ-12")
    doubtful["requester"]["email"] = "jsmith.fbi@gmail.com"
    result = verify(prepared_store, tmp_path, doubtful)
    assert result.verdict == "partial"  # as the example itself: voicemail_content is refused
    assert result.pending_check_results["requester_verified"] == (
        "warning: requester.email: gmail.com is a free-mail provider anyone can sign up to, not an agency's domain")
    assert requester_doubts(result.problems) == [
        "requester.email: gmail.com is a free-mail provider anyone can sign up to, not an agency's domain"]


# ---- the supervisor's override on an emergency --------------------------------------------------

RECEIVED = datetime(2026, 11, 26, 20, 10, tzinfo=UTC)


def decision(name: str, actor: str, role: str, **fields: Any) -> Decision:
    return Decision(name=DecisionName(name), actor=actor, role=Role(role), note="ok", fields=fields)


def called_back(doubts: list[str]) -> Case:
    case = Case(request_id="E-1", request_type=RequestType.EMERGENCY, received_at=RECEIVED)
    case.verified(rejection=None, requester_doubts=doubts)
    callback = decision("verify_callback", "jdoe", "analyst", number="+16025346311",
                        verified_at="2026-11-26T20:30:00Z")
    assert case.decide(callback, RosterEntry(known=True, active=True, roles=[Role.ANALYST]),
                       Facts(callback_listed=True), RECEIVED + timedelta(hours=1)).accepted
    assert case.decide(decision("approve", "jdoe", "analyst"),
                       RosterEntry(known=True, active=True, roles=[Role.ANALYST])).accepted
    return case


SUPERVISOR = RosterEntry(known=True, active=True, roles=[Role.SUPERVISOR])


def test_an_unverified_emergency_needs_the_supervisors_override_with_its_reason():
    case = called_back(["requester.email: gmail.com is a free-mail provider"])
    assert case.open_tasks() == ["approval by supervisor (approve with `requester_override`: the reason, as the "
                                 "requester is not verified / reject / request_info)"]
    plain = case.decide(decision("approve", "mlee", "supervisor"), SUPERVISOR)
    assert not plain.accepted and plain.message == (
        "the requester is not verified (requester.email: gmail.com is a free-mail provider); a supervisor approves "
        "an emergency from an unverified requester only with `requester_override`: the reason, kept in the case "
        "history")
    assert case.state is CaseState.AWAITING_APPROVAL
    blank = decision("approve", "mlee", "supervisor", requester_override="  ")
    assert not case.decide(blank, SUPERVISOR).accepted
    override = decision("approve", "mlee", "supervisor", requester_override="Sgt. Ruiz known to me; called PHX desk")
    assert case.decide(override, SUPERVISOR).accepted
    assert case.state is CaseState.RETRIEVING
    assert case.requester_override == "mlee: Sgt. Ruiz known to me; called PHX desk"


def test_a_verified_emergency_needs_no_override():
    case = called_back([])
    assert case.decide(decision("approve", "mlee", "supervisor"), SUPERVISOR).accepted
    assert case.requester_override is None
