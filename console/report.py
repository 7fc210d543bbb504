"""`starter.py report transparency`: the half-year's counts read from the case store
(domain/transparency.py counts and bands them) and a one-page chart of them."""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import SQLAlchemyError

from domain.transparency import (
    REPORTED_TYPES,
    Banding,
    CaseFacts,
    Half,
    TransparencyReport,
    build_report,
    render_text,
)
from les.config import Settings
from les.paths import PathRefused, inside, plain_file_name

OK = 0


class ReportRefused(Exception):
    """Said in one line, with the exit status to use."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _aware(moment: Any) -> datetime | None:
    """A stored timestamp, in UTC (SQLite hands back naive ones, written in UTC)."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(moment, datetime):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _targets(document: dict) -> tuple[tuple[str, str], ...]:
    targets = document.get("targets")
    if not isinstance(targets, list):
        return ()
    return tuple((str(t.get("kind")), str(t.get("value"))) for t in targets if isinstance(t, dict))


RENEWAL_REACH = timedelta(days=181)
"""A preservation received this long before a half-year may still be renewed in it (a renewal comes
before the hold lapses, 90 days after receipt: 2703(f)(2)); the margin is generous on purpose."""


def case_facts(database_url: str, half: Half) -> list[CaseFacts]:
    """One CaseFacts per case that may count in `half` (received in it, or a preservation that may
    have been renewed in it): the document's facts, its verification, its rejection and its renewals
    (as the workflows file them: `verified`, `reject`, `record_extension`). Received times are the
    case column's, stored in UTC (recordstore.base.UtcDateTime)."""
    from recordstore.db import make_engine, make_session_factory
    from recordstore.models import Case, CaseEvent

    in_reach = or_(and_(Case.received_at >= half.start, Case.received_at < half.end),
                   and_(Case.request_type == "preservation", Case.received_at >= half.start - RENEWAL_REACH,
                        Case.received_at < half.end))
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            cases = list(session.scalars(select(Case).where(in_reach).order_by(Case.request_id)))
            events = defaultdict(list)
            wanted = ("verified", "reject", "record_extension")
            query = (select(CaseEvent).join(Case, Case.request_id == CaseEvent.request_id)
                     .where(in_reach, CaseEvent.event.in_(wanted), CaseEvent.accepted)
                     .order_by(CaseEvent.request_id, CaseEvent.seq).execution_options(yield_per=500))
            for event in session.scalars(query):
                events[event.request_id].append(event)
    finally:
        engine.dispose()
    facts = []
    for case in cases:
        document = case.document if isinstance(case.document, dict) else {}
        process = document.get("legal_process") if isinstance(document.get("legal_process"), dict) else {}
        verified = next((e for e in events[case.request_id] if e.event == "verified"), None)
        details = (verified.details or {}) if verified is not None else {}
        rejection = next((e for e in events[case.request_id] if e.event == "reject"), None)
        renewals = [_aware((e.details or {}).get("renewal_received_at")) for e in events[case.request_id]
                    if e.event == "record_extension" and case.request_type == "preservation"]
        received = _aware(case.received_at)
        if received is None:
            continue
        facts.append(CaseFacts(
            request_id=case.request_id, request_type=case.request_type, received_at=received,
            targets=_targets(document),
            extension_of=process.get("extension_of") if isinstance(process.get("extension_of"), str) else None,
            resolution=case.resolution, verdict=details.get("verdict"),
            refused=tuple((str(r.get("category")), str(r.get("reason"))) for r in details.get("refused") or []
                          if isinstance(r, dict)),
            fatal_problems=tuple(str(p.get("code")) for p in details.get("problems") or []
                                 if isinstance(p, dict) and p.get("fatal", True)),
            rejection_note=rejection.note if rejection is not None else None,
            rejection_code=str((rejection.details or {}).get("reason_code") or "") or None if rejection is not None
            else None,
            renewals=tuple(r for r in renewals if r is not None),
        ))
    return facts


