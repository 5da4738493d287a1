"""Talking HTTP to a provider through the shared, pooled client.

Two interchangeable stacks behind one interface (``post``, ``post_json``, ``open_stream``,
``chunks``, ``close``): aiohttp directly (the default: the fewest layers per request and
per chunk, bench/README.md), or httpx (its own transport, or over httpx-aiohttp). Every
transport failure and every non-200 answer leaves here as an
:class:`~widget_server.gateway.errors.UpstreamError`, so adapters only deal in success.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import httpx

from ..errors import UpstreamError, from_exception, from_status, upstream_failed


def encode(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def json_object(label: str, content: bytes) -> dict:
    """A provider's answer, which must be a JSON object."""
    try:
        parsed = json.loads(content)
    except ValueError:
        raise upstream_failed(f"The {label} API sent a body that is not JSON.") from None
    if not isinstance(parsed, dict):
        raise upstream_failed(f"The {label} API sent an unexpected body.")
    return parsed


UpstreamClient = aiohttp.ClientSession | httpx.AsyncClient


def make_upstream(
    client: UpstreamClient, label: str, base_url: str, headers: dict[str, str]
) -> AiohttpUpstream | HttpxUpstream:
    """One provider's endpoint on whichever client this process made (gateway/http.py)."""
    if isinstance(client, aiohttp.ClientSession):
        return AiohttpUpstream(client, label, base_url, headers)
    return HttpxUpstream(client, label, base_url, headers)


class HttpxUpstream:
    """One provider's endpoint: base URL, credentials, and the shared httpx client."""

    def __init__(
        self, client: httpx.AsyncClient, label: str, base_url: str, headers: dict[str, str]
    ) -> None:
        self.client = client
        self.label = label  # as shown in error messages: "OpenAI", "Anthropic", ...
        self.base_url = base_url.rstrip("/")
        self.headers = {"Content-Type": "application/json", **headers}
        self.stream_headers = {**self.headers, "Accept": "text/event-stream"}
        self.stream_headers["Accept-Encoding"] = "identity"

    async def post(self, path: str, body: dict, params: dict | None = None) -> bytes:
        """POST ``body`` as JSON; the answer's bytes, once it was a 200."""
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
        return response.content

    async def post_json(self, path: str, body: dict, params: dict | None = None) -> dict:
        return json_object(self.label, await self.post(path, body, params))

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

    async def close(self, response: httpx.Response) -> None:
        """Read to the end: back to the pool; cut short: closed, which stops the provider."""
        await response.aclose()


class AiohttpUpstream:
    """The same over an aiohttp session: no request objects of httpx's between our code and
    the socket, and chunks straight off aiohttp's stream reader."""

    def __init__(
        self, session: aiohttp.ClientSession, label: str, base_url: str, headers: dict[str, str]
    ) -> None:
        self.session = session
        self.label = label
        self.base_url = base_url.rstrip("/")
        self.headers = {"Content-Type": "application/json", **headers}
        self.stream_headers = {**self.headers, "Accept": "text/event-stream"}
        self.stream_headers["Accept-Encoding"] = "identity"

    async def post(self, path: str, body: dict, params: dict | None = None) -> bytes:
        """POST ``body`` as JSON; the answer's bytes, once it was a 200."""
        try:
            async with self.session.post(
                self.base_url + path, data=encode(body), headers=self.headers, params=params
            ) as response:
                content = await response.read()
                status, retry_after = response.status, response.headers.get("retry-after")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise from_exception(self.label, error) from error
        if status != 200:
            raise from_status(self.label, status, content, retry_after)
        return content

    async def post_json(self, path: str, body: dict, params: dict | None = None) -> dict:
        return json_object(self.label, await self.post(path, body, params))

    async def open_stream(
        self, path: str, body: dict, params: dict | None = None
    ) -> aiohttp.ClientResponse:
        """Send a streaming request; the response is open (close it) and was a 200."""
        try:
            response = await self.session.post(
                self.base_url + path,
                data=encode(body),
                headers=self.stream_headers,
                params=params,
            )
        except (aiohttp.ClientError, TimeoutError) as error:
            raise from_exception(self.label, error) from error
        if response.status == 200:
            return response
        try:
            content = await response.read()
        except (aiohttp.ClientError, TimeoutError):
            content = b""
        finally:
            response.release()
        raise from_status(self.label, response.status, content, response.headers.get("retry-after"))

    async def chunks(self, response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
        try:
            async for chunk in response.content.iter_any():
                yield chunk
        except (aiohttp.ClientError, TimeoutError) as error:
            raise from_exception(self.label, error) from error

    async def close(self, response: aiohttp.ClientResponse) -> None:
        """Read to the end: back to the pool; cut short: closed, which stops the provider."""
        if response.content.at_eof():
            response.release()
        else:
            response.close()


def cut_short(label: str) -> UpstreamError:
    return upstream_failed(f"The {label} API ended the stream before the answer was complete.")


def bad_event(label: str) -> UpstreamError:
    return upstream_failed(f"The {label} API sent a stream event that is not valid JSON.")
