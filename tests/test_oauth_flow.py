"""The authorization code flow with PKCE, end to end over HTTP, by a standard client."""

from __future__ import annotations

import httpx

from tests.support.oauth import connect_with_authlib, query_of

REDIRECT = "http://site.localhost:8765/legion-callback"


def test_full_pkce_flow_with_authlib(server, unique_email):
    email = unique_email()
    server.create_user(email)
    app = server.create_app(REDIRECT)
    connected = connect_with_authlib(
        server.url, app["client_id"], REDIRECT, email, "correct horse 9"
    )
    tokens = connected.tokens
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 86400
    assert tokens["scope"] == "chat:completions"
    assert tokens["access_token"] != tokens["refresh_token"]


def test_authorization_response_carries_iss(server, unique_email):
    email = unique_email()
    server.create_user(email)
    app = server.create_app(REDIRECT)
    from tests.support.oauth import Person, pkce_pair

    person = Person(server.url)
    person.login(email, "correct horse 9")
    _verifier, challenge = pkce_pair()
    back = person.consent(
        f"{server.url}/connect?"
        + httpx.QueryParams(
            client_id=app["client_id"],
            redirect_uri=REDIRECT,
            response_type="code",
            state="s1",
            code_challenge=challenge,
            code_challenge_method="S256",
        ).__str__()
    )
    params = query_of(back)
    assert back.startswith(REDIRECT + "?")
    assert params["iss"] == server.url
    assert params["state"] == "s1"
    assert params["code"]
