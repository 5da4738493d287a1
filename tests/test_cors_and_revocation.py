"""CORS on the OAuth endpoints (SPEC §4.6) and token revocation (RFC 7009, SPEC §4.5)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.oauth import new_site, pkce_pair

SITE_ORIGIN = "http://site.localhost:7201"
REDIRECT = f"{SITE_ORIGIN}/legion-callback"
OTHER_ORIGIN = "http://other.localhost:7202"


@pytest.fixture(scope="module")
def site(server):
    return new_site(server, f"cors-{server.backend}@example.com", REDIRECT)


@pytest.fixture(scope="module")
def other_site(server):
    return new_site(server, f"cors-other-{server.backend}@example.com", f"{OTHER_ORIGIN}/cb")


def _preflight(server_url: str, path: str, origin: str | None):
    headers = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    if origin is not None:
        headers["Origin"] = origin
    return httpx.options(f"{server_url}{path}", headers=headers)


# ---------------------------------------------------------------- preflights


@pytest.mark.parametrize("path", ["/v1/oauth/token", "/v1/oauth/revoke"])
def test_preflight_from_a_registered_origin_is_granted(site, path):
    response = _preflight(site.server_url, path, SITE_ORIGIN)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    "origin", ["http://evil.localhost:7299", "null", SITE_ORIGIN + ".evil.example", None]
)
def test_preflight_from_other_origins_gets_no_grant(site, origin):
    response = _preflight(site.server_url, "/v1/oauth/token", origin)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers


def test_connect_has_no_cors(site):
    response = httpx.get(f"{site.server_url}/connect", headers={"Origin": SITE_ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_metadata_is_readable_from_anywhere(site):
    response = httpx.get(
        f"{site.server_url}/.well-known/oauth-authorization-server",
        headers={"Origin": "http://anything.example"},
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# ---------------------------------------------------------------- actual requests


def test_code_exchange_from_the_sites_origin_gets_cors_headers(site):
    verifier, challenge = pkce_pair()
    response = site.exchange(site.code(challenge), verifier, origin=SITE_ORIGIN)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert "Origin" in response.headers["Vary"]


@pytest.mark.parametrize("origin", ["http://evil.localhost:7299", "null", OTHER_ORIGIN])
def test_code_exchange_from_a_foreign_origin_is_refused_and_spends_nothing(
    site, other_site, origin
):
    verifier, challenge = pkce_pair()
    code = site.code(challenge)
    refused = site.exchange(code, verifier, origin=origin)
    assert refused.status_code == 403
    assert refused.json()["error"] == "invalid_request"
    assert "Access-Control-Allow-Origin" not in refused.headers
    # The code is still good for the real site.
    assert site.exchange(code, verifier, origin=SITE_ORIGIN).status_code == 200


def test_errors_for_the_sites_origin_are_readable(site):
    verifier, _ = pkce_pair()
    response = site.exchange("lac_unknown", verifier, origin=SITE_ORIGIN)
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN


def test_refresh_from_another_apps_origin_is_refused_and_spends_nothing(site, other_site):
    tokens = site.tokens()
    refused = site.refresh(tokens["refresh_token"], origin=OTHER_ORIGIN)
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers
    renewed = site.refresh(tokens["refresh_token"], origin=SITE_ORIGIN)
    assert renewed.status_code == 200
    assert renewed.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN


# ---------------------------------------------------------------- revocation


def _revoke(server_url: str, data: dict, origin: str | None = None):
    headers = {"Origin": origin} if origin else {}
    return httpx.post(f"{server_url}/v1/oauth/revoke", data=data, headers=headers)


def test_revoking_a_refresh_token_kills_the_grant(site):
    tokens = site.tokens()
    response = _revoke(site.server_url, {"token": tokens["refresh_token"]}, SITE_ORIGIN)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert site.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_revocation_is_200_for_unknown_and_repeated_tokens(site):
    tokens = site.tokens()
    for _ in range(2):
        response = _revoke(site.server_url, {"token": tokens["refresh_token"]})
        assert response.status_code == 200
    assert _revoke(site.server_url, {"token": "lrt_never-issued"}).status_code == 200
    assert _revoke(site.server_url, {"token": tokens["access_token"]}).status_code == 200


def test_revocation_with_another_apps_client_id_revokes_nothing(site, other_site):
    tokens = site.tokens()
    data = {"token": tokens["refresh_token"], "client_id": other_site.client_id}
    assert _revoke(site.server_url, data).status_code == 200
    assert site.refresh(tokens["refresh_token"]).status_code == 200


def test_revocation_from_a_foreign_origin_is_refused(site):
    tokens = site.tokens()
    refused = _revoke(site.server_url, {"token": tokens["refresh_token"]}, OTHER_ORIGIN)
    assert refused.status_code == 403
    assert site.refresh(tokens["refresh_token"]).status_code == 200


def test_revocation_without_a_token_is_invalid_request(site):
    response = _revoke(site.server_url, {})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_revocation_searches_every_token_type_whatever_the_hint(site):
    tokens = site.tokens()
    for hint in ("access_token", "id_token"):
        data = {"token": tokens["refresh_token"], "token_type_hint": hint}
        assert _revoke(site.server_url, data).status_code == 200
    assert site.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_revocation_is_405_for_other_methods(site):
    response = httpx.get(f"{site.server_url}/v1/oauth/revoke")
    assert response.status_code == 405
    assert response.json()["error"] == "invalid_request"
