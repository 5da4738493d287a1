"""``GET/POST /connect``: the authorization endpoint, as a visitor and as an attacker."""

from __future__ import annotations

import httpx
import pytest

from tests.support.oauth import (
    Person,
    authorization_url,
    form_with_action,
    new_site,
    pkce_pair,
    query_of,
)

SITE = "http://site.localhost:7001"
REDIRECT = f"{SITE}/legion-callback"


@pytest.fixture(scope="module")
def site(server):
    """Shared by the tests that don't change the visitor's session."""
    return new_site(server, f"connect-{server.backend}@example.com", REDIRECT)


def _params(site, **overrides):
    _, challenge = pkce_pair()
    params = {
        "client_id": site.client_id,
        "redirect_uri": site.redirect_uri,
        "response_type": "code",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return params


def _get(site, query: str | dict):
    url = (
        f"{site.server_url}/connect?{query}"
        if isinstance(query, str)
        else authorization_url(site.server_url, **query)
    )
    return site.person.http.get(url, allow_redirects=False)


# ---------------------------------------------------------------- the happy path


def test_consent_page_names_app_and_site_and_is_protected(site):
    page = _get(site, _params(site))
    assert page.status_code == 200
    assert "Test site" in page.text
    assert SITE in page.text
    assert ">Allow</button>" in page.text and ">Deny</button>" in page.text
    headers = page.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "Cross-Origin-Opener-Policy" not in headers
    assert "Access-Control-Allow-Origin" not in headers


def test_allow_redirects_303_with_code_state_and_iss(site):
    back = site.authorize(state="abc", code_challenge=pkce_pair()[1], code_challenge_method="S256")
    assert back.startswith(REDIRECT + "?")
    params = query_of(back)
    assert params["state"] == "abc"
    assert params["iss"] == site.server_url
    assert params["code"].startswith("lac_")


def test_deny_redirects_with_access_denied_and_iss(site):
    back = site.authorize(
        decision="deny", code_challenge=pkce_pair()[1], code_challenge_method="S256"
    )
    params = query_of(back)
    assert params["error"] == "access_denied"
    assert params["iss"] == site.server_url
    assert params["state"].startswith("state-")
    assert "code" not in params


def test_redirect_uri_query_is_kept_when_answering(server, unique_email):
    site = new_site(server, unique_email(), "https://wp.example/?legion_callback=1")
    back = site.authorize(code_challenge=pkce_pair()[1], code_challenge_method="S256")
    assert back.startswith("https://wp.example/?legion_callback=1&")
    assert "code" in query_of(back)


def test_logged_out_visitor_goes_through_login_then_back_to_consent(server, unique_email):
    email = unique_email()
    site = new_site(server, email, REDIRECT)
    visitor = Person(server.url)
    url = authorization_url(server.url, **_params(site))
    first = visitor.http.get(url, allow_redirects=False)
    assert first.status_code == 303
    login_url = first.headers["Location"]
    assert login_url.startswith("/login?next=")
    login_page = visitor.get(login_url)
    assert 'href="/register?next=' in login_page.text
    answer = visitor.submit(
        form_with_action(login_page.text, "/login"),
        {"email": email, "password": "correct horse 9"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/connect?")
    consent = visitor.get(answer.headers["Location"], allow_redirects=False)
    assert consent.status_code == 200 and ">Allow</button>" in consent.text


def test_register_from_connect_returns_to_consent(server, unique_email):
    site = new_site(server, unique_email(), REDIRECT)
    newcomer = Person(server.url)
    first = newcomer.http.get(authorization_url(server.url, **_params(site)), allow_redirects=False)
    next_path = query_of(first.headers["Location"])["next"]
    page = newcomer.get("/register", params={"next": next_path})
    answer = newcomer.submit(
        form_with_action(page.text, "/register"),
        {"email": unique_email("new"), "password": "a long password"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == next_path


# ---------------------------------------------------------------- no redirect at all


@pytest.mark.parametrize(
    "variant",
    [
        REDIRECT + "/",
        REDIRECT.upper(),
        "http://SITE.localhost:7001/legion-callback",
        REDIRECT + "?x=1",
        REDIRECT + "#frag",
        "http://site.localhost:7002/legion-callback",
        "https://site.localhost:7001/legion-callback",
        "http://user@site.localhost:7001/legion-callback",
        "http://site.localhost:7001@evil.example/legion-callback",
        "http://site.localhost:7001/legion-callback/../legion-callback",
        "http://site.localhost:7001/x/..%2Flegion-callback",
        "http://site.localhost:7001\\legion-callback",
        "http://sіte.localhost:7001/legion-callback",  # Cyrillic і
        "http://site.localhost:7001/Legion-callback",
        "http://evil.localhost:7001/legion-callback",
        "",
    ],
)
def test_unregistered_redirect_uri_variants_get_a_page_not_a_redirect(site, variant):
    page = _get(site, _params(site, redirect_uri=variant))
    assert page.status_code == 400
    assert "Location" not in page.headers
    assert "not valid" in page.text


def test_unknown_or_missing_client_id_gets_a_page(site):
    for client_id in ("lgn_doesnotexist", ""):
        page = _get(site, _params(site, client_id=client_id))
        assert page.status_code == 400
        assert "Location" not in page.headers


def test_another_apps_redirect_uri_is_refused(server, site, unique_email):
    other = new_site(server, unique_email(), "http://other.localhost:7003/cb")
    page = _get(site, _params(site, redirect_uri=other.redirect_uri))
    assert page.status_code == 400 and "Location" not in page.headers


def test_two_redirect_uri_or_client_id_parameters_get_a_page(site):
    base = httpx.QueryParams(_params(site))
    for name, extra in (("redirect_uri", REDIRECT), ("client_id", site.client_id)):
        query = str(base.add(name, extra))
        page = _get(site, query)
        assert page.status_code == 400
        assert "Location" not in page.headers


# ---------------------------------------------------------------- errors sent back


def _error_of(response) -> dict:
    assert response.status_code in (302, 303), (response.status_code, response.text[:300])
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    params = query_of(location)
    assert params["iss"], location
    return params


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"scope": "admin"}, "invalid_scope"),
        ({"scope": "chat:completions admin"}, "invalid_scope"),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"state": "s" * 3000}, "invalid_request"),
    ],
)
def test_bad_parameters_are_sent_back_as_errors_with_iss(site, overrides, error):
    params = _error_of(_get(site, _params(site, **overrides)))
    assert params["error"] == error
    assert params["error_description"]
    if overrides.get("state") is None and "state" not in overrides:
        assert params["state"] == "xyz"


