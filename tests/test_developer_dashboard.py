"""The developer dashboard (SPEC §12): ``/developer``, ``/developer/apps/<client_id>`` and
``/register-chat``, driven as a browser without JavaScript would, over HTTP against a real
server, and checked through the CLI (``list-apps --json``), the token endpoint and the
chat API."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import requests

from tests.fakes.fixtures import PASSWORD, new_visitor
from tests.support.oauth import Form, Person, Site, form_with_action, parse_forms
from tests.support.server import ServerProcess
from widget_server.billing.money import format_usd

REDIRECT = "http://site.localhost:7401/legion-callback"
EVIL_ORIGIN = "https://evil.example"
SECRET = re.compile(r'id="client-secret"[^>]*>(lgs_[A-Za-z0-9_-]+)<')
CREATED_ID = re.compile(r'id="created-client-id">(lgn_[0-9a-f]+)<')
APP_FIELDS = {
    "name": "Helper",
    "type": "web",
    "redirect_uris": REDIRECT,
    "margin": "25",
    "default_model": "gpt-4o-mini",
    "description": "Answers questions",
    "system_prompt": "You are helpful.",
}


@dataclass
class Developer:
    """A logged-in user on the dashboard (the browser is a :class:`Person`)."""

    server: ServerProcess
    email: str
    user_id: int
    person: Person

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.person.get(path, allow_redirects=False, **kwargs)

    def form(self, page: str, action: str) -> Form:
        answer = self.get(page)
        assert answer.status_code == 200, (answer.status_code, answer.text[:300])
        return form_with_action(answer.text, action)

    def post(self, page: str, action: str, values: dict | None = None, **kwargs):
        """Fill in the form posting to ``action`` on ``page`` and send it."""
        return self.person.submit(self.form(page, action), values, **kwargs)

    def create(self, **values: str) -> requests.Response:
        return self.post("/developer", "/developer/apps", {**APP_FIELDS, **values})

    def create_ok(self, **values: str) -> tuple[str, str]:
        """Create an app; its client id and the secret its creation showed."""
        answer = self.create(**values)
        assert answer.status_code == 200, answer.text[:2000]
        return CREATED_ID.search(answer.text)[1], SECRET.search(answer.text)[1]

    def edit(self, client_id: str, values: dict) -> requests.Response:
        page = f"/developer/apps/{client_id}"
        return self.post(page, page, values)

    def apps(self) -> dict[str, dict]:
        """This developer's apps as ``list-apps --json`` shows them, by client id."""
        listed = self.server.cli_json("list-apps")
        return {a["client_id"]: a for a in listed if a["owner_user_id"] == self.user_id}


def log_in_developer(server: ServerProcess, email: str) -> Developer:
    user = server.create_user(email, PASSWORD)
    person = Person(server.url)
    assert person.login(email, PASSWORD).status_code == 303
    return Developer(server, email, user["id"], person)


@pytest.fixture
def developer(gateway_sqlite, unique_email) -> Developer:
    return log_in_developer(gateway_sqlite, unique_email("dev"))


def app_of(server: ServerProcess, client_id: str) -> dict | None:
    return {a["client_id"]: a for a in server.cli_json("list-apps")}.get(client_id)


# ---------------------------------------------------------------- logging in


