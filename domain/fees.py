"""What a request costs: 2706 reimbursement, assistance expenses and the customer lookup fee."""

from __future__ import annotations

from math import ceil

from pydantic import BaseModel, Field

from domain.vocabulary import RecordCategory, RequestType

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


def records_lines(request_type: RequestType, delivered: list[tuple[RecordCategory, int]],
                  target_count: int) -> list[InvoiceLine]:
    """Searching per target, assembling per category, reproducing per 1,000 rows."""
    exempt = TOLL_AND_LISTING_CATEGORIES if request_type != RequestType.FISA_ORDER else frozenset()
    # A search that finds only toll records and listings is itself not reimbursable.
    search_billable = any(category not in exempt for category, _ in delivered)
    lines = [_line("search", target_count, FEE_SCHEDULE["search_per_target"],
                   billable=search_billable, note="" if search_billable else TOLL_NOTE)]
    for category, rows in delivered:
        billable = category not in exempt
        note = "" if billable else TOLL_NOTE
        blocks = ceil(rows / ROWS_PER_REPRODUCTION_UNIT)
        lines.append(_line("assembly", 1, FEE_SCHEDULE["assembly_per_category"], category,
                           billable, note))
        lines.append(_line("reproduction", blocks, FEE_SCHEDULE["reproduction_per_1000_rows"],
                           category, billable, note))
    return lines


def quote_invoice(request_type: RequestType, delivered: list[tuple[RecordCategory, int]],
                  target_count: int, days: int = 0) -> InvoiceQuote:
    """The invoice for a request; `days` counts days of assistance for pen register / Title III."""
    if target_count < 0 or any(rows < 0 for _, rows in delivered):
        raise ValueError("target_count and row counts cannot be negative")
    if request_type == RequestType.CUSTOMER_CALL_LOOKUP:
        fee = _line("customer_lookup_fee", 1, CUSTOMER_LOOKUP_FEE_CENTS, note="flat fee")
        return _quote([fee], CUSTOMER_BASIS)
    if request_type in NO_CHARGE_BASIS:
        return _quote([], NO_CHARGE_BASIS[request_type])
    if request_type in ASSISTANCE_BASIS:
        return _quote(assistance_lines(days), ASSISTANCE_BASIS[request_type])
    return _quote(records_lines(request_type, delivered, target_count),
                  RECORDS_BASIS[request_type])
