"""The widget keeps its chat on the server (SPEC §13, §11): a reload or another page of the
site shows the conversation, an answer still being written goes on where it was, "New
chat" starts another, recent chats can be reopened, and a conversation deleted elsewhere
starts a new one quietly."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from e2e.widget_driver import Widget

pytestmark = pytest.mark.browser
WORDS = " ".join(f"word{i}" for i in range(60))


def api(widget: Widget, legion, method: str, path: str) -> httpx.Response:
    """The visitor's own call to §11 with the widget's stored token (from Python)."""
    token = widget.stored_tokens()["access_token"]
    client_id = widget.page.evaluate(
        "Object.keys(localStorage).find(k => k.startsWith('legionchat:tokens:')).split('|')[1]"
    )
    return httpx.request(
        method,
        f"{legion.local_url}/v1/chat/{client_id}{path}",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_reload_mid_answer_resumes_and_finishes_the_same_answer(chat, legion, fake_llm):
    chat.send(f'Tell me everything [[fake reply="{WORDS}" delay=0.05]]')
    expect(chat.replies.last).to_contain_text("word5")
    chat.page.reload()
    chat.open()
    expect(chat.replies.last).to_contain_text("word59", timeout=20_000)
    chat.wait_until_idle()
    expect(chat.questions).to_have_count(1)
    expect(chat.replies).to_have_count(1)
    # One answer on the server, complete: the reload followed it, it did not ask again.
    conversations = api(chat, legion, "GET", "/conversations").json()["data"]
    assert len(conversations) == 1 and conversations[0]["message_count"] == 2
    shown = api(chat, legion, "GET", f"/conversations/{conversations[0]['id']}").json()
    assert shown["messages"][1]["status"] == "complete"
    assert shown["messages"][1]["content"] == WORDS
    assert len([r for r in fake_llm.requests if r["path"].endswith("/chat/completions")]) == 1


def test_another_page_of_the_site_shows_the_conversation(chat, site):
    chat.ask('First [[fake reply="One."]]')
    chat.ask('Second [[fake reply="Two."]]')
    chat.page.goto(site.url("/another/page"))
    other = Widget(chat.page).open()
    other.expect_connected()
    expect(other.questions).to_have_count(2)
    expect(other.replies).to_have_text(["One.", "Two."])


def test_new_chat_and_recent_chats(chat, fake_llm):
    chat.ask('Apples? [[fake reply="Red."]]')
    chat.page.get_by_role("button", name="New chat").click()
    expect(chat.replies).to_have_count(0)
    chat.ask('Pears? [[fake reply="Green."]]')
    # The model saw only the new conversation.
    sent = fake_llm.requests[-1]["json"]["messages"]  # as received, directive included
    assert len(sent) == 1 and sent[0]["content"].startswith("Pears?")
    recent = chat.page.get_by_label("Recent chats")
    recent.focus()
    expect(recent.locator("option")).to_have_count(3)  # the prompt and two conversations
    recent.select_option(label='Apples? [[fake reply="Red."]]')
    expect(chat.replies).to_have_text(["Red."])
    chat.page.reload()
    chat.open()
    expect(chat.replies).to_have_text(["Red."])  # the chosen conversation stays current


def test_a_conversation_deleted_elsewhere_starts_a_new_one_quietly(chat, legion):
    chat.ask('Keep this? [[fake reply="Kept."]]')
    conversation = api(chat, legion, "GET", "/conversations").json()["data"][0]["id"]
    assert api(chat, legion, "DELETE", f"/conversations/{conversation}").status_code == 204
    assert chat.ask("Hello again").startswith("Fake openai reply: Hello again")
    expect(chat.alert).to_be_hidden()
    data = api(chat, legion, "GET", "/conversations").json()["data"]
    assert len(data) == 1 and data[0]["id"] != conversation
    chat.page.reload()
    chat.open()
    expect(chat.questions).to_have_count(1)


def test_a_resumed_answer_that_failed_shows_the_error(chat):
    chat.send("Break later [[fake fail=error fail_after=20 delay=0.05]]")
    expect(chat.replies.last).to_contain_text("Fake")
    chat.page.reload()
    chat.open()
    chat.wait_until_idle()
    expect(chat.alert).to_contain_text("Something went wrong")
    expect(chat.replies.last).to_contain_text("Fake")


def test_an_answer_that_failed_before_a_reload_still_shows_the_error(chat):
    """The failure lands while the page is away: the reopened chat replays its events."""
    chat.send("Break soon [[fake fail=error fail_after=2]]")
    chat.wait_until_idle()
    expect(chat.alert).to_contain_text("Something went wrong")
    chat.page.reload()
    chat.open()
    chat.wait_until_idle()
    expect(chat.alert).to_contain_text("Something went wrong")
    expect(chat.replies.last).to_contain_text("Fake")


def test_stop_after_a_reload_stops_the_answer_on_the_server(chat, legion):
    chat.send(f'Long one [[fake reply="{WORDS}" delay=0.1]]')
    expect(chat.replies.last).to_contain_text("word2")
    chat.page.reload()
    chat.open()
    expect(chat.stop_button).to_be_visible()
    chat.stop_button.click()
    chat.wait_until_idle()
    expect(chat.replies.last).to_contain_text("(stopped)")
    conversation = api(chat, legion, "GET", "/conversations").json()["data"][0]["id"]
    answer = api(chat, legion, "GET", f"/conversations/{conversation}").json()["messages"][1]
    assert answer["status"] == "stopped"
    assert "word59" not in answer["content"]
