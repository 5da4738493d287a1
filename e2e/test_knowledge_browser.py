"""The knowledge base in Chromium (SPEC §15): a maker drops a file on their app's page and
sees it become ready, without a CSP violation or a serious axe-core finding; a visitor of
the hosted chat page sees an answer's sources under it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.test_chat_page import ask, log_in
from e2e.test_developer_browser import serious_violations
from e2e.test_widget_connect import CSP_WATCH
from tests.support.knowledge import new_owner

pytestmark = pytest.mark.browser

DROP = """([name, text]) => {
  const files = new DataTransfer();
  files.items.add(new File([text], name, {type: "text/markdown"}));
  const zone = document.querySelector("[data-dropzone]");
  const event = {dataTransfer: files, bubbles: true, cancelable: true};
  zone.dispatchEvent(new DragEvent("dragover", event));
  zone.dispatchEvent(new DragEvent("drop", event));
}"""


def test_a_maker_drops_a_file_on_the_app_page_and_sees_it_ready(legion, context, visitor):
    maker = visitor()
    app = legion.create_app("https://kb.example/cb", name="Kiosk help", owner_email=maker)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.goto(f"{legion.url}/developer/apps/{app['client_id']}")
    log_in(page, maker)
    expect(page.get_by_role("heading", name="Knowledge base")).to_be_visible()
    expect(page.get_by_label("Choose files, or drop them here")).to_be_visible()
    assert serious_violations(page) == []
    page.evaluate(DROP, ["guide.md", "# Guide\n\nThe Orion kiosk accepts coins only."])
    expect(page).to_have_url(re.compile(r"done=uploaded#knowledge$"))
    row = page.locator("tr", has_text="guide.md")
    expect(row.locator(".doc-status")).to_have_text("ready (1 chunks)", timeout=10_000)
    assert serious_violations(page) == []
    assert page.evaluate("window.__cspViolations") == []


def test_a_chat_answer_shows_the_documents_it_was_given(legion, context, visitor, fake_llm):
    maker = visitor()
    owner = new_owner(legion, f"owner-{maker}", app_type="chat", name="Museum guide")
    uploaded = owner.upload("hours.txt", b"The museum opens at ten on Sundays.", "text/plain")
    assert uploaded.status_code == 202, uploaded.text
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.goto(f"{legion.url}/chat/{owner.client_id}")
    log_in(page, maker)
    page.get_by_role("button", name="Start chatting").click()
    fake_llm.set(reply="At ten.")
    ask(page, "When does the museum open on Sundays?")
    answer = page.locator("article.msg.bot").last
    expect(answer.locator(".body")).to_have_text("At ten.")
    sources = answer.locator("details.sources")
    expect(sources.locator("summary")).to_have_text("Sources (1)")
    sources.locator("summary").click()
    expect(sources.locator("li")).to_contain_text("hours.txt")
    expect(sources.locator("li")).to_contain_text("The museum opens at ten on Sundays.")
    assert page.evaluate("window.__cspViolations") == []
