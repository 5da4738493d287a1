"""``legion login``: OAuth 2 for a native app (RFC 8252) against the built-in public
client ``legion-cli``.

A one-shot HTTP server on ``127.0.0.1`` and a port the system picks; the browser opens
``/connect`` (code flow, PKCE S256, a 256-bit ``state``, scope ``apps:manage``); after the
user allows, the server redirects to ``http://127.0.0.1:<port>/callback``. The answer is
taken only with our ``state`` and the server's ``iss`` (RFC 9207); the code is redeemed
with the verifier, and the tokens are saved in the credentials file (0600).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import http.server
import secrets
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from . import credentials
from .client import CLI_CLIENT_ID, REVOKE_PATH, TOKEN_PATH, Session, json_of, token_fields
from .errors import CliError

SCOPE = "apps:manage"
CALLBACK_PATH = "/callback"
DEFAULT_TIMEOUT_S = 300


@dataclass
class _Outcome:
    """What the browser brought back to the loopback port (set once, by the handler)."""

    state: str
    issuer: str
    params: dict[str, str] | None = None
    problem: str | None = None
    ignored: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)  # 64 characters, within RFC 7636's 43–128
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _page(title: str, text: str) -> bytes:
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width'><title>{html.escape(title)}</title>"
        "<body style='font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto'>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    ).encode()


def _handler(outcome: _Outcome):
    class Callback(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path != CALLBACK_PATH:
                return self._answer(404, "Not found", "legion login waits on /callback.")
            params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            with outcome.lock:
                return self._decide(params)

        def _decide(self, params: dict[str, str]) -> None:
            if outcome.params is not None or outcome.problem is not None:
                return self._answer(409, "Already done", "This login has finished.")
            if params.get("state") != outcome.state:
                # Not the answer to our request (a stale tab, or a forged link): keep waiting.
                outcome.ignored.append("a callback with another state")
                return self._answer(
                    400,
                    "Not this login",
                    "This answer is not for the legion login that is waiting. Start again "
                    "from the terminal if needed.",
                )
            problem = None
            if params.get("iss") != outcome.issuer:
                problem = (
                    f"the login answer came from {params.get('iss')!r}, not from the server "
                    f"{outcome.issuer!r} (RFC 9207 iss): refused"
                )
                page = (400, "Login refused", "The answer came from another server.")
            elif "error" in params:
                page = (200, "Login cancelled", "Nothing was saved. You can close this tab.")
            else:
                page = (
                    200,
                    "Logged in to Legion",
                    "You can close this tab and go back to the terminal.",
                )
            # The page is written before the outcome is published: once it is, the command
            # may finish and exit, and this thread (a daemon) with it.
            try:
                self._answer(*page)
            finally:
                if problem is None:
                    outcome.params = params
                else:
                    outcome.problem = problem
            return None

        def _answer(self, status: int, title: str, text: str) -> None:
            body = _page(title, text)
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # no access log on the terminal
            pass

    return Callback


def login(session: Session, *, open_browser: bool, timeout_s: float = DEFAULT_TIMEOUT_S) -> dict:
    """Run the flow; returns the saved entry (with the user's ``email`` and ``user_id``)."""
    server = session.server
    metadata = json_of(session.public("/.well-known/oauth-authorization-server"), server)
    if not isinstance(metadata, dict) or "authorization_endpoint" not in metadata:
        raise CliError(f"the server at {server} has no OAuth metadata: is it a Legion server?")
    if SCOPE not in metadata.get("scopes_supported", []):
        raise CliError(f"the server at {server} is too old for legion login (no {SCOPE} scope)")
    verifier, challenge = _pkce_pair()
    outcome = _Outcome(state=secrets.token_urlsafe(32), issuer=metadata.get("issuer", server))
    # Threads: a browser's idle preconnection must not hold up the real callback.
    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(outcome))
    listener.daemon_threads = True
    listener.timeout = 0.5
    try:
        redirect_uri = f"http://127.0.0.1:{listener.server_address[1]}{CALLBACK_PATH}"
        url = (
            metadata["authorization_endpoint"]
            + "?"
            + urllib.parse.urlencode(
                {
                    "client_id": CLI_CLIENT_ID,
                    "redirect_uri": redirect_uri,
                    "response_type": "code",
                    "scope": SCOPE,
                    "state": outcome.state,
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                }
            )
        )
        print("Open this address in your browser to log in to Legion:", file=sys.stderr)
        print(url, file=sys.stderr, flush=True)
        if open_browser:
            import webbrowser

            if webbrowser.open(url):
                print("(opened in your browser)", file=sys.stderr, flush=True)
        _wait(listener, outcome, timeout_s)
    finally:
        listener.server_close()
    params = outcome.params or {}
    if "error" in params:
        if params["error"] == "access_denied":
            raise CliError("the login was denied in the browser; nothing was saved")
        raise CliError(f"the login failed: {params.get('error_description') or params['error']}")
    if not params.get("code"):
        raise CliError("the login answer had no code")
    pair = json_of(
        session.http.send(
            "POST",
            metadata.get("token_endpoint") or server + TOKEN_PATH,
            form={
                "grant_type": "authorization_code",
                "code": params["code"],
                "client_id": CLI_CLIENT_ID,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
        ),
        server,
    )
    entry = token_fields(pair)
    me = json_of(session.http.send("GET", "/v1/me", token=entry["access_token"]), server)
    entry.update({"email": me.get("email"), "user_id": me.get("id")})
    previous = credentials.load(server)
    credentials.save(server, entry)
    if previous and previous.get("refresh_token"):
        _revoke_quietly(session, previous["refresh_token"])  # the login this one replaces
    return entry


def _revoke_quietly(session: Session, refresh_token: str) -> None:
    """Best effort: the new login is saved; an old one not revoked ends with its lifetime."""
    with contextlib.suppress(CliError):
        session.http.send(
            "POST", REVOKE_PATH, form={"token": refresh_token, "client_id": CLI_CLIENT_ID}
        )


def _wait(listener: http.server.ThreadingHTTPServer, outcome: _Outcome, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while outcome.params is None and outcome.problem is None:
        if time.monotonic() > deadline:
            raise CliError(
                f"no answer from the browser within {timeout_s:.0f} s; run `legion login` again"
            )
        listener.handle_request()
    if outcome.problem is not None:
        raise CliError(outcome.problem)
