"""The checks `check` cannot make offline (SPEC §2 `pending_checks`): they need the records store
or the papers on file, so the workflow runs them before anyone is asked to approve.

Each name says where it runs: the verification activity (activities/verification.py) or, for a
customer's own numbers and PIN, the customer lookup's identity gate (activities/customers.py)."""

from __future__ import annotations

from domain.clocks import is_renewal
from domain.request import LegalRequest
from domain.requesters import CHECKED_KINDS
from domain.vocabulary import AuthMethod, RequestType

DOCUMENTS_ON_FILE = "documents_on_file"
"""Each listed paper is on file and has the SHA-256 the request names."""
JURISDICTION_BINDS_TARGETS = "jurisdiction_binds_targets"
"""A state's order binds only targets served in that state (2703(d), 2711(3), 3123(a)(2), 2518(3))."""
CUSTOMER_OWNS_TARGETS = "customer_owns_targets"
"""A customer call lookup reaches only the numbers of the customer's own account (47 CFR 64.2010)."""
CUSTOMER_PIN = "customer_pin"
"""The PIN given matches the account's."""
RENEWAL_OF_HOLD = "renewal_of_hold"
"""A preservation renewal names a hold received earlier, not yet lapsed and not yet renewed (2703(f)(2))."""

REQUESTER_VERIFIED = "requester_verified"
"""The requester's agency, e-mail domain and (emergency) callback number are the agency directory's
(domain.requesters): look-alike domains reject, other doubts warn."""

RUN_AT_IDENTITY_GATE = frozenset({CUSTOMER_OWNS_TARGETS, CUSTOMER_PIN})
"""Checks the customer lookup's identity gate makes; their results show as `authentication`."""


def pending_checks(request: LegalRequest) -> list[str]:
    """The names of the checks this request still needs inside the workflow, in the order they run."""
    process = request.legal_process
    names: list[str] = []
    if request.documents:
        names.append(DOCUMENTS_ON_FILE)
    if process is not None and process.jurisdiction != "federal" and request.targets:
        names.append(JURISDICTION_BINDS_TARGETS)
    if request.type == RequestType.CUSTOMER_CALL_LOOKUP and request.customer is not None:
        names.append(CUSTOMER_OWNS_TARGETS)
        if request.customer.authentication.method == AuthMethod.ACCOUNT_PIN:
            names.append(CUSTOMER_PIN)
    if is_renewal(request):
        names.append(RENEWAL_OF_HOLD)
    if request.requester.kind in CHECKED_KINDS:
        names.append(REQUESTER_VERIFIED)
    return names
