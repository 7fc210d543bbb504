"""The invoice (LEGAL.md "Fees and reimbursement", 18 U.S.C. 2706, 50 U.S.C. 1805(c)(2)(D)): every
basis priced line by line in the comments."""

from __future__ import annotations

import pytest

from domain.fees import quote_invoice
from domain.vocabulary import RecordCategory, RequestType, TargetKind

T, C = RequestType, RecordCategory



TOLL = "telephone toll records and listings are not reimbursable (18 U.S.C. 2706(c))"
BASIS_2706 = ("18 U.S.C. 2706(a): a governmental entity obtaining records under 2703 pays the reasonable "
              "costs of searching for, assembling and reproducing them; 2706(c): not for telephone toll "
              "records and listings")
BASIS_FISA = ("50 U.S.C. 1805(c)(2)(D): the applicant compensates the carrier at the prevailing rate for "
              "furnishing the aid")
BASIS_CIVIL = ("carrier's published fee schedule for civil subpoenas, billed to the requesting party "
               "(Fed. R. Civ. P. 45(d); 18 U.S.C. 2706 does not apply)")


def lines_of(quote) -> list[tuple]:
    return [(x.item, x.category, x.quantity, x.unit_cents, x.amount_cents, x.note) for x in quote.lines]


def test_a_customer_lookup_is_the_flat_fee_of_the_schedule():
    quote = quote_invoice(T.CUSTOMER_CALL_LOOKUP, [(C.CALL_RECORDS_OUTGOING, 40)], 1)
    assert lines_of(quote) == [("customer_lookup_fee", None, 1, 2500, 2500, "flat fee, as quoted and accepted")]
    assert (quote.total_cents, quote.currency) == (2500, "USD")
    assert quote.basis == "carrier policy (47 CFR 64.2010 lookup): flat fee quoted before any search"


@pytest.mark.parametrize("accepted", [1800, 0])
def test_a_customer_lookup_bills_the_fee_the_customer_accepted(accepted):
    quote = quote_invoice(T.CUSTOMER_CALL_LOOKUP, [], 1, customer_fee_cents=accepted)
    assert lines_of(quote) == [("customer_lookup_fee", None, 1, accepted, accepted, "flat fee, as quoted and accepted")]
    assert quote.total_cents == accepted


@pytest.mark.parametrize(("request_type", "basis"), [
    (T.EMERGENCY, "carrier policy: emergency requests are not charged"),
    (T.PRESERVATION, "carrier policy: preservation under 18 U.S.C. 2703(f) is not charged; nothing is produced"),
    (T.NATIONAL_SECURITY_LETTER, "no charge: 18 U.S.C. 2706 does not reach national security letters "
                                 "under 18 U.S.C. 2709"),
])
def test_emergency_preservation_and_letters_are_free(request_type, basis):
    quote = quote_invoice(request_type, [(C.SUBSCRIBER_INFO, 1), (C.INTERNET_SESSIONS, 2500)], 2, 5)
    assert (quote.lines, quote.total_cents, quote.basis) == ([], 0, basis)


@pytest.mark.parametrize(("request_type", "basis"), [
    (T.PEN_REGISTER, "18 U.S.C. 3124(c): reasonable expenses of providing the facilities and technical assistance"),
    (T.TITLE3_WIRETAP, "18 U.S.C. 2518(4): reasonable expenses of providing the facilities and technical assistance"),
])
def test_assistance_is_provisioning_once_and_each_day(request_type, basis):
    # $250.00 provisioning + 12 days x $15.00 = $250.00 + $180.00 = $430.00
    quote = quote_invoice(request_type, [(C.PEN_TRAP, 9000)], 1, 12)
    assert lines_of(quote) == [("provisioning", None, 1, 25000, 25000, "switch provisioning"),
                               ("assistance_day", None, 12, 1500, 18000, "days of collection")]
    assert (quote.total_cents, quote.basis) == (43000, basis)


