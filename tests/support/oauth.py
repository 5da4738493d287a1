"""Going through login and consent over plain HTTP, the way a browser would.

The authorization request and the token exchange are made by authlib (a standard OAuth
client library); this module only plays the person: it reads our HTML forms and submits
them with their CSRF tokens.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, str] = field(default_factory=dict)  # value -> name


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1].fields[a["name"]] = a.get("value") or ""
        elif tag == "textarea" and self.forms and a.get("name"):
            self.forms[-1].fields[a["name"]] = ""
        elif tag == "button" and self.forms and a.get("name"):
            self.forms[-1].buttons[a.get("value", "")] = a["name"]


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_with_action(html: str, action: str) -> Form:
    for form in parse_forms(html):
        if form.action == action:
            return form
    raise AssertionError(f"no form posting to {action!r} in page:\n{html[:2000]}")


def connection_action(html: str, verb: str) -> str:
    """The action of the account page's first Deactivate or Revoke form (``verb``)."""
    for form in parse_forms(html):
        if form.action.startswith("/account/connections/") and form.action.endswith("/" + verb):
            return form.action
    raise AssertionError(f"no {verb} form in page:\n{html[:2000]}")


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


class Person:
    """A browser session on the Legion server: cookies, forms, no JavaScript."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.http = requests.Session()

    def get(self, path_or_url: str, **kwargs) -> requests.Response:
        return self.http.get(urljoin(self.server_url, path_or_url), **kwargs)

    def submit(self, form: Form, extra: dict[str, str] | None = None, **kwargs):
        data = {**form.fields, **(extra or {})}
        headers = {"Origin": self.server_url, **kwargs.pop("headers", {})}
        return self.http.post(
            urljoin(self.server_url, form.action),
            data=data,
            headers=headers,
            allow_redirects=False,
            **kwargs,
        )

    def register(self, email: str, password: str) -> requests.Response:
        page = self.get("/register")
        return self.submit(
            form_with_action(page.text, "/register"), {"email": email, "password": password}
        )

    def login(self, email: str, password: str, next_path: str | None = None, **kwargs):
        page = self.get("/login" + (f"?next={next_path}" if next_path else ""))
        return self.submit(
            form_with_action(page.text, "/login"), {"email": email, "password": password}, **kwargs
        )

    def consent(self, authorize_url: str, decision: str = "allow") -> str:
        """Open the authorization URL (logged in), click Allow or Deny; the site's URL."""
        page = self.http.get(authorize_url, allow_redirects=False)
        if page.status_code in (302, 303):
            return page.headers["Location"]
        assert page.status_code == 200, (page.status_code, page.text[:500])
        form = form_with_action(page.text, "/connect")
        name = form.buttons[decision]
        answer = self.submit(form, {name: decision})
        assert answer.status_code == 303, (answer.status_code, answer.text[:500])
        return answer.headers["Location"]


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@dataclass
class Connected:
    person: Person
    tokens: dict
    client: OAuth2Session


def connect_with_authlib(
    server_url: str,
    client_id: str,
    redirect_uri: str,
    email: str,
    password: str,
    *,
    person: Person | None = None,
) -> Connected:
    """The full code + PKCE flow: authlib builds the request and redeems the code."""
    person = person or Person(server_url)
    if not person.http.cookies:
        assert person.login(email, password).status_code == 303
    client = OAuth2Session(
        client_id,
        redirect_uri=redirect_uri,
        scope="chat:completions",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(f"{server_url}/connect", code_verifier=verifier)
    back = person.consent(url)
    assert query_of(back).get("state") == state
    tokens = client.fetch_token(
        f"{server_url}/v1/oauth/token", authorization_response=back, code_verifier=verifier
    )
    return Connected(person=person, tokens=dict(tokens), client=client)


# ---------------------------------------------------------------- raw protocol helpers

DEFAULT_PASSWORD = "correct horse 9"


def authorization_url(server_url: str, **params: str | None) -> str:
    from urllib.parse import urlencode

    return f"{server_url}/connect?" + urlencode({k: v for k, v in params.items() if v is not None})


@dataclass
class Site:
    """A registered app plus a logged-in visitor, ready to run the protocol by hand."""

    server_url: str
    client_id: str
    client_secret: str
    redirect_uri: str
    person: Person
    email: str

    def authorize(self, decision: str = "allow", **overrides: str | None) -> str:
        """Run /connect with a fresh PKCE pair; returns the site URL we were sent to."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "state": "state-" + secrets.token_hex(8),
            "scope": "chat:completions",
            **overrides,
        }
        return self.person.consent(authorization_url(self.server_url, **params), decision)

    def code(self, challenge: str | None = None, **overrides) -> str:
        extra = {"code_challenge": challenge, "code_challenge_method": "S256"} if challenge else {}
        back = self.authorize(**extra, **overrides)
        params = query_of(back)
        assert "code" in params, back
        return params["code"]

    def token_request(self, data: dict, *, origin: str | None = None, json: bool = False):
        import httpx

        headers = {"Origin": origin} if origin else {}
        url = f"{self.server_url}/v1/oauth/token"
        if json:
            return httpx.post(url, json=data, headers=headers)
        return httpx.post(url, data=data, headers=headers)

    def exchange(self, code: str, verifier: str | None, **extra) -> object:
        data = {"grant_type": "authorization_code", "code": code, "client_id": self.client_id}
        if verifier is not None:
            data["code_verifier"] = verifier
        origin = extra.pop("origin", None)
        as_json = extra.pop("as_json", False)
        data.update({k: v for k, v in extra.items() if v is not None})
        return self.token_request(data, origin=origin, json=as_json)

    def tokens(self) -> dict:
        verifier, challenge = pkce_pair()
        response = self.exchange(self.code(challenge), verifier)
        assert response.status_code == 200, response.text
        return response.json()

    def refresh(self, refresh_token: str, **extra):
        origin = extra.pop("origin", None)
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
        return self.token_request(data, origin=origin)


def new_site(server, email: str, redirect_uri: str, *, app_type: str = "wordpress", **app_options):
    """A user (logged in over HTTP) and an app of the given type on ``server``."""
    server.create_user(email, DEFAULT_PASSWORD)
    app = server.create_app(redirect_uri, app_type=app_type, **app_options)
    person = Person(server.url)
    assert person.login(email, DEFAULT_PASSWORD).status_code == 303
    return Site(
        server.url,
        app["client_id"],
        app["client_secret"],
        app["redirect_uris"][0],
        person,
        email,
    )
