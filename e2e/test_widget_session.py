"""The widget's session (SPEC §6.2): a 401 triggers one refresh, never two tabs spending the
same refresh token, and a dead or deactivated connection ends in a reconnect prompt."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from e2e.conftest import start_legion
from e2e.widget_driver import Widget

pytestmark = pytest.mark.browser

ACCESS_TOKEN_LIFETIME_S = 2
NO_LOCKS = "Object.defineProperty(Navigator.prototype, 'locks', {get: () => undefined});"
# A tab that sees the other tabs' token writes late: Chromium keeps a copy of localStorage
# in each renderer and updates it by a message of its own, which can arrive after the lock
# was handed over (more so on a busy machine). Here the lag is 800 ms, far past any
# hold-the-lock-a-little-longer workaround.
LAGGING_STORAGE = """
(() => {
  const LAG_MS = 800;
  const realGetItem = Storage.prototype.getItem;
  const changes = {};  // key -> [{at, oldValue}] written by other tabs
  addEventListener('storage', e => {
    if (e.storageArea === localStorage && e.key)
      (changes[e.key] = changes[e.key] || []).push({at: Date.now(), oldValue: e.oldValue});
  });
  Storage.prototype.getItem = function (key) {
    const value = realGetItem.call(this, key);
    if (this !== localStorage || !String(key).startsWith('legionchat:tokens:')) return value;
    const late = (changes[key] || []).filter(c => Date.now() - c.at < LAG_MS);
    return late.length ? late[0].oldValue : value;
  };
})();
"""


@pytest.fixture(scope="module")
def short_lived(fake_llm):
    """A Legion server whose access tokens live two seconds (refresh tokens: the usual)."""
    server, database = start_legion(
        fake_llm, LEGION_ACCESS_TOKEN_LIFETIME=str(ACCESS_TOKEN_LIFETIME_S)
    )
    yield server
    server.stop()
    database.close()


class TokenTraffic:
    """Counts what the browser context sends to the token and chat endpoints."""

    def __init__(self, context) -> None:
        self.refreshes: list[str] = []
        self.chats: list[int] = []
        context.on("request", self._request)
        context.on("response", self._response)

    def _request(self, request) -> None:
        if request.url.endswith("/v1/oauth/token") and "grant_type=refresh_token" in (
            request.post_data or ""
        ):
            self.refreshes.append(request.frame.page.url)

    def _response(self, response) -> None:
        """The widget's questions: asks in its conversation, kept on the server (§11)."""
        request = response.request
        path = request.url.split("?")[0]
        asking = path.endswith(("/conversations/stream", "/messages"))
        if "/v1/chat/" in path and asking and request.method == "POST":
            self.chats.append(response.status)


def connected_page(server, site, context, email: str):
    app = server.create_app(site.callback_uri)
    site.embed(server.url, app["client_id"])
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    widget.connect(email)
    widget.expect_connected()
    return page, widget


def slow_refresh(route) -> None:
    if "grant_type=refresh_token" in (route.request.post_data or ""):
        time.sleep(1)
    route.continue_()


def wait_for_expiry() -> None:
    time.sleep(ACCESS_TOKEN_LIFETIME_S + 0.5)


def test_a_401_refreshes_once_silently_and_retries(short_lived, site, context, unique_email):
    email = unique_email("refresh")
    short_lived.create_user(email)
    traffic = TokenTraffic(context)
    _, widget = connected_page(short_lived, site, context, email)
    before = widget.stored_tokens()
    wait_for_expiry()
    # The widget believes its token is still good, so only the server's 401 tells it.
    widget.set_stored_tokens({**before, "expires_at": 9_999_999_999_999})
    assert widget.ask("Still with me?").startswith("Fake openai reply: Still with me?")
    assert traffic.chats == [401, 200]
    assert len(traffic.refreshes) == 1
    after = widget.stored_tokens()
    assert after["refresh_token"] != before["refresh_token"]
    assert after["access_token"] != before["access_token"]
    expect(widget.alert).to_be_hidden()


