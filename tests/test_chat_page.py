"""The hosted chat page's server side (SPEC §12) over HTTP: who sees which page, the
"Start chatting" consent, the page's token door, its CSP, and the app's system prompt."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.oauth import DEFAULT_PASSWORD, Person, form_with_action


@pytest.fixture(scope="module")
def chat_app(server):
    maker = "chat-page-maker@example.com"
    server.create_user(maker)
    return server.create_app(
        "",
        app_type="chat",
        name="Poet",
        description="Short <script>alert(1)</script> poems",
        system_prompt="Answer in verse.",
        margin="12.5",
        owner_email=maker,
    )


def person(server, email) -> Person:
    server.create_user(email)
    visitor = Person(server.url)
    assert visitor.login(email, DEFAULT_PASSWORD).status_code == 303
    return visitor


def start_chatting(visitor: Person, client_id: str):
    page = visitor.get(f"/chat/{client_id}")
    return visitor.submit(form_with_action(page.text, f"/chat/{client_id}/start"))


def csrf_of(page_html: str) -> str:
    """The session's CSRF token, as the chat page (or its consent form) carries it."""
    found = re.search(r'data-csrf="([^"]+)"|name="csrf_token" value="([^"]+)"', page_html)
    return found.group(1) or found.group(2)


def connect(visitor: Person, client_id: str, *, origin: str | None = "own", csrf=None, page=None):
    headers = {}
    if origin == "own":
        headers["Origin"] = visitor.server_url
    elif origin:
        headers["Origin"] = origin
    if csrf is not False:
        html = page or visitor.get(f"/chat/{client_id}").text
        headers["X-CSRF-Token"] = csrf or csrf_of(html)
    return visitor.http.post(f"{visitor.server_url}/v1/chat/{client_id}/connect", headers=headers)


def test_a_chat_app_gets_its_own_page_as_redirect_uri(server, chat_app):
    assert chat_app["redirect_uris"] == [f"{server.url}/chat/{chat_app['client_id']}"]
    listed = {a["client_id"]: a for a in server.cli_json("list-apps")}[chat_app["client_id"]]
    assert listed["description"] == "Short <script>alert(1)</script> poems"
    assert listed["system_prompt"] == "Answer in verse."


def test_only_chat_apps_have_a_page(server, chat_app):
    web = server.create_app("https://web.example/cb", app_type="web")
    for client_id in (web["client_id"], "lgn_000000000000000000000000", "nonsense"):
        response = httpx.get(f"{server.url}/chat/{client_id}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")


def test_visitors_log_in_first_and_come_back(server, chat_app):
    response = httpx.get(f"{server.url}/chat/{chat_app['client_id']}")
    assert response.status_code in (302, 303)
    assert response.headers["location"] == f"/login?next=/chat/{chat_app['client_id']}"


def test_the_consent_names_the_app_escaped_with_its_margin(server, chat_app, unique_email):
    visitor = person(server, unique_email())
    page = visitor.get(f"/chat/{chat_app['client_id']}")
    assert page.status_code == 200
    assert "<h1>Poet</h1>" in page.text
    assert "Short &lt;script&gt;alert(1)&lt;/script&gt; poems" in page.text
    assert "<script>alert(1)" not in page.text
    assert "12.5%" in page.text
    assert "Start chatting" in page.text


def test_the_chat_page_runs_only_its_own_files(server, chat_app, unique_email):
    visitor = person(server, unique_email())
    assert start_chatting(visitor, chat_app["client_id"]).status_code == 303
    page = visitor.get(f"/chat/{chat_app['client_id']}")
    csp = page.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    assert "unsafe" not in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    html = page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    for asset in re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css))"', html):
        assert httpx.get(server.url + asset).status_code == 200, asset


def test_start_chatting_needs_the_form_token(server, chat_app, unique_email):
    visitor = person(server, unique_email())
    forged = visitor.http.post(
        f"{server.url}/chat/{chat_app['client_id']}/start", data={"csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert connect(visitor, chat_app["client_id"]).json()["error"]["code"] == "not_connected"


def test_the_token_door_gives_a_working_pair_to_a_connected_visitor(server, chat_app, unique_email):
    visitor = person(server, unique_email())
    client_id = chat_app["client_id"]
    refused = connect(visitor, client_id)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_connected"
    start_chatting(visitor, client_id)
    response = connect(visitor, client_id)
    assert response.status_code == 200, response.text
    pair = response.json()
    assert set(pair) >= {"access_token", "refresh_token", "token_type", "expires_in", "scope"}
    assert pair["token_type"] == "Bearer" and response.headers["Cache-Control"] == "no-store"
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    listing = httpx.get(f"{server.url}/v1/chat/{client_id}/conversations", headers=headers)
    assert listing.status_code == 200
    renewed = httpx.post(
        f"{server.url}/v1/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]},
    )
    assert renewed.status_code == 200


def test_the_token_door_is_same_origin_with_the_page_token(server, chat_app, unique_email):
    visitor = person(server, unique_email())
    client_id = chat_app["client_id"]
    start_chatting(visitor, client_id)
    page = visitor.get(f"/chat/{client_id}").text
    assert connect(visitor, client_id, origin=None, page=page).status_code == 403
    foreign = connect(visitor, client_id, origin="https://evil.example", page=page)
    assert foreign.status_code == 403
    assert connect(visitor, client_id, csrf=False).status_code == 403
    assert connect(visitor, client_id, csrf="forged", page=page).status_code == 403
    stranger = httpx.post(
        f"{server.url}/v1/chat/{client_id}/connect",
        headers={"Origin": server.url, "X-CSRF-Token": csrf_of(page)},
    )
    assert stranger.status_code == 401  # no session


def test_deactivated_or_revoked_visitors_consent_again(server, chat_app, unique_email):
    email = unique_email()
    visitor = person(server, email)
    client_id = chat_app["client_id"]
    start_chatting(visitor, client_id)
    for action in ("deactivate", "revoke"):
        account = visitor.get("/account").text
        form = next(
            f
            for f in re.findall(r'action="(/account/connections/\d+/[a-z]+)"', account)
            if f.endswith(action)
        )
        assert visitor.submit(form_with_action(account, form)).status_code == 303
        assert connect(visitor, client_id).json()["error"]["code"] == "not_connected"
        assert "Start chatting" in visitor.get(f"/chat/{client_id}").text
        start_chatting(visitor, client_id)
        assert connect(visitor, client_id).status_code == 200


def test_asks_send_the_apps_system_prompt_first(gateway_server, fake, unique_email):
    from tests.fakes.fixtures import new_visitor

    visitor = new_visitor(gateway_server, unique_email(), system_prompt="Be brief.")
    base = f"{gateway_server.url}/v1/chat/{visitor.client_id}"
    fake.reset()
    asked = httpx.post(
        base + "/messages",
        headers=visitor.headers,
        json={"content": "Hi", "model": "gpt-4o-mini"},
        timeout=30,
    )
    assert asked.status_code == 201, asked.text
    sent = fake.requests[-1]["json"]["messages"]
    assert sent[0] == {"role": "system", "content": "Be brief."}
    assert sent[-1] == {"role": "user", "content": "Hi"}
    info = httpx.get(base + "/info").json()
    assert info["has_system_prompt"] is True and "system_prompt" not in info
    plain = httpx.post(
        f"{gateway_server.url}/v1/chat/completions",
        headers=visitor.headers,
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]},
    )
    assert plain.status_code == 200
    assert fake.requests[-1]["json"]["messages"][0]["role"] == "user"  # §5.2 unchanged
