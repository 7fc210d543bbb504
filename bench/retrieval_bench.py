"""Retrieval benchmark: the heavy target's outgoing calls for a year, export_category against
plain `psql ... COPY ... TO STDOUT`, with the export's peak memory.

    python -m bench.retrieval_bench [--url URL] [--fresh] [--sizes] [--huge] [--huge-calls N] [--repeat N] [--drop]

See bench/README.md for what it measures and how to read it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import make_url

from bench.fill import YEAR_END, YEAR_START, ensure_database, fill
from domain.vocabulary import RecordCategory, TargetKind
from recordstore.db import make_engine
from recordstore.export import TargetSpec, copy_sql, export_statement

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/les_bench"
LARGE = ("+13035559001", 400_000)
SMALL = ("+13035559002", 100_000)
HUGE_NUMBER = "+13035559005"
HUGE_CALLS = 5_000_000
GOAL = 1.05
"""Issue 12: the activity at most 5% slower than `psql COPY` (the first goal was 2.0)."""
PERIOD_END = YEAR_END - timedelta(seconds=1)


def child(url: str, number: str, out: Path, idle: bool = False) -> dict[str, object]:
    command = [
        sys.executable,
        "-m",
        "bench.export_child",
        "--url",
        url,
        "--number",
        number,
        "--start",
        YEAR_START.isoformat(),
        "--end",
        PERIOD_END.isoformat(),
        "--out",
        str(out),
    ]
    finished = subprocess.run([*command, "--idle"] if idle else command, check=True, capture_output=True, text=True)
    return json.loads(finished.stdout)


def psql_copy(url: str, number: str, out: Path) -> float:
    """Wall time of psql streaming the very SELECT export_category runs, to a file."""
    engine = make_engine(url)
    target = TargetSpec(kind=TargetKind.PHONE_NUMBER, value=number)
    with engine.connect() as conn:
        statement = export_statement(conn, RecordCategory.CALL_RECORDS_OUTGOING, [target], YEAR_START, PERIOD_END)
        sql = copy_sql(conn, statement)
    engine.dispose()
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    command = [
        "psql",
        libpq,
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)",
    ]
    with out.open("wb") as sink:
        began = time.perf_counter()
        subprocess.run(command, check=True, stdout=sink)
        return time.perf_counter() - began


def measure(url: str, number: str, repeat: int, folder: Path) -> None:
    baseline = int(child(url, number, folder / "idle.csv", idle=True)["peak_kib"])
    exports = [child(url, number, folder / "export.csv") for _ in range(repeat + 1)][1:]
    copies = [psql_copy(url, number, folder / "psql.csv") for _ in range(repeat + 1)][1:]
    same = hashlib.sha256((folder / "psql.csv").read_bytes()).hexdigest() == exports[0]["sha256"]
    export_s = statistics.median(float(e["seconds"]) for e in exports)
    psql_s = statistics.median(copies)
    peak = max(int(e["peak_kib"]) for e in exports)
    print(f"\n{number}: {exports[0]['rows']:,} rows, {(folder / 'export.csv').stat().st_size:,} bytes")
    print(f"  retrieval activity (own process): {export_s:.3f} s  (median of {repeat})")
    print(f"  psql COPY ... TO STDOUT > file   : {psql_s:.3f} s  (median of {repeat})")
    print(f"  ratio export / psql              : {export_s / psql_s:.2f}  (goal <= {GOAL})")
    print(
        f"  peak RSS of the export child     : {peak / 1024:.1f} MiB, idle baseline "
        f"{baseline / 1024:.1f} MiB, export adds {(peak - baseline) / 1024:.1f} MiB"
    )
    print(f"  files byte-identical             : {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--fresh", action="store_true", help="drop and refill the database")
    parser.add_argument("--sizes", action="store_true", help="also a 100k-row target")
    parser.add_argument("--subscribers", type=int, default=9000)
    parser.add_argument("--calls-per-subscriber", type=int, default=200)
    parser.add_argument("--huge", action="store_true",
                        help=f"also a target of --huge-calls calls (default {HUGE_CALLS:,}), measured last")
    parser.add_argument("--huge-calls", type=int, default=HUGE_CALLS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    args = parser.parse_args()

    huge = (HUGE_NUMBER if args.huge_calls == HUGE_CALLS else f"+1303556{args.huge_calls % 10_000:04d}",
            args.huge_calls)
    ensure_database(args.url, args.fresh)
    engine = make_engine(args.url)
    fill(engine, args.subscribers, args.calls_per_subscriber, [LARGE, SMALL, *([huge] if args.huge else [])])
    engine.dispose()
    targets = [SMALL, LARGE] if args.sizes else [LARGE]
    try:
        with tempfile.TemporaryDirectory(prefix="les-bench-") as temp:
            for number, _ in [*targets, *([huge] if args.huge else [])]:
                measure(args.url, number, args.repeat, Path(temp))
    finally:
        if args.drop:
            drop_database(args.url)


def drop_database(url: str) -> None:
    from sqlalchemy import text

    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    admin.dispose()
    print(f"dropped {target.database}")


if __name__ == "__main__":
    main()
