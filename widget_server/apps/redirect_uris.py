"""The registration rule for redirect URIs (SPEC §4.1).

Matching at ``/connect`` is character for character against what is stored here, so this
module is where every URI trick is refused: userinfo, fragments, wildcards, backslashes,
dot segments (plain or percent-encoded), non-ASCII look-alike hosts, plain http outside
loopback. The only rewriting is the SPEC's: an empty or ``/`` path without a query becomes
``/callback``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..errors import ValidationError

MAX_URI_LENGTH = 2048
MAX_URIS_PER_APP = 20
DEFAULT_CALLBACK_PATH = "/callback"

_HOSTNAME_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_PRINTABLE_ASCII = re.compile(r"^[\x21-\x7e]+$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class RedirectUri:
    uri: str
    origin: str


def normalize_redirect_uris(raw_uris: list[str]) -> list[RedirectUri]:
    """Validate and normalize a list, in order, without duplicates."""
    if not raw_uris:
        raise ValidationError("at least one redirect URI is required")
    result: list[RedirectUri] = []
    for raw in raw_uris:
        normalized = normalize_redirect_uri(raw)
        if normalized.uri not in (r.uri for r in result):
            result.append(normalized)
    if len(result) > MAX_URIS_PER_APP:
        raise ValidationError(f"an app may have at most {MAX_URIS_PER_APP} redirect URIs")
    return result


def split_uri_list(value: str) -> list[str]:
    """The CLI's comma-separated form: ``URI[,URI...]``."""
    return [part.strip() for part in value.split(",") if part.strip()]


def normalize_redirect_uri(raw: str) -> RedirectUri:
    if not isinstance(raw, str) or not raw:
        raise ValidationError("a redirect URI must not be empty")
    if len(raw) > MAX_URI_LENGTH:
        raise ValidationError(f"a redirect URI must be at most {MAX_URI_LENGTH} characters")
    if not _PRINTABLE_ASCII.fullmatch(raw):
        raise ValidationError(
            f"redirect URI {raw!r} contains spaces, control or non-ASCII characters "
            "(internationalized host names must be given in their xn-- form)"
        )
    for bad, why in (("\\", "backslashes"), ("#", "a fragment"), ("*", "wildcards")):
        if bad in raw:
            raise ValidationError(f"redirect URI {raw!r} must not contain {why}")

    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in ("http", "https"):
        raise ValidationError(f"redirect URI {raw!r} must start with https:// (lower case)")
    parts = urlsplit(raw)
    if "@" in parts.netloc:
        raise ValidationError(f"redirect URI {raw!r} must not contain user information (@)")
    host = _valid_host(parts.hostname or "", raw)
    port = _valid_port(parts, raw)
    if scheme == "http" and not is_loopback_host(host):
        raise ValidationError(
            f"redirect URI {raw!r} must use https (http is allowed only for localhost)"
        )
    _refuse_dot_segments(parts.path, raw)

    uri = raw
    if parts.path in ("", "/") and not parts.query and "?" not in raw:
        uri = f"{scheme}://{parts.netloc}{DEFAULT_CALLBACK_PATH}"
    return RedirectUri(uri=uri, origin=origin_of(scheme, host, port))


def origin_of(scheme: str, host: str, port: int | None) -> str:
    """The browser's serialization of an origin: lower case, default port left out."""
    shown_host = f"[{host}]" if ":" in host else host
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{shown_host}"
    return f"{scheme}://{shown_host}:{port}"


def origin_of_uri(uri: str) -> str:
    parts = urlsplit(uri)
    return origin_of(parts.scheme, parts.hostname or "", parts.port)


def is_loopback_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _valid_host(host: str, raw: str) -> str:
    if not host:
        raise ValidationError(f"redirect URI {raw!r} has no host")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    if not all(_HOSTNAME_LABEL.fullmatch(label) for label in host.split(".")):
        raise ValidationError(f"redirect URI {raw!r} has an invalid host name")
    return host


def _valid_port(parts, raw: str) -> int | None:
    try:
        port = parts.port
    except ValueError:
        raise ValidationError(f"redirect URI {raw!r} has an invalid port") from None
    if parts.netloc.endswith(":"):
        raise ValidationError(f"redirect URI {raw!r} has an empty port")
    if port == 0:
        raise ValidationError(f"redirect URI {raw!r} has an invalid port")
    return port


def _refuse_dot_segments(path: str, raw: str) -> None:
    decoded = path
    for _ in range(3):  # %252e%252e and friends
        decoded = unquote(decoded)
    if any(segment in (".", "..") for segment in decoded.split("/")):
        raise ValidationError(f"redirect URI {raw!r} must not contain . or .. path segments")


# RFC 8252 §7.3 for the built-in ``legion-cli`` client: a native app listens on a port the
# system picks, so its redirect URI is a loopback ``/callback`` on any port. IP literals
# as the RFC recommends, and ``localhost`` (which resolves to them) for tools that use it.
LOOPBACK_CALLBACK_HOSTS = ("127.0.0.1", "[::1]", "localhost")
LOOPBACK_CALLBACK_PATH = "/callback"


def is_loopback_callback(raw: str) -> bool:
    """``http://127.0.0.1:<port>/callback`` (or ``[::1]``, ``localhost``), exactly: the
    §4.1 rule first (so every trick it refuses is refused here too), then plain http on
    one of those hosts, the path ``/callback``, no query; only the port may vary."""
    try:
        normalized = normalize_redirect_uri(raw)
    except ValidationError:
        return False
    if normalized.uri != raw:
        return False  # §4.1 would have rewritten it: not the form a native app sends
    parts = urlsplit(raw)
    host = parts.netloc.rpartition(":")[0] if parts.port is not None else parts.netloc
    return (
        parts.scheme == "http"
        and host in LOOPBACK_CALLBACK_HOSTS
        and parts.path == LOOPBACK_CALLBACK_PATH
        and not parts.query
        and "?" not in raw
    )
