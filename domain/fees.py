"""What a request costs: 2706 reimbursement, assistance expenses and the customer lookup fee."""

from __future__ import annotations

from math import ceil

from pydantic import BaseModel, Field

from domain.vocabulary import RecordCategory, RequestType, TargetKind

# Carrier's schedule of reasonable costs, in cents (18 U.S.C. 2706(a)).
FEE_SCHEDULE: dict[str, int] = {
    "search_per_target": 4000,
    "assembly_per_category": 2500,
    "reproduction_per_1000_rows": 500,
}
ROWS_PER_REPRODUCTION_UNIT = 1000

# 18 U.S.C. 2706(c): telephone toll records and listings are not reimbursable.
TOLL_AND_LISTING_CATEGORIES = frozenset({
    RecordCategory.CALL_RECORDS_OUTGOING, RecordCategory.CALL_RECORDS_INCOMING,
    RecordCategory.SUBSCRIBER_INFO,
})
TOLL_NOTE = "telephone toll records and listings are not reimbursable (18 U.S.C. 2706(c))"
# Subscriber information found through an IP address or an e-mail account is not a telephone listing.
NOT_LISTING_TARGETS = frozenset({TargetKind.IP_ADDRESS, TargetKind.EMAIL})

# Carrier's published fee schedule for civil subpoenas, in cents (carrier policy; Fed. R. Civ. P. 45(d)).
CIVIL_FEE_SCHEDULE: dict[str, int] = {
    "search_per_target": 7500,
    "assembly_per_category": 5000,
    "reproduction_per_1000_rows": 1000,
}
CIVIL_BASIS = ("carrier's published fee schedule for civil subpoenas, billed to the requesting party "
               "(Fed. R. Civ. P. 45(d); 18 U.S.C. 2706 does not apply)")

# Carrier policy: a flat fee quoted to the customer before any search (LEGAL.md, Fees).
CUSTOMER_LOOKUP_FEE_CENTS = 2500

# 18 U.S.C. 3124(c), 2518(4): reasonable expenses of the technical assistance provided.
ASSISTANCE_PROVISIONING_CENTS = 25000
ASSISTANCE_PER_DAY_CENTS = 1500

# Types billed on the 2706 records schedule, with the basis quoted on the invoice.
RECORDS_BASIS: dict[RequestType, str] = {
    **dict.fromkeys(
        (RequestType.SUBPOENA, RequestType.COURT_ORDER, RequestType.SEARCH_WARRANT),
        "18 U.S.C. 2706(a): a governmental entity obtaining records under 2703 pays the "
        "reasonable costs of searching for, assembling and reproducing them; 2706(c): not for "
        "telephone toll records and listings",
    ),
    # FISA's own compensation clause, not 2706, so the toll-record exception does not apply.
    RequestType.FISA_ORDER: "50 U.S.C. 1805(c)(2)(D): the applicant compensates the carrier at "
                            "the prevailing rate for furnishing the aid",
}
# The government's requests under 2703, where 2706 (and its toll-record exception) applies.
TWO_SEVEN_OH_SIX = frozenset({RequestType.SUBPOENA, RequestType.COURT_ORDER, RequestType.SEARCH_WARRANT})

ASSISTANCE_BASIS: dict[RequestType, str] = {
    RequestType.PEN_REGISTER: "18 U.S.C. 3124(c): reasonable expenses of providing the "
                              "facilities and technical assistance",
    RequestType.TITLE3_WIRETAP: "18 U.S.C. 2518(4): reasonable expenses of providing the "
                                "facilities and technical assistance",
}
NO_CHARGE_BASIS: dict[RequestType, str] = {
    RequestType.EMERGENCY: "carrier policy: emergency requests are not charged",
    RequestType.PRESERVATION: "carrier policy: preservation under 18 U.S.C. 2703(f) is not "
                              "charged; nothing is produced",
    RequestType.NATIONAL_SECURITY_LETTER: "no charge: 18 U.S.C. 2706 does not reach national "
                                          "security letters under 18 U.S.C. 2709",
}
CUSTOMER_BASIS = "carrier policy (47 CFR 64.2010 lookup): flat fee quoted before any search"


class InvoiceLine(BaseModel):
    """One billed item."""

    item: str = Field(description="search, assembly, reproduction, provisioning, ...")
    category: RecordCategory | None = Field(None, description="The category it concerns.")
    quantity: int = Field(description="Units billed (targets, categories, 1,000-row blocks, days).")
    unit_cents: int = Field(description="Price of one unit.")
    amount_cents: int = Field(description="quantity x unit_cents, or 0 when not reimbursable.")
    note: str = Field("", description="Why the amount is what it is.")


