"""The yardstick for the gateway: a bare Quart + hypercorn relay over one aiohttp session.

    python bench/bare_relay.py --port 9200 --upstream http://127.0.0.1:9100/openai/v1 --key KEY

No authentication, no database, no parsing: ``POST /v1/chat/completions`` is forwarded to
the upstream as it came, and the answer's bytes are passed back as they arrive (streamed
or not). What the gateway adds over this is what its features cost (issue 14).
"""

from __future__ import annotations

import argparse
import asyncio

import aiohttp
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, Response, request


def create_relay(upstream: str, key: str) -> Quart:
    app = Quart(__name__)
    state: dict = {}

    @app.before_serving
    async def open_session() -> None:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=600)
        state["session"] = aiohttp.ClientSession(connector=connector, timeout=timeout)

    @app.after_serving
    async def close_session() -> None:
        await state["session"].close()

    @app.post("/v1/chat/completions")
    async def relay():
        body = await request.get_data()
        response = await state["session"].post(
            upstream + "/chat/completions",
            data=body,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        content_type = response.headers.get("Content-Type", "application/json")

        async def passed_on():
            try:
                async for chunk in response.content.iter_any():
                    yield chunk
            finally:
                response.release()

        answer = Response(passed_on(), status=response.status, content_type=content_type)
        answer.timeout = None
        return answer

    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="base URL ending in /v1")
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    config = Config()
    config.bind = [f"127.0.0.1:{args.port}"]
    config.keep_alive_timeout = 75
    asyncio.run(serve(create_relay(args.upstream, args.key), config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
