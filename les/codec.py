"""The payload codec: every payload a worker or client hands Temporal is AES-256-GCM encrypted.

An encrypted payload is `encoding: binary/encrypted`, `encryption-key-id: <key id>` and
`les-bound-to: <workflow id>` in its metadata, and `nonce (12 bytes) || ciphertext+tag` as data;
the plaintext is the whole original payload (its own metadata included), and the key id and the
workflow id are authenticated as associated data. A ciphertext is thereby bound to its workflow
and its compartment (SPEC §6): moved into another workflow it is refused, and a general-key
payload in a national security workflow is refused, each replaced by a refusal the workflow
records (`REFUSED_FIELD`) rather than a payload it cannot read. Payloads encrypted before
binding (no `les-bound-to`) still decrypt, so running cases and exported histories keep reading.

National security letters and FISA orders use the `natsec` compartment's key. The codec tells
them by the payloads themselves and by the serialization context Temporal passes it:
- a payload naming the request type (the workflow input, the case file, the status answer)
  marks its workflow id as national security, for the rest of this process's life;
- an activity's payloads carry its workflow's type;
- a client about to speak to a case it has not read yet marks it (`les.temporal`).

Payloads that are not encrypted (the recorded histories, the Temporal CLI's plain-JSON signals)
decode as they are."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    ActivitySerializationContext,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)

from domain.policy import CLEARED_ONLY
from domain.seals import REFUSED_FIELD, is_sealed
from les.keyring import Compartment, Keyring, KeyringError

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
BOUND_TO = "les-bound-to"
NONCE_BYTES = 12
REFUSED = REFUSED_FIELD
"""A payload the worker's codec would not hand over becomes `{"les_refused": "<why>"}` (domain/seals.py)."""

NATIONAL_SECURITY_REQUEST_TYPES = frozenset(str(t) for t in CLEARED_ONLY)
NATIONAL_SECURITY_WORKFLOW_TYPES = frozenset({"NationalSecurityLetter", "FisaOrder", "MediationReconciliation"})
"""Workflow types whose every payload is under the natsec key: NSLs, FISA orders, and the mediation
reconciliation, whose task lists name FISA targets (SPEC §6)."""
RECONCILIATION_WORKFLOW_ID = "mediation-reconciliation"
"""The mediation reconciliation's one workflow id (workflows/reconciliation.py): national security."""
_MARKERS = tuple(t.encode() for t in NATIONAL_SECURITY_REQUEST_TYPES)


class PayloadUndecryptable(Exception):
    """A payload this process cannot decrypt: a key it does not hold, or altered bytes."""


class PayloadMisplaced(PayloadUndecryptable):
    """A payload bound to another workflow, or in the wrong compartment for its workflow."""


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


def key_id_of(payload: Payload) -> str | None:
    return payload.metadata[KEY_ID].decode() if is_encrypted(payload) and KEY_ID in payload.metadata else None


def bound_to(payload: Payload) -> str | None:
    """The workflow id an encrypted payload is bound to (None: encrypted before binding)."""
    return payload.metadata[BOUND_TO].decode() if BOUND_TO in payload.metadata else None


def _associated(key_id: str, workflow_id: str | None) -> bytes:
    return key_id.encode() if workflow_id is None else key_id.encode() + b"\x00" + workflow_id.encode()


def encrypt(payload: Payload, keyring: Keyring, compartment: Compartment, workflow_id: str | None = None) -> Payload:
    """`payload` under `compartment`'s active key, bound to `workflow_id` when given."""
    key = keyring.active(compartment)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key.secret).encrypt(nonce, payload.SerializeToString(), _associated(key.key_id, workflow_id))
    metadata = {"encoding": ENCODING, KEY_ID: key.key_id.encode()}
    if workflow_id is not None:
        metadata[BOUND_TO] = workflow_id.encode()
    return Payload(metadata=metadata, data=nonce + sealed)


def decrypt(payload: Payload, keyring: Keyring, workflow_id: str | None = None) -> Payload:
    """The original payload; a payload that is not encrypted is returned as it is. With
    `workflow_id`, a payload bound to another workflow is refused (PayloadMisplaced)."""
    if not is_encrypted(payload):
        return payload
    key_id = key_id_of(payload)
    binding = bound_to(payload)
    if workflow_id is not None and binding is not None and binding != workflow_id:
        raise PayloadMisplaced(f"a payload encrypted for another workflow was sent to {workflow_id}: a ciphertext is "
                               "bound to its workflow")
    key = keyring.get(key_id) if key_id else None
    if key is None:
        raise PayloadUndecryptable(f"payload encrypted with key {key_id or '(none named)'}, which this process "
                                   "does not hold")
    try:
        plain = AESGCM(key.secret).decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:],
                                           _associated(key_id, binding))
    except InvalidTag:
        raise PayloadUndecryptable(f"payload under key {key_id} fails authentication (altered?)") from None
    original = Payload()
    original.ParseFromString(plain)
    return original


