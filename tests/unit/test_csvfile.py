"""recordstore/csvfile.py: a production file written row by row (as COPY hands it over) is hashed,
counted and reported as a whole, whatever the buffering."""

from __future__ import annotations

import hashlib
import itertools

from recordstore import csvfile
from recordstore.csvfile import BUFFER_BYTES, atomic_file


def test_a_file_written_one_row_at_a_time_has_the_hash_size_and_lines_of_its_bytes(tmp_path):
    rows = [f"+1303555{n:04d},2026-06-01T00:00:{n % 60:02d}Z,{n}\n".encode() for n in range(60_000)]
    seen: list[tuple[int, int]] = []
    out = tmp_path / "call_records_outgoing.csv"
    with atomic_file(out, on_write=lambda sink: seen.append((sink.lines, sink.bytes))) as sink:
        sink.write("caller_number,started_at,duration_s\n")
        for row in rows:
            sink.write(memoryview(row))  # psycopg2's copy_expert may hand bytes-like objects
    data = out.read_bytes()
    assert data == b"caller_number,started_at,duration_s\n" + b"".join(rows)
    assert sink.sha256 == hashlib.sha256(data).hexdigest()
    assert (sink.bytes, sink.lines) == (len(data), 60_001)
    # Progress is reported while the rows arrive (heartbeats), in buffer-sized steps, ending at the whole file.
    assert len(data) > 2 * BUFFER_BYTES
    assert seen[0][1] >= BUFFER_BYTES and seen[-1] == (60_001, len(data))
    assert all(a < b for (_, a), (_, b) in itertools.pairwise(seen))


def test_rows_that_arrive_slowly_are_still_reported(tmp_path, monkeypatch):
    clock = iter(float(n) for n in range(1000))
    monkeypatch.setattr(csvfile.time, "monotonic", lambda: next(clock))
    seen: list[int] = []
    with atomic_file(tmp_path / "slow.csv", on_write=lambda sink: seen.append(sink.lines)) as sink:
        for n in range(3):  # one small row per "second": far below a buffer's worth
            sink.write(f"{n}\n")
    assert seen[:3] == [1, 2, 3]
