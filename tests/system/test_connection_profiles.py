"""Temporal connection profiles (les/temporal_profile.py, `temporalio.envconfig`) and secrets read
from files (LES_DATABASE_PASSWORD_FILE), as an operator deploying LES would use them.

The dev server speaks neither TLS nor API keys, so those are checked on the connect options the
product builds (what it hands `Client.connect`), not on a TLS handshake."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from les.config import ConfigurationError, Settings
from les.temporal import SEARCH_ATTRIBUTES, connect_config, data_converter, workflow_id_for
from tests.conftest import BIN, REPO, environ_without_les
from tests.person_support import signed_in_env

NAMESPACE = "les-profiles"


def write_profile(folder: Path, text: str) -> Path:
    path = folder / "temporal.toml"
    path.write_text(text)
    return path


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / script), *args], capture_output=True, text=True, timeout=60,
                          env={**environ_without_les(), **env}, cwd=REPO)


def settings_from(monkeypatch, env: dict[str, str]) -> Settings:
    """Settings.from_env() with exactly these Temporal/LES variables (the developer's own removed)."""
    for key in list(os.environ):
        if key.startswith(("LES_", "TEMPORAL_")):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.from_env()


@pytest.fixture(scope="module")
def jdoe(oidc_provider, database_url, prepared_store, codec_servers, tmp_path_factory) -> dict[str, str]:
    """What jdoe's shell adds (issue 20, SPEC §6: starter.py acts as the signed-in person and reads
    through the codec servers): signed in once (`starter.py login jdoe --password-stdin`), the provider,
    the roster's store and the session's codec servers."""
    return signed_in_env("jdoe", tmp_path_factory.mktemp("profiles-jdoe"), oidc_provider, database_url,
                         codec_servers)


async def starter_here(monkeypatch, capsys, env: dict[str, str], request_id: str = "PROFILE-0001"):
    """`starter.py status` in this process (console/cli.main, what starter.py runs): exit status, stdout, stderr."""
    from console.cli import main

    capsys.readouterr()
    settings_from(monkeypatch, env)  # the environment the command reads
    code = await main(["status", request_id])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.devserver
async def test_the_starter_finds_its_server_and_namespace_in_a_profile_file(
        tmp_path, keyring, keyring_dir, prepared_store, database_url, settings, monkeypatch, capsys, jdoe):
    from dataclasses import replace

    from temporalio.testing import WorkflowEnvironment

    from domain.case import CaseState
    from tests.workflow_support import example, running_worker, submit, wait_for_state

    env = await WorkflowEnvironment.start_local(
        namespace=NAMESPACE, dev_server_existing_path=str(BIN / "temporal"), search_attributes=list(SEARCH_ATTRIBUTES),
        data_converter=data_converter(keyring), dev_server_log_level="error",
    )
    try:
        address = env.client.service_client.config.target_host
        profile = write_profile(tmp_path, f'''
[profile.default]
address = "127.0.0.1:1"

[profile.les]
address = "{address}"
namespace = "{NAMESPACE}"
''')
        settings = replace(settings, temporal_address=address, temporal_namespace=NAMESPACE)
        async with running_worker(env.client, settings):
            handle = await submit(env.client, settings, example("subpoena", "PROFILE-0001"))
            await wait_for_state(handle, CaseState.AWAITING_APPROVAL)
            base = {**jdoe, "TEMPORAL_CONFIG_FILE": str(profile), "LES_KEYRING_DIR": str(keyring_dir)}
            # The starter as an operator runs it, in a process of its own (the worker answers here).
            shown = await asyncio.to_thread(run, "starter.py", "status", "PROFILE-0001",
                                            env={**base, "TEMPORAL_PROFILE": "les"})
            assert shown.returncode == 0, shown.stderr
            assert shown.stdout.startswith("subpoena PROFILE-0001: awaiting_approval\n")

            # The readiness check of a worker container, through the same profile.
            from console.health import worker_polls

            on_queue = {**base, "TEMPORAL_PROFILE": "les", "LES_TASK_QUEUE": settings.task_queue}
            checked = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "console.health", "ready"],
                                              capture_output=True, text=True, timeout=60, cwd=REPO,
                                              env={**environ_without_les(), **on_queue})
            assert (checked.returncode, checked.stderr) == (0, "")  # this host's worker polls
            assert not await worker_polls(settings_from(monkeypatch, on_queue), "another-container")

            # An explicit LES_TEMPORAL_NAMESPACE wins over the profile's: the case is not in `default`.
            code, out, err = await starter_here(monkeypatch, capsys, {**base, "TEMPORAL_PROFILE": "les",
                                                                      "LES_TEMPORAL_NAMESPACE": "default"})
            assert code != 0 and out == "" and len(err.splitlines()) == 1

            # Without TEMPORAL_PROFILE the file's `default` profile is used: nothing answers there.
            code, out, err = await starter_here(monkeypatch, capsys, base)
            assert code == 3
            assert err.startswith("starter: cannot reach the Temporal server at 127.0.0.1:1 (")
            assert err.endswith(f"; check the Temporal profile 'default' of {profile}\n")
        assert (await handle.describe()).id == workflow_id_for("PROFILE-0001")
    finally:
        await env.shutdown()


