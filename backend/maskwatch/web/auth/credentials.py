"""Passwords (Argon2id, argon2-cffi's defaults) and API tokens (random, kept only as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "mw_"
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
#: Checked against when the user does not exist, so an unknown name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when password matches; password_hash None (no such user) still spends the time of a check."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """argon2-cffi's parameters went up since this hash was made."""
    return _hasher.check_needs_rehash(password_hash)


def new_api_token() -> tuple[str, str, str]:
    """(token shown once, its SHA-256 to store, a prefix to tell tokens apart). 256 random bits: a plain hash is
    enough, nobody can guess such a token to try against the hash.

    Example: token, digest, prefix = new_api_token(); token.startswith("mw_")
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_digest(token), token[: len(TOKEN_PREFIX) + 6]


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
