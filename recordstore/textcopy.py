"""The production's spreadsheet-safe copy: which CSV cells a spreadsheet would evaluate, and an
XLSX of the same files in which every cell is text (docs/security.md, CSV injection).

The CSVs are never changed: they are the records as retrieved and their hashes are certified.
A cell a spreadsheet would evaluate (OWASP CSV injection: a leading `=`, `+`, `-`, `@`, tab or
carriage return) is reported by file and column, and the copy is written with XlsxWriter, each
cell written as a string (`write_string`, never `write`), in the text number format `@`, so no
spreadsheet reads a formula, a number or a link into it. The copy's bytes depend only on the
CSVs and the production time (fixed zip timestamps, `created` set): a retried packaging writes
the same file."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from domain.production import TEXT_COPY_FILE, evaluated_cell, plain_signed_number
from recordstore.csvfile import PRODUCTION_FILE_MODE

SHEET_ROWS = 1_048_576
"""Rows an XLSX worksheet holds (Excel's limit): a longer file continues on `name (2)`, `name (3)`…"""
CELL_CHARACTERS = 32_767
"""Characters an XLSX cell holds: a longer value is cut in the copy (the CSV keeps it whole)."""
SHEET_NAME = 31
"""Characters of a worksheet name."""


@dataclass
class FileScan:
    """What one CSV holds that a spreadsheet would evaluate."""

    name: str
    columns: list[str] = field(default_factory=list)
    evaluated: dict[str, int] = field(default_factory=dict)
    """Column -> how many of its cells a spreadsheet would evaluate (only columns with any)."""
    formulas: dict[str, int] = field(default_factory=dict)
    """Column -> how many of those are not plain signed numbers: a spreadsheet would run them."""

    def findings(self) -> list[dict[str, object]]:
        """The manifest's entries for this file: file, column, cells evaluated, formulas among them."""
        return [{"file": self.name, "column": column, "cells": cells, "formulas": self.formulas.get(column, 0)}
                for column, cells in self.evaluated.items()]


CSV_FIELD_LIMIT = 1 << 30
"""The csv module refuses a field over 128 KiB by default; a record value may be longer."""


def csv_rows(path: Path) -> Iterator[list[str]]:
    """The rows of a production CSV (header first), as text: quoted line breaks stay in their cell."""
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.reader(handle)


def scan_file(path: Path, on_row: Callable[[int], None] | None = None) -> FileScan:
    """Count, per column, the cells of `path` a spreadsheet would evaluate (the header included:
    a column name is a cell too). One pass, linear in the file's size."""
    scan = FileScan(name=path.name)
    for number, row in enumerate(csv_rows(path)):
        if number == 0:
            scan.columns = list(row)
        for index, cell in enumerate(row):
            if evaluated_cell(cell):
                column = scan.columns[index] if index < len(scan.columns) else f"column {index + 1}"
                scan.evaluated[column] = scan.evaluated.get(column, 0) + 1
                if not plain_signed_number(cell):
                    scan.formulas[column] = scan.formulas.get(column, 0) + 1
        if on_row is not None:
            on_row(number)
    return scan


@dataclass
class TextCopy:
    """The XLSX written: its name, its rows (headers not counted) and what it could not hold whole."""

    name: str
    rows: int
    cut_cells: int
    """Cells longer than CELL_CHARACTERS, cut in the copy."""


def _sheet_names(stem: str, part: int, taken: set[str]) -> str:
    """A worksheet name of at most 31 characters, unique in the workbook (case-insensitively)."""
    suffix = "" if part == 1 else f" ({part})"
    name, tries = stem[: SHEET_NAME - len(suffix)] + suffix, 0
    while name.casefold() in taken:  # two long file names cut to the same 31 characters
        tries += 1
        name = f"{stem[: SHEET_NAME - 8]}~{tries:07d}"
    taken.add(name.casefold())
    return name


def write_text_copy(folder: Path, csv_names: list[str], produced_at: datetime,
                    on_row: Callable[[int], None] | None = None) -> TextCopy:
    """Write TEXT_COPY_FILE in `folder`: one worksheet per CSV (in the order given, the header on
    the first row of each), every cell a string. Written beside, synced, then renamed into place."""
    import xlsxwriter

    final = folder / TEXT_COPY_FILE
    partial = folder / f".{TEXT_COPY_FILE}.part"
    rows = cut = 0
    workbook = xlsxwriter.Workbook(str(partial), {
        "constant_memory": True,  # rows go to disk as written: memory stays flat for any production
        "tmpdir": str(folder),  # its scratch files hold records: they stay in the staging folder
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
    })
    try:
        workbook.set_properties({"created": produced_at, "title": "Production records, every cell as text",
                                 "comments": "The CSV files beside this copy are the records as retrieved."})
        text = workbook.add_format({"num_format": "@"})
        taken: set[str] = set()
        for name in csv_names:
            stem = name.removesuffix(".csv")
            sheet, part, line = None, 0, SHEET_ROWS
            header: list[str] = []
            for number, row in enumerate(csv_rows(folder / name)):
                if number == 0:
                    header = row
                if line == SHEET_ROWS:  # a new worksheet, its first row the header again
                    part += 1
                    sheet = workbook.add_worksheet(_sheet_names(stem, part, taken))
                    line = 0
                    if number > 0:
                        cut += _write_row(sheet, 0, header, text)
                        line = 1
                cut += _write_row(sheet, line, row, text)
                line += 1
                rows += number > 0
                if on_row is not None:
                    on_row(rows)
            if sheet is None:  # an empty file still has its worksheet
                workbook.add_worksheet(_sheet_names(stem, 1, taken))
        workbook.close()
        os.chmod(partial, PRODUCTION_FILE_MODE)
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return TextCopy(name=TEXT_COPY_FILE, rows=rows, cut_cells=cut)


def _write_row(sheet, line: int, row: list[str], text) -> int:
    """Each cell as a string; returns how many were cut to CELL_CHARACTERS."""
    cut = 0
    for column, cell in enumerate(row):
        if len(cell) > CELL_CHARACTERS:
            cell, cut = cell[:CELL_CHARACTERS], cut + 1
        sheet.write_string(line, column, cell, text)
    return cut
