"""Column-level scope: which columns of a permitted category an instrument may see (LEGAL.md).

`domain.policy` decides whether a category is produced at all; this table decides which of
its columns are. Read beside LEGAL.md "What each instrument may obtain".
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.vocabulary import RecordCategory, RequestType

T, C = RequestType, RecordCategory

# Carpenter v. United States, 585 U.S. 296 (2018) and carrier policy: historical location needs
# a warrant for any span, except in an emergency (2702(c)(4)) or under a FISA order.
LOCATION_INSTRUMENTS = frozenset({T.SEARCH_WARRANT, T.FISA_ORDER, T.EMERGENCY})

LOCATION_COLUMNS: dict[RecordCategory, frozenset[str]] = {
    # What a 9-1-1 call's location delivery says about where the phone was.
    C.E911_RECORDS: frozenset({"latitude", "longitude", "location_source", "uncertainty_m", "dispatchable_address"}),
}

# 18 U.S.C. 2709(b)(1); OLC opinion of 2008-11-05: name, address, length of service and toll
# billing records, nothing more. None keeps every column (the toll records as they are).
NSL_COLUMNS: dict[RecordCategory, tuple[str, ...] | None] = {
    C.SUBSCRIBER_INFO: (
        "name",
        "service_street", "service_city", "service_state", "service_zip",
        "billing_street", "billing_city", "billing_state", "billing_zip",
    ),
    C.SERVICE_HISTORY: ("started_on",),
    C.CALL_RECORDS_OUTGOING: None,
    C.CALL_RECORDS_INCOMING: None,
}


def columns_in_scope(request_type: RequestType, category: RecordCategory, columns: Sequence[str]) -> list[str]:
    """The category's `columns` (in their order) that this instrument may see.

    Raises ValueError for a national security letter and a category it never reaches, so an
    unscoped file can never be written for one.
    """
    request_type, category = RequestType(request_type), RecordCategory(category)
    if request_type is T.NATIONAL_SECURITY_LETTER:
        if category not in NSL_COLUMNS:
            raise ValueError(f"a national security letter reaches no {category} (18 U.S.C. 2709(b)(1))")
        allowed = NSL_COLUMNS[category]
        return list(columns) if allowed is None else [c for c in columns if c in allowed]
    if request_type not in LOCATION_INSTRUMENTS:
        hidden = LOCATION_COLUMNS.get(category, frozenset())
        return [c for c in columns if c not in hidden]
    return list(columns)
