"""One run of the retrieval activity in a process of its own, reporting its time and peak memory.

It runs `RecordsActivities.retrieve_records` (what the worker runs) in Temporal's
ActivityEnvironment, so the figure includes request parsing, staging and hashing.

    python -m bench.export_child --url URL --number +1... --start ISO --end ISO --out FILE [--idle]

With --idle it loads and connects exactly as for an export but exports nothing: its peak
memory is the baseline that an export's peak is measured against.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from temporalio.testing import ActivityEnvironment

from activities.records import RecordsActivities
from domain.contracts import RetrieveInput
from domain.vocabulary import RecordCategory
from les.config import Settings
from les.logging import configure_logging
from les.paths import inside, staging_dir
from recordstore.db import make_engine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--number", required=True)
    parser.add_argument("--start", type=datetime.fromisoformat, required=True)
    parser.add_argument("--end", type=datetime.fromisoformat, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--idle", action="store_true")
    args = parser.parse_args()
    configure_logging("WARNING")  # stdout carries only the JSON report

    engine = make_engine(args.url)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    report: dict[str, object] = {"seconds": 0.0, "rows": 0, "sha256": None}
    settings = replace(Settings.from_env(), database_url=args.url, delivery_root=args.out.parent / "activity")
    activities = RecordsActivities(settings, engine)
    retrieval = RetrieveInput(
        request_id="BENCH-1", category=RecordCategory.CALL_RECORDS_OUTGOING,
        document=bench_request(args.number, args.start, args.end),
    )
    if not args.idle:
        began = time.perf_counter()
        result = ActivityEnvironment().run(activities.retrieve_records, retrieval)
        seconds = time.perf_counter() - began
        produced = inside(staging_dir(settings.delivery_root, "BENCH-1", 1), result.file_name)
        os.replace(produced, args.out)
        report = {"seconds": seconds, "rows": result.rows, "sha256": result.sha256}
    report["max_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report["peak_kib"] = peak_rss_kib()
    print(json.dumps(report))


def bench_request(number: str, start: datetime, end: datetime) -> dict[str, object]:
    """A subpoena for one number's call records over the period, as the workflow passes it."""
    return {
        "request_id": "BENCH-1", "type": "subpoena", "received_at": start.isoformat(),
        "requester": {"kind": "law_enforcement", "agency": "Benchmark PD"},
        "targets": [{"kind": "phone_number", "value": number}],
        "records": ["call_records_outgoing"],
        "period": {"start": start.isoformat(), "end": end.isoformat()},
    }


def peak_rss_kib() -> int:
    """This program's own peak resident memory.

    Linux's ru_maxrss keeps the peak of the process image that forked us (the benchmark
    itself, big after generating), so the kernel's per-image high-water mark is read too.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main()
