"""The payload-encryption keys: AES-256 keys in two compartments, loaded from a keyring folder
and/or the environment, rotated by adding a newer version.

- `general-vN` keys protect every case; `natsec-vN` keys protect national security letters and
  FISA orders, and only the worker, the cleared analysts' tools and the cleared codec endpoint
  hold them.
- The newest version of a compartment encrypts; every version held still decrypts, so a
  rotation never strands a running workflow or a recorded history.
- The folder (`LES_KEYRING_DIR`, default `<state>/keyring`) holds one file per key, named by
  its id (les/paths.py `keyring_file`), containing the key in base64. Folder 0700, files 0600;
  a key file others can read is refused. `LES_PAYLOAD_KEYS="general-v2:<base64>,..."` adds keys
  from the environment (a secrets manager's injection, say) and wins over a file of the same id.

`python -m les.keyring rotate general` (or `natsec`) adds the next version; `list` shows ids."""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from les.paths import PathRefused, keyring_file

KEY_BYTES = 32
"""AES-256."""
KEYS_ENV = "LES_PAYLOAD_KEYS"
_KEY_ID = re.compile(r"^(general|natsec)-v([1-9][0-9]{0,5})$")


class Compartment(StrEnum):
    GENERAL = "general"
    """Every case but national security ones."""
    NATIONAL_SECURITY = "natsec"
    """National security letters and FISA orders (LEGAL.md Approvals): cleared holders only."""


class KeyringError(Exception):
    """The keyring cannot be used as configured; the message says what to do."""


@dataclass(frozen=True)
class PayloadKey:
    key_id: str
    compartment: Compartment
    version: int
    secret: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"PayloadKey({self.key_id})"


def parse_key_id(key_id: str) -> tuple[Compartment, int]:
    match = _KEY_ID.match(key_id)
    if match is None:
        raise KeyringError(f"{key_id!r} is not a key id (general-vN or natsec-vN)")
    return Compartment(match.group(1)), int(match.group(2))


def make_key(key_id: str, encoded: str) -> PayloadKey:
    compartment, version = parse_key_id(key_id)
    try:
        secret = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"key {key_id} is not base64") from None
    if len(secret) != KEY_BYTES:
        raise KeyringError(f"key {key_id} has {len(secret)} bytes; AES-256 needs {KEY_BYTES}")
    return PayloadKey(key_id, compartment, version, secret)


class Keyring:
    """The keys one process holds."""

    def __init__(self, keys: Iterable[PayloadKey]) -> None:
        self._keys = {key.key_id: key for key in keys}

    def __repr__(self) -> str:
        return f"Keyring({', '.join(sorted(self._keys))})"

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def get(self, key_id: str) -> PayloadKey | None:
        return self._keys.get(key_id)

    def holds(self, compartment: Compartment) -> bool:
        return any(key.compartment is compartment for key in self._keys.values())

    def active(self, compartment: Compartment) -> PayloadKey:
        """The key new payloads of `compartment` are encrypted with: its newest version."""
        held = [key for key in self._keys.values() if key.compartment is compartment]
        if not held:
            raise KeyringError(f"no {compartment} key is held; this process cannot encrypt {compartment} payloads")
        return max(held, key=lambda key: key.version)

    def restricted_to(self, *compartments: Compartment) -> Keyring:
        """The same keyring without the other compartments' keys (what a less-cleared holder gets)."""
        return Keyring(key for key in self._keys.values() if key.compartment in compartments)

    @classmethod
    def load(cls, folder: Path | None, environ: Mapping[str, str] | None = None) -> Keyring:
        """The keys in `folder` (when it exists) and in LES_PAYLOAD_KEYS; refused if none."""
        keys = {key.key_id: key for key in _read_folder(folder)} if folder is not None else {}
        keys.update((key.key_id, key) for key in _read_env((environ or os.environ).get(KEYS_ENV, "")))
        if not keys:
            where = f"{folder}" if folder is not None else "no keyring folder"
            raise KeyringError(
                f"no payload-encryption keys ({where}, {KEYS_ENV} unset); `python3 stack.py up` creates a "
                f"local keyring, or set LES_KEYRING_DIR / {KEYS_ENV}"
            )
        return cls(keys.values())


def _read_folder(folder: Path) -> list[PayloadKey]:
    if not folder.is_dir():
        return []
    keys = []
    for entry in sorted(folder.iterdir()):
        if not _KEY_ID.match(entry.name):
            continue
        try:
            path = keyring_file(folder, entry.name)
        except PathRefused as refused:
            raise KeyringError(f"keyring entry {entry.name}: {refused}") from None
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyringError(f"{path} is readable by others (mode {mode:04o}); `chmod 600 {path}`")
        keys.append(make_key(entry.name, path.read_text()))
    return keys


def _read_env(text: str) -> list[PayloadKey]:
    keys = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        key_id, sep, encoded = item.partition(":")
        if not sep:
            raise KeyringError(f"{KEYS_ENV} expects key-id:base64 items separated by commas")
        keys.append(make_key(key_id.strip(), encoded))
    return keys


def add_key(folder: Path, compartment: Compartment) -> PayloadKey:
    """Write the next version of `compartment`'s key into `folder` (0600; the folder 0700)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    versions = [key.version for key in _read_folder(folder) if key.compartment is compartment]
    key_id = f"{compartment}-v{max(versions, default=0) + 1}"
    path = keyring_file(folder, key_id)
    encoded = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(encoded + "\n")
    return make_key(key_id, encoded)


def ensure_local_keyring(folder: Path) -> list[str]:
    """A local run's keyring: create each compartment's first key when none is there yet."""
    created = []
    for compartment in Compartment:
        if not any(key.compartment is compartment for key in _read_folder(folder)):
            created.append(add_key(folder, compartment).key_id)
    return created


def main(argv: list[str]) -> int:
    import argparse

    from les.config import Settings

    parser = argparse.ArgumentParser(prog="python -m les.keyring", description="payload-encryption keys")
    sub = parser.add_subparsers(dest="command", required=True)
    rotate = sub.add_parser("rotate", help="add the next version of a compartment's key; it encrypts from now on")
    rotate.add_argument("compartment", choices=[c.value for c in Compartment])
    sub.add_parser("list", help="the key ids held (never the keys)")
    args = parser.parse_args(argv)
    folder = Settings.from_env().keyring_dir
    try:
        if args.command == "rotate":
            key = add_key(folder, Compartment(args.compartment))
            print(f"{key.key_id} written to {folder}; restart the worker and codec servers to encrypt with it "
                  "(older keys keep decrypting: do not delete them while any history needs them)")
        else:
            keyring = Keyring.load(folder)
            for compartment in Compartment:
                if keyring.holds(compartment):
                    print(f"{compartment}: {keyring.active(compartment).key_id} encrypts; held: "
                          + ", ".join(k for k in keyring.key_ids if k.startswith(str(compartment))))
    except KeyringError as err:
        print(f"keyring: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
