"""Fixtures for both suites (tests/ and e2e/) live in tests/support/fixtures.py."""

pytest_plugins = ["tests.support.fixtures", "tests.fakes.fixtures"]