def test_assistance_without_days_is_provisioning_only():
    quote = quote_invoice(T.PEN_REGISTER, [], 1)
    assert lines_of(quote)[1] == ("assistance_day", None, 0, 1500, 0, "days of collection")
    assert quote.total_cents == 25000


def test_assistance_days_cannot_be_negative():
    with pytest.raises(ValueError, match=r"^days of assistance cannot be negative \(got -1\)$"):
        quote_invoice(T.TITLE3_WIRETAP, [], 1, -1)


def test_a_fisa_collection_of_one_day_is_provisioning_and_that_day():
    # $250.00 provisioning + 1 day x $15.00 = $265.00
    quote = quote_invoice(T.FISA_ORDER, [(C.PEN_TRAP, 400)], 1, 1)
    assert [(x.item, x.quantity, x.unit_cents, x.amount_cents, x.note) for x in quote.lines] == [
        ("provisioning", 1, 25000, 25000, "switch provisioning"),
        ("assistance_day", 1, 1500, 1500, "days of collection")]
    assert (quote.total_cents, quote.basis) == (26500, BASIS_FISA)


def test_a_fisa_collection_of_90_days():
    # $250.00 + 90 x $15.00 = $250.00 + $1,350.00 = $1,600.00
    quote = quote_invoice(T.FISA_ORDER, [], 1, 90)
    assert (quote.total_cents, quote.basis) == (160000, BASIS_FISA)


def test_days_on_a_records_request_bill_nothing_as_assistance():
    # A subpoena is billed for its records (2706), whatever `days` says: search $40.00 +
    # assembly $25.00 + 1 block $5.00 = $70.00.
    quote = quote_invoice(T.SUBPOENA, [(C.BILLING_RECORDS, 10)], 1, 5)
    assert [x.item for x in quote.lines] == ["search", "assembly", "reproduction"]
    assert quote.total_cents == 7000


def test_a_2703_subpoena_pays_for_billing_records_and_not_for_toll_records():
    # search 1 x $40.00 (billable: billing records are reimbursable)
    # call_records_outgoing: assembly $25.00 and 3 blocks of 1,000 rows x $5.00, both 0 (2706(c))
    # billing_records: assembly $25.00, 1 block (1,000 rows) x $5.00
    # total $40.00 + $25.00 + $5.00 = $70.00
    quote = quote_invoice(T.SUBPOENA, [(C.CALL_RECORDS_OUTGOING, 2001), (C.BILLING_RECORDS, 1000)], 1)
    assert lines_of(quote) == [
        ("search", None, 1, 4000, 4000, ""),
        ("assembly", C.CALL_RECORDS_OUTGOING, 1, 2500, 0, TOLL),
        ("reproduction", C.CALL_RECORDS_OUTGOING, 3, 500, 0, TOLL),
        ("assembly", C.BILLING_RECORDS, 1, 2500, 2500, ""),
        ("reproduction", C.BILLING_RECORDS, 1, 500, 500, ""),
    ]
    assert (quote.total_cents, quote.currency, quote.basis) == (7000, "USD", BASIS_2706)


@pytest.mark.parametrize("request_type", [T.SUBPOENA, T.COURT_ORDER, T.SEARCH_WARRANT])
def test_a_search_finding_only_toll_records_and_listings_is_free(request_type):
    quote = quote_invoice(request_type, [(C.SUBSCRIBER_INFO, 1), (C.CALL_RECORDS_INCOMING, 1001)], 2,
                          target_kinds=frozenset({TargetKind.PHONE_NUMBER}))
    assert lines_of(quote) == [
        ("search", None, 2, 4000, 0, TOLL),
        ("assembly", C.SUBSCRIBER_INFO, 1, 2500, 0, TOLL),
        ("reproduction", C.SUBSCRIBER_INFO, 1, 500, 0, TOLL),
        ("assembly", C.CALL_RECORDS_INCOMING, 1, 2500, 0, TOLL),
        ("reproduction", C.CALL_RECORDS_INCOMING, 2, 500, 0, TOLL),
    ]
    assert (quote.total_cents, quote.basis) == (0, BASIS_2706)


