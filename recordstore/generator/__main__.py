"""Command line: fill a records store with synthetic data and the example accounts.

    python -m recordstore.generator --url URL --subscribers N --calls-per-subscriber M \
        [--heavy-target +1... --heavy-calls K] [--seed S] [--start ISO --end ISO]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from datetime import datetime

from les.config import Settings
from recordstore.db import create_schema, make_engine, make_session_factory
from recordstore.generator import generate, place_examples, seed_roster


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m recordstore.generator", description=__doc__)
    parser.add_argument("--url", default=Settings.from_env().database_url)
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--calls-per-subscriber", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--start", type=datetime.fromisoformat, default="2026-01-01T00:00:00Z")
    parser.add_argument("--end", type=datetime.fromisoformat, default="2027-01-01T00:00:00Z")
    parser.add_argument("--heavy-target", help="E.164 number given heavy traffic")
    parser.add_argument("--heavy-calls", type=int, default=100_000)
    parser.add_argument("--no-examples", action="store_true", help="skip the example accounts")
    args = parser.parse_args(argv)

    engine = make_engine(args.url)
    create_schema(engine)
    began = time.perf_counter()
    summary = generate(
        engine,
        subscribers=args.subscribers,
        seed=args.seed,
        calls_per_subscriber=args.calls_per_subscriber,
        start=args.start,
        end=args.end,
        heavy_target=(args.heavy_target, args.heavy_calls) if args.heavy_target else None,
    )
    elapsed = time.perf_counter() - began
    placed = [] if args.no_examples else place_examples(engine)
    with make_session_factory(engine).begin() as session:
        actors = seed_roster(session)
    for name, value in dataclasses.asdict(summary).items():
        print(f"{name:>20}: {value}")
    print(f"{'seconds':>20}: {elapsed:.1f}")
    print(f"{'examples placed':>20}: {', '.join(placed) or 'none (already there)'}")
    print(f"{'actors added':>20}: {actors}")
    engine.dispose()


if __name__ == "__main__":
    main()
