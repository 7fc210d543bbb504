"""The code passes the project's ruff rules (pyproject.toml), so CI fails on a lint error."""

import subprocess

from tests.conftest import BIN, REPO


def test_ruff_finds_nothing():
    run = subprocess.run([str(BIN / "ruff"), "check", "--no-cache", "."], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
