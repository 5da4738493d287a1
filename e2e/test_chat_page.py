"""The hosted chat page (SPEC §12) in Chromium: a visitor opens a chat app's link, logs in,
starts chatting, gets streamed answers, reloads mid-answer and sees it finish, regenerates
and switches branches, renames, searches, exports and deletes; under the page's strict CSP
(no violation), keyboard-usable, axe-clean, light and dark, at 360 px wide."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.test_widget_connect import CSP_WATCH
from tests.support.oauth import DEFAULT_PASSWORD
from tests.support.tools import require_tool

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# LEGION_UPDATE_SCREENSHOTS=1 refreshes the README's pictures; otherwise they go to tmp.
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def chat_app(legion):
    maker = "maker-chat@example.com"
    legion.create_user(maker)
    return legion.create_app(
        "",
        app_type="chat",
        name="Recipe helper",
        description="Cooking ideas <b>fast</b> & simple",
        system_prompt="You help with recipes.",
        owner_email=maker,
    )


def log_in(page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def open_chat(context, legion, chat_app, email: str):
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.goto(f"{legion.url}/chat/{chat_app['client_id']}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    log_in(page, email)
    expect(page.get_by_role("heading", name="Recipe helper")).to_be_visible()
    # The description is text, escaped: no <b> element from it.
    expect(page.get_by_text("Cooking ideas <b>fast</b> & simple")).to_be_visible()
    page.get_by_role("button", name="Start chatting").click()
    expect(page.get_by_label("Message", exact=True)).to_be_editable()  # the script is running
    return page


def ask(page, text: str) -> None:
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_role("button", name="Send").click()


def answers(page):
    return page.locator("article.msg.bot")


def test_a_visitor_chats_reloads_mid_answer_regenerates_and_switches(
    legion, chat_app, context, visitor, fake_llm
):
    page = open_chat(context, legion, chat_app, visitor())
    fake_llm.set(reply="Try **pasta** with `garlic`", delay=0.02)
    ask(page, "What should I cook tonight?")
    expect(answers(page).last.locator("strong")).to_have_text("pasta")
    expect(answers(page).last.locator("code")).to_have_text("garlic")
    expect(page.get_by_role("button", name="Regenerate")).to_be_visible()
    # The system prompt went first, the question after it.
    sent = fake_llm.requests[-1]["json"]["messages"]
    assert sent[0] == {"role": "system", "content": "You help with recipes."}
    # The conversation is listed, titled by the question.
    expect(
        page.get_by_role("button", name="What should I cook tonight?", exact=True)
    ).to_be_visible()

    # Reload in the middle of a long answer: it is picked up and finishes.
    words = " ".join(f"step{i}" for i in range(60))
    fake_llm.set(reply=words, delay=0.05)
    ask(page, "Give me the steps")
    expect(answers(page).last).to_contain_text("step5")
    page.reload()
    expect(answers(page).last).to_contain_text("step59", timeout=20_000)
    expect(answers(page).last).not_to_contain_text("step60")
    expect(page.get_by_role("button", name="Stop")).to_be_hidden()

    # Regenerate the last answer: a branch; switch back and forth.
    fake_llm.set(reply="A different set of steps", delay=0.01)
    page.get_by_role("button", name="Regenerate").last.click()
    expect(answers(page).last).to_contain_text("A different set of steps")
    expect(page.get_by_text("2 / 2")).to_be_visible()
    page.get_by_role("button", name="Previous answer").click()
    expect(page.get_by_text("1 / 2")).to_be_visible()
    expect(answers(page).last).to_contain_text("step59")
    page.get_by_role("button", name="Next answer").click()
    expect(answers(page).last).to_contain_text("A different set of steps")

    # Thumbs up is remembered.
    page.get_by_role("button", name="Good answer").last.click()
    expect(page.get_by_role("button", name="Good answer").last).to_have_attribute(
        "aria-pressed", "true"
    )
    assert page.evaluate("window.__cspViolations") == []


def test_stop_keeps_what_was_written(legion, chat_app, context, visitor, fake_llm):
    page = open_chat(context, legion, chat_app, visitor())
    fake_llm.set(reply=" ".join(f"w{i}" for i in range(200)), delay=0.05)
    ask(page, "Talk for a long time")
    expect(answers(page).last).to_contain_text("w3")
    page.get_by_role("button", name="Stop").click()
    expect(answers(page).last).to_contain_text("(stopped)")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    assert "w199" not in answers(page).last.inner_text()


def test_rename_search_export_and_delete(legion, chat_app, context, visitor, fake_llm):
    page = open_chat(context, legion, chat_app, visitor())
    fake_llm.set(reply="Use saffron and rice")
    ask(page, "Paella please")
    expect(answers(page).last).to_contain_text("saffron")
    page.get_by_role("button", name="New chat").click()
    fake_llm.set(reply="Bake at 180 degrees")
    ask(page, "Bread please")
    expect(answers(page).last).to_contain_text("180 degrees")

    page.get_by_role("button", name="Rename conversation: Paella please").click()
    field = page.get_by_label("New title")
    field.fill("Spanish dinner")
    field.press("Enter")
    expect(page.get_by_role("button", name="Spanish dinner", exact=True)).to_be_visible()

    page.get_by_label("Search conversations").fill("saffron")
    hit = page.locator("li.hit")
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text("Spanish dinner")
    hit.get_by_role("button").click()
    expect(page.get_by_role("heading", name="Spanish dinner")).to_be_visible()
    page.get_by_label("Search conversations").fill("")

    with page.expect_download() as download:
        page.get_by_role("button", name="Export conversations").click()
    lines = Path(download.value.path()).read_text().splitlines()
    titles = sorted(json.loads(line)["conversation"]["title"] for line in lines)
    assert titles == ["Bread please", "Spanish dinner"]

    page.get_by_role("button", name="Delete conversation: Spanish dinner").click()
    page.get_by_role("button", name="Delete Spanish dinner").click()
    expect(page.get_by_role("button", name="Spanish dinner", exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", name="Recipe helper")).to_be_visible()


def test_a_list_refresh_during_a_rename_keeps_the_rename(
    legion, chat_app, context, visitor, fake_llm
):
    """The list is reloaded after every answer. A visitor who starts renaming just before
    that reload lands must keep the field and what they typed (CI once lost it)."""
    page = open_chat(context, legion, chat_app, visitor())
    fake_llm.set(reply="Use saffron and rice")
    ask(page, "Paella please")
    rename = page.get_by_role("button", name="Rename conversation: Paella please")
    expect(rename).to_be_visible()  # the reload after the first answer has landed

    held = []
    reload_of_list = re.compile(r"/conversations\?limit=30$")
    page.route(reload_of_list, lambda route: held.append(route))
    fake_llm.set(reply="Add more stock")
    ask(page, "Is it too dry?")
    expect(answers(page).last).to_contain_text("more stock")
    while not held:  # the reload after this answer, kept from the page for now
        page.wait_for_timeout(20)
    rename.click()
    field = page.get_by_label("New title")
    field.fill("Spanish dinner")
    with page.expect_response(reload_of_list):
        held.pop().continue_()
    expect(field).to_have_value("Spanish dinner")
    expect(field).to_be_focused()
    page.unroute(reload_of_list)
    field.press("Enter")
    renamed = page.get_by_role("button", name="Spanish dinner", exact=True)
    expect(renamed).to_be_visible()
    expect(renamed).to_be_focused()  # the reload it waited for ran after, focus kept
    expect(page.get_by_role("button", name=re.compile("^Rename conversation"))).to_have_count(1)


def test_new_chat_waits_until_the_answer_is_saved_and_shown(
    legion, chat_app, context, visitor, fake_llm
):
    """Clicked while an answer streamed, New chat was ignored, and clicked while the ended
    answer's thread reloaded, the reload took it back: either way the next question joined
    the old thread (CI once exported one conversation for two). The button is disabled
    until both are over."""
    page = open_chat(context, legion, chat_app, visitor())
    new_chat = page.get_by_role("button", name="New chat")
    held = []
    reload_of_thread = re.compile(r"/conversations/[^/?]+$")

    def hold_reloads(route):
        if route.request.method == "GET":
            held.append(route)
        else:
            route.continue_()  # the ask itself (POST .../conversations/stream)

    page.route(reload_of_thread, hold_reloads)
    fake_llm.set(reply=" ".join(f"w{i}" for i in range(30)), delay=0.03)
    ask(page, "Paella please")
    expect(answers(page).last).to_contain_text("w2")
    expect(new_chat).to_be_disabled()
    while not held:  # the answer has ended; the reload of its thread is kept for now
        page.wait_for_timeout(20)
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    expect(new_chat).to_be_disabled()
    held.pop().continue_()
    page.unroute(reload_of_thread)
    new_chat.click()  # waits until it is enabled
    fake_llm.set(reply="Bake at 180 degrees")
    ask(page, "Bread please")
    expect(answers(page).last).to_contain_text("180 degrees")
    expect(answers(page)).to_have_count(1)
    renames = page.get_by_role("button", name=re.compile("^Rename conversation"))
    expect(renames).to_have_count(2)


def test_keyboard_only_and_billing_prompt(legion, chat_app, context, visitor, fake_llm):
    page = open_chat(context, legion, chat_app, visitor(credit="0.000001"))
    field = page.get_by_label("Message", exact=True)
    field.focus()
    page.keyboard.type("Expensive question")
    page.keyboard.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("can't cover")
    expect(alert.get_by_role("link", name="Open your account")).to_have_attribute(
        "href", "/account"
    )
    expect(field).to_have_value("Expensive question")  # nothing was asked


def test_a_revoked_connection_shows_reconnect(legion, chat_app, context, visitor):
    email = visitor()
    page = open_chat(context, legion, chat_app, email)
    account = context.new_page()
    account.goto(f"{legion.url}/account")
    account.get_by_role("button", name="Revoke Recipe helper").click()
    page.evaluate("sessionStorage.clear()")
    ask(page, "Still here?")
    expect(page.get_by_role("alert")).to_contain_text("Reconnect")
    page.get_by_role("button", name="Reconnect").click()
    expect(page.get_by_role("button", name="Start chatting")).to_be_visible()


def test_web_apps_have_no_chat_page(legion, context):
    app = legion.create_app("https://web.example/cb", app_type="web")
    page = context.new_page()
    response = page.goto(f"{legion.url}/chat/{app['client_id']}")
    assert response.status == 404


@pytest.mark.parametrize(
    ("name", "scheme", "width"),
    [("chat-light", "light", 1200), ("chat-dark", "dark", 1200), ("chat-360", "light", 360)],
)
def test_axe_clean_and_screenshots(
    legion, chat_app, chromium, visitor, fake_llm, tmp_path, name, scheme, width
):
    require_tool(str(AXE), "scripts/test runs npm ci in e2e/")
    context = chromium.new_context(color_scheme=scheme, viewport={"width": width, "height": 760})
    try:
        page = open_chat(context, legion, chat_app, visitor())
        fake_llm.set(reply="Here is an idea:\n\n- **Shakshuka**\n- Pasta\n\n```\nboil water\n```")
        ask(page, "Dinner idea?")
        expect(page.get_by_role("button", name="Regenerate")).to_be_visible()
        page.evaluate(AXE.read_text())
        results = page.evaluate("async () => await axe.run(document)")
        serious = [
            {"id": v["id"], "nodes": [n["html"] for n in v["nodes"]][:3]}
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == []
        if width <= 400:
            page.get_by_role("button", name="Conversations").click()
            expect(page.get_by_role("button", name="New chat")).to_be_visible()
            page.keyboard.press("Escape")
            expect(page.get_by_role("button", name="New chat")).to_be_hidden()
        folder = SCREENSHOTS if os.environ.get("LEGION_UPDATE_SCREENSHOTS") else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"))
    finally:
        context.close()


def test_a_maker_shares_a_chat_app_a_visitor_chats_and_the_maker_earns(
    legion, chromium, visitor, fake_llm
):
    """The whole story of a hosted chat app: made on /register-chat, opened from its link
    by someone else, chatted in, and paid for, as the maker sees on /developer."""
    maker_context = chromium.new_context()
    visitor_context = chromium.new_context()
    try:
        maker = maker_context.new_page()
        maker.goto(f"{legion.url}/register")
        maker.get_by_label("Email").fill(f"maker-{id(maker)}@example.com")
        maker.get_by_label("Password").fill("a long password")
        maker.get_by_role("button", name="Register").click()
        maker.goto(f"{legion.url}/register-chat")
        maker.get_by_label("Name", exact=True).fill("Haiku bot")
        maker.get_by_label("System prompt").fill("Answer in haiku.")
        maker.get_by_label("Default model").select_option("gpt-4o-mini")
        maker.get_by_role("button", name="Create chat app").click()
        link = maker.locator("#share-link").inner_text().strip()

        page = visitor_context.new_page()
        page.goto(link)
        log_in(page, visitor())
        page.get_by_role("button", name="Start chatting").click()
        fake_llm.set(reply="An old silent pond", delay=0.02)
        ask(page, "Write about a pond")
        expect(answers(page).last).to_contain_text("An old silent pond")
        expect(page.get_by_role("button", name="Regenerate")).to_be_visible()
        assert fake_llm.requests[-1]["json"]["messages"][0] == {
            "role": "system",
            "content": "Answer in haiku.",
        }

        maker.goto(f"{legion.url}/developer")
        maker.get_by_role("link", name="Haiku bot").click()
        earnings = maker.locator('[data-stat="developer_earnings_micros"]')
        expect(earnings).not_to_have_text("$0.00")
        expect(maker.locator('[data-stat="requests"]')).to_have_text("1")
    finally:
        maker_context.close()
        visitor_context.close()
