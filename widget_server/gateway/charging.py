"""One request's money: hold the worst case before calling upstream, then book the real
usage or give it all back (SPEC §5.3).

The worst case is an upper bound, so that settling rarely needs more than was held:
prompt tokens are bounded by the request's size in bytes (no tokenizer makes more tokens
than bytes), output tokens by the cap we send upstream (the request's ``max_tokens``, else
``LEGION_DEFAULT_MAX_TOKENS``). A provider reporting more is still charged in full as far
as the wallet's free money goes (``billing.settlement``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from sqlalchemy import Connection, and_, bindparam, exists, func, insert, select

from ..billing.pricing import Charge, Prices, price
from ..billing.reservations import (
    Reservation,
    ReservationRefused,
    hold_params,
    hold_update,
    new_reservation,
    release,
    release_in,
    reserve,
    room_beyond_holds,
    shortfall,
)
from ..billing.settlement import LedgerEntry, settle, settle_in
from ..clock import month_key, utcnow
from ..context.profile import COLUMNS as PROFILE_COLUMNS
from ..context.sections import join_sections, user_sections
from ..errors import ApiError
from ..storage.database import result_of
from ..storage.hot import HotStatement
from ..storage.schema import apps, reservations, user_context, users, wallets
from .auth import TOKEN_IS_LIVE, Caller, token_is_live_params
from .catalog import Model
from .plan import Plan, plan_call
from .providers import Usage
from .request import ChatRequest
from .state import Gateway

T = TypeVar("T")
PER_MESSAGE_TOKENS = 8  # role markers and separators a provider adds per message


def prices_of(model: Model) -> Prices:
    return Prices(model.input_micros_per_mtok, model.output_micros_per_mtok)


def worst_case_micros(
    model: Model, request: ChatRequest, context: str, max_tokens: int, margin_bp: int
) -> int:
    """``context``: what the request's system message gains (SPEC §15), priced as well."""
    prompt_bound = (
        request.body_bytes
        + len(context.encode())
        + PER_MESSAGE_TOKENS * (len(request.messages) + 2)
    )
    return price(prices_of(model), prompt_bound, max_tokens, margin_bp).total_micros


def refused(error: ReservationRefused) -> ApiError:
    if error.reason == ReservationRefused.LIMIT_EXCEEDED:
        return ApiError(
            402,
            "limit_exceeded",
            "This request would pass your monthly spending limit; raise it on your Legion "
            "account page.",
        )
    return ApiError(
        402,
        "insufficient_funds",
        "Your Legion wallet can't cover this request; add credit on your account page.",
    )


@dataclass(frozen=True)
class Held:
    """A request's hold, and what it was reckoned with: the app's and user's settings as
    they are now (the token cache may be older), so an ``update-app`` or a newly saved
    preference or profile applies to the very next request."""

    reservation: Reservation
    plan: Plan
    margin_bp: int
    context: str  # the sections for the system message (SPEC §15); "" when none
    saved: object = None  # what hold(then=...) saved with it


# The app's settings and the user's context (preferences, profile, the summary of their
# questions), read in the hold's own transaction: one statement.
_CURRENT_SETTINGS = HotStatement(
    select(
        apps.c.margin_bp,
        apps.c.default_model,
        users.c.preferences,
        *PROFILE_COLUMNS,
        user_context.c.summary,
    )
    .select_from(
        apps.join(users, users.c.id == bindparam("now_user")).outerjoin(
            user_context, user_context.c.user_id == users.c.id
        )
    )
    .where(apps.c.id == bindparam("now_app"))
)


