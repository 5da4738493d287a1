"""The registration rule for redirect URIs (SPEC §4.1), case by case.

The rule is pure, so the full table runs against the function; ``test_cli.py`` checks that
``create-app`` applies it and refuses with a clear message.
"""

from __future__ import annotations

import pytest

from widget_server.apps.redirect_uris import normalize_redirect_uri, normalize_redirect_uris
from widget_server.errors import ValidationError


@pytest.mark.parametrize(
    ("given", "stored", "origin"),
    [
        ("https://site.example", "https://site.example/callback", "https://site.example"),
        ("https://site.example/", "https://site.example/callback", "https://site.example"),
        (
            "https://site.example/?legion_callback=1",
            "https://site.example/?legion_callback=1",
            "https://site.example",
        ),
        (
            "https://site.example/legion-callback",
            "https://site.example/legion-callback",
            "https://site.example",
        ),
        (
            "https://site.example:8443/cb",
            "https://site.example:8443/cb",
            "https://site.example:8443",
        ),
        ("https://site.example:443/cb", "https://site.example:443/cb", "https://site.example"),
        ("https://Site.Example/cb", "https://Site.Example/cb", "https://site.example"),
        ("http://localhost:3000", "http://localhost:3000/callback", "http://localhost:3000"),
        ("http://127.0.0.1:8080/cb", "http://127.0.0.1:8080/cb", "http://127.0.0.1:8080"),
        ("http://[::1]:8080/cb", "http://[::1]:8080/cb", "http://[::1]:8080"),
        ("http://wp.localhost/cb", "http://wp.localhost/cb", "http://wp.localhost"),
        (
            "https://xn--80ak6aa92e.com/cb",
            "https://xn--80ak6aa92e.com/cb",
            "https://xn--80ak6aa92e.com",
        ),
        (
            "https://site.example/cb?a=1&b=2",
            "https://site.example/cb?a=1&b=2",
            "https://site.example",
        ),
    ],
)
def test_accepted_uris_are_stored_as_the_rule_says(given, stored, origin):
    result = normalize_redirect_uri(given)
    assert result.uri == stored
    assert result.origin == origin


@pytest.mark.parametrize(
    "given",
    [
        "http://site.example/cb",  # plain http off loopback
        "ftp://site.example/cb",
        "javascript:alert(1)",
        "HTTPS://site.example/cb",
        "//site.example/cb",
        "site.example/cb",
        "https://site.example/cb#frag",
        "https://site.example/#",
        "https://user@site.example/cb",
        "https://user:pass@site.example/cb",
        "https://*.site.example/cb",
        "https://site.example/*",
        "https://site.example\\@evil.example/cb",
        "https://site.example/a/../cb",
        "https://site.example/./cb",
        "https://site.example/a/%2e%2e/cb",
        "https://site.example/a/%2E%2E/cb",
        "https://site.example/a/%252e%252e/cb",
        "https://exаmple.com/cb",  # Cyrillic а
        "https://site.example/caf\u00e9",
        "https://site .example/cb",
        "https://site.example/cb\n",
        "https://site.example:99999/cb",
        "https://site.example:/cb",
        "https://site.example:0/cb",
        "https:///cb",
        "https://-bad.example/cb",
        "https://bad..example/cb",
        "http://localhost.evil.example/cb",
        "http://127.0.0.1.evil.example/cb",
        "",
        "https://site.example/" + "a" * 2100,
    ],
)
def test_refused_uris(given):
    with pytest.raises(ValidationError):
        normalize_redirect_uri(given)


def test_lists_are_deduplicated_after_normalizing_and_keep_order():
    result = normalize_redirect_uris(
        ["https://b.example", "https://a.example/x", "https://b.example/"]
    )
    assert [r.uri for r in result] == ["https://b.example/callback", "https://a.example/x"]


def test_a_list_needs_at_least_one_uri_and_at_most_twenty():
    with pytest.raises(ValidationError):
        normalize_redirect_uris([])
    with pytest.raises(ValidationError):
        normalize_redirect_uris([f"https://s{i}.example/cb" for i in range(21)])
