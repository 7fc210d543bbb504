"""The transparency report (LEGAL.md "Transparency reporting (50 U.S.C. 1874)"), as pure counting.

Next to LEGAL.md: counts of demands and of selectors by type and half-year; extensions counted
apart from initial orders; rejected and partial responses with their reasons; national security
letters and FISA orders ONLY in the bands 50 U.S.C. 1874(a) allows, never as exact figures.

The half-year rule: a demand belongs to the half-year (H1 = 1 January to 30 June, H2 = 1 July to
31 December, UTC) in which it was received (`received_at`); a preservation renewal to the one in
which the renewal was received (`renewal_received_at`).

National security process is kept out of every exact figure: it is not in the demands, the
selectors, the extensions, the rejections, the partial responses, the months nor any total,
where a difference of two figures could reveal it. It appears only as bands.

No I/O: the store reader (console/report.py) hands in one `CaseFacts` per case."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel

from domain.redaction import redact
from domain.vocabulary import RequestType, TargetKind

T = RequestType

NATIONAL_SECURITY_TYPES: tuple[RequestType, ...] = (T.NATIONAL_SECURITY_LETTER, T.FISA_ORDER)
"""Counted only in bands (50 U.S.C. 1874(a))."""
REPORTED_TYPES: tuple[RequestType, ...] = tuple(t for t in RequestType if t not in NATIONAL_SECURITY_TYPES)
"""Counted exactly, always listed (zero included) so that two reports line up."""
EXTENSION_TYPES: tuple[RequestType, ...] = (T.PEN_REGISTER, T.TITLE3_WIRETAP, T.PRESERVATION)
"""The exactly counted types that are extended or renewed: a new order whose `extension_of` names
the running one (18 U.S.C. 3123(c)(2), 2518(5)); the one preservation renewal (2703(f)(2))."""
SELECTOR_KINDS: tuple[str, ...] = (*(str(k) for k in TargetKind), "other")

HALF_RULE = ("a demand counts in the half-year in which it was received (received_at, UTC; "
             "H1 = Jan 1 - Jun 30, H2 = Jul 1 - Dec 31); a preservation renewal in the half-year "
             "its renewal was received")
NO_REASON = "(no reason given)"


# ---- the half-year -------------------------------------------------------------------------------

_HALF = re.compile(r"([0-9]{4})H([12])")


@dataclass(frozen=True)
class Half:
    year: int
    half: int
    """1 (January-June) or 2 (July-December)."""

    @classmethod
    def parse(cls, text: object) -> Half:
        """`2026H1` or `2026H2`; ValueError saying what is expected otherwise."""
        match = _HALF.fullmatch(text) if isinstance(text, str) else None
        if match is None or not 1970 <= int(match.group(1)) <= 9998:
            raise ValueError(f"--half must be a year and a half like 2026H1 or 2026H2 (H1 = January-June, "
                             f"H2 = July-December, UTC), not {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def label(self) -> str:
        return f"{self.year}H{self.half}"

    @property
    def start(self) -> datetime:
        return datetime(self.year, 1 if self.half == 1 else 7, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the half-year (exclusive)."""
        return datetime(self.year, 7, 1, tzinfo=UTC) if self.half == 1 else datetime(self.year + 1, 1, 1, tzinfo=UTC)

    def holds(self, moment: datetime) -> bool:
        if moment.tzinfo is None:
            raise ValueError("a moment without an offset cannot be placed in a half-year")
        return self.start <= moment.astimezone(UTC) < self.end

    def months(self) -> list[str]:
        first = 1 if self.half == 1 else 7
        return [f"{self.year}-{m:02d}" for m in range(first, first + 6)]


# ---- the bands of 50 U.S.C. 1874(a) ----------------------------------------------------------------


class Banding(StrEnum):
    """The two reporting options LEGAL.md names (the provider picks one per report)."""

    PER_KIND = "per-kind"
    """1874(a)(1): each kind apart (NSLs; FISA orders), demands and selectors, in bands of 1000."""
    COMBINED = "combined"
    """1874(a)(2): all national security process combined, demands and selectors, in bands of 250."""


BAND_WIDTH: dict[Banding, int] = {Banding.PER_KIND: 1000, Banding.COMBINED: 250}
BAND_SOURCE: dict[Banding, str] = {
    Banding.PER_KIND: "50 U.S.C. 1874(a)(1): each kind in bands of 1000, starting with 0-999",
    Banding.COMBINED: "50 U.S.C. 1874(a)(2): all national security process combined, in bands of 250, "
                      "starting with 0-249",
}


class Band(BaseModel):
    low: int
    high: int
    text: str


def band(count: int, width: int) -> Band:
    """The band of `width` holding `count`: 0 -> 0-(width-1), never a bare 0."""
    if count < 0 or width <= 0:
        raise ValueError(f"no band for a count of {count} in bands of {width}")
    low = count // width * width
    return Band(low=low, high=low + width - 1, text=f"{low}-{low + width - 1}")


