"""Chatting through the widget (SPEC §5.2, §6.2): streamed replies, Stop, history, the
errors a visitor can meet, and model output that must stay inert."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e.conftest import start_legion
from e2e.widget_driver import Widget, storage_snapshot

pytestmark = pytest.mark.browser

WORDS = " ".join(f"word{i}" for i in range(1, 25))


def test_reply_streams_in_as_it_arrives(chat, fake_llm):
    chat.send(f'Tell me a story [[fake reply="{WORDS}" delay=0.15]]')
    expect(chat.stop_button).to_be_visible()
    reply = chat.replies.last
    expect(reply).to_contain_text("word1")
    partial = reply.inner_text()
    assert chat.stop_button.is_visible(), "the whole reply came at once"
    assert WORDS.startswith(partial) and len(partial) < len(WORDS)
    chat.wait_until_idle()
    expect(reply).to_have_text(WORDS)
    sent = fake_llm.requests[-1]["json"]
    assert sent["stream"] is True
    assert sent["messages"][-1]["role"] == "user"
    assert sent["messages"][-1]["content"].startswith("Tell me a story")


def test_history_is_sent_kept_across_reloads_and_shown(chat, fake_llm):
    first = chat.ask('What is 2+2? [[fake reply="Four."]]')
    assert first == "Four."
    chat.ask("And doubled?")
    messages = fake_llm.requests[-1]["json"]["messages"]
    assert [m["role"] for m in messages[-3:]] == ["user", "assistant", "user"]
    assert messages[-2]["content"] == "Four."
    chat.page.reload()
    chat.open()
    expect(chat.questions).to_have_count(2)
    expect(chat.replies.first).to_have_text("Four.")


def test_stop_ends_the_reply_and_keeps_what_arrived(chat, fake_llm):
    chat.send("Go on [[fake chunks=400 delay=0.05]]")
    expect(chat.replies.last).to_contain_text("Fake")
    chat.stop_button.click()
    chat.wait_until_idle()
    expect(chat.replies.last).to_contain_text("(stopped)")
    fake_llm.wait_for(lambda seen: seen and seen[-1].get("disconnected"))
    assert chat.ask("Still there?").startswith("Fake openai reply: Still there?")
    kept = fake_llm.requests[-1]["json"]["messages"][-2]
    assert kept["role"] == "assistant" and kept["content"].startswith("Fake")
    assert "(stopped)" not in kept["content"]  # the marker is for the visitor, not the model


def test_disconnect_while_a_reply_streams_leaves_nothing_stored(chat):
    chat.send("Go on [[fake chunks=400 delay=0.05]]")
    expect(chat.replies.last).to_contain_text("Fake")
    chat.disconnect_button.click()
    chat.expect_disconnected("Disconnected")
    chat.page.wait_for_timeout(500)  # the aborted reply has settled
    assert storage_snapshot(chat.page) == {"local": [], "session": [], "cookie": ""}
    expect(chat.replies).to_have_count(0)


def test_model_html_script_and_dangerous_links_stay_inert(chat, fake_llm):
    dialogs = []
    chat.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    fake_llm.next(
        reply=(
            "**Bold** and *soft*, `<b>code</b>`\n"
            "<img src=x onerror=\"alert('img')\"><script>window.__pwned = 1</script>\n"
            "- [click me](javascript:alert('link'))\n"
            "- [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)\n"
            "- [fine](https://example.com/page) <a href=\"javascript:alert('a')\">raw</a>\n"
            "```\n<svg onload=alert('svg')></svg>\n```"
        )
    )
    chat.ask("Show me some formatting")
    reply = chat.replies.last
    assert reply.locator("strong").inner_text() == "Bold"
    assert reply.locator("em").inner_text() == "soft"
    expect(reply).to_contain_text("<img src=x onerror=")
    expect(reply).to_contain_text("<script>window.__pwned = 1</script>")
    assert reply.locator("img, script, svg, iframe, b").count() == 0
    hrefs = reply.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs == ["https://example.com/page"]
    assert reply.locator("a").get_attribute("rel") == "noopener noreferrer nofollow"
    expect(reply.locator("li").first).to_have_text("click me")
    assert chat.page.evaluate("window.__pwned") is None
    assert dialogs == []


def test_empty_wallet_shows_the_billing_message(legion, site, embed, visitor, context):
    embed()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    widget.connect(visitor(credit=None))
    widget.send("Hello?")
    expect(widget.alert).to_contain_text("can't cover")
    link = widget.alert.get_by_role("link", name="Open your Legion account")
    assert link.get_attribute("href") == f"{legion.url}/account"
    expect(widget.input).to_have_value("Hello?")  # the question is back, ready to resend
    expect(widget.questions).to_have_count(0)


def test_monthly_limit_shows_the_billing_message(legion, site, embed, visitor, context):
    embed()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    widget.connect(visitor())
    account = context.new_page()  # logged in on Legion since the popup
    account.goto(f"{legion.url}/account")
    account.get_by_label("Monthly limit in dollars").fill("0")
    account.get_by_role("button", name="Save limit").click()
    expect(account.locator("#monthly-limit")).to_contain_text("0")
    widget.send("Hello?")
    expect(widget.alert).to_contain_text("monthly spending limit")
    expect(widget.alert.get_by_role("link")).to_have_attribute("href", f"{legion.url}/account")


def test_mid_stream_error_is_shown_after_the_partial_reply(chat):
    chat.send("Break please [[fake fail=error fail_after=3 delay=0.02]]")
    chat.wait_until_idle()
    expect(chat.alert).to_contain_text("Something went wrong")
    expect(chat.replies.last).to_contain_text("Fake")


def test_upstream_failure_is_a_polite_message(chat):
    chat.send("Fail please [[fake fail=500]]")
    chat.wait_until_idle()
    expect(chat.alert).to_contain_text("AI service had a problem")
    expect(chat.input).to_have_value("Fail please [[fake fail=500]]")
    assert chat.ask("Again?").startswith("Fake openai reply")
    expect(chat.alert).to_be_hidden()


def test_rate_limit_is_a_polite_retry_message(fake_llm, site, context, unique_email):
    server, database = start_legion(fake_llm, LEGION_CHAT_RATE_LIMIT_PER_TOKEN="1")
    try:
        app = server.create_app(site.callback_uri)
        site.embed(server.url, app["client_id"])
        email = unique_email("rate")
        server.create_user(email)
        page = context.new_page()
        page.goto(site.url())
        widget = Widget(page)
        widget.connect(email)
        widget.ask("One")
        widget.send("Two")
        expect(widget.alert).to_contain_text("wait a moment")
        expect(widget.input).to_have_value("Two")
    finally:
        server.stop()
        database.close()


def test_widget_bundled_on_the_site_origin_works_like_the_served_one(
    legion, site, embed, visitor, context
):
    """The plugins ship widget.js verbatim from their own origin, with data-server-url."""
    embed(server_url=legion.url)
    site.script_src = "/assets/widget.js"
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    widget.connect(visitor())
    assert widget.ask("Hi from a plugin").startswith("Fake openai reply: Hi from a plugin")
