"""Doing things in WordPress the way its users do: in wp-admin, in Chromium.

Content is written through the REST API from a logged-in browser session (cookie plus
REST nonce), which is how the block editor itself saves posts.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import APIResponse, Browser, BrowserContext, Page, expect

# Only the test's own loopback servers are reachable; WordPress pages still link to its
# emoji CDN and the like, which must not hang a test.
_LOCAL = re.compile(r"^https?://(127\.0\.0\.1|localhost|[a-z0-9.-]*\.localhost)(:\d+)?/")


def new_context(browser: Browser, **options) -> BrowserContext:
    context = browser.new_context(**options)
    context.route(
        lambda url: not _LOCAL.match(url), lambda route: route.fulfill(status=204, body="")
    )
    return context


def log_in(page: Page, site_url: str, user: str, password: str) -> None:
    page.goto(f"{site_url}/wp-login.php")
    page.fill("#user_login", user)
    page.fill("#user_pass", password)
    page.click("#wp-submit")
    page.wait_for_url(re.compile(r"/wp-admin/"))


def upload_plugin(page: Page, site_url: str, zip_path: Path) -> None:
    """Plugins > Add New > Upload Plugin > Install Now > Activate Plugin."""
    page.goto(f"{site_url}/wp-admin/plugin-install.php?tab=upload")
    page.set_input_files("#pluginzip", str(zip_path))
    page.click("#install-plugin-submit")
    expect(page.get_by_text("Plugin installed successfully.")).to_be_visible(timeout=60_000)
    page.get_by_role("link", name="Activate Plugin").click()
    expect(page.locator("#message, .notice-success").first).to_contain_text("activated")


def set_permalinks(page: Page, site_url: str, mode: str) -> None:
    """Settings > Permalinks: "plain", or "pretty" (a custom /%postname%/ structure: PHP's
    built-in server is not a server WordPress knows for rewrites, so its presets would
    carry /index.php)."""
    page.goto(f"{site_url}/wp-admin/options-permalink.php")
    if mode == "plain":
        page.check("input[name=selection][value='']")
    else:
        page.check("#custom_selection")
        page.fill("#permalink_structure", "/%postname%/")
    page.click("#submit")
    expect(page.locator("#setting-error-settings_updated, .notice-success").first).to_be_visible()


def open_legion_settings(page: Page, site_url: str) -> None:
    page.goto(f"{site_url}/wp-admin/options-general.php?page=legion-ai-connect")


def save_legion_settings(page: Page, site_url: str, client_id: str, server_url: str) -> None:
    open_legion_settings(page, site_url)
    page.get_by_label("Client ID").fill(client_id)
    page.get_by_label("Legion server URL").fill(server_url)
    page.get_by_role("button", name="Save Changes").click()


def rest(context: BrowserContext, site_url: str, method: str, route: str, data=None) -> APIResponse:
    """A REST call as the logged-in user of ``context`` (works in both permalink modes)."""
    nonce = context.request.get(f"{site_url}/wp-admin/admin-ajax.php?action=rest-nonce").text()
    return context.request.fetch(
        f"{site_url}/?rest_route={route}",
        method=method,
        headers={"X-WP-Nonce": nonce, "Content-Type": "application/json"},
        data=data,
    )


def publish(context: BrowserContext, site_url: str, title: str, content: str, kind: str = "pages"):
    """A published page (or post) with this content; returns WordPress's JSON for it."""
    response = rest(
        context,
        site_url,
        "POST",
        f"/wp/v2/{kind}",
        {"title": title, "content": content, "status": "publish"},
    )
    assert response.status == 201, response.text()
    return response.json()
