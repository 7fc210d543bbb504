"""Column scope (LEGAL.md "What each instrument may obtain"; Carpenter; 18 U.S.C. 2709(b)(1)): which
columns of each category each type of request may see."""

from __future__ import annotations

import pytest

from domain.scope import columns_in_scope
from domain.vocabulary import RecordCategory, RequestType

T, C = RequestType, RecordCategory



E911 = ["call_id", "called_at", "latitude", "longitude", "location_source", "uncertainty_m",
        "dispatchable_address", "psap"]
SUBSCRIBER = ["account_number", "name", "service_street", "service_city", "service_state", "service_zip",
              "billing_street", "billing_city", "billing_state", "billing_zip", "date_of_birth", "email"]


@pytest.mark.parametrize("request_type", ["subpoena", "court_order", "customer_call_lookup", "preservation"])
def test_e911_location_fields_need_a_warrant_fisa_or_an_emergency(request_type):
    assert columns_in_scope(request_type, "e911_records", E911) == ["call_id", "called_at", "psap"]


@pytest.mark.parametrize("request_type", ["search_warrant", "fisa_order", "emergency"])
def test_a_warrant_fisa_order_or_emergency_sees_every_e911_field(request_type):
    assert columns_in_scope(request_type, "e911_records", tuple(E911)) == E911


def test_other_categories_keep_every_column_without_a_warrant():
    columns = ("caller", "called", "started_at", "duration_s", "latitude")
    assert columns_in_scope(T.SUBPOENA, C.CALL_RECORDS_OUTGOING, columns) == list(columns)


def test_a_national_security_letter_sees_name_and_address_only():
    assert columns_in_scope("national_security_letter", "subscriber_info", tuple(SUBSCRIBER)) == [
        "name", "service_street", "service_city", "service_state", "service_zip",
        "billing_street", "billing_city", "billing_state", "billing_zip"]


def test_a_national_security_letter_sees_the_length_of_service_only():
    assert columns_in_scope(T.NATIONAL_SECURITY_LETTER, C.SERVICE_HISTORY,
                            ["account_number", "plan", "started_on", "ended_on"]) == ["started_on"]


@pytest.mark.parametrize("category", ["call_records_outgoing", "call_records_incoming"])
def test_a_national_security_letter_sees_toll_billing_records_whole(category):
    columns = ("caller", "called", "started_at", "duration_s")
    assert columns_in_scope("national_security_letter", category, columns) == list(columns)


@pytest.mark.parametrize("category", ["cell_site_location", "e911_records", "payment_info", "voicemail_content"])
def test_a_national_security_letter_reaches_no_other_category(category):
    with pytest.raises(ValueError, match=rf"^a national security letter reaches no {category} "
                                         r"\(18 U\.S\.C\. 2709\(b\)\(1\)\)$"):
        columns_in_scope("national_security_letter", category, ["a"])


def test_scope_refuses_unknown_words():
    with pytest.raises(ValueError, match="'letter_rogatory' is not a valid RequestType"):
        columns_in_scope("letter_rogatory", "e911_records", E911)
    with pytest.raises(ValueError, match="'dna' is not a valid RecordCategory"):
        columns_in_scope("search_warrant", "dna", E911)
