"""Decision seals: the codec servers' signature on who decided, when, on which case, and what.

A person's decision takes effect only sealed (SPEC §6). The codec server that authenticated the
person (an OIDC token checked against the provider's JWKS) wraps the decision's JSON object as

    {"seal": {"v": 1, "key": "seal-v1", "person": "jdoe", "at": "2026-12-07T01:40:00Z",
              "case": "LES-2026-000101", "compartment": "general", "nonce": "...",
              "signature": "<base64 Ed25519>"},
     "decision": {...the person's JSON object, unchanged...}}

and the signature covers every field of the seal but itself together with the decision, in one
canonical JSON serialisation (sorted keys, no spaces, UTF-8). Only the codec servers hold the
private key (`seal-vN.key`, 0600); the worker holds the public keys (`seal-vN.pub`) and checks
the signature in the activity that asks the roster, so the answer is recorded in the history and
replays without the key. What does not need a key (the case named, the moment, a nonce used
before, the compartment) is checked by the workflow itself: domain/seals.py.

    python -m les.seals rotate      # add the next key version; the newest signs, every held one verifies
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.seals import DECISION_FIELD, SEAL_FIELD, SEAL_VERSION, signed_bytes

_KEY_ID = re.compile(r"^seal-v([1-9][0-9]{0,5})$")
PRIVATE_SUFFIX, PUBLIC_SUFFIX = ".key", ".pub"


class SealError(Exception):
    """The seal keys cannot be used as configured; the message says what to do."""


class SealRefused(Exception):
    """A seal that does not verify; the message says why, in words."""


@dataclass(frozen=True)
class SealingKey:
    key_id: str
    private: Ed25519PrivateKey

    def __repr__(self) -> str:  # never the key
        return f"SealingKey({self.key_id})"


def _version(key_id: str) -> int:
    match = _KEY_ID.match(key_id)
    if match is None:
        raise SealError(f"{key_id!r} is not a seal key id (seal-vN)")
    return int(match.group(1))


def _private_file(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SealError(f"{path} is readable by others (mode {mode:04o}); `chmod 600 {path}`")
    return path.read_bytes()


def add_seal_key(folder: Path) -> str:
    """Write the next seal key pair into `folder` (0700): `seal-vN.key` 0600 and `seal-vN.pub`."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    versions = [_version(p.name[: -len(PRIVATE_SUFFIX)]) for p in folder.glob(f"seal-v*{PRIVATE_SUFFIX}")]
    key_id = f"seal-v{max(versions, default=0) + 1}"
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    descriptor = os.open(folder / f"{key_id}{PRIVATE_SUFFIX}", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                         0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(raw).decode() + "\n")
    descriptor = os.open(folder / f"{key_id}{PUBLIC_SUFFIX}", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                         0o644)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(public).decode() + "\n")
    return key_id


def ensure_seal_keys(folder: Path) -> str | None:
    """A local run's seal keys: the first pair when none is there yet (its id), else None."""
    if folder.is_dir() and any(folder.glob(f"seal-v*{PRIVATE_SUFFIX}")):
        return None
    return add_seal_key(folder)


def _decode(text: str, path: Path, size: int) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SealError(f"{path} is not base64") from None
    if len(raw) != size:
        raise SealError(f"{path} holds {len(raw)} bytes; an Ed25519 key has {size}")
    return raw


def load_sealing_key(where: Path) -> SealingKey:
    """The private key in the file `where`, or the newest in the folder `where` (the codec servers' only)."""
    if where.is_file():
        path = where
        _version(path.name[: -len(PRIVATE_SUFFIX)])
    else:
        files = sorted(where.glob(f"seal-v*{PRIVATE_SUFFIX}") if where.is_dir() else [],
                       key=lambda p: _version(p.name[: -len(PRIVATE_SUFFIX)]))
        if not files:
            raise SealError(f"no seal key in {where}; `python3 stack.py up` creates one, or "
                            "`python -m les.seals rotate`")
        path = files[-1]
    raw = _decode(_private_file(path).decode(), path, 32)
    return SealingKey(path.name[: -len(PRIVATE_SUFFIX)], Ed25519PrivateKey.from_private_bytes(raw))


def load_public_keys(folder: Path) -> dict[str, Ed25519PublicKey]:
    """Every public key in `folder`, by id (the worker's: it verifies, it cannot seal)."""
    keys = {}
    for path in sorted(folder.glob(f"seal-v*{PUBLIC_SUFFIX}")) if folder.is_dir() else []:
        key_id = path.name[: -len(PUBLIC_SUFFIX)]
        _version(key_id)
        keys[key_id] = Ed25519PublicKey.from_public_bytes(_decode(path.read_text(), path, 32))
    return keys


def seal(decision: Mapping[str, Any], *, person: str, case: str, compartment: str, key: SealingKey,
         at: datetime | None = None) -> dict[str, Any]:
    """The sealed envelope of `decision` (a JSON object) for `person` on `case`."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    fields = {"v": SEAL_VERSION, "key": key.key_id, "person": person,
              "at": moment.isoformat(timespec="microseconds").replace("+00:00", "Z"), "case": case,
              "compartment": compartment, "nonce": secrets.token_urlsafe(18)}
    signature = key.private.sign(signed_bytes(fields, decision))
    return {SEAL_FIELD: {**fields, "signature": base64.b64encode(signature).decode()},
            DECISION_FIELD: dict(decision)}


def verify(envelope: Mapping[str, Any], public_keys: Mapping[str, Ed25519PublicKey]) -> None:
    """Nothing when the envelope's signature verifies under the key it names; SealRefused otherwise."""
    fields = dict(envelope.get(SEAL_FIELD) or {})
    signature_text = fields.pop("signature", None)
    key = public_keys.get(str(fields.get("key")))
    if key is None:
        raise SealRefused(f"the seal names key {fields.get('key')!r}, which the worker does not hold: not "
                          "sealed by this product's codec servers")
    try:
        signature = base64.b64decode(str(signature_text), validate=True)
        key.verify(signature, signed_bytes(fields, envelope.get(DECISION_FIELD) or {}))
    except (binascii.Error, ValueError, InvalidSignature):
        raise SealRefused("the seal's signature does not verify: forged, or the decision was changed after "
                          "it was sealed") from None


def main(argv: list[str]) -> int:
    import argparse

    from les.config import Settings

    parser = argparse.ArgumentParser(prog="python -m les.seals", description="the codec servers' seal keys")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("rotate", help="add the next key pair; it seals from now on, older ones still verify")
    sub.add_parser("list", help="the key ids held (never the keys)")
    args = parser.parse_args(argv)
    folder = Settings.from_env().seal_dir
    try:
        if args.command == "rotate":
            key_id = add_seal_key(folder)
            print(f"{key_id} written to {folder}; restart the codec servers to seal with it and the workers to "
                  "verify it (keep the older .pub files while any open case may hold their seals)")
        else:
            print(", ".join(sorted(load_public_keys(folder))) or "no seal keys")
    except (SealError, OSError) as err:
        print(f"seals: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
