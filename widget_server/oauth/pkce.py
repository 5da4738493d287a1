"""PKCE (RFC 7636), S256 only: ``plain`` gives no protection when the code leaks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

# Both are 43–128 characters of the unreserved set (RFC 7636 §4.1, §4.2).
_PKCE_VALUE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def is_valid_challenge(challenge: str) -> bool:
    return bool(_PKCE_VALUE.fullmatch(challenge))


def is_valid_verifier(verifier: str) -> bool:
    return bool(_PKCE_VALUE.fullmatch(verifier))


def s256(verifier: str) -> str:
    hashed = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(hashed).rstrip(b"=").decode("ascii")


def verifier_matches(verifier: str, challenge: str) -> bool:
    return is_valid_verifier(verifier) and hmac.compare_digest(s256(verifier), challenge)
