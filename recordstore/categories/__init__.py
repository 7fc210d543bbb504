"""Every stored record category's export query and field legend (SPEC §1, §4).

Prospective categories (`pen_trap`, `intercept_content`) are collected live, never stored,
so they have no entry here.
"""

from __future__ import annotations

from domain.vocabulary import STORED_CATEGORIES, RecordCategory
from recordstore.categories import account_records, location_records, number_records
from recordstore.categories.query import PERIOD_END, PERIOD_START, CategoryQuery, Selector

C = RecordCategory
CATEGORY_QUERIES: dict[RecordCategory, CategoryQuery] = {
    C.SUBSCRIBER_INFO: account_records.subscriber_info(),
    C.SERVICE_HISTORY: account_records.service_history(),
    C.PAYMENT_INFO: account_records.payment_info(),
    C.CALL_RECORDS_OUTGOING: number_records.calls_placed(),
    C.CALL_RECORDS_INCOMING: number_records.calls_received(),
    C.INTERNET_SESSIONS: account_records.internet_sessions(),
    C.BILLING_RECORDS: account_records.billing_records(),
    C.E911_RECORDS: number_records.emergency_calls(),
    C.VOICEMAIL_METADATA: number_records.voicemail_metadata(),
    C.VOICEMAIL_CONTENT: number_records.voicemail_content(),
    C.CELL_SITE_LOCATION: location_records.cell_site_location(),
}
if set(CATEGORY_QUERIES) != STORED_CATEGORIES:
    raise RuntimeError("every stored record category needs an export query")

__all__ = ["CATEGORY_QUERIES", "PERIOD_END", "PERIOD_START", "CategoryQuery", "Selector"]
