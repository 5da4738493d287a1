"""The developer REST API of SPEC §14 against a real server, on both backends: developer
tokens made on /account, ``legion login`` tokens of the built-in ``legion-cli`` client
(its loopback redirect rule and its scope), every ``/v1/apps`` endpoint, ownership,
scopes both ways (a developer token can't chat, a chat token can't manage apps), refused
input, dead tokens, ``/openapi.json`` and ``/v1/docs``."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from tests.fakes.fixtures import PASSWORD, REDIRECT_URI, Visitor
from tests.support.databases import run_async
from tests.support.developer_api import (
    cli_authorization_url,
    cli_login_tokens,
    make_token,
    new_developer,
)
from tests.support.oauth import (
    authorization_url,
    connect_with_authlib,
    form_with_action,
    new_site,
    parse_forms,
    pkce_pair,
    query_of,
)
from widget_server.clock import utcnow
from widget_server.storage import Database
from widget_server.storage.schema import developer_tokens

APP_FIELDS = {
    "name": "Helper",
    "redirect_uris": ["https://helper.example/legion-callback"],
    "type": "web",
    "margin": 25,
    "default_model": "gpt-4o-mini",
    "description": "Answers questions",
    "system_prompt": "You are helpful.",
}


@pytest.fixture
def developer(server, unique_email):
    return new_developer(server, unique_email("dev"))


def _error(answer: httpx.Response, status: int, code: str) -> dict:
    assert answer.status_code == status, (answer.status_code, answer.text)
    error = answer.json()["error"]
    assert error["code"] == code, error
    assert error["message"] and error["type"]
    return error


# ---------------------------------------------------------------- developer tokens


def test_a_token_made_on_the_account_page_is_shown_once_and_works(developer):
    me = developer.api("GET", "/v1/me")
    assert me.status_code == 200, me.text
    assert me.headers["Cache-Control"] == "no-store"
    assert me.json()["id"] == developer.user_id
    assert me.json()["email"] == developer.email
    assert me.json()["token"]["kind"] == "developer_token"
    assert me.json()["token"]["name"] == "laptop"
    page = developer.person.get("/account").text
    assert developer.token not in page  # only the answer to the POST showed it
    assert "laptop" in page and "Developer tokens" in page


def test_revoking_a_developer_token_on_the_account_page_stops_it(developer):
    second = make_token(developer.person, name="ci server", lifetime="30")
    assert developer.api("GET", "/v1/apps", token=second).status_code == 200
    page = developer.person.get("/account").text
    revoke = [f for f in parse_forms(page) if f.action.endswith("/revoke")]
    revoke = [f for f in revoke if f.action.startswith("/account/developer-tokens/")]
    assert len(revoke) == 2
    answer = developer.person.submit(revoke[0])  # newest first: "ci server"
    assert answer.status_code == 303
    error = _error(developer.api("GET", "/v1/apps", token=second), 401, "invalid_token")
    assert "revoked" in error["message"]
    assert developer.api("GET", "/v1/apps").status_code == 200  # the other one still works
    assert "ci server" not in developer.person.get("/account").text


def test_the_developer_token_forms_check_csrf_and_the_owner(developer, server, unique_email):
    page = developer.person.get("/account").text
    form = form_with_action(page, "/account/developer-tokens")
    forged = developer.person.submit(form, {"name": "x", "csrf_token": "forged"})
    assert forged.status_code == 403
    empty = developer.person.submit(form, {"name": "  "})
    assert empty.status_code == 400 and "name" in empty.text
    # Another user can't revoke this user's token: the id is unknown to them.
    other = new_developer(server, unique_email("other"))
    mine = [f for f in parse_forms(page) if f.action.startswith("/account/developer-tokens/")]
    theirs = form_with_action(other.person.get("/account").text, "/account/developer-tokens")
    mine[0].fields["csrf_token"] = theirs.fields["csrf_token"]
    assert other.person.submit(mine[0]).status_code == 404
    assert developer.api("GET", "/v1/me").status_code == 200


def test_missing_unknown_and_malformed_tokens_are_401_with_a_challenge(server):
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer ldt_not-a-real-token"},
        {"Authorization": "Bearer lat_not-a-real-token"},
        {"Authorization": "Bearer something-else"},
    ):
        answer = httpx.get(f"{server.url}/v1/apps", headers=headers)
        _error(answer, 401, "invalid_token")
        assert answer.headers["WWW-Authenticate"].startswith("Bearer"), headers


def test_an_expired_developer_token_is_401(developer, server):
    async def expire() -> None:
        db = Database(server.env["LEGION_DATABASE_URL"])
        try:
            async with db.transaction() as conn:
                await conn.execute(
                    update(developer_tokens)
                    .where(developer_tokens.c.user_id == developer.user_id)
                    .values(expires_at=utcnow() - timedelta(seconds=1))
                )
        finally:
            await db.dispose()

    run_async(expire())
    error = _error(developer.api("GET", "/v1/apps"), 401, "invalid_token")
    assert "expired" in error["message"]
    assert "expired" in developer.person.get("/account").text


def test_an_expired_legion_login_token_is_401(make_server, unique_email):
    server = make_server(env={"LEGION_ACCESS_TOKEN_LIFETIME": "1"})
    developer = new_developer(server, unique_email("dev"))
    tokens = cli_login_tokens(developer)
    assert tokens["expires_in"] == 1
    time.sleep(1.5)
    error = _error(
        developer.api("GET", "/v1/me", token=tokens["access_token"]), 401, "invalid_token"
    )
    assert "expired" in error["message"]


# ---------------------------------------------------------------- the legion-cli client


def test_legion_login_tokens_manage_apps_and_refresh_with_their_scope(developer, server):
    tokens = cli_login_tokens(developer, port=49152)
    assert tokens["scope"] == "apps:manage"
    me = developer.api("GET", "/v1/me", token=tokens["access_token"])
    assert me.status_code == 200, me.text
    assert me.json()["token"]["kind"] == "oauth"
    created = developer.api("POST", "/v1/apps", token=tokens["access_token"], json=APP_FIELDS)
    assert created.status_code == 201
    renewed = httpx.post(
        f"{server.url}/v1/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": "legion-cli",
        },
    ).json()
    assert renewed["scope"] == "apps:manage"
    listed = developer.api("GET", "/v1/apps", token=renewed["access_token"]).json()["data"]
    assert [a["client_id"] for a in listed] == [created.json()["client_id"]]
    # Revoking the refresh token (legion logout) ends the whole login.
    httpx.post(
        f"{server.url}/v1/oauth/revoke",
        data={"token": renewed["refresh_token"], "client_id": "legion-cli"},
    )
    _error(developer.api("GET", "/v1/apps", token=renewed["access_token"]), 401, "invalid_token")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_legion_cli_accepts_a_loopback_callback_on_any_port(developer, host):
    for port in (1024, 65535):
        assert cli_login_tokens(developer, port=port, host=host)["scope"] == "apps:manage"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://127.0.0.1:5000/callback",
        "http://127.0.0.1:5000/other",
        "http://127.0.0.1:5000/callback?x=1",
        "http://127.0.0.1:5000/callback#frag",
        "http://127.0.0.1:5000",
        "http://127.0.0.2:5000/callback",
        "http://evil.localhost:5000/callback",
        "http://user@127.0.0.1:5000/callback",
        "http://127.0.0.1:0/callback",
        "http://127.0.0.1:5000/callback/../callback",
        "https://evil.example/callback",
    ],
)
def test_legion_cli_refuses_any_other_redirect_uri_without_redirecting(developer, redirect_uri):
    _, challenge = pkce_pair()
    url = cli_authorization_url(developer.server_url, redirect_uri, challenge)
    answer = developer.person.http.get(url, allow_redirects=False)
    assert answer.status_code == 400, (answer.status_code, answer.headers.get("Location"))
    assert "Location" not in answer.headers


def test_only_legion_cli_may_ask_for_apps_manage_and_it_asks_for_nothing_else(server, developer):
    _, challenge = pkce_pair()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}
    cli = {"client_id": "legion-cli", "redirect_uri": "http://127.0.0.1:5000/callback"}
    for scope in ("chat:completions", "apps:manage chat:completions", "bogus"):
        back = developer.person.consent(
            authorization_url(
                server.url, **cli, response_type="code", state="s", scope=scope, **pkce
            )
        )
        assert query_of(back)["error"] == "invalid_scope", (scope, back)
        assert query_of(back)["iss"] == server.url
    site = new_site(server, developer.email.replace("dev", "site"), "https://chat.example/cb")
    back = site.authorize(scope="apps:manage", **pkce)
    assert query_of(back)["error"] == "invalid_scope"
    assert "legion login" in query_of(back)["error_description"]


def test_other_apps_keep_character_for_character_loopback_matching(server, unique_email):
    """RFC 8252's any-port rule is the built-in client's alone."""
    site = new_site(server, unique_email(), "http://127.0.0.1:5000/callback")
    _, challenge = pkce_pair()
    url = authorization_url(
        server.url,
        client_id=site.client_id,
        redirect_uri="http://127.0.0.1:5001/callback",
        response_type="code",
        state="s",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    answer = site.person.http.get(url, allow_redirects=False)
    assert answer.status_code == 400 and "Location" not in answer.headers


def test_the_consent_page_for_the_cli_says_it_manages_apps(developer):
    _, challenge = pkce_pair()
    url = cli_authorization_url(developer.server_url, "http://127.0.0.1:6000/callback", challenge)
    page = developer.person.http.get(url).text
    assert "manage your apps" in page and "legion login" in page
    assert "paid from your wallet" not in page


def test_legion_cli_needs_pkce(developer):
    url = cli_authorization_url(developer.server_url, "http://127.0.0.1:6000/callback", None)
    back = developer.person.consent(url)
    assert query_of(back)["error"] == "invalid_request"


def test_the_builtin_client_is_no_ones_app(server, developer):
    _error(developer.api("GET", "/v1/apps/legion-cli"), 404, "not_found")
    _error(developer.api("DELETE", "/v1/apps/legion-cli"), 404, "not_found")
    refused = server.cli("delete-app", "legion-cli", check=False)
    assert refused.returncode == 1 and "built-in" in refused.stderr


def test_revoking_the_cli_connection_on_the_account_page_ends_its_tokens(server, unique_email):
    developer = new_developer(server, unique_email("dev"))
    tokens = cli_login_tokens(developer)
    page = developer.person.get("/account").text
    assert "Legion CLI" in page
    revoke = [
        f
        for f in parse_forms(page)
        if f.action.startswith("/account/connections/") and f.action.endswith("/revoke")
    ]
    assert developer.person.submit(revoke[0]).status_code == 303
    _error(developer.api("GET", "/v1/me", token=tokens["access_token"]), 401, "invalid_token")


def test_metadata_lists_the_apps_manage_scope(server):
    meta = httpx.get(f"{server.url}/.well-known/oauth-authorization-server").json()
    assert {"chat:completions", "apps:manage"} <= set(meta["scopes_supported"])


# ---------------------------------------------------------------- scopes both ways


def test_a_chat_token_cant_manage_apps(server, unique_email):
    site = new_site(server, unique_email(), "https://scoped.example/cb")
    chat_token = site.tokens()["access_token"]
    for method, path in (
        ("GET", "/v1/me"),
        ("GET", "/v1/apps"),
        ("POST", "/v1/apps"),
        ("GET", f"/v1/apps/{site.client_id}"),
        ("GET", f"/v1/apps/{site.client_id}/stats"),
    ):
        answer = httpx.request(
            method,
            server.url + path,
            headers={"Authorization": f"Bearer {chat_token}"},
            json=APP_FIELDS if method == "POST" else None,
        )
        _error(answer, 403, "insufficient_scope")
        assert 'scope="apps:manage"' in answer.headers["WWW-Authenticate"]


def test_developer_tokens_cant_chat(server, developer):
    cli_token = cli_login_tokens(developer)["access_token"]
    chat_app = developer.create_app(type="chat", redirect_uris=[])
    body = {"messages": [{"role": "user", "content": "hi"}]}
    for token in (developer.token, cli_token):
        headers = {"Authorization": f"Bearer {token}"}
        completion = httpx.post(f"{server.url}/v1/chat/completions", headers=headers, json=body)
        error = _error(completion, 403, "insufficient_scope")
        assert "chat:completions" in error["message"]
        assert 'scope="chat:completions"' in completion.headers["WWW-Authenticate"]
        for client_id in (chat_app["client_id"], "legion-cli"):
            listed = httpx.get(f"{server.url}/v1/chat/{client_id}/conversations", headers=headers)
            _error(listed, 403, "insufficient_scope")
            asked = httpx.post(
                f"{server.url}/v1/chat/{client_id}/messages",
                headers=headers,
                json={"content": "hi"},
            )
            _error(asked, 403, "insufficient_scope")


# ---------------------------------------------------------------- the apps


def test_create_get_list_update_rotate_and_delete_an_app(developer, server):
    created = developer.api("POST", "/v1/apps", json=APP_FIELDS)
    assert created.status_code == 201, created.text
    assert created.headers["Cache-Control"] == "no-store"
    app = created.json()
    client_id, secret = app["client_id"], app["client_secret"]
    assert secret.startswith("lgs_")
    for key in ("name", "type", "margin", "default_model", "description", "system_prompt"):
        assert app[key] == APP_FIELDS[key], key
    assert app["redirect_uris"] == APP_FIELDS["redirect_uris"]
    assert app["owner_user_id"] == developer.user_id

    got = developer.api("GET", f"/v1/apps/{client_id}").json()
    assert "client_secret" not in got
    assert got == {k: v for k, v in app.items() if k != "client_secret"}
    listed = developer.api("GET", "/v1/apps").json()
    assert listed["object"] == "list"
    assert [a["client_id"] for a in listed["data"]] == [client_id]
    assert server.cli_json("list-apps")[-1] == got  # the operator sees the same app

    changed = developer.api(
        "PATCH",
        f"/v1/apps/{client_id}",
        json={"name": "Helper 2", "margin": 12.5, "default_model": None, "description": ""},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Helper 2"
    assert changed.json()["margin"] == 12.5
    assert changed.json()["default_model"] is None
    assert changed.json()["description"] == ""
    assert changed.json()["system_prompt"] == APP_FIELDS["system_prompt"]  # untouched
    uris = developer.api(
        "PATCH", f"/v1/apps/{client_id}", json={"redirect_uris": ["https://new.example"]}
    )
    assert uris.json()["redirect_uris"] == ["https://new.example/callback"]  # §4.1

    rotated = developer.api("POST", f"/v1/apps/{client_id}/rotate-secret")
    assert rotated.status_code == 200
    new_secret = rotated.json()["client_secret"]
    assert new_secret.startswith("lgs_") and new_secret != secret

    deleted = developer.api("DELETE", f"/v1/apps/{client_id}")
    assert deleted.status_code == 204 and deleted.content == b""
    _error(developer.api("GET", f"/v1/apps/{client_id}"), 404, "not_found")
    assert developer.api("GET", "/v1/apps").json()["data"] == []


def test_a_chat_app_needs_no_redirect_uris(developer, server):
    app = developer.create_app(name="Tutor", type="chat", redirect_uris=[])
    assert app["redirect_uris"] == [f"{server.url}/chat/{app['client_id']}"]
    info = httpx.get(f"{server.url}/v1/chat/{app['client_id']}/info").json()
    assert info["type"] == "chat" and info["name"] == "Tutor"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "x", "redirect_uris": ["http://example.com/cb"]}, "https"),
        ({"name": "x", "redirect_uris": ["https://example.com/#frag"]}, "fragment"),
        ({"name": "x", "redirect_uris": ["https://*.example.com/cb"]}, "wildcard"),
        ({"name": "x", "redirect_uris": []}, "redirect URI is required"),
        (
            {"name": "x", "redirect_uris": ["https://a.example"], "system_prompt": "p" * 20_001},
            "20,000",
        ),
        ({"name": "x", "redirect_uris": ["https://a.example"], "description": "d" * 501}, "500"),
        ({"name": "x", "redirect_uris": ["https://a.example"], "margin": 1001}, "margin"),
        ({"name": "x", "redirect_uris": ["https://a.example"], "margin": 12.345}, "two decimals"),
        ({"name": "x", "redirect_uris": ["https://a.example"], "default_model": "gpt-0"}, "gpt-0"),
        ({"name": "x", "redirect_uris": ["https://a.example"], "type": "cli"}, "type"),
        ({"name": "x", "redirect_uris": ["https://a.example"], "colour": "red"}, "colour"),
        ({"name": "x", "redirect_uris": "https://a.example"}, "redirect_uris"),
        ({"name": 5, "redirect_uris": ["https://a.example"]}, "name"),
        ({"redirect_uris": ["https://a.example"]}, "name"),
        ({"name": "   ", "redirect_uris": ["https://a.example"]}, "name"),
    ],
)
def test_refused_input_is_400_naming_the_problem(developer, body, words):
    error = _error(developer.api("POST", "/v1/apps", json=body), 400, "invalid_request")
    assert words in error["message"], error
    assert developer.api("GET", "/v1/apps").json()["data"] == []  # nothing was made


def test_malformed_bodies_and_changes_are_400(developer):
    app = developer.create_app()
    path = f"/v1/apps/{app['client_id']}"
    for content in (b"{not json", b"[1, 2]", b'"text"'):
        answer = developer.api(
            "POST", "/v1/apps", content=content, headers={"Content-Type": "application/json"}
        )
        _error(answer, 400, "invalid_request")
    error = _error(developer.api("PATCH", path, json={"type": "chat"}), 400, "invalid_request")
    assert error["param"] == "type"
    prompt = developer.api("PATCH", path, json={"system_prompt": "p" * 20_001})
    assert "20,000" in _error(prompt, 400, "invalid_request")["message"]
    assert developer.api("GET", path).json() == {
        k: v for k, v in app.items() if k != "client_secret"
    }


def test_another_users_apps_are_404_to_every_call(server, developer, unique_email):
    mine = developer.create_app()
    other = new_developer(server, unique_email("other"))
    theirs = other.create_app(name="Theirs")
    operator = server.create_app("https://operator.example/cb", app_type="web")
    assert [a["client_id"] for a in developer.api("GET", "/v1/apps").json()["data"]] == [
        mine["client_id"]
    ]
    for client_id in (theirs["client_id"], operator["client_id"], "lgn_" + "0" * 24, "nope"):
        path = f"/v1/apps/{client_id}"
        for method, suffix in (
            ("GET", ""),
            ("PATCH", ""),
            ("DELETE", ""),
            ("POST", "/rotate-secret"),
            ("GET", "/stats"),
            ("GET", "/transactions"),
        ):
            body = {"name": "taken"} if method == "PATCH" else None
            answer = developer.api(method, path + suffix, json=body)
            _error(answer, 404, "not_found")
    assert other.api("GET", f"/v1/apps/{theirs['client_id']}").json()["name"] == "Theirs"


def test_stats_and_transactions_match_the_operators_commands_and_page(gateway_server, unique_email):
    server = gateway_server
    developer = new_developer(server, unique_email("dev"))
    app = developer.create_app(redirect_uris=[REDIRECT_URI], margin=20)
    email = unique_email("visitor")
    server.create_user(email, PASSWORD, credit="10")
    connected = connect_with_authlib(server.url, app["client_id"], REDIRECT_URI, email, PASSWORD)
    visitor = Visitor(server, email, app["client_id"], connected.tokens, connected.person)
    for _ in range(3):
        assert visitor.chat().status_code == 200
    ledger = visitor.transactions()
    assert len(ledger) == 3

    path = f"/v1/apps/{app['client_id']}"
    stats = developer.api("GET", path + "/stats").json()
    assert stats == server.cli_json("app-stats", app["client_id"])
    assert stats["requests"] == 3 and stats["users"] == 1

    first = developer.api("GET", path + "/transactions", params={"limit": 2}).json()
    assert first["object"] == "list" and first["has_more"] is True
    second = developer.api(
        "GET", path + "/transactions", params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert second["has_more"] is False and second["next_cursor"] is None
    rows = first["data"] + second["data"]
    assert [r["id"] for r in rows] == [r["id"] for r in ledger]  # newest first, no gap
    for row, operator_row in zip(rows, ledger, strict=True):
        assert "user_email" not in row  # users by id, as on /developer
        assert row == {k: v for k, v in operator_row.items() if k != "user_email"}
        assert row["total_micros"] == row["provider_cost_micros"] + row["margin_micros"]
    everything = developer.api("GET", path + "/transactions").json()
    assert len(everything["data"]) == 3 and everything["has_more"] is False


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "limit=x", "cursor=garbage", "cursor=WyJvdGhlciIsMV0"]
)
def test_bad_paging_is_400(developer, query):
    app = developer.create_app()
    answer = developer.api("GET", f"/v1/apps/{app['client_id']}/transactions?{query}")
    _error(answer, 400, "invalid_request")


# ---------------------------------------------------------------- docs


def test_openapi_describes_every_developer_route(server):
    document = httpx.get(f"{server.url}/openapi.json").json()
    expected = {
        ("/v1/me", "get"),
        ("/v1/apps", "get"),
        ("/v1/apps", "post"),
        ("/v1/apps/{client_id}", "get"),
        ("/v1/apps/{client_id}", "patch"),
        ("/v1/apps/{client_id}", "delete"),
        ("/v1/apps/{client_id}/rotate-secret", "post"),
        ("/v1/apps/{client_id}/stats", "get"),
        ("/v1/apps/{client_id}/transactions", "get"),
        ("/v1/docs", "get"),
    }
    described = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert expected <= described
    schemas = document["components"]["schemas"]
    assert schemas["NewApp"]["additionalProperties"] is False
    assert "name" in schemas["NewApp"]["required"]
    assert "client_secret" in schemas["AppWithSecret"]["required"]
    create = document["paths"]["/v1/apps"]["post"]
    assert {"201", "400", "401", "403"} <= set(create["responses"])


def test_docs_are_public_markdown_naming_every_route(server):
    answer = httpx.get(f"{server.url}/v1/docs")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/markdown")
    text = answer.text
    assert text.startswith("# Legion developer API")
    assert server.url in text and "<LEGION_SERVER>" not in text
    for route in ("GET /v1/me", "POST /v1/apps", "rotate-secret", "/transactions", "legion mcp"):
        assert route in text
