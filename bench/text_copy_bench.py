"""What the spreadsheet-safe copy of a production costs (docs/security.md, CSV injection):

    python -m bench.text_copy_bench [--rows N]

Writes a call-records CSV of N rows (8 columns, the telephone numbers beginning with `+`, so every
row has cells a spreadsheet would evaluate) in a temporary folder, then times the scan for such
cells (`scan_file`) and the XLSX copy (`write_text_copy`), and prints rows a second and the copy's size."""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from recordstore.textcopy import scan_file, write_text_copy

HEADER = ("call_id,caller_number,callee_number,started_at,duration_seconds,call_type,switch_time_zone,"
          "utc_offset_minutes\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        with (folder / "call_records_outgoing.csv").open("w") as out:
            out.write(HEADER)
            for i in range(rows):
                out.write(f"{i},+13035550123,+1720555{i % 10000:04d},2026-07-01T12:00:00Z,{i % 600},local,"
                          "America/Denver,-360\n")
        started = time.perf_counter()
        scan_file(folder / "call_records_outgoing.csv")
        scanned = time.perf_counter() - started
        started = time.perf_counter()
        copy = write_text_copy(folder, ["call_records_outgoing.csv"], datetime(2026, 1, 1, tzinfo=UTC))
        written = time.perf_counter() - started
        size = (folder / copy.name).stat().st_size
    print(f"rows {rows:,}: scan {scanned:.2f} s ({rows / scanned:,.0f} rows/s); "
          f"xlsx {written:.2f} s ({rows / written:,.0f} rows/s), {size:,} bytes")


if __name__ == "__main__":
    main()
