"""Fixtures for the browser tests: a fake LLM provider, a Legion server on
``legion.localhost``, a site on ``site.localhost`` and a fresh browser context per test.

(The database and Chromium fixtures come from ``tests/support/fixtures.py``, loaded by the
root ``conftest.py``.)
"""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

from e2e.widget_driver import Widget
from e2e.widget_site import TestSite
from tests.fakes import FakeProviders
from tests.support.databases import TestDatabase
from tests.support.oauth import DEFAULT_PASSWORD
from tests.support.server import ServerProcess

# A shared two-core CI machine is slow at times; a visitor-facing wait is still seconds.
expect.set_options(timeout=15_000)
_visitors = itertools.count(1)


@pytest.fixture(scope="session")
def fake_llm():
    with FakeProviders() as fake:
        yield fake


def start_legion(fake: FakeProviders, **env: str) -> tuple[ServerProcess, TestDatabase]:
    """A Legion server on its own SQLite database, public URL on legion.localhost."""
    database = TestDatabase("sqlite")
    server = ServerProcess(database.url, public_host="legion.localhost", env={**fake.env, **env})
    return server.start(), database


@pytest.fixture(scope="session")
def legion(fake_llm):
    """The Legion server most browser tests share; each test makes its own user and app."""
    server, database = start_legion(fake_llm)
    yield server
    server.stop()
    database.close()


@pytest.fixture
def site():
    with TestSite() as running:
        yield running


@pytest.fixture
def context(chromium):
    browser_context = chromium.new_context()
    yield browser_context
    browser_context.close()


@pytest.fixture
def visitor(legion):
    """A Legion user with $10 in the wallet (``credit=None``: an empty one); returns the
    email (the password is the default)."""

    def make(server: ServerProcess = legion, credit: str | None = "10") -> str:
        email = f"visitor{next(_visitors)}-{id(make)}@example.com"
        if credit is None:
            server.setup_cli("create-user", "--email", email, "--password", DEFAULT_PASSWORD)
        else:
            server.create_user(email, credit=credit)
        return email

    return make


@pytest.fixture
def embed(legion, site):
    """Register an app for the site and embed the widget: ``embed(position="inline")``."""

    def make(server: ServerProcess = legion, **attrs: str) -> dict:
        app = server.create_app(site.callback_uri, app_type="wordpress", name="Test site")
        site.embed(server.url, app["client_id"], **attrs)
        return app

    return make


@pytest.fixture
def chat(legion, site, embed, visitor, context, fake_llm):
    """A connected widget on the site (default embed), open, ready to chat."""
    fake_llm.reset()
    embed()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    widget.connect(visitor())
    widget.expect_connected()
    yield widget
    fake_llm.reset()