def test_tls_and_api_key_of_the_profile_reach_the_connection(tmp_path, monkeypatch):
    for name, content in (("client.pem", "CLIENT CERT"), ("client.key", "CLIENT KEY"), ("ca.pem", "CA CERT")):
        (tmp_path / name).write_text(content)
    profile = write_profile(tmp_path, f'''
[profile.cloud]
address = "les-prod.a1b2c.tmprl.cloud:7233"
namespace = "les-prod.a1b2c"
api_key = "key-from-the-file"

[profile.cloud.tls]
server_name = "les-prod.a1b2c.tmprl.cloud"
server_ca_cert_path = "{tmp_path / 'ca.pem'}"
client_cert_path = "{tmp_path / 'client.pem'}"
client_key_path = "{tmp_path / 'client.key'}"
''')
    env = {"TEMPORAL_CONFIG_FILE": str(profile), "TEMPORAL_PROFILE": "cloud"}
    settings = settings_from(monkeypatch, env)
    options = connect_config(settings)
    assert options["target_host"] == settings.temporal_address == "les-prod.a1b2c.tmprl.cloud:7233"
    assert options["namespace"] == settings.temporal_namespace == "les-prod.a1b2c"
    assert options["api_key"] == "key-from-the-file"
    tls = options["tls"]
    assert (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert) == (b"CLIENT CERT", b"CLIENT KEY",
                                                                                   b"CA CERT")
    assert tls.domain == "les-prod.a1b2c.tmprl.cloud"

    # The SDK's variables override the file; ours override both (the documented precedence).
    options = connect_config(settings_from(monkeypatch, {**env, "TEMPORAL_API_KEY": "key-from-the-env",
                                                         "TEMPORAL_NAMESPACE": "from-temporal-env",
                                                         "LES_TEMPORAL_ADDRESS": "temporal.internal:7233"}))
    assert options["api_key"] == "key-from-the-env" and options["namespace"] == "from-temporal-env"
    assert options["target_host"] == "temporal.internal:7233" and options["tls"].client_cert == b"CLIENT CERT"

    # Variables alone, no file: TLS client certificate and API key (API key alone turns TLS on).
    options = connect_config(settings_from(monkeypatch, {
        "TEMPORAL_ADDRESS": "temporal.example:7233", "TEMPORAL_API_KEY": "k",
        "TEMPORAL_TLS_CLIENT_CERT_PATH": str(tmp_path / "client.pem"),
        "TEMPORAL_TLS_CLIENT_KEY_PATH": str(tmp_path / "client.key")}))
    assert options["target_host"] == "temporal.example:7233" and options["namespace"] == "default"
    assert options["api_key"] == "k" and options["tls"].client_private_key == b"CLIENT KEY"

    # Nothing configured: the local default, plain text, as before profiles existed.
    empty = write_profile(tmp_path, "")
    assert connect_config(settings_from(monkeypatch, {"TEMPORAL_CONFIG_FILE": str(empty)})) == {
        "target_host": "localhost:7233", "namespace": "default"}


