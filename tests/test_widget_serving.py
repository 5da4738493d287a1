"""``/widget.js`` as the real server sends it (ETag, caching, gzip and brotli), and the
demo pages of ``serve --demo`` under the strict CSP of SPEC §6.2."""

from __future__ import annotations

import gzip
import html
import re
import shutil
import subprocess

import brotli
import httpx
import pytest

from tests.support.databases import TestDatabase
from tests.support.server import ServerProcess
from tests.support.tools import require_tool
from widget_server.widget.asset import WidgetAsset

SPEC_CSP = (
    "default-src 'none'; script-src {origin}; style-src {origin}; connect-src {origin}; "
    "img-src 'self' data:"
)


@pytest.fixture(scope="module")
def demo_server():
    database = TestDatabase("sqlite")
    with ServerProcess(database.url, demo=True) as server:
        yield server
    database.close()


@pytest.fixture(scope="module")
def plain_server():
    database = TestDatabase("sqlite")
    with ServerProcess(database.url) as server:
        yield server
    database.close()


def get(server, path: str, **headers: str) -> httpx.Response:
    # httpx would decode the body; ask for the raw bytes the server sent.
    with httpx.Client(base_url=server.local_url) as client:
        response = client.get(path, headers={"Accept-Encoding": "identity", **headers})
        response.read()
        return response


def fetch(server, path: str, accept_encoding: str, **headers: str) -> tuple[httpx.Response, bytes]:
    request = httpx.Request(
        "GET", f"{server.local_url}{path}", headers={"Accept-Encoding": accept_encoding, **headers}
    )
    with httpx.Client() as client:
        response = client.send(request, stream=True)
        body = b"".join(response.iter_raw())
        response.close()
    return response, body


def test_widget_js_is_served_minified_with_validators_and_caching(plain_server):
    response, body = fetch(plain_server, "/widget.js", "identity")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=600, stale-while-revalidate=86400"
    assert response.headers["vary"] == "Accept-Encoding"
    assert re.fullmatch(r'"[0-9a-f]{20}"', response.headers["etag"])
    assert "content-encoding" not in response.headers
    assert "set-cookie" not in response.headers
    assert body == WidgetAsset.build().representations["identity"].body
    assert body.startswith(b"/*! Legion chat widget")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip;q=0.5", "gzip"),
        ("*", "br"),
        ("gzip;q=0, br;q=0", "identity"),
        ("", "identity"),
    ],
)
def test_widget_js_negotiates_brotli_gzip_or_identity(plain_server, accept, expected):
    identity = WidgetAsset.build().representations["identity"].body
    response, body = fetch(plain_server, "/widget.js", accept)
    assert response.headers.get("content-encoding", "identity") == expected
    decoded = {"br": brotli.decompress, "gzip": gzip.decompress, "identity": bytes}[expected]
    assert decoded(body) == identity
    assert int(response.headers["content-length"]) == len(body)
    suffix = {"br": "-br", "gzip": "-gz", "identity": ""}[expected]
    assert response.headers["etag"].endswith(f'{suffix}"')


def test_widget_js_answers_304_to_a_current_etag_in_any_encoding(plain_server):
    first, _ = fetch(plain_server, "/widget.js", "gzip")
    tag = first.headers["etag"]
    for if_none_match in (tag, f"W/{tag}", f'"stale", {tag}', tag.replace("-gz", "")):
        again, body = fetch(plain_server, "/widget.js", "br", **{"If-None-Match": if_none_match})
        assert again.status_code == 304, if_none_match
        assert body == b""
        assert again.headers["etag"].endswith('-br"')
        assert again.headers["cache-control"].startswith("public")
    stale, body = fetch(plain_server, "/widget.js", "br", **{"If-None-Match": '"0000-br"'})
    assert stale.status_code == 200 and body


def test_served_widget_is_valid_javascript(plain_server, tmp_path):
    require_tool("node", "Debian package nodejs")
    node = shutil.which("node")
    _, body = fetch(plain_server, "/widget.js", "identity")
    script = tmp_path / "served.js"
    script.write_bytes(body)
    subprocess.run([node, "--check", str(script)], check=True, capture_output=True, timeout=30)


def test_demo_pages_are_404_without_demo(plain_server):
    assert get(plain_server, "/demo").status_code == 404
    assert get(plain_server, "/demo/callback").status_code == 404


def test_demo_page_embeds_the_widget_for_the_demo_app_under_the_strict_csp(demo_server):
    response = get(demo_server, "/demo")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    origin = demo_server.url
    assert csp.startswith(SPEC_CSP.format(origin=origin))
    assert "unsafe" not in csp
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    [demo_app] = [a for a in demo_server.cli_json("list-apps") if a["name"] == "Legion demo"]
    script = re.search(r"<script [^>]*widget\.js[^>]*>", response.text, re.S).group(0)
    attrs = {k: html.unescape(v) for k, v in re.findall(r'(data-[\w-]+)="([^"]*)"', script)}
    assert attrs["data-client-id"] == demo_app["client_id"]
    assert attrs["data-redirect-uri"] == f"{origin}/demo/callback"
    assert attrs["data-redirect-uri"] in demo_app["redirect_uris"]
    assert f'src="{origin}/widget.js"' in script
    assert "demo@legion.example" in response.text
    assert re.search(r"<script>|<style|style=", response.text) is None  # nothing inline


def test_demo_page_options_are_checked(demo_server):
    page = get(demo_server, "/demo?position=bottom-left&theme=light").text
    assert 'data-position="bottom-left"' in page and 'data-theme="light"' in page
    page = get(demo_server, '/demo?position="><script>alert(1)</script>&theme=x').text
    assert 'data-position="inline"' in page and 'data-theme="auto"' in page
    assert "alert(1)" not in page


def test_demo_opened_at_another_name_goes_to_the_public_url(demo_server):
    """localhost for 127.0.0.1: the sign-in could not hand its answer across origins, so
    the page sends the newcomer to the address that works."""
    port = demo_server.url.rsplit(":", 1)[1]
    response = httpx.get(
        f"{demo_server.url}/demo?theme=light", headers={"Host": f"localhost:{port}"}
    )
    assert response.status_code == 302
    assert response.headers["location"] == f"{demo_server.url}/demo?theme=light"
    assert get(demo_server, "/demo").status_code == 200
    host = httpx.URL(demo_server.url).host
    for same in (host.upper(), f"{host}:1"):  # the same name: never a redirect loop
        assert get(demo_server, "/demo", Host=same).status_code == 200


def test_demo_callback_page_loads_the_widget_in_callback_mode(demo_server):
    response = get(demo_server, "/demo/callback?code=x&state=y")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"].startswith(
        SPEC_CSP.format(origin=demo_server.url)
    )
    assert re.search(r"<script [^>]*widget\.js[^>]*data-legion-callback", response.text)
