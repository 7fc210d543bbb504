"""Account PINs: stored only as a salted scrypt hash, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac

SCRYPT_COST = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
"""scrypt's work factors (RFC 7914's interactive-login figures): about 16 MiB and 50 ms a check."""


def hash_pin(pin: str, salt: str) -> str:
    """The stored form of an account PIN: scrypt(PIN, salt) in hex."""
    return hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), **SCRYPT_COST).hex()


def pin_matches(pin: str, salt: str, stored_hash: str) -> bool:
    """Whether `pin` is the account's PIN; the comparison takes the same time either way."""
    return hmac.compare_digest(hash_pin(pin, salt), stored_hash)
