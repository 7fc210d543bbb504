"""Untrusted text never names a path: hostile request ids through every door (issue 5).

Every root lives deep inside the test's own temporary folder, with canary files beside it, so even
a regression can only touch what the test made. Each door must refuse, leave the canaries intact
and create nothing outside the roots."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.production import ProductionActivities
from activities.records import RecordsActivities
from activities.verification import VerificationActivities
from console.cli import main as starter
from domain.case import RequestSubmission, Resolution
from domain.contracts import DeliverInput, PackageInput, RetrieveInput, VerifyInput
from domain.vocabulary import RecordCategory, Verdict
from les import paths
from recordstore.db import create_schema, make_engine, make_session_factory
from tests.workflow_support import example, running_worker
from workflows import SubpoenaWorkflow

PRODUCED_AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CANARY = b"still here\n"

HOSTILE_IDS = {
    "parent traversal": "../../../../pwned",
    "traversal under a good prefix": "LES-2026-000101/../../../pwned",
    "dot dot": "..",
    "dot": ".",
    "backslashes": "..\\..\\..\\pwned",
    "absolute path": "{sandbox}/outside/pwned",
    "percent-encoded traversal": "%2e%2e%2f%2e%2e%2fpwned",
    "NUL": "LES-1\x00/../../pwned",
    "newline at the end": "LES-2026-000101\n",
    "tab": "LES\t2026",
    "escape sequence": "LES-\x1b[2J",
    "fullwidth dots and solidus": "\uff0e\uff0e\uff0f\uff0e\uff0e\uff0fpwned",
    "one-dot leaders": "\u2024\u2024/\u2024\u2024/pwned",
    "division slash": "LES\u2215..\u2215pwned",
    "other script's digits": "LES-\u0662\u0660\u0662\u0666",
    "65 characters": "A" * 65,
    "empty": "",
    "leading dot": ".staging",
    "leading dash": "-rf",
    "surrounding space": " LES-1 ",
}
CASES = pytest.mark.parametrize("hostile", list(HOSTILE_IDS.values()), ids=list(HOSTILE_IDS))
HARMLESS_AS_FILE_NAMES = {"percent-encoded traversal", "other script's digits", "65 characters", "leading dot",
                          "leading dash", "surrounding space"}
"""Not request ids, but one plain path component each: a document or log may be named so."""
HOSTILE_NAMES = {k: v for k, v in HOSTILE_IDS.items() if k not in HARMLESS_AS_FILE_NAMES}


@pytest.fixture
def sandbox(tmp_path, settings):
    """Roots nested deep in tmp_path, canaries beside them, and settings pointing at those roots."""
    top = tmp_path / "sandbox"
    service = top / "a" / "b" / "c" / "d" / "e" / "f" / "srv"
    delivery_root, documents_root = service / "deliveries", service / "documents"
    for folder in (delivery_root, documents_root / "LES-2026-000101", top / "outside", service / "keep"):
        folder.mkdir(parents=True)
    for canary in (service / "canary.txt", service / "keep" / "canary.txt", top / "outside" / "canary.txt",
                   documents_root / "LES-2026-000101" / "subpoena-GJ-2026-0457.pdf"):
        canary.write_bytes(CANARY)
    state = {
        "top": top, "before": snapshot(tmp_path), "tmp": tmp_path,
        "settings": replace(settings, delivery_root=delivery_root, documents_root=documents_root),
    }
    yield state
    assert snapshot(tmp_path) == state["before"], "something in or beside the roots was created, changed or deleted"


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder below `folder`."""
    return {str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes()) for p in folder.rglob("*")}


def materialised(text: str, sandbox) -> str:
    return text.replace("{sandbox}", str(sandbox["top"]))


def hostile_document(sandbox, hostile: str, **changes) -> Path:
    path = sandbox["tmp"] / "incoming.json"
    path.write_text(json.dumps(example("subpoena", materialised(hostile, sandbox), **changes)))
    sandbox["before"] = snapshot(sandbox["tmp"])  # the request file itself is the only addition
    return path


def refused_as_unsafe(call) -> ApplicationError:
    with pytest.raises(ApplicationError, match="unsafe path refused") as refused:
        call()
    assert refused.value.type == "UnsafePath" and refused.value.non_retryable
    return refused.value


# ---- the starter: check and submit -----------------------------------------------------------

