"""Business errors activities raise; the workflows list them as non-retryable."""

from temporalio.exceptions import ApplicationError


def invalid_request(message: str) -> ApplicationError:
    """The request cannot be acted on as it stands; retrying changes nothing."""
    return ApplicationError(message, type="InvalidRequest", non_retryable=True)


def production_conflict(message: str) -> ApplicationError:
    """A different production already stands where this one would go: never overwrite it."""
    return ApplicationError(message, type="ProductionConflict", non_retryable=True)
