"""``/widget.js``, ``/sdk.js`` with ``/sdk.d.ts``, and the demo site (``/demo``,
``/demo/callback``).

The demo pages are served under the strict policy of SPEC §6.2, the same one a careful
site would use, so that the demo proves the widget needs nothing more.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from quart import Blueprint, Response, abort, redirect, render_template, request

from ..demo import DEMO_CALLBACK_PATH, DEMO_EMAIL, DEMO_PASSWORD, demo_client_id
from ..services import services
from .asset import SDK_PATH, SDK_TYPES_PATH, WIDGET_PATH, WidgetAsset, choose_encoding

blueprint = Blueprint("widget", __name__)

_ASSET_KEY = "widget.asset"
# Embedding pages use an unversioned URL, so caches revalidate (cheap: a 304 by ETag)
# after a few minutes, and may serve the old copy meanwhile.
WIDGET_CACHE_CONTROL = "public, max-age=600, stale-while-revalidate=86400"
DEMO_POSITIONS = ("inline", "bottom-right", "bottom-left")
DEMO_THEMES = ("dark", "light", "auto")


def strict_csp(server_origin: str) -> str:
    """SPEC §6.2's policy, plus the directives that don't fall back to default-src."""
    return (
        f"default-src 'none'; script-src {server_origin}; style-src {server_origin}; "
        f"connect-src {server_origin}; img-src 'self' data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _asset(path: Path, minified: bool = True) -> WidgetAsset:
    extras = services().extras
    key = f"{_ASSET_KEY}:{path.name}"
    asset = extras.get(key)
    asset = WidgetAsset.build(path, minified) if asset is None else asset.fresh(path)
    extras[key] = asset
    return asset


def _serve(asset: WidgetAsset, content_type: str, cors: bool = False) -> Response:
    encoding = choose_encoding(request.headers.get("Accept-Encoding", ""))
    representation = asset.representations[encoding]
    headers = {
        "Content-Type": content_type,
        "Cache-Control": WIDGET_CACHE_CONTROL,
        "ETag": representation.etag,
        "Vary": "Accept-Encoding",
        # Sites that isolate themselves (COEP) may still load it.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if cors:  # public code that other sites import as a module (SPEC §13)
        headers["Access-Control-Allow-Origin"] = "*"
    if encoding != "identity":
        headers["Content-Encoding"] = encoding
    if asset.matches(request.headers.get("If-None-Match", "")):
        return Response(b"", status=304, headers=headers)
    return Response(representation.body, status=200, headers=headers)


@blueprint.get("/widget.js")
async def widget_js() -> Response:
    return _serve(_asset(WIDGET_PATH), "text/javascript; charset=utf-8")


@blueprint.get("/sdk.js")
async def sdk_js() -> Response:
    return _serve(_asset(SDK_PATH), "text/javascript; charset=utf-8", cors=True)


@blueprint.get("/sdk.d.ts")
async def sdk_declarations() -> Response:
    return _serve(
        _asset(SDK_TYPES_PATH, minified=False), "application/typescript; charset=utf-8", cors=True
    )


@blueprint.get("/demo")
async def demo_page():
    config = services().config
    client_id = await demo_client_id(services().db) if config.demo else None
    if client_id is None:
        abort(404)
    if urlsplit("//" + request.host).hostname != urlsplit(config.public_url).hostname:
        # Opened at another name for this server (localhost for 127.0.0.1): the page would
        # embed the widget for the public URL's origin, and the sign-in could never hand
        # its answer back across origins. Go to the one address that works. (Only the
        # name is compared, case-blind: a scheme or port that differs behind a proxy
        # must not send the browser round in circles.)
        query = request.query_string.decode()
        return redirect(config.public_url + "/demo" + ("?" + query if query else ""), 302)
    position = request.args.get("position", "inline")
    theme = request.args.get("theme", "auto")
    body = await render_template(
        "demo.html",
        server_url=config.public_url,
        client_id=client_id,
        redirect_uri=config.public_url + DEMO_CALLBACK_PATH,
        position=position if position in DEMO_POSITIONS else "inline",
        theme=theme if theme in DEMO_THEMES else "auto",
        positions=DEMO_POSITIONS,
        themes=DEMO_THEMES,
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
    )
    return body, 200, _demo_headers()


@blueprint.get(DEMO_CALLBACK_PATH)
async def demo_callback():
    if not services().config.demo:
        abort(404)
    body = await render_template("demo_callback.html", server_url=services().config.public_url)
    return body, 200, _demo_headers()


def _demo_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": strict_csp(services().config.public_origin),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }
