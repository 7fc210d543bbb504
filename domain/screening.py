"""The policy checks of a parsed request: which categories it may have and what is wrong with it."""

from __future__ import annotations

from domain.clocks import clock_problems, is_emergency_authorisation
from domain.findings import Problem, Refusal, warning
from domain.policy import (
    ALLOWED_ISSUERS,
    CALECPA_REACH,
    CALECPA_REASON,
    EMERGENCY_AUTHORISATION_ISSUERS,
    FEDERAL_ONLY,
    GOVERNMENTAL_REQUESTERS,
    HISTORICAL_TYPES,
    LEGAL_PROCESS_REQUIRED,
    PERMITTED_CATEGORIES,
    REQUESTER_KINDS,
    SIGNATURE_REQUIRED,
    calecpa_limits,
    refusal_reason,
)
from domain.request import LegalRequest
from domain.secrecy import secrecy_notes
from domain.signers import nsl_signer_fault
from domain.vocabulary import (
    STORED_CATEGORIES,
    AuthMethod,
    CallbackSource,
    IssuerKind,
    RecordCategory,
    RequestType,
    TargetKind,
)

# Fields each authentication method must carry before the lookup may go on (carrier policy).
AUTHENTICATION_FIELDS: dict[AuthMethod, tuple[str, ...]] = {
    AuthMethod.ACCOUNT_PIN: ("pin",),
    AuthMethod.CALLBACK_TO_NUMBER_OF_RECORD: (),
    AuthMethod.MAIL_TO_ADDRESS_OF_RECORD: (),
    AuthMethod.PHOTO_ID_IN_STORE: (),
}

# Instruments entered by a court whose scanned papers the case file should hold.
JUDICIAL_ISSUERS = frozenset({IssuerKind.COURT, IssuerKind.FISC})


def _names(values) -> str:
    return ", ".join(sorted(str(v) for v in values))


def screen_categories(request: LegalRequest) -> tuple[list[RecordCategory], list[Refusal]]:
    """Split the categories asked for into permitted and refused, keeping the request's order."""
    allowed = PERMITTED_CATEGORIES[request.type]
    process = request.legal_process
    issuer = process.issuer_kind if process else None
    california = process is not None and calecpa_limits(request.type, process.jurisdiction, issuer)
    permitted: list[RecordCategory] = []
    refused: list[Refusal] = []
    for category in request.records:
        if category not in allowed:
            refused.append(Refusal(category=category, reason=refusal_reason(request.type, category, issuer)))
        elif california and category not in CALECPA_REACH:
            refused.append(Refusal(category=category, reason=f"{category}: {CALECPA_REASON}"))
        else:
            permitted.append(category)
    return permitted, refused


def legal_process_problems(request: LegalRequest) -> list[Problem]:
    """Presence, issuer and signature of the instrument (LEGAL.md, Who may issue what)."""
    kind, process = request.type, request.legal_process
    if process is None:
        if kind in LEGAL_PROCESS_REQUIRED:
            return [Problem(code="missing_legal_process",
                            message=f"legal_process: a {kind} must carry its legal process")]
        return []
    if kind == RequestType.CUSTOMER_CALL_LOOKUP:
        return [Problem(code="unexpected_legal_process",
                        message="legal_process: a customer call lookup carries no legal process; "
                                "a legal demand is a request of its own type")]
    problems: list[Problem] = []
    allowed = ALLOWED_ISSUERS.get(kind)
    if is_emergency_authorisation(kind, process.instrument):
        allowed = EMERGENCY_AUTHORISATION_ISSUERS  # the designated official's own authorisation
    if allowed is not None and process.issuer_kind not in allowed:
        problems.append(Problem(
            code="wrong_issuer",
            message=f"legal_process.issuer_kind: a {kind} cannot be issued by "
                    f"'{process.issuer_kind}'; it is issued by: {_names(allowed)}",
        ))
    unsigned = [f for f in ("signed_by", "signed_at") if not str(getattr(process, f) or "").strip()]
    if kind in SIGNATURE_REQUIRED and unsigned:
        problems.append(Problem(
            code="unsigned",
            message=f"legal_process.{unsigned[0]}: the {kind} is not signed "
                    f"({' and '.join(unsigned)} missing); an unsigned instrument is not legal "
                    "process",
        ))
    if kind == RequestType.NATIONAL_SECURITY_LETTER and (fault := nsl_signer_fault(process.signed_by)):
        problems.append(Problem(code="nsl_signer_rank", message=f"legal_process.signed_by: {fault}"))
    if kind in FEDERAL_ONLY and process.jurisdiction != "federal":
        problems.append(Problem(
            code="wrong_jurisdiction",
            message=f"legal_process.jurisdiction: a {kind} is federal process; "
                    f"'{process.jurisdiction}' cannot issue one",
        ))
    problems += [warning(code, message) for code, message in secrecy_notes(request)]
    if process.issuer_kind in JUDICIAL_ISSUERS and not request.documents:
        problems.append(warning(
            "no_documents",
            f"documents: no scan of the {kind} is attached; the case file needs the signed order",
        ))
    return problems