@pytest.mark.parametrize("case", ["unknown profile", "no such file", "a folder", "not TOML", "missing certificate"])
async def test_a_profile_that_cannot_be_used_is_one_clear_line(tmp_path, keyring_dir, case, monkeypatch,
                                                                 capsys, jdoe):
    good = write_profile(tmp_path, '[profile.les]\naddress = "127.0.0.1:1"\n'
                                   f'[profile.les.tls]\nclient_cert_path = "{tmp_path / "gone.pem"}"\n'
                                   f'client_key_path = "{tmp_path / "gone.key"}"\n')
    (tmp_path / "bad.toml").write_text("[profile.les\naddress = ")
    env, expected = {
        "unknown profile": ({"TEMPORAL_CONFIG_FILE": str(good), "TEMPORAL_PROFILE": "prod"},
                            f"starter: Temporal connection profile 'prod' ({good}): Profile 'prod' not found\n"),
        "no such file": ({"TEMPORAL_CONFIG_FILE": str(tmp_path / "nowhere.toml")},
                         f"starter: TEMPORAL_CONFIG_FILE {tmp_path / 'nowhere.toml'}: cannot read it "
                         "(No such file or directory)\n"),
        "a folder": ({"TEMPORAL_CONFIG_FILE": str(tmp_path)},
                     f"starter: TEMPORAL_CONFIG_FILE {tmp_path}: cannot read it (it is a folder)\n"),
        "not TOML": ({"TEMPORAL_CONFIG_FILE": str(tmp_path / "bad.toml"), "TEMPORAL_PROFILE": "les"}, None),
        "missing certificate": ({"TEMPORAL_CONFIG_FILE": str(good), "TEMPORAL_PROFILE": "les"},
                                f"starter: Temporal profile 'les' of {good}: cannot read the TLS file "
                                f"{tmp_path / 'gone.pem'}: No such file or directory\n"),
    }[case]
    code, out, err = await starter_here(monkeypatch, capsys, {**jdoe, **env, "LES_KEYRING_DIR": str(keyring_dir)})
    assert code == 4 and out == ""  # a configuration error, not an outage (console/errors.py)
    if expected is not None:
        assert err == expected
    else:
        assert err.startswith(f"starter: Temporal connection profile 'les' ({tmp_path / 'bad.toml'}): ")
        assert "TOML parse error" in err and len(err.splitlines()) == 1


def test_the_worker_refuses_an_unreadable_password_file_in_one_line(tmp_path, keyring_dir):
    """worker.py as a container starts it, its secret not mounted: one line and a non-zero exit
    (a bad profile takes the same path as the starter's above: TemporalUnavailable, exit 3)."""
    missing = str(tmp_path / "none")
    shown = run("worker.py", env={"LES_DATABASE_URL": "postgresql+psycopg2://les@127.0.0.1:1/les",
                                  "LES_DATABASE_PASSWORD_FILE": missing, "LES_KEYRING_DIR": str(keyring_dir)})
    assert (shown.returncode, shown.stdout, shown.stderr) == (
        2, "", f"worker: LES_DATABASE_PASSWORD_FILE {missing}: cannot read it (No such file or directory)\n")


def test_the_worker_refuses_an_unknown_workflow_sandbox_in_one_line(tmp_path, keyring_dir):
    shown = run("worker.py", env={"LES_WORKFLOW_SANDBOX": "loose", "LES_KEYRING_DIR": str(keyring_dir),
                                  "LES_STATE_DIR": str(tmp_path)})
    assert (shown.returncode, shown.stdout, shown.stderr) == (
        2, "", "worker: LES_WORKFLOW_SANDBOX='loose' is not one of off, shared, strict\n")


@pytest.mark.parametrize("value", ["0", "-5", "many", "1e4"])
def test_the_worker_refuses_a_workflow_cache_that_is_not_a_count_in_one_line(tmp_path, keyring_dir, value):
    shown = run("worker.py", env={"LES_WORKFLOW_CACHE": value, "LES_KEYRING_DIR": str(keyring_dir),
                                  "LES_STATE_DIR": str(tmp_path)})
    assert (shown.returncode, shown.stdout, shown.stderr) == (
        2, "", f"worker: LES_WORKFLOW_CACHE={value!r} is not a whole number of workflows (at least 1)\n")