@CASES
async def test_check_refuses_a_hostile_request_id_with_exit_2(tmp_path, capsys, hostile):
    path = tmp_path / "incoming.json"
    path.write_text(json.dumps(example("subpoena", hostile.replace("{sandbox}", str(tmp_path)))))
    before = snapshot(tmp_path)
    assert await starter(["check", str(path), "--json"]) == 2
    out = capsys.readouterr()
    assert "request_id" in out.err and "1-64 ASCII letters" in out.err and out.out == ""
    assert snapshot(tmp_path) == before


@CASES
async def test_submit_refuses_a_hostile_request_id_before_reaching_temporal(sandbox, capsys, monkeypatch, hostile):
    path = hostile_document(sandbox, hostile)
    roots = sandbox["settings"]
    monkeypatch.setenv("LES_TEMPORAL_ADDRESS", "127.0.0.1:1")  # a refusal that came too late would exit 3
    monkeypatch.setenv("LES_DELIVERY_ROOT", str(roots.delivery_root))
    monkeypatch.setenv("LES_DOCUMENTS_ROOT", str(roots.documents_root))
    assert await starter(["submit", str(path)]) == 2
    err = capsys.readouterr().err
    assert "request_id" in err and "the request is not accepted" in err


async def test_a_bad_document_name_is_a_fatal_problem_of_check(tmp_path, capsys):
    path = tmp_path / "incoming.json"
    papers = [{"name": "../../etc/passwd", "sha256": "0" * 64}, {"name": "scan\uff0fx.pdf", "sha256": "0" * 64}]
    path.write_text(json.dumps(example("subpoena", "LES-PATHS-DOC", documents=papers)))
    assert await starter(["check", str(path), "--json"]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [(p["code"], p["message"].split(":")[0]) for p in problems] == [
        ("invalid_field", "documents[0].name"), ("invalid_field", "documents[1].name")]


# ---- a workflow started straight from a client, bypassing the starter -------------------------

@CASES
async def test_a_workflow_started_directly_rejects_a_hostile_id_without_touching_the_disk(
    time_skipping_env, sandbox, prepared_store, hostile
):
    settings = sandbox["settings"]
    document = example("subpoena", materialised(hostile, sandbox))
    client = time_skipping_env.client
    async with running_worker(client, settings):
        handle = await client.start_workflow(
            SubpoenaWorkflow.run,
            RequestSubmission(request_id=document["request_id"], request_type="subpoena", document=document),
            id=f"direct-{list(HOSTILE_IDS.values()).index(hostile)}", task_queue=settings.task_queue,
        )
        with time_skipping_env.auto_time_skipping_disabled():
            outcome = await handle.result()
    assert outcome.resolution is Resolution.REJECTED_ON_VERIFICATION
    assert outcome.production is None


# ---- each path-building activity, called directly --------------------------------------------

@pytest.fixture
def activities(sandbox, prepared_store):
    settings = sandbox["settings"]
    return {
        "verify": VerificationActivities(settings.documents_root, prepared_store),
        "records": RecordsActivities(settings, prepared_store),
        "production": ProductionActivities(settings, make_session_factory(prepared_store)),
    }


@CASES
def test_the_verification_activity_refuses_a_hostile_workflow_id(sandbox, activities, hostile):
    hostile = materialised(hostile, sandbox)
    document = example("subpoena", "LES-2026-000101")  # a well-formed document; only the workflow's id is hostile
    result = ActivityEnvironment().run(activities["verify"].verify_legal_process,
                                       VerifyInput(request_id=hostile, document=document))
    assert result.verdict is Verdict.REJECT and result.permitted == []
    assert [p.code for p in result.problems if p.fatal] == ["invalid_request_id"]


@CASES
def test_retrieval_refuses_a_hostile_id(sandbox, activities, hostile):
    hostile = materialised(hostile, sandbox)
    retrieval = RetrieveInput(request_id=hostile,
                              category=RecordCategory.SUBSCRIBER_INFO, document=example("subpoena", hostile))
    refused_as_unsafe(lambda: ActivityEnvironment().run(activities["records"].retrieve_records, retrieval))


@CASES
def test_packaging_refuses_a_hostile_id(sandbox, activities, hostile):
    hostile = materialised(hostile, sandbox)
    package = PackageInput(request_id=hostile, produced_at=PRODUCED_AT,
                           document=example("subpoena", hostile), files=[], approved_by={"analyst": "jdoe"})
    refused_as_unsafe(lambda: ActivityEnvironment().run(activities["production"].package_production, package))


@CASES
def test_delivery_refuses_a_hostile_id(sandbox, activities, hostile):
    hostile = materialised(hostile, sandbox)
    delivery = DeliverInput(request_id=hostile,
                            staging_dir=str(sandbox["top"] / "outside" / "x"), manifest_sha256="0" * 64,
                            file_count=0, row_count=0)
    refused_as_unsafe(lambda: ActivityEnvironment().run(activities["production"].deliver_production, delivery))


@CASES
def test_every_path_builder_refuses_a_hostile_id(sandbox, hostile):
    hostile, root = materialised(hostile, sandbox), sandbox["settings"].delivery_root
    builders = [
        lambda: paths.staging_dir(root, hostile, 1),
        lambda: paths.delivered_dir(root, hostile, 1),
        lambda: paths.document_file(root, hostile, "paper.pdf"),
        lambda: paths.audit_export_file(root, hostile, "history.json"),
        lambda: paths.keyring_file(root, hostile),
    ]
    for build in builders:
        with pytest.raises(paths.PathRefused, match="a request_id is 1-64 ASCII letters"):
            build()


@pytest.mark.parametrize("hostile", list(HOSTILE_NAMES.values()), ids=list(HOSTILE_NAMES))
def test_every_file_name_builder_refuses_a_hostile_name(sandbox, hostile):
    hostile, root = materialised(hostile, sandbox), sandbox["settings"].delivery_root
    builders = [
        lambda: paths.document_file(root, "LES-1", hostile),
        lambda: paths.audit_export_file(root, "LES-1", hostile),
        lambda: paths.state_file(root, hostile),
    ]
    for build in builders:
        with pytest.raises(paths.PathRefused, match=r"plain file name|control or format|non-empty"):
            build()


def test_a_production_id_in_the_input_names_nothing(sandbox, activities):
    """The production id is derived from the request and the number (domain/contracts.py
    ProductionRef): one in the input, as activities scheduled by the release before carry it, is
    not read, so a traversal written there reaches no folder."""
    package = PackageInput.model_validate({
        "request_id": "LES-PATHS-1", "production_no": 1, "production_id": "LES-PATHS-1-P01/../../x",
        "produced_at": PRODUCED_AT, "document": example("subpoena", "LES-PATHS-1"), "files": [], "approved_by": {}})
    assert package.production_id == "LES-PATHS-1-P01"
    packaged = ActivityEnvironment().run(activities["production"].package_production, package)
    staging = sandbox["settings"].delivery_root / ".staging"
    assert packaged.production_id == "LES-PATHS-1-P01"
    assert Path(packaged.staging_dir) == (staging / "LES-PATHS-1" / "LES-PATHS-1-P01").resolve()
    written = set(snapshot(sandbox["tmp"])) - set(sandbox["before"])
    folder = str((staging / "LES-PATHS-1" / "LES-PATHS-1-P01").relative_to(sandbox["tmp"]))
    assert written and all(path.startswith(folder) or folder.startswith(path) for path in written)
    shutil.rmtree(staging)  # leave the tree as the fixture found it


def test_a_staging_dir_given_by_the_caller_names_nothing(sandbox, activities):
    """Delivery rebuilds the staging folder from the ids: a path in the input is never removed."""
    delivery = DeliverInput(request_id="LES-PATHS-2",
                            staging_dir=str(sandbox["top"] / "outside" / "canary.txt"),
                            manifest_sha256="0" * 64, file_count=0, row_count=0)
    with pytest.raises(ApplicationError, match="holds no packaged production") as refused:
        ActivityEnvironment().run(activities["production"].deliver_production, delivery)
    assert refused.value.type == "ProductionConflict"


# ---- symlinks ----------------------------------------------------------------------------------

def test_a_symlink_inside_the_delivery_root_pointing_outside_is_refused(sandbox, activities):
    settings, outside = sandbox["settings"], sandbox["top"] / "outside"
    link = settings.delivery_root / "LES-PATHS-LINK"
    os.symlink(outside, link)
    with pytest.raises(paths.PathRefused, match="outside"):
        paths.delivered_dir(settings.delivery_root, "LES-PATHS-LINK", 1)
    delivery = DeliverInput(request_id="LES-PATHS-LINK", staging_dir="",
                            manifest_sha256="0" * 64, file_count=0, row_count=0)
    refused_as_unsafe(lambda: ActivityEnvironment().run(activities["production"].deliver_production, delivery))
    os.unlink(link)  # leave the tree as the fixture found it
    assert (outside / "canary.txt").read_bytes() == CANARY and sorted(os.listdir(outside)) == ["canary.txt"]


def test_a_staging_root_that_is_a_symlink_is_refused_even_pointing_inside(sandbox, activities):
    settings = sandbox["settings"]
    os.symlink(settings.delivery_root, settings.delivery_root / ".staging")  # staging would alias deliveries
    package = PackageInput(request_id="LES-PATHS-3", produced_at=PRODUCED_AT,
                           document=example("subpoena", "LES-PATHS-3"), files=[], approved_by={})
    error = refused_as_unsafe(lambda: ActivityEnvironment().run(activities["production"].package_production, package))
    assert "passes through a symlink" in error.message
    os.unlink(settings.delivery_root / ".staging")


def test_a_document_symlinked_from_outside_the_documents_root_is_not_read(sandbox, activities):
    settings = sandbox["settings"]
    paper = settings.documents_root / "LES-2026-000101" / "subpoena-GJ-2026-0457.pdf"
    paper.unlink()
    os.symlink(sandbox["top"] / "outside" / "canary.txt", paper)
    result = ActivityEnvironment().run(activities["verify"].verify_legal_process,
                                       VerifyInput(request_id="LES-2026-000101",
                                                   document=example("subpoena", "LES-2026-000101")))
    assert result.verdict is Verdict.REJECT
    assert [p.code for p in result.problems if p.fatal] == ["unsafe_document_path"]
    paper.unlink()
    paper.write_bytes(CANARY)


# ---- what is accepted --------------------------------------------------------------------------

@pytest.mark.parametrize("request_id", ["LES-2026-000101", "a", "A" * 64, "9.x_y-Z"])
def test_well_formed_ids_name_folders_inside_the_root(tmp_path, request_id):
    assert paths.delivered_dir(tmp_path, request_id, 2) == tmp_path.resolve() / request_id / f"{request_id}-P02"
    assert paths.staging_dir(tmp_path, request_id, 1) == (
        tmp_path.resolve() / ".staging" / request_id / f"{request_id}-P01")


# ---- files at rest (issue 9): delivery folders 0750, the SQLite records store 0600 ---------------


def mode(path: Path) -> str:
    return oct(path.stat().st_mode & 0o777)


def test_delivery_folders_are_made_0750_whatever_the_umask(tmp_path):
    root = tmp_path / "deliveries"
    folder = paths.staging_dir(root, "LES-2026-000123", 1)
    previous = os.umask(0o002)
    try:
        paths.make_delivery_dir(root, folder)
    finally:
        os.umask(previous)
    levels = [folder, folder.parent, folder.parent.parent, root]
    assert [p.relative_to(tmp_path).as_posix() for p in levels] == [
        "deliveries/.staging/LES-2026-000123/LES-2026-000123-P01", "deliveries/.staging/LES-2026-000123",
        "deliveries/.staging", "deliveries"]
    assert [mode(p) for p in levels] == ["0o750"] * 4
    assert mode(tmp_path) != "0o750"  # above the root: not the product's to change


def test_a_delivery_folder_outside_the_root_is_refused(tmp_path):
    with pytest.raises(paths.PathRefused, match="is not inside the delivery root"):
        paths.make_delivery_dir(tmp_path / "deliveries", tmp_path / "elsewhere")
    assert not (tmp_path / "elsewhere").exists()


def test_the_sqlite_records_store_is_0600_new_or_existing(tmp_path):
    fresh = tmp_path / "state" / "records.db"
    create_schema(make_engine(f"sqlite:///{fresh}"))
    assert mode(fresh) == "0o600"
    loose = tmp_path / "loose.db"
    loose.touch(mode=0o644)
    loose.chmod(0o644)
    engine = make_engine(f"sqlite:///{loose}")
    create_schema(engine)
    assert mode(loose) == "0o600"
    assert sorted(mode(p) for p in tmp_path.glob("loose.db*")) == ["0o600"] * len(list(tmp_path.glob("loose.db*")))
