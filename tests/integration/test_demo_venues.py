"""``scalptui --demo --exchange binanceusdm,bybit,okx``: the TUI on three venues of one
simulated market, end to end through real ccxt.pro (issue 11's Done-when)."""

from __future__ import annotations

from pathlib import Path

from scalptui.config import FeedSettings
from scalptui.models import AlertKind
from scalptui.runtime import RunOptions
from scalptui.ui.app import ScalpApp
from scalptui.ui.screens import VenueScreen
from scalptui.ui.widgets.venues import VenueTable

from ._demo import demo_app, wait_for

VENUES = ("binanceusdm", "bybit", "okx")
SYMBOL = "BTC/USDT:USDT"


def header(app: ScalpApp) -> str:
    return app.header_bar.lines[0].plain if app.header_bar.lines else ""


async def test_the_demo_on_three_venues_shows_each_and_one_alert_per_leg(tmp_path: Path) -> None:
    feed = FeedSettings(symbols=(SYMBOL,), exchanges=VENUES)
    options = RunOptions(demo_scenario="cascade", demo_seed=7, demo_time_scale=4.0)
    app = demo_app(tmp_path, feed, options)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(lambda: "BN ● BY ● OK ●" in header(app), timeout=90.0)
        assert "SIMULATED" in header(app)

        await pilot.press("v")
        await wait_for(lambda: isinstance(app.screen, VenueScreen))

        def venue_rows() -> list[str]:
            lines = [line.plain for line in app.screen.query_one(VenueTable).lines]
            return [ln for ln in lines if ln.startswith(("Binance", "Bybit", "OKX"))]

        # Every venue prices the same simulated market: three rows with a price and live.
        await wait_for(
            lambda: len(venue_rows()) == 3 and all("● live" in r for r in venue_rows()),
            timeout=90.0,
        )
        assert [r.split()[0] for r in venue_rows()] == ["Binance", "Bybit", "OKX"]
        await pilot.press("escape")

        def alerted(kind: AlertKind) -> list[str]:
            return [
                e.alert.exchange
                for e in app.alert_log.entries
                if e.alert.symbol == SYMBOL and e.alert.kind is kind
            ]

        await wait_for(lambda: bool(alerted(AlertKind.LIQUIDATION_CASCADE)), timeout=120.0)
        await pilot.pause(3.0)
        found = alerted(AlertKind.LIQUIDATION_CASCADE)
        # One line for the asset's leg — never one per venue.
        assert len(found) == 1, found
        # Its exhaustion counts every venue's prints of the episode. (The leg counts those in
        # at its decision: on a loaded machine a sampled venue's came a moment later, and
        # the leg named Bybit alone.)
        await wait_for(lambda: bool(alerted(AlertKind.CASCADE_EXHAUSTED)), timeout=120.0)
        (ended,) = alerted(AlertKind.CASCADE_EXHAUSTED)
        assert {"binanceusdm", "bybit"} <= set(ended.split("+")), ended
        # a demo faster than the wall clock is ahead of it by design: no venue calls that skew
        assert app.book.clock_note() == ""
        await pilot.press("q")
