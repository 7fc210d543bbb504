"""One retrieval in a process of its own, reporting its time and the process's peak memory.

    python -m bench.export_child --url URL --number +1... --start ISO --end ISO --out FILE [--idle]

With --idle it loads and connects exactly as for an export but exports nothing: its peak
memory is the baseline that an export's peak is measured against.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from domain.vocabulary import RecordCategory, TargetKind
from recordstore.db import make_engine
from recordstore.export import TargetSpec, export_category


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--number", required=True)
    parser.add_argument("--start", type=datetime.fromisoformat, required=True)
    parser.add_argument("--end", type=datetime.fromisoformat, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--idle", action="store_true")
    args = parser.parse_args()

    engine = make_engine(args.url)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    report: dict[str, object] = {"seconds": 0.0, "rows": 0, "sha256": None}
    if not args.idle:
        target = TargetSpec(kind=TargetKind.PHONE_NUMBER, value=args.number)
        began = time.perf_counter()
        result = export_category(engine, RecordCategory.CALL_RECORDS_OUTGOING, [target], args.start, args.end, args.out)
        report = {
            "seconds": time.perf_counter() - began,
            "rows": result.rows,
            "sha256": result.sha256,
        }
    report["max_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report["peak_kib"] = peak_rss_kib()
    print(json.dumps(report))


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
