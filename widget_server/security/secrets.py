"""Random credentials and the one-way hashes we store instead of them.

Codes, tokens, client secrets and session ids carry 256 bits of randomness, so a fast
SHA-256 is the right hash for them (an attacker can't brute-force the input); Argon2 is
kept for passwords, which people choose.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

CLIENT_ID_PREFIX = "lgn_"
CLIENT_SECRET_PREFIX = "lgs_"
ACCESS_TOKEN_PREFIX = "lat_"
REFRESH_TOKEN_PREFIX = "lrt_"
CODE_PREFIX = "lac_"
# Developer tokens made on /account (SPEC §14): they manage the owner's apps, never chat.
DEVELOPER_TOKEN_PREFIX = "ldt_"


def new_secret(prefix: str, nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_hex(12)


def digest(value: str) -> str:
    """The SHA-256 hex digest under which a credential is stored and looked up."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def matches_digest(value: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(value), stored_digest)
