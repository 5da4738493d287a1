"""The developer dashboard (SPEC §12) in Chromium, without a line of JavaScript of ours: a
new user registers, makes a chat app on ``/register-chat`` and sees its link, then on
``/developer`` creates an app (its secret shown once), edits it, rotates its secret and
deletes it, partly by keyboard alone; under the pages' strict CSP (no violation), with no
serious or critical axe-core finding in light or dark."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.test_widget_connect import CSP_WATCH
from tests.support.tools import require_tool

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
_users = itertools.count(1)


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical findings, in light and in dark."""
    found = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.evaluate(AXE.read_text())  # evaluated, not a <script>: the CSP stays strict
        results = page.evaluate("async () => await axe.run(document)")
        found += [
            {"scheme": scheme, "id": v["id"], "nodes": [n["html"] for n in v["nodes"]][:3]}
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]
    page.emulate_media(color_scheme="light")
    return found


def test_a_developer_makes_a_chat_app_then_creates_edits_rotates_and_deletes_an_app(
    legion, context
):
    require_tool(str(AXE), "scripts/test runs npm ci in e2e/")
    context.add_init_script(CSP_WATCH)
    page = context.new_page()

    # Register in the browser; the account page leads to the dashboard.
    page.goto(f"{legion.url}/register")
    page.get_by_label("Email").fill(f"developer{next(_users)}-{id(page)}@example.com")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Developer", exact=True)).to_be_visible()

    # A chat app in one step.
    page.get_by_role("link", name="Create a chat app").click()
    expect(page.get_by_role("heading", name="Create a chat app")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Name", exact=True).fill("Poet")
    page.get_by_label("Description").fill("Writes <em>poems</em>")
    page.get_by_label("System prompt").fill("Answer in verse.")
    page.get_by_label("Margin (%)").fill("20")
    page.get_by_label("Default model").select_option("gpt-4o-mini")
    page.get_by_role("button", name="Create chat app").click()
    expect(page.get_by_role("heading", name="Your chat app is ready")).to_be_visible()
    link = page.locator("#share-link")
    expect(link).to_have_text(re.compile(rf"^{re.escape(legion.url)}/chat/lgn_[0-9a-f]+$"))
    expect(page.locator("p.app-description")).to_have_text("Writes <em>poems</em>")  # not markup
    expect(page.locator("main em")).to_have_count(0)
    assert serious_violations(page) == []

    # On the dashboard: create a web app; the secret is shown in that answer only.
    page.get_by_role("link", name="Developer dashboard").click()
    expect(page.locator(".app-list").get_by_role("link", name="Poet")).to_be_visible()
    expect(page.locator(".app-list .badge")).to_have_text(["Chat"])
    page.get_by_label("Name", exact=True).fill("My site")
    page.get_by_label("Type", exact=True).select_option("web")
    page.get_by_label("Redirect URIs").fill("https://site.example/legion-callback")
    page.get_by_role("button", name="Create app").click()
    expect(page.get_by_text("it won't be shown again")).to_be_visible()
    secret = page.locator("#client-secret").inner_text()
    assert secret.startswith("lgs_")
    assert serious_violations(page) == []
    page.get_by_role("link", name="Manage My site").click()
    expect(page.get_by_role("heading", name="My site")).to_be_visible()
    assert secret not in page.content()
    assert serious_violations(page) == []

    # Edit it.
    page.get_by_label("Name", exact=True).fill("My shop")
    page.get_by_label("Description").fill("Helps shoppers")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="My shop")).to_be_visible()
    expect(page.get_by_label("Description")).to_have_value("Helps shoppers")

    # Rotate its secret: a new one, once.
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_role("heading", name="New client secret")).to_be_visible()
    rotated = page.locator("#client-secret").inner_text()
    assert rotated.startswith("lgs_") and rotated != secret

    # Delete it, by keyboard: tick the confirmation, then the button.
    page.get_by_label("Yes, delete My shop and disconnect its users").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Delete app")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("App deleted.")).to_be_visible()
    expect(page.locator(".app-list").get_by_role("link", name="My shop")).to_have_count(0)
    expect(page.locator(".app-list").get_by_role("link", name="Poet")).to_be_visible()
    assert page.evaluate("window.__cspViolations") == []
