"""The transparency report (LEGAL.md, 50 U.S.C. 1874): the pure counting and banding of
domain/transparency.py on hand-made cases, then `starter.py report transparency` run as a person
runs it, over a case store filled by the case activities themselves (SQLite in tmp, or PostgreSQL
when LES_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from temporalio.testing import ActivityEnvironment

from domain.transparency import Banding, CaseFacts, Half, band, build_report, render_text

REPO = Path(__file__).resolve().parents[2]
H2 = Half.parse("2026H2")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def case(request_id: str, kind: str, received: str = "2026-08-01T12:00:00Z", **facts) -> CaseFacts:
    return CaseFacts(request_id=request_id, request_type=kind, received_at=at(received), **facts)


# ---- the half-year ---------------------------------------------------------------------------------


def test_half_years_run_jan_to_jun_and_jul_to_dec_utc():
    assert (H2.start, H2.end) == (at("2026-07-01T00:00:00Z"), at("2027-01-01T00:00:00Z"))
    h1 = Half.parse("2026H1")
    assert (h1.start, h1.end) == (at("2026-01-01T00:00:00Z"), at("2026-07-01T00:00:00Z"))
    assert H2.months() == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]


@pytest.mark.parametrize(("moment", "in_h1", "in_h2"), [
    ("2026-06-30T23:59:59Z", True, False),
    ("2026-07-01T00:00:00Z", False, True),
    ("2026-06-30T20:00:00-04:00", False, True),  # midnight UTC: July already
    ("2026-07-01T01:00:00+02:00", True, False),  # 23:00 UTC on June 30
    ("2026-12-31T23:59:59Z", False, True),
    ("2027-01-01T00:00:00Z", False, False),
])
def test_a_request_counts_in_the_half_year_it_was_received_in_utc(moment, in_h1, in_h2):
    assert Half.parse("2026H1").holds(at(moment)) is in_h1
    assert H2.holds(at(moment)) is in_h2
    report = build_report(H2, [case("A", "subpoena", moment)])
    assert report.demands["subpoena"] == (1 if in_h2 else 0)


# Arabic-Indic digits are not a year; a year must make both ends of its half a date.
@pytest.mark.parametrize("text", ["2026H3", "26H2", "2026h2", "2026H0", "2026 H2", "2026H2\n", "", "H2",
                                  "\u0662\u0660\u0662\u0666H2", None, "9999H2", "1969H2"])
def test_a_bad_half_is_refused_saying_what_is_expected(text):
    with pytest.raises(ValueError, match="like 2026H1 or 2026H2"):
        Half.parse(text)


# ---- the bands (50 U.S.C. 1874(a)(1) per kind, (a)(2) combined) -------------------------------------


@pytest.mark.parametrize(("count", "width", "text"), [
    (0, 1000, "0-999"), (1, 1000, "0-999"), (999, 1000, "0-999"), (1000, 1000, "1000-1999"),
    (1999, 1000, "1000-1999"), (2000, 1000, "2000-2999"),
    (0, 250, "0-249"), (1, 250, "0-249"), (249, 250, "0-249"), (250, 250, "250-499"),
    (499, 250, "250-499"), (500, 250, "500-749"),
])
def test_band_edges(count, width, text):
    assert band(count, width).text == text


def test_a_negative_count_has_no_band():
    with pytest.raises(ValueError):
        band(-1, 1000)


def nsl(n: int, selectors_each: int = 1, received: str = "2026-08-01T12:00:00Z") -> list[CaseFacts]:
    return [case(f"NSL-{i}", "national_security_letter", received,
                 targets=tuple(("phone_number", f"+1202555{i:04d}{j}") for j in range(selectors_each)))
            for i in range(n)]


def test_national_security_counts_are_only_bands_zero_included():
    empty = build_report(H2, [])
    bands = empty.national_security.bands
    assert set(bands) == {"national_security_letter", "fisa_order"}
    assert bands["national_security_letter"]["demands"].text == "0-999"
    assert bands["fisa_order"]["selectors"].text == "0-999"
    assert "50 U.S.C. 1874(a)(1)" in empty.national_security.source
    assert "national_security_letter demands     0-999" in render_text(empty)


def test_per_kind_bands_move_at_1000_and_combined_at_250():
    fisa = [case(f"F-{i}", "fisa_order", targets=(("email", f"x{i}@example.org"),)) for i in range(249)]
    at_999 = build_report(H2, nsl(999) + fisa)
    assert at_999.national_security.bands["national_security_letter"]["demands"].text == "0-999"
    assert at_999.national_security.bands["fisa_order"]["demands"].text == "0-999"
    at_1000 = build_report(H2, nsl(1000))
    assert at_1000.national_security.bands["national_security_letter"]["demands"].text == "1000-1999"
    assert at_1000.national_security.bands["national_security_letter"]["selectors"].text == "1000-1999"
    combined = build_report(H2, fisa, Banding.COMBINED)
    assert set(combined.national_security.bands) == {"combined"}
    assert combined.national_security.bands["combined"]["demands"].text == "0-249"
    assert build_report(H2, [*fisa, *nsl(1)], Banding.COMBINED).national_security.bands[
        "combined"]["demands"].text == "250-499"
    assert "1874(a)(2)" in combined.national_security.source


def test_national_security_process_is_in_no_exact_figure():
    ns = [*nsl(7, received="2026-09-03T00:00:00Z"),
          case("F-1", "fisa_order", extension_of="F-0", verdict="reject", resolution="rejected_on_verification",
               fatal_problems=("unsigned",)),
          case("N-R", "national_security_letter", verdict="partial", refused=(("voicemail_content", "no"),))]
    report = build_report(H2, ns)
    assert report.total_demands == report.total_extensions == report.total_selectors == 0
    assert report.rejected.total == report.partial.total == 0
    assert all(not counts for counts in report.by_month.values())
    assert "national_security_letter" not in report.demands and "fisa_order" not in report.extensions
    dumped = report.model_dump(mode="json")
    del dumped["national_security"]
    assert "national_security_letter" not in json.dumps(dumped) and "fisa_order" not in json.dumps(dumped)


# ---- demands, selectors, extensions --------------------------------------------------------------


def test_demands_and_selectors_by_type_duplicates_once():
    report = build_report(H2, [
        case("S1", "subpoena", targets=(("phone_number", "+12025550101"), ("phone_number", "+12025550101"),
                                        ("email", "a@example.org"))),
        case("S2", "subpoena", targets=(("phone_number", "+12025550101"),)),
        case("W1", "search_warrant", targets=(("ip_address", "198.51.100.7"), ("account_number", "100"))),
        case("X", "subpoena", targets=(("imsi", "310150123456789"),)),
    ])
    assert report.demands["subpoena"] == 3 and report.demands["search_warrant"] == 1
    assert report.demands["court_order"] == 0  # every type listed, zero included
    assert report.total_demands == 4
    # A target named by two demands is two selectors (one per demand), a duplicate within one only one.
    assert report.selectors == {"phone_number": 2, "account_number": 1, "ip_address": 1, "email": 1, "other": 1}
    assert report.total_selectors == 6


def test_extensions_are_counted_apart_from_initial_orders():
    report = build_report(H2, [
        case("PR-1", "pen_register"),
        case("PR-2", "pen_register", extension_of="PR-1"),
        case("PR-3", "pen_register", extension_of="PR-1", received="2026-06-30T23:59:59Z"),  # H1
        case("T3-1", "title3_wiretap", extension_of="T3-0"),
        # A preservation received in H1, renewed in H2: the renewal is H2's, the hold H1's.
        case("P-1", "preservation", "2026-05-01T00:00:00Z", renewals=(at("2026-07-20T00:00:00Z"),)),
        case("P-2", "preservation", renewals=(at("2027-01-02T00:00:00Z"),)),
    ])
    assert report.demands["pen_register"] == 1 and report.demands["title3_wiretap"] == 0
    assert report.demands["preservation"] == 1
    assert report.extensions == {"pen_register": 1, "title3_wiretap": 1, "preservation": 1}
    assert report.total_extensions == 3
    assert report.by_month["2026-08"] == {"pen_register": 2, "title3_wiretap": 1, "preservation": 1}


# ---- rejected and partial, with their reasons ---------------------------------------------------


def test_rejections_grouped_by_reason_on_verification_and_by_decision():
    report = build_report(H2, [
        case("R1", "subpoena", verdict="reject", resolution="rejected_on_verification",
             fatal_problems=("unsigned", "issued_after_receipt")),
        case("R2", "court_order", verdict="reject", resolution="rejected_on_verification",
             fatal_problems=("unsigned",)),
        case("R3", "subpoena", verdict="accept", resolution="rejected_by_analyst",
             rejection_note="  Overbroad\n period "),
        case("R4", "subpoena", verdict="accept", resolution="rejected_by_analyst", rejection_note="Overbroad period"),
        case("R5", "subpoena", verdict="partial", resolution="rejected_by_analyst", refused=(("pen_trap", "no"),)),
        case("W", "subpoena", verdict="accept", resolution="withdrawn"),
    ])
    rejected = report.rejected
    assert (rejected.total, rejected.on_verification, rejected.by_decision) == (5, 2, 3)
    assert [(r.reason, r.count) for r in rejected.on_verification_reasons] == [
        ("unsigned", 2), ("issued_after_receipt", 1)]
    assert [(r.reason, r.count) for r in rejected.by_decision_reasons] == [
        ("Overbroad period", 2), ("(no reason given)", 1)]
    assert report.partial.total == 0  # R5 was verified partial, then rejected: it produced nothing


@pytest.mark.parametrize(("note", "published"), [
    ("target +1 303 555 0199 is not our subscriber", "target [number] is not our subscriber"),
    ("ask agent jane.doe@fbi.gov for the signed copy", "ask agent [e-mail] for the signed copy"),
    ("10.0.0.1 and 2001:db8::1 are CGNAT pools", "[address] and [address] are CGNAT pools"),
    ("duplicate of LES-2026-000101", "duplicate of [reference]"),
    ("account 12345678 is closed", "account [number] is closed"),
    ("served 2026-07-01, 14 days late", "served 2026-07-01, 14 days late"),
])
def test_a_persons_reason_is_published_without_identifiers(note, published):
    report = build_report(H2, [case("R", "subpoena", verdict="accept", resolution="rejected_by_analyst",
                                    rejection_note=note)])
    assert [r.reason for r in report.rejected.by_decision_reasons] == [published]
    assert note == published or note not in render_text(report)


def test_partial_responses_with_each_refused_category_and_its_rule():
    voicemail = ("voicemail_content", "content needs a warrant (18 U.S.C. 2703(a))")
    location = ("cell_site_location", "location needs a warrant (Carpenter)")
    report = build_report(H2, [
        case("P1", "court_order", verdict="partial", refused=(voicemail, location)),
        case("P2", "subpoena", verdict="partial", refused=(voicemail,)),
        case("A", "subpoena", verdict="accept"),
        case("P3", "subpoena", "2026-06-30T23:59:59Z", verdict="partial", refused=(location,)),
    ])
    assert report.partial.total == 2
    assert [(r.category, r.count) for r in report.partial.refused] == [
        ("voicemail_content", 2), ("cell_site_location", 1)]
    assert report.partial.refused[0].reason == voicemail[1]


# ---- the command, over a case store the case activities filled --------------------------------


def file_case(activities, env, request_id: str, kind: str, received: str, *, targets=(), extension_of=None,
              verdict="accept", refused=(), problems=(), events=(), resolution=None) -> None:
    """A case filed the way the workflow files it: open_case, the `verified` event, decisions, close."""
    from domain.contracts import CaseEvent, CloseInput, OpenCaseInput

    document = {"request_id": request_id, "type": kind, "received_at": received,
                "targets": [{"kind": k, "value": v} for k, v in targets],
                "legal_process": {"reference": "x", **({"extension_of": extension_of} if extension_of else {})}}
    env.run(activities.open_case, OpenCaseInput(request_id=request_id, request_type=kind,
                                                workflow_id=f"wf-{request_id}", document=document))
    filed = [("verified", "les-orchestrator", "", {
        "verdict": verdict, "permitted": [], "refused": [{"category": c, "reason": r} for c, r in refused],
        "problems": [{"code": c, "message": f"{c}.", "fatal": True} for c in problems]}), *events]
    for seq, (name, actor, note, details) in enumerate(filed, start=1):
        env.run(activities.record_case_event, CaseEvent(
            request_id=request_id, seq=seq, at=at(received), name=name, actor=actor, note=note, details=details,
            via="system" if actor == "les-orchestrator" else "update"))
    if resolution:
        env.run(activities.close_case, CloseInput(request_id=request_id, resolution=resolution))


@contextmanager
def empty_case_store(database_url: str, folder: Path):
    """The store's tables and nothing else (no example records are needed): a SQLite file in
    `folder`, or on PostgreSQL a schema of its own (as tests/store_support.own_store makes)."""
    from recordstore.db import create_schema, make_engine

    admin = make_engine(database_url) if database_url.startswith("postgresql") else None
    if admin is not None:
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS transparency CASCADE; CREATE SCHEMA transparency"))
        engine = make_engine(database_url, connect_args={"options": "-csearch_path=transparency"})
    else:
        engine = make_engine(f"sqlite:///{folder / 'cases.db'}")
    try:
        create_schema(engine)
        yield engine
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS transparency CASCADE"))
            admin.dispose()


@pytest.fixture(scope="module")
def filled_store(database_url, tmp_path_factory):
    from activities.case import CaseActivities
    from recordstore.db import make_session_factory

    folder = tmp_path_factory.mktemp("transparency")
    with empty_case_store(database_url, folder) as engine:
        activities, env = CaseActivities(make_session_factory(engine)), ActivityEnvironment()
        file_case(activities, env, "SUB-H1", "subpoena", "2026-06-30T23:59:59Z", targets=[("email", "h1@x.org")])
        file_case(activities, env, "SUB-1", "subpoena", "2026-07-01T00:00:00Z",
                  targets=[("phone_number", "+12025550101"), ("phone_number", "+12025550101"), ("email", "a@x.org")],
                  resolution="delivered")
        file_case(activities, env, "CO-1", "court_order", "2026-08-10T09:00:00Z", verdict="partial",
                  targets=[("phone_number", "+12025550102")],
                  refused=[("voicemail_content", "content needs a warrant, 18 U.S.C. 2703(a)")])
        file_case(activities, env, "SW-1", "search_warrant", "2026-09-01T09:00:00Z", verdict="reject",
                  problems=["unsigned"], resolution="rejected_on_verification")
        file_case(activities, env, "PR-1", "pen_register", "2026-07-15T09:00:00Z",
                  targets=[("phone_number", "+12025550103")])
        file_case(activities, env, "PR-2", "pen_register", "2026-09-10T09:00:00Z", extension_of="PR-1",
                  targets=[("phone_number", "+12025550103")])
        file_case(activities, env, "SUB-2", "subpoena", "2026-10-02T09:00:00Z", resolution="rejected_by_analyst",
                  events=[("reject", "jdoe", "Daniel Reyes: period overbroad", {"reason_code": "overbroad"})])
        file_case(activities, env, "PRES-1", "preservation", "2026-05-01T09:00:00Z",
                  events=[("record_extension", "jdoe", "", {"renewal_received_at": "2026-07-20T09:00:00Z"})])
        # Seven NSLs (one rejected, one partial) and two FISA orders: in no exact figure anywhere.
        for i in range(7):
            file_case(activities, env, f"NSL-{i}", "national_security_letter", "2026-11-03T09:00:00Z",
                      targets=[("phone_number", f"+1202555020{i}")],
                      verdict=["accept", "reject", "partial"][min(i, 2)], problems=["unsigned"] if i == 1 else [],
                      refused=[("voicemail_content", "an NSL reaches no content")] if i == 2 else [],
                      resolution="rejected_on_verification" if i == 1 else None)
        for i in range(2):
            file_case(activities, env, f"FISA-{i}", "fisa_order", "2026-12-03T09:00:00Z",
                      extension_of="FISA-0" if i else None, targets=[("email", f"f{i}@x.org")])
        url = engine.url  # SQLite: the file own_store made; PostgreSQL: the schema it made
        if database_url.startswith("postgresql"):
            url = make_url(database_url).update_query_dict({"options": "-csearch_path=transparency"})
        yield url.render_as_string(hide_password=False), folder


def starter(store_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LES_")} | {"LES_DATABASE_URL": store_url}
    return subprocess.run([sys.executable, str(REPO / "starter.py"), "report", "transparency", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert data.count(b"IEND") == 1 and data.endswith(b"IEND\xaeB`\x82")  # one image, nothing after it
    return struct.unpack(">II", data[16:24])


def test_the_command_reports_the_half_year_from_the_case_store(filled_store):
    store, folder = filled_store
    run = starter(store, folder, "--half", "2026H2", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["half"] == "2026H2"
    assert report["demands"]["subpoena"] == 2 and report["demands"]["court_order"] == 1
    assert report["demands"]["search_warrant"] == 1 and report["demands"]["pen_register"] == 1
    assert report["demands"]["preservation"] == 0  # received in H1; its renewal is H2's
    assert report["total_demands"] == 5
    assert report["extensions"] == {"pen_register": 1, "title3_wiretap": 0, "preservation": 1}
    # SUB-1's duplicate once; the extension order's target is its own selector.
    assert report["selectors"] == {"phone_number": 4, "account_number": 0, "ip_address": 0, "email": 1, "other": 0}
    assert report["rejected"]["on_verification_reasons"] == [{"reason": "unsigned", "count": 1}]
    # the decision's reason code, as its fixed phrase; never the note (issue 23)
    assert report["rejected"]["by_decision_reasons"] == [
        {"reason": "the demand is broader than the law allows for its instrument", "count": 1}]
    assert "Reyes" not in run.stdout
    assert report["partial"]["refused"] == [{"category": "voicemail_content", "count": 1,
                                             "reason": "content needs a warrant, 18 U.S.C. 2703(a)"}]
    assert report["by_month"]["2026-07"] == {"subpoena": 1, "pen_register": 1}
    assert report["by_month"]["2026-11"] == {} and report["by_month"]["2026-12"] == {}
    bands = report["national_security"]["bands"]
    assert bands["national_security_letter"] == {"demands": {"low": 0, "high": 999, "text": "0-999"},
                                                 "selectors": {"low": 0, "high": 999, "text": "0-999"}}
    assert bands["fisa_order"]["demands"]["text"] == "0-999"
    assert "national_security_letter" not in run.stdout.split('"national_security"')[0]
    chart = folder / "transparency-2026H2.png"
    assert run.stderr.strip() == f"chart: {chart.resolve()}"
    width, height = png_size(chart)
    assert (width, height) == (1169, 827)  # one A4 landscape page at 100 dpi


def test_the_text_report_and_chart_show_no_exact_national_security_figure(filled_store, tmp_path):
    store, _ = filled_store
    run = starter(store, tmp_path, "--half", "2026H2", "--chart", str(tmp_path / "h2.png"))
    assert run.returncode == 0, run.stderr
    body, chart_line = run.stdout.rstrip().rsplit("\n", 1)
    assert chart_line == f"chart: {(tmp_path / 'h2.png').resolve()}"
    png_size(tmp_path / "h2.png")
    # Seven NSLs, seven NSL selectors, nine national security demands in all: none of them anywhere.
    assert not re.search(r"(?<![\d-])(7|9)(?![\d-])", body), body
    ns_lines = [line for line in body.splitlines() if "national_security_letter" in line or "fisa_order" in line]
    assert ns_lines == ["  national_security_letter demands     0-999   selectors     0-999",
                        "  fisa_order               demands     0-999   selectors     0-999"]
    assert "demands received (initial orders), by type: 5" in body
    assert "partial (some categories refused): 1" in body
    assert "rule: a demand counts in the half-year in which it was received" in body


def test_an_empty_half_is_a_report_of_zeros_and_bands(filled_store, tmp_path):
    store, _ = filled_store
    run = starter(store, tmp_path, "--half", "2025H1", "--json", "--bands", "combined")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["total_demands"] == report["total_selectors"] == report["rejected"]["total"] == 0
    assert report["national_security"]["bands"] == {"combined": {"demands": {"low": 0, "high": 249, "text": "0-249"},
                                                                 "selectors": {"low": 0, "high": 249,
                                                                               "text": "0-249"}}}
    png_size(tmp_path / "transparency-2025H1.png")


def test_a_bad_half_is_one_line_exit_2_and_nothing_written(filled_store, tmp_path):
    store, _ = filled_store
    run = starter(store, tmp_path, "--half", "2026H3")
    assert run.returncode == 2
    assert run.stdout == "" and len(run.stderr.strip().splitlines()) == 1
    assert "--half must be a year and a half like 2026H1 or 2026H2" in run.stderr and "Traceback" not in run.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "says"), [
    ("chart.pdf", "does not end in .png"),
    ("no-such-folder/c.png", "does not exist"),
    ("link.png", "symlink"),
])
def test_a_chart_path_is_refused_unless_a_png_in_an_existing_folder_not_through_a_symlink(tmp_path, name, says):
    from console.report import ReportRefused, chart_path

    elsewhere = tmp_path / "elsewhere.png"
    (tmp_path / "link.png").symlink_to(elsewhere)
    with pytest.raises(ReportRefused, match=says) as refused:
        chart_path(H2, str(tmp_path / name))
    assert refused.value.status == 2 and not elsewhere.exists()
    assert chart_path(H2, str(tmp_path / "c.png")) == (tmp_path / "c.png").resolve()


def test_the_half_year_of_a_chart_name_is_validated_before_it_names_a_file():
    # The default chart name is built from the parsed half only, never from the raw text.
    assert Half.parse("2026H2").label == "2026H2"
    with pytest.raises(ValueError):
        Half.parse("../2026H2")


def test_the_store_is_read_for_the_half_year_and_a_renewal_reaching_into_it(filled_store):
    from console.report import case_facts

    store, _ = filled_store
    facts = {f.request_id: f for f in case_facts(store, H2)}
    assert "SUB-H1" not in facts and "PRES-1" in facts  # received in H1, renewed in H2
    facts = {f.request_id: f for f in case_facts(store, Half.parse("2026H1"))}
    assert facts["SUB-H1"].received_at == datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
    assert "SUB-1" not in facts and "NSL-0" not in facts
    assert facts["PRES-1"].renewals == (datetime(2026, 7, 20, 9, tzinfo=UTC),)
