"""The payload codec: every payload a worker or client hands Temporal is AES-256-GCM encrypted.

An encrypted payload is `encoding: binary/encrypted`, `encryption-key-id: <key id>` in its
metadata, and `nonce (12 bytes) || ciphertext+tag` as data; the plaintext is the whole original
payload (its own metadata included), and the key id is authenticated as associated data.

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
from les.keyring import Compartment, Keyring, KeyringError

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12

NATIONAL_SECURITY_REQUEST_TYPES = frozenset(str(t) for t in CLEARED_ONLY)
NATIONAL_SECURITY_WORKFLOW_TYPES = frozenset({"NationalSecurityLetter", "FisaOrder"})
_MARKERS = tuple(t.encode() for t in NATIONAL_SECURITY_REQUEST_TYPES)


class PayloadUndecryptable(Exception):
    """A payload this process cannot decrypt: a key it does not hold, or altered bytes."""


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


def key_id_of(payload: Payload) -> str | None:
    return payload.metadata[KEY_ID].decode() if is_encrypted(payload) and KEY_ID in payload.metadata else None


def encrypt(payload: Payload, keyring: Keyring, compartment: Compartment) -> Payload:
    key = keyring.active(compartment)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key.secret).encrypt(nonce, payload.SerializeToString(), key.key_id.encode())
    return Payload(metadata={"encoding": ENCODING, KEY_ID: key.key_id.encode()}, data=nonce + sealed)


def decrypt(payload: Payload, keyring: Keyring) -> Payload:
    """The original payload; a payload that is not encrypted is returned as it is."""
    if not is_encrypted(payload):
        return payload
    key_id = key_id_of(payload)
    key = keyring.get(key_id) if key_id else None
    if key is None:
        raise PayloadUndecryptable(f"payload encrypted with key {key_id or '(none named)'}, which this process "
                                   "does not hold")
    try:
        plain = AESGCM(key.secret).decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], key_id.encode())
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
                 context: SerializationContext | None = None) -> None:
        if not keyring.holds(Compartment.GENERAL):
            raise KeyringError("the keyring holds no general key; nothing could be encrypted")
        self.keyring = keyring
        self.cases = cases if cases is not None else NationalSecurityCases()
        self._context = context

    def with_context(self, context: SerializationContext) -> EncryptionCodec:
        return EncryptionCodec(self.keyring, self.cases, context)

    @property
    def _workflow_id(self) -> str | None:
        return getattr(self._context, "workflow_id", None)

    def _notice(self, payloads: Sequence[Payload]) -> bool:
        """Is this a national security case's payload? Remember its workflow when it says so."""
        context, workflow_id = self._context, self._workflow_id
        if isinstance(context, ActivitySerializationContext) and context.workflow_type in \
                NATIONAL_SECURITY_WORKFLOW_TYPES:
            return True
        if workflow_id is not None and workflow_id in self.cases:
            return True
        if any(names_national_security(p) for p in payloads):
            if workflow_id is not None:
                self.cases.add(workflow_id)
            return True
        return False

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        compartment = Compartment.NATIONAL_SECURITY if self._notice(payloads) else Compartment.GENERAL
        return [encrypt(p, self.keyring, compartment) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        plain = [decrypt(p, self.keyring) for p in payloads]
        self._notice(plain)
        return plain
