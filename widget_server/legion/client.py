"""Talking to the Legion server: one small HTTP client (urllib), its errors, ``--verbose``
logging with secrets redacted, and where the token comes from.

The token is ``LEGION_ACCESS_TOKEN`` (a developer token, used as it is), else the entry
for this server in the credentials file that ``legion login`` wrote: refreshed before use
when it has expired, and once after a 401. A refresh takes a lock beside the file and
reads it again first, so two ``legion`` processes never spend the same refresh token (a
second use would revoke the login).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager, suppress
from http import HTTPStatus

from . import credentials
from .errors import CliError

DEFAULT_SERVER = "http://127.0.0.1:8000"
SERVER_ENV = "LEGION_SERVER_URL"
TOKEN_ENV = "LEGION_ACCESS_TOKEN"  # noqa: S105 - a variable's name
CLI_CLIENT_ID = "legion-cli"
TOKEN_PATH = "/v1/oauth/token"  # noqa: S105 - a URL path
REVOKE_PATH = "/v1/oauth/revoke"
TIMEOUT_S = 30.0
REFRESH_MARGIN_S = 30  # refresh a token this close to its expiry
REDACTED = "[redacted]"
# Values never printed by --verbose: by field name (JSON and form bodies, headers), and,
# as a net under that, anything that looks like one of the server's credentials.
SECRET_FIELDS = frozenset(
    {"access_token", "refresh_token", "client_secret", "token", "code", "code_verifier"}
)
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
_CREDENTIAL = re.compile(r"\b(lat|lrt|lgs|ldt|lac)_[A-Za-z0-9_\-]+")
_MAX_LOGGED_BODY = 4000


def resolve_server(option: str | None) -> str:
    """``--server``, else ``LEGION_SERVER_URL``, else the default; without a trailing
    slash, so it keys the credentials file the same way however it was typed."""
    raw = (option or os.environ.get(SERVER_ENV) or DEFAULT_SERVER).strip()
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise CliError(f"the server must be an http:// or https:// URL, not {raw!r}")
    return raw.rstrip("/")


# ---------------------------------------------------------------- HTTP


class Response:
    """An answer, read whole. (A plain class: dataclasses costs start-up time.)"""

    __slots__ = ("body", "headers", "reason", "status")

    def __init__(self, status: int, reason: str, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers  # lower-case names
        self.body = body

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """An API that redirects is misconfigured (http to https, a wrong path): say so
    rather than replay a POST as a GET somewhere else."""

    def redirect_request(self, *args, **kwargs):
        return None


class Transport:
    """Requests to one server, logged on stderr when ``verbose``."""

    def __init__(self, server: str, *, verbose: bool = False) -> None:
        self.server = server
        self.verbose = verbose
        self._opener = urllib.request.build_opener(_NoRedirects)

    def send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: object = None,
        form: dict[str, str] | None = None,
        accept: str = "application/json",
    ) -> Response:
        url = path if "://" in path else self.server + path
        headers = {"Accept": accept, "User-Agent": "legion-cli"}
        data = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        # http(s) only: resolve_server checked the scheme, metadata URLs are the server's.
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        self._log_request(method, url, headers, data)
        started = time.perf_counter()
        try:
            with self._opener.open(request, timeout=TIMEOUT_S) as answer:
                response = _response(answer.status, answer.reason, answer.headers, answer.read())
        except urllib.error.HTTPError as answer:  # 4xx, 5xx, and the redirects refused
            response = _response(answer.code, answer.reason, answer.headers, answer.read())
        except (urllib.error.URLError, OSError) as error:
            raise CliError(
                f"cannot reach the Legion server at {self.server}: {_reason(error)}"
            ) from None
        self._log_response(response, time.perf_counter() - started)
        return response

    # ------------------------------------------------------------ --verbose

    def _log_request(self, method: str, url: str, headers: dict, data: bytes | None) -> None:
        if not self.verbose:
            return
        lines = [f"> {method} {url}"]
        lines += [f"> {name}: {_header_value(name, value)}" for name, value in headers.items()]
        if data:
            lines.append("> " + redact_body(data, headers.get("Content-Type", "")))
        _log(lines)

    def _log_response(self, response: Response, seconds: float) -> None:
        if not self.verbose:
            return
        lines = [f"< {response.status} {response.reason} ({seconds * 1000:.0f} ms)"]
        lines += [
            f"< {name}: {_header_value(name, value)}" for name, value in response.headers.items()
        ]
        if response.body:
            lines.append("< " + redact_body(response.body, response.content_type))
        _log(lines)


def _response(status: int, reason: str, headers, body: bytes) -> Response:
    if not reason:  # HTTP/1.1 servers may send none (hypercorn doesn't)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    return Response(status, reason, {k.lower(): v for k, v in headers.items()}, body)


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None) or error
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return f"no answer within {TIMEOUT_S:.0f} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    text = getattr(reason, "strerror", None) or str(reason)
    return text or type(reason).__name__


def _log(lines: list[str]) -> None:
    print("\n".join(lines), file=sys.stderr, flush=True)


def _header_value(name: str, value: str) -> str:
    if name.lower() in SECRET_HEADERS:
        scheme = value.split(" ", 1)[0] if " " in value else ""
        return f"{scheme} {REDACTED}".strip()
    return scrub(value)


def scrub(text: str) -> str:
    """Anything shaped like a Legion credential, whatever field it came in."""
    return _CREDENTIAL.sub(lambda m: f"{m.group(1)}_{REDACTED}", text)


def redact(value):
    """A JSON value with every secret field's value replaced."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if k in SECRET_FIELDS and v is not None else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def redact_body(data: bytes, content_type: str) -> str:
    text = data.decode("utf-8", "replace")
    if "json" in content_type:
        with suppress(ValueError):
            text = json.dumps(redact(json.loads(text)))
    elif "x-www-form-urlencoded" in content_type:
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
        text = urllib.parse.urlencode(
            [(k, REDACTED if k in SECRET_FIELDS else v) for k, v in pairs]
        )
    text = scrub(text)
    if len(text) > _MAX_LOGGED_BODY:
        text = text[:_MAX_LOGGED_BODY] + f"... ({len(text):,} characters)"
    return text


