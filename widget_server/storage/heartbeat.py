"""Which server processes are alive, so that what a dead one held can be given back.

Money held for an answer (and an answer being generated) belongs to the process doing the
work. Each process writes a row in ``server_processes`` when it starts and refreshes its
``heartbeat_at`` every ``interval``; a row :data:`DEAD_AFTER_BEATS` intervals old belongs to a
process that was killed, crashed or lost its host. Every process, on each of its beats (and
at start, for the process it may replace), runs the recoveries that concerns registered
with :meth:`Heartbeat.on_dead_processes`, each with its own query on :func:`is_dead_process`
(billing releases the holds, conversations fail the answers). A process that stops cleanly
ends its work first, then deletes its row.

A process whose event loop stalled for that long is taken for dead too: its row comes back
with its next beat, and what it settles meanwhile still settles correctly (settlement
copes with a hold that was released under it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, delete, exists, insert, select, update

from ..clock import utcnow
from .database import Database
from .schema import server_processes

log = logging.getLogger("widget_server")
DEAD_AFTER_BEATS = 3
# Given the moment before which a heartbeat means death, recover what such processes
# owned; returns how many things it recovered (for the log).
Recovery = Callable[[datetime], Awaitable[int]]


class Heartbeat:
    """This process's row in ``server_processes``, kept fresh by a task of its own."""

    def __init__(self, db: Database, interval_s: float) -> None:
        self.db = db
        self.interval_s = interval_s
        self.process_id = secrets.token_hex(16)
        self._task: asyncio.Task | None = None
        self._recoveries: list[tuple[str, Recovery]] = []

    @property
    def dead_after(self) -> timedelta:
        return timedelta(seconds=self.interval_s * DEAD_AFTER_BEATS)

    def on_dead_processes(self, what: str, recovery: Recovery) -> None:
        """Run ``recovery`` on every beat; ``what`` names what it recovers, for the log."""
        self._recoveries.append((what, recovery))

    def start_beating(self) -> None:
        """Beat (and recover) from now on: once every concern has registered its recovery,
        the first one running at once for the process this one may replace."""
        self._task = asyncio.get_running_loop().create_task(self._beat_forever())

    async def beat(self) -> None:
        """Refresh the row, or write it again if another process took us for dead."""
        now = utcnow()

        def work(conn: Connection) -> None:
            refreshed = conn.execute(
                update(server_processes)
                .where(server_processes.c.id == self.process_id)
                .values(heartbeat_at=now)
            )
            if refreshed.rowcount == 0:
                conn.execute(
                    insert(server_processes).values(
                        id=self.process_id,
                        host=socket.gethostname()[:255],
                        pid=os.getpid(),
                        started_at=now,
                        heartbeat_at=now,
                    )
                )

        await self.db.write(work)

    async def _beat_forever(self) -> None:
        while True:
            await self._recover()
            await asyncio.sleep(self.interval_s)
            try:
                await self.beat()
            except Exception:  # a missed beat is retried; it must not end the server
                log.exception("could not write this process's heartbeat")

    async def _recover(self) -> None:
        alive_since = utcnow() - self.dead_after
        for what, recovery in self._recoveries:
            try:
                recovered = await recovery(alive_since)
            except Exception:
                log.exception("could not recover the %s of dead processes", what)
                continue
            if recovered:
                log.warning("recovered %d %s of server processes that died", recovered, what)

    async def stop(self) -> None:
        """After this process's work has ended: stop beating and remove the row."""
        if self._task is not None:
            self._task.cancel()
        await self.db.write(
            lambda conn: conn.execute(
                delete(server_processes).where(server_processes.c.id == self.process_id)
            )
        )


def is_dead_process(process_id: ColumnElement, alive_since: datetime) -> ColumnElement[bool]:
    """SQL: ``process_id`` names no process that beat since ``alive_since``."""
    return ~exists(
        select(server_processes.c.id).where(
            server_processes.c.id == process_id, server_processes.c.heartbeat_at >= alive_since
        )
    )


def forget_dead_processes(conn: Connection, alive_since: datetime) -> int:
    """Delete the rows of processes that stopped beating before ``alive_since``."""
    removed = conn.execute(
        delete(server_processes).where(server_processes.c.heartbeat_at < alive_since)
    )
    return removed.rowcount or 0