def requester_problems(request: LegalRequest) -> list[Problem]:
    """Who may ask for what (the customer for lookups, the government for compulsory process)."""
    allowed = REQUESTER_KINDS[request.type]
    if request.requester.kind in allowed:
        return []
    code = "requester_not_governmental" if allowed == GOVERNMENTAL_REQUESTERS else "wrong_requester"
    return [Problem(
        code=code,
        message=f"requester.kind: a {request.type} cannot come from a requester of kind "
                f"'{request.requester.kind}'; allowed: {_names(allowed)}",
    )]


def customer_problems(request: LegalRequest) -> list[Problem]:
    """A customer call lookup: an authenticated customer asking about their own numbers."""
    if request.type != RequestType.CUSTOMER_CALL_LOOKUP:
        return []
    problems: list[Problem] = []
    customer = request.customer
    if customer is None:
        problems.append(Problem(code="missing_customer",
                                message="customer: a customer call lookup needs the customer "
                                        "block (account_number and authentication)"))
    else:
        auth = customer.authentication
        extras = auth.model_extra or {}
        for field in AUTHENTICATION_FIELDS[auth.method]:
            if not str(extras.get(field) or "").strip():
                problems.append(Problem(
                    code="authentication_incomplete",
                    message=f"customer.authentication.{field}: method '{auth.method}' needs a "
                            f"non-empty {field}",
                ))
    for index, target in enumerate(request.targets):
        if target.kind != TargetKind.PHONE_NUMBER:
            # 47 CFR 64.2010: the customer's own telephone numbers, nothing else.
            problems.append(Problem(
                code="invalid_target",
                message=f"targets[{index}].kind: a customer call lookup targets the customer's "
                        f"own phone numbers only, not '{target.kind}'",
            ))
    return problems


def emergency_problems(request: LegalRequest) -> list[Problem]:
    """An emergency request: the danger claim and the callback that authenticates it."""
    if request.type != RequestType.EMERGENCY:
        return []
    if request.emergency is None:
        return [Problem(code="missing_emergency",
                        message="emergency: an emergency request needs the emergency block "
                                "(justification, danger, callback)")]
    if request.emergency.callback.source == CallbackSource.PROVIDED_BY_REQUESTER:
        return [warning(
            "callback_not_independent",
            "emergency.callback.source: the callback number was provided by the requester; "
            "nothing is disclosed until a callback to an independently sourced number of the "
            "agency is verified",
        )]
    return []


def scope_problems(request: LegalRequest) -> list[Problem]:
    """The request must say whom, what and (for stored records) when."""
    problems: list[Problem] = []
    needs_period = request.type in HISTORICAL_TYPES or (
        request.type == RequestType.FISA_ORDER and STORED_CATEGORIES.intersection(request.records)
    )
    if needs_period and request.period is None:
        problems.append(Problem(code="missing_period",
                                message=f"period: a {request.type} for stored records must name "
                                        "the period (start and end) they cover"))
    if not request.targets:
        problems.append(Problem(code="no_targets", message="targets: no target is named"))
    if not request.records:
        problems.append(Problem(code="no_records", message="records: no record category is "
                                                           "asked for"))
    return problems


def policy_problems(request: LegalRequest) -> list[Problem]:
    """Every problem the legal rules find in a well-formed request, fatal ones and warnings."""
    return [
        *legal_process_problems(request),
        *requester_problems(request),
        *customer_problems(request),
        *emergency_problems(request),
        *scope_problems(request),
        *clock_problems(request),
    ]