@pytest.mark.parametrize("kind", [TargetKind.IP_ADDRESS, TargetKind.EMAIL])
def test_subscriber_information_found_by_ip_or_email_is_not_a_listing(kind):
    # search 1 x $40.00 + assembly $25.00 + 1 block $5.00 = $70.00
    quote = quote_invoice(T.COURT_ORDER, [(C.SUBSCRIBER_INFO, 1)], 1,
                          target_kinds=frozenset({kind, TargetKind.PHONE_NUMBER}))
    assert lines_of(quote) == [("search", None, 1, 4000, 4000, ""),
                               ("assembly", C.SUBSCRIBER_INFO, 1, 2500, 2500, ""),
                               ("reproduction", C.SUBSCRIBER_INFO, 1, 500, 500, "")]
    assert quote.total_cents == 7000


def test_a_fisa_order_pays_for_toll_records_under_its_own_clause():
    # search 2 x $40.00 + assembly $25.00 + 1 block $5.00 = $110.00
    quote = quote_invoice(T.FISA_ORDER, [(C.CALL_RECORDS_OUTGOING, 999)], 2)
    assert lines_of(quote) == [("search", None, 2, 4000, 8000, ""),
                               ("assembly", C.CALL_RECORDS_OUTGOING, 1, 2500, 2500, ""),
                               ("reproduction", C.CALL_RECORDS_OUTGOING, 1, 500, 500, "")]
    assert (quote.total_cents, quote.basis) == (11000, BASIS_FISA)


def test_a_civil_subpoena_pays_the_civil_schedule_for_everything():
    # search 2 x $75.00; per category assembly $50.00 and $10.00 per 1,000 rows (toll records too):
    # $150.00 + ($50.00 + 2 x $10.00) + ($50.00 + 1 x $10.00) = $280.00
    quote = quote_invoice(T.SUBPOENA, [(C.CALL_RECORDS_OUTGOING, 1500), (C.SUBSCRIBER_INFO, 1)], 2,
                          civil_party="Smith & Jones LLP")
    billed = "billed to the requesting party: Smith & Jones LLP"
    assert lines_of(quote) == [
        ("search", None, 2, 7500, 15000, billed),
        ("assembly", C.CALL_RECORDS_OUTGOING, 1, 5000, 5000, ""),
        ("reproduction", C.CALL_RECORDS_OUTGOING, 2, 1000, 2000, ""),
        ("assembly", C.SUBSCRIBER_INFO, 1, 5000, 5000, ""),
        ("reproduction", C.SUBSCRIBER_INFO, 1, 1000, 1000, ""),
    ]
    assert (quote.total_cents, quote.basis) == (28000, BASIS_CIVIL)


def test_a_civil_party_on_a_court_order_changes_nothing():
    quote = quote_invoice(T.COURT_ORDER, [(C.CALL_RECORDS_OUTGOING, 10)], 1, civil_party="Smith & Jones LLP")
    assert (quote.total_cents, quote.basis) == (0, BASIS_2706)


def test_nothing_found_bills_the_search_of_no_target():
    quote = quote_invoice(T.SEARCH_WARRANT, [(C.CELL_SITE_LOCATION, 0)], 0)
    assert lines_of(quote) == [("search", None, 0, 4000, 0, ""),
                               ("assembly", C.CELL_SITE_LOCATION, 1, 2500, 2500, ""),
                               ("reproduction", C.CELL_SITE_LOCATION, 0, 500, 0, "")]
    assert quote.total_cents == 2500


@pytest.mark.parametrize(("delivered", "targets"), [([], -1), ([(C.BILLING_RECORDS, -1)], 1),
                                                     ([(C.BILLING_RECORDS, 5), (C.PAYMENT_INFO, -3)], 1)])
def test_negative_counts_are_refused(delivered, targets):
    with pytest.raises(ValueError, match=r"^target_count and row counts cannot be negative$"):
        quote_invoice(T.SUBPOENA, delivered, targets)
