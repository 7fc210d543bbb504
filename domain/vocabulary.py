"""The words of the domain (SPEC §1), shared by the model, the policy, the store and the workflows."""

from enum import StrEnum


class RequestType(StrEnum):
    CUSTOMER_CALL_LOOKUP = "customer_call_lookup"
    SUBPOENA = "subpoena"
    COURT_ORDER = "court_order"
    SEARCH_WARRANT = "search_warrant"
    PEN_REGISTER = "pen_register"
    TITLE3_WIRETAP = "title3_wiretap"
    NATIONAL_SECURITY_LETTER = "national_security_letter"
    FISA_ORDER = "fisa_order"
    PRESERVATION = "preservation"
    EMERGENCY = "emergency"


class RecordCategory(StrEnum):
    SUBSCRIBER_INFO = "subscriber_info"
    SERVICE_HISTORY = "service_history"
    PAYMENT_INFO = "payment_info"
    CALL_RECORDS_OUTGOING = "call_records_outgoing"
    CALL_RECORDS_INCOMING = "call_records_incoming"
    INTERNET_SESSIONS = "internet_sessions"
    BILLING_RECORDS = "billing_records"
    E911_RECORDS = "e911_records"
    VOICEMAIL_METADATA = "voicemail_metadata"
    VOICEMAIL_CONTENT = "voicemail_content"
    CELL_SITE_LOCATION = "cell_site_location"
    PEN_TRAP = "pen_trap"
    INTERCEPT_CONTENT = "intercept_content"


class RequesterKind(StrEnum):
    LAW_ENFORCEMENT = "law_enforcement"
    GOVERNMENT = "government"
    ATTORNEY = "attorney"
    CUSTOMER = "customer"


class IssuerKind(StrEnum):
    COURT = "court"
    GRAND_JURY = "grand_jury"
    AGENCY = "agency"
    FBI = "fbi"
    FISC = "fisc"
    ATTORNEY = "attorney"


class TargetKind(StrEnum):
    PHONE_NUMBER = "phone_number"
    ACCOUNT_NUMBER = "account_number"
    IP_ADDRESS = "ip_address"
    EMAIL = "email"


class AuthMethod(StrEnum):
    ACCOUNT_PIN = "account_pin"
    CALLBACK_TO_NUMBER_OF_RECORD = "callback_to_number_of_record"
    MAIL_TO_ADDRESS_OF_RECORD = "mail_to_address_of_record"
    PHOTO_ID_IN_STORE = "photo_id_in_store"


class Danger(StrEnum):
    DEATH = "death"
    SERIOUS_PHYSICAL_INJURY = "serious_physical_injury"


class CallbackSource(StrEnum):
    INDEPENDENTLY_SOURCED = "independently_sourced"
    PROVIDED_BY_REQUESTER = "provided_by_requester"


class Verdict(StrEnum):
    ACCEPT = "accept"
    PARTIAL = "partial"
    REJECT = "reject"


class Role(StrEnum):
    """Roles an actor on the roster may hold (LEGAL.md, Approvals)."""

    ANALYST = "analyst"
    SUPERVISOR = "supervisor"
    LEGAL = "legal"
    CLEARED = "cleared"
    AUDITOR = "auditor"
    """Reads, exports, replays and verifies; no plan lets an auditor make a decision."""


class DecisionName(StrEnum):
    """Human decisions that reach a running request (SPEC §3)."""

    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_INFO = "request_info"
    PROVIDE_INFO = "provide_info"
    VERIFY_CALLBACK = "verify_callback"
    RECORD_EXTENSION = "record_extension"
    RECORD_INTERCEPTION_STARTED = "record_interception_started"
    CUSTOMER_ACCEPTS_FEE = "customer_accepts_fee"
    WITHDRAW = "withdraw"


class Resolution(StrEnum):
    """How a case ended (`status` shows it): the workflow's result, the close_case activity's input."""

    DELIVERED = "delivered"
    """The certified production was delivered and the request billed."""
    NO_RESPONSIVE_RECORDS = "no_responsive_records"
    """No target matched a subscriber; an analyst confirmed it and the custodian's letter saying
    so was delivered instead of a production (not billed)."""
    REJECTED_ON_VERIFICATION = "rejected_on_verification"
    """The legal process failed verification: nothing may be produced."""
    REJECTED_BY_ANALYST = "rejected_by_analyst"
    WITHDRAWN = "withdrawn"
    QUOTE_EXPIRED = "quote_expired"
    """customer_call_lookup: the fee quote went unanswered for 30 days; nothing was searched."""
    FOLLOW_UP_MISSING = "follow_up_missing"
    """emergency: no legal process followed within 48 h; escalated to legal."""
    HOLD_EXPIRED = "hold_expired"
    """preservation: the hold lapsed (90 days, or 180 after the one renewal)."""
    HOLD_RELEASED = "hold_released"
    """preservation: withdrawn by the requester; the hold is released."""
    PRODUCED = "produced"
    """preservation: a demand naming the hold in preservation_ref took its records."""
    EXPIRED = "expired"
    """surveillance: switched off automatically at the order's end."""
    VACATED = "vacated"
    """surveillance: withdrawn; switched off at once."""
    FILED_AS_FOLLOW_UP = "filed_as_follow_up"
    """A court order whose follow_up_of names an emergency authorisation's collection: verified and
    filed there; the running collection continues under it (18 U.S.C. 3125(a), 2518(7))."""
    FILED_AS_EXTENSION = "filed_as_extension"
    """An order whose extension_of names a running order: verified and filed; it takes effect when an
    analyst records it there with record_extension."""


CONTENT_CATEGORIES = frozenset({RecordCategory.VOICEMAIL_CONTENT, RecordCategory.INTERCEPT_CONTENT})
PROSPECTIVE_CATEGORIES = frozenset({RecordCategory.PEN_TRAP, RecordCategory.INTERCEPT_CONTENT})
STORED_CATEGORIES = frozenset(set(RecordCategory) - PROSPECTIVE_CATEGORIES)