class InvoiceQuote(BaseModel):
    """What the requester (or customer) is asked to pay, line by line."""

    lines: list[InvoiceLine] = Field(default_factory=list, description="The billed items.")
    total_cents: int = Field(description="Sum of the lines.")
    currency: str = Field("USD", description="Always USD.")
    basis: str = Field(description="The statute or policy that allows the charge.")


def _quote(lines: list[InvoiceLine], basis: str) -> InvoiceQuote:
    return InvoiceQuote(lines=lines, total_cents=sum(x.amount_cents for x in lines), basis=basis)


def _line(item: str, quantity: int, unit: int, category: RecordCategory | None = None,
          billable: bool = True, note: str = "") -> InvoiceLine:
    return InvoiceLine(item=item, category=category, quantity=quantity, unit_cents=unit,
                       amount_cents=quantity * unit if billable else 0, note=note)


def assistance_lines(days: int) -> list[InvoiceLine]:
    """Pen register / Title III expenses: provisioning once, then each day of collection."""
    if days < 0:
        raise ValueError(f"days of assistance cannot be negative (got {days})")
    return [
        _line("provisioning", 1, ASSISTANCE_PROVISIONING_CENTS, note="switch provisioning"),
        _line("assistance_day", days, ASSISTANCE_PER_DAY_CENTS, note="days of collection"),
    ]


def not_reimbursable(request_type: RequestType, target_kinds: frozenset[TargetKind]) -> frozenset[RecordCategory]:
    """2706(c): the toll records and telephone listings a 2703 request gets without charge."""
    if request_type not in TWO_SEVEN_OH_SIX:
        return frozenset()
    if target_kinds & NOT_LISTING_TARGETS:
        return TOLL_AND_LISTING_CATEGORIES - {RecordCategory.SUBSCRIBER_INFO}
    return TOLL_AND_LISTING_CATEGORIES


def records_lines(delivered: list[tuple[RecordCategory, int]], target_count: int,
                  exempt: frozenset[RecordCategory], schedule: dict[str, int] = FEE_SCHEDULE,
                  billed_to: str = "") -> list[InvoiceLine]:
    """Searching per target, assembling per category, reproducing per 1,000 rows."""
    # A search that finds only toll records and listings is itself not reimbursable.
    search_billable = any(category not in exempt for category, _ in delivered)
    note = billed_to if search_billable else TOLL_NOTE
    lines = [_line("search", target_count, schedule["search_per_target"], billable=search_billable, note=note)]
    for category, rows in delivered:
        billable = category not in exempt
        note = "" if billable else TOLL_NOTE
        blocks = ceil(rows / ROWS_PER_REPRODUCTION_UNIT)
        lines.append(_line("assembly", 1, schedule["assembly_per_category"], category, billable, note))
        lines.append(_line("reproduction", blocks, schedule["reproduction_per_1000_rows"], category, billable, note))
    return lines


def quote_invoice(request_type: RequestType, delivered: list[tuple[RecordCategory, int]],
                  target_count: int, days: int = 0, *, target_kinds: frozenset[TargetKind] = frozenset(),
                  civil_party: str | None = None, customer_fee_cents: int | None = None) -> InvoiceQuote:
    """The invoice for a request.

    `days` counts days of assistance (pen register / Title III); `target_kinds` tells a
    telephone listing from subscriber information found by IP address or e-mail; `civil_party`
    names who a civil subpoena is billed to; `customer_fee_cents` is the quote the customer
    accepted (the schedule's fee when None).
    """
    if target_count < 0 or any(rows < 0 for _, rows in delivered):
        raise ValueError("target_count and row counts cannot be negative")
    if request_type == RequestType.CUSTOMER_CALL_LOOKUP:
        cents = CUSTOMER_LOOKUP_FEE_CENTS if customer_fee_cents is None else customer_fee_cents
        fee = _line("customer_lookup_fee", 1, cents, note="flat fee, as quoted and accepted")
        return _quote([fee], CUSTOMER_BASIS)
    if request_type in NO_CHARGE_BASIS:
        return _quote([], NO_CHARGE_BASIS[request_type])
    if request_type in ASSISTANCE_BASIS:
        return _quote(assistance_lines(days), ASSISTANCE_BASIS[request_type])
    if request_type == RequestType.FISA_ORDER and days > 0:
        # FISA collection: the applicant compensates the aid furnished (1805(c)(2)(D), 1842(d)(2)(B)).
        return _quote(assistance_lines(days), RECORDS_BASIS[request_type])
    if request_type == RequestType.SUBPOENA and civil_party is not None:
        lines = records_lines(delivered, target_count, frozenset(), CIVIL_FEE_SCHEDULE,
                              billed_to=f"billed to the requesting party: {civil_party}")
        return _quote(lines, CIVIL_BASIS)
    exempt = not_reimbursable(request_type, target_kinds)
    return _quote(records_lines(delivered, target_count, exempt), RECORDS_BASIS[request_type])