def names_national_security(payload: Payload) -> bool:
    """True when a plain JSON payload is a national security request's own (its type is named)."""
    if payload.metadata.get("encoding") != b"json/plain" or not any(m in payload.data for m in _MARKERS):
        return False
    try:
        value = json.loads(payload.data)
    except ValueError:
        return False
    if not isinstance(value, dict):
        return False
    return any(value.get(field) in NATIONAL_SECURITY_REQUEST_TYPES for field in ("request_type", "type"))


class NationalSecurityCases:
    """Workflow ids this process knows to be national security cases (thread-safe, grows only)."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def add(self, workflow_id: str) -> None:
        with self._lock:
            self._ids.add(workflow_id)

    def __contains__(self, workflow_id: object) -> bool:
        with self._lock:
            return workflow_id in self._ids


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    """AES-256-GCM over every payload, national security cases under their own key."""

    def __init__(self, keyring: Keyring, cases: NationalSecurityCases | None = None,
                 context: SerializationContext | None = None, *, refuse_plain_decisions: bool = False) -> None:
        if not keyring.holds(Compartment.GENERAL):
            raise KeyringError("the keyring holds no general key; nothing could be encrypted")
        self.keyring = keyring
        self.cases = cases if cases is not None else NationalSecurityCases()
        self._context = context
        self.refuse_plain_decisions = refuse_plain_decisions
        """The worker's: a sealed decision that arrives unencrypted is refused (SPEC §6: plain payloads
        are refused for anything a person sends); a replayer of decoded histories leaves it off."""

    def with_context(self, context: SerializationContext) -> EncryptionCodec:
        return EncryptionCodec(self.keyring, self.cases, context, refuse_plain_decisions=self.refuse_plain_decisions)

    @property
    def _workflow_id(self) -> str | None:
        return getattr(self._context, "workflow_id", None)

    def _notice(self, payloads: Sequence[Payload]) -> bool:
        """Is this a national security case's payload? Remember its workflow when it says so."""
        context, workflow_id = self._context, self._workflow_id
        if isinstance(context, ActivitySerializationContext) and context.workflow_type in \
                NATIONAL_SECURITY_WORKFLOW_TYPES:
            return True
        if workflow_id is not None and (workflow_id in self.cases or workflow_id == RECONCILIATION_WORKFLOW_ID):
            return True
        if any(names_national_security(p) for p in payloads):
            if workflow_id is not None:
                self.cases.add(workflow_id)
            return True
        return False

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        compartment = Compartment.NATIONAL_SECURITY if self._notice(payloads) else Compartment.GENERAL
        return [encrypt(p, self.keyring, compartment, self._workflow_id) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        workflow_id = self._workflow_id
        plain = [self._decoded(p, workflow_id) for p in payloads]
        self._notice(plain)
        return plain

    def _decoded(self, payload: Payload, workflow_id: str | None) -> Payload:
        if not is_encrypted(payload):
            if self.refuse_plain_decisions and workflow_id is not None and _is_sealed_decision(payload):
                return refusal("the decision arrived as a plain payload, unencrypted: a decision reaches a case only "
                               "encrypted by the codec server that sealed it")
            return payload
        try:
            original = decrypt(payload, self.keyring, workflow_id)
        except PayloadMisplaced as misplaced:
            return refusal(str(misplaced))
        key_id = key_id_of(payload)
        if key_id and key_id.startswith(f"{Compartment.NATIONAL_SECURITY}-") and workflow_id is not None \
                and bound_to(payload) == workflow_id:
            self.cases.add(workflow_id)  # a natsec payload bound to this very workflow marks it national security
        if key_id and key_id.startswith(f"{Compartment.GENERAL}-") and self._is_national_security(workflow_id) \
                and _is_sealed_decision(original):
            return refusal("a decision under the general key was sent to a national security case: its decisions go "
                           "only through the cleared codec server")
        return original

    def _is_national_security(self, workflow_id: str | None) -> bool:
        context = self._context
        if isinstance(context, ActivitySerializationContext) and context.workflow_type in \
                NATIONAL_SECURITY_WORKFLOW_TYPES:
            return True
        return workflow_id is not None and (workflow_id in self.cases or workflow_id == RECONCILIATION_WORKFLOW_ID)


def _is_sealed_decision(payload: Payload) -> bool:
    if payload.metadata.get("encoding") != b"json/plain" or b'"seal"' not in payload.data:
        return False
    try:
        return is_sealed(json.loads(payload.data))
    except ValueError:
        return False


def refusal(reason: str) -> Payload:
    """What a workflow receives instead of a payload it may not take: a JSON object saying why."""
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps({REFUSED_FIELD: reason}).encode())
