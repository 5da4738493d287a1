"""Full garbage collections at quiet moments, not in the middle of a stream (issue 14).

CPython runs a full (generation 2) collection on its own whenever enough objects have
outlived the younger collections. It walks every tracked object while the event loop
waits: 30-70 ms under 300 streams on the 2-core development machine. Every stream in
flight feels that stall at once, so a single one is 2% of a run's chunk gaps, and the
chunk-gap p99 becomes the stall.

So, once serving starts, what start-up made (modules, the app, SQLAlchemy's objects) is
frozen out of the collector's sight, automatic full collections are turned off, and a
task runs them itself: in a lull (no answer in flight, and none started since its last
look, a second before), or, under load that never pauses, at the latest every
``longest_without`` seconds, so that cycles are still freed. Younger collections (a few
milliseconds at most) stay automatic.

From Python 3.14 the collector is incremental (its pauses are short by design) and
ignores the third threshold: there only the freeze is done, and CPython's own schedule
stays in charge.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
from collections.abc import Callable

log = logging.getLogger("widget_server")

# Younger collections since the last full one before a full one is due: CPython's own
# trigger (its default third threshold).
DUE_AFTER = 10
NEVER = 2**31 - 1  # a third threshold never reached: no automatic full collections
INCREMENTAL = sys.version_info >= (3, 14)


class QuietCollector:
    """Runs the full collections of this process in lulls: ``busy()`` says whether
    answers are in flight now, ``started()`` counts the answers ever started."""

    def __init__(
        self,
        busy: Callable[[], bool],
        started: Callable[[], int],
        *,
        check_every: float = 1.0,
        longest_without: float = 60.0,
    ) -> None:
        self.busy = busy
        self.started = started
        self._started_when_seen = started()
        self.check_every = check_every
        self.longest_without = longest_without
        self.last_full = time.monotonic()
        self._thresholds: tuple[int, int, int] | None = None
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        gc.collect()
        gc.freeze()
        self.last_full = time.monotonic()
        if INCREMENTAL:
            return
        self._thresholds = gc.get_threshold()
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, NEVER)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
        gc.unfreeze()

    def collect_if_due(self) -> bool:
        """One full collection if one is due and now is a good moment; whether it ran."""
        started = self.started()
        lull = not self.busy() and started == self._started_when_seen
        self._started_when_seen = started
        if gc.get_count()[2] < DUE_AFTER:
            return False
        if not lull and time.monotonic() - self.last_full < self.longest_without:
            return False
        gc.collect()
        self.last_full = time.monotonic()
        return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.check_every)
            try:
                self.collect_if_due()
            except Exception:  # never the end of this process's full collections
                log.exception("could not decide on a full garbage collection")
