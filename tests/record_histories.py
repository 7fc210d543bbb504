"""Record workflow histories for the replay test: `.venv/bin/python -m tests.record_histories`.

Runs each scenario on the time-skipping server against a throw-away SQLite store and saves
its event history under tests/histories/. Re-record only for a NEW workflow version; the
files already there are what running workflows look like and must keep replaying."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain.case import CaseState
from les.config import Settings
from les.temporal import data_converter, load_keyring, register_search_attributes
from recordstore.db import create_schema, make_engine, make_session_factory
from recordstore.generator import place_examples, seed_roster
from tests.workflow_support import dated, decision, example, finish, running_worker, submit, wait_for_state
from workflows import SubpoenaWorkflow

HISTORIES = Path(__file__).parent / "histories"
VERSION = "v1"


async def approve(env, handle):
    await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
    await handle.signal(SubpoenaWorkflow.approve, {"role": "analyst"})  # refused: no actor
    await handle.execute_update(SubpoenaWorkflow.approve_sync, decision())


async def info_then_reject(env, handle):
    await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
    await handle.signal(SubpoenaWorkflow.request_info, decision(question="Which subscriber?"))
    await wait_for_state(handle, CaseState.AWAITING_INFO)
    await handle.signal(SubpoenaWorkflow.provide_info, decision(info="The current one."))
    await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
    await handle.signal(SubpoenaWorkflow.reject, decision(note="overbroad"))


async def overdue_then_withdraw(env, handle):
    await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
    await env.sleep(timedelta(days=30))
    await handle.signal(SubpoenaWorkflow.withdraw, decision(note="agency withdrew"))


SCENARIOS = {"approve": approve, "info_then_reject": info_then_reject, "overdue_then_withdraw": overdue_then_withdraw}


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        settings = replace(Settings.from_env(), database_url=f"sqlite:///{scratch}/records.db",
                           delivery_root=Path(scratch) / "deliveries", documents_root=Path(scratch) / "docs")
        engine = make_engine(settings.database_url)
        create_schema(engine)
        place_examples(engine)
        with make_session_factory(engine)() as session:
            seed_roster(session)
            session.commit()
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
            data_converter=data_converter(load_keyring(settings)),
        )
        async with env:
            await register_search_attributes(env.client, "default")
            async with running_worker(env.client, settings):
                for name, scenario in SCENARIOS.items():
                    document = dated(example("subpoena", f"REPLAY-{name}"), await env.get_current_time())
                    handle = await submit(env.client, settings, document)
                    await scenario(env, handle)
                    await finish(env, handle)
                    history = await handle.fetch_history()
                    path = HISTORIES / f"subpoena_{VERSION}_{name}.json"
                    path.write_text(history.to_json())
                    print(f"recorded {path.relative_to(Path.cwd())} ({len(history.events)} events)")


if __name__ == "__main__":
    asyncio.run(main())
