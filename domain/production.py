"""What a certified production says (SPEC §4): the manifest and the certificate of authenticity."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

LEGEND_FILE = "field_legend.csv"
MANIFEST_FILE = "manifest.json"
CERTIFICATE_FILE = "certificate_of_authenticity.txt"
LETTER_FILE = "no_responsive_records_letter.txt"
TEXT_COPY_FILE = "records_as_text.xlsx"
"""The spreadsheet-safe copy of the CSVs, written when any cell would be evaluated (recordstore/textcopy.py)."""

EVALUATED_LEADS = frozenset("=+-@\t\r")
"""A cell beginning with one of these is evaluated by a spreadsheet (OWASP, CSV injection):
`=`, `+`, `-`, `@` start a formula; a tab or carriage return is skipped and what follows read."""


_SIGNED_NUMBER = re.compile(r"[+-][0-9]+(?:\.[0-9]+)?")


def evaluated_cell(text: str) -> bool:
    """Would a spreadsheet opening the CSV evaluate this cell (a formula, a signed number, a DDE call)?"""
    return bool(text) and text[0] in EVALUATED_LEADS


def plain_signed_number(text: str) -> bool:
    """An evaluated cell that is only a sign and digits (`+13035550123`, `-360`): a spreadsheet makes
    it a number (a telephone number loses its `+`), it runs nothing."""
    return _SIGNED_NUMBER.fullmatch(text) is not None


def evaluated_warning(cells: int, formulas: int) -> str:
    """The legend's warning for one column: fixed words and counts, never a cell's value.
    `formulas` of the `cells` are not plain signed numbers: a spreadsheet would run them."""
    advice = (f"open {TEXT_COPY_FILE}, where every cell is text; this CSV keeps the exact bytes retrieved")
    if formulas:
        some = "1 cell begins" if formulas == 1 else f"{formulas} cells begin"
        return (f"WARNING, spreadsheet formulas: {some} with =, +, -, @, a tab or a carriage return and "
                f"{'is' if formulas == 1 else 'are'} not a plain number: a spreadsheet would run "
                f"{'it' if formulas == 1 else 'them'} as a formula (a link, a command); {advice}")
    some = "1 cell is" if cells == 1 else f"{cells} cells are"
    return (f"NOTE, spreadsheet numbers: {some} a signed number (a leading + or -) that a spreadsheet "
            f"converts, so a telephone number loses its +; {advice}")


def manifest_bytes(
    *,
    request: dict[str, Any],
    production_id: str,
    produced_at: datetime,
    files: list[dict[str, Any]],
    refused: list[dict[str, str]],
    approved_by: dict[str, str],
    targets: list[dict[str, Any]] | None = None,
    letter: dict[str, Any] | None = None,
    evaluated: list[dict[str, Any]] | None = None,
) -> bytes:
    """The manifest as stable bytes (sorted keys), so its SHA-256 is reproducible.

    `targets` says per target what it matched (domain/targets.py `manifest_targets`); each file
    entry may say per target the rows it answers and their accounts (`by_target`). `letter` is
    the no-records letter beside the files: listed apart, since the certificate covers records only.
    `evaluated` names each file and column holding cells a spreadsheet would evaluate, with their
    count (`spreadsheet_formula_cells`); the text copy is then one of `files`."""
    process = request.get("legal_process") or {}
    manifest = {
        "request_id": request.get("request_id"),
        "production_id": production_id,
        "request_type": request.get("type"),
        "legal_process_reference": process.get("reference"),
        "issued_by": process.get("issued_by"),
        "requester": request.get("requester"),
        "targets": targets if targets is not None else [t.get("value") for t in request.get("targets") or []],
        "period": request.get("period"),
        "produced_at": utc_text(produced_at),
        "timestamps": "every timestamp in these files is UTC (ISO 8601, Z)",
        "files": files,
        "refused_categories": refused,
        "approved_by": approved_by,
    }
    if letter is not None:
        manifest["no_responsive_records_letter"] = letter
    if evaluated:
        manifest["spreadsheet_formula_cells"] = evaluated
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def certificate_text(
    *,
    request: dict[str, Any],
    production_id: str,
    produced_at: datetime,
    manifest_sha256: str,
    files: list[dict[str, Any]],
    custodian_name: str,
    custodian_title: str,
    carrier_name: str,
) -> str:
    """A certificate of authenticity under Federal Rules of Evidence 902(11) and 902(14); when the
    files include the text copy (TEXT_COPY_FILE), a fourth paragraph says what it is."""
    process = request.get("legal_process") or {}
    reference = process.get("reference") or "(none)"
    listing = "\n".join(f"  {f['name']:<36} {f['rows']:>10} rows  sha256 {f['sha256']}" for f in files)
    copy = next((f for f in files if f["name"] == TEXT_COPY_FILE), None)
    fourth = "" if copy is None else f"""
4. {TEXT_COPY_FILE} is a copy of the CSV files above, one worksheet each, in which every cell
   is stored as text so that no spreadsheet evaluates a value as a formula. The CSV files are
   the records as retrieved; the copy is identified by its own SHA-256 below, and a value
   longer than an XLSX cell holds (32,767 characters) is whole only in the CSV.
"""
    return f"""CERTIFICATE OF AUTHENTICITY OF BUSINESS RECORDS
Federal Rules of Evidence 902(11) and 902(14)

Request:            {request.get('request_id')} ({request.get('type')})
Legal process:      {reference}, issued by {process.get('issued_by') or '(not applicable)'}
Production:         {production_id}, produced {utc_text(produced_at)}
Manifest SHA-256:   {manifest_sha256}

I, {custodian_name}, {custodian_title} of {carrier_name}, certify that:

1. I am a custodian of records of {carrier_name}, or am otherwise qualified by my duties
   to make this certification, and I am familiar with how its records are created and kept.
2. The records in this production were made at or near the time of the acts and events they
   record, by (or from information transmitted by) a person with knowledge of those matters;
   they were kept in the course of the regularly conducted business of {carrier_name}; and
   making them was a regular practice of that business (FRE 803(6)(A)-(C), 902(11)).
3. The records were copied from the carrier's electronic systems of record by a process of
   digital identification: each file below is identified by its SHA-256 hash, listed in the
   manifest whose own SHA-256 is given above, and a copy matching these hashes is a true
   duplicate of the data retrieved (FRE 902(14)).
{fourth}
Files:
{listing}

{declaration(produced_at, custodian_name, custodian_title, carrier_name)}"""


def declaration(produced_at: datetime, custodian_name: str, custodian_title: str, carrier_name: str) -> str:
    """The 28 U.S.C. 1746 declaration and the custodian's signature block that close what they sign."""
    return f"""I declare under penalty of perjury under the laws of the United States of America that the
foregoing is true and correct.

Executed on {produced_at.astimezone(UTC):%Y-%m-%d}.

______________________________
{custodian_name}
{custodian_title}
{carrier_name}
"""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
