"""Pytest fixtures and helpers for tests that chat through a real Legion server.

Import the fixtures into a test module (``from tests.fakes.fixtures import fake,
gateway_server  # noqa: F401``). Everything goes through public interfaces: the CLI to
make users and apps, authlib + the HTML forms to connect, HTTP to chat.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import httpx
import pytest

from tests.fakes.server import FakeProviders
from tests.support.databases import TestDatabase
from tests.support.oauth import Person, connect_with_authlib, form_with_action, parse_forms
from tests.support.server import ServerProcess

PASSWORD = "correct horse 9"
REDIRECT_URI = "https://site.example/legion-callback"
SITE_ORIGIN = "https://site.example"
# Short enough that the hang tests finish quickly, long enough for every streamed test.
READ_TIMEOUT_S = "2"


@pytest.fixture(scope="session")
def fake():
    with FakeProviders() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_fake(request):
    """Every test that chats starts from the fake's defaults, whatever the test before it
    (in another module, on the same worker) set: a left-over ``first_delay=30`` made a
    later module's chats time out. ``fake_llm`` is the browser suite's own fake."""
    for name in ("fake", "fake_llm"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


def serve_gateway(backend: str, fake: FakeProviders):
    """A server of its own (a generator, for a fixture) with every fake provider configured."""
    database = TestDatabase(backend)
    env = {**fake.env, "LEGION_UPSTREAM_READ_TIMEOUT": READ_TIMEOUT_S}
    with ServerProcess(database.url, env=env) as running:
        running.backend = backend
        yield running
    database.close()


@pytest.fixture(scope="session")
def gateway_server(backend, fake):
    """A server per backend with every fake provider configured."""
    yield from serve_gateway(backend, fake)


@pytest.fixture(scope="session")
def gateway_sqlite(fake):
    """The same on SQLite only, for behaviour that does not depend on storage."""
    yield from serve_gateway("sqlite", fake)


@dataclass
class Visitor:
    """A user with a wallet, connected to an app of their own, holding tokens."""

    server: ServerProcess
    email: str
    client_id: str
    tokens: dict
    person: Person
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    @property
    def token(self) -> str:
        return self.tokens["access_token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def chat(self, headers: dict | None = None, **body) -> httpx.Response:
        body.setdefault("messages", [{"role": "user", "content": "Hello there"}])
        return self.http.post(
            self.server.url + "/v1/chat/completions",
            headers={**self.headers, **(headers or {})},
            json=body,
        )

    def stream(self, **body) -> tuple[httpx.Response, list]:
        """A streamed chat: the response and its events (JSON objects, or "[DONE]")."""
        body.setdefault("messages", [{"role": "user", "content": "Hello there"}])
        body["stream"] = True
        with self.http.stream(
            "POST", self.server.url + "/v1/chat/completions", headers=self.headers, json=body
        ) as response:
            response.read()
        return response, sse_payloads(response.text)

    def wallet(self) -> dict:
        """The wallet once nothing is held any more (answers are booked just after they
        are sent, so a check right after a response may otherwise see the hold)."""
        deadline = time.monotonic() + 15
        while True:
            wallet = self.server.setup_cli_json("wallet", "show", "--email", self.email)
            if wallet["reserved_micros"] == 0 or time.monotonic() > deadline:
                return wallet
            time.sleep(0.1)

    def transactions(self) -> list[dict]:
        self.wallet()
        return self.server.setup_cli_json("transactions", self.client_id)

    # ------------------------------------------------------------ the account page

    def _account_form(self, action: str, values: dict[str, str]):
        page = self.person.get("/account")
        answer = self.person.submit(form_with_action(page.text, action), values)
        assert answer.status_code == 303, (answer.status_code, answer.text[:300])

    def set_preferences(self, text: str) -> None:
        self._account_form("/account/preferences", {"preferences": text})

    def set_monthly_limit(self, usd: str) -> None:
        self._account_form("/account/limit", {"monthly_limit": usd})

    def change_connection(self, action: str) -> None:
        """``deactivate`` or ``revoke`` this visitor's connection, as the user would."""
        page = self.person.get("/account")
        forms = [f for f in parse_forms(page.text) if f.action.endswith("/" + action)]
        assert len(forms) == 1, [f.action for f in parse_forms(page.text)]
        answer = self.person.submit(forms[0])
        assert answer.status_code == 303, (answer.status_code, answer.text[:300])


def sse_payloads(text: str) -> list:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].lstrip() for line in block.split("\n") if line.startswith("data:")]
        if data:
            payload = "\n".join(data)
            events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


def streamed_text(events: list) -> str:
    return "".join(
        (e["choices"][0]["delta"].get("content") or "")
        for e in events
        if isinstance(e, dict) and e.get("choices")
    )


def new_visitor(
    server: ServerProcess,
    email: str,
    *,
    credit: str = "10",
    redirect_uri: str = REDIRECT_URI,
    **app_options: str,
) -> Visitor:
    server.create_user(email, password=PASSWORD, credit=credit)
    app = server.create_app(redirect_uri, **app_options)
    connected = connect_with_authlib(server.url, app["client_id"], redirect_uri, email, PASSWORD)
    return Visitor(server, email, app["client_id"], connected.tokens, connected.person)


def connect_again(visitor: Visitor, client_id: str, redirect_uri: str = REDIRECT_URI) -> Visitor:
    """The same user connected to another app (another token, same wallet)."""
    connected = connect_with_authlib(
        visitor.server.url,
        client_id,
        redirect_uri,
        visitor.email,
        PASSWORD,
        person=visitor.person,
    )
    return Visitor(visitor.server, visitor.email, client_id, connected.tokens, visitor.person)
