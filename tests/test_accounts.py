"""Accounts (SPEC §3): register, login, logout, throttling, CSRF, the account page."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.oauth import (
    DEFAULT_PASSWORD,
    Person,
    connection_action,
    form_with_action,
    new_site,
)

REDIRECT = "http://site.localhost:7301/legion-callback"


def _logged_in(server, email: str) -> Person:
    server.create_user(email, DEFAULT_PASSWORD)
    person = Person(server.url)
    assert person.login(email, DEFAULT_PASSWORD).status_code == 303
    return person


# ---------------------------------------------------------------- register and log in


def test_register_logs_in_and_shows_the_account(server, unique_email):
    person = Person(server.url)
    email = unique_email()
    answer = person.register(email, "a long password")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/account"
    page = person.get("/account")
    assert page.status_code == 200
    assert email in page.text
    assert "$0.00" in page.text


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "a long password", "not a valid email"),
        ("x@y", "a long password", "not a valid email"),
        ("ok@example.com", "short", "at least 8"),
    ],
)
def test_register_rejects_bad_input_clearly(server, email, password, message):
    answer = Person(server.url).register(email, password)
    assert answer.status_code == 400
    assert message in answer.text


def test_register_rejects_a_taken_email_in_any_case(server, unique_email):
    email = unique_email()
    assert Person(server.url).register(email, "a long password").status_code == 303
    again = Person(server.url).register(email.upper(), "another password")
    assert again.status_code == 400
    assert "already exists" in again.text


def test_wrong_password_is_401_and_does_not_log_in(server, unique_email):
    email = unique_email()
    server.create_user(email, DEFAULT_PASSWORD)
    person = Person(server.url)
    answer = person.login(email, "wrong password")
    assert answer.status_code == 401
    assert "Wrong email or password" in answer.text
    assert person.get("/account", allow_redirects=False).status_code == 302


def test_session_cookie_flags(server, unique_email):
    email = unique_email()
    server.create_user(email, DEFAULT_PASSWORD)
    answer = Person(server.url).login(email, DEFAULT_PASSWORD)
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("legion_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the public URL is http://127.0.0.1


def test_session_cookie_is_secure_behind_an_https_public_url(make_server):
    server = make_server(env={"LEGION_PUBLIC_URL": "https://legion.example"})
    page = Person(server.url).get("/login")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("legion_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_logout_ends_the_session_for_good(server, unique_email):
    person = _logged_in(server, unique_email())
    stolen = person.http.cookies.get("legion_session")
    logout = form_with_action(person.get("/account").text, "/logout")
    assert person.submit(logout).status_code == 303
    assert person.get("/account", allow_redirects=False).status_code == 302
    replay = requests.Session()
    replay.cookies.set("legion_session", stolen)
    assert replay.get(f"{server.url}/account", allow_redirects=False, timeout=10).status_code == 302


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_login_never_redirects_off_site(server, unique_email, target):
    email = unique_email()
    server.create_user(email, DEFAULT_PASSWORD)
    person = Person(server.url)
    page = person.get("/login", params={"next": target})
    answer = person.submit(
        form_with_action(page.text, "/login"),
        {"email": email, "password": DEFAULT_PASSWORD},
    )
    assert answer.headers["Location"] == "/account"


# ---------------------------------------------------------------- CSRF


def test_forms_without_csrf_token_are_refused(server, unique_email):
    email = unique_email()
    server.create_user(email, DEFAULT_PASSWORD)
    person = Person(server.url)
    form = form_with_action(person.get("/login").text, "/login")
    form.fields.pop("csrf_token")
    answer = person.submit(form, {"email": email, "password": DEFAULT_PASSWORD})
    assert answer.status_code == 403
    assert person.get("/account", allow_redirects=False).status_code == 302


def test_forms_posted_from_another_site_are_refused(server, unique_email):
    person = _logged_in(server, unique_email())
    form = form_with_action(person.get("/account").text, "/account/limit")
    answer = person.submit(
        form, {"monthly_limit": "1"}, headers={"Origin": "http://evil.localhost:7399"}
    )
    assert answer.status_code == 403
    assert "none" in person.get("/account").text


# ---------------------------------------------------------------- throttling


def test_failed_logins_are_throttled_then_allowed_again(make_server, unique_email):
    server = make_server(env={"LEGION_LOGIN_MAX_FAILURES": "3", "LEGION_LOGIN_FAILURE_WINDOW": "3"})
    email = unique_email()
    server.create_user(email, DEFAULT_PASSWORD)
    person = Person(server.url)
    for _ in range(3):
        assert person.login(email, "wrong password").status_code == 401
    blocked = person.login(email, DEFAULT_PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    assert "Too many failed logins" in blocked.text
    time.sleep(3.2)
    assert person.login(email, DEFAULT_PASSWORD).status_code == 303


def test_failures_from_one_address_throttle_other_accounts_too(make_server, unique_email):
    server = make_server(env={"LEGION_LOGIN_MAX_FAILURES": "3"})
    victim, other = unique_email(), unique_email()
    server.create_user(other, DEFAULT_PASSWORD)
    person = Person(server.url)
    for _ in range(3):
        person.login(victim, "guess")
    assert person.login(other, DEFAULT_PASSWORD).status_code == 429


def test_successful_logins_are_not_throttled(server, unique_email):
    email = unique_email()
    server.create_user(email, DEFAULT_PASSWORD)
    for _ in range(12):
        assert Person(server.url).login(email, DEFAULT_PASSWORD).status_code == 303


def _post_later(server, action: str, fields: dict[str, str], **kwargs) -> Callable:
    """A form fetched now (its own session and CSRF token), to be posted when called."""
    person = Person(server.url)
    form = form_with_action(person.get(action).text, action)
    return lambda: person.submit(form, fields, **kwargs)


def _all_at_once(posts: list[Callable]) -> list[requests.Response]:
    """Send the posts from as many threads, released together."""
    start = threading.Barrier(len(posts))

    def send(post):
        start.wait()
        return post()

    with ThreadPoolExecutor(len(posts)) as pool:
        return list(pool.map(send, posts))


def test_parallel_wrong_passwords_are_checked_no_more_often_than_the_limit(
    make_server, unique_email
):
    server = make_server(env={"LEGION_LOGIN_MAX_FAILURES": "5"})
    email = unique_email()
    server.create_user(email, DEFAULT_PASSWORD)
    guess = {"email": email, "password": "wrong password"}
    answers = _all_at_once([_post_later(server, "/login", guess) for _ in range(30)])
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401] * 5 + [429] * 25
    for refused in (a for a in answers if a.status_code == 429):
        assert int(refused.headers["Retry-After"]) >= 1
        assert "Too many failed logins" in refused.text
    assert Person(server.url).login(email, DEFAULT_PASSWORD).status_code == 429


def test_successful_logins_in_parallel_and_in_a_row_are_not_counted(make_server, unique_email):
    server = make_server(env={"LEGION_LOGIN_MAX_FAILURES": "3"})
    email, typo = unique_email(), unique_email()
    server.create_user(email, DEFAULT_PASSWORD)
    for _ in range(2):  # the address is one failure away from the limit
        assert Person(server.url).login(typo, DEFAULT_PASSWORD).status_code == 401
    right = {"email": email, "password": DEFAULT_PASSWORD}
    # One failure from the limit, these go one at a time (each waits for the pending ones,
    # at most 10 s): few enough that a loaded machine's Argon2 stays well inside that.
    answers = _all_at_once([_post_later(server, "/login", right) for _ in range(4)])
    assert [answer.status_code for answer in answers] == [303] * 4
    for _ in range(8):  # twice the limit and more
        assert Person(server.url).login(email, DEFAULT_PASSWORD).status_code == 303
    # None of those successes was left counted: one failure remains before the limit.
    assert Person(server.url).login(typo, DEFAULT_PASSWORD).status_code == 401
    assert Person(server.url).login(email, DEFAULT_PASSWORD).status_code == 429


def _registration(server, unique_email, **kwargs) -> Callable:
    fields = {"email": unique_email(), "password": "a long password"}
    return _post_later(server, "/register", fields, **kwargs)


def test_registrations_from_one_address_are_limited(make_server, unique_email):
    server = make_server(env={"LEGION_REGISTER_MAX_PER_ADDRESS": "3"})
    answers = _all_at_once([_registration(server, unique_email) for _ in range(8)])
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [303] * 3 + [429] * 5
    for refused in (a for a in answers if a.status_code == 429):
        assert 1 <= int(refused.headers["Retry-After"]) <= 3600
        assert "Too many accounts" in refused.text
    # Naming another address does not help unless a proxy is trusted.
    elsewhere = _registration(server, unique_email, headers={"X-Forwarded-For": "10.9.9.9"})
    assert elsewhere().status_code == 429


def test_registration_limit_counts_the_forwarded_address_and_reopens(make_server, unique_email):
    server = make_server(
        env={
            "LEGION_REGISTER_MAX_PER_ADDRESS": "2",
            "LEGION_REGISTER_WINDOW": "2",
            "LEGION_TRUSTED_PROXY_HOPS": "1",
        }
    )
    first = {"headers": {"X-Forwarded-For": "10.0.0.1"}}
    for _ in range(2):
        assert _registration(server, unique_email, **first)().status_code == 303
    refused = _registration(server, unique_email, **first)()
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 2
    second = {"headers": {"X-Forwarded-For": "10.0.0.2"}}
    assert _registration(server, unique_email, **second)().status_code == 303
    time.sleep(2.2)
    assert _registration(server, unique_email, **first)().status_code == 303


# ---------------------------------------------------------------- the account page


def test_account_requires_login(server):
    answer = requests.get(f"{server.url}/account", allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=/account"


def test_account_shows_wallet_and_edits_the_monthly_limit(server, unique_email):
    email = unique_email()
    person = _logged_in(server, email)
    page = person.get("/account")
    assert "$10.00" in page.text
    assert 'id="monthly-limit">none' in page.text
    form = form_with_action(page.text, "/account/limit")
    assert person.submit(form, {"monthly_limit": "2.50"}).status_code == 303
    assert server.cli_json("wallet", "show", "--email", email)["monthly_limit_micros"] == 2_500_000
    assert "$2.50" in person.get("/account").text
    for bad in ("abc", "-1", "1e400"):
        refused = person.submit(form, {"monthly_limit": bad})
        assert refused.status_code == 400
    assert person.submit(form, {"monthly_limit": ""}).status_code == 303
    assert server.cli_json("wallet", "show", "--email", email)["monthly_limit_micros"] is None


def test_account_saves_ai_preferences(server, unique_email):
    person = _logged_in(server, unique_email())
    form = form_with_action(person.get("/account").text, "/account/preferences")
    text = "Answer briefly. <b>Never</b> use emoji."
    assert person.submit(form, {"preferences": text}).status_code == 303
    page = person.get("/account").text
    assert "Answer briefly. &lt;b&gt;Never&lt;/b&gt; use emoji." in page
    too_long = person.submit(form, {"preferences": "x" * 5000})
    assert too_long.status_code == 400
    assert person.submit(form, {"preferences": "nul\x00byte"}).status_code == 303
    assert "nulbyte" in person.get("/account").text


def test_account_page_is_not_frameable_or_cached(server, unique_email):
    person = _logged_in(server, unique_email())
    page = person.get("/account")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------- connections


def _connections_of(person: Person) -> str:
    return person.get("/account").text


def test_deactivate_pauses_and_a_new_authorization_reactivates(server, unique_email):
    site = new_site(server, unique_email(), REDIRECT)
    tokens = site.tokens()
    page = _connections_of(site.person)
    assert "Test site" in page and ">active<" in page
    form = form_with_action(page, connection_action(page, "deactivate"))
    assert site.person.submit(form).status_code == 303
    page = _connections_of(site.person)
    assert ">inactive<" in page
    refused = site.refresh(tokens["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
    site.tokens()  # consent again
    assert ">active<" in _connections_of(site.person)
    # The paused token was not spent and works again.
    assert site.refresh(tokens["refresh_token"]).status_code == 200


def test_revoke_kills_tokens_and_a_new_authorization_starts_anew(server, unique_email):
    site = new_site(server, unique_email(), REDIRECT)
    tokens = site.tokens()
    page = _connections_of(site.person)
    old_action = connection_action(page, "revoke")
    assert site.person.submit(form_with_action(page, old_action)).status_code == 303
    assert "No app is connected" in _connections_of(site.person)
    assert site.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    site.tokens()
    page = _connections_of(site.person)
    assert ">active<" in page
    assert connection_action(page, "revoke") != old_action


def test_someone_elses_connection_cannot_be_changed(server, unique_email):
    owner = new_site(server, unique_email(), REDIRECT)
    owner.tokens()
    action = connection_action(_connections_of(owner.person), "revoke")
    intruder = _logged_in(server, unique_email())
    form = form_with_action(_connections_of(owner.person), action)
    form.fields["csrf_token"] = form_with_action(
        intruder.get("/account").text, "/account/limit"
    ).fields["csrf_token"]
    assert intruder.submit(form).status_code == 404
    assert ">active<" in _connections_of(owner.person)


def _fail_logins_from(server, email: str, address: str, times: int) -> None:
    person = Person(server.url)
    for _ in range(times):
        person.login(email, "wrong password", headers={"X-Forwarded-For": address})


def test_forwarded_addresses_are_ignored_unless_a_proxy_is_trusted(make_server, unique_email):
    server = make_server(env={"LEGION_LOGIN_MAX_FAILURES": "3"})
    victim, other = unique_email(), unique_email()
    server.create_user(other, DEFAULT_PASSWORD)
    _fail_logins_from(server, victim, "10.0.0.1", 3)
    # A client can't dodge the address count by naming another address.
    answer = Person(server.url).login(
        other, DEFAULT_PASSWORD, headers={"X-Forwarded-For": "10.9.9.9"}
    )
    assert answer.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(make_server, unique_email):
    server = make_server(env={"LEGION_LOGIN_MAX_FAILURES": "3", "LEGION_TRUSTED_PROXY_HOPS": "1"})
    victim, other = unique_email(), unique_email()
    server.create_user(other, DEFAULT_PASSWORD)
    _fail_logins_from(server, victim, "10.0.0.1", 3)
    elsewhere = Person(server.url).login(
        other, DEFAULT_PASSWORD, headers={"X-Forwarded-For": "10.0.0.2"}
    )
    assert elsewhere.status_code == 303
    same = Person(server.url).login(
        other, DEFAULT_PASSWORD, headers={"X-Forwarded-For": "10.0.0.1"}
    )
    assert same.status_code == 429