def test_duplicated_parameter_is_invalid_request(site):
    query = str(httpx.QueryParams(_params(site)).add("response_type", "code"))
    params = _error_of(_get(site, query))
    assert params["error"] == "invalid_request"
    assert "response_type" in params["error_description"]


def test_web_app_may_omit_pkce(server, unique_email):
    site = new_site(server, unique_email(), REDIRECT, app_type="web")
    page = _get(site, _params(site, code_challenge=None, code_challenge_method=None))
    assert page.status_code == 200


def test_default_scope_is_chat_completions(site):
    page = _get(site, _params(site, scope=None))
    form = form_with_action(page.text, "/connect")
    assert form.fields["scope"] == "chat:completions"


# ---------------------------------------------------------------- the consent form itself


def _consent_form(site):
    page = _get(site, _params(site))
    return form_with_action(page.text, "/connect")


def test_consent_without_csrf_token_is_refused(site):
    form = _consent_form(site)
    form.fields.pop("csrf_token")
    answer = site.person.submit(form, {"decision": "allow"})
    assert answer.status_code == 403
    assert "Location" not in answer.headers


def test_consent_with_wrong_csrf_token_is_refused(site):
    form = _consent_form(site)
    answer = site.person.submit(form, {"decision": "allow", "csrf_token": "forged"})
    assert answer.status_code == 403


def test_consent_posted_from_another_origin_is_refused(site):
    form = _consent_form(site)
    answer = site.person.submit(
        form, {"decision": "allow"}, headers={"Origin": "http://evil.localhost:9999"}
    )
    assert answer.status_code == 403
    assert "Location" not in answer.headers


def test_consent_with_tampered_redirect_uri_is_refused(site):
    form = _consent_form(site)
    answer = site.person.submit(
        form, {"decision": "allow", "redirect_uri": "http://evil.localhost:9999/steal"}
    )
    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_consent_without_decision_redirects_nowhere(site):
    answer = site.person.submit(_consent_form(site))
    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_consent_after_logout_asks_to_log_in_again(server, unique_email):
    site = new_site(server, unique_email(), REDIRECT)
    form = _consent_form(site)
    logout_form = form_with_action(site.person.get("/account").text, "/logout")
    assert site.person.submit(logout_form).status_code == 303
    answer = site.person.submit(form, {"decision": "allow"})
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/login?next=")
