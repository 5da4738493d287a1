"""``POST /v1/oauth/token``: code + PKCE, refresh rotation, and every way to misuse them."""

from __future__ import annotations

import base64
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.oauth import new_site, pkce_pair

REDIRECT = "http://site.localhost:7101/legion-callback"


@pytest.fixture(scope="module")
def site(server):
    return new_site(server, f"token-{server.backend}@example.com", REDIRECT)


@pytest.fixture(scope="module")
def web_site(server):
    return new_site(server, f"token-web-{server.backend}@example.com", REDIRECT, app_type="web")


def _error(response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    assert body["error_description"]
    return body


# ---------------------------------------------------------------- authorization_code


@pytest.mark.parametrize("as_json", [False, True])
def test_code_exchange_accepts_form_and_json(site, as_json):
    verifier, challenge = pkce_pair()
    response = site.exchange(site.code(challenge), verifier, as_json=as_json)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"access_token", "refresh_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


def test_redirect_uri_when_sent_must_match(site):
    verifier, challenge = pkce_pair()
    code = site.code(challenge)
    _error(site.exchange(code, verifier, redirect_uri=REDIRECT + "/"), 400, "invalid_grant")
    assert site.exchange(code, verifier, redirect_uri=REDIRECT).status_code == 200


def test_code_replay_fails_and_revokes_the_tokens_it_gave(site):
    verifier, challenge = pkce_pair()
    code = site.code(challenge)
    first = site.exchange(code, verifier)
    assert first.status_code == 200
    _error(site.exchange(code, verifier), 400, "invalid_grant")
    _error(site.refresh(first.json()["refresh_token"]), 400, "invalid_grant")


@pytest.mark.parametrize("mistake", ["verifier", "redirect_uri", "client_id"])
def test_a_replay_with_wrong_parameters_leaves_the_tokens_alive(
    server, site, mistake, unique_email
):
    """Someone who saw a spent code but lacks the verifier (or sends another redirect URI or
    client) proves no replay: the real user stays connected. A valid replay still revokes."""
    verifier, challenge = pkce_pair()
    code = site.code(challenge)
    first = site.exchange(code, verifier)
    assert first.status_code == 200, first.text
    if mistake == "verifier":
        replay = site.exchange(code, pkce_pair()[0])
    elif mistake == "redirect_uri":
        replay = site.exchange(code, verifier, redirect_uri=REDIRECT + "/other")
    else:
        other = new_site(server, unique_email(), "http://other.localhost:7102/cb")
        replay = other.exchange(code, verifier)
    _error(replay, 400, "invalid_grant")
    rotated = site.refresh(first.json()["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    _error(site.exchange(code, verifier), 400, "invalid_grant")
    _error(site.refresh(rotated.json()["refresh_token"]), 400, "invalid_grant")


def test_a_confidential_code_replayed_without_its_secret_revokes_nothing(web_site):
    code = web_site.code()
    first = web_site.exchange(code, None, client_secret=web_site.client_secret)
    assert first.status_code == 200, first.text
    _error(web_site.exchange(code, None), 400, "invalid_grant")
    secret = {"client_secret": web_site.client_secret}
    rotated = web_site.refresh(first.json()["refresh_token"], **secret)
    assert rotated.status_code == 200, rotated.text


def test_unknown_code_is_invalid_grant(site):
    verifier, _ = pkce_pair()
    _error(site.exchange("lac_not-a-real-code", verifier), 400, "invalid_grant")


def test_code_of_another_client_is_invalid_grant(server, site, unique_email):
    other = new_site(server, unique_email(), "http://other.localhost:7102/cb")
    verifier, challenge = pkce_pair()
    code = other.code(challenge)
    _error(site.exchange(code, verifier), 400, "invalid_grant")
    assert other.exchange(code, verifier).status_code == 200


def test_wrong_verifier_fails_without_spending_the_code(site):
    verifier, challenge = pkce_pair()
    code = site.code(challenge)
    wrong, _ = pkce_pair()
    _error(site.exchange(code, wrong), 400, "invalid_grant")
    _error(site.exchange(code, "short"), 400, "invalid_grant")
    assert site.exchange(code, verifier).status_code == 200


def test_missing_verifier_is_invalid_request_even_with_a_secret(site):
    verifier, challenge = pkce_pair()
    code = site.code(challenge)
    _error(site.exchange(code, None), 400, "invalid_request")
    # A downgrade to "confidential client" does not replace PKCE either.
    _error(site.exchange(code, None, client_secret=site.client_secret), 400, "invalid_request")
    assert site.exchange(code, verifier).status_code == 200


def test_verifier_for_an_authorization_without_challenge_is_rejected(web_site):
    code = web_site.code()
    verifier, _ = pkce_pair()
    _error(
        web_site.exchange(code, verifier, client_secret=web_site.client_secret),
        400,
        "invalid_grant",
    )


def test_web_app_without_pkce_must_send_its_secret(web_site):
    code = web_site.code()
    _error(web_site.exchange(code, None), 401, "invalid_client")
    _error(web_site.exchange(code, None, client_secret="lgs_wrong"), 401, "invalid_client")
    assert web_site.exchange(code, None, client_secret=web_site.client_secret).status_code == 200


def test_a_confidential_clients_grant_refreshes_only_with_its_secret(web_site):
    """Redeemed with the secret (no PKCE): the client is confidential, and RFC 6749 §6
    has it authenticate to refresh as well. A refusal spends nothing."""
    code = web_site.code()
    tokens = web_site.exchange(code, None, client_secret=web_site.client_secret).json()
    refresh_token = tokens["refresh_token"]
    _error(web_site.refresh(refresh_token), 401, "invalid_client")
    _error(web_site.refresh(refresh_token, client_secret="lgs_wrong"), 401, "invalid_client")
    renewed = web_site.refresh(refresh_token, client_secret=web_site.client_secret)
    assert renewed.status_code == 200, renewed.text
    basic = base64.b64encode(f"{web_site.client_id}:{web_site.client_secret}".encode()).decode()
    again = httpx.post(
        f"{web_site.server_url}/v1/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": renewed.json()["refresh_token"]},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert again.status_code == 200, again.text


def test_a_public_clients_grant_refreshes_without_a_secret(web_site):
    verifier, challenge = pkce_pair()
    tokens = web_site.exchange(web_site.code(challenge), verifier).json()
    assert web_site.refresh(tokens["refresh_token"]).status_code == 200


def test_web_app_secret_by_http_basic(web_site):
    code = web_site.code()
    basic = base64.b64encode(f"{web_site.client_id}:{web_site.client_secret}".encode()).decode()
    response = httpx.post(
        f"{web_site.server_url}/v1/oauth/token",
        data={"grant_type": "authorization_code", "code": code},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "credentials",
    [
        "lgn_000000000000000000000000:lgs_whatever",  # unknown client
        "{client_id}:lgs_wrong",  # wrong secret
        None,  # not base64 at all
    ],
)
def test_every_401_to_a_basic_client_carries_a_basic_challenge(web_site, credentials):
    """RFC 6749 §5.2: the client used the Authorization header, so the 401 says how."""
    if credentials is None:
        header = "Basic !!!"
    else:
        raw = credentials.format(client_id=web_site.client_id).encode()
        header = "Basic " + base64.b64encode(raw).decode()
    response = httpx.post(
        f"{web_site.server_url}/v1/oauth/token",
        data={"grant_type": "authorization_code", "code": web_site.code()},
        headers={"Authorization": header},
    )
    _error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="legion"'


def test_a_sent_secret_is_always_checked(site):
    verifier, challenge = pkce_pair()
    code = site.code(challenge)
    _error(site.exchange(code, verifier, client_secret="lgs_wrong"), 401, "invalid_client")
    assert site.exchange(code, verifier, client_secret=site.client_secret).status_code == 200


def test_unknown_or_missing_client(site):
    verifier, challenge = pkce_pair()
    code = site.code(challenge)
    base = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    _error(site.token_request({**base, "client_id": "lgn_nobody"}), 401, "invalid_client")
    _error(site.token_request(base), 400, "invalid_request")


def test_expired_code_is_invalid_grant(make_server, unique_email):
    server = make_server(env={"LEGION_CODE_LIFETIME": "1"})
    site = new_site(server, unique_email(), REDIRECT)
    verifier, challenge = pkce_pair()
    code = site.code(challenge)
    time.sleep(2.1)
    body = _error(site.exchange(code, verifier), 400, "invalid_grant")
    assert "expired" in body["error_description"]


def test_concurrent_redemptions_of_one_code_give_one_token_pair(site):
    verifier, challenge = pkce_pair()
    code = site.code(challenge)
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: site.exchange(code, verifier), range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1, [r.text for r in responses]
    assert statuses.count(400) == 7


# ---------------------------------------------------------------- malformed requests


def test_other_methods_are_405_with_a_json_body(site):
    for method in ("GET", "PUT", "DELETE"):
        response = httpx.request(method, f"{site.server_url}/v1/oauth/token")
        assert response.status_code == 405
        assert response.json()["error"] == "invalid_request"
        assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "authorization_code", "client_id": "x"}, "invalid_client"),
    ],
)
def test_malformed_grants(site, data, error):
    response = site.token_request(data)
    assert response.status_code in (400, 401)
    assert response.json()["error"] == error


