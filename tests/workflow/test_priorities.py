"""Task queue priority (issue 26): a case whose records are in is packaged and delivered ahead of
another case's retrieval, and an approved case's retrieval ahead of everything left unset. What a
user (an operator reading a history in the Web UI) sees: the priority key on each scheduled
activity of a real subpoena's history."""

from __future__ import annotations

import json

from les.keyring import Keyring, ensure_local_keyring
from tests.workflow.test_codec import decision, run_case


def scheduled_priorities(history_json: str) -> dict[str, set[int | None]]:
    found: dict[str, set[int | None]] = {}
    for event in json.loads(history_json)["events"]:
        attributes = event.get("activityTaskScheduledEventAttributes")
        if attributes:
            key = (attributes.get("priority") or {}).get("priorityKey")
            found.setdefault(attributes["activityType"]["name"], set()).add(key)
    return found


async def test_finishing_steps_go_first_then_retrieval_then_the_rest(tmp_path, settings, prepared_store):
    keys = tmp_path / "keys"
    ensure_local_keyring(keys)
    history = await run_case(Keyring.load(keys, environ={}), settings, "subpoena", "PRI-SUB-1", [decision()])
    priorities = scheduled_priorities(history)
    assert priorities["package_production"] == {1}
    assert priorities["deliver_production"] == {1}
    assert priorities["retrieve_records"] == {2}
    others = {name: keys for name, keys in priorities.items()
              if name not in {"package_production", "deliver_production", "retrieve_records"}}
    assert others and all(keys == {None} for keys in others.values()), others
