"""The gateway's long-lived objects for one process: the pooled HTTP client, the provider
adapters, the token cache, and the background tasks that must finish before exit
(settlements of streams whose client left)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from ..billing.reservations import release_stale
from ..config import Config
from ..errors import ApiError
from ..security.ratelimit import RateLimiter
from ..services import Services
from ..storage import Database
from .auth import TokenCache
from .catalog import Catalog, Model, load_catalog, provider_available
from .http import make_client
from .providers import Provider, build_providers

log = logging.getLogger("widget_server.gateway")
EXTRAS_KEY = "gateway"
# A reservation older than this belongs to a process that died: give the money back.
STALE_RESERVATION = timedelta(hours=6)
SWEEP_EVERY_S = 600.0


@dataclass
class Gateway:
    config: Config
    db: Database
    limiter: RateLimiter
    client: httpx.AsyncClient
    providers: dict[str, Provider]
    catalog: Catalog
    tokens: TokenCache = field(default_factory=TokenCache)
    background: set[asyncio.Task] = field(default_factory=set)
    sweeper: asyncio.Task | None = None

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
        )
        gateway.sweeper = asyncio.get_running_loop().create_task(gateway._sweep())
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

    async def _sweep(self) -> None:
        while True:
            try:
                released = await release_stale(self.db, STALE_RESERVATION)
                if released:
                    log.warning("released %d stale reservations", released)
            except Exception:
                log.exception("could not release stale reservations")
            await asyncio.sleep(SWEEP_EVERY_S)

    async def close(self) -> None:
        if self.sweeper is not None:
            self.sweeper.cancel()
        if self.background:
            await asyncio.wait(list(self.background), timeout=10)
        await self.client.aclose()
