"""``POST /v1/chat/completions``, from bearer token to booked charge.

The order is the SPEC's promise that nothing is spent on a request that fails early:
authenticate (401/403) → origin (403) → body (400) → model (404) → rate limits (429) →
the app's knowledge for the question (SPEC §15) → hold the worst case (402, with the app's
and the user's current settings and context) → call the provider, the context appended
to the first system message → book the real usage or release.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from quart import Request, Response, g

from ..billing.settlement import LedgerEntry
from ..context import question_recorder
from ..context.sections import with_context
from ..knowledge import knowledge_base
from ..oauth.cors import refuse_foreign_origin_api
from .auth import Caller, bearer_token
from .charging import Held, Tab, check_affordable, hold
from .errors import UpstreamError, upstream_failed
from .limits import rate_limited, seconds_to_wait
from .plan import plan_call
from .providers import Call, Meter, Provider
from .providers.base import prompt_chars
from .relay import SSE_HEADERS, relay
from .request import ChatRequest, parse_chat_request, text_of
from .state import Gateway

log = logging.getLogger("widget_server.gateway")


async def chat_completions(gateway: Gateway, request: Request) -> Response:
    token = bearer_token(request.headers.get("Authorization"))
    caller = await gateway.tokens.caller(gateway.db, token)
    g.legion_app = caller.app
    refuse_foreign_origin_api(request.headers.get("Origin"), caller.app)
    chat = parse_chat_request(await request.get_data())
    plan = plan_call(gateway, chat, caller.app.default_model)
    wait = await seconds_to_wait(gateway, caller)
    if wait is not None:
        await check_affordable(gateway, caller, chat, plan)
        raise rate_limited(wait)
    question = last_question(chat)
    knowledge = await knowledge_base().find(caller.app.id, chat, question)
    held = await hold(gateway, caller, token or "", chat, plan, knowledge=knowledge.section)
    question_recorder().record(caller.user_id, question)  # whatever the flags (SPEC §15)
    model, max_tokens = held.plan.model, held.plan.max_tokens
    call = Call(model, chat, with_context(chat.messages, held.context), max_tokens)
    tab = _tab(gateway, caller, held)
    provider = gateway.providers[model.provider]
    if chat.stream:
        return await _stream(provider, call, tab)
    return await _complete(provider, call, tab)


def last_question(chat: ChatRequest) -> str:
    """The text of the request's last user message: what the knowledge base is searched
    for, and what the user's context counts."""
    for message in reversed(chat.messages):
        if message["role"] == "user":
            return text_of(message.get("content"))
    return ""


def _tab(gateway: Gateway, caller: Caller, held: Held) -> Tab:
    model = held.plan.model
    entry = LedgerEntry(caller.user_id, caller.app.id, caller.app.client_id, model.id)
    return Tab(gateway, held.reservation, entry, model, held.margin_bp)


@contextlib.asynccontextmanager
async def _until_first_byte(provider: Provider, tab: Tab, meter: Meter):
    """Until the first byte reaches the client, a failed call releases the hold (nothing
    is charged) and becomes the API error: the provider's own, or a logged 502 when our
    adapter could not read its answer.

    A client that leaves meanwhile has, all but always, had its prompt sent to the provider,
    which bills it: the prompt is charged (the provider's count where it sent one, else an
    estimate), so that abandoned requests can't make the provider work for free. (Only a
    client leaving while the connection to the provider is still being made pays for a
    prompt the provider never read.)
    """
    try:
        yield
    except UpstreamError as error:
        await asyncio.shield(tab.cancel())
        raise error.api_error() from None
    except Exception:
        await asyncio.shield(tab.cancel())
        log.exception("could not read the answer of provider %s", provider.name)
        unreadable = upstream_failed("The provider sent an answer that could not be read.")
        raise unreadable.api_error() from None
    except BaseException:  # cancelled: the client left
        tab.charge(meter.usage())
        raise


async def _complete(provider: Provider, call: Call, tab: Tab) -> Response:
    async with _until_first_byte(provider, tab, Meter(prompt_chars=prompt_chars(call.messages))):
        completion = await provider.complete(call)
    # Not awaited: the reservation keeps the money held until the booking lands, so the
    # wallet can't be overspent meanwhile; and it lands ahead of anything the client does
    # next (on SQLite once the answer is written, on PostgreSQL handed over before).
    tab.charge_once_answered(completion.usage)
    response = Response(completion.encoded(), content_type="application/json")
    # The body is in memory and goes to the socket at once: no send timeout, for which
    # Quart would run the send in a task of its own with a timer (issue 14).
    response.timeout = None
    return response


async def _stream(provider: Provider, call: Call, tab: Tab) -> Response:
    meter = Meter(prompt_chars=prompt_chars(call.messages))
    pieces = provider.stream(call, meter)
    async with _until_first_byte(provider, tab, meter):
        first = await anext(pieces, None)
        if first is None:
            raise upstream_failed("The provider sent an empty stream.")
    response = Response(relay(first, pieces, tab, meter), headers=SSE_HEADERS)
    response.timeout = None  # a stream lasts as long as the provider keeps sending
    return response
