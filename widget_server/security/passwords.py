"""Argon2id password hashing, off the event loop (one hash takes tens of milliseconds)."""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this keeps unknown-email logins as slow as wrong-password ones."""
    return _hasher.hash("legion-dummy-password")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; always spends the same time, even with no hash."""
    return await asyncio.to_thread(_verify, password_hash or _dummy_hash(), password, password_hash)


def _verify(password_hash: str, password: str, real_hash: str | None) -> bool:
    try:
        _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return real_hash is not None
