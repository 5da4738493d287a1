"""Developers of the SPEC §14 API, set up through public doors: a user logged in over
HTTP, a developer token made on /account, or a ``legion login`` token got through
/connect for the built-in ``legion-cli`` client (the person plays the browser)."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.oauth import (
    DEFAULT_PASSWORD,
    Person,
    authorization_url,
    form_with_action,
    pkce_pair,
    query_of,
)

NEW_TOKEN = re.compile(r'id="new-developer-token">(ldt_[A-Za-z0-9_-]+)<')
LEGION = str(Path(sys.executable).with_name("legion"))


@dataclass
class Developer:
    server_url: str
    email: str
    user_id: int
    person: Person
    token: str  # a developer token made on /account

    def api(self, method: str, path: str, token: str | None = None, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}", **kwargs.pop("headers", {})}
        return httpx.request(method, self.server_url + path, headers=headers, **kwargs)

    def create_app(self, **fields) -> dict:
        body = {"name": "Dev app", "redirect_uris": ["https://dev.example/cb"], **fields}
        answer = self.api("POST", "/v1/apps", json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()


def make_token(person: Person, name: str = "laptop", lifetime: str | None = None) -> str:
    """Create a developer token with the /account form; the token the answer shows."""
    form = form_with_action(person.get("/account").text, "/account/developer-tokens")
    values = {"name": name} | ({"lifetime": lifetime} if lifetime else {})
    answer = person.submit(form, values)
    assert answer.status_code == 200, answer.text[:1000]
    return NEW_TOKEN.search(answer.text)[1]


def new_developer(server, email: str) -> Developer:
    user = server.create_user(email, DEFAULT_PASSWORD)
    person = Person(server.url)
    assert person.login(email, DEFAULT_PASSWORD).status_code == 303
    return Developer(server.url, email, user["id"], person, make_token(person))


def cli_authorization_url(
    server_url: str, redirect_uri: str, challenge: str | None, state: str = "s"
) -> str:
    """The /connect URL ``legion login`` opens for ``legion-cli``; ``challenge`` None leaves
    PKCE out."""
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"} if challenge else {}
    return authorization_url(
        server_url,
        client_id="legion-cli",
        redirect_uri=redirect_uri,
        response_type="code",
        state=state,
        **pkce,
    )


def cli_login_tokens(developer: Developer, port: int = 53682, host: str = "127.0.0.1") -> dict:
    """What ``legion login`` gets: code + PKCE for ``legion-cli`` to a loopback port."""
    verifier, challenge = pkce_pair()
    redirect_uri = f"http://{host}:{port}/callback"
    url = cli_authorization_url(developer.server_url, redirect_uri, challenge, "cli-state")
    back = developer.person.consent(url)
    assert back.startswith(redirect_uri + "?"), back
    params = query_of(back)
    answer = httpx.post(
        f"{developer.server_url}/v1/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "client_id": "legion-cli",
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def run_legion(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    """The ``legion`` console script of this environment, as a user runs it."""
    return subprocess.run([LEGION, *args], env=env, capture_output=True, text=True, timeout=timeout)