# ---- what the store says of one case ---------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    """One case as filed: the document's facts and what its history says."""

    request_id: str
    request_type: str
    received_at: datetime
    targets: tuple[tuple[str, str], ...] = ()
    """(kind, value) of each target in the document, as written."""
    extension_of: str | None = None
    """legal_process.extension_of: the order is an extension, not an initial order."""
    resolution: str | None = None
    verdict: str | None = None
    """The `verified` event's verdict (accept, partial, reject); None: not verified yet."""
    refused: tuple[tuple[str, str], ...] = ()
    """(category, reason) of each category verification refused."""
    fatal_problems: tuple[str, ...] = ()
    """The codes of the fatal problems verification found (why it rejected the request)."""
    rejection_note: str | None = None
    """The note of the accepted `reject` decision, when a person rejected it."""
    rejection_code: str | None = None
    """The `reason_code` the reject decision carried (`--set reason_code=...`): one of REJECTION_REASONS."""
    renewals: tuple[datetime, ...] = field(default=())
    """Preservation: when each accepted renewal was received."""


# ---- the report ----------------------------------------------------------------------------------


class ReasonCount(BaseModel):
    reason: str
    count: int


class RefusedCount(BaseModel):
    category: str
    reason: str
    count: int


class Rejections(BaseModel):
    total: int
    on_verification: int
    on_verification_reasons: list[ReasonCount]
    """Problem codes; a request rejected for several counts under each."""
    by_decision: int
    by_decision_reasons: list[ReasonCount]
    """The fixed phrase of the decision's reason code; without one, its note redacted (domain/redaction.py)."""


class Partials(BaseModel):
    total: int
    refused: list[RefusedCount]
    """Each refused category with its rule; a request refusing several counts under each."""


class NationalSecurityBands(BaseModel):
    banding: Banding
    source: str
    bands: dict[str, dict[str, Band]]
    """kind ("national_security_letter", "fisa_order", or "combined") -> {"demands", "selectors"}."""


class TransparencyReport(BaseModel):
    half: str
    period_start: datetime
    period_end: datetime
    """Exclusive."""
    rule: str
    demands: dict[str, int]
    """Initial demands by request type (national security process excluded)."""
    extensions: dict[str, int]
    """Extension orders and preservation renewals by type, apart from `demands`."""
    selectors: dict[str, int]
    """Distinct targets named by the demands and extension orders, by kind."""
    total_demands: int
    total_extensions: int
    total_selectors: int
    rejected: Rejections
    partial: Partials
    by_month: dict[str, dict[str, int]]
    """YYYY-MM -> request type -> demands and extension orders received that month."""
    national_security: NationalSecurityBands


def _selectors(case: CaseFacts) -> Counter[str]:
    """Each distinct target once (SPEC §1: duplicate targets count once), by kind."""
    seen = {(kind, value.strip()) for kind, value in case.targets}
    return Counter(kind if kind in SELECTOR_KINDS else "other" for kind, _ in seen)


def _ranked(counter: Counter[str]) -> list[ReasonCount]:
    return [ReasonCount(reason=r, count=n) for r, n in sorted(counter.items(), key=lambda i: (-i[1], i[0]))]


def _listed(counts: Counter[str], always: tuple[RequestType, ...]) -> dict[str, int]:
    """The types always listed (zero included), then any other type counted, by name."""
    return {str(t): counts[str(t)] for t in always} | {k: n for k, n in sorted(counts.items()) if k not in always}


REJECTION_REASONS: dict[str, str] = {
    "overbroad": "the demand is broader than the law allows for its instrument",
    "wrong_instrument": "the instrument cannot compel the records asked for",
    "no_jurisdiction": "the issuer has no jurisdiction over the carrier or the records",
    "defective_process": "the legal process is defective (unsigned, expired or incomplete)",
    "unverified_requester": "the requester could not be verified",
    "not_our_subscriber": "the targets are not the carrier's subscribers",
    "duplicate": "the demand duplicates one already answered",
    "other": "another reason, kept in the case file",
}
"""What a person may give as a rejection's reason code; the report publishes only these phrases for
them. A rejection without a known code publishes its note through domain/redaction.py."""


def _decision_reason(code: str | None, note: str | None) -> str:
    """A person's rejection as published: the code's fixed phrase, else the redacted note."""
    if code and code.strip() in REJECTION_REASONS:
        return REJECTION_REASONS[code.strip()]
    return redact(note) or NO_REASON


def national_security_bands(demands: Counter[str], selectors: Counter[str], banding: Banding) -> NationalSecurityBands:
    width = BAND_WIDTH[banding]
    if banding is Banding.COMBINED:
        kinds = {"combined": (sum(demands.values()), sum(selectors.values()))}
    else:
        kinds = {str(t): (demands[str(t)], selectors[str(t)]) for t in NATIONAL_SECURITY_TYPES}
    return NationalSecurityBands(
        banding=banding, source=BAND_SOURCE[banding],
        bands={kind: {"demands": band(d, width), "selectors": band(s, width)} for kind, (d, s) in kinds.items()},
    )