def test_dashboard_pages_send_a_logged_out_visitor_to_login_and_back(gateway_sqlite):
    server, person = gateway_sqlite, Person(gateway_sqlite.url)
    for path in ("/developer", "/developer/apps/lgn_0123456789abcdef01234567", "/register-chat"):
        answer = person.get(path, allow_redirects=False)
        assert answer.status_code == 302, path
        assert answer.headers["Location"] == f"/login?next={path}"
    # A form posted after the session ended: the login page too, and nothing created.
    before = len(server.cli_json("list-apps"))
    token = form_with_action(person.get("/login").text, "/login").fields["csrf_token"]
    answer = person.submit(
        Form("/developer/apps", "post", {"csrf_token": token}), {**APP_FIELDS, "name": "Ghost"}
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/login?next=/developer"
    assert len(server.cli_json("list-apps")) == before


def test_logging_in_from_the_dashboard_comes_back_to_it(gateway_sqlite, unique_email):
    email = unique_email("dev")
    gateway_sqlite.create_user(email, PASSWORD)
    person = Person(gateway_sqlite.url)
    answer = person.login(email, PASSWORD, next_path="/developer")
    assert answer.headers["Location"] == "/developer"
    assert "Create an app" in person.get("/developer").text


# ---------------------------------------------------------------- creating


@pytest.mark.parametrize("app_type", ["web", "wordpress", "drupal", "chat"])
def test_creating_an_app_shows_its_secret_once_and_stores_every_field(developer, app_type):
    answer = developer.create(type=app_type, name=f"My {app_type} app")
    assert answer.status_code == 200
    assert "won't be shown again" in answer.text
    client_id, secret = CREATED_ID.search(answer.text)[1], SECRET.search(answer.text)[1]
    app = developer.apps()[client_id]
    assert app["name"] == f"My {app_type} app" and app["type"] == app_type
    assert app["owner_user_id"] == developer.user_id
    assert app["margin"] == 25 and app["default_model"] == "gpt-4o-mini"
    assert app["description"] == "Answers questions"
    assert app["system_prompt"] == "You are helpful."
    own_page = f"{developer.server.url}/chat/{client_id}"
    expected = [own_page, REDIRECT] if app_type == "chat" else [REDIRECT]
    assert app["redirect_uris"] == expected
    # Never again: not on the list, not on the app's page.
    listing = developer.get("/developer")
    assert client_id in listing.text and secret not in listing.text
    badge = {"web": "Web", "wordpress": "WordPress", "drupal": "Drupal", "chat": "Chat"}[app_type]
    assert re.search(rf'<span class="badge[^"]*">{badge}</span>', listing.text)
    page = developer.get(f"/developer/apps/{client_id}")
    assert page.status_code == 200 and secret not in page.text


def test_a_chat_app_needs_no_redirect_uri_and_gets_its_own_page(developer):
    client_id, _ = developer.create_ok(type="chat", redirect_uris="", margin="", default_model="")
    app = developer.apps()[client_id]
    assert app["redirect_uris"] == [f"{developer.server.url}/chat/{client_id}"]
    assert app["margin"] == 50 and app["default_model"] is None  # the defaults
    page = developer.get(f"/developer/apps/{client_id}").text
    assert f'href="{developer.server.url}/chat/{client_id}"' in page


def test_redirect_uris_may_be_one_per_line_or_comma_separated(developer):
    uris = "https://a.example/cb\r\nhttps://b.example/cb, https://c.example/cb\r\n"
    client_id, _ = developer.create_ok(redirect_uris=uris)
    assert developer.apps()[client_id]["redirect_uris"] == [
        "https://a.example/cb",
        "https://b.example/cb",
        "https://c.example/cb",
    ]


def test_register_chat_creates_a_chat_app_and_shows_its_link(developer):
    answer = developer.post(
        "/register-chat",
        "/register-chat",
        {
            "name": "Poet",
            "description": "Writes\r\npoems",
            "system_prompt": "Answer in verse.",
            "margin": "12.5",
            "default_model": "claude-haiku-4-5",
        },
    )
    assert answer.status_code == 303
    location = answer.headers["Location"]
    client_id = re.fullmatch(r"/developer/apps/(lgn_[0-9a-f]+)\?done=ready", location)[1]
    app = developer.apps()[client_id]
    link = f"{developer.server.url}/chat/{client_id}"
    assert app["type"] == "chat" and app["redirect_uris"] == [link]
    assert app["description"] == "Writes\npoems"  # the browser's CRLF, stored as LF
    assert app["system_prompt"] == "Answer in verse."
    assert app["margin"] == 12.5 and app["default_model"] == "claude-haiku-4-5"
    page = developer.get(location).text
    assert "Your chat app is ready" in page
    assert f'href="{link}"' in page
    assert developer.get(f"/chat/{client_id}").status_code == 200  # the link works


# ---------------------------------------------------------------- editing


def test_editing_changes_every_field(developer):
    client_id, _ = developer.create_ok()
    answer = developer.edit(
        client_id,
        {
            "name": "Renamed",
            "redirect_uris": "https://new.example/cb\nhttps://other.example/cb",
            "margin": "7.5",
            "default_model": "gemini-2.5-flash",
            "description": "New words",
            "system_prompt": "New rules.",
            "type": "chat",  # the type is fixed: ignored
        },
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/developer/apps/{client_id}?done=saved"
    assert "Changes saved" in developer.get(answer.headers["Location"]).text
    app = developer.apps()[client_id]
    assert app["name"] == "Renamed" and app["type"] == "web"
    assert app["redirect_uris"] == ["https://new.example/cb", "https://other.example/cb"]
    assert app["margin"] == 7.5 and app["default_model"] == "gemini-2.5-flash"
    assert app["description"] == "New words" and app["system_prompt"] == "New rules."
    # Empty clears the model, the description and the prompt.
    values = {"default_model": "", "description": "", "system_prompt": ""}
    assert developer.edit(client_id, {**APP_FIELDS, **values}).status_code == 303
    app = developer.apps()[client_id]
    assert (app["default_model"], app["description"], app["system_prompt"]) == (None, "", "")


def test_a_chat_apps_own_page_stays_its_first_redirect_uri(developer):
    client_id, _ = developer.create_ok(type="chat", redirect_uris="")
    own = f"{developer.server.url}/chat/{client_id}"
    page = developer.get(f"/developer/apps/{client_id}").text
    assert "can&#39;t be removed" in page or "can't be removed" in page
    values = {**APP_FIELDS, "redirect_uris": f"https://extra.example/cb\n{own}"}
    assert developer.edit(client_id, values).status_code == 303
    assert developer.apps()[client_id]["redirect_uris"] == [own, "https://extra.example/cb"]
    assert developer.edit(client_id, {**APP_FIELDS, "redirect_uris": ""}).status_code == 303
    assert developer.apps()[client_id]["redirect_uris"] == [own]


# ---------------------------------------------------------------- rotating and deleting


def test_rotating_shows_a_new_secret_once_and_the_old_one_stops_working(developer):
    client_id, old_secret = developer.create_ok(type="web")
    site = Site(developer.server.url, client_id, old_secret, REDIRECT, developer.person, "")
    tokens = site.exchange(site.code(), None, client_secret=old_secret).json()
    page = f"/developer/apps/{client_id}"
    answer = developer.post(page, f"{page}/rotate-secret")
    assert answer.status_code == 200
    assert "won't be shown again" in answer.text
    new_secret = SECRET.search(answer.text)[1]
    assert new_secret != old_secret
    assert new_secret not in developer.get(page).text
    refused = site.refresh(tokens["refresh_token"], client_secret=old_secret)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    renewed = site.refresh(tokens["refresh_token"], client_secret=new_secret)
    assert renewed.status_code == 200, renewed.text
    code = site.code()
    assert site.exchange(code, None, client_secret=old_secret).status_code == 401
    assert site.exchange(code, None, client_secret=new_secret).status_code == 200


def test_deleting_an_app_needs_confirmation_and_ends_its_users_tokens(
    gateway_sqlite, developer, unique_email
):
    visitor = new_visitor(gateway_sqlite, unique_email("user"), owner_email=developer.email)
    assert visitor.chat().status_code == 200
    page = f"/developer/apps/{visitor.client_id}"
    form = developer.form(page, f"{page}/delete")
    unconfirmed = developer.person.submit(
        Form(form.action, "post", {"csrf_token": form.fields["csrf_token"]})
    )
    assert unconfirmed.status_code == 400 and "tick the box" in unconfirmed.text
    assert visitor.client_id in developer.apps()
    answer = developer.person.submit(form)  # the box ticked
    assert answer.status_code == 303 and answer.headers["Location"] == "/developer?done=deleted"
    assert "App deleted" in developer.get(answer.headers["Location"]).text
    assert visitor.client_id not in developer.apps()
    assert visitor.chat().status_code == 401
    assert developer.get(page).status_code == 404


# ---------------------------------------------------------------- another user's apps


def test_another_users_app_is_404_to_every_request_and_changes_nothing(
    gateway_sqlite, developer, unique_email
):
    owner = log_in_developer(gateway_sqlite, unique_email("owner"))
    client_id, secret = owner.create_ok(name="Private", description="Owner's own")
    ownerless = gateway_sqlite.create_app(REDIRECT, name="Nobody's")["client_id"]
    before = app_of(gateway_sqlite, client_id)
    token = developer.form("/developer", "/developer/apps").fields["csrf_token"]
    for target in (client_id, ownerless, "lgn_0123456789abcdef01234567", "not-an-id"):
        page = f"/developer/apps/{target}"
        shown = developer.get(page)
        assert shown.status_code == 404 and "Private" not in shown.text
        for action, values in [
            (page, {**APP_FIELDS, "name": "Hijacked"}),
            (f"{page}/rotate-secret", {}),
            (f"{page}/delete", {"confirm": "yes"}),
        ]:
            answer = developer.person.submit(Form(action, "post", {"csrf_token": token}), values)
            assert answer.status_code == 404, action
            assert "Private" not in answer.text and "lgs_" not in answer.text
    assert "Private" not in developer.get("/developer").text
    assert app_of(gateway_sqlite, client_id) == before
    assert app_of(gateway_sqlite, ownerless) is not None
    # The owner's secret still works: no rotation happened.
    site = Site(gateway_sqlite.url, client_id, secret, REDIRECT, owner.person, "")
    assert site.exchange(site.code(), None, client_secret=secret).status_code == 200


# ---------------------------------------------------------------- CSRF and origin


def test_forms_without_the_csrf_token_or_from_another_site_are_refused(developer):
    client_id, _ = developer.create_ok(name="Guarded")
    before = developer.apps()
    page = f"/developer/apps/{client_id}"
    forms = [
        ("/developer", "/developer/apps", {**APP_FIELDS, "name": "Forged"}),
        ("/register-chat", "/register-chat", {"name": "Forged chat"}),
        (page, page, {**APP_FIELDS, "name": "Forged edit"}),
        (page, f"{page}/rotate-secret", {}),
        (page, f"{page}/delete", {"confirm": "yes"}),
    ]
    for source, action, values in forms:
        form = developer.form(source, action)
        without_token = Form(
            action, "post", {k: v for k, v in form.fields.items() if k != "csrf_token"}
        )
        answer = developer.person.submit(without_token, values)
        assert answer.status_code == 403, action
        assert "lgs_" not in answer.text
        answer = developer.person.submit(form, values, headers={"Origin": EVIL_ORIGIN})
        assert answer.status_code == 403, action
        assert "lgs_" not in answer.text
    assert developer.apps() == before


# ---------------------------------------------------------------- mistakes


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("system_prompt", "p" * 20_001, "at most 20,000 characters, not 20,001"),
        ("description", "d" * 501, "at most 500 characters, not 501"),
        ("redirect_uris", "https://user@site.example/cb", "redirect URI"),
        ("redirect_uris", "", "at least one redirect URI is required"),
        ("margin", "ten", "margin must be a number"),
        ("default_model", "no-such-model", "unknown model"),
        ("name", "  ", "An app needs a name"),
    ],
)
def test_a_refused_app_form_says_why_keeps_the_input_and_creates_nothing(
    developer, field, value, message
):
    before = developer.apps()
    values = {**APP_FIELDS, "name": "Kept name", field: value}
    answer = developer.create(**values)
    assert answer.status_code == 400
    assert message.lower() in answer.text.lower()
    assert f'id="{field}-error"' in answer.text and 'aria-invalid="true"' in answer.text
    assert "lgs_" not in answer.text
    if field != "name":
        assert 'value="Kept name"' in answer.text
    if field in ("system_prompt", "description"):
        assert value in answer.text
    assert developer.apps() == before


