"""The consent flow in a real Chromium: log in, Allow, Deny; and no framing of consent.

The site is a tiny real HTTP server on ``site.localhost`` (a second, cross-site origin);
the Legion side is the real server on ``legion.localhost``.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.support.databases import TestDatabase
from tests.support.oauth import DEFAULT_PASSWORD, authorization_url, pkce_pair
from tests.support.server import ServerProcess, free_port

SITE_PORT = free_port()
SITE = f"http://site.localhost:{SITE_PORT}"
REDIRECT = f"{SITE}/legion-callback"


class _SitePage(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/framing":
            connect = unquote(url.query.split("to=", 1)[1])
            body = f'<!doctype html><title>site</title><iframe src="{connect}"></iframe>'
        else:
            body = "<!doctype html><title>callback</title><p>back on the site</p>"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module", autouse=True)
def site_server():
    httpd = ThreadingHTTPServer(("127.0.0.1", SITE_PORT), _SitePage)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield
    httpd.shutdown()


@pytest.fixture(scope="module")
def legion():
    database = TestDatabase("sqlite")
    with ServerProcess(database.url, public_host="legion.localhost") as server:
        server.create_user("visitor@example.com", DEFAULT_PASSWORD)
        server.app = server.create_app(REDIRECT)
        yield server
    database.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    yield page
    context.close()


def _connect_url(legion, state: str) -> str:
    _, challenge = pkce_pair()
    return authorization_url(
        legion.url,
        client_id=legion.app["client_id"],
        redirect_uri=REDIRECT,
        response_type="code",
        state=state,
        code_challenge=challenge,
        code_challenge_method="S256",
    )


def _log_in(page) -> None:
    page.get_by_label("Email").fill("visitor@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_login_then_allow_lands_on_the_site_with_a_code(legion, page):
    page.goto(_connect_url(legion, "allow-state"))
    assert "/login" in page.url
    assert page.locator("main").get_by_role("link", name="Register").is_visible()
    _log_in(page)
    page.get_by_role("heading", name="Connect Test site?").wait_for()
    assert SITE in page.content()
    with page.expect_navigation(url=f"{REDIRECT}**"):
        page.get_by_role("button", name="Allow").click()
    params = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert params["state"] == "allow-state"
    assert params["iss"] == legion.url
    assert params["code"].startswith("lac_")
    assert page.get_by_text("back on the site").is_visible()


def test_deny_lands_on_the_site_with_access_denied(legion, page):
    page.goto(_connect_url(legion, "deny-state"))
    _log_in(page)
    with page.expect_navigation(url=f"{REDIRECT}**"):
        page.get_by_role("button", name="Deny").click()
    params = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert params == {
        "error": "access_denied",
        "error_description": "The user denied the request.",
        "state": "deny-state",
        "iss": legion.url,
    }


def test_the_consent_page_refuses_to_be_framed(legion, page):
    page.goto(_connect_url(legion, "x"))
    _log_in(page)
    page.get_by_role("button", name="Allow").wait_for()
    from urllib.parse import quote

    page.goto(f"{SITE}/framing?to={quote(_connect_url(legion, 'framed'), safe='')}")
    page.wait_for_load_state("load")
    frame = page.frames[1]
    # Chromium blocks the frame (frame-ancestors 'none', X-Frame-Options: DENY): it shows
    # its own error page, never our buttons.
    assert frame.locator("button").count() == 0
    assert frame.get_by_text("Allow").count() == 0
