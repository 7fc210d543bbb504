"""Replay benchmark: `starter.py audit replay`'s code path against the SDK's bare
`Replayer.replay_workflows`, over the same ≥ 1,000 histories of mixed types, in one run.

    python -m bench.replay_bench [--count N] [--repeat N] [--encrypted] [--profile FILE]

The histories are the recorded ones of tests/histories/ (every workflow type, every recorded
path, each run of a continued-as-new order), cloned round-robin under distinct workflow ids
until there are `--count` of them. See bench/README.md for what it measures and how to read it.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from google.protobuf.message import Message
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from bench.harness import run_benchmark
from console.audit import replay_histories
from console.histories import PAYLOAD_TYPE
from les.codec import NATIONAL_SECURITY_WORKFLOW_TYPES, encrypt
from les.keyring import Compartment, Keyring, add_key
from les.temporal import data_converter
from workflows import ALL_WORKFLOWS

HISTORIES = Path(__file__).resolve().parent.parent / "tests" / "histories"


# What the SDK never passes through the payload codec: search attributes, patch markers (the
# core reads their ids) and headers. Everything else a worker writes is encrypted by the codec.
_NOT_ENCODED = frozenset({"search_attributes", "marker_recorded_event_attributes",
                          "upsert_workflow_search_attributes_event_attributes", "header"})


def _encrypt_payloads(message: Message, keyring: Keyring, compartment: Compartment) -> None:
    for descriptor, value in message.ListFields():
        if descriptor.type != descriptor.TYPE_MESSAGE or descriptor.name in _NOT_ENCODED:
            continue
        kind = descriptor.message_type
        if kind.GetOptions().map_entry:
            value_kind = kind.fields_by_name["value"].message_type
            items = [value[key] for key in value] if value_kind is not None else []
            is_payload = value_kind is not None and value_kind.full_name == PAYLOAD_TYPE
        else:
            items = list(value) if descriptor.is_repeated else [value]
            is_payload = kind.full_name == PAYLOAD_TYPE
        for item in items:
            if is_payload:
                item.CopyFrom(encrypt(item, keyring, compartment))
            else:
                _encrypt_payloads(item, keyring, compartment)


def encrypted(history: WorkflowHistory, keyring: Keyring) -> WorkflowHistory:
    """A recorded (plain) history as the server holds it: every payload the codec would have
    encoded encrypted under the case's compartment key."""
    kind = history.events[0].workflow_execution_started_event_attributes.workflow_type.name
    compartment = Compartment.NATIONAL_SECURITY if kind in NATIONAL_SECURITY_WORKFLOW_TYPES else Compartment.GENERAL
    events = []
    for event in history.events:
        copy = type(event)()
        copy.CopyFrom(event)
        _encrypt_payloads(copy, keyring, compartment)
        events.append(copy)
    return WorkflowHistory(history.workflow_id, events)


async def build(count: int, keyring: Keyring, encrypt_them: bool) -> list[tuple[str, WorkflowHistory]]:
    """`count` histories: the recorded files round-robin, each clone under its own workflow id."""
    recorded = []
    for path in sorted(HISTORIES.glob("*.json")):
        history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
        if encrypt_them:
            history = encrypted(history, keyring)
        recorded.append((path.stem, history))
    clones = []
    for number in range(count):
        stem, history = recorded[number % len(recorded)]
        workflow_id = f"case-BENCH-{number:05d}-{stem}"
        clones.append((workflow_id, WorkflowHistory(workflow_id, history.events)))
    return clones


async def through_audit_replay(histories, converter) -> float:
    """console.audit.replay_histories: what `audit replay FILE...` / `--query` runs once the histories
    are read (one Replayer, the replay iterator, per-failure names), progress bar off."""
    started = time.perf_counter()
    failures = await replay_histories(histories, converter, progress=None)
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"replay_bench: {len(failures)} history(ies) failed to replay, first: {failures[0]}")
    return elapsed


async def through_bare_replayer(histories, converter) -> float:
    """The SDK alone: Replayer(workflows=..., data_converter=...).replay_workflows(...)."""

    async def stream():
        for _, history in histories:
            yield history

    started = time.perf_counter()
    results = await Replayer(workflows=ALL_WORKFLOWS, data_converter=converter).replay_workflows(
        stream(), raise_on_replay_failure=False)
    elapsed = time.perf_counter() - started
    if results.replay_failures:
        raise SystemExit(f"replay_bench: the bare replayer failed {len(results.replay_failures)} history(ies)")
    return elapsed


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "keyring"
        add_key(folder, Compartment.GENERAL)
        add_key(folder, Compartment.NATIONAL_SECURITY)
        keyring = Keyring.load(folder, environ={})
    converter = data_converter(keyring)  # the production converter: pydantic JSON + AES-GCM codec
    histories = await build(args.count, keyring, args.encrypted)
    kinds = Counter(h.events[0].workflow_execution_started_event_attributes.workflow_type.name for _, h in histories)
    events = sum(len(h.events) for _, h in histories)
    print(f"{len(histories)} histories ({events:,} events) cloned from {len(list(HISTORIES.glob('*.json')))} "
          f"recorded files, payloads {'encrypted' if args.encrypted else 'plain'}; by type: "
          + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))

    warm = histories[: min(50, len(histories))]
    await through_audit_replay(warm, converter)
    await through_bare_replayer(warm, converter)
    audit_s, bare_s = [], []
    for turn in range(args.repeat):  # interleaved, each first in turn: drift on a shared machine hits both alike
        if turn % 2:
            bare_s.append(await through_bare_replayer(histories, converter))
        audit_s.append(await through_audit_replay(histories, converter))
        if not turn % 2:
            bare_s.append(await through_bare_replayer(histories, converter))
    audit_rate = len(histories) / statistics.median(audit_s)
    bare_rate = len(histories) / statistics.median(bare_s)
    for label, rate, runs in (("audit replay (console.audit.replay_histories)", audit_rate, audit_s),
                              ("bare Replayer.replay_workflows           ", bare_rate, bare_s)):
        print(f"  {label}: {rate:8.1f} histories/s  (median of {args.repeat}: {statistics.median(runs):.2f} s; "
              f"runs {', '.join(f'{s:.2f}' for s in runs)})")
    print(f"  ratio audit / bare                       : {audit_rate / bare_rate:.3f}  (goal >= 0.9)")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        await through_audit_replay(histories, converter)
        profiler.disable()
        profiler.dump_stats(args.profile)
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="histories to replay (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each, after a warm-up (default 3)")
    parser.add_argument("--encrypted", action="store_true",
                        help="encrypt every payload first, as the server holds them (`audit replay --query`)")
    parser.add_argument("--profile", metavar="FILE", help="also profile one audit-replay pass (cProfile) into FILE")
    args = parser.parse_args()
    if args.count < 1 or args.repeat < 1:
        parser.error("--count and --repeat must be at least 1")
    run_benchmark(main_async(args))


if __name__ == "__main__":
    main()
