"""Driving the widget the way a visitor does: by its accessible names, in a real Chromium.

Playwright's role and CSS locators pierce open shadow roots, so the widget is found by
what a person (or a screen reader) sees: the "Connect", "Send", "Stop" and "Disconnect"
buttons of SPEC §6.2 and the input's placeholder.
"""

from __future__ import annotations

import json

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.support.oauth import DEFAULT_PASSWORD

DEFAULT_PLACEHOLDER = "Ask me anything..."
TOKENS_PREFIX = "legionchat:tokens:"


class Widget:
    def __init__(self, page: Page, placeholder: str = DEFAULT_PLACEHOLDER) -> None:
        self.page = page
        # By its class: its name says what a click does ("Open chat" or "Minimize chat").
        self.launcher = page.locator(".legion-chat-widget .launcher")
        self.connect_button = page.get_by_role("button", name="Connect", exact=True)
        self.send_button = page.get_by_role("button", name="Send", exact=True)
        self.stop_button = page.get_by_role("button", name="Stop", exact=True)
        self.disconnect_button = page.get_by_role("button", name="Disconnect", exact=True)
        self.input = page.get_by_placeholder(placeholder)
        self.alert = page.locator(".legion-chat-widget .alert")
        self.gate = page.locator(".legion-chat-widget .gate p")
        # The text of each message (without its visually hidden "You:"/"Assistant:" label).
        self.replies = page.locator(".legion-chat-widget .msg.bot:not(.note) > div")
        self.questions = page.locator(".legion-chat-widget .msg.me > div")

    # ---------------------------------------------------------------- panel

    def open(self) -> Widget:
        if self.launcher.count() and self.launcher.get_attribute("aria-expanded") != "true":
            self.launcher.click()
        return self

    # ---------------------------------------------------------------- connecting

    def connect(
        self, email: str, password: str = DEFAULT_PASSWORD, decision: str = "allow"
    ) -> None:
        """Click Connect, log in (when needed) and decide in the popup; wait until it closes."""
        self.open()
        with self.page.expect_popup() as opened:
            self.connect_button.click()
        popup = opened.value
        decide_in(popup, email, password, decision)
        wait_closed(popup)

    def expect_connected(self) -> None:
        expect(self.input).to_be_visible()
        expect(self.disconnect_button).to_be_visible()
        expect(self.connect_button).to_be_hidden()

    def expect_disconnected(self, message: str | None = None) -> None:
        expect(self.connect_button).to_be_visible()
        expect(self.input).to_be_hidden()
        if message:
            expect(self.gate).to_contain_text(message)

    # ---------------------------------------------------------------- chatting

    def send(self, text: str) -> None:
        self.input.fill(text)
        self.send_button.click()

    def wait_until_idle(self) -> None:
        """The reply is over (finished, failed or stopped): Send is back."""
        expect(self.send_button).to_be_visible()
        expect(self.stop_button).to_be_hidden()

    def ask(self, text: str) -> str:
        """Send, wait for the whole reply, return its text."""
        before = self.replies.count()
        self.send(text)
        self.wait_until_idle()
        expect(self.replies).to_have_count(before + 1)
        return self.replies.nth(before).inner_text()

    # ---------------------------------------------------------------- storage

    def stored_tokens(self) -> dict | None:
        raw = self.page.evaluate(
            """prefix => {
                const key = Object.keys(localStorage).find(k => k.startsWith(prefix));
                return key ? localStorage.getItem(key) : null;
            }""",
            TOKENS_PREFIX,
        )
        return json.loads(raw) if raw else None

    def set_stored_tokens(self, tokens: dict) -> None:
        self.page.evaluate(
            """([prefix, value]) => {
                const key = Object.keys(localStorage).find(k => k.startsWith(prefix));
                localStorage.setItem(key, value);
            }""",
            [TOKENS_PREFIX, json.dumps(tokens)],
        )


def decide_in(popup: Page, email: str, password: str, decision: str = "allow") -> None:
    """In the Legion window: log in if asked, then Allow or Deny."""
    allow_or_login = popup.get_by_role("button", name="Log in").or_(
        popup.get_by_role("button", name="Allow")
    )
    allow_or_login.first.wait_for()
    if popup.get_by_role("button", name="Log in").count():
        popup.get_by_label("Email").fill(email)
        popup.get_by_label("Password").fill(password)
        popup.get_by_role("button", name="Log in").click()
    popup.get_by_role("button", name=decision.capitalize()).click()


def wait_closed(popup: Page, timeout_s: float = 15.0) -> None:
    """The popup closes itself; its "close" event may already have passed."""
    for _ in range(int(timeout_s * 10)):
        if popup.is_closed():
            return
        try:
            popup.wait_for_timeout(100)
        except PlaywrightError:
            return
    raise AssertionError(f"the popup stayed open at {popup.url}")


def storage_snapshot(page: Page) -> dict:
    """Everything the page's origin keeps: localStorage, sessionStorage, document.cookie."""
    return page.evaluate(
        """() => ({
            local: Object.keys(localStorage),
            session: Object.keys(sessionStorage),
            cookie: document.cookie,
        })"""
    )
