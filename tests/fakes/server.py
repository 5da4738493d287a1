"""One aiohttp server on loopback that plays every provider, and its controls.

Routes (``BASE`` is ``http://127.0.0.1:PORT``):

- ``BASE/openai/v1/chat/completions``, ``BASE/xai/v1/chat/completions``
- ``BASE/anthropic/v1/messages``
- ``BASE/gemini/v1beta/models/MODEL:generateContent`` and ``...:streamGenerateContent``
- ``POST BASE/_fake/set``, ``POST BASE/_fake/next``, ``POST BASE/_fake/reset`` (JSON body:
  behaviour fields) and ``GET BASE/_fake/requests``, for callers in another process.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

from aiohttp import web

from .behaviour import (
    MID_STREAM_FAILURES,
    Behaviour,
    Control,
    limit_chunks,
    parse_directive,
    reply_chunks,
    words,
)
from .wire import AnthropicWire, GeminiWire, OpenAIWire, Usage

KEYS = {
    "openai": "fake-openai-key",
    "xai": "fake-xai-key",
    "anthropic": "fake-anthropic-key",
    "gemini": "fake-gemini-key",
}
HANG_S = 600.0
CUT_GRACE_S = 0.25  # see _fail_mid_stream
# Valid JSON that no wire format's event looks like: a text delta, a choice and a
# candidate's content that are numbers where objects belong.
BAD_SHAPE = b'{"type":"content_block_delta","delta":1,"choices":[1],"candidates":[{"content":1}]}'


def _new_wire(provider: str):
    if provider in ("openai", "xai"):
        return OpenAIWire(provider, KEYS[provider])
    if provider == "anthropic":
        return AnthropicWire(KEYS[provider])
    return GeminiWire(KEYS[provider])


def _strip_directive(provider: str, body: dict) -> dict:
    """Find ``[[fake ...]]`` in the last user message (any wire format) and cut it out."""
    items = body.get("contents") if provider == "gemini" else body.get("messages")
    for item in reversed(items or []):
        if item.get("role") != "user":
            continue
        if provider == "gemini":
            parts = [p for p in item.get("parts") or [] if "text" in p]
            for part in parts:
                part["text"], found = parse_directive(part["text"])
                if found:
                    return found
            return {}
        content = item.get("content")
        if isinstance(content, str):
            item["content"], found = parse_directive(content)
            return found
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                part["text"], found = parse_directive(part["text"])
                if found:
                    return found
        return {}
    return {}


async def _handle(request: web.Request, provider: str, control: Control) -> web.StreamResponse:
    wire = _new_wire(provider)
    query = dict(request.query)
    if provider == "gemini":
        model, _, action = request.match_info["target"].partition(":")
        query.update(_model=model, _action=action)
    raw = await request.read()
    entry = {
        "provider": provider,
        "path": request.path,
        "query": dict(request.query),
        "headers": {k.lower(): v for k, v in request.headers.items()},
        "json": None,
        "stream": False,
        "chunks_sent": 0,
        "completed": False,
        "disconnected": False,
        "received_at": time.time(),
    }
    try:
        body = json.loads(raw)
    except ValueError:
        control.remember(entry)
        return web.json_response(wire.error(400), status=400)
    entry["json"] = json.loads(raw)  # as received, directive included
    control.remember(entry)
    if not wire.authorized(request.headers, request.query):
        status, refusal = getattr(wire, "unauthorized", lambda: (401, wire.error(401)))()
        return web.json_response(refusal, status=status)
    refusal = getattr(wire, "refuse", lambda body: None)(body)
    if refusal is not None:
        return web.json_response(refusal, status=400)
    directive = _strip_directive(provider, body)
    behaviour = control.take(provider, directive)
    parsed = wire.parse(body, query)
    if not behaviour.usage:
        parsed.include_usage = False  # stream_options ignored
    entry["stream"] = parsed.stream
    try:
        return await _answer(request, wire, parsed, behaviour, entry)
    except (asyncio.CancelledError, ConnectionError):
        if not entry.get("cut"):
            entry["disconnected"] = True
        raise


async def _answer(request, wire, parsed, behaviour: Behaviour, entry: dict):
    if behaviour.first_delay:
        await asyncio.sleep(behaviour.first_delay)
    fail = behaviour.fail
    if fail and fail.isdigit():
        status = int(fail)
        headers = {"Retry-After": behaviour.retry_after} if behaviour.retry_after else {}
        return web.json_response(wire.error(status), status=status, headers=headers)
    if fail == "hang":
        await asyncio.sleep(HANG_S)
    pieces, truncated = limit_chunks(
        reply_chunks(behaviour, wire.name, parsed.last_user_text), parsed.max_tokens
    )
    usage = Usage(
        prompt=behaviour.prompt_tokens
        if behaviour.prompt_tokens is not None
        else words(parsed.all_text),
        completion=behaviour.completion_tokens
        if behaviour.completion_tokens is not None
        else len(pieces),
        thoughts=behaviour.thoughts,
    )
    if not parsed.stream:
        return await _answer_whole(
            request, wire, parsed, behaviour, pieces, usage, truncated, entry
        )
    return await _answer_stream(request, wire, parsed, behaviour, pieces, usage, truncated, entry)


async def _answer_whole(request, wire, parsed, behaviour, pieces, usage, truncated, entry):
    if behaviour.fail == "cut":
        entry["cut"] = True
        request.transport.close()
        return web.Response()
    if behaviour.fail == "bad_json":
        return web.Response(body=b'{"choices": [', content_type="application/json")
    if behaviour.fail == "stall":
        await asyncio.sleep(HANG_S)
    if behaviour.delay:
        await asyncio.sleep(behaviour.delay * len(pieces))
    entry["chunks_sent"] = len(pieces)
    entry["completed"] = True
    answer = wire.complete(parsed, pieces, usage, truncated)
    if not behaviour.usage:
        answer.pop("usage", None)
    body = json.dumps(answer)  # as aiohttp's json_response writes it
    entry["answer"] = body
    return web.Response(text=body, content_type="application/json")


async def _answer_stream(request, wire, parsed, behaviour, pieces, usage, truncated, entry):
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    for event in wire.stream_start(parsed, usage):
        await response.write(event)
    mid_failure = behaviour.fail if behaviour.fail in MID_STREAM_FAILURES else None
    for index, piece in enumerate(pieces):
        if mid_failure and index == behaviour.fail_after:
            return await _fail_mid_stream(request, response, wire, mid_failure, entry)
        if behaviour.delay and index:
            await asyncio.sleep(behaviour.delay)
        await response.write(wire.stream_chunk(parsed, piece, index))
        entry["chunks_sent"] = index + 1
    if mid_failure:
        return await _fail_mid_stream(request, response, wire, mid_failure, entry)
    for event in wire.stream_end(parsed, usage, truncated):
        await response.write(event)
    entry["completed"] = True
    await response.write_eof()
    return response


async def _fail_mid_stream(request, response, wire, failure: str, entry: dict):
    if failure == "cut":
        entry["cut"] = True
        # The client gets time to read what was sent: aiohttp (under the gateway's httpx)
        # drops bytes it has received but not yet handed on once the connection breaks,
        # which would make what arrives before a cut a matter of scheduling.
        await asyncio.sleep(CUT_GRACE_S)
        request.transport.close()
        return response
    if failure == "stall":
        await asyncio.sleep(HANG_S)
    elif failure == "bad_json":
        await response.write(b"data: {not json" + wire.sse_separator)
    elif failure == "bad_shape":
        await response.write(b"data: " + BAD_SHAPE + wire.sse_separator)
    else:
        await response.write(wire.stream_error())
    await response.write_eof()
    return response


def build_app(control: Control) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)

    def route(provider):
        async def handler(request):
            return await _handle(request, provider, control)

        return handler

    app.router.add_post("/openai/v1/chat/completions", route("openai"))
    app.router.add_post("/xai/v1/chat/completions", route("xai"))
    app.router.add_post("/anthropic/v1/messages", route("anthropic"))
    app.router.add_post("/gemini/v1beta/models/{target}", route("gemini"))

    async def set_default(request):
        control.set(**(await request.json()))
        return web.json_response({"ok": True})

    async def queue_next(request):
        control.next(**(await request.json()))
        return web.json_response({"ok": True})

    async def reset(request):
        control.reset()
        return web.json_response({"ok": True})

    async def requests(request):
        return web.json_response(control.snapshot())

    app.router.add_post("/_fake/set", set_default)
    app.router.add_post("/_fake/next", queue_next)
    app.router.add_post("/_fake/reset", reset)
    app.router.add_get("/_fake/requests", requests)
    return app


def provider_env(base_url: str) -> dict[str, str]:
    """The SPEC §2 variables that point the Legion server at these fakes."""
    return {
        "OPENAI_API_KEY": KEYS["openai"],
        "OPENAI_BASE_URL": f"{base_url}/openai/v1",
        "XAI_API_KEY": KEYS["xai"],
        "XAI_BASE_URL": f"{base_url}/xai/v1",
        "ANTHROPIC_API_KEY": KEYS["anthropic"],
        "ANTHROPIC_BASE_URL": f"{base_url}/anthropic",
        "GEMINI_API_KEY": KEYS["gemini"],
        "GEMINI_BASE_URL": f"{base_url}/gemini",
    }


_ENV_PREFIX = {"openai": "OPENAI", "xai": "XAI", "anthropic": "ANTHROPIC", "gemini": "GEMINI"}


class FakeProviders:
    """Fake OpenAI, xAI, Anthropic and Gemini APIs on one loopback port, in a thread.

    ::

        with FakeProviders() as fake:
            server = ServerProcess(db_url, env=fake.env).start()
            fake.set(reply="Hello there", delay=0.02)   # every request from now on
            fake.next(fail="529")                       # only the next request
            ... fake.requests[-1]["json"] ...           # what the provider received
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.control = Control()
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ------------------------------------------------------------- lifecycle

    def start(self) -> FakeProviders:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            except BaseException as error:
                failure.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-providers", daemon=True)
        self._thread.start()
        ready.wait(15)
        if failure:
            raise failure[0]
        return self

    async def _serve(self) -> None:
        self._runner = web.AppRunner(
            build_app(self.control), access_log=None, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port, backlog=4096)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://{self._host}:{port}"

    def stop(self) -> None:
        if self._loop and self._thread and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(15)

    def __enter__(self) -> FakeProviders:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------- for the Legion server

    @property
    def env(self) -> dict[str, str]:
        return provider_env(self.url)

    def env_for(self, *providers: str) -> dict[str, str]:
        """Only these providers configured (the others' keys set empty)."""
        env = self.env
        for name, prefix in _ENV_PREFIX.items():
            if name not in providers:
                env[f"{prefix}_API_KEY"] = ""
        return env

    # ------------------------------------------------------------- steering and looking

    def set(self, **behaviour) -> None:
        """Change the default behaviour of every later request (see ``Behaviour``)."""
        self.control.set(**behaviour)

    def next(self, **behaviour) -> None:
        """Queue a behaviour for one request (of ``provider=`` if given)."""
        self.control.next(**behaviour)

    def reset(self) -> None:
        self.control.reset()

    @property
    def requests(self) -> list[dict]:
        return self.control.snapshot()

    def wait_for(self, predicate, timeout: float = 10.0) -> list[dict]:
        """Poll the recorded requests until ``predicate(requests)`` holds."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.requests
            if predicate(seen):
                return seen
            if time.monotonic() > deadline:
                raise AssertionError(f"fake providers never saw what was expected: {seen[-3:]}")
            time.sleep(0.02)
