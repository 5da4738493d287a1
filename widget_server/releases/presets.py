"""Settings a zip can be built with: one app's Client ID and its Legion server URL.

They end up inside PHP and YAML files, so they are checked here against the shapes the
server issues, not just escaped: a preset that is not a plausible Client ID or URL is
refused before anything is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..apps.redirect_uris import is_loopback_host
from ..errors import ValidationError

_CLIENT_ID = re.compile(r"^lgn_[A-Za-z0-9_-]{1,100}$")
_PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]+$")


@dataclass(frozen=True)
class Preset:
    client_id: str | None = None
    server_url: str | None = None

    @classmethod
    def checked(cls, client_id: str | None = None, server_url: str | None = None) -> Preset:
        return cls(
            client_id=check_client_id(client_id) if client_id else None,
            server_url=check_server_url(server_url) if server_url else None,
        )

    @property
    def empty(self) -> bool:
        return not self.client_id and not self.server_url


def check_client_id(value: str) -> str:
    value = value.strip()
    if not _CLIENT_ID.match(value):
        raise ValidationError(f"{value!r} is not a Client ID (lgn_ followed by letters and digits)")
    return value


def check_server_url(value: str) -> str:
    """An https URL (http only on loopback), no query, fragment or userinfo; no trailing /."""
    url = value.strip().rstrip("/")
    if len(url) > 2048 or not _PRINTABLE_ASCII.match(url or " ") or "\\" in url:
        raise ValidationError(f"{value!r} is not a usable server URL")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError(f"server URL {value!r} must start with https://")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ValidationError(f"server URL {value!r} must not have a query, fragment or user")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ValidationError(f"server URL {value!r} must use https (http only for localhost)")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValidationError(f"server URL {value!r} has a malformed port") from None
    return url
