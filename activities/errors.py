"""Business errors activities raise; the workflows list them as non-retryable."""

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.exceptions import ApplicationError

from les.paths import PathRefused


def invalid_request(message: str) -> ApplicationError:
    """The request cannot be acted on as it stands; retrying changes nothing."""
    return ApplicationError(message, type="InvalidRequest", non_retryable=True)


def production_conflict(message: str) -> ApplicationError:
    """A different production already stands where this one would go: never overwrite it."""
    return ApplicationError(message, type="ProductionConflict", non_retryable=True)


@contextmanager
def paths_checked() -> Iterator[None]:
    """A path les/paths.py refuses becomes the non-retryable `UnsafePath`: no retry makes it safe."""
    try:
        yield
    except PathRefused as refused:
        raise ApplicationError(f"unsafe path refused: {refused}", type="UnsafePath", non_retryable=True) from None
