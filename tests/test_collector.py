"""Full garbage collections only at quiet moments (``widget_server/collector.py``).

In process: the collector changes this process's ``gc`` settings while it runs, and the
tests check that it puts them back."""

from __future__ import annotations

import asyncio
import gc
from types import SimpleNamespace

import pytest

from tests.support.databases import in_own_loop
from widget_server.app import create_app
from widget_server.billing.reservations import Reservation
from widget_server.billing.settlement import LedgerEntry
from widget_server.collector import DUE_AFTER, INCREMENTAL, NEVER, QuietCollector
from widget_server.config import Config
from widget_server.gateway.catalog import load_catalog
from widget_server.gateway.charging import Tab

# From Python 3.14 the collector is incremental and the schedule stays CPython's: there
# only the freeze is done, and the scheduling tests below don't apply.
on_generational_gc = pytest.mark.skipif(INCREMENTAL, reason="CPython's incremental collector")


def make_full_collection_due() -> None:
    """Each collection of generation 1 counts towards the next full one."""
    for _ in range(DUE_AFTER):
        gc.collect(1)


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)
    gc.unfreeze()


@in_own_loop
async def test_start_freezes_what_exists_and_turns_automatic_full_collections_off(thresholds):
    collector = QuietCollector(busy=lambda: False, started=lambda: 0, check_every=60)
    collector.start()
    try:
        assert gc.get_freeze_count() > 0
        if not INCREMENTAL:
            assert gc.get_threshold() == (thresholds[0], thresholds[1], NEVER)
    finally:
        await collector.stop()
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0


@on_generational_gc
@in_own_loop
async def test_a_due_collection_waits_while_answers_are_in_flight(thresholds):
    in_flight = {"answer"}
    collector = QuietCollector(
        busy=lambda: bool(in_flight), started=lambda: 1, check_every=60, longest_without=60
    )
    collector.start()
    try:
        make_full_collection_due()
        assert not collector.collect_if_due()
        assert gc.get_count()[2] >= DUE_AFTER  # still due: nothing ran

        in_flight.clear()
        assert collector.collect_if_due()
        assert gc.get_count()[2] == 0
        assert not collector.collect_if_due()  # no longer due
    finally:
        await collector.stop()


@on_generational_gc
@in_own_loop
async def test_answers_started_since_the_last_look_are_no_lull_even_if_none_is_in_flight(
    thresholds,
):
    started = 0
    collector = QuietCollector(
        busy=lambda: False, started=lambda: started, check_every=60, longest_without=60
    )
    collector.start()
    try:
        make_full_collection_due()
        started += 3  # short answers came and went between two looks
        assert not collector.collect_if_due()
        assert collector.collect_if_due()  # nothing started since: a lull
    finally:
        await collector.stop()


@on_generational_gc
@in_own_loop
async def test_under_load_that_never_pauses_it_still_collects_after_the_longest_wait(thresholds):
    collector = QuietCollector(
        busy=lambda: True, started=lambda: 1, check_every=60, longest_without=0.05
    )
    collector.start()
    try:
        make_full_collection_due()
        assert not collector.collect_if_due()  # busy, and the last one was just now
        await asyncio.sleep(0.06)
        assert collector.collect_if_due()
        assert gc.get_count()[2] == 0
    finally:
        await collector.stop()


@on_generational_gc
@in_own_loop
async def test_its_task_collects_on_its_own(thresholds):
    collector = QuietCollector(busy=lambda: False, started=lambda: 0, check_every=0.01)
    collector.start()
    try:
        started = collector.last_full
        make_full_collection_due()
        for _ in range(100):
            await asyncio.sleep(0.01)
            if collector.last_full > started:
                break
        assert collector.last_full > started
    finally:
        await collector.stop()


@in_own_loop
async def test_a_serving_app_runs_its_own_full_collections_and_gives_them_back(
    tmp_path, thresholds
):
    app = create_app(Config.from_env({"LEGION_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}))
    async with app.test_app():
        extras = app.extensions["legion"].extras
        collector, gateway = extras["collector"], extras["gateway"]
        if not INCREMENTAL:
            assert gc.get_threshold()[2] == NEVER
        # It watches this app's gateway: the answers in flight and those started.
        assert not collector.busy()
        gateway.in_flight.add(asyncio.current_task())
        assert collector.busy()
        gateway.in_flight.clear()
        gateway.answers_started += 1
        assert collector.started() == gateway.answers_started
    assert gc.get_threshold() == thresholds


@in_own_loop
async def test_every_answer_a_tab_opens_counts_as_started_and_in_flight():
    """What the collector's lull rule reads: each request holding money opens a Tab."""
    gateway = SimpleNamespace(in_flight=set(), answers_started=0)
    model = load_catalog().get("gpt-4o-mini")
    for opened in (1, 2):
        Tab(gateway, Reservation(None, 1, 0), LedgerEntry(1, 1, "lgn_x", model.id), model, 0)
        assert gateway.answers_started == opened
    assert gateway.in_flight == {asyncio.current_task()}
