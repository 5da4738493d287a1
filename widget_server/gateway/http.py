"""The pooled HTTP client every provider call goes through, made once per process.

httpx's API over aiohttp's connection handling (the ``httpx-aiohttp`` transport) by
default: it keeps thousands of concurrent streams cheap, where httpx's own pool slows
down at a few hundred (numbers in bench/README.md). ``LEGION_UPSTREAM_TRANSPORT=httpx``
selects httpx's own transport. There is no limit on concurrent connections beyond
:data:`MAX_CONNECTIONS`, and no overall deadline: a stream may last as long as the
provider keeps sending, with ``read`` bounding the silence between two chunks.
"""

from __future__ import annotations

import httpx

from ..config import Config

MAX_CONNECTIONS = 20_000
KEEPALIVE_EXPIRY_S = 60.0


def make_client(config: Config) -> httpx.AsyncClient:
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
