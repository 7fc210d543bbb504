"""docker-compose.yml and the Dockerfile, checked as far as this machine allows.

Docker cannot run here (no engine, no compose plugin), so these tests read the files:
they catch a renamed setting, a missing package in the image or an unregistered search
attribute, not a container that fails to start. That needs a machine with Docker."""

from __future__ import annotations

import re
import tomllib

import yaml

from les.temporal import CLI_TYPE_NAMES, SEARCH_ATTRIBUTES
from tests.conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_the_stack_has_its_services():
    assert set(COMPOSE["services"]) == {"postgres", "temporal", "temporal-admin-tools", "temporal-ui", "worker"}
    assert COMPOSE["services"]["temporal-ui"]["ports"] == ["8233:8080"]


def test_the_worker_is_given_only_settings_it_reads():
    read = set(re.findall(r'env\("(LES_[A-Z_]+)"', (REPO / "les" / "config.py").read_text()))
    given = set(COMPOSE["services"]["worker"]["environment"])
    assert given <= read, given - read
    assert COMPOSE["services"]["worker"]["environment"]["LES_DATABASE_URL"].startswith("postgresql+psycopg2://")


def test_every_search_attribute_the_workflows_upsert_is_registered():
    command = " ".join(COMPOSE["services"]["temporal-admin-tools"]["entrypoint"])
    registered = dict(re.findall(r"--name (\w+) --type (\w+)", command))
    assert registered == {key.name: CLI_TYPE_NAMES[key.indexed_value_type.name] for key in SEARCH_ATTRIBUTES}
    assert registered["LesWaitingFor"] == "KeywordList" and registered["LesSecrecyBinds"] == "Bool"
    # One create per attribute: on a server that already has the older ones, the new ones still get added.
    assert command.count("search-attribute create") == len(SEARCH_ATTRIBUTES)


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


def test_the_worker_runs_unprivileged_and_writes_only_its_state_and_deliveries():
    worker = COMPOSE["services"]["worker"]
    dockerfile = (REPO / "Dockerfile").read_text()
    assert worker["user"] == "10001:10001" and "USER 10001:10001" in dockerfile
    assert "useradd --system --uid 10001" in dockerfile
    assert "chown les:les /var/lib/les /deliveries\n" in dockerfile  # the only folders it owns
    assert worker["read_only"] is True and worker["cap_drop"] == ["ALL"]
    writable = {v.split(":")[1] for v in worker["volumes"] if not v.endswith(":ro")}
    assert writable == {worker["environment"]["LES_STATE_DIR"], worker["environment"]["LES_DELIVERY_ROOT"]}
    assert "documents:/documents:ro" in worker["volumes"]