def test_over_long_texts_are_refused_on_edit_and_register_chat_too(developer):
    client_id, _ = developer.create_ok(name="Stays")
    before = developer.apps()
    for field, value, message in [
        ("system_prompt", "p" * 20_001, "at most 20,000 characters"),
        ("description", "d" * 501, "at most 500 characters"),
    ]:
        answer = developer.edit(client_id, {**APP_FIELDS, "name": "Changed", field: value})
        assert answer.status_code == 400 and message in answer.text
        assert "Nothing was saved" in answer.text
        answer = developer.post("/register-chat", "/register-chat", {"name": "Chat", field: value})
        assert answer.status_code == 400 and message in answer.text
        assert 'value="Chat"' in answer.text
    assert developer.apps() == before


# ---------------------------------------------------------------- plain text


def test_html_in_a_description_is_shown_as_text_everywhere(developer):
    description = '<b>bold</b> <img src=x onerror="alert(1)"> & co'
    client_id, _ = developer.create_ok(name="<i>Name</i>", description=description)
    escaped = "&lt;b&gt;bold&lt;/b&gt; &lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; co"
    for path in ("/developer", f"/developer/apps/{client_id}", "/account"):
        text = developer.get(path).text
        assert escaped in text, path
        assert "<b>bold</b>" not in text and "<img" not in text and "<i>Name" not in text, path