def build_report(half: Half, cases: list[CaseFacts], banding: Banding = Banding.PER_KIND) -> TransparencyReport:
    """Every count of the half-year's report from the cases on file."""
    demands: Counter[str] = Counter()
    extensions: Counter[str] = Counter()
    selectors: Counter[str] = Counter()
    months: dict[str, Counter[str]] = {month: Counter() for month in half.months()}
    ns_demands: Counter[str] = Counter()
    ns_selectors: Counter[str] = Counter()
    verification_reasons: Counter[str] = Counter()
    decision_reasons: Counter[str] = Counter()
    refused: Counter[tuple[str, str]] = Counter()
    on_verification = by_decision = partial = 0
    for case in cases:
        kind = case.request_type
        if kind == T.PRESERVATION:
            extensions[kind] += sum(1 for renewed in case.renewals if half.holds(renewed))
        if not half.holds(case.received_at):
            continue
        if kind in NATIONAL_SECURITY_TYPES:
            ns_demands[kind] += 1
            ns_selectors[kind] += sum(_selectors(case).values())
            continue
        (extensions if case.extension_of else demands)[kind] += 1
        selectors.update(_selectors(case))
        months[case.received_at.astimezone(UTC).strftime("%Y-%m")][kind] += 1
        if case.resolution == "rejected_on_verification" or case.verdict == "reject":
            on_verification += 1
            verification_reasons.update(set(case.fatal_problems) or {NO_REASON})
        elif case.resolution == "rejected_by_analyst":
            by_decision += 1
            decision_reasons[_decision_reason(case.rejection_code, case.rejection_note)] += 1
        elif case.verdict == "partial":  # a partial request a person then rejected produced nothing: rejected
            partial += 1
            refused.update(set(case.refused))
    return TransparencyReport(
        half=half.label, period_start=half.start, period_end=half.end, rule=HALF_RULE,
        demands=_listed(demands, REPORTED_TYPES),
        extensions=_listed(extensions, EXTENSION_TYPES),
        selectors={k: selectors[k] for k in SELECTOR_KINDS},
        total_demands=sum(demands.values()), total_extensions=sum(extensions.values()),
        total_selectors=sum(selectors.values()),
        rejected=Rejections(
            total=on_verification + by_decision, on_verification=on_verification,
            on_verification_reasons=_ranked(verification_reasons), by_decision=by_decision,
            by_decision_reasons=_ranked(decision_reasons),
        ),
        partial=Partials(total=partial, refused=[
            RefusedCount(category=c, reason=r, count=n)
            for (c, r), n in sorted(refused.items(), key=lambda i: (-i[1], i[0]))]),
        by_month={month: {k: n for k, n in _listed(counts, REPORTED_TYPES).items() if n}
                  for month, counts in months.items()},
        national_security=national_security_bands(ns_demands, ns_selectors, banding),
    )


def render_text(report: TransparencyReport) -> str:
    """The report as a person reads it."""
    ns = report.national_security
    lines = [
        f"Transparency report {report.half}: {report.period_start:%Y-%m-%d} to "
        f"{report.period_end:%Y-%m-%d} (exclusive), UTC",
        f"rule: {report.rule}",
        "national security letters and FISA orders appear only in the bands below, in no other figure",
        "",
        f"demands received (initial orders), by type: {report.total_demands}",
        *[f"  {kind:<22} {n:>6}" for kind, n in report.demands.items()],
        f"extensions and renewals (apart from the initial orders): {report.total_extensions}",
        *[f"  {kind:<22} {n:>6}" for kind, n in report.extensions.items()],
        f"selectors (distinct targets named), by kind: {report.total_selectors}",
        *[f"  {kind:<22} {n:>6}" for kind, n in report.selectors.items()],
        f"rejected: {report.rejected.total}",
        f"  on verification: {report.rejected.on_verification}",
        *[f"    {r.count:>4}  {r.reason}" for r in report.rejected.on_verification_reasons],
        f"  by a person's decision: {report.rejected.by_decision}",
        *[f"    {r.count:>4}  {r.reason}" for r in report.rejected.by_decision_reasons],
        f"partial (some categories refused): {report.partial.total}",
        *[f"    {r.count:>4}  {r.category}: {r.reason}" for r in report.partial.refused],
        "by month (demands and extension orders received):",
        *[f"  {month}: " + (", ".join(f"{k} {n}" for k, n in counts.items()) or "none")
          for month, counts in report.by_month.items()],
        f"national security process, in bands only ({ns.source}):",
        *[f"  {kind:<24} demands {b['demands'].text:>9}   selectors {b['selectors'].text:>9}"
          for kind, b in ns.bands.items()],
    ]
    return "\n".join(lines)
