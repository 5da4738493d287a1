"""Counting every question off the request path, and refreshing the summaries.

A request only hands its question to :meth:`QuestionRecorder.record` (no I/O). A task of
the process reduces the questions that came in the last second to counts
(``context/signals.py``) and adds them to their day rows in one transaction, however many
questions and users there were. Another task, every minute at most, recomputes the
summaries whose user asked something since and whose last computation is at least
``LEGION_USER_CONTEXT_REFRESH`` (5 minutes) old.

A process that dies loses at most its last second of questions (counts, never text).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta

from ..clock import utcnow
from ..storage import Database
from . import history
from .history import DayTally
from .signals import signals_of

log = logging.getLogger("widget_server.context")

FLUSH_INTERVAL_S = 1.0
MAX_WAITING = 20_000  # questions held in memory before new ones are dropped
MAX_QUESTION_CHARS = 4000  # what is read of a question: enough for its topics and intent
MAX_SWEEP_INTERVAL_S = 60.0
SLICE_S = 0.002  # the longest the counting runs before the loop gets a turn


class QuestionRecorder:
    def __init__(self, db: Database, refresh_s: float) -> None:
        self.db = db
        self.refresh = timedelta(seconds=refresh_s)
        self._waiting: list[tuple[int, str, datetime]] = []
        self._arrived = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._dropped = 0
        self._flushing = asyncio.Lock()  # one flush at a time
        self._forgotten: set[int] = set()  # users forgotten while the flush runs
        self._writing: asyncio.Future | None = None  # the last flush's write

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._flush_forever()), loop.create_task(self._sweep())]

    def record(self, user_id: int, question: str) -> None:
        """Count this question for the user (later, in the background)."""
        if not question.strip():
            return
        if len(self._waiting) >= MAX_WAITING:
            self._dropped += 1
            return
        self._waiting.append((user_id, question[:MAX_QUESTION_CHARS], utcnow()))
        self._arrived.set()

    async def forget(self, user_id: int) -> None:
        """Drop the user's questions not yet written (they cleared their history). A flush
        under way leaves theirs out if it is still counting, and is waited for: a clear
        made next then lands after its counts, on PostgreSQL too, where writes run side
        by side."""
        self._waiting = [entry for entry in self._waiting if entry[0] != user_id]
        if self._flushing.locked():
            self._forgotten.add(user_id)
            async with self._flushing:
                pass

    async def flush(self) -> None:
        async with self._flushing:
            await self._flush()

    async def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        self._arrived.clear()
        if self._dropped:
            log.warning("dropped %d questions from user context: too many waiting", self._dropped)
            self._dropped = 0
        if not waiting:
            return
        forgotten = self._forgotten = set()
        try:
            tallies = await self._tally(waiting)
        except asyncio.CancelledError:  # stopping: close() writes them in its last flush
            self._waiting[:0] = [entry for entry in waiting if entry[0] not in forgotten]
            raise
        for key in [key for key in tallies if key[0] in forgotten]:
            del tallies[key]
        now = utcnow()
        # Shielded: a stop while it is being written doesn't undo it (close() waits for it).
        self._writing = asyncio.ensure_future(
            self.db.write(lambda conn: history.record_tallies(conn, tallies, now))
        )
        await asyncio.shield(self._writing)

    async def _tally(
        self, waiting: list[tuple[int, str, datetime]]
    ) -> dict[tuple[int, str], DayTally]:
        """The questions' counts per user and day, reckoned on the event loop a slice at
        a time: a question costs up to a millisecond (4,000 characters), and a second of
        them at once stalled every stream in flight (issue 14)."""
        tallies: dict[tuple[int, str], DayTally] = {}
        slice_started = time.perf_counter()
        for user_id, question, at in waiting:
            key = (user_id, history.day_of(at))
            tallies.setdefault(key, DayTally()).add(signals_of(question))
            if time.perf_counter() - slice_started > SLICE_S:
                await asyncio.sleep(0)  # let the loop run what is ready
                slice_started = time.perf_counter()
        return tallies

    async def _flush_forever(self) -> None:
        while True:
            await self._arrived.wait()
            await asyncio.sleep(FLUSH_INTERVAL_S)  # questions of this second go together
            try:
                await self.flush()
            except Exception:
                log.exception("could not record questions for user context")

    async def refresh_due(self) -> int:
        """Recompute the summaries that are due; returns how many."""
        now = utcnow()
        due = await self.db.read_call(lambda conn: history.due_users(conn, now, self.refresh))
        for start in range(0, len(due), history.REFRESH_BATCH):
            batch = due[start : start + history.REFRESH_BATCH]
            await self.db.write(
                lambda conn, batch=batch: history.refresh_summaries(conn, batch, now)
            )
        return len(due)

    async def _sweep(self) -> None:
        interval = min(MAX_SWEEP_INTERVAL_S, self.refresh.total_seconds() / 2)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.refresh_due()
            except Exception:
                log.exception("could not refresh user context summaries")

    async def close(self) -> None:
        """Stop, writing what is still waiting."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._writing is not None and not self._writing.done():  # a flush stopped mid-write
            try:
                await self._writing
            except Exception:
                log.exception("could not record questions for user context")
        try:
            await self.flush()
        except Exception:
            log.exception("could not record the last questions for user context")
