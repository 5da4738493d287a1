"""A small real website on another origin (``site.localhost:PORT``) that embeds the widget.

It serves the embedding page (any path), its callback page (``/legion-callback``, or any
path with ``?legion_callback=1`` as WordPress does with plain permalinks), a copy
of ``widget.js`` from its own origin (``/assets/widget.js``, as the plugins bundle it), and
a page without the widget (``/blank``). A test sets the headers of every page (COOP, the
strict CSP) and the embed's data attributes before it opens a page.
"""

from __future__ import annotations

import contextlib
import html
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.server import free_port

WIDGET_SOURCE = Path(__file__).resolve().parents[1] / "widget_server" / "static" / "widget.js"
CALLBACK_PATH = "/legion-callback"

HOSTILE_CSS = """
* { color: #f0f !important; font-size: 31px !important; font-family: serif !important;
    line-height: 3 !important; letter-spacing: 4px !important; }
div, section, button, textarea, form { display: inline !important;
    border: 9px dotted lime !important; padding: 30px !important; margin: 20px !important;
    background: yellow !important; }
button { visibility: hidden !important; }
"""


def strict_csp(server_origin: str) -> str:
    """The policy of SPEC §6.2, exactly."""
    return (
        f"default-src 'none'; script-src {server_origin}; style-src {server_origin}; "
        f"connect-src {server_origin}; img-src 'self' data:"
    )


class TestSite:
    """One site per test: its own port, so its origin is its own registered app's."""

    __test__ = False  # not a pytest test class

    def __init__(self, host: str = "site.localhost") -> None:
        self.port = free_port()
        self.origin = f"http://{host}:{self.port}"
        self.callback_uri = self.origin + CALLBACK_PATH
        self.server_url = ""
        self.attrs: dict[str, str] = {}
        self.headers: dict[str, str] = {}
        self.head = ""  # extra markup in <head> of the embedding page
        self.script_src: str | None = None  # default: the Legion server's /widget.js
        self.hits: list[str] = []  # paths (with queries) the site was asked for
        # A test's stand-in for whatever sits between the server and the site: a path (with
        # its query) in, a path to redirect to (302) out, or None to serve as usual.
        self.redirect: Callable[[str], str | None] | None = None
        # Pages of a test's own: path -> (body, content type), served with the headers.
        self.files: dict[str, tuple[str, str]] = {}
        self._httpd: ThreadingHTTPServer | None = None

    # ---------------------------------------------------------------- setup

    def embed(self, server: str, client_id: str, **attrs: str) -> TestSite:
        """Embed the widget for this app: data-client-id, data-redirect-uri, and ``attrs``."""
        self.server_url = server
        self.attrs = {
            "client-id": client_id,
            "redirect-uri": self.callback_uri,
            **{k.replace("_", "-"): v for k, v in attrs.items()},
        }
        return self

    def use_strict_csp(self) -> None:
        self.headers["Content-Security-Policy"] = strict_csp(self.server_url)

    def use_coop(self) -> None:
        self.headers["Cross-Origin-Opener-Policy"] = "same-origin"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    # ---------------------------------------------------------------- pages

    def _script_tag(self, attrs: dict[str, str]) -> str:
        src = self.script_src or f"{self.server_url}/widget.js"
        rendered = "".join(
            f' data-{html.escape(k)}="{html.escape(v)}"' if v != "" else f" data-{k}"
            for k, v in attrs.items()
        )
        return f'<script src="{html.escape(src)}" async{rendered}></script>'

    def page(self) -> str:
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>Test site</title>{self.head}</head><body>"
            "<header><h1>Test site</h1></header>"
            "<main><p>Content of the site that embeds the chat.</p>"
            '<div class="legion-chat"></div></main>'
            f"{self._script_tag(self.attrs)}</body></html>"
        )

    def callback_page(self) -> str:
        attrs = {"legion-callback": ""}
        if self.script_src:
            attrs["server-url"] = self.server_url
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Connecting</title></head><body><main><p>Connecting…</p></main>"
            f"{self._script_tag(attrs)}</body></html>"
        )

    @staticmethod
    def blank_page() -> str:
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Blank</title>'
            "</head><body><main><p>No widget here.</p></main></body></html>"
        )

    # ---------------------------------------------------------------- serving

    def start(self) -> TestSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.hits.append(self.path)
                target = site.redirect(self.path) if site.redirect else None
                if target is not None:
                    return self._send("", "text/plain", {"Location": target}, status=302)
                url = urlsplit(self.path)
                path = url.path
                # Also the form WordPress uses with plain permalinks: /?legion_callback=1
                if path == CALLBACK_PATH or "legion_callback=1" in url.query:
                    headers = {"Referrer-Policy": "no-referrer", **site.headers}
                    self._send(site.callback_page(), "text/html", headers)
                elif path == "/assets/widget.js":
                    self._send(WIDGET_SOURCE.read_text(), "text/javascript", {})
                elif path == "/hostile.css":
                    self._send(HOSTILE_CSS, "text/css", {})
                elif path == "/favicon.ico":
                    self._send("", "image/x-icon", {}, status=204)
                elif path in site.files:
                    body, content_type = site.files[path]
                    self._send(body, content_type, site.headers)
                elif path == "/blank":
                    self._send(site.blank_page(), "text/html", site.headers)
                else:
                    self._send(site.page(), "text/html", site.headers)

            def _send(self, body: str, content_type: str, headers: dict, status: int = 200):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                # The browser may have moved on (a favicon after the page closed).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> TestSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
