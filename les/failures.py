"""Failures a person reads: a refused decision reaches the Web UI's dialog, the CLI and the
client as its message alone, in the domain's words, with no stack trace and no file path.

The worker's data converter uses `ReadableFailureConverter` (see `with_readable_failures`).
Only the failures the decision desk raises for people (`PERSON_FACING`) are stripped; every
other failure (an activity's fault, a workflow task failure) keeps its trace for operators,
and a fault met while checking or applying a decision is logged with its trace in the
worker's log before the person is told, in words, that it happened (workflows/handlers.py)."""

from __future__ import annotations

import dataclasses

import temporalio.api.failure.v1
from temporalio.client import Client
from temporalio.converter import DefaultFailureConverter, PayloadConverter

DECISION_REFUSED = "DecisionRefused"
"""A decision the case refused: the message says what was refused and why."""
DECISION_FAULT = "DecisionFault"
"""A decision that met a fault of the system: the message says so; the trace is in the worker's log."""
PERSON_FACING = frozenset({DECISION_REFUSED, DECISION_FAULT})


class ReadableFailureConverter(DefaultFailureConverter):
    """The project's converter (message and stack trace moved into an encrypted payload, as
    les/temporal.py FAILURE_CONVERTER does), less the stack trace and the cause chain of
    person-facing failures, whose message stays readable: it is written for the person, in the
    domain's words, and the Web UI and CLI show it as it is. Every other failure's message (an
    activity's exception) reaches the server's history encrypted, never in clear (issue 23)."""

    def __init__(self) -> None:
        super().__init__(encode_common_attributes=True)

    def to_failure(
        self,
        exception: BaseException,
        payload_converter: PayloadConverter,
        failure: temporalio.api.failure.v1.Failure,
    ) -> None:
        super().to_failure(exception, payload_converter, failure)
        if failure.application_failure_info.type in PERSON_FACING:
            failure.message = str(getattr(exception, "message", "") or exception)
            failure.stack_trace = ""
            failure.ClearField("encoded_attributes")
            failure.ClearField("cause")


def with_readable_failures(client: Client) -> Client:
    """The same connection and data converter (codec included), with the readable failure converter."""
    config = client.config()
    config["data_converter"] = dataclasses.replace(
        config["data_converter"], failure_converter_class=ReadableFailureConverter
    )
    return Client(**config)
