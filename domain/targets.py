"""What each target of a demand matched in the carrier's records, and what that means.

Verification resolves every target before anyone is asked to approve. A target that matches
no subscriber (`target_not_found`), or an Internet address that several subscribers shared
behind carrier-grade NAT with no port to tell them apart (`shared_address`), is produced for
by no one: it is never answered with an empty certified file, but named, with its reason, in
the manifest and in a "no responsive records" letter signed by the custodian."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field

from domain.findings import Problem, warning
from domain.vocabulary import TargetKind


class TargetProblem(StrEnum):
    NOT_FOUND = "target_not_found"
    """No subscriber, account or number of this carrier matches the target."""
    SHARED_ADDRESS = "shared_address"
    """Several subscribers held the address at that instant and no port names one of them."""


SEARCHED: dict[TargetKind, str] = {
    TargetKind.PHONE_NUMBER: "the assignment history of telephone numbers, for every holder during the period",
    TargetKind.ACCOUNT_NUMBER: "subscriber accounts, by account number",
    TargetKind.EMAIL: "subscriber accounts, by e-mail address of record (letter case ignored)",
    TargetKind.IP_ADDRESS: "Internet session records and carrier-grade NAT port allocations at the instant "
                           "the address was observed",
}
"""How each kind of target is searched for: what the letter says was searched."""


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class HeldNumber(BaseModel):
    """A telephone number an account held during the period searched, as it was assigned: only
    the part of the assignment inside the period is produced."""

    number: str
    account_number: str
    held_from: AwareDatetime
    held_until: AwareDatetime | None
    """None: still held."""


class AddressSession(BaseModel):
    """A session that held an Internet address at the instant observed, with its NAT port block."""

    account_number: str | None
    """The holder; shown only for the session the target resolved to, never for the others."""
    port_start: int | None
    """First source port of the block; None when the address was not shared (no NAT)."""
    port_end: int | None
    started_at: AwareDatetime
    ended_at: AwareDatetime | None


class TargetMatch(BaseModel):
    """One target of the request and what it matched in the records store."""

    index: int
    """Its position in the request's `targets`."""
    kind: TargetKind
    value: str
    observed_at: AwareDatetime | None = None
    port: int | None = None
    accounts: list[str] = Field(default_factory=list)
    """Account numbers whose records the target reaches (empty: it reaches no one)."""
    numbers: list[HeldNumber] = Field(default_factory=list)
    """Numbers reached, by holder, each with the span it was held within the period."""
    sessions: list[AddressSession] = Field(default_factory=list)
    """ip_address: every session that held the address at `observed_at`."""
    subscribers_sharing: int = 0
    """shared_address: how many subscribers held the address at that instant."""
    problem: TargetProblem | None = None

    @property
    def resolved(self) -> bool:
        return self.problem is None

    @property
    def label(self) -> str:
        """How the target is named to people: `targets[1] ip_address 192.0.2.1 at ... port 5000`."""
        text = f"targets[{self.index}] {self.kind} {self.value}"
        if self.observed_at is not None:
            text += f" at {utc_text(self.observed_at)}"
        if self.port is not None:
            text += f" port {self.port}"
        return text

    @property
    def reason(self) -> str:
        """Why nothing is produced for the target (empty when it resolved)."""
        if self.problem is TargetProblem.NOT_FOUND:
            if self.kind is TargetKind.IP_ADDRESS:
                return "the address was not assigned to any subscriber of the carrier at that instant"
            if self.kind is TargetKind.PHONE_NUMBER:
                return "the number was not assigned to any subscriber of the carrier during the period"
            return f"no subscriber account of the carrier has this {self.kind.replace('_', ' ')}"
        if self.problem is TargetProblem.SHARED_ADDRESS:
            count = self.subscribers_sharing
            shared = (f"the address was shared by {count} subscriber{'s' if count != 1 else ''} "
                      "behind carrier-grade NAT at that instant")
            if self.port is None:
                return f"{shared} and the request gives no source port, so it names none of them"
            return f"{shared} and no subscriber's port block covers port {self.port}, so it names none of them"
        return ""


class TargetResolution(BaseModel):
    """Every target of a request, resolved against the records store at one moment."""

    searched_at: AwareDatetime
    period_start: AwareDatetime | None
    period_end: AwareDatetime | None
    targets: list[TargetMatch]

    @property
    def unresolved(self) -> list[TargetMatch]:
        return [t for t in self.targets if not t.resolved]

    @property
    def nothing_resolved(self) -> bool:
        """Not one target reaches a subscriber: no record can be responsive."""
        return bool(self.targets) and not any(t.resolved for t in self.targets)

    def problems(self) -> list[Problem]:
        """One warning per target that reaches no one. Warnings, not fatal: the other targets are
        produced; with none left, approving closes the request with a no-records letter."""
        return [
            warning(str(t.problem), f"targets[{t.index}]: {t.value}: {t.reason}; nothing is produced for it")
            for t in self.unresolved
        ]


class TargetRows(BaseModel):
    """How many rows of one file a target answers, and from which accounts."""

    index: int
    value: str
    rows: int
    accounts: dict[str, int] = Field(default_factory=dict)
    """Account number -> rows of the file that came from that account while the target reached it."""


def manifest_targets(document_targets: list[dict], resolution: TargetResolution | None) -> list[dict]:
    """The manifest's `targets`: each as the request names it and, once resolved, what it matched."""
    matches = {m.index: m for m in resolution.targets} if resolution else {}
    listed = []
    for index, target in enumerate(document_targets):
        entry = {key: target.get(key) for key in ("kind", "value", "observed_at", "port") if key in target}
        match = matches.get(index)
        if match is not None:
            entry["accounts"] = list(match.accounts)
            entry["produced"] = match.resolved
            if not match.resolved:
                entry["problem"] = str(match.problem)
                entry["reason"] = match.reason
        listed.append(entry)
    return listed
