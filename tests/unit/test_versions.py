"""workflows/versions.py: the one table of patches, and the one way a run asks them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workflows import versions
from workflows.versions import (
    BULK_TASK_QUEUE,
    DECISIONS_BEFORE_CLOCKS,
    IMPLIED_BY,
    LOCAL_CASE_STORE,
    PER_STEP_ATTRIBUTES,
    SEALED_DECISIONS,
    SINGLE_MARKER,
    TABLE,
    Versions,
    implied,
)

WORKFLOWS = Path(versions.__file__).parent


def asked_ids() -> dict[str, list[str]]:
    """Every patch id the workflow modules ask (through `has`/`_patched`), with where."""
    asked: dict[str, list[str]] = {}
    for path in sorted(WORKFLOWS.glob("*.py")):
        if path.name == "versions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            assert node.func.attr not in ("patched", "deprecate_patch"), \
                f"{path.name}:{node.lineno} asks Temporal directly; ask through workflows/versions.py"
            if node.func.attr in ("has", "_patched", "asked") and node.args:
                arg = node.args[0]
                assert isinstance(arg, ast.Name), f"{path.name}:{node.lineno}: name the patch by its constant"
                asked.setdefault(getattr(versions, arg.id), []).append(f"{path.name}:{node.lineno}")
    return asked


def test_every_patch_the_workflows_ask_is_in_the_table_and_every_row_is_asked():
    """Asked by name, or through a patch it implies (`has` asks the implying patch first)."""
    asked = set(asked_ids())
    assert asked <= set(TABLE)
    through = set(asked)
    while missing := {IMPLIED_BY[i] for i in through if i in IMPLIED_BY} - through:
        through |= missing
    assert through == set(TABLE)
    for patch in TABLE.values():
        assert patch.changes and patch.asked and patch.horizon and patch.retire, patch.id
        assert all(i in TABLE for i in patch.implies), patch.id


def test_the_local_case_store_implies_per_step_attributes_and_the_six_before_it():
    assert implied(LOCAL_CASE_STORE) == {PER_STEP_ATTRIBUTES, *TABLE[PER_STEP_ATTRIBUTES].implies}
    assert len(TABLE[PER_STEP_ATTRIBUTES].implies) == 6
    assert implied(SEALED_DECISIONS) == frozenset()


class Recorded:
    """A stand-in for workflow.patched: answers from a set and notes what was asked, in order."""

    def __init__(self, present: set[str]) -> None:
        self.present, self.asked = present, []

    def __call__(self, patch_id: str) -> bool:
        self.asked.append(patch_id)
        return patch_id in self.present


def test_a_run_with_the_implying_patch_asks_nothing_more():
    temporal = Recorded({LOCAL_CASE_STORE})
    run = Versions(temporal)
    assert run.has(BULK_TASK_QUEUE) and run.has(PER_STEP_ATTRIBUTES) and run.has(LOCAL_CASE_STORE)
    assert temporal.asked == [SINGLE_MARKER, LOCAL_CASE_STORE]  # one marker: the implied patches leave none


def test_a_new_run_makes_one_marker_for_every_patch_it_asks():
    """A run started on this release: every patch it asks answers yes behind the one marker of
    SINGLE_MARKER (the SDK core adds a TemporalChangeVersion upsert per marker: one, not three)."""
    temporal = Recorded({SINGLE_MARKER})
    run = Versions(temporal)
    assert all(run.has(p) for p in (LOCAL_CASE_STORE, SEALED_DECISIONS, BULK_TASK_QUEUE, DECISIONS_BEFORE_CLOCKS))
    assert temporal.asked == [SINGLE_MARKER]


def test_a_v7_run_still_answers_each_patch_by_its_own_marker():
    temporal = Recorded({LOCAL_CASE_STORE, SEALED_DECISIONS, DECISIONS_BEFORE_CLOCKS})
    run = Versions(temporal)
    assert run.has(PER_STEP_ATTRIBUTES) and run.has(SEALED_DECISIONS) and run.has(DECISIONS_BEFORE_CLOCKS)
    assert temporal.asked == [SINGLE_MARKER, LOCAL_CASE_STORE, SEALED_DECISIONS, DECISIONS_BEFORE_CLOCKS]


def test_an_older_run_asks_down_the_chain_in_order_and_once_each():
    temporal = Recorded({BULK_TASK_QUEUE})
    run = Versions(temporal)
    assert run.asked(BULK_TASK_QUEUE) is None
    assert run.has(BULK_TASK_QUEUE) and run.has(BULK_TASK_QUEUE)
    assert not run.has(PER_STEP_ATTRIBUTES)
    assert temporal.asked == [SINGLE_MARKER, LOCAL_CASE_STORE, PER_STEP_ATTRIBUTES, BULK_TASK_QUEUE]
    assert run.asked(BULK_TASK_QUEUE) is True


def test_a_patch_not_in_the_table_is_never_asked():
    with pytest.raises(AssertionError, match="is not in the table"):
        Versions(Recorded(set())).has("some-new-patch")
