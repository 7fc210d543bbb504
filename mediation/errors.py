"""What can go wrong talking to the mediation system: worth retrying, or never."""

from __future__ import annotations


class MediationError(Exception):
    """A mediation request that did not do what was asked."""

    transient = False


class MediationUnavailable(MediationError):
    """Down, slow past the timeout, refusing for now (HTTP 5xx/429), or the answer was cut off: retry."""

    transient = True


class MediationRefused(MediationError):
    """The mediation system refused the request as it stands: retrying changes nothing."""

    code: int | None = None
    """The X1 errorCode of the ErrorResponse, when the refusal was one."""


class UnknownTask(MediationRefused):
    """The far end holds no task with this XID (X1 error 2020): never provisioned, or deactivated."""


class TaskConflict(MediationRefused):
    """The XID (or DID) is held with other details than asked: never overwritten, never reused."""


class MediationUnreadable(MediationError):
    """An answer that is not schema-valid X1 of the kind asked for. Never read as "nothing": a
    fault to report and alert on (the reconciliation does), not a reason to conclude anything."""
