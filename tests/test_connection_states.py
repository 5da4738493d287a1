"""What a token can still do after the user or the server changed its standing (SPEC §4.7).

Checked at the API itself, with a real chat call against a fake upstream: active tokens
chat, tokens of an inactive connection get 403 ``connection_inactive``, dead ones 401.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fakes import FakeProviders
from tests.support.databases import TestDatabase
from tests.support.oauth import connection_action, form_with_action, new_site, pkce_pair
from tests.support.server import ServerProcess

REDIRECT = "http://states.localhost:7701/legion-callback"


@pytest.fixture(scope="module")
def fake():
    with FakeProviders() as providers:
        yield providers  # reset before each test (tests/fakes/fixtures.py fresh_fake)


@pytest.fixture(scope="module")
def chat_server(backend, fake):
    database = TestDatabase(backend)
    with ServerProcess(database.url, env=fake.env) as server:
        server.backend = backend
        yield server
    database.close()


def chat(server, access_token: str) -> httpx.Response:
    return httpx.post(
        f"{server.local_url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {access_token}"},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )


def _code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


def _account_action(site, verb: str) -> None:
    page = site.person.get("/account").text
    form = form_with_action(page, connection_action(page, verb))
    assert site.person.submit(form).status_code == 303


def test_active_token_chats(chat_server, fake, unique_email):
    fake.set(reply="Hello from upstream")
    site = new_site(chat_server, unique_email(), REDIRECT)
    response = chat(chat_server, site.tokens()["access_token"])
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "Hello from upstream"


def test_inactive_connection_gets_403_until_a_new_authorization(chat_server, unique_email):
    site = new_site(chat_server, unique_email(), REDIRECT)
    tokens = site.tokens()
    _account_action(site, "deactivate")
    refused = chat(chat_server, tokens["access_token"])
    assert refused.status_code == 403
    assert _code(refused) == "connection_inactive"
    fresh = site.tokens()
    assert chat(chat_server, fresh["access_token"]).status_code == 200
    assert chat(chat_server, tokens["access_token"]).status_code == 200


def test_revoked_connection_gets_401_and_stays_dead(chat_server, unique_email):
    site = new_site(chat_server, unique_email(), REDIRECT)
    tokens = site.tokens()
    _account_action(site, "revoke")
    refused = chat(chat_server, tokens["access_token"])
    assert refused.status_code == 401
    assert _code(refused) == "invalid_token"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    fresh = site.tokens()
    assert chat(chat_server, fresh["access_token"]).status_code == 200
    assert chat(chat_server, tokens["access_token"]).status_code == 401


def test_a_token_in_use_stops_at_once_when_its_connection_ends(chat_server, unique_email):
    """Chatting first warms every per-process cache (the token's, and on PostgreSQL the
    settings the one-statement hold expects): the ended connection must still stop the
    very next request, because the hold itself checks that the token is live."""
    site = new_site(chat_server, unique_email(), REDIRECT)
    tokens = site.tokens()
    for _ in range(2):
        assert chat(chat_server, tokens["access_token"]).status_code == 200
    _account_action(site, "deactivate")
    refused = chat(chat_server, tokens["access_token"])
    assert (refused.status_code, _code(refused)) == (403, "connection_inactive")
    renewed = site.tokens()  # a new authorization makes the connection active again
    for _ in range(2):
        assert chat(chat_server, renewed["access_token"]).status_code == 200
    _account_action(site, "revoke")
    refused = chat(chat_server, renewed["access_token"])
    assert (refused.status_code, _code(refused)) == (401, "invalid_token")


def test_revoking_an_access_token_kills_only_it(chat_server, unique_email):
    site = new_site(chat_server, unique_email(), REDIRECT)
    tokens = site.tokens()
    httpx.post(f"{chat_server.local_url}/v1/oauth/revoke", data={"token": tokens["access_token"]})
    assert _code(chat(chat_server, tokens["access_token"])) == "invalid_token"
    renewed = site.refresh(tokens["refresh_token"]).json()
    assert chat(chat_server, renewed["access_token"]).status_code == 200


def test_revoking_a_refresh_token_kills_its_access_tokens(chat_server, unique_email):
    site = new_site(chat_server, unique_email(), REDIRECT)
    tokens = site.tokens()
    httpx.post(f"{chat_server.local_url}/v1/oauth/revoke", data={"token": tokens["refresh_token"]})
    assert chat(chat_server, tokens["access_token"]).status_code == 401


def test_refresh_token_reuse_kills_every_access_token_of_the_grant(chat_server, unique_email):
    site = new_site(chat_server, unique_email(), REDIRECT)
    tokens = site.tokens()
    renewed = site.refresh(tokens["refresh_token"]).json()
    assert chat(chat_server, renewed["access_token"]).status_code == 200
    site.refresh(tokens["refresh_token"])  # the reuse
    assert chat(chat_server, renewed["access_token"]).status_code == 401
    assert chat(chat_server, tokens["access_token"]).status_code == 401


def test_code_replay_kills_the_access_token_it_gave(chat_server, unique_email):
    site = new_site(chat_server, unique_email(), REDIRECT)
    verifier, challenge = pkce_pair()
    code = site.code(challenge)
    tokens = site.exchange(code, verifier).json()
    assert chat(chat_server, tokens["access_token"]).status_code == 200
    assert site.exchange(code, verifier).status_code == 400
    assert chat(chat_server, tokens["access_token"]).status_code == 401


def test_unknown_missing_and_malformed_tokens_are_401(chat_server):
    for header in ("Bearer lat_made-up", "Bearer", "Basic abc", "lat_no_scheme", None):
        headers = {"Authorization": header} if header is not None else {}
        response = httpx.post(
            f"{chat_server.local_url}/v1/chat/completions",
            headers=headers,
            json={"messages": [{"role": "user", "content": "hi"}]},
        )
        assert response.status_code == 401, header
        assert _code(response) == "invalid_token"
        assert "Bearer" in response.headers["WWW-Authenticate"]


def test_expired_access_token_is_401_and_refresh_recovers(make_server, fake, unique_email):
    server = make_server(env={**fake.env, "LEGION_ACCESS_TOKEN_LIFETIME": "1"})
    site = new_site(server, unique_email(), REDIRECT)
    tokens = site.tokens()
    assert tokens["expires_in"] == 1
    time.sleep(1.5)
    expired = chat(server, tokens["access_token"])
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]
    renewed = site.refresh(tokens["refresh_token"]).json()
    assert chat(server, renewed["access_token"]).status_code == 200
