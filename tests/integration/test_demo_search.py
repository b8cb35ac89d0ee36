"""The symbol search on the demo: the simulated catalogue, end to end through ccxt.pro."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Input

from scalptui.config import FeedSettings
from scalptui.runtime import RunOptions

from ._demo import demo_app, wait_for

WATCHED = ("BTC/USDT:USDT",)
ADDED = "XRP/USDT:USDT"


async def test_search_offers_the_catalogue_and_adding_a_symbol_streams_it(
    tmp_path: Path,
) -> None:
    options = RunOptions(demo_scenario="calm", demo_seed=3, demo_time_scale=5.0)
    app = demo_app(tmp_path, FeedSettings(symbols=WATCHED), options)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: ADDED in app.markets)
        await pilot.press("slash")
        await wait_for(lambda: isinstance(app.screen, CommandPalette))
        search = app.screen.query_one(Input)
        assert search.placeholder == "Search symbols…"
        await pilot.press(*"XRP")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(lambda: app.current == ADDED)
        assert app.watchlist == (*WATCHED, ADDED)

        def streaming() -> bool:
            snap = app.take_snapshot(ADDED)
            return snap is not None and snap.last is not None

        await wait_for(streaming)
        snap = app.take_snapshot(ADDED)
        assert snap is not None and snap.last is not None and 1 < snap.last < 5
        await pilot.press("q")
