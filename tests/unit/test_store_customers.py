"""Customer call lookups (PIN, own numbers, fee quote, address of record) and the emergency
callback against the agency directory."""

from __future__ import annotations

import json

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.case import CaseActivities
from activities.customers import CustomerActivities
from activities.directory import DirectoryActivities
from activities.records import RecordsActivities
from domain.contracts import (
    AcceptQuoteInput,
    AddressInput,
    AuthenticateInput,
    CallbackCheckInput,
    OpenCaseInput,
    QuoteInput,
    RetrieveInput,
)
from domain.vocabulary import RecordCategory, RequesterKind
from recordstore.db import make_session_factory
from tests.conftest import EXAMPLES
from tests.workflow_support import example

NOT_OWN = "is not a number on account CL-448812 during the period"


@pytest.fixture
def env() -> ActivityEnvironment:
    return ActivityEnvironment()


@pytest.fixture
def customers(prepared_store) -> CustomerActivities:
    return CustomerActivities(prepared_store)


def lookup(request_id: str, pin: str = "4921", method: str = "account_pin", targets=None):
    document = example("customer_call_lookup", request_id)
    auth = {"method": method, **({"pin": pin} if method == "account_pin" else {})}
    document["customer"]["authentication"] = auth
    if targets is not None:
        document["targets"] = [{"kind": kind, "value": value} for kind, value in targets]
    return document


def authenticate(env, customers, document):
    return env.run(customers.authenticate_customer,
                   AuthenticateInput(request_id=document["request_id"], document=document))


def test_the_examples_pin_authenticates_its_own_number(env, customers) -> None:
    answer = authenticate(env, customers, lookup("CCL-1"))
    assert (answer.verified, answer.reason) == (True, "the PIN matches the account's")
    assert (answer.account_number, answer.own_numbers, answer.refused_targets) == ("CL-448812", ["+15125550177"], [])


def test_a_wrong_pin_is_refused_and_another_number_is_never_searched(env, customers) -> None:
    answer = authenticate(env, customers, lookup("CCL-2", pin="4922", targets=[
        ("phone_number", "+15125550177"), ("phone_number", "+13035550123")]))
    assert (answer.verified, answer.reason) == (False, "the PIN does not match the account's")
    assert answer.own_numbers == ["+15125550177"]
    (refused,) = answer.refused_targets
    assert refused.value == "+13035550123" and NOT_OWN in refused.reason and "47 CFR 64.2010" in refused.reason


def test_other_methods_wait_for_an_analyst_and_an_unknown_account_is_refused(env, customers) -> None:
    answer = authenticate(env, customers, lookup("CCL-3", method="photo_id_in_store"))
    assert answer.verified is None and "an analyst confirms" in answer.reason
    unknown = lookup("CCL-4")
    unknown["customer"]["account_number"] = "XX-000000"
    answer = authenticate(env, customers, unknown)
    assert (answer.verified, answer.own_numbers, len(answer.refused_targets)) == (False, [], 1)


def test_the_lookup_retrieves_only_calls_made_while_the_account_held_the_number(prepared_store, settings, env):
    records = RecordsActivities(settings, prepared_store)

    def outgoing(document) -> int:
        return env.run(records.retrieve_records, RetrieveInput(
            request_id=document["request_id"],
            category=RecordCategory.CALL_RECORDS_OUTGOING, document=document)).rows

    assert outgoing(lookup("CCL-5")) == 45 + 2  # October's calls plus the edge seconds
    # +13035550123 was CO-310044's until 2021-01-31: CO-770123 gets none of those 30 calls.
    earlier = lookup("CCL-6", targets=[("phone_number", "+13035550123")])
    earlier["customer"]["account_number"] = "CO-770123"
    earlier["period"] = {"start": "2020-06-01T00:00:00Z", "end": "2021-12-31T23:59:59Z"}
    assert outgoing(earlier) == 0
    earlier["customer"]["account_number"] = "CO-310044"
    assert outgoing(earlier) == 30


def open_case(prepared_store, document) -> None:
    ActivityEnvironment().run(CaseActivities(make_session_factory(prepared_store)).open_case, OpenCaseInput(
        request_id=document["request_id"], request_type=document["type"],
        workflow_id=f"case-{document['request_id']}", document=document))


def test_the_fee_is_quoted_once_per_request_from_the_schedule(prepared_store, customers, env, monkeypatch):
    open_case(prepared_store, lookup("CCL-7"))
    first = env.run(customers.quote_fee, QuoteInput(request_id="CCL-7", account_number="CL-448812"))
    monkeypatch.setenv("LES_CUSTOMER_LOOKUP_FEE_CENTS", "1800")
    again = env.run(customers.quote_fee, QuoteInput(request_id="CCL-7", account_number="CL-448812"))
    assert again == first and (first.amount_cents, first.currency) == (2500, "USD")
    open_case(prepared_store, lookup("CCL-8"))
    other = env.run(customers.quote_fee, QuoteInput(request_id="CCL-8", account_number="CL-448812"))
    assert other.amount_cents == 1800 and other.quote_id != first.quote_id
    with pytest.raises(ApplicationError, match="is not the quote on file for CCL-8") as refused:
        env.run(customers.accept_quote, AcceptQuoteInput(request_id="CCL-8", quote_id=first.quote_id))
    assert refused.value.type == "QuoteMismatch" and refused.value.non_retryable
    accepted = env.run(customers.accept_quote, AcceptQuoteInput(request_id="CCL-8", quote_id=other.quote_id))
    assert accepted.accepted_at is not None
    assert env.run(customers.accept_quote, AcceptQuoteInput(request_id="CCL-8", quote_id=other.quote_id)) == accepted


def test_the_production_goes_to_the_address_of_record(customers, env) -> None:
    address = env.run(customers.address_of_record, AddressInput(request_id="CCL-9", account_number="CL-448812"))
    assert (address.name, address.lines) == ("Maria Lopez", ["4402 Duval St", "Austin, TX 78751"])
    with pytest.raises(ApplicationError, match=r"^InvalidRequest: customer\.account_number: no account on file with "
                                               r"the number the request gives$") as refused:
        env.run(customers.address_of_record, AddressInput(request_id="CCL-9", account_number="XX-1"))
    assert "XX-1" not in str(refused.value)  # it reaches the history and the SDK's log: no record value


def test_the_emergency_callback_must_reach_the_agencys_listed_number(prepared_store, env) -> None:
    directory = DirectoryActivities(prepared_store)

    def check(number: str, agency: str = "Phoenix Police Department"):
        return env.run(directory.check_callback, CallbackCheckInput(request_id="EM-1", agency=agency, number=number))

    assert check("+16025346311").listed is True
    supplied = check("+16025550123")  # the requester's own phone
    assert (supplied.listed, supplied.directory_numbers) == (False, ["+16025346311"])
    assert "call back one of those" in supplied.reason
    assert check("+16025346311", agency="  phoenix police   department ").listed is True
    unknown = check("+15555550100", agency="Nowhere Constabulary")
    assert (unknown.listed, unknown.directory_numbers) == (False, [])
    assert "not in the agency directory" in unknown.reason


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_examples_agency_is_in_the_directory(prepared_store, env, path) -> None:
    requester = json.loads(path.read_text())["requester"]
    if requester["kind"] == RequesterKind.CUSTOMER:
        return
    answer = env.run(DirectoryActivities(prepared_store).check_callback, CallbackCheckInput(
        request_id="DIR", agency=requester["agency"], number=requester.get("phone", "")))
    assert answer.directory_numbers, requester["agency"]
