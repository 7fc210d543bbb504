"""What can go wrong talking to the mediation system: worth retrying, or never."""

from __future__ import annotations


class MediationError(Exception):
    """A mediation request that did not do what was asked."""

    transient = False


class MediationUnavailable(MediationError):
    """Down, slow past the timeout, refusing for now, or the answer was cut off: retry."""

    transient = True


class MediationRefused(MediationError):
    """The mediation system refused the request as it stands: retrying changes nothing."""


class UnknownTask(MediationRefused):
    """No provisioned task has this XID."""


class TaskConflict(MediationRefused):
    """The XID is already on record with other details, or was deactivated (XIDs are never reused)."""
