"""A small client of the conversation API (SPEC §11) for tests: plain HTTP, parsed events."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx

from tests.fakes.fixtures import Visitor


@dataclass
class Event:
    id: int | None
    data: dict | str  # "[DONE]" for the end

    @property
    def type(self) -> str:
        return "[DONE]" if self.data == "[DONE]" else self.data["type"]


def parse_events(text: str) -> list[Event]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event_id, data = None, []
        for line in block.split("\n"):
            if line.startswith("id:"):
                event_id = int(line[3:].strip())
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data:
            payload = "\n".join(data)
            events.append(Event(event_id, payload if payload == "[DONE]" else json.loads(payload)))
    return events


def text_of(events: list[Event]) -> str:
    return "".join(e.data["content"] for e in events if e.type == "ai_chunk")


class ChatClient:
    """One visitor's view of ``/v1/chat/{client_id}``."""

    def __init__(self, visitor: Visitor, server_url: str | None = None) -> None:
        self.visitor = visitor
        self.base = f"{server_url or visitor.server.url}/v1/chat/{visitor.client_id}"
        self.http = httpx.Client(timeout=60)

    def headers(self, extra: dict | None = None) -> dict:
        return {**self.visitor.headers, **(extra or {})}

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = self.headers(kwargs.pop("headers", None))
        return self.http.request(method, self.base + path, headers=headers, **kwargs)

    def new_conversation(self, title: str | None = None) -> str:
        body = {} if title is None else {"title": title}
        response = self.request("POST", "/conversations", json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def ask(
        self, conversation_id: str, content: str, headers: dict | None = None, **fields
    ) -> httpx.Response:
        fields.setdefault("model", "gpt-4o-mini")
        return self.request(
            "POST",
            f"/conversations/{conversation_id}/messages",
            json={"content": content, **fields},
            headers=headers,
        )

    def stream(self, path: str, body: dict, headers: dict | None = None) -> tuple[int, list[Event]]:
        body.setdefault("model", "gpt-4o-mini")
        response = self.request("POST", path, json=body, headers=headers)
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, parse_events(response.text)
        return response.status_code, [Event(None, response.json())]

    def events(
        self, conversation_id: str, message_id: str, after: int | None = None
    ) -> list[Event]:
        headers = {"Last-Event-ID": str(after)} if after is not None else None
        response = self.request(
            "GET", f"/conversations/{conversation_id}/messages/{message_id}/events", headers=headers
        )
        assert response.status_code == 200, response.text
        return parse_events(response.text)

    def conversation(self, conversation_id: str) -> dict:
        response = self.request("GET", f"/conversations/{conversation_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def message(self, conversation_id: str, message_id: str) -> dict:
        response = self.request("GET", f"/conversations/{conversation_id}/messages/{message_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for_status(
        self, conversation_id: str, message_id: str, statuses=("complete",), timeout: float = 30
    ) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = self.message(conversation_id, message_id)
            if message["status"] in statuses or time.monotonic() > deadline:
                return message
            time.sleep(0.05)


class OpenStream:
    """A streamed call read a line at a time, to leave or resume in the middle."""

    def __init__(self, client: ChatClient, path: str, body: dict, headers: dict | None = None):
        body.setdefault("model", "gpt-4o-mini")
        self._context = client.http.stream(
            "POST", client.base + path, json=body, headers=client.headers(headers)
        )
        self.response = self._context.__enter__()
        self._lines = self.response.iter_lines()
        self.events: list[Event] = []

    def read(self, count: int) -> list[Event]:
        """Read until ``count`` more events arrived (or the stream ended)."""
        wanted = len(self.events) + count
        block: list[str] = []
        for line in self._lines:
            if line == "":
                if block:
                    self.events.extend(parse_events("\n".join(block) + "\n\n"))
                    block = []
                if len(self.events) >= wanted:
                    break
            else:
                block.append(line)
        return self.events

    def rest(self) -> list[Event]:
        self.read(10**9)
        return self.events

    def close(self) -> None:
        self._context.__exit__(None, None, None)