async def hold(
    gateway: Gateway,
    caller: Caller,
    token: str,
    request: ChatRequest,
    plan: Plan,
    then: Callable[[Connection, Held], object] | None = None,
    knowledge: str = "",
) -> Held:
    """Reserve the worst case, or raise the 402 (or the token's 401/403).

    ``then(conn, held)`` runs in the hold's own transaction, and what it returns is
    ``held.saved``: what must exist only if the money is held (a conversation's question
    and its answer-to-be). What it raises undoes the hold too. ``knowledge`` is the
    request's ``[App Knowledge Base]`` section, found before: it joins the user's sections
    in ``held.context`` and is priced with them."""
    for attempt in range(2):
        try:
            return await _reserve_uncancelled(gateway, caller, request, plan, then, knowledge)
        except ReservationRefused as error:
            if error.reason != ReservationRefused.GUARD_FAILED:
                raise refused(error) from None
            # The token died since it was cached: this raises its 401 or 403.
            caller.context = await gateway.tokens.refresh(gateway.db, token, caller.token_hash)
            if attempt:
                break
    raise ApiError(
        401,
        "invalid_token",
        "The access token can't be used right now.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


async def _reserve_uncancelled(
    gateway: Gateway,
    caller: Caller,
    request: ChatRequest,
    plan: Plan,
    then: Callable[[Connection, Held], object] | None,
    knowledge: str,
) -> Held:
    """One write transaction: read the current settings, hold the worst case (on
    PostgreSQL, usually one statement: :func:`_hold_at_once`; on SQLite with the writer
    idle, right here without a task: :meth:`Database.write_now`).

    If the request is cancelled (the client left) while the hold is being written, the
    hold still lands; it is then released at once rather than left to the stale sweeper.
    """
    live = token_is_live_params(caller.token_hash, utcnow())
    settings_params = {"now_user": caller.user_id, "now_app": caller.app.id}

    def work(conn: Connection) -> Held:
        settings = _CURRENT_SETTINGS.first(conn, settings_params)
        if settings is None:  # the app was deleted: so are its tokens
            raise ReservationRefused(ReservationRefused.GUARD_FAILED)
        if not gateway.db.is_sqlite:
            _remember_hold_settings(gateway, caller, settings)  # for the next _hold_at_once
        priced = _priced(gateway, request, plan, settings, knowledge)
        reservation = reserve(
            conn,
            caller.user_id,
            priced.amount,
            guard=TOKEN_IS_LIVE,
            guard_params=live,
            process_id=gateway.heartbeat.process_id,
        )
        held = priced.held(reservation)
        return held if then is None else replace(held, saved=then(conn, held))

    now = gateway.db.write_now(work)  # SQLite, writer idle: no task, nothing to cancel
    if now is not None:
        return result_of(now)

    async def holding() -> Held:
        if then is None and not gateway.db.is_sqlite:
            held = await _hold_at_once(gateway, caller, request, plan, knowledge, live)
            if held is not None:
                return held
        return await gateway.db.write(work, inline=True)

    task = asyncio.ensure_future(holding())
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.add_done_callback(lambda done: _release_orphan(gateway, done))
        raise


@dataclass(frozen=True)
class _Priced:
    """The worst case of a request under given settings, and what it was reckoned with."""

    plan: Plan
    margin_bp: int
    context: str
    amount: int

    def held(self, reservation: Reservation) -> Held:
        return Held(reservation, self.plan, self.margin_bp, self.context)


def _priced(
    gateway: Gateway, request: ChatRequest, plan: Plan, settings: Mapping, knowledge: str
) -> _Priced:
    margin_bp, default_model = settings["margin_bp"], settings["default_model"]
    current = plan
    if not request.model and default_model != plan.app_default_model:
        current = plan_call(gateway, request, default_model)  # may raise its 404
    context = join_sections(user_sections(request, settings), knowledge)
    amount = worst_case_micros(current.model, request, context, current.max_tokens, margin_bp)
    return _Priced(current, margin_bp, context, amount)


# The hold as one statement (PostgreSQL): the settings the amount was priced with must
# still be the current ones, and then the wallet's UPDATE (with its guard) and the
# reservation's INSERT run together. Its row: whether it held, and the current settings.
_SETTING_COLUMNS = _CURRENT_SETTINGS.statement.selected_columns


def _hold_at_once_statement():
    current = _CURRENT_SETTINGS.statement.cte("now_settings")
    unchanged = and_(
        *(
            current.c[column.name].is_not_distinct_from(
                bindparam("was_" + column.name, type_=column.type)
            )
            for column in _SETTING_COLUMNS
        )
    )
    held = (
        hold_update(TOKEN_IS_LIVE)
        .where(exists(select(current.c.margin_bp).where(unchanged)))
        .returning(wallets.c.user_id)
        .cte("held")
    )
    kept = (
        insert(reservations)
        .from_select(
            ["id", "user_id", "amount_micros", "created_at", "process_id"],
            select(
                bindparam("new_id", type_=reservations.c.id.type),
                held.c.user_id,
                bindparam("new_amount", type_=reservations.c.amount_micros.type),
                bindparam("new_at", type_=reservations.c.created_at.type),
                bindparam("new_process", type_=reservations.c.process_id.type),
            ).select_from(held),
        )
        .returning(reservations.c.id)
        .cte("kept")
    )
    is_held = select(func.count()).select_from(kept).scalar_subquery().label("is_held")
    return select(is_held, *current.c).select_from(current)


_HOLD_AT_ONCE = _hold_at_once_statement()
# The settings each (user, app) was last held with, in this process: the expectation of
# the next hold. Kept small; a miss costs one more round trip.
HOLD_SETTINGS_KEPT = 4096


async def _hold_at_once(
    gateway: Gateway,
    caller: Caller,
    request: ChatRequest,
    plan: Plan,
    knowledge: str,
    live: dict,
) -> Held | None:
    """The hold in one round trip, where :func:`_reserve_uncancelled`'s transaction takes
    five (BEGIN, the settings, the reservation, the wallet, COMMIT): priced with the
    settings this user and app were last held with, and made only if they are still
    current. None leaves it to the transaction: the first hold of a user and app in this
    process, a refusal or a dead token (whose error the transaction finds), a deleted app.
    Settings changed meanwhile are priced again, once."""
    key = (caller.user_id, caller.app.id)
    settings = gateway.hold_settings.get(key)
    for _ in range(2):
        if settings is None:
            return None
        priced = _priced(gateway, request, plan, settings, knowledge)
        if not priced.amount:
            return None
        reservation = new_reservation(caller.user_id, priced.amount)
        now = utcnow()
        params = {
            "now_user": caller.user_id,
            "now_app": caller.app.id,
            **{"was_" + column.name: settings[column.name] for column in _SETTING_COLUMNS},
            **hold_params(caller.user_id, priced.amount, now),
            **live,
            "new_id": reservation.id,
            "new_amount": priced.amount,
            "new_at": now,
            "new_process": gateway.heartbeat.process_id,
        }
        row = await gateway.db.execute_alone(_HOLD_AT_ONCE, params)
        if row is None:  # the app is gone
            gateway.hold_settings.pop(key, None)
            return None
        if row.is_held:
            return priced.held(reservation)
        current = {column.name: row._mapping[column.name] for column in _SETTING_COLUMNS}
        if current == settings:
            return None
        _remember_hold_settings(gateway, caller, current)
        settings = current
    return None


def _remember_hold_settings(gateway: Gateway, caller: Caller, settings: Mapping) -> None:
    known = gateway.hold_settings
    if len(known) >= HOLD_SETTINGS_KEPT:
        known.pop(next(iter(known)))
    known[(caller.user_id, caller.app.id)] = dict(settings)


def _release_orphan(gateway: Gateway, task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is None:
        gateway.spawn(release(gateway.db, task.result().reservation))


async def check_affordable(
    gateway: Gateway, caller: Caller, request: ChatRequest, plan: Plan
) -> None:
    """Raise the 402 a reservation would get, without holding anything (for the 429 path:
    an empty wallet is a 402, never a 429 that clients would retry). It prices with the
    token cache's app settings: only the choice between 402 and 429 can be 30 s stale."""
    amount = worst_case_micros(plan.model, request, "", plan.max_tokens, caller.app.margin_bp)
    async with gateway.db.read() as conn:
        room = await conn.run_sync(room_beyond_holds, caller.user_id, month_key(utcnow()))
    reason = shortfall(room, amount)
    if reason is not None:
        raise refused(ReservationRefused(reason))


class Tab:
    """Settles one reservation exactly once: booked with usage, or released.

    The request task that opens it is in flight until then: a stopping server cancels
    it, and it settles as a request whose client left."""

    def __init__(
        self,
        gateway: Gateway,
        reservation: Reservation,
        entry: LedgerEntry,
        model: Model,
        margin_bp: int,
    ) -> None:
        self.gateway = gateway
        self.reservation = reservation
        self.entry = entry
        self.prices = prices_of(model)
        self.margin_bp = margin_bp
        self._settlement: asyncio.Future | None = None
        self._owner = asyncio.current_task()
        gateway.answers_started += 1
        if self._owner is not None:
            gateway.in_flight.add(self._owner)

    @property
    def closed(self) -> bool:
        return self._settlement is not None

    def charge(self, usage: Usage) -> asyncio.Future:
        """Book the usage: on SQLite, when this request is alone and the writer idle,
        right here (no task, no hand-off to the writer thread); else in a task of its own
        that a cancelled request can't stop."""
        charge = self.charge_of(usage)
        return self._close(
            lambda: settle(self.gateway.db, self.reservation, charge, self.entry),
            now=lambda conn: settle_in(conn, self.reservation, charge, self.entry),
        )

    def charge_once_answered(self, usage: Usage) -> None:
        """Book the usage of an answer that is about to be sent, once the request's task
        has ended (the answer written, or the client gone) rather than on its way out.

        SQLite only: its writes land one at a time in the order they are made, and
        nothing else runs on the event loop between the task's end and this booking, so
        it is still ahead of whatever the client does next. PostgreSQL's writes run side
        by side: there the client's next call could be booked first, so it books before
        the send (a booking after the send was tried and taken back: bench/README.md)."""
        owner = self._owner
        if self.gateway.db.is_sqlite and owner is not None and not owner.done():
            owner.add_done_callback(lambda _: self.charge(usage))
        else:
            self.charge(usage)

    def cancel(self) -> asyncio.Future:
        """Give the reservation back: nothing is charged."""
        return self.settle_with(self.release_in)

    def settle_with(self, work: Callable[[Connection], T]) -> asyncio.Future:
        """Close the tab with ``work``: one transaction that books the usage with
        :meth:`book_in` or gives the hold back with :meth:`release_in`, together with
        whatever else must land with the money (a conversation's saved answer)."""
        return self._close(lambda: self.gateway.db.write(work))

    def charge_of(self, usage: Usage) -> Charge:
        return price(self.prices, usage.prompt_tokens, usage.completion_tokens, self.margin_bp)

    def book_in(self, conn: Connection, usage: Usage) -> Charge:
        return settle_in(conn, self.reservation, self.charge_of(usage), self.entry)

    def release_in(self, conn: Connection) -> None:
        release_in(conn, self.reservation)

    def _close(
        self,
        settlement: Callable[[], Coroutine],
        now: Callable[[Connection], object] | None = None,
    ) -> asyncio.Future:
        """The tab's one settlement: started by the first close (``settlement`` is not
        called after that, so no coroutine is left unawaited); every close returns it.
        ``now``: the same settlement as a transaction that :meth:`Database.write_now` may
        run at once when this request is alone (a failure there is rolled back, and the
        task tries again)."""
        if self._settlement is None:
            at_once = now is not None and self.gateway.alone(self._owner)
            outcome = self.gateway.db.write_now(now) if at_once else None
            if outcome is not None and outcome[0]:  # booked right here
                self._settlement = asyncio.get_running_loop().create_future()
                self._settlement.set_result(outcome[1])
            else:
                self._settlement = self.gateway.spawn(settlement())
            self.gateway.in_flight.discard(self._owner)
        return self._settlement
