"""What a sealed decision must be to take effect, checked without any key (SPEC §6).

les/seals.py makes and verifies the signature (the codec servers seal, the worker's roster
activity verifies); this module holds the rest, pure, so the workflow checks it deterministically:
the envelope's form, the case it names, its moment (at most five minutes old), a nonce never used
on this case before, the compartment, and that an `actor` written in the decision is the person
who signed in."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

SEAL_VERSION = 1
SEAL_FIELD, DECISION_FIELD = "seal", "decision"
CASE_FIELD = "case"
REFUSED_FIELD = "les_refused"
"""What arrives instead of a decision the codec servers or the worker's codec refused: `{"les_refused": "<why>"}`."""
MAX_AGE = timedelta(minutes=5)
"""A seal older than this is stale (SPEC §6)."""
MAX_AHEAD = timedelta(minutes=1)
"""Clock skew allowed between a codec server and the workflow's clock."""
_SEAL_KEYS = frozenset({"v", "key", "person", "at", "case", "compartment", "nonce", "signature"})

UNSEALED = ("the decision is not sealed: a decision takes effect only when it reaches the case through a codec "
            "server that signed you in (starter.py, `temporal workflow signal/update --codec-endpoint ... "
            "--codec-auth \"Bearer $(python starter.py token)\"`, or the Web UI signed in at the codec server)")


class SealProblem(Exception):
    """Why a sealed decision is refused, in words."""


@dataclass(frozen=True)
class Seal:
    person: str
    at: datetime
    case: str
    compartment: str
    nonce: str
    key: str


def signed_bytes(fields: Mapping[str, Any], decision: Mapping[str, Any]) -> bytes:
    """What the signature covers: the seal's fields (not the signature) and the decision, canonically."""
    body = {k: v for k, v in fields.items() if k != "signature"}
    return json.dumps({"seal": body, "decision": decision}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def is_sealed(raw: Any) -> bool:
    return isinstance(raw, dict) and set(raw) == {SEAL_FIELD, DECISION_FIELD}


def is_refusal(raw: Any) -> bool:
    return isinstance(raw, dict) and set(raw) == {REFUSED_FIELD}


def open_envelope(raw: Any) -> tuple[Seal, dict[str, Any]]:
    """The seal and the decision inside it; SealProblem when `raw` is not a sealed envelope."""
    if is_refusal(raw):
        raise SealProblem(str(raw[REFUSED_FIELD]))
    if not is_sealed(raw):
        raise SealProblem(UNSEALED)
    fields, decision = raw[SEAL_FIELD], raw[DECISION_FIELD]
    if not isinstance(fields, dict) or set(fields) != _SEAL_KEYS or fields.get("v") != SEAL_VERSION \
            or not isinstance(decision, dict):
        raise SealProblem("the seal is malformed: not one this product's codec servers make")
    if not all(isinstance(fields[k], str) and fields[k] for k in _SEAL_KEYS - {"v"}):
        raise SealProblem("the seal is malformed: not one this product's codec servers make")
    try:
        at = datetime.fromisoformat(fields["at"])
    except ValueError:
        raise SealProblem("the seal's moment is not a timestamp") from None
    if at.tzinfo is None:
        raise SealProblem("the seal's moment is not a timestamp")
    return Seal(person=fields["person"], at=at, case=fields["case"], compartment=fields["compartment"],
                nonce=fields["nonce"], key=fields["key"]), decision


def check_seal(seal: Seal, decision: Mapping[str, Any], *, request_id: str, compartment: str, now: datetime,
               nonces_used: Collection[str]) -> None:
    """Nothing when the seal may take effect on this case now; SealProblem saying which check failed."""
    if seal.case != request_id:
        raise SealProblem(f"the seal is for case {seal.case}, not this case ({request_id}): a sealed decision "
                          "takes effect only on the case it names")
    named = decision.get(CASE_FIELD)
    if named != request_id:
        raise SealProblem(f"the decision names case {named!r}, not this case ({request_id})")
    if seal.compartment != compartment:
        raise SealProblem(f"sealed by the {seal.compartment} codec server; decisions on this case go through the "
                          f"{compartment} one")
    if now - seal.at > MAX_AGE:
        raise SealProblem(f"the seal is stale: made at {seal.at.isoformat()}, more than five minutes before it "
                          f"reached the case ({now.isoformat()}); send the decision again")
    if seal.at - now > MAX_AHEAD:
        raise SealProblem(f"the seal is dated {seal.at.isoformat()}, after it reached the case ({now.isoformat()})")
    if seal.nonce in nonces_used:
        raise SealProblem("this seal was used on this case before: a sealed decision takes effect once (replayed)")
    actor = decision.get("actor")
    if actor is not None and actor != seal.person:
        raise SealProblem(f"the decision names actor {actor!r} but was sealed for {seal.person}, who signed in: "
                          "nobody decides under another name")


def as_decision(seal: Seal, decision: Mapping[str, Any]) -> dict[str, Any]:
    """The decision as the case machine reads it: the signed-in person as its actor, the case named dropped."""
    plain = {k: v for k, v in decision.items() if k != CASE_FIELD}
    plain["actor"] = seal.person
    return plain
