"""`python3 stack.py test`: everything as CI runs it, `--fast` the unit and workflow tiers only, any
other argument passed to pytest as it is, and `--help` saying so (on stdout, exit 0)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stack import pytest_arguments
from tests.conftest import REPO, tier_of


def test_without_fast_the_arguments_go_to_pytest_as_they_are():
    assert pytest_arguments([]) == []
    assert pytest_arguments(["-x", "-k", "approve", "tests/system/test_faults.py"]) == [
        "-x", "-k", "approve", "tests/system/test_faults.py"]


def test_fast_runs_the_unit_and_workflow_folders_only():
    assert pytest_arguments(["--fast"]) == ["-m", "unit or workflow", "tests/unit", "tests/workflow"]
    assert pytest_arguments(["-q", "--fast", "-k", "approve"]) == [
        "-m", "unit or workflow", "-q", "-k", "approve", "tests/unit", "tests/workflow"]


def test_fast_with_a_file_named_runs_that_file_within_the_tiers():
    assert pytest_arguments(["--fast", "tests/unit/test_fees.py::test_negative_counts_are_refused"]) == [
        "-m", "unit or workflow", "tests/unit/test_fees.py::test_negative_counts_are_refused"]


@pytest.mark.parametrize("given", [["-m", "postgres"], ["-mpostgres"]])
def test_fast_joins_a_marker_expression_to_the_tiers(given):
    assert pytest_arguments(["--fast", *given]) == [
        "-m", "(unit or workflow) and (postgres)", "tests/unit", "tests/workflow"]


def test_the_files_run_on_one_process_per_core_each_file_whole_on_one():
    assert pytest_arguments([], cores=2) == ["-n", "2", "--dist", "loadfile"]
    assert pytest_arguments(["--fast"], cores=4) == [
        "-n", "4", "--dist", "loadfile", "-m", "unit or workflow", "tests/unit", "tests/workflow"]


@pytest.mark.parametrize("given", [["-n", "0"], ["-n0"], ["--numprocesses=3"], ["--dist", "load"]])
def test_a_process_count_given_is_kept_as_given(given):
    assert pytest_arguments(["-x", *given], cores=2) == ["-x", *given]


def test_one_core_runs_one_process():
    assert pytest_arguments(["-x"], cores=1) == ["-x"]
    assert pytest_arguments(["-x"], cores=None) == ["-x"]


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_says_what_runs_on_stdout_and_exits_0(flag):
    shown = subprocess.run([sys.executable, "stack.py", "test", flag], cwd=REPO, capture_output=True, text=True,
                           timeout=60)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout.startswith("usage: python3 stack.py test [--fast] [pytest arguments ...]\n")
    assert "  --fast       tests/unit and tests/workflow only (the developer's loop)" in shown.stdout
    assert "Every other argument goes to pytest as it is" in shown.stdout
    assert "-n 0 runs\nthem all in one process" in shown.stdout


def test_a_test_is_marked_with_the_tier_of_its_folder(request):
    assert request.node.get_closest_marker("unit") is not None
    assert request.node.get_closest_marker("workflow") is None and request.node.get_closest_marker("system") is None


def test_the_tier_is_the_folder_under_tests_and_a_file_outside_the_three_has_none():
    assert tier_of(REPO / "tests" / "system" / "test_faults.py") == "system"
    assert tier_of(REPO / "tests" / "workflow" / "test_replay.py") == "workflow"
    assert tier_of(REPO / "tests" / "test_somewhere.py") is None
    assert tier_of(REPO / "tests" / "histories" / "test_x.py") is None
