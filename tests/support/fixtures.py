"""Fixtures for tests/ and e2e/: databases of both backends and running servers."""

from __future__ import annotations

import itertools

import pytest

from tests.support.databases import TestDatabase, pg_available, pg_required
from tests.support.server import ServerProcess

BACKENDS = ("sqlite", "postgres")
_emails = itertools.count(1)


def require_backend(backend: str) -> None:
    if backend != "postgres":
        return
    problem = pg_available()
    if problem is None:
        return
    if pg_required():
        pytest.fail(f"PostgreSQL is required by the test command but unreachable: {problem}")
    pytest.skip(f"PostgreSQL not reachable ({problem}); the README test command starts one")


@pytest.fixture(params=BACKENDS, scope="session")
def backend(request) -> str:
    require_backend(request.param)
    return request.param


@pytest.fixture(scope="session")
def server(backend):
    """One server per backend for the whole session; tests make their own users and apps."""
    database = TestDatabase(backend)
    with ServerProcess(database.url) as running:
        running.backend = backend
        yield running
    database.close()


@pytest.fixture
def make_server(backend):
    """Start extra servers with special settings: ``make_server(env={...})``."""
    started = []

    def start(**options) -> ServerProcess:
        database = TestDatabase(backend)
        running = ServerProcess(database.url, **options).start()
        running.backend = backend
        started.append((running, database))
        return running

    yield start
    for running, database in started:
        running.stop()
        database.close()


@pytest.fixture
def unique_email():
    def make(prefix: str = "user") -> str:
        return f"{prefix}{next(_emails)}-{id(make)}@example.com"

    return make


@pytest.fixture(scope="session")
def chromium():
    """One Chromium for the session; tests open their own isolated contexts."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch_chromium, require_chromium

    require_chromium()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
