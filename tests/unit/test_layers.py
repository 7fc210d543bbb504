"""No import runs upward: each package of the project imports only the packages below it.

domain (pure rules) < les (plumbing) < recordstore < mediation < activities < workflows <
console (the programs) < the entry scripts (worker.py, starter.py, stack.py). Every import is
read from the source with `ast`, those inside functions included, so a lazy import that would
run upward is caught as well as a module-level one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["domain", "les", "recordstore", "mediation", "activities", "workflows", "console"]
RANK = {name: rank for rank, name in enumerate(LAYERS)}
ENTRY_SCRIPTS = {"worker", "starter", "stack"}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, top-level module) of every absolute import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def upward_imports() -> list[str]:
    wrong = []
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, target in imports_of(path):
                if target in ENTRY_SCRIPTS or target in ("tests", "bench"):
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
                elif target in RANK and RANK[target] > RANK[package]:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target} (above {package})")
    return wrong


def test_no_package_imports_a_package_above_it():
    assert upward_imports() == []


@pytest.mark.parametrize("package", LAYERS)
def test_every_layer_is_a_package_that_exists(package):
    assert (ROOT / package / "__init__.py").is_file()


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The check itself: a lazy import of workflows inside les is reported."""
    for package in LAYERS:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "les" / "bad.py").write_text("def f():\n    from workflows import case_desk\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert upward_imports() == ["les/bad.py:2 imports workflows (above les)"]
