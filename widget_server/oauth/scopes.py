"""The scopes a token can carry, and the one error for a token that lacks one.

- ``chat:completions``: chat on the user's wallet (§5, §11); every app's default.
- ``apps:manage``: manage the user's own apps (§14, ``/v1/apps``); only the built-in
  ``legion-cli`` client may ask for it, and it may ask for nothing else.
"""

from __future__ import annotations

from ..errors import ApiError

CHAT_COMPLETIONS = "chat:completions"
APPS_MANAGE = "apps:manage"
SUPPORTED_SCOPES = (CHAT_COMPLETIONS, APPS_MANAGE)
DEFAULT_SCOPE = CHAT_COMPLETIONS


def parse_scope(raw: str | None, default: str = DEFAULT_SCOPE) -> str | None:
    """The normalized scope string, or None when it names a scope we don't have."""
    if raw is None or raw.strip() == "":
        return default
    requested = raw.split(" ")
    if any(s not in SUPPORTED_SCOPES for s in requested):
        return None
    return " ".join(s for s in SUPPORTED_SCOPES if s in requested)


def scope_within(requested: str | None, granted: str) -> bool:
    """RFC 6749 §6: a refresh may repeat or narrow the granted scope, never widen it."""
    if requested is None or requested.strip() == "":
        return True
    return set(requested.split()) <= set(granted.split())


def has_scope(granted: str, scope: str) -> bool:
    return scope in granted.split()


def insufficient_scope(needed: str, message: str) -> ApiError:
    """RFC 6750 §3.1: a valid token without the scope this call needs is a 403."""
    return ApiError(
        403,
        "insufficient_scope",
        message,
        headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'},
    )