# ---------------------------------------------------------------- answers


def json_of(response: Response, server: str):
    """The JSON of a successful answer (None for 204), or the CliError that says why
    there is none: the server's own error, a redirect, or a page that isn't the API."""
    if 300 <= response.status < 400:
        target = response.headers.get("location", "somewhere else")
        raise CliError(
            f"the server at {server} redirected to {target}: use that address as --server"
        )
    if response.status == 204 or (response.status < 300 and not response.body):
        return None
    if response.content_type != "application/json":
        raise CliError(_not_the_api(response, server), status=response.status)
    try:
        value = json.loads(response.body)
    except ValueError:
        raise CliError(
            f"the server at {server} answered HTTP {response.status} with broken JSON",
            status=response.status,
        ) from None
    if response.status >= 400:
        raise api_error(value, response.status, server)
    return value


def _not_the_api(response: Response, server: str) -> str:
    what = (
        "an HTML page"
        if response.content_type == "text/html"
        else (response.content_type or "no content type")
    )
    return (
        f"the server at {server} answered HTTP {response.status} with {what}, not the "
        f"Legion API's JSON: is it a Legion server? (check --server or {SERVER_ENV})"
    )


def api_error(value, status: int, server: str) -> CliError:
    error = value.get("error") if isinstance(value, dict) else None
    if isinstance(error, dict):  # the API's shape (SPEC §5.2)
        message, code = str(error.get("message") or "refused"), error.get("code")
    elif isinstance(error, str):  # RFC 6749's (the token endpoint)
        message, code = str(value.get("error_description") or error), error
    else:
        message, code = f"the server at {server} answered HTTP {status}", None
    return CliError(message, code=code, status=status)


