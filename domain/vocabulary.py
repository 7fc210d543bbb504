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


CONTENT_CATEGORIES = frozenset({RecordCategory.VOICEMAIL_CONTENT, RecordCategory.INTERCEPT_CONTENT})
PROSPECTIVE_CATEGORIES = frozenset({RecordCategory.PEN_TRAP, RecordCategory.INTERCEPT_CONTENT})
STORED_CATEGORIES = frozenset(set(RecordCategory) - PROSPECTIVE_CATEGORIES)
