"""The gateway's long-lived objects for one process: the pooled HTTP client, the provider
adapters, the token cache, the money held by requests in flight, and the background tasks
that must finish before exit (settlements of streams whose client left).

Stopping (SIGTERM, after hypercorn's grace period for requests in flight) ends every
request still holding money as if its client had left: what was generated is charged and
the rest of each hold released, before the database closes. Holds of processes that died
without stopping are released by the sweeper of any live one (``storage.heartbeat``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
import httpx

from ..billing.reservations import release_orphaned
from ..clock import utcnow
from ..config import Config
from ..errors import ApiError
from ..security.ratelimit import RateLimiter
from ..services import Services
from ..storage import Database
from ..storage.heartbeat import Heartbeat
from .auth import TokenCache
from .catalog import Catalog, Model, load_catalog, provider_available
from .http import close_client, make_client
from .providers import Provider, build_providers

log = logging.getLogger("widget_server.gateway")
EXTRAS_KEY = "gateway"
# A hold that names no process (made before heartbeats) is released after this.
LEGACY_STALE_RESERVATION = timedelta(hours=6)
# How long stopped requests get to book what they generated, and settlements to land.
ENDING_TIMEOUT_S = 10.0


@dataclass
class Gateway:
    config: Config
    db: Database
    limiter: RateLimiter
    client: aiohttp.ClientSession | httpx.AsyncClient
    providers: dict[str, Provider]
    catalog: Catalog
    heartbeat: Heartbeat
    tokens: TokenCache = field(default_factory=TokenCache)
    background: set[asyncio.Task] = field(default_factory=set)
    # The request tasks holding money now (a Tab each), ended on stop.
    in_flight: set[asyncio.Task] = field(default_factory=set)
    answers_started: int = 0  # ever, in this process: how the collector tells a lull
    # The settings each (user id, app id) was last held with (charging._hold_at_once).
    hold_settings: dict[tuple[int, int], dict] = field(default_factory=dict)

    @classmethod
    def start(cls, services: Services) -> Gateway:
        client = make_client(services.config)
        gateway = cls(
            config=services.config,
            db=services.db,
            limiter=services.limiter,
            client=client,
            providers=build_providers(services.config, client),
            catalog=load_catalog(),
            heartbeat=services.heartbeat,
        )
        services.heartbeat.on_dead_processes("holds", gateway._release_orphaned_holds)
        return gateway

    def resolve_model(self, requested: str | None, app_default: str | None) -> Model:
        """Request, else the app's default, else the server's (SPEC §5.2); 404 if unusable."""
        name = requested or app_default or self.config.default_model
        model = self.catalog.get(name)
        if model is None:
            raise ApiError(404, "model_not_found", f"The model {name!r} does not exist.")
        if not provider_available(model.provider, self.config) or (
            model.provider not in self.providers
        ):
            raise ApiError(
                404,
                "model_not_found",
                f"The model {name!r} is not available on this server (its provider is not "
                "configured).",
            )
        return model

    def alone(self, task: asyncio.Task | None) -> bool:
        """No request but ``task`` holds money now. Only then is a booking run on the event
        loop at once (``Database.write_now``): under load bookings wait for the writer
        thread, which commits many together while the loop relays chunks (at 200 streams
        a booking at once on the loop doubled the chunk-gap p99, bench/README.md)."""
        return self.in_flight <= {task}

    def spawn(self, work: Coroutine) -> asyncio.Task:
        """Run ``work`` to the end even if the request that started it is cancelled."""
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background gateway task failed", exc_info=task.exception())

    async def _release_orphaned_holds(self, alive_since: datetime) -> int:
        return await release_orphaned(self.db, alive_since, utcnow() - LEGACY_STALE_RESERVATION)

    async def close(self) -> None:
        await self._end_in_flight()
        await close_client(self.client)

    async def _end_in_flight(self) -> None:
        """End the requests still holding money as if their clients had left (each books
        what it generated), then wait for every settlement to land."""
        ending = list(self.in_flight)
        for task in ending:
            task.cancel()
        if ending:
            log.warning("ending %d answers still in flight", len(ending))
            await asyncio.wait(ending, timeout=ENDING_TIMEOUT_S)
        while self.background:
            _, pending = await asyncio.wait(list(self.background), timeout=ENDING_TIMEOUT_S)
            if pending:
                log.error("%d settlements did not finish before exit", len(pending))
                break