async def test_the_workflow_cache_reaches_the_worker(monkeypatch, settings, time_skipping_env):
    """LES_WORKFLOW_CACHE is read as the setting and given to the SDK's worker as max_cached_workflows."""
    import dataclasses
    from concurrent.futures import ThreadPoolExecutor

    from worker import build_worker

    monkeypatch.setenv("LES_WORKFLOW_CACHE", "2500")
    assert Settings.from_env().workflow_cache == 2500
    monkeypatch.delenv("LES_WORKFLOW_CACHE")
    assert Settings.from_env().workflow_cache == 1000
    with ThreadPoolExecutor(max_workers=2) as executor:
        async with build_worker(time_skipping_env.client, dataclasses.replace(settings, workflow_cache=2500),
                                executor) as worker:
            assert worker.config()["max_cached_workflows"] == 2500


def test_the_worker_runs_workflows_unsandboxed_unless_told_otherwise(monkeypatch):
    """`off` (the default) runs workflow code without Temporal's sandbox; `shared` passes the
    project's packages through it; `strict` is the SDK's own sandbox (les/sandbox.py)."""
    from temporalio.worker import UnsandboxedWorkflowRunner
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    from les.sandbox import PROJECT_PACKAGES, workflow_runner

    monkeypatch.delenv("LES_WORKFLOW_SANDBOX", raising=False)
    assert Settings.from_env().workflow_sandbox == "off"
    assert isinstance(workflow_runner("off"), UnsandboxedWorkflowRunner)
    shared, strict = workflow_runner("shared"), workflow_runner("strict")
    assert isinstance(shared, SandboxedWorkflowRunner) and isinstance(strict, SandboxedWorkflowRunner)
    assert set(PROJECT_PACKAGES) <= shared.restrictions.passthrough_modules
    assert not set(PROJECT_PACKAGES) & strict.restrictions.passthrough_modules
    monkeypatch.setenv("LES_WORKFLOW_SANDBOX", "strict")
    assert Settings.from_env().workflow_sandbox == "strict"


def test_the_database_password_is_read_from_a_secret_file(tmp_path, monkeypatch):
    secret = tmp_path / "db_password"
    secret.write_text("s3cr:t/@pw\n")  # as `echo pw > file` writes it; URL-special characters escaped
    settings = settings_from(monkeypatch, {"LES_DATABASE_URL": "postgresql+psycopg2://les@records-db:5432/les",
                                           "LES_DATABASE_PASSWORD_FILE": str(secret)})
    from sqlalchemy.engine import make_url

    from les.config import redacted_url

    url = make_url(settings.database_url)
    assert (url.username, url.password, url.host, url.database) == ("les", "s3cr:t/@pw", "records-db", "les")
    assert "s3cr" not in redacted_url(settings.database_url)

    for env, message in (
        ({"LES_DATABASE_PASSWORD_FILE": str(tmp_path / "none")},
         "LES_DATABASE_PASSWORD_FILE is set but LES_DATABASE_URL is SQLite, which has none"),
        ({"LES_DATABASE_URL": "postgresql+psycopg2://les@db/les", "LES_DATABASE_PASSWORD_FILE": str(tmp_path / "none")},
         f"LES_DATABASE_PASSWORD_FILE {tmp_path / 'none'}: cannot read it (No such file or directory)"),
    ):
        with pytest.raises(ConfigurationError) as refused:
            settings_from(monkeypatch, env)
        assert str(refused.value) == message


def test_stack_up_starts_no_dev_server_when_the_profile_names_another_machine(tmp_path, monkeypatch, capsys):
    from console.stack import temporal_service

    profile = write_profile(tmp_path, '[profile.default]\naddress = "temporal.carrier.internal:7233"\n')
    remote = settings_from(monkeypatch, {"TEMPORAL_CONFIG_FILE": str(profile), "LES_STATE_DIR": str(tmp_path)})
    assert temporal_service(remote, 8233, "http://127.0.0.1:8234") is None
    assert capsys.readouterr().out == ("Temporal is at temporal.carrier.internal:7233, not on this machine; "
                                       "using it (no dev server)\n")
    # The local default still gets its dev server (the command is built, not started).
    local = settings_from(monkeypatch, {"LES_TEMPORAL_ADDRESS": "127.0.0.1:1", "LES_STATE_DIR": str(tmp_path)})
    service = temporal_service(local, 8233, "http://127.0.0.1:8234")
    assert service is not None and list(service.command[1:5]) == ["server", "start-dev", "--db-filename",
                                                                  str(tmp_path / "temporal.db")]
    assert service.command[service.command.index("--port") + 1] == "1"
