"""``serve --demo``: a newcomer opens /demo, connects as the demo user and chats with the
built-in demo model, on a page under the strict CSP, with nothing configured."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e.test_widget_connect import CSP_WATCH
from e2e.widget_driver import Widget
from tests.support.databases import TestDatabase
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server():
    database = TestDatabase("sqlite")
    with ServerProcess(database.url, demo=True, public_host="legion.localhost") as server:
        yield server
    database.close()


def test_a_newcomer_chats_on_the_demo_page(demo_server, context):
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.goto(f"{demo_server.url}/demo")
    widget = Widget(page, placeholder="Ask the demo model anything...")
    widget.connect("demo@legion.example", password="demo-password")
    widget.expect_connected()
    reply = widget.ask("Hello, demo!")
    assert reply.strip()
    expect(widget.alert).to_be_hidden()
    assert page.evaluate("window.__cspViolations") == []


@pytest.mark.parametrize("position", ["bottom-right", "bottom-left"])
def test_the_demo_page_offers_the_floating_positions(demo_server, context, position):
    page = context.new_page()
    page.goto(f"{demo_server.url}/demo?position={position}&theme=dark")
    widget = Widget(page).open()
    expect(widget.connect_button).to_be_visible()
