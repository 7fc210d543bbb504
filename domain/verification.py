"""The pre-screen of a request document (SPEC §2), the same offline and in the workflow."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from domain.findings import Problem, Refusal, article
from domain.pending import pending_checks
from domain.policy import APPROVALS_REQUIRED, deadlines
from domain.request import LegalRequest, parse_request
from domain.screening import policy_problems, screen_categories
from domain.secrecy import Nondisclosure, nondisclosure
from domain.targets import TargetResolution
from domain.vocabulary import RecordCategory, RequestType, Role, Verdict
from domain.wellformed import MAX_CODE_CHARS, MAX_DOCUMENT_BYTES, lone_surrogates, quoted, renders_as_nothing

__all__ = [
    "CheckResult", "Problem", "Refusal", "UnreadableRequest", "check_request",
    "read_request_file", "schema_problems", "verify_request",
]


def utc_text(moment: AwareDatetime) -> str:
    """An instant as ISO-8601 UTC ending in Z, e.g. 2026-12-11T00:00:00Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class CheckResult(BaseModel):
    """The outcome of verifying one request document."""

    request_id: str | None = Field(description="As written in the document; None if absent.")
    type: str | None = Field(description="The type as written; None if absent.")
    verdict: Verdict = Field(description="accept, partial or reject.")
    permitted: list[RecordCategory] = Field(
        default_factory=list, description="Categories to produce (for preservation: to preserve)."
    )
    refused: list[Refusal] = Field(default_factory=list, description="Categories refused, why.")
    problems: list[Problem] = Field(default_factory=list, description="Defects and warnings.")
    deadlines: dict[str, AwareDatetime] = Field(
        default_factory=dict, description="Every clock the document sets, in UTC."
    )
    approvals_required: list[Role] = Field(
        default_factory=list, description="Roles that approve before any retrieval."
    )
    nondisclosure: Nondisclosure | None = Field(
        None, description="The secrecy binding the carrier (LEGAL.md); None when none binds.")
    pending_checks: list[str] = Field(
        default_factory=list, description="Checks that need the store or the papers (domain.pending).")
    pending_check_results: dict[str, str] = Field(
        default_factory=dict, description="What each pending check found, once the workflow ran it.")
    request: LegalRequest | None = Field(None, description="The parsed request, when it parsed.")
    targets: TargetResolution | None = Field(
        None, description="What each target matched in the records store; None offline (`check` cannot "
                          "resolve) and in histories recorded before verification resolved targets."
    )

    def spec_dict(self) -> dict[str, Any]:
        """Exactly the JSON object of SPEC §2."""
        return {
            "request_id": self.request_id,
            "type": self.type,
            "verdict": str(self.verdict),
            "permitted": [str(c) for c in self.permitted],
            "refused": [{"category": r.category, "reason": r.reason} for r in self.refused],
            "problems": [
                {"code": p.code, "message": p.message if p.fatal else f"warning: {p.message}",
                 **({"source": p.source} if p.source else {})}
                for p in self.problems
            ],
            "deadlines": {name: utc_text(at) for name, at in self.deadlines.items()},
            "approvals_required": [str(r) for r in self.approvals_required],
            "nondisclosure": None if self.nondisclosure is None else {
                "basis": self.nondisclosure.basis,
                "until": None if self.nondisclosure.until is None else utc_text(self.nondisclosure.until),
            },
            "pending_checks": list(self.pending_checks),
        }

    def render_text(self) -> str:
        """A human-readable summary, verdict first."""
        name = f"{self.request_id or '(no request_id)'} ({self.type or 'no type'})"
        lines = [f"{str(self.verdict).upper()}  {name}"]
        label = "to preserve" if self.type == RequestType.PRESERVATION else "permitted"
        lines.append(f"{label}: {', '.join(self.permitted) or 'none'}")
        if self.refused:
            lines.append("refused:")
            lines += [f"  - {r.category}: {r.reason}" for r in self.refused]
        if self.problems:
            lines.append("problems:")
            lines += [f"  - {p.code} ({'fatal' if p.fatal else 'warning'}): {p.message}"
                      for p in self.problems]
        if self.deadlines:
            lines.append("deadlines:")
            lines += [f"  - {k}: {utc_text(v)}" for k, v in self.deadlines.items()]
        if self.nondisclosure is not None:
            until = utc_text(self.nondisclosure.until) if self.nondisclosure.until else "a court orders otherwise"
            lines.append(f"secrecy: until {until} ({self.nondisclosure.basis})")
        if self.pending_checks:
            lines.append(f"checked in the workflow: {', '.join(self.pending_checks)}")
        lines.append(f"approvals required: {', '.join(self.approvals_required) or 'none'}")
        return "\n".join(_printable(line) for line in lines)


