"""Talking HTTP to a provider through the shared, pooled httpx client.

Every transport failure and every non-200 answer leaves here as an
:class:`~widget_server.gateway.errors.UpstreamError`, so adapters only deal in success.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx

from ..errors import UpstreamError, from_exception, from_status, upstream_failed


def encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class Upstream:
    """One provider's endpoint: base URL, credentials, and the shared client."""

    def __init__(
        self, client: httpx.AsyncClient, label: str, base_url: str, headers: dict[str, str]
    ) -> None:
        self.client = client
        self.label = label  # as shown in error messages: "OpenAI", "Anthropic", ...
        self.base_url = base_url.rstrip("/")
        self.headers = {"Content-Type": "application/json", **headers}
        self.stream_headers = {**self.headers, "Accept": "text/event-stream"}
        self.stream_headers["Accept-Encoding"] = "identity"

    async def post_json(self, path: str, body: dict, params: dict | None = None) -> dict:
        try:
            response = await self.client.post(
                self.base_url + path, content=encode(body), headers=self.headers, params=params
            )
        except httpx.HTTPError as error:
            raise from_exception(self.label, error) from error
        if response.status_code != 200:
            raise from_status(
                self.label,
                response.status_code,
                response.content,
                response.headers.get("retry-after"),
            )
        try:
            parsed = json.loads(response.content)
        except ValueError:
            raise upstream_failed(f"The {self.label} API sent a body that is not JSON.") from None
        if not isinstance(parsed, dict):
            raise upstream_failed(f"The {self.label} API sent an unexpected body.")
        return parsed

    async def open_stream(
        self, path: str, body: dict, params: dict | None = None
    ) -> httpx.Response:
        """Send a streaming request; the response is open (close it) and was a 200."""
        request = self.client.build_request(
            "POST",
            self.base_url + path,
            content=encode(body),
            headers=self.stream_headers,
            params=params,
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as error:
            raise from_exception(self.label, error) from error
        if response.status_code == 200:
            return response
        try:
            content = await response.aread()
        except httpx.HTTPError:
            content = b""
        finally:
            await response.aclose()
        raise from_status(
            self.label, response.status_code, content, response.headers.get("retry-after")
        )

    async def chunks(self, response: httpx.Response) -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_raw():
                yield chunk
        except httpx.HTTPError as error:
            raise from_exception(self.label, error) from error


def cut_short(label: str) -> UpstreamError:
    return upstream_failed(f"The {label} API ended the stream before the answer was complete.")


def bad_event(label: str) -> UpstreamError:
    return upstream_failed(f"The {label} API sent a stream event that is not valid JSON.")
