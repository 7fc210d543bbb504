"""workflows/handlers.py: every request workflow declares all eighteen decision handlers under the
names of one table, with the descriptions the Web UI lists, and the status query."""

from __future__ import annotations

from domain.vocabulary import DecisionName
from workflows import ALL_WORKFLOWS, WORKFLOW_FOR_TYPE
from workflows.handlers import HANDLERS, describe


def test_the_table_names_a_signal_and_an_answered_update_for_every_decision():
    assert set(HANDLERS) == set(DecisionName)
    assert all(signal == str(name) and update == f"{name}_sync" for name, (signal, update) in HANDLERS.items())


def test_every_request_workflow_registers_them_with_its_plan_s_descriptions():
    for request_type, cls in WORKFLOW_FOR_TYPE.items():
        definition = cls.__temporal_workflow_definition
        assert set(definition.queries) == {"status"}, request_type
        for name, (signal, update) in HANDLERS.items():
            assert definition.signals[signal].description == describe(cls.plan, name)
            assert definition.updates[update].description.startswith(describe(cls.plan, name))
            assert definition.updates[update].validator is not None
    names = {cls.__temporal_workflow_definition.name for cls in ALL_WORKFLOWS}
    assert len(names) == len(ALL_WORKFLOWS) == 11
