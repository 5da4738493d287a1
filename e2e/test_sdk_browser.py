"""The JavaScript SDK (SPEC §13) in Chromium, imported from the Legion server by a page of
another origin, as the Quick Start in the README builds it: connect → chat (streamed and
not) → conversations → refresh on 401 → disconnect; every LegionError helper; two tabs
refreshing at once spend the refresh token once; under the strict CSP of SPEC §6.2."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import expect

from e2e.test_widget_connect import CSP_WATCH
from e2e.widget_driver import decide_in, wait_closed
from tests.support.oauth import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

QUICKSTART_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Quick Start</title><script type="module" src="/quickstart.js"></script></head>
<body><main><h1>My own chat</h1><button id="connect">Connect</button>
<output id="status"></output></main></body></html>"""

# The README's Quick Start, with the server URL, the Client ID and the redirect URI filled in.
QUICKSTART_SCRIPT = """
import { createLegion, LegionError } from "%(server)s/sdk.js";

const legion = createLegion({
  clientId: "%(client_id)s",
  onTokenRefresh: (tokens) => {
    window.refreshes = (window.refreshes || 0) + 1;
    window.lastTokens = tokens;
  },
});
window.legion = legion;
window.LegionError = LegionError;

document.querySelector("#connect").addEventListener("click", async () => {
  const status = document.querySelector("#status");
  try {
    const tokens = await legion.connect({ redirectUri: "%(redirect)s", popup: true });
    status.textContent = "connected " + tokens.token_type;
  } catch (error) {
    status.textContent = "error " + error.code + " " + (error instanceof LegionError);
  }
});
"""


@pytest.fixture
def quickstart(legion, site):
    """A site whose page uses the SDK alone (its callback page is §6.1's)."""

    def make(credit_email: str | None = None) -> dict:
        app = legion.create_app(site.callback_uri, name="Quick Start site")
        site.embed(legion.url, app["client_id"])
        site.files["/quickstart"] = (QUICKSTART_PAGE, "text/html")
        script = QUICKSTART_SCRIPT % {
            "server": legion.url,
            "client_id": app["client_id"],
            "redirect": site.callback_uri,
        }
        site.files["/quickstart.js"] = (script, "text/javascript")
        site.use_strict_csp()
        site.headers["Content-Security-Policy"] = site.headers["Content-Security-Policy"].replace(
            "script-src ", "script-src 'self' "
        )  # the page's own module, plus the SDK from Legion
        return app

    return make


def connected(context, site, email: str):
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.goto(site.url("/quickstart"))
    page.wait_for_function("!!window.legion")
    with page.expect_popup() as opened:
        page.click("#connect")
    decide_in(opened.value, email, DEFAULT_PASSWORD)
    wait_closed(opened.value)
    expect(page.locator("#status")).to_have_text("connected Bearer")
    return page


def error_of(page, script: str) -> dict | None:
    """Run an async snippet that should throw; the LegionError's fields and helpers. (The
    snippet is part of the function Playwright evaluates: the page's CSP forbids eval.)"""
    return page.evaluate(
        "async () => { try { "
        + script
        + """; return null; }
            catch (e) { return { legion: e instanceof window.LegionError, code: e.code,
                status: e.status, reauth: e.requiresReauth(), deactivated: e.isDeactivated(),
                billing: e.isBillingError() }; }
        }"""
    )