def _printable(line: str) -> str:
    """A line as a terminal may show it: invisible and control characters written as escapes."""
    return "".join(ascii(c)[1:-1] if renders_as_nothing(c) else c for c in line)


def _path(loc: tuple[int | str, ...], field: str | None = None) -> str:
    """A pydantic location as a dotted path with indexes, e.g. targets[0].observed_at."""
    text = ""
    for part in (*loc, *([field] if field else [])):
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "request"


JSON_KINDS: dict[type, str] = {
    type(None): "null", bool: "true or false", int: "a number", float: "a number", str: "text",
    list: "a list", dict: "a JSON object",
}
"""What a decoded JSON value is, in words."""


def _kind(value: Any) -> str:
    """What a JSON value is, in words (a Python caller's other value: "a value")."""
    return JSON_KINDS.get(type(value), "a value")


# What a field must be, in our words, for each pydantic error type about the value's JSON kind.
# No library's own wording ("Input should be a valid dictionary or instance of ...") reaches a user.
WANTED: dict[str, str] = {
    "model_type": "must be a JSON object ({...})",
    "string_type": "must be text (a JSON string)",
    "list_type": "must be a list ([...])",
    "int_type": "must be a whole number",
}
OUR_WORDS = frozenset({"invalid_field", "missing_field"})
"""Error types raised by the request model itself (domain.request): their message is ours."""


def _detail(kind: str, value: Any, ctx: Mapping[str, Any], ours: str) -> str:
    """What is wrong with the value, in our words, quoting at most a readable prefix of it."""
    if kind in OUR_WORDS:
        return ours
    if kind in WANTED:
        return f"{WANTED[kind]}, not {_kind(value)}"
    if kind == "datetime_from_date_parsing":
        return f"{quoted(value)} is not a date and time that exists"
    if kind == "enum":
        return f"{quoted(value)} is not one of {ctx['expected']}"
    if kind == "greater_than":
        return f"{quoted(value)} must be more than {ctx['gt']}"
    if kind == "greater_than_equal":
        return f"{quoted(value)} must be at least {ctx['ge']}"
    if kind == "less_than_equal":
        return f"{quoted(value)} must be at most {ctx['le']}"
    if kind == "string_too_short":
        return "is empty"
    return f"{quoted(value)} is not a valid value here"


def _schema_problem(error: Mapping[str, Any]) -> Problem:
    """One pydantic error as a fatal problem with a stable code and a path-first message."""
    kind, loc, value = error["type"], tuple(error["loc"]), error.get("input")
    ctx = error.get("ctx") or {}
    path = _path(loc, ctx.get("field"))
    if kind == "timezone_aware":
        return Problem(code="naive_timestamp",
                       message=f"{path}: timestamp {quoted(value)} has no UTC offset; every timestamp "
                               "must carry an offset or Z")
    if kind in ("missing", "missing_field"):
        detail = "required field is missing" if kind == "missing" else error["msg"]
        return Problem(code="missing_field", message=f"{path}: {detail}")
    if kind == "enum" and loc == ("type",):
        return Problem(code="unknown_type",
                       message=f"type: {quoted(value)} is not a request type; valid types: "
                               f"{', '.join(RequestType)}")
    if kind == "enum" and len(loc) == 2 and loc[0] == "records":
        return Problem(code="unknown_category",
                       message=f"{path}: {quoted(value)} is not a record category; valid "
                               f"categories: {', '.join(RecordCategory)}")
    return Problem(code="invalid_field", message=f"{path}: {_detail(kind, value, ctx, error['msg'])}")


def schema_problems(error: ValidationError) -> list[Problem]:
    """Every validation error of a document, each a fatal problem."""
    return [_schema_problem(e) for e in error.errors(include_url=False)]


def _raw_text(raw: Any, key: str) -> str | None:
    """A name of an unreadable document as written (request_id, type), when it is text of a name's
    length: the answer never echoes a long input whole (SPEC §1, 3rd)."""
    value = raw.get(key) if isinstance(raw, Mapping) else None
    return value if isinstance(value, str) and len(value) <= MAX_CODE_CHARS else None


def _approvals(type_text: str | None) -> list[Role]:
    known = type_text in set(RequestType)
    return list(APPROVALS_REQUIRED[RequestType(type_text)]) if known else []


