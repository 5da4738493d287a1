"""The scopes a token can carry."""

from __future__ import annotations

CHAT_COMPLETIONS = "chat:completions"
SUPPORTED_SCOPES = (CHAT_COMPLETIONS,)
DEFAULT_SCOPE = CHAT_COMPLETIONS


def parse_scope(raw: str | None) -> str | None:
    """The normalized scope string, or None when it names a scope we don't have."""
    if raw is None or raw.strip() == "":
        return DEFAULT_SCOPE
    requested = raw.split(" ")
    if any(s not in SUPPORTED_SCOPES for s in requested):
        return None
    return " ".join(s for s in SUPPORTED_SCOPES if s in requested)


def scope_within(requested: str | None, granted: str) -> bool:
    """RFC 6749 §6: a refresh may repeat or narrow the granted scope, never widen it."""
    if requested is None or requested.strip() == "":
        return True
    return set(requested.split()) <= set(granted.split())
