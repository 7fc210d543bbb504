"""Business errors activities raise; the workflows list them as non-retryable."""

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


def parse_or_refuse(request_id: str, document: dict[str, Any]) -> LegalRequest:
    """The request document parsed; one that does not parse is a non-retryable InvalidRequest."""
    try:
        return parse_request(document)
    except ValidationError as err:
        raise invalid_request(f"{request_id}: the request document is not valid: {err}") from None


@contextmanager
def paths_checked() -> Iterator[None]:
    """A path les/paths.py refuses becomes the non-retryable `UnsafePath`: no retry makes it safe."""
    try:
        yield
    except PathRefused as refused:
        raise ApplicationError(f"unsafe path refused: {refused}", type="UnsafePath", non_retryable=True) from None