@pytest.mark.parametrize(
    "locks, storage",
    [
        ("navigator.locks", "prompt"),
        ("localStorage fallback", "prompt"),
        ("navigator.locks", "lagging"),
        ("localStorage fallback", "lagging"),
    ],
)
def test_two_tabs_needing_a_refresh_at_once_refresh_once(
    short_lived, site, context, unique_email, locks, storage
):
    if locks != "navigator.locks":
        context.add_init_script(NO_LOCKS)
    if storage == "lagging":
        context.add_init_script(LAGGING_STORAGE)
    email = unique_email("tabs")
    short_lived.create_user(email)
    traffic = TokenTraffic(context)
    first_page, first = connected_page(short_lived, site, context, email)
    second_page = context.new_page()
    second_page.goto(site.url())
    second = Widget(second_page).open()
    second.expect_connected()  # the same stored connection
    assert first_page.evaluate("!!navigator.locks") is (locks == "navigator.locks")
    wait_for_expiry()
    # The token endpoint answers slowly, so both tabs are inside their refresh at once.
    context.route("**/v1/oauth/token", slow_refresh)
    for widget, text in ((first, "From tab one"), (second, "From tab two")):
        widget.input.fill(text)
    # Both tabs send in the same instant (tab one tells tab two through a channel, so no
    # test-driver round trip sits between the clicks); each finds its token expired.
    second.send_button.evaluate(
        "button => { new BroadcastChannel('test-go').onmessage = () => button.click(); }"
    )
    first.send_button.evaluate(
        "button => { new BroadcastChannel('test-go').postMessage('go'); button.click(); }"
    )
    for widget, text in ((first, "From tab one"), (second, "From tab two")):
        widget.wait_until_idle()
        expect(widget.replies.last).to_have_text(f"Fake openai reply: {text}")
    assert len(traffic.refreshes) == 1, traffic.refreshes
    assert traffic.chats == [200, 200]


def test_deactivated_connection_prompts_to_reconnect_and_reconnects(
    legion, site, embed, visitor, context
):
    embed()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    email = visitor()
    widget.connect(email)
    widget.ask("Hello")
    account = context.new_page()  # the visitor's Legion session from the popup
    account.goto(f"{legion.url}/account")
    account.get_by_role("button", name="Deactivate Test site").click()
    expect(account.locator("td.status").first).to_have_text("inactive")
    widget.send("Are you there?")
    widget.expect_disconnected("Connect again")
    widget.connect(email)  # consent again: a new authorization reactivates the connection
    assert widget.ask("Back again").startswith("Fake openai reply: Back again")
    account.reload()
    expect(account.locator("td.status").first).to_have_text("active")


def test_revoked_connection_fails_the_refresh_and_prompts_to_reconnect(
    legion, site, embed, visitor, context
):
    embed()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    widget.connect(visitor())
    traffic = TokenTraffic(context)
    account = context.new_page()
    account.goto(f"{legion.url}/account")
    account.get_by_role("button", name="Revoke Test site").click()
    widget.send("Hello?")
    widget.expect_disconnected("Connect again")
    assert traffic.chats == [401]
    assert len(traffic.refreshes) == 1  # one refresh attempt, refused
    assert widget.stored_tokens() is None
    expect(widget.input).to_be_hidden()


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (503, '{"error": "temporarily_unavailable"}', "Can't reach Legion"),
        (502, "<html>Bad gateway</html>", "Can't reach Legion"),
        (429, '{"error": "slow_down"}', "sending messages quickly"),
    ],
)
def test_a_refresh_that_is_not_answered_keeps_the_connection(
    short_lived, site, context, unique_email, status, body, message
):
    """Only a refusal ends a connection: a refresh that meets a server error or a throttle
    has perhaps not spent its token, so the widget keeps it and tries again later."""
    email = unique_email("unanswered")
    short_lived.create_user(email)
    traffic = TokenTraffic(context)
    _, widget = connected_page(short_lived, site, context, email)
    before = widget.stored_tokens()
    wait_for_expiry()

    def unavailable(route) -> None:
        if "grant_type=refresh_token" in (route.request.post_data or ""):
            route.fulfill(status=status, body=body, content_type="application/json")
        else:
            route.continue_()

    context.route("**/v1/oauth/token", unavailable)
    widget.send("Anyone there?")
    expect(widget.alert).to_contain_text(message)
    assert widget.stored_tokens() == before
    expect(widget.input).to_be_visible()  # no reconnect prompt
    assert traffic.chats == []  # the token was known to be expired: no chat call was made
    context.unroute("**/v1/oauth/token")
    assert widget.ask("And now?").startswith("Fake openai reply: And now?")
    assert widget.stored_tokens()["refresh_token"] != before["refresh_token"]
    assert len(traffic.refreshes) == 2


STORAGE_THAT_THROWS = """
for (const name of ['getItem', 'setItem', 'removeItem']) {
  Storage.prototype[name] = function () {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  };
}
"""


def test_without_usable_storage_a_session_lasts_as_long_as_the_page(
    legion, site, embed, visitor, context
):
    """Some private modes throw on every storage call: the widget keeps its tokens in
    memory instead, so the visitor chats on until they leave the page."""
    context.add_init_script(STORAGE_THAT_THROWS)
    embed()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    widget.connect(visitor())
    widget.expect_connected()
    assert widget.ask("First").startswith("Fake openai reply: First")
    assert widget.ask("Second").startswith("Fake openai reply: Second")
    page.reload()
    widget.open()
    expect(widget.connect_button).to_be_visible()  # nothing outlived the page