def chart_path(half: Half, chart: str | None) -> Path:
    """`--chart FILE` (a plain .png file name in an existing folder, never through a symlink), or
    transparency-<half>.png in the current folder."""
    given = Path(chart) if chart else Path(f"transparency-{half.label}.png")
    try:
        name = plain_file_name(given.name)
        if not name.lower().endswith(".png"):
            raise PathRefused(f"{name} does not end in .png")
        folder = given.parent if str(given.parent) else Path(".")
        if not folder.is_dir():
            raise PathRefused(f"the folder {folder} does not exist")
        return inside(folder, name)
    except PathRefused as err:
        raise ReportRefused(f"--chart {given}: {err}; nothing was written", 2) from None


def write_chart(report: TransparencyReport, path: Path) -> None:
    """One page: the demands of each month by type (stacked bars) and, beside them, the national
    security bands as text: never a bar, never an exact figure."""
    try:
        import matplotlib
    except ImportError:  # the `report` extra: not in the worker's image
        raise ReportRefused("--chart needs matplotlib, which is not installed here: "
                            "pip install 'les-orchestrator[report]'; nothing was written", 2) from None

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    months = list(report.by_month)
    figure, (bars, bands) = plt.subplots(1, 2, figsize=(11.69, 8.27), gridspec_kw={"width_ratios": [3, 1.3]})
    bottom = [0] * len(months)
    colours = plt.get_cmap("tab10")
    for index, kind in enumerate(REPORTED_TYPES):
        heights = [report.by_month[m].get(str(kind), 0) for m in months]
        if any(heights):
            bars.bar(range(len(months)), heights, bottom=bottom, label=str(kind), color=colours(index % 10))
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    bars.set_title(f"Demands received by month and type, {report.half} (UTC)")
    bars.set_ylabel("demands and extension orders received")
    bars.set_ylim(0, max([*bottom, 1]) * 1.3)  # room for the legend above the bars
    bars.yaxis.get_major_locator().set_params(integer=True)
    if any(bottom):
        bars.legend(fontsize=8, loc="upper center", ncol=4)
    else:
        bars.text(0.5, 0.5, "no demands received", ha="center", va="center", transform=bars.transAxes)
    bars.set_xticks(range(len(months)), months)  # every month of the half, those with none included
    bars.set_xlim(-0.6, len(months) - 0.4)
    bars.tick_params(axis="x", labelrotation=30)
    ns = report.national_security
    text = ["National security process", "(bands only, never exact)", ""]
    for kind, counted in ns.bands.items():
        text += [kind.replace("_", " "), f"  demands   {counted['demands'].text}",
                 f"  selectors {counted['selectors'].text}", ""]
    text += ["Source:", *_wrap(ns.source, 34), "", "Excluded from every bar", "and total on the left.", "",
             f"Rejected: {report.rejected.total}", f"  on verification {report.rejected.on_verification}",
             f"  by decision {report.rejected.by_decision}", f"Partial: {report.partial.total}"]
    bands.axis("off")
    bands.text(0.0, 1.0, "\n".join(text), va="top", ha="left", family="monospace", fontsize=9,
               transform=bands.transAxes)
    figure.suptitle(f"Transparency report {report.half}: totals {report.total_demands} demands, "
                    f"{report.total_extensions} extensions, {report.total_selectors} selectors")
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def run_transparency(settings: Settings, half_text: str, *, as_json: bool, chart: str | None,
                     banding: str = Banding.PER_KIND) -> int:
    try:
        half = Half.parse(half_text)
    except ValueError as err:
        raise ReportRefused(str(err), 2) from None
    path = chart_path(half, chart)
    try:
        facts = case_facts(settings.database_url, half)
    except SQLAlchemyError as err:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        raise ReportRefused(f"the case store cannot be read ({reason}); is LES_DATABASE_URL right?", 3) from None
    report = build_report(half, facts, Banding(banding))
    try:
        write_chart(report, path)
    except OSError as err:
        raise ReportRefused(f"the chart cannot be written to {path}: {err.strerror or err}", 1) from None
    if as_json:
        print(report.model_dump_json(indent=2))
        print(f"chart: {path}", file=sys.stderr)
    else:
        print(render_text(report))
        print(f"chart: {path}")
    return OK