def check_request(request: LegalRequest) -> CheckResult:
    """Apply the legal policy to a parsed request."""
    problems = policy_problems(request)
    permitted, refused = screen_categories(request)
    fatal = [p.code for p in problems if p.fatal]
    if not fatal and not permitted:
        problems.append(Problem(
            code="nothing_permitted",
            message=f"records: no category asked for may be "
                    f"{'preserved' if request.type == RequestType.PRESERVATION else 'produced'} "
                    f"on {article(request.type)}; nothing will be done",
        ))
        fatal.append("nothing_permitted")
    if fatal:
        # Every category asked for is accounted for: the refused ones with their own reason.
        because = f"not produced: the request is rejected ({', '.join(fatal)})"
        refused += [Refusal(category=c, reason=because) for c in permitted]
        refused.sort(key=lambda r: request.records.index(RecordCategory(r.category)))
        permitted = []
    verdict = Verdict.REJECT if fatal else Verdict.PARTIAL if refused else Verdict.ACCEPT
    return CheckResult(
        request_id=request.request_id, type=str(request.type), verdict=verdict,
        permitted=permitted, refused=refused, problems=problems,
        deadlines=deadlines(request), approvals_required=_approvals(request.type),
        nondisclosure=nondisclosure(request), pending_checks=pending_checks(request),
        request=request,
    )


def document_problems(raw: Any) -> list[Problem]:
    """What makes a decoded document unreadable as a whole (SPEC §1): text that is not Unicode, more
    than 1 MiB. Checked before the fields, so a workflow started without starter.py gets it too."""
    broken = list(lone_surrogates(raw))
    if broken:
        return [Problem(code="invalid_text", message=f"{path}: holds a lone surrogate (\\ud800-\\udfff), "
                                                     "which is not Unicode text") for path in broken]
    size = len(json.dumps(raw, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        return [Problem(code="document_too_large",
                        message=f"request: {size} bytes; a request document is at most "
                                f"{MAX_DOCUMENT_BYTES} bytes (1 MiB)")]
    return []


def verify_request(raw: Mapping[str, Any]) -> CheckResult:
    """Parse a decoded document and screen it; never raises on a bad document."""
    unreadable = document_problems(raw)
    if unreadable:
        return CheckResult(request_id=_raw_ascii(raw, "request_id"), type=_raw_ascii(raw, "type"),
                           verdict=Verdict.REJECT, problems=unreadable)
    try:
        request = parse_request(raw)
    except ValidationError as error:
        type_text = _raw_text(raw, "type")
        return CheckResult(
            request_id=_raw_text(raw, "request_id"), type=type_text, verdict=Verdict.REJECT,
            problems=schema_problems(error), approvals_required=_approvals(type_text),
        )
    return check_request(request)


def _raw_ascii(raw: Any, key: str) -> str | None:
    text = _raw_text(raw, key)
    return text if text is not None and not any(lone_surrogates(text)) else None


class UnreadableRequest(Exception):
    """The file is not a readable request document (SPEC §2: exit status 2)."""


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        # Two values for one field leave the document's meaning undecided.
        raise ValueError(f"duplicate key {quoted(duplicates[0])}")
    return dict(pairs)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def read_request_file(path: str | Path) -> dict[str, Any]:
    """Read one request document: UTF-8 JSON whose top level is an object."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_DOCUMENT_BYTES + 1)  # never more: the cap is checked before parsing
    except OSError as error:
        reason = error.strerror or str(error)
        raise UnreadableRequest(f"{path}: cannot read the file ({reason})") from None
    return read_request_bytes(data, str(path))


def read_request_bytes(data: bytes, path: str) -> dict[str, Any]:
    """One request document from its bytes (at most MAX_DOCUMENT_BYTES + 1 of them read), named
    `path` in what is said of it: a file's name, or `standard input`."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise UnreadableRequest(
            f"{path}: larger than {MAX_DOCUMENT_BYTES} bytes (1 MiB); a request document is at most "
            "1 MiB and this one was not read")
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark is tolerated, other encodings are not
    except UnicodeDecodeError as error:
        raise UnreadableRequest(
            f"{path}: not UTF-8 text (invalid byte at offset {error.start})"
        ) from None
    try:
        document = json.loads(
            text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as error:
        raise UnreadableRequest(
            f"{path}: not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except (ValueError, RecursionError) as error:
        raise UnreadableRequest(f"{path}: not a valid request document: {error}") from None
    broken = next(lone_surrogates(document), None)
    if broken is not None:
        raise UnreadableRequest(f"{path}: not Unicode text: {broken} holds a lone surrogate escape")
    if not isinstance(document, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(document), "a number")
        raise UnreadableRequest(f"{path}: the top level is {kind}, not a JSON object")
    return document
