"""No record value reaches a log or the server in clear (issue 23): the worker's logging writes
exceptions as codes and paths, activity errors name fields not values, and every failure but a
person-facing refusal reaches the history encrypted."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap

import pytest
import temporalio.api.failure.v1
from temporalio.exceptions import ApplicationError

from activities.errors import parse_or_refuse
from les.failures import DECISION_REFUSED, ReadableFailureConverter
from les.temporal import data_converter
from tests.conftest import REPO
from tests.workflow_support import example

PHONE = "+13035550123"
NAME = "Daniel Reyes"
REFERENCE = "GJ-2026-0457"

WORKER_LIKE = textwrap.dedent(f"""
    import logging, structlog
    from temporalio import activity
    from les.logging import configure_logging
    configure_logging("DEBUG", json=True)

    def database_fault():
        raise RuntimeError("duplicate key (number)=({PHONE}) for subscriber {NAME}")

    try:
        try:
            database_fault()
        except RuntimeError as err:
            raise ValueError("while exporting {REFERENCE}") from err
    except ValueError:
        # what temporalio/worker/_activity.py logs when an activity raises
        activity.logger.warning("Completing activity as failed", exc_info=True,
                                extra={{"__temporal_error_identifier": "ActivityFailure"}})
        activity.logger.exception("Exception handling failed, original error: {NAME} at {PHONE}")
        structlog.get_logger("les.activity").exception("export failed", request_id="LES-2026-000101")
        logging.getLogger("sqlalchemy.engine").error("statement failed", exc_info=True)
""")


def test_logged_exceptions_carry_codes_and_paths_never_their_text(tmp_path):
    script = tmp_path / "worker_like.py"
    script.write_text(WORKER_LIKE)
    ran = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=REPO, timeout=60,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert ran.returncode == 0, ran.stderr
    lines = [json.loads(line) for line in ran.stderr.splitlines()]
    assert [line["event"] for line in lines] == [
        "Completing activity as failed",
        "Exception handling failed (the error is in the workflow history)",
        "export failed",
        "statement failed",
    ]
    for value in (PHONE, NAME, REFERENCE, "duplicate key"):
        assert value not in ran.stderr
    failed = lines[0]
    assert failed["error"] == f"ValueError at {script}:14 in <module> <- RuntimeError at {script}:8 in database_fault"
    assert failed["error_frames"] == [f"{script}:14 in <module>"]
    assert lines[2]["request_id"] == "LES-2026-000101" and lines[2]["error"].startswith("ValueError at ")
    assert all("exception" not in line and "exc_info" not in line for line in lines)


def test_a_refused_document_names_its_fields_not_their_values():
    document = example("subpoena", "LOG-0001")
    document["targets"] = [{"kind": "phone_number", "value": f"{PHONE} call {NAME}"}]
    document["requester"]["email"] = f"{NAME}@"
    with pytest.raises(ApplicationError, match=r"^InvalidRequest: LOG-0001: the request document is not valid: "
                                               r"targets\.0") as refused:
        parse_or_refuse("LOG-0001", document)
    message = str(refused.value)
    assert PHONE not in message and NAME not in message
    assert "(" in message and ")" in message  # each field's fault named by its code


async def encoded(keyring, error: BaseException) -> bytes:
    converter = dataclasses.replace(data_converter(keyring), failure_converter_class=ReadableFailureConverter)
    failure = temporalio.api.failure.v1.Failure()
    await converter.encode_failure(error, failure)
    return failure.SerializeToString()


async def test_an_activity_failure_reaches_the_server_encrypted(keyring):
    try:
        raise ApplicationError(f"retrieval of {PHONE} failed", type="InvalidRequest", non_retryable=True)
    except ApplicationError as err:
        sent = await encoded(keyring, err)
    assert PHONE.encode() not in sent and b"retrieval of" not in sent
    assert b"Encoded failure" in sent and b"InvalidRequest" in sent  # the type stays readable: it is a code


async def test_a_refused_decision_stays_readable_for_the_person(keyring):
    refused = ApplicationError("role supervisor may not approve (allowed: analyst)", type=DECISION_REFUSED,
                               non_retryable=True)
    sent = await encoded(keyring, refused)
    assert b"role supervisor may not approve (allowed: analyst)" in sent and b"Encoded failure" not in sent
