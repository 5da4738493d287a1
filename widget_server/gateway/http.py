"""The pooled HTTP client every provider call goes through, made once per process.

aiohttp directly by default (``LEGION_UPSTREAM_TRANSPORT=aiohttp``): the fewest layers
between our code and the socket, per request and per chunk, and thousands of concurrent
streams stay cheap. ``httpx-aiohttp`` (httpx's API over aiohttp's connections) and
``httpx`` (httpx's own transport, which slows down at a few hundred streams) remain for
comparison (numbers in bench/README.md); providers see the same interface either way
(providers/transport.py). There is no limit on concurrent connections beyond
:data:`MAX_CONNECTIONS`, and no overall deadline: a stream may last as long as the
provider keeps sending, with the read timeout bounding the silence between two chunks.
"""

from __future__ import annotations

import aiohttp
import httpx

from ..config import Config

MAX_CONNECTIONS = 20_000
KEEPALIVE_EXPIRY_S = 60.0


def make_client(config: Config) -> aiohttp.ClientSession | httpx.AsyncClient:
    if config.upstream_transport == "aiohttp":
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=config.upstream_connect_timeout_s,
            sock_connect=config.upstream_connect_timeout_s,
            sock_read=config.upstream_read_timeout_s,
        )
        connector = aiohttp.TCPConnector(
            limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_EXPIRY_S
        )
        return aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False)
    timeout = httpx.Timeout(
        connect=config.upstream_connect_timeout_s,
        read=config.upstream_read_timeout_s,
        write=config.upstream_read_timeout_s,
        pool=config.upstream_connect_timeout_s,
    )
    limits = httpx.Limits(
        max_connections=MAX_CONNECTIONS,
        max_keepalive_connections=MAX_CONNECTIONS,
        keepalive_expiry=KEEPALIVE_EXPIRY_S,
    )
    if config.upstream_transport == "httpx":
        return httpx.AsyncClient(timeout=timeout, limits=limits, trust_env=False)
    from httpx_aiohttp import AiohttpTransport

    transport = AiohttpTransport(limits=limits, trust_env=False)
    return httpx.AsyncClient(transport=transport, timeout=timeout, trust_env=False)


async def close_client(client: aiohttp.ClientSession | httpx.AsyncClient) -> None:
    if isinstance(client, aiohttp.ClientSession):
        await client.close()
    else:
        await client.aclose()
