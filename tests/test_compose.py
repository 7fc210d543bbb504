"""docker-compose.yml and the Dockerfile, checked as far as this machine allows.

Docker cannot run here (no engine), so these tests read the files and, when Debian's
`docker-compose` is installed (CI installs it), have it validate the file (`config -q`). They
catch a renamed setting, a host or port that does not match the service it names, a missing
secret, health check or dependency, a missing package in the image or an unregistered search
attribute; not a container that fails to start. That needs a machine with Docker."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib

import pytest
import yaml

from les.temporal import CLI_TYPE_NAMES, SEARCH_ATTRIBUTES
from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
ONE_SHOT = {name for name, service in SERVICES.items() if service.get("restart") == "no"}
LONG_RUNNING = set(SERVICES) - ONE_SHOT
LES_IMAGE = {name for name, service in SERVICES.items() if "build" in service}
BROWSER_SIDE = {("temporal-ui", "TEMPORAL_CODEC_ENDPOINT")}
"""Settings a browser uses, not the container (and the codec servers' --ui-origin): they name
published ports on the host, checked apart."""


def interpolated(text: str) -> str:
    """What compose makes of a value with the variables unset: `${X:-default}` → default, `$$` → `$`."""
    text = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)
    return text.replace("$$", "$")


def command_text(service: dict) -> str:
    parts = []
    for key in ("entrypoint", "command"):
        value = service.get(key) or []
        parts += [value] if isinstance(value, str) else value
    return interpolated(" ".join(parts))


def environment(service: dict) -> dict[str, str]:
    return {key: interpolated(str(value)) for key, value in (service.get("environment") or {}).items()}


def listening_port(name: str) -> int:
    """The port the service's process listens on, read from its command or its image's default."""
    service = SERVICES[name]
    if match := re.search(r"--port (\d+)", command_text(service)):
        return int(match.group(1))
    image = service.get("image", "")
    if image.startswith("postgres:"):
        return 5432
    if image.startswith("temporalio/server:"):
        return 7233  # the frontend
    if image.startswith("temporalio/ui:"):
        return int(environment(service)["TEMPORAL_UI_PORT"])
    raise AssertionError(f"{name}: no known listening port")


def published(name: str) -> dict[int, int]:
    """Container port → host port of a service's published ports."""
    pairs = (entry.split(":") for entry in SERVICES[name].get("ports", []))
    return {int(inside): int(host) for host, inside in pairs}


ADDRESS = re.compile(r"(?:[a-z][a-z0-9+.-]*://(?:[^@/\s\"']*@)?)?\b([a-z][a-z0-9.-]*):(\d{2,5})\b")


def named_addresses(name: str) -> list[tuple[str, str, int]]:
    """(where, host, port) of every host:port and URL in a service's environment and command,
    and of the SQL host settings with their port setting (Temporal's images take them apart)."""
    service = SERVICES[name]
    command = re.sub(r"--ui-origin \S+", "", command_text(service))  # the browser's origin, checked apart
    found = [(f"{name} command", host, int(port)) for host, port in ADDRESS.findall(command)]
    env = environment(service)
    for key, value in env.items():
        if (name, key) in BROWSER_SIDE:
            continue
        found += [(f"{name} {key}", host, int(port)) for host, port in ADDRESS.findall(value)]
    for host_key, port_key in (("POSTGRES_SEEDS", "DB_PORT"), ("SQL_HOST", "SQL_PORT")):
        if host_key in env:
            found.append((f"{name} {host_key}", env[host_key], int(env[port_key])))
    return found


def test_the_stack_has_its_services():
    assert set(SERVICES) == {"temporal-db", "records-db", "temporal-schema", "temporal", "temporal-setup",
                             "temporal-ui", "codec-server", "codec-server-cleared", "mediation-simulator", "worker"}
    assert {"temporal-schema", "temporal-setup"} == ONE_SHOT
    assert published("temporal-ui") == {8080: 8233} and published("temporal") == {7233: 7233}
    assert SERVICES["temporal"]["image"].startswith("temporalio/server:")  # not auto-setup: the schema is a job


def test_every_host_a_service_names_is_a_service_listening_on_that_port():
    addresses = [address for name in SERVICES for address in named_addresses(name)]
    # The scan finds what is there: each database, the frontend and the simulator, named by their users.
    assert {(host, port) for _, host, port in addresses} == {
        ("temporal-db", 5432), ("records-db", 5432), ("temporal", 7233), ("mediation-simulator", 8733)}
    assert len(addresses) == 9, addresses
    for where, host, port in addresses:
        assert host in SERVICES, f"{where} names {host}:{port}, which is no service of the file"
        assert port == listening_port(host), f"{where} names {host}:{port}; {host} listens on {listening_port(host)}"
    assert listening_port("codec-server") == 8234 and listening_port("mediation-simulator") == 8733
    assert ("worker LES_MEDIATION_URL", "mediation-simulator", 8733) in addresses
    assert ("worker LES_TEMPORAL_ADDRESS", "temporal", 7233) in addresses


def test_the_ui_sends_the_browser_to_the_codec_server_and_the_codec_server_accepts_the_ui():
    endpoint = environment(SERVICES["temporal-ui"])["TEMPORAL_CODEC_ENDPOINT"]
    # The browser calls it: the codec server's published port on the host, not its compose name.
    match = re.fullmatch(r"http://localhost:(\d+)", endpoint)
    assert match, endpoint
    codec_port = listening_port("codec-server")
    assert int(match.group(1)) == published("codec-server")[codec_port] == 8234
    assert SERVICES["temporal-ui"]["depends_on"]["codec-server"]["condition"] == "service_healthy"
    for name in ("codec-server", "codec-server-cleared"):
        origin = re.search(r"--ui-origin (\S+)", command_text(SERVICES[name])).group(1)
        assert origin == f"http://localhost:{published('temporal-ui')[listening_port('temporal-ui')]}"
        assert re.search(r"--host 0\.0\.0\.0\b", command_text(SERVICES[name]))  # reachable from outside its container
    assert "--cleared" in command_text(SERVICES["codec-server-cleared"])
    assert "--cleared" not in command_text(SERVICES["codec-server"])
    assert environment(SERVICES["codec-server"])["LES_KEYRING_DIR"] == "/run/secrets/les_keyring_general"


def test_secrets_are_files_and_every_one_referenced_exists():
    declared = COMPOSE["secrets"]
    assert all(set(secret) == {"file"} for secret in declared.values()), declared
    for name, service in SERVICES.items():
        mounted = {entry if isinstance(entry, str) else entry["source"] for entry in service.get("secrets", [])}
        assert mounted <= set(declared), (name, mounted - set(declared))
        text = " ".join([command_text(service), *environment(service).values()])
        used = set(re.findall(r"/run/secrets/([a-z_]+)", text))
        assert used <= mounted, f"{name} reads /run/secrets/{used - mounted} without mounting it"
        for key, value in environment(service).items():  # no secret sits in an environment variable
            if re.search(r"PASSWORD|PWD|TOKEN|API_KEY|SECRET", key):
                assert key.endswith("_FILE") and value.startswith("/run/secrets/"), (name, key)
            assert not re.search(r"://[^@/:]+:[^@/]+@", value), f"{name} {key} carries a password"
    used_anywhere = {entry if isinstance(entry, str) else entry["source"]
                     for service in SERVICES.values() for entry in service.get("secrets", [])}
    assert used_anywhere == set(declared)
    for name in ("worker", "codec-server", "codec-server-cleared"):
        env = environment(SERVICES[name])
        assert env["LES_DATABASE_PASSWORD_FILE"] == "/run/secrets/records_db_password"
        assert env["LES_KEYRING_DIR"].startswith("/run/secrets/les_keyring")


def test_every_dependency_exists_with_a_condition_that_can_be_met():
    for name, service in SERVICES.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on without conditions"
        for target, how in depends.items():
            assert target in SERVICES and target != name, (name, target)
            condition = how["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[target], f"{name} waits for {target} to be healthy; it has no check"
            else:
                assert condition == "service_completed_successfully" and target in ONE_SHOT, (name, target, condition)
    assert SERVICES["temporal"]["depends_on"]["temporal-schema"]["condition"] == "service_completed_successfully"
    assert SERVICES["worker"]["depends_on"]["temporal-setup"]["condition"] == "service_completed_successfully"


def test_every_long_running_service_has_a_health_check_on_its_own_port():
    for name in LONG_RUNNING:
        check = SERVICES[name].get("healthcheck")
        assert check and check["test"][0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"
        if name != "worker":  # the worker listens on nothing: its check asks the server whether it polls
            ports = {int(p) for p in re.findall(r"\b\d{4,5}\b", " ".join(check["test"]))}
            assert ports == {listening_port(name)}, (name, ports)
    assert SERVICES["worker"]["healthcheck"]["test"] == ["CMD", "python", "-m", "les.health", "worker"]
    assert SERVICES["worker"]["deploy"]["replicas"] >= 2


def test_the_schema_job_sets_up_both_temporal_databases():
    script = command_text(SERVICES["temporal-schema"])
    for database in ("temporal", "temporal_visibility"):
        assert f"--db {database} setup-schema -v 0.0" in script
        kind = "temporal" if database == "temporal" else "visibility"
        assert f"--db {database} update-schema -d /etc/temporal/schema/postgresql/v12/{kind}/versioned" in script
    assert "create-database" in script and "for db in temporal temporal_visibility" in script
    env = environment(SERVICES["temporal"])
    assert (env["DBNAME"], env["VISIBILITY_DBNAME"]) == ("temporal", "temporal_visibility")


def test_the_worker_is_given_only_settings_it_reads():
    read = set(re.findall(r'env\("(LES_[A-Z0-9_]+)"', (REPO / "les" / "config.py").read_text()))
    for name in LES_IMAGE:
        given = set(SERVICES[name].get("environment") or {})
        assert given <= read, (name, given - read)
    assert environment(SERVICES["worker"])["LES_DATABASE_URL"] == "postgresql+psycopg2://les@records-db:5432/les"


def test_every_search_attribute_the_workflows_upsert_is_registered():
    command = command_text(SERVICES["temporal-setup"])
    registered = dict(re.findall(r"--name (\w+) --type (\w+)", command))
    assert registered == {key.name: CLI_TYPE_NAMES[key.indexed_value_type.name] for key in SEARCH_ATTRIBUTES}
    assert registered["LesWaitingFor"] == "KeywordList" and registered["LesSecrecyBinds"] == "Bool"
    # One create per attribute: on a server that already has the older ones, the new ones still get added.
    assert command.count("search-attribute create") == len(SEARCH_ATTRIBUTES)
    # The plain server has no namespace of its own (auto-setup made `default`): the job creates it.
    assert "operator namespace create" in command
    assert environment(SERVICES["temporal-setup"])["TEMPORAL_NAMESPACE"] == \
        environment(SERVICES["worker"])["LES_TEMPORAL_NAMESPACE"]


def test_the_image_carries_every_package_of_the_project():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    dockerfile = (REPO / "Dockerfile").read_text()
    for package in project["tool"]["setuptools"]["packages"]:
        top = package.split(".")[0]  # COPY of the top folder carries its subpackages' files
        assert f"COPY {top} {top}" in dockerfile
    for module in project["tool"]["setuptools"]["py-modules"]:
        assert f"{module}.py" in dockerfile


def test_every_package_folder_is_installed():
    """setuptools installs only the packages listed, not their subpackages: a folder with an
    __init__.py left out (recordstore.migrations, say) would be missing from the image."""
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    tops = {package.split(".")[0] for package in listed}
    folders = {str(init.parent.relative_to(REPO)).replace("/", ".")
               for top in tops for init in (REPO / top).rglob("__init__.py")}
    assert folders - listed == set()


def test_the_les_services_run_unprivileged_and_the_worker_writes_only_its_state_and_deliveries():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "USER 10001:10001" in dockerfile and "useradd --system --uid 10001" in dockerfile
    assert "chown les:les /var/lib/les /deliveries\n" in dockerfile  # the only folders it owns
    for name in LES_IMAGE:
        service = SERVICES[name]
        assert service["user"] == "10001:10001", name
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
    worker = SERVICES["worker"]
    writable = {v.split(":")[1] for v in worker["volumes"] if not v.endswith(":ro")}
    assert writable == {worker["environment"]["LES_STATE_DIR"], worker["environment"]["LES_DELIVERY_ROOT"]}
    assert "documents:/documents:ro" in worker["volumes"]


def test_docker_compose_accepts_the_file(tmp_path):
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("Debian's docker-compose is not installed here (CI installs it: apt-get install docker-compose)")
    secrets = tmp_path / "secrets"
    for folder in ("keyring", "keyring-general"):
        (secrets / folder).mkdir(parents=True)
    for name in ("temporal_db_password", "records_db_password", "codec-tokens.json"):
        (secrets / name).write_text("dummy\n")
    checked = subprocess.run([binary, "-f", str(REPO / "docker-compose.yml"), "config", "-q"], capture_output=True,
                             text=True, timeout=60, cwd=tmp_path, env={**os.environ, "LES_SECRETS_DIR": str(secrets)})
    assert checked.returncode == 0, checked.stderr
