"""Business errors activities raise; the workflows list them as non-retryable.

An error that crosses the activity boundary carries codes and paths, never a value of the request
or of a record (issue 23): its message reaches the workflow history (encrypted) and, through the
SDK's failure logging, the worker's log (where les/logging.py keeps only its class and type)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from domain.request import LegalRequest, parse_request
from les.paths import PathRefused


def invalid_request(message: str) -> ApplicationError:
    """The request cannot be acted on as it stands; retrying changes nothing."""
    return ApplicationError(message, type="InvalidRequest", non_retryable=True)


def production_conflict(message: str) -> ApplicationError:
    """A different production already stands where this one would go: never overwrite it."""
    return ApplicationError(message, type="ProductionConflict", non_retryable=True)


def hold_unavailable(message: str) -> ApplicationError:
    """No active hold holds what was asked: none placed, released, expired, or category not held."""
    return ApplicationError(message, type="HoldUnavailable", non_retryable=True)


def hold_scope_mismatch(message: str) -> ApplicationError:
    """The demand names other targets or a narrower period than the hold preserved."""
    return ApplicationError(message, type="HoldScopeMismatch", non_retryable=True)


def quote_mismatch(message: str) -> ApplicationError:
    """The quote accepted is not the one on file for the request."""
    return ApplicationError(message, type="QuoteMismatch", non_retryable=True)


INVALID_FIELDS_SHOWN = 10
"""Fields a refused document's message names; the rest are counted."""


def validation_paths(error: ValidationError) -> str:
    """A pydantic error as the fields it is about and the kind of each fault (`targets.0.value
    (string_pattern_mismatch)`): never the input, never the validator's own words, which may quote it."""
    faults = [f"{'.'.join(str(part) for part in e['loc']) or '(document)'} ({e['type']})"
              for e in error.errors(include_url=False, include_input=False, include_context=False)]
    shown = "; ".join(faults[:INVALID_FIELDS_SHOWN])
    more = len(faults) - INVALID_FIELDS_SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def parse_or_refuse(request_id: str, document: dict[str, Any]) -> LegalRequest:
    """The request document parsed; one that does not parse is a non-retryable InvalidRequest
    naming the fields at fault, not their values."""
    try:
        return parse_request(document)
    except ValidationError as err:
        raise invalid_request(f"{request_id}: the request document is not valid: {validation_paths(err)}") from None


@contextmanager
def paths_checked() -> Iterator[None]:
    """A path les/paths.py refuses becomes the non-retryable `UnsafePath`: no retry makes it safe."""
    try:
        yield
    except PathRefused as refused:
        raise ApplicationError(f"unsafe path refused: {refused}", type="UnsafePath", non_retryable=True) from None
