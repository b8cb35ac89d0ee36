"""What a trader trips over, each pinned: ladder edges, pause, sizes, alerts, themes, labels."""

from __future__ import annotations

import math

from textual.pilot import Pilot

from scalptui.models import DetectorSnapshot, TakerSide, Trade
from scalptui.ui import format as fmt
from scalptui.ui.app import ScalpApp
from scalptui.ui.ladder_rows import Edge, LadderRow, build_rows
from scalptui.ui.widgets.header import HeaderBar
from scalptui.ui.widgets.ladder import LadderView
from scalptui.ui.widgets.price import PriceLines

from ._harness import Harness, drained


async def ready(harness: Harness, pilot: Pilot[None]) -> ScalpApp:
    await drained(harness)
    await pilot.pause()
    harness.app.repaint_now()
    harness.app.refresh_slow_panels()
    await pilot.pause()
    return harness.app


def header_text(app: ScalpApp) -> str:
    return " ".join(line.plain for line in app.query_one(HeaderBar).lines)


def everything(harness: Harness, symbol: str) -> DetectorSnapshot:
    """Every level the detector holds for the symbol (its whole reach)."""
    return harness.detectors[0].inner.snapshot(symbol, span_pct=None)


def expected_rows(ladder: LadderView, full: DetectorSnapshot, span: float) -> list[float]:
    price = full.last if full.last is not None else full.mark
    assert price is not None
    rows = build_rows(full.ladder, price, span, len(ladder.rows), full.bin_width)
    return [round(r.total_usd, 2) for r in rows]


def shown(rows: tuple[LadderRow, ...]) -> list[float]:
    return [round(r.total_usd, 2) for r in rows]


async def test_every_ladder_row_shows_its_money_at_every_zoom(harness: Harness) -> None:
    """Rows at the grid's edges hold their levels; the Σ rows hold only what lies beyond."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        ladder = app.query_one(LadderView)
        await pilot.press(*["plus"] * 8)  # the narrowest zoom
        for _ in range(8):
            full = everything(harness, app.current)
            assert shown(ladder.rows) == expected_rows(ladder, full, app.span_pct), app.span_pct
            await pilot.press("minus")
            app.repaint_now()
            await pilot.pause()


async def test_a_zoom_while_paused_rebins_the_frozen_levels(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        ladder = app.query_one(LadderView)
        full = everything(harness, app.current)  # the fed market is still: this is the frozen one
        await pilot.press("p")
        for key in ("minus", "minus", "plus", "plus", "plus"):
            await pilot.press(key)
            await pilot.pause()
            assert shown(ladder.rows) == expected_rows(ladder, full, app.span_pct)
            inner = [r for r in ladder.rows if r.edge is Edge.NONE]
            assert math.isclose(
                sum(r.total_usd for r in ladder.rows),
                sum(b.long_usd + b.short_usd for b in full.ladder),
                rel_tol=1e-9,
            )
            assert inner


async def test_switching_symbol_while_paused_shows_the_frozen_moment(harness: Harness) -> None:
    """The price panel and the watchlist agree while paused, and the header says PAUSED."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        other = app.watchlist[1]
        await pilot.press("p")
        frozen = app.take_snapshot(other)
        assert frozen is not None and frozen.last is not None
        moved = frozen.last * 1.05
        app.consume(Trade(frozen.ts + 1000, "binanceusdm", other, moved, 1.0, TakerSide.BUY))
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert app.current == other and "PAUSED" in header_text(app)
        price_text = "\n".join(t.plain for t in app.price_panel.query_one(PriceLines).lines)
        strip = app.watchlist_strip.lines[0].plain
        assert fmt.price(frozen.last) in price_text and fmt.price(moved) not in price_text
        assert fmt.price(frozen.last) in strip and fmt.price(moved) not in strip
        await pilot.press("p")
        await pilot.pause()
        app.refresh_slow_panels()
        price_text = "\n".join(t.plain for t in app.price_panel.query_one(PriceLines).lines)
        assert fmt.price(moved) in price_text