def test_the_account_page_links_to_the_dashboard_and_register_chat(developer):
    links = developer.get("/account").text
    assert 'href="/developer"' in links and 'href="/register-chat"' in links


def test_every_dashboard_form_posts_to_this_server_with_a_csrf_token(developer):
    client_id, _ = developer.create_ok()
    # The app page's one script (SPEC §15's drag and drop) is a file from this server;
    # no page has inline code.
    app_page = f"/developer/apps/{client_id}"
    own_script = '<script src="/static/knowledge.js" defer></script>'
    for path in ("/developer", app_page, "/register-chat"):
        answer = developer.get(path)
        assert "'unsafe-inline'" not in answer.headers["Content-Security-Policy"]
        text = answer.text
        if path == app_page:
            assert text.count(own_script) == 1
            text = text.replace(own_script, "")
        assert "<script" not in text and "style=" not in text
        assert not re.search(r"\son[a-z]+=", answer.text)
        forms = [f for f in parse_forms(answer.text) if f.method == "post"]
        assert forms and all(f.fields.get("csrf_token") for f in forms), path


# ---------------------------------------------------------------- stats


def test_stats_and_latest_transactions_appear_after_a_visitor_chats(
    gateway_sqlite, fake, developer, unique_email
):
    fake.reset()
    fake.set(prompt_tokens=5, completion_tokens=7)
    visitor = new_visitor(
        gateway_sqlite, unique_email("chatter"), owner_email=developer.email, margin="40"
    )
    assert visitor.chat(model="gpt-4o-mini").status_code == 200
    assert visitor.chat(model="gpt-4o").status_code == 200
    rows = visitor.transactions()  # once both are booked
    stats = gateway_sqlite.cli_json("app-stats", visitor.client_id)
    page = developer.get(f"/developer/apps/{visitor.client_id}").text
    shown = dict(re.findall(r'<dd data-stat="(\w+)">([^<]*)</dd>', page))
    assert shown == {
        "users": "1",
        "requests": "2",
        "prompt_tokens": "10",
        "completion_tokens": "14",
        "spend_micros": format_usd(stats["spend_micros"]),
        "developer_earnings_micros": format_usd(stats["developer_earnings_micros"]),
        "platform_micros": format_usd(stats["platform_micros"]),
    }
    assert stats["developer_earnings_micros"] > 0
    listed = [int(i) for i in re.findall(r'data-transaction-id="(\d+)"', page)]
    assert listed == [row["id"] for row in rows]  # newest first
    assert "gpt-4o-mini" in page and format_usd(rows[0]["total_micros"]) in page
    assert visitor.email not in page  # the app's users are numbers to its maker
    fake.reset()


# ---------------------------------------------------------------- both databases


def test_an_apps_whole_life_on_the_dashboard_on_each_database(gateway_server, unique_email):
    developer = log_in_developer(gateway_server, unique_email("life"))
    client_id, secret = developer.create_ok(name="Life", type="chat")
    page = f"/developer/apps/{client_id}"
    shown = developer.get(page)
    assert shown.status_code == 200 and "No transactions yet" in shown.text
    assert developer.edit(client_id, {**APP_FIELDS, "name": "Older"}).status_code == 303
    assert developer.apps()[client_id]["name"] == "Older"
    rotated = developer.post(page, f"{page}/rotate-secret")
    assert SECRET.search(rotated.text)[1] != secret
    assert developer.post(page, f"{page}/delete").status_code == 303
    assert developer.apps() == {}
