"""``/releases/latest/download/<zip>`` (SPEC §10), plain or pre-configured for one app.

The plain zips are public. ``?client_id=lgn_...`` asks for the same zip pre-configured
with that app's Client ID and this server's URL; only the app's owner, logged in, gets it
(anyone else gets a 404, so client ids can't be probed for owners).
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from quart import Blueprint, Response, redirect, request
from werkzeug.exceptions import NotFound

from ..apps.registry import get_app
from ..errors import ValidationError
from ..services import services
from ..web.auth import current_user
from ..web.errors import html_error
from .cache import BuiltZip, ReleaseCache
from .errors import PackagerError
from .packager import PLUGINS_BY_ZIP, Sources
from .presets import Preset, check_client_id

log = logging.getLogger("widget_server")
blueprint = Blueprint("releases", __name__)

_CACHE_KEY = "releases.cache"
DOWNLOAD_PATH = "/releases/latest/download/"
# Public zips may be cached briefly and revalidated by ETag; pre-configured ones are
# one owner's, so they are never stored by a shared cache.
PUBLIC_CACHE_CONTROL = "public, max-age=300"
PRIVATE_CACHE_CONTROL = "private, no-store"


def release_cache() -> ReleaseCache:
    extras = services().extras
    cache = extras.get(_CACHE_KEY)
    if cache is None:
        cache = extras[_CACHE_KEY] = ReleaseCache(Sources.locate())
    return cache


@blueprint.get(DOWNLOAD_PATH + "<zip_name>")
async def download(zip_name: str):
    if zip_name not in PLUGINS_BY_ZIP:
        raise NotFound(f"There is no release file named {zip_name}.")
    client_id = request.args.get("client_id")
    preset, cache_control = None, PUBLIC_CACHE_CONTROL
    if client_id is not None:
        user = await current_user()
        if user is None:
            return redirect("/login?next=" + quote(request.full_path, safe="/"))
        try:
            preset = await _owner_preset(client_id, user.id)
        except ValidationError as error:  # this server's own public URL is not usable
            return await html_error(503, "Release unavailable", error.message)
        if preset is None:
            raise NotFound("You have no app with that Client ID.")
        cache_control = PRIVATE_CACHE_CONTROL
    try:
        built = await release_cache().get(zip_name, preset)
    except PackagerError as error:  # no plugin sources beside the package, or a bad build
        # The reason names files on this server: for its log, not for the visitor.
        log.error("cannot build %s: %s", zip_name, error.message)
        return await html_error(
            503, "Release unavailable", "This server can't build the plugin zips right now."
        )
    return _zip_response(zip_name, built, cache_control)


async def _owner_preset(client_id: str, user_id: int) -> Preset | None:
    try:
        client_id = check_client_id(client_id)
    except ValidationError:
        return None
    app = await get_app(services().db, client_id)
    if app is None or app.owner_user_id != user_id:
        return None
    return Preset.checked(app.client_id, services().config.public_url)


def _zip_response(zip_name: str, built: BuiltZip, cache_control: str) -> Response:
    headers = {
        "Content-Type": "application/zip",
        "Content-Disposition": f'attachment; filename="{zip_name}"',
        "Cache-Control": cache_control,
        "ETag": built.etag,
        "X-Content-Type-Options": "nosniff",
    }
    if_none_match = request.headers.get("If-None-Match", "")
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    if if_none_match.strip() == "*" or built.etag in tags:
        return Response(b"", status=304, headers=headers)
    return Response(built.data, status=200, headers=headers)
