"""Every activity contract lives in domain/contracts.py (issue 25): each activity takes and answers
models of that module or plain builtins, and no activity module defines a model of its own.

The activities are found by walking activities/ for @activity.defn methods, and the walk is checked
against what `build_activities` registers, so an activity added anywhere is held to the rule."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import types
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

import activities
from domain import contracts
from domain.contracts import (
    Authorization,
    CollectEventsInput,
    DeliverInput,
    LetterInput,
    PackageInput,
    ProductionRef,
    RetrieveInput,
)
from domain.verification import CheckResult
from domain.vocabulary import RecordCategory

EXCEPTIONS = {CheckResult: "SPEC §2's verdict: the pure verification's own result, printed by `check` too"}
BUILTINS = (str, int, float, bool, bytes, dict, list, type(None))


def activity_methods() -> dict[str, typing.Callable]:
    """name -> function of every @activity.defn method of a class in activities/."""
    found = {}
    for info in pkgutil.iter_modules(activities.__path__):
        module = importlib.import_module(f"activities.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for name, function in inspect.getmembers(cls, inspect.isfunction):
                if hasattr(function, "__temporal_activity_definition"):
                    found[name] = function
    return found


def registered_names() -> set[str]:
    """The activities `build_activities` hands the worker, read from its source (no database needed)."""
    tree = ast.parse(Path(activities.__file__).read_text(encoding="utf-8"))
    build = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build_activities")
    returned = next(n for n in ast.walk(build) if isinstance(n, ast.Return))
    assert isinstance(returned.value, ast.List)
    return {element.attr for element in returned.value.elts if isinstance(element, ast.Attribute)}


def outside_the_contracts(annotation: object) -> list[str]:
    """The parts of an annotation that are neither a contract, nor a builtin, nor a named exception."""
    parts = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    wrong = []
    for part in parts:
        origin = typing.get_origin(part) or part
        if origin in BUILTINS or part in EXCEPTIONS:
            wrong += [w for arg in typing.get_args(part) for w in outside_the_contracts(arg)]
        elif not (inspect.isclass(part) and part.__module__ == contracts.__name__):
            wrong.append(f"{getattr(part, '__module__', '?')}.{getattr(part, '__qualname__', part)}")
    return wrong


def test_the_walk_finds_every_registered_activity():
    assert set(activity_methods()) == registered_names()


def test_every_activity_takes_and_answers_only_contracts():
    wrong = {}
    for name, function in activity_methods().items():
        hints = typing.get_type_hints(function)
        assert "return" in hints, f"{name} has no return annotation"
        for parameter, annotation in hints.items():
            if outside_the_contracts(annotation):
                wrong[f"{name}({parameter})"] = outside_the_contracts(annotation)
    assert wrong == {}


def test_no_activity_module_defines_a_model_of_its_own():
    defined = []
    for info in pkgutil.iter_modules(activities.__path__):
        module = importlib.import_module(f"activities.{info.name}")
        defined += [f"{module.__name__}.{name}" for name, cls in inspect.getmembers(module, inspect.isclass)
                    if cls.__module__ == module.__name__ and issubclass(cls, BaseModel)]
    assert defined == []


def test_the_check_sees_a_model_from_elsewhere():
    class Stray(BaseModel):
        x: int

    assert outside_the_contracts(Stray) == [f"{__name__}.test_the_check_sees_a_model_from_elsewhere.<locals>.Stray"]
    assert outside_the_contracts(RetrieveInput | None) == []
    assert outside_the_contracts(list[Stray]) != []


# ---- one production reference ------------------------------------------------------------------

@pytest.mark.parametrize("model", [RetrieveInput, PackageInput, LetterInput, DeliverInput, CollectEventsInput])
def test_every_production_input_is_a_production_ref(model):
    assert issubclass(model, ProductionRef)
    assert not {"production_id"} & set(model.model_fields)  # derived, never given


def test_the_production_id_is_derived_from_the_request_and_the_number():
    ref = ProductionRef(request_id="LES-2026-000104", production_no=7)
    assert ref.production_id == "LES-2026-000104-P07"
    assert ProductionRef(request_id="LES-2026-000104").production_id == "LES-2026-000104-P01"


def test_the_json_still_names_the_production_and_an_old_input_still_reads():
    """Histories and workers of the release before carry production_id: written, and ignored when read."""
    retrieval = RetrieveInput(request_id="LES-1", production_no=2, category=RecordCategory.SUBSCRIBER_INFO,
                              document={})
    written = retrieval.model_dump(mode="json")
    assert written["production_id"] == "LES-1-P02"
    old = {**written, "production_id": "LES-1-P02/../../elsewhere"}
    assert RetrieveInput.model_validate(old) == retrieval
    assert RetrieveInput.model_validate(old).production_id == "LES-1-P02"


def test_an_ill_formed_request_has_no_production_id():
    with pytest.raises(ValueError, match="a request_id is"):
        _ = ProductionRef(request_id="../x").production_id


# ---- the roster's answer -----------------------------------------------------------------------

def test_an_answer_recorded_before_the_roster_gave_roles_still_reads():
    """workflows/case_desk.py reads `authorized` and `reason` when `roster` is None (old histories)."""
    old = Authorization.model_validate({"authorized": False, "reason": "mallory is not on the roster",
                                        "display_name": None})
    assert (old.roster, old.authorized, old.reason) == (None, False, "mallory is not on the roster")
    assert Authorization.model_validate({"authorized": True, "display_name": "John Doe"}).authorized is True