# ---------------------------------------------------------------- the token


class Session:
    """One server and the token to call it with."""

    def __init__(self, server: str, *, verbose: bool = False) -> None:
        self.server = server
        self.http = Transport(server, verbose=verbose)
        self.env_token = os.environ.get(TOKEN_ENV, "").strip() or None
        self._entry: dict | None = None

    @property
    def token_source(self) -> str:
        return TOKEN_ENV if self.env_token else "legion login"

    def call(self, method: str, path: str, body: object = None):
        """An authenticated API call's JSON (None for 204), or a CliError."""
        token, refreshable = self._token()
        response = self.http.send(method, path, token=token, json_body=body)
        if response.status == 401 and refreshable:
            token = self._refresh(spent=token)
            response = self.http.send(method, path, token=token, json_body=body)
        try:
            return json_of(response, self.server)
        except CliError as error:
            if error.status == 401:
                raise CliError(f"{error.message} {self._login_hint()}", error.code, 401) from None
            raise

    def public(self, path: str, accept: str = "application/json") -> Response:
        return self.http.send("GET", path, accept=accept)

    # ------------------------------------------------------------ where it comes from

    def _token(self) -> tuple[str, bool]:
        """The token, and whether it can be refreshed (a login's, not the environment's)."""
        if self.env_token:
            return self.env_token, False
        entry = self._login_entry()
        expires_at = entry.get("expires_at")
        if isinstance(expires_at, int | float) and time.time() > expires_at - REFRESH_MARGIN_S:
            return self._refresh(spent=entry["access_token"]), True
        return entry["access_token"], True

    def _login_entry(self) -> dict:
        if self._entry is None:
            self._entry = credentials.load(self.server)
        if self._entry is None:
            raise CliError(
                f"not logged in to {self.server}: run `legion login`, or set {TOKEN_ENV} to a "
                f"developer token from {self.server}/account"
            )
        return self._entry

    def _refresh(self, spent: str) -> str:
        """A new access token for the login; ``spent`` is the one that failed or expired."""
        with _refresh_lock():
            fresh = credentials.load(self.server)  # another legion may have refreshed
            if fresh is not None and fresh.get("access_token") != spent:
                self._entry = fresh
                return fresh["access_token"]
            entry = fresh or self._login_entry()
            refresh_token = entry.get("refresh_token")
            if not refresh_token:
                raise CliError(self._expired())
            response = self.http.send(
                "POST",
                TOKEN_PATH,
                form={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": CLI_CLIENT_ID,
                },
            )
            if response.status != 200 or response.content_type != "application/json":
                if response.status >= 500 or response.content_type != "application/json":
                    json_of(response, self.server)  # server trouble, or not the API: say so
                raise CliError(self._expired())  # the refresh token was refused
            pair = json.loads(response.body)
            entry = {**entry, **token_fields(pair)}
            credentials.save(self.server, entry)
            self._entry = entry
            return entry["access_token"]

    def _expired(self) -> str:
        return f"your login to {self.server} has expired or was revoked: run `legion login` again"

    def _login_hint(self) -> str:
        if self.env_token:
            return f"(the token in {TOKEN_ENV}: make a new one on {self.server}/account)"
        return "(run `legion login` again)"


def token_fields(pair: dict) -> dict:
    """What the credentials file keeps of a token response (SPEC §4.3)."""
    return {
        "access_token": pair["access_token"],
        "refresh_token": pair.get("refresh_token"),
        "expires_at": int(time.time()) + int(pair.get("expires_in") or 0),
        "scope": pair.get("scope"),
    }


@contextmanager
def _refresh_lock():
    """An exclusive lock beside the credentials file (POSIX), held while refreshing."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock, as before
        yield
        return
    path = credentials.credentials_path()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
