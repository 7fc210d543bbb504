"""Billing per LEGAL.md "Fees and reimbursement", every type, figures worked out by hand.

Government schedule (2706): search 40.00 a target, assembly 25.00 a category, reproduction 5.00
a 1,000 rows. Civil schedule: 75.00, 50.00 and 10.00."""

from __future__ import annotations

import json

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.billing import BillingActivities
from activities.case import CaseActivities
from activities.customers import CustomerActivities
from domain.contracts import AcceptQuoteInput, BillInput, DeliveredCategory, OpenCaseInput, QuoteInput
from domain.fees import CIVIL_BASIS
from domain.vocabulary import RecordCategory
from recordstore.db import make_session_factory
from recordstore.models import Invoice
from tests.conftest import REPO
from tests.workflow_support import example

C = RecordCategory
IP_TARGET = {"kind": "ip_address", "value": "198.19.200.7", "observed_at": "2026-10-03T03:00:00Z"}


@pytest.fixture
def bill(prepared_store):
    sessions = make_session_factory(prepared_store)
    env = ActivityEnvironment()

    def run(document: dict, delivered: list[tuple[RecordCategory, int]]):
        env.run(CaseActivities(sessions).open_case, OpenCaseInput(
            request_id=document["request_id"], request_type=document["type"],
            workflow_id=f"case-{document['request_id']}", document=document))
        summary = env.run(BillingActivities(sessions).bill_request, BillInput(
            request_id=document["request_id"], request_type=document["type"], target_count=len(document["targets"]),
            delivered=[DeliveredCategory(category=c, rows=r) for c, r in delivered]))
        with sessions() as session:
            lines = session.query(Invoice).filter_by(request_id=document["request_id"]).one().lines
        return summary, lines

    return run


def test_a_court_order_bills_subscriber_info_found_by_ip_address_but_not_a_telephone_listing(bill) -> None:
    delivered = [(C.SUBSCRIBER_INFO, 1), (C.INTERNET_SESSIONS, 1500)]
    by_ip, _ = bill(example("court_order", "BILL-CO-IP", targets=[IP_TARGET]), delivered)
    # search 4000 + subscriber_info (2500 + 1 x 500) + internet_sessions (2500 + 2 x 500)
    assert by_ip.total_cents == 4000 + 3000 + 3500 == 10500
    by_phone, lines = bill(example("court_order", "BILL-CO-PHONE"), delivered)
    assert by_phone.total_cents == 4000 + 0 + 3500 == 7500  # the listing is not reimbursable (2706(c))
    assert [line["amount_cents"] for line in lines if line["category"] == C.SUBSCRIBER_INFO] == [0, 0]
    assert by_phone.basis.startswith("18 U.S.C. 2706(a)")


def test_a_warrant_for_toll_records_alone_is_not_billed_but_location_is(bill) -> None:
    toll, _ = bill(example("search_warrant", "BILL-SW-TOLL"), [(C.CALL_RECORDS_OUTGOING, 2400)])
    assert toll.total_cents == 0
    located, _ = bill(example("search_warrant", "BILL-SW-CSL"),
                      [(C.CALL_RECORDS_OUTGOING, 2400), (C.CELL_SITE_LOCATION, 2401)])
    # search 4000 + cell_site_location (2500 + 3 x 500); the toll records stay free
    assert located.total_cents == 4000 + 4000 == 8000


def test_a_civil_subpoena_is_billed_to_the_requesting_party_on_the_published_schedule(bill) -> None:
    civil = {**json.loads((REPO / "tests/cases/civil_subpoena_attorney.json").read_text()), "request_id": "BILL-CIVIL"}
    summary, lines = bill(civil, [(C.SUBSCRIBER_INFO, 1), (C.PAYMENT_INFO, 2)])
    # search 7500 + subscriber_info (5000 + 1000) + payment_info (5000 + 1000): no 2706(c) exception
    assert summary.total_cents == 19500
    assert summary.basis == CIVIL_BASIS
    assert lines[0]["note"] == "billed to the requesting party: Baker & Rhodes LLP, R. Baker, Esq."


@pytest.mark.parametrize("kind", ["national_security_letter", "emergency", "preservation"])
def test_nsl_emergency_and_preservation_are_invoiced_at_zero_with_the_basis(bill, kind) -> None:
    summary, lines = bill(example(kind, f"BILL-{kind}"), [(C.SUBSCRIBER_INFO, 1), (C.CALL_RECORDS_OUTGOING, 900)])
    assert (summary.total_cents, summary.line_count, lines) == (0, 0, [])
    assert {"national_security_letter": "2709", "emergency": "emergency requests are not charged",
            "preservation": "2703(f)"}[kind] in summary.basis


def test_fisa_stored_records_are_billed_as_reasonable_expenses_toll_records_included(bill) -> None:
    summary, _ = bill(example("fisa_order", "BILL-FISA"), [(C.SUBSCRIBER_INFO, 1), (C.CALL_RECORDS_OUTGOING, 300)])
    assert summary.total_cents == 4000 + 3000 + 3000 == 10000
    assert summary.basis.startswith("50 U.S.C. 1805(c)(2)(D)")


def test_a_customer_lookup_is_billed_the_quote_it_accepted(bill, prepared_store, monkeypatch) -> None:
    env, customers = ActivityEnvironment(), CustomerActivities(prepared_store)
    document = example("customer_call_lookup", "BILL-CCL")
    monkeypatch.setenv("LES_CUSTOMER_LOOKUP_FEE_CENTS", "1800")
    sessions = make_session_factory(prepared_store)
    env.run(CaseActivities(sessions).open_case, OpenCaseInput(
        request_id="BILL-CCL", request_type=document["type"], workflow_id="case-BILL-CCL", document=document))
    quote = env.run(customers.quote_fee, QuoteInput(request_id="BILL-CCL", account_number="CL-448812"))
    billing = BillInput(request_id="BILL-CCL", request_type="customer_call_lookup", target_count=1,
                        delivered=[DeliveredCategory(category=C.CALL_RECORDS_OUTGOING, rows=47)])
    with pytest.raises(ApplicationError, match="no accepted fee quote on file") as refused:
        env.run(BillingActivities(sessions).bill_request, billing)
    assert refused.value.type == "InvalidRequest"
    env.run(customers.accept_quote, AcceptQuoteInput(request_id="BILL-CCL", quote_id=quote.quote_id))
    summary = env.run(BillingActivities(sessions).bill_request, billing)
    assert (summary.total_cents, summary.line_count) == (1800, 1)