def test_parameter_given_twice_is_invalid_request(site):
    response = httpx.post(
        f"{site.server_url}/v1/oauth/token",
        content="grant_type=refresh_token&refresh_token=a&refresh_token=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    _error(response, 400, "invalid_request")


def test_json_must_be_an_object_of_strings(site):
    url = f"{site.server_url}/v1/oauth/token"
    for body in ('["grant_type"]', '{"grant_type": 5}', "{not json"):
        response = httpx.post(url, content=body, headers={"Content-Type": "application/json"})
        _error(response, 400, "invalid_request")


def test_other_content_types_are_invalid_request(site):
    response = httpx.post(
        f"{site.server_url}/v1/oauth/token",
        content="grant_type=refresh_token",
        headers={"Content-Type": "text/plain"},
    )
    _error(response, 400, "invalid_request")


def test_oversized_body_is_413_in_oauth_shape(site):
    response = httpx.post(
        f"{site.server_url}/v1/oauth/token",
        content=b"grant_type=" + b"x" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"


# ---------------------------------------------------------------- refresh_token


def test_refresh_rotates_and_the_old_token_dies(site):
    tokens = site.tokens()
    renewed = site.refresh(tokens["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert fresh["access_token"] != tokens["access_token"]
    assert fresh["scope"] == "chat:completions"
    assert renewed.headers["Cache-Control"] == "no-store"
    assert site.refresh(fresh["refresh_token"]).status_code == 200


def test_reused_refresh_token_revokes_the_whole_family(site):
    tokens = site.tokens()
    second = site.refresh(tokens["refresh_token"]).json()
    _error(site.refresh(tokens["refresh_token"]), 400, "invalid_grant")
    # The descendant issued before the reuse is dead too.
    _error(site.refresh(second["refresh_token"]), 400, "invalid_grant")


def test_refresh_with_another_apps_client_id_is_invalid_grant(server, site, unique_email):
    other = new_site(server, unique_email(), "http://other.localhost:7103/cb")
    tokens = site.tokens()
    _error(site.refresh(tokens["refresh_token"], client_id=other.client_id), 400, "invalid_grant")
    # Not spent by the refused attempt:
    assert site.refresh(tokens["refresh_token"], client_id=site.client_id).status_code == 200


def test_refresh_may_not_widen_the_granted_scope(site):
    """RFC 6749 §6: equal or narrower scope is fine; anything not granted is refused, and
    the refusal spends nothing."""
    refresh_token = site.tokens()["refresh_token"]
    for wider in ("chat:completions apps:manage", "apps:manage", "chat:completions other"):
        _error(site.refresh(refresh_token, scope=wider), 400, "invalid_scope")
    same = site.refresh(refresh_token, scope="chat:completions")
    assert same.status_code == 200, same.text
    assert same.json()["scope"] == "chat:completions"
    unscoped = site.refresh(same.json()["refresh_token"])
    assert unscoped.status_code == 200, unscoped.text


def test_refresh_with_a_wrong_secret_is_invalid_client(site):
    tokens = site.tokens()
    _error(site.refresh(tokens["refresh_token"], client_secret="lgs_nope"), 401, "invalid_client")


def test_unknown_refresh_token_is_invalid_grant(site):
    _error(site.refresh("lrt_unknown"), 400, "invalid_grant")


def test_concurrent_refreshes_of_one_token_succeed_once(site):
    tokens = site.tokens()
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: site.refresh(tokens["refresh_token"]), range(6)))
    assert sorted(r.status_code for r in responses).count(200) == 1


def test_rotation_never_extends_the_absolute_lifetime(make_server, unique_email):
    server = make_server(env={"LEGION_AUTHORIZATION_LIFETIME": "4"})
    site = new_site(server, unique_email(), REDIRECT)
    tokens = site.tokens()
    assert tokens["expires_in"] <= 4
    time.sleep(1.2)
    renewed = site.refresh(tokens["refresh_token"])
    assert renewed.status_code == 200
    assert renewed.json()["expires_in"] <= 3
    time.sleep(3.2)
    body = _error(site.refresh(renewed.json()["refresh_token"]), 400, "invalid_grant")
    assert "expired" in body["error_description"]