def test_the_quick_start_connects_chats_and_disconnects(
    legion, site, quickstart, context, visitor, fake_llm
):
    quickstart()
    page = connected(context, site, visitor())
    assert page.evaluate("legion.isConnected()") is True
    fake_llm.set(reply="Hello from the SDK")
    completion = page.evaluate(
        "legion.chat([{role: 'user', content: 'Hi'}], {model: 'gpt-4o-mini'})"
    )
    assert completion["object"] == "chat.completion"
    assert completion["choices"][0]["message"]["content"] == "Hello from the SDK"
    pieces = page.evaluate(
        """async () => {
            const pieces = [];
            for await (const text of await legion.chat([{role: 'user', content: 'Hi'}],
                                                       {stream: true, model: 'gpt-4o-mini'}))
                pieces.push(text);
            return pieces;
        }"""
    )
    assert "".join(pieces) == "Hello from the SDK" and len(pieces) > 1

    # Conversations over §11: create, ask streamed, list, get, search, resume, delete.
    result = page.evaluate(
        """async () => {
            const c = await legion.conversations.create({title: 'SDK talk'});
            const events = [];
            for await (const e of await legion.conversations.ask(c.id, 'Tell me', {stream: true}))
                events.push({type: e.type, id: e.id});
            const got = await legion.conversations.get(c.id);
            const answer = got.messages[1];
            const list = await legion.conversations.list({limit: 5});
            const found = await legion.conversations.search('SDK');
            const replay = [];
            for await (const e of await legion.conversations.resume(c.id, answer.id, 1))
                replay.push(e.type);
            const plain = await legion.conversations.ask(c.id, 'Again');
            await legion.conversations.delete(c.id);
            const listed = list.data.map(x => x.id).includes(c.id);
            return {events, count: got.message_count, listed, found: found.data.length, replay,
                    plainCount: plain.messages.length, id: c.id};
        }"""
    )
    assert [e["type"] for e in result["events"]] == [
        "user_message",
        *["ai_chunk"] * (len(result["events"]) - 2),
        "ai_complete",
    ]
    assert [e["id"] for e in result["events"]] == list(range(1, len(result["events"]) + 1))
    assert result["count"] == 2 and result["listed"] and result["found"] >= 1
    assert result["replay"] == ["ai_chunk", "ai_complete"] and result["plainCount"] == 2
    gone = error_of(page, f"await legion.conversations.get('{result['id']}')")
    assert gone["legion"] and gone["code"] == "not_found" and gone["status"] == 404

    # Disconnect revokes both tokens, then forgets them.
    tokens = json.loads(page.evaluate("localStorage.getItem(Object.keys(localStorage)[0])"))
    page.evaluate("legion.disconnect()")
    assert page.evaluate("legion.isConnected()") is False
    refused = httpx.post(
        f"{legion.local_url}/v1/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refused.status_code == 400
    after = error_of(page, "await legion.chat([{role: 'user', content: 'Hi'}])")
    assert after["code"] == "not_connected" and after["reauth"] is True
    assert page.evaluate("window.__cspViolations") == []


def test_a_401_is_refreshed_once_and_reported(legion, site, quickstart, context, visitor):
    quickstart()
    page = connected(context, site, visitor())
    tokens = json.loads(page.evaluate("localStorage.getItem(Object.keys(localStorage)[0])"))
    # The access token dies (revoked), unknown to the page: the server's 401 tells it.
    httpx.post(f"{legion.local_url}/v1/oauth/revoke", data={"token": tokens["access_token"]})
    refreshes = []
    context.on(
        "request",
        lambda r: (
            refreshes.append(1)
            if r.url.endswith("/v1/oauth/token") and "refresh_token" in (r.post_data or "")
            else None
        ),
    )
    answer = page.evaluate(
        "legion.chat([{role: 'user', content: 'Still?'}], {model: 'gpt-4o-mini'})"
    )
    assert answer["choices"][0]["message"]["content"].startswith("Fake openai reply")
    assert len(refreshes) == 1
    assert page.evaluate("window.refreshes") == 1
    assert set(page.evaluate("Object.keys(window.lastTokens)")) >= {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
    }
    # Without autoRefresh the 401 comes back as it is.
    tokens = json.loads(page.evaluate("localStorage.getItem(Object.keys(localStorage)[0])"))
    httpx.post(f"{legion.local_url}/v1/oauth/revoke", data={"token": tokens["access_token"]})
    raw = error_of(page, "await legion.chat([{role: 'user', content: 'x'}], {autoRefresh: false})")
    assert raw["status"] == 401 and raw["reauth"] is True


def test_each_legion_error_helper(legion, site, quickstart, context, visitor, fake_llm):
    quickstart()
    email = visitor(credit="0.000001")
    page = connected(context, site, email)
    billing = error_of(
        page, "await legion.chat([{role: 'user', content: 'Hi'}], {model: 'claude-opus-4-6'})"
    )
    assert billing == {
        "legion": True,
        "code": "insufficient_funds",
        "status": 402,
        "reauth": False,
        "deactivated": False,
        "billing": True,
    }
    mid_conversation = error_of(
        page,
        "const c = await legion.conversations.create(); "
        "await legion.conversations.ask(c.id, 'Hi', {model: 'claude-opus-4-6', stream: true});",
    )
    assert mid_conversation["billing"] is True

    account = context.new_page()
    account.goto(f"{legion.url}/account")
    account.get_by_role("button", name="Deactivate Quick Start site").click()
    paused = error_of(page, "await legion.chat([{role: 'user', content: 'Hi'}])")
    assert paused["code"] == "connection_inactive" and paused["deactivated"] is True
    assert paused["reauth"] is False

    account.get_by_role("button", name="Revoke Quick Start site").click()
    dead = error_of(page, "await legion.chat([{role: 'user', content: 'Hi'}])")
    assert dead["reauth"] is True

    offline = page.evaluate(
        """async (server) => {
            const { createLegion, LegionError } = await import(server + '/sdk.js');
            const elsewhere = createLegion({clientId: 'lgn_x', apiUrl: 'http://127.0.0.1:9'});
            elsewhere.setTokens({accessToken: 'lat_x', refreshToken: 'lrt_x'});
            try { await elsewhere.chat([{role: 'user', content: 'Hi'}]); }
            catch (e) { return [e instanceof LegionError, e.code]; }
        }""",
        legion.url,
    )
    assert offline == [True, "network_error"]


def test_a_forged_or_foreign_answer_is_invalid_state(legion, site, quickstart, context):
    quickstart()
    page = context.new_page()
    # A 204 ends the navigation where it started: the page stays, its flow kept.
    page.route(f"{legion.url}/connect**", lambda route: route.fulfill(status=204))
    page.goto(site.url("/quickstart"))
    page.wait_for_function("!!window.legion")
    # A full-page connect keeps its state and verifier, then leaves for Legion (stopped here).
    page.evaluate(f"legion.connect({{redirectUri: '{site.callback_uri}'}}).catch(() => {{}})")
    page.wait_for_timeout(300)
    key = page.evaluate("Object.keys(sessionStorage).find(k => k.includes('sdkflow'))")
    state = json.loads(page.evaluate(f"sessionStorage.getItem('{key}')"))["state"]
    for query, why in (
        (f"?code=abc&state=wrong&iss={legion.url}", "state"),
        (f"?code=abc&state={state}&iss=https://evil.example", "iss"),
    ):
        page.goto(site.url("/quickstart" + query))
        page.wait_for_function("!!window.legion")
        failure = error_of(page, "await legion.exchangeCode()")
        assert failure["legion"] and failure["code"] == "invalid_state", why


def test_a_popup_closed_by_the_visitor_is_popup_closed(legion, site, quickstart, context):
    quickstart()
    page = context.new_page()
    page.goto(site.url("/quickstart"))
    page.wait_for_function("!!window.legion")
    with page.expect_popup() as opened:
        page.click("#connect")
    opened.value.wait_for_timeout(3000)  # past the window in which a close means COOP
    opened.value.close()
    expect(page.locator("#status")).to_have_text("error popup_closed true", timeout=15_000)


def test_two_tabs_refreshing_at_once_spend_the_refresh_token_once(
    legion, site, quickstart, context, visitor
):
    quickstart()
    first = connected(context, site, visitor())
    second = context.new_page()
    second.goto(site.url("/quickstart"))
    second.wait_for_function("!!window.legion")
    refreshes = []
    context.on(
        "request",
        lambda r: (
            refreshes.append(1)
            if r.url.endswith("/v1/oauth/token") and "refresh_token" in (r.post_data or "")
            else None
        ),
    )
    # Both tabs ask in the same instant (tab one tells tab two through a channel). The
    # listener is set inside a function: an expression whose value is a function would be
    # called by evaluate() at once, a third refresh that raced the other two.
    second.evaluate(
        "() => { new BroadcastChannel('test-go').onmessage = () => "
        "{ window.done = legion.refreshAccessToken().then(t => t.refresh_token); }; }"
    )
    first.evaluate(
        "new BroadcastChannel('test-go').postMessage('go'); "
        "window.done = legion.refreshAccessToken().then(t => t.refresh_token);"
    )
    one = first.evaluate("window.done")
    second.wait_for_function("!!window.done")
    two = second.evaluate("window.done")
    assert one == two
    assert len(refreshes) == 1, refreshes
    assert (
        first.evaluate("legion.chat([{role: 'user', content: 'Hi'}]).then(c => c.object)")
        == "chat.completion"
    )
