"""The policy checks of a parsed request: which categories it may have and what is wrong with it."""

from __future__ import annotations

from domain.clocks import clock_problems, fisa_authority, is_emergency_authorisation, iso_utc
from domain.findings import Problem, Refusal, article, warning
from domain.fisa import FISA_REACH_SAID, fisa_reach, fisa_refusal
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
from domain.signers import SIGNER_SOURCES, court_signer_fault, issuer_fault, nsl_signer_fault
from domain.vocabulary import (
    STORED_CATEGORIES,
    AuthMethod,
    CallbackSource,
    IssuerKind,
    RecordCategory,
    RequestType,
    TargetKind,
)
from domain.wellformed import quoted

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
    fisa = request.type == RequestType.FISA_ORDER
    if fisa:
        allowed = fisa_reach(fisa_authority(request))  # LEGAL.md (3rd): by the section it issues under
    permitted: list[RecordCategory] = []
    refused: list[Refusal] = []
    for category in request.records:
        if category not in allowed:
            reason = (fisa_refusal(fisa_authority(request), category) if fisa
                      else refusal_reason(request.type, category, issuer))
            refused.append(Refusal(category=category, reason=reason))
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
                            message=f"legal_process: {article(kind)} must carry its legal process")]
        return []
    if kind == RequestType.CUSTOMER_CALL_LOOKUP:
        return [Problem(code="unexpected_legal_process",
                        message="legal_process: a customer call lookup carries no legal process; "
                                "a legal demand is a request of its own type")]
    problems: list[Problem] = []
    allowed = ALLOWED_ISSUERS.get(kind)
    emergency = is_emergency_authorisation(kind, process.instrument)
    if emergency:
        allowed = EMERGENCY_AUTHORISATION_ISSUERS  # the designated official's own authorisation
    if allowed is not None and process.issuer_kind not in allowed:
        problems.append(Problem(
            code="wrong_issuer",
            message=f"legal_process.issuer_kind: a {kind} cannot be issued by "
                    f"'{process.issuer_kind}'; it is issued by: {_names(allowed)}",
        ))
    if kind in SIGNATURE_REQUIRED:
        problems += signature_problems(kind, process)
    if not emergency:
        problems += signer_office_problems(kind, process)
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


UNSIGNED_SOURCE = "LEGAL.md, Who may issue what: an unsigned instrument is not legal process"
DATED_AT_ISSUE_SOURCE = ("LEGAL.md, Who may issue what (third edition): a signature without its date is "
                         "dated at issue")


def signature_problems(kind: RequestType, process) -> list[Problem]:
    """Signed, and when: no signer is unsigned; a signer without signed_at but with issued_at signed
    at issue, with a warning (LEGAL.md, third edition)."""
    if process.signed_by is None:
        missing = "signed_by" + ("" if process.signed_at else " and signed_at")
        return [Problem(
            code="unsigned",
            message=f"legal_process.signed_by: the {kind} is not signed ({missing} missing); an unsigned "
                    "instrument is not legal process", source=UNSIGNED_SOURCE)]
    if process.signed_at is not None:
        return []
    if process.issued_at is None:
        return [Problem(
            code="unsigned",
            message=f"legal_process.signed_at: the {kind} is not signed (signed_at missing, and no "
                    "issued_at to date the signature by); an unsigned instrument is not legal process",
            source=UNSIGNED_SOURCE)]
    return [warning(
        "signed_at_defaulted",
        f"legal_process.signed_at: the {kind} is signed by {quoted(process.signed_by)} but its signature "
        f"is not dated; it is taken as signed when issued, {iso_utc(process.issued_at)}",
        DATED_AT_ISSUE_SOURCE)]


def signer_office_problems(kind: RequestType, process) -> list[Problem]:
    """The signer's own office, and a court named as issuer (LEGAL.md, Who may issue what, 3rd)."""
    problems: list[Problem] = []
    if kind == RequestType.NATIONAL_SECURITY_LETTER and (fault := nsl_signer_fault(process.signed_by)):
        problems.append(Problem(code="nsl_signer_rank", message=f"legal_process.signed_by: {fault}",
                                source="18 U.S.C. 2709(b)"))
    signer = court_signer_fault(kind, process.signed_by)
    if signer is not None:
        problems.append(Problem(code=signer.code, message=f"legal_process.signed_by: {signer.message}",
                                fatal=signer.fatal, source=signer.source))
    issuer = issuer_fault(kind, process.issued_by)
    if issuer is not None:
        problems.append(Problem(code="issuer_not_a_court", message=f"legal_process.issued_by: {issuer}",
                                source=SIGNER_SOURCES[kind]))
    return problems


def fisa_problems(request: LegalRequest) -> list[Problem]:
    """A FISA order that names no section reaches stored non-content records only (LEGAL.md, 3rd)."""
    if request.type != RequestType.FISA_ORDER or request.legal_process is None or fisa_authority(request):
        return []
    return [warning("fisa_section_unstated", f"legal_process.authority: {FISA_REACH_SAID[None]}",
                    "50 U.S.C. 1805, 1842, 1861, 1881a")]


def requester_problems(request: LegalRequest) -> list[Problem]:
    """Who may ask for what (the customer for lookups, the government for compulsory process)."""
    allowed = REQUESTER_KINDS[request.type]
    if request.requester.kind in allowed:
        return []
    code = "requester_not_governmental" if allowed == GOVERNMENTAL_REQUESTERS else "wrong_requester"
    return [Problem(
        code=code,
        message=f"requester.kind: {article(request.type)} cannot come from a requester of kind "
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
        request.type == RequestType.FISA_ORDER
        and (STORED_CATEGORIES & fisa_reach(fisa_authority(request))).intersection(request.records)
    )
    if needs_period and request.period is None:
        problems.append(Problem(code="missing_period",
                                message=f"period: {article(request.type)} for stored records must name "
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
        *fisa_problems(request),
        *requester_problems(request),
        *customer_problems(request),
        *emergency_problems(request),
        *scope_problems(request),
        *clock_problems(request),
    ]
