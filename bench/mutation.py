"""Mutation testing of the legal core with mutmut (not part of CI; see docs/testing.md).

    .venv/bin/pip install -e '.[mutation]'
    .venv/bin/python bench/mutation.py                       # every module of domain/
    .venv/bin/python bench/mutation.py domain/fees.py        # one module (or several, or folders)
    .venv/bin/python bench/mutation.py --jobs 1 --tests tests/unit/test_policy.py domain/clocks.py

mutmut changes the code one small edit at a time (a `<=` into `<`, a constant, a string, a
dropped argument...) and runs the fast offline tests against each change: a mutant the tests
still pass is a change to the rules nothing would notice. The run happens in a scratch copy
(`.mutation/` by default, git-ignored), never in the work tree. The report lists every mutant
that survived, with its diff, and ends with the score, so a later run can be compared.

Paths are given relative to the repository and must lie under one top-level package (e.g.
domain/), which mutmut copies and mutates; every other package is copied as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The fast offline tests: no Temporal server, no database beyond an in-memory SQLite engine.
OFFLINE_TESTS = [f"tests/unit/test_{name}.py" for name in (
    "policy", "verification", "request_model", "wording", "case_page", "second_edition_cases", "requesters",
    "third_edition_cases", "third_edition_rules",
    # the case state machine and the domain's rules, by subject
    "plans", "case_opening", "case_steps", "decision_refusals", "decision_parsing", "roster_rules", "approvals",
    "withdrawal", "requests_for_information", "emergency_callback", "customer_fee", "preservation", "extensions",
    "title3_interception", "open_tasks", "case_properties", "identifiers", "wellformed_values", "scope", "fees",
    "emergency_authorisation", "periods", "secrecy", "signers", "production_papers")]
UNMUTATED = ["activities/", "les/", "recordstore/", "workflows/", "examples/", "starter.py", "worker.py"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=["domain/"],
                        help="modules or folders to mutate, relative to the repository (default: domain/)")
    parser.add_argument("--tests", nargs="+", default=OFFLINE_TESTS, help="test files that must kill the mutants")
    parser.add_argument("--jobs", type=int, default=2, help="test processes at once (default 2; the machine is shared)")
    parser.add_argument("--workdir", type=Path, default=REPO / ".mutation", help="scratch copy (default .mutation/)")
    parser.add_argument("--report", type=Path, help="also write the report (markdown) here")
    return parser.parse_args(argv)


def package_of(paths: list[str]) -> str:
    tops = {Path(p).parts[0] for p in paths}
    if len(tops) != 1:
        raise SystemExit(f"mutation.py: paths must lie under one top-level package, not {sorted(tops)}")
    return tops.pop()


def scratch_copy(workdir: Path) -> None:
    """The work tree's files as git sees them (tracked and new, not ignored) in a fresh folder."""
    if workdir.exists():
        shutil.rmtree(workdir)
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (workdir / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, workdir / name)


def configure(workdir: Path, package: str, paths: list[str], tests: list[str]) -> None:
    """mutmut reads [tool.mutmut] from pyproject.toml in the folder it runs in."""
    only = [p if p.endswith(".py") else f"{p.rstrip('/')}/*" for p in paths]
    section = {
        "source_paths": [f"{package}/"],
        "only_mutate": only,
        "also_copy": [p for p in UNMUTATED if not p.startswith(package)],
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-p", "no:randomly"],
        "use_git_change_detection": False,
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in section.items()]
    with open(workdir / "pyproject.toml", "a") as handle:
        handle.write("\n".join(lines) + "\n")


def mutmut(workdir: Path, *args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "mutmut"), *args]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LES_")}
    return subprocess.run(command, cwd=workdir, env=environment, text=True, capture_output=capture)


def results(workdir: Path) -> dict[str, str]:
    """Mutant name -> status (killed, survived, timeout, suspicious, no tests, skipped...)."""
    shown = mutmut(workdir, "results", "--all", "true", capture=True)
    statuses: dict[str, str] = {}
    for line in shown.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            statuses[name] = status.strip()
    return statuses


def report(workdir: Path, paths: list[str], tests: list[str], jobs: int, statuses: dict[str, str],
           seconds: float) -> str:
    killed = sum(1 for s in statuses.values() if s in ("killed", "timeout"))
    survivors = sorted(n for n, s in statuses.items() if s not in ("killed", "timeout", "skipped"))
    counted = killed + len(survivors)
    score = 100.0 * killed / counted if counted else 0.0
    by_status: dict[str, int] = {}
    for status in statuses.values():
        by_status[status] = by_status.get(status, 0) + 1
    out = [
        "# Mutation report",
        "",
        f"- mutated: {' '.join(paths)}",
        f"- tests: {' '.join(tests)}",
        f"- processes: {jobs}; wall time {seconds:.0f} s",
        f"- mutants: {len(statuses)} ({', '.join(f'{k} {v}' for k, v in sorted(by_status.items()))})",
        f"- score: {killed}/{counted} killed = {score:.1f} %",
        "",
        "## Not killed",
    ]
    for name in survivors:
        diff = mutmut(workdir, "show", name, capture=True).stdout.strip()
        out += ["", f"### {name} ({statuses[name]})", "", "```diff", diff, "```"]
    if not survivors:
        out.append("\nnone")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    package = package_of(args.paths)
    for path in args.paths + args.tests:
        if not (REPO / path).exists():
            raise SystemExit(f"mutation.py: no such path {path}")
    started = time.monotonic()
    scratch_copy(args.workdir)
    configure(args.workdir, package, args.paths, args.tests)
    run = mutmut(args.workdir, "run", "--max-children", str(args.jobs))
    statuses = results(args.workdir)
    text = report(args.workdir, args.paths, args.tests, args.jobs, statuses, time.monotonic() - started)
    print(text)
    if args.report:
        args.report.write_text(text)
    return 0 if statuses and run.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
