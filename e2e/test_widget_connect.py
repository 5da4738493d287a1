"""Connecting the widget on another origin (SPEC §6.2): popup, callback, redirect fallback,
COOP, the strict CSP, Deny, a closed popup, Disconnect, and nothing stored before a click."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from e2e.widget_driver import Widget, decide_in, storage_snapshot, wait_closed

pytestmark = pytest.mark.browser

CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e =>
    window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def refresh_with(legion, refresh_token: str) -> httpx.Response:
    return httpx.post(
        f"{legion.local_url}/v1/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
    )


def test_nothing_is_stored_and_no_cookie_is_set_before_connect(legion, site, embed, context):
    embed()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page).open()
    expect(widget.connect_button).to_be_visible()
    page.locator("main").click()  # the visitor reads, clicks around, opens and closes the chat
    widget.launcher.click()
    widget.launcher.click()
    assert storage_snapshot(page) == {"local": [], "session": [], "cookie": ""}
    assert context.cookies() == []


def test_connect_in_a_popup_stores_tokens_for_this_server_and_client(
    legion, site, embed, visitor, context
):
    app = embed()
    page = context.new_page()
    page.goto(site.url("/some/page?x=1"))
    widget = Widget(page)
    widget.connect(visitor())
    widget.expect_connected()
    keys = page.evaluate("Object.keys(localStorage)")
    assert keys == [f"legionchat:tokens:{legion.url}|{app['client_id']}"]
    tokens = widget.stored_tokens()
    assert tokens["access_token"].startswith("lat_")
    assert tokens["refresh_token"].startswith("lrt_")
    # The code went to the site's own callback page, and only there.
    callbacks = [hit for hit in site.hits if hit.startswith("/legion-callback")]
    assert len(callbacks) == 1 and "code=" in callbacks[0] and "iss=" in callbacks[0]
    # The refresh token is live: the server accepts it (and we then use the new pair).
    assert refresh_with(legion, tokens["refresh_token"]).status_code == 200


def test_reload_keeps_the_connection(legion, site, embed, visitor, context):
    embed(position="inline")
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    widget.connect(visitor())
    widget.expect_connected()
    page.reload()
    widget.expect_connected()
    page.goto(site.url("/another-page"))
    widget.expect_connected()


def test_deny_shows_a_friendly_message_and_connect_again(legion, site, embed, visitor, context):
    embed()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    email = visitor()
    widget.connect(email, decision="deny")
    widget.expect_disconnected("chose not to connect")
    assert page.evaluate("Object.keys(localStorage)") == []
    widget.connect(email)  # already logged in on Legion: straight to consent
    widget.expect_connected()


def test_closed_popup_offers_to_try_again(legion, site, embed, visitor, context):
    embed()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page).open()
    with page.expect_popup() as opened:
        widget.connect_button.click()
    popup = opened.value
    popup.get_by_role("button", name="Log in").wait_for()
    expect(widget.gate).to_contain_text("Finish connecting")
    time.sleep(3)  # a person reads the page, then closes the window
    popup.close()
    widget.expect_disconnected("was closed")
    widget.connect(visitor())
    widget.expect_connected()


def test_connect_times_out_with_a_friendly_retry(legion, site, embed, visitor, context):
    embed()
    page = context.new_page()
    page.clock.install()
    page.goto(site.url())
    widget = Widget(page).open()
    with page.expect_popup() as opened:
        widget.connect_button.click()
    popup = opened.value
    popup.get_by_role("button", name="Log in").wait_for()
    page.clock.run_for("05:01")
    widget.expect_disconnected("took too long")
    popup.close()


def test_blocked_popup_runs_the_same_flow_as_a_full_page_redirect(
    legion, site, embed, visitor, context
):
    embed()
    context.add_init_script("window.open = () => null;")  # the browser's popup blocker
    page = context.new_page()
    start = site.url("/article?id=7")
    page.goto(start)
    widget = Widget(page).open()
    with page.expect_navigation(url=f"{legion.url}/**"):
        widget.connect_button.click()
    decide_in(page, visitor(), password="correct horse 9")
    page.wait_for_url(start)
    widget.expect_connected()  # the panel reopened, connected
    assert "code=" not in page.url
    assert storage_snapshot(page)["session"] == []  # the flow's verifier and result are gone
    assert len(page.evaluate("Object.keys(localStorage)")) == 1


def test_host_page_with_coop_same_origin_connects_through_broadcast_channel(
    legion, site, embed, visitor, context
):
    embed()
    site.use_coop()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page).open()
    with page.expect_popup() as opened:
        widget.connect_button.click()
    popup = opened.value
    decide_in(popup, visitor(), "correct horse 9")
    widget.expect_connected()
    wait_closed(popup)


def test_strict_csp_on_page_and_callback_page(legion, site, embed, visitor, context):
    embed()
    site.use_strict_csp()
    context.add_init_script(CSP_WATCH)
    console = []
    page = context.new_page()
    page.on("console", lambda message: console.append(message.text))
    page.goto(site.url())
    widget = Widget(page).open()
    with page.expect_popup() as opened:
        widget.connect_button.click()
    popup = opened.value
    popup.on("console", lambda message: console.append(message.text))
    decide_in(popup, visitor(), "correct horse 9")
    wait_closed(popup)
    widget.expect_connected()
    # The shadow DOM is styled (a constructable stylesheet), not blocked.
    assert widget.send_button.evaluate("b => getComputedStyle(b).borderRadius") == "8px"
    assert page.evaluate("window.__cspViolations") == []
    assert not [line for line in console if "Content Security Policy" in line]


def test_disconnect_revokes_the_tokens_and_clears_storage(legion, chat):
    widget, page = chat, chat.page
    tokens = widget.stored_tokens()
    with page.expect_response("**/v1/oauth/revoke") as revoked:
        widget.disconnect_button.click()
    assert revoked.value.status == 200
    widget.expect_disconnected("Disconnected")
    assert storage_snapshot(page) == {"local": [], "session": [], "cookie": ""}
    answer = refresh_with(legion, tokens["refresh_token"])
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_callback_page_refuses_a_result_for_a_flow_it_did_not_start(
    legion, site, embed, visitor, context
):
    """A forged callback (another state) reaching the page changes nothing."""
    embed()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page).open()
    with page.expect_popup() as opened:
        widget.connect_button.click()
    popup = opened.value
    popup.get_by_role("button", name="Log in").wait_for()
    forged = context.new_page()
    forged.goto(site.url(f"/legion-callback?code=lac_forged&state=forged&iss={legion.url}"))
    assert "code=" not in forged.url  # the callback wiped the address bar either way
    expect(widget.gate).to_contain_text("Finish connecting")
    decide_in(popup, visitor(), "correct horse 9")
    widget.expect_connected()


def test_a_callback_uri_with_its_own_query_works_and_keeps_it(
    legion, site, embed, visitor, context
):
    """WordPress with plain permalinks registers <site>/?legion_callback=1."""
    redirect_uri = site.url("/?legion_callback=1")
    app = legion.create_app(redirect_uri)
    site.embed(legion.url, app["client_id"], redirect_uri=redirect_uri)
    page = context.new_page()
    page.goto(site.url("/shop"))
    widget = Widget(page)
    widget.connect(visitor())
    widget.expect_connected()
    [callback] = [hit for hit in site.hits if "legion_callback=1" in hit]
    assert callback.startswith("/?legion_callback=1&code=")
    # The callback wipes only the OAuth parameters from the address bar.
    stray = context.new_page()
    stray.goto(site.url(f"/?legion_callback=1&code=lac_x&state=nobody&iss={legion.url}#top"))
    stray.wait_for_function("!location.search.includes('code=')")
    assert stray.url == site.url("/?legion_callback=1#top")


def test_a_denial_from_another_issuer_is_not_taken_for_this_servers(
    legion, site, embed, visitor, context
):
    """RFC 9207: the widget checks iss on an error response too (a mix-up attack)."""
    embed()

    def other_issuer(path: str) -> str | None:
        url = urlsplit(path)
        query = parse_qsl(url.query)
        if ("iss", legion.url) not in query:
            return None
        query = [(k, "https://evil.example" if k == "iss" else v) for k, v in query]
        return url._replace(query=urlencode(query)).geturl()

    site.redirect = other_issuer
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    widget.connect(visitor(), decision="deny")
    widget.expect_disconnected("didn't work")
    expect(widget.gate).not_to_contain_text("chose not to connect")
    assert any("iss=https%3A%2F%2Fevil.example" in hit for hit in site.hits)


def test_callback_without_a_state_still_wipes_the_code(legion, site, embed, context):
    embed()
    page = context.new_page()
    page.goto(site.url(f"/legion-callback?code=lac_stray&iss={legion.url}&keep=1"))
    page.wait_for_function("!location.search.includes('code=')")
    assert page.url == site.url("/legion-callback?keep=1")
