"""Test helpers for SPEC §15: a server set up for context tests, an app owner managing the
app's knowledge base over HTTP, and visitors of that app."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from tests.fakes.fixtures import PASSWORD, REDIRECT_URI, Visitor, connect_again
from tests.support.databases import TestDatabase
from tests.support.developer_api import make_token
from tests.support.oauth import Person, connect_with_authlib
from tests.support.server import ServerProcess

# Small enough to test the 413 cheaply; a summary of a user's questions every second.
CONTEXT_ENV = {
    "LEGION_MAX_UPLOAD_BYTES": str(3 * 1024 * 1024),
    "LEGION_USER_CONTEXT_REFRESH": "1",
    "LEGION_UPSTREAM_READ_TIMEOUT": "5",
}


def serve(backend: str, fake):
    database = TestDatabase(backend)
    with ServerProcess(database.url, env={**fake.env, **CONTEXT_ENV}) as running:
        running.backend = backend
        yield running
    database.close()


@dataclass
class Owner:
    """An app, and the developer token its owner manages the app's knowledge base with."""

    server: ServerProcess
    email: str
    client_id: str
    token: str
    http: httpx.Client

    @property
    def base(self) -> str:
        return f"{self.server.local_url}/v1/apps/{self.client_id}/context"

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def upload(self, filename: str, data: bytes, content_type: str | None = None):
        files = {"file": (filename, data, content_type or "application/octet-stream")}
        return self.http.post(self.base, headers=self.headers, files=files)

    def documents(self) -> list[dict]:
        response = self.http.get(self.base, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def document(self, context_id: str) -> httpx.Response:
        return self.http.get(f"{self.base}/{context_id}", headers=self.headers)

    def delete(self, context_id: str) -> httpx.Response:
        return self.http.delete(f"{self.base}/{context_id}", headers=self.headers)

    def wait(self, context_id: str, timeout: float = 30) -> dict:
        """The document once it is no longer ``processing``."""
        deadline = time.monotonic() + timeout
        while True:
            document = self.document(context_id).json()
            if document["status"] != "processing" or time.monotonic() > deadline:
                return document
            time.sleep(0.05)

    def add(self, filename: str, data: bytes, content_type: str | None = None) -> dict:
        """Upload a file and wait until it is ready."""
        response = self.upload(filename, data, content_type)
        assert response.status_code == 202, response.text
        document = self.wait(response.json()["id"])
        assert document["status"] == "ready", document
        return document

    def visitor(self, email: str) -> Visitor:
        """A user with credit, connected to this app."""
        self.server.create_user(email, password=PASSWORD, credit="10")
        connected = connect_with_authlib(
            self.server.url, self.client_id, REDIRECT_URI, email, PASSWORD
        )
        return Visitor(self.server, email, self.client_id, connected.tokens, connected.person)


def new_owner(server: ServerProcess, email: str, **app_options: str) -> Owner:
    """A user owning a new app, with a developer token made on /account (SPEC §14)."""
    server.create_user(email, password=PASSWORD, credit="10")
    app = server.create_app(REDIRECT_URI, owner_email=email, **app_options)
    person = Person(server.local_url)
    assert person.login(email, PASSWORD).status_code == 303
    token = make_token(person, "knowledge base")
    return Owner(server, email, app["client_id"], token, httpx.Client(timeout=60))


def system_text(fake) -> str:
    """The system message the (OpenAI) provider got last, or "": SPEC §15 says one."""
    messages = fake.requests[-1]["json"]["messages"]
    system = [m for m in messages if m["role"] == "system"]
    assert len(system) <= 1, messages
    return system[0]["content"] if system else ""


def ask(visitor: Visitor, question: str, **fields) -> httpx.Response:
    """One question through /v1/chat/completions (gpt-4o-mini), answered 200."""
    response = visitor.chat(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}], **fields
    )
    assert response.status_code == 200, response.text
    return response


__all__ = ["CONTEXT_ENV", "Owner", "ask", "connect_again", "new_owner", "serve", "system_text"]
