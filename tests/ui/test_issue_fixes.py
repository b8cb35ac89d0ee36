"""What a trader trips over, each pinned: ladder edges, pause, sizes, alerts, themes, labels."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.color import Color
from textual.pilot import Pilot
from textual.widgets import Static

from scalptui.feed.scripted import MARKETS
from scalptui.models import (
    Alert,
    AlertKind,
    DetectorSnapshot,
    Liquidation,
    MarketInfo,
    Side,
    Source,
    TakerSide,
    Trade,
)
from scalptui.ui import format as fmt
from scalptui.ui.app import MIN_SIZE, ScalpApp
from scalptui.ui.ladder_rows import Edge, LadderRow, build_rows
from scalptui.ui.messages import AlertRaised
from scalptui.ui.screens import AlertDetailScreen
from scalptui.ui.themes import BUILTIN_ORDER, load_themes
from scalptui.ui.widgets.alert_log import LoggedAlert, alert_facts, fit_words, short_facts
from scalptui.ui.widgets.charts import (
    AXIS_LABEL_WIDTH,
    axis_labels,
    funding_axis_range,
    percent_labels,
    price_labels,
    round_ticks,
    time_ticks,
)
from scalptui.ui.widgets.header import HeaderBar
from scalptui.ui.widgets.ladder import LadderView
from scalptui.ui.widgets.lines import LinesWidget
from scalptui.ui.widgets.price import (
    PriceLines,
    price_range_pct,
    spark_points,
    spark_scale,
)
from scalptui.ui.widgets.venues import VenueTable

from ._harness import SYMBOLS, Harness, alert, drained, end_clock

LONG_MESSAGE = (
    "BTC/USDT:USDT LIQUIDATION_CASCADE — Real liquidations: ≥ $470.7k longs in 30 s, 12 prints "
    "(Binance samples: lower bound), price −1.1 %, 3 est. clusters hit, OI −0.8 % in 5 min. "
    "Informational — no trade plan."
)


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


async def test_prices_are_shown_to_the_market_tick_not_to_their_magnitude(
    harness: Harness,
) -> None:
    """A venue lists SOL at a 0.0001 tick (as XRP, SUI or OP are listed at ~$2-5): the
    last, mark and index, the strip, the tape and the venue row keep its fourth decimal,
    where the price's magnitude alone gives two and would hide a 0.1 % move's steps."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        sol = next(s for s in SYMBOLS if s.startswith("SOL/"))
        snap = app.take_snapshot(sol)
        assert snap is not None
        ts = snap.ts + 1000
        app.consume(MarketInfo(ts, "binanceusdm", sol, tick_size=0.0001))
        app.consume(Trade(ts, "binanceusdm", sol, 180.1234, 1.0, TakerSide.BUY))
        app.consume(Liquidation(ts, "binanceusdm", sol, Side.LONG, 179.8766, 10.0, 1798.77, True))
        for _ in range(9):  # the screen's slot for SOL
            if app.current == sol:
                break
            await pilot.press("right_square_bracket")
        await pilot.press("l")  # the tape
        await pilot.pause()
        app.repaint_now()
        app.refresh_slow_panels()
        await pilot.pause()
        price_text = "\n".join(t.plain for t in app.price_panel.query_one(PriceLines).lines)
        assert "Last  180.1234" in price_text
        assert "180.1234" in app.watchlist_strip.lines[0].plain
        assert "at 179.8766" in "\n".join(t.plain for t in app.tape.lines)
        await pilot.press("v")
        await pilot.pause()
        rows = [line.plain for line in app.screen.query_one(VenueTable).lines]
        assert any(line.lstrip().startswith("Binance") and "180.1234" in line for line in rows)


# ---------------------------------------------------------------- alerts in the log


def test_a_cut_alert_ends_at_a_word_with_an_ellipsis() -> None:
    facts = "Real liquidations: ≥ $470.7k longs in 30 s, 12 prints, price −1.1 %"
    cut = fit_words(facts, 24)
    assert cut == "Real liquidations…"  # never a bare "≥"
    assert cell_len(cut) <= 24
    # The side stays with its figure: "≥ $470.7k…" said not whose liquidations.
    assert fit_words(facts, 29) == "Real liquidations…"
    assert fit_words(facts, 35) == "Real liquidations: ≥ $470.7k longs…"
    assert fit_words(facts, 200) == facts


async def test_log_lines_fit_the_log_and_never_cut_a_number(harness: Harness) -> None:
    async with harness.app.run_test(size=(80, 24)) as pilot:
        app = await ready(harness, pilot)
        log = app.alert_log
        app.post_message(AlertRaised(alert(message=LONG_MESSAGE)))
        await pilot.pause()
        width = log.content_size.width
        newest = log.lines[1].plain
        assert all(line.cell_len <= width for line in log.lines)
        assert newest.endswith("…")
        shown_facts = newest.split(" CASCADE ", 1)[1].removesuffix("…")  # the short kind
        full = alert_facts(alert(message=LONG_MESSAGE))
        assert full.startswith(shown_facts) and full[len(shown_facts)] in " ,"


EXHAUSTED = Alert(
    1_767_225_600_000,
    "binanceusdm+bybit+okx",
    "ETH/USDT:USDT",
    AlertKind.CASCADE_EXHAUSTED,
    Side.LONG,
    "ETH/USDT:USDT CASCADE_EXHAUSTED — no long liquidations on Binance for 1 min 18 s after "
    "a peak of ≥ $28.2k/s (Bybit's peak: $1.20M/s, its last print 41 s before); price "
    "+0.84 % off the low (−3.10 % at the low, −2.29 % now since the episode began). Real "
    "liquidations: ≥ $35.8M longs on 3 venues; Binance ≥ $384k over the episode's 2 min "
    "10 s, 40 prints (Binance samples: lower bound). Informational — no trade plan.",
    {
        "notional_usd": 35_800_000.0,
        "lower_bound": True,
        "duration_s": 130.0,
        "off_extreme_pct": 0.84,
        "silent_s": 78.0,
        "current_rate_usd_s": 0.0,
        "exhaustion_ratio": 0.25,
        "decided_by": "binanceusdm",
        "venues": {
            venue: {"usd": 1.0, "prints": 1, "complete": venue == "bybit", "live": True}
            for venue in ("binanceusdm", "bybit", "okx")
        },
    },
    Source.SIMULATED,
)


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        ((80, 24), " EXHAUSTED ≥ $35.8M longs, +0.84 % off the low, none on Binance"),
        ((400, 40), "CASCADE_EXHAUSTED no long liquidations on Binance for 1 min 18 s"),
    ],
)
async def test_an_exhaustion_cut_by_a_narrow_log_shows_its_figures_first(
    harness: Harness, size: tuple[int, int], shown: str
) -> None:
    """At 80 columns an exhaustion on three venues read "… CASCADE_EXHAUSTED no long
    liquidations on Binance for…": no total, no move. Too narrow for its sentence, the
    line gives its figures; wide enough, the sentence as before."""
    async with harness.app.run_test(size=size) as pilot:
        app = await ready(harness, pilot)
        newest = dataclasses.replace(EXHAUSTED, ts=int(end_clock() * 1000))  # the log's top
        app.post_message(AlertRaised(newest))
        await pilot.pause()
        log = app.alert_log
        assert shown in log.lines[1].plain
        assert all(line.cell_len <= log.content_size.width for line in log.lines)


async def test_enter_opens_the_selected_alert_in_full_and_escape_closes(
    harness: Harness,
) -> None:
    async with harness.app.run_test(size=(80, 24)) as pilot:
        app = await ready(harness, pilot)
        app.post_message(AlertRaised(alert(message=LONG_MESSAGE)))
        app.post_message(AlertRaised(alert(symbol="SOL/USDT:USDT", message="SOL newer")))
        await pilot.pause()
        assert app.focused is app.alert_log
        await pilot.press("down")  # from the newest to the one before it
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AlertDetailScreen)
        assert app.screen.alert.message == LONG_MESSAGE
        body = str(app.screen.query_one(Static).render())
        # The whole message (wrapped here at the screen's width) and its facts.
        assert LONG_MESSAGE in body.replace("\n", " ") and "usd" in body
        # Wrapped at spaces, but never between a number and its unit.
        assert "\n" in body.split("\n\n")[1]  # the message paragraph wrapped here
        lines = body.splitlines()
        assert not any(line.startswith(("%", "s,", "min", "longs")) for line in lines)
        assert not any(line.endswith(("−1.1", "≥", "30")) for line in lines)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AlertDetailScreen)


async def test_the_log_is_in_time_order_whatever_order_alerts_arrive_in(
    harness: Harness,
) -> None:
    """On several venues an alert carries its deciding venue's time, which may lag
    another's by seconds: appended as they came, the log read 12:25:08 above 12:25:01
    above 12:25:06. The alert selected stays selected."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        before = len(app.alert_log.entries)
        t0 = max((e.alert.ts for e in app.alert_log.entries), default=1_767_225_600_000)
        app.post_message(AlertRaised(alert(message="at 2", ts=t0 + 2_000)))
        app.post_message(AlertRaised(alert(message="at 8", ts=t0 + 8_000)))
        await pilot.pause()
        app.alert_log.focus()
        await pilot.press("down")  # "at 2", the one before the newest
        await pilot.pause()
        app.post_message(AlertRaised(alert(message="at 1", ts=t0 + 1_000)))
        app.post_message(AlertRaised(alert(message="at 6", ts=t0 + 6_000)))
        await pilot.pause()
        logged = [e.alert.message for e in list(app.alert_log.entries)[before:]]
        assert logged == ["at 1", "at 2", "at 6", "at 8"]
        selected = app.alert_log.selected_alert
        assert selected is not None and selected.message == "at 2"
        # a history restored at start was written as the alerts arrived: read in time too
        restored = [LoggedAlert(alert(message=f"at {n}", ts=t0 + n * 1_000)) for n in (9, 7)]
        app.alert_log.extend(restored)
        logged = [e.alert.message for e in list(app.alert_log.entries)[before:]]
        assert logged == ["at 1", "at 2", "at 6", "at 7", "at 8", "at 9"]


async def test_a_line_built_before_the_styles_came_is_plain_not_a_crash(harness: Harness) -> None:
    """An alert raised in the log's first frame on a loaded machine (mounted, its CSS not
    applied yet) raised KeyError out of the app: the part is plain until the styles come."""
    from rich.style import Style

    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        assert app.alert_log.part("alert--no-such-part") == Style()
        assert app.alert_log.part("alert--title") != Style()  # the styled ones are as before


async def test_the_log_names_symbols_by_base_asset_unless_two_share_it(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        app.post_message(AlertRaised(alert(symbol="ETH/USDT:USDT", message="one")))
        await pilot.pause()
        assert " ETH LIQUIDATION_CASCADE" in app.alert_log.lines[1].plain
        assert "ETH/USDT:USDT" not in app.alert_log.lines[1].plain
        app.post_message(AlertRaised(alert(symbol="ETH/USD:ETH", message="two")))
        await pilot.pause()
        assert " ETH/USD:ETH LIQUIDATION_CASCADE" in app.alert_log.lines[1].plain
        assert " ETH/USDT:USDT LIQUIDATION_CASCADE" in app.alert_log.lines[2].plain


async def test_m_dims_the_symbols_alerts_already_in_the_log(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        app.post_message(AlertRaised(alert(symbol=app.current, message="before the mute")))
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        mine = [e for e in app.alert_log.entries if e.alert.symbol == app.current]
        assert mine and all(e.muted for e in mine)
        assert "(muted)" in app.alert_log.lines[1].plain
        await pilot.press("m")
        await pilot.pause()
        assert not any(e.muted for e in app.alert_log.entries if e.alert.symbol == app.current)


# ---------------------------------------------------------------- sizes


def texts(widget: LinesWidget) -> list[str]:
    return [line.plain for line in widget.lines]


async def test_at_80x24_no_number_and_no_key_is_cut(harness: Harness) -> None:
    async with harness.app.run_test(size=(80, 24)) as pilot:
        app = await ready(harness, pilot)
        snap = app.take_snapshot()
        assert snap is not None and snap.index is not None
        price_lines = app.price_panel.query_one(PriceLines)
        width = price_lines.content_size.width
        assert all(len(t) <= width for t in texts(price_lines))
        assert any(fmt.price(snap.index) in t for t in texts(price_lines))
        keys = app.key_hints
        assert all(len(t.rstrip()) <= 80 for t in texts(keys))
        assert texts(keys)[0].rstrip().endswith("? help  q quit")
        header = texts(app.header_bar)[0]
        assert len(header) <= 80 and "SIMULATED" in header and header.rstrip().endswith("UTC")


async def test_a_long_watchlist_scrolls_to_keep_the_selection_visible(harness: Harness) -> None:
    async with harness.app.run_test(size=(80, 24)) as pilot:
        app = await ready(harness, pilot)
        app.watchlist = MARKETS[:10]
        for key, symbol in (("9", MARKETS[8]), ("right_square_bracket", MARKETS[9])):
            await pilot.press(key)
            await pilot.pause()
            strip = texts(app.watchlist_strip)[0]
            assert app.current == symbol
            assert f" {fmt.short_symbol(symbol)} " in strip
            assert len(strip) <= 80 and strip.startswith("‹")
        await pilot.press("1")
        await pilot.pause()
        assert texts(app.watchlist_strip)[0].rstrip().endswith("›")


async def test_at_the_minimum_size_every_badge_the_clock_and_help_remain(
    harness: Harness,
) -> None:
    async with harness.app.run_test(size=MIN_SIZE) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("p")
        await pilot.pause()
        header = texts(app.header_bar)[0]
        assert len(header) <= MIN_SIZE[0]
        assert "SIMULATED" in header and "PAUSED" in header
        assert re.search(r"\d\d:\d\d:\d\d", header)
        hints = texts(app.key_hints)[0]
        assert "? help" in hints and "q quit" in hints
        assert not app.query_one("#too-small").display
        assert app.ladder.rows and app.alert_log.region.height >= 3


async def test_below_the_minimum_size_one_line_says_so(harness: Harness) -> None:
    async with harness.app.run_test(size=(60, 20)) as pilot:
        app = await ready(harness, pilot)
        notice = app.query_one("#too-small", Static)
        assert notice.display and notice.region.height == 1
        assert "terminal too small" in str(notice.render())
        assert f"{MIN_SIZE[0]}×{MIN_SIZE[1]}" in str(notice.render())
        assert not app.query_one("#main").display and not app.header_bar.display
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert not notice.display and app.query_one("#main").display


async def test_the_alert_log_takes_keys_again_after_the_terminal_was_too_small(
    harness: Harness,
) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        assert app.focused is app.alert_log
        await pilot.resize_terminal(60, 15)
        await pilot.pause()
        assert app.focused is None  # the panels are hidden
        await pilot.resize_terminal(100, 30)
        await pilot.pause(0.2)
        assert app.focused is app.alert_log
        await pilot.press("down")
        assert app.alert_log.selected == 1


async def test_x_and_m_do_nothing_while_the_terminal_is_too_small(harness: Harness) -> None:
    """The panels are hidden: an x took off a symbol nobody saw, said by a passing notice."""
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        watched = app.watchlist
        await pilot.resize_terminal(60, 15)
        await pilot.pause()
        await pilot.press("x", "m")
        assert app.watchlist == watched and app.current not in app.mutes
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        await pilot.press("m")
        assert app.current in app.mutes


# ---------------------------------------------------------------- themes


async def test_t_says_which_theme_is_now_active(harness: Harness) -> None:
    said: list[str] = []
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        original = app.notify

        def notify(message: str, **kwargs: object) -> None:
            said.append(message)
            original(message, **kwargs)  # type: ignore[arg-type]

        app.notify = notify  # type: ignore[method-assign]
        await pilot.press("t")
        assert said[-1] == f"Theme: {app.theme}" and app.theme == "scalptui-light"


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = Color.parse(colour).rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_the_panel_divider_stands_out_in_every_builtin_theme() -> None:
    """WCAG's 3:1 for non-text contrast, divider against the background."""
    for theme in load_themes(None).themes:
        if theme.name not in BUILTIN_ORDER:
            continue
        assert theme.background is not None
        colours = sorted((_luminance(theme.variables["divider"]), _luminance(theme.background)))
        assert (colours[1] + 0.05) / (colours[0] + 0.05) >= 3.0, theme.name


# ---------------------------------------------------------------- price panel, chart, tape


async def test_the_1h_change_is_known_from_the_warm_start_and_the_sparkline_has_a_scale(
    harness: Harness,
) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        snap = app.take_snapshot()
        assert snap is not None and snap.change_1h_pct is None  # less than an hour of live data
        lines = texts(app.price_panel.query_one(PriceLines))
        hour = re.search(r"1h ([+−]\d+\.\d\d %)", "\n".join(lines))
        assert hour
        assert re.search(r"\d+m range \d+\.\d+ %", lines[0])
        # The strip reads the same 1 h change (it read none for the first hour).
        app.refresh_slow_panels()
        strip = app.watchlist_strip.lines[0].plain
        assert hour.group(1) in strip, strip


async def test_the_strip_reads_the_same_price_as_last_at_every_repaint(harness: Harness) -> None:
    """The strip is rebuilt once a second; the symbol on screen follows the price panel's
    rate, so its entry never reads another price than "Last" beside it."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        snap = app.take_snapshot()
        assert snap is not None and snap.last is not None
        stale = tuple(
            dataclasses.replace(item, last=item.last * 0.99)
            if item.symbol == app.current and item.last
            else item
            for item in app.watchlist_strip._items
        )
        app.watchlist_strip.show(stale, app.current)
        shown = fmt.price(snap.last, tick=snap.tick_size)
        assert shown not in texts(app.watchlist_strip)[0]
        app.repaint_now()
        await pilot.pause()
        assert shown in texts(app.watchlist_strip)[0]


def test_the_sparkline_shows_the_seconds_of_a_crash_still_in_progress() -> None:
    """A minute flat at 100, then −5 % in the last three seconds: the sparkline's newest
    point is the price now and its range holds the whole drop (the 1m change's)."""
    ts = tuple(range(0, 63_000, 1000))
    prices = tuple(100.0 if t < 60_000 else 95.0 for t in ts)
    points, _, gap = spark_points(ts, prices)
    assert points[-1] == 95.0 and not gap
    assert price_range_pct(points) == pytest.approx(100 / 95 * 100 - 100)
    assert spark_points(ts[:20], prices[:20]) == ((), 0, False)  # two buckets: no shape yet


def test_the_sparkline_label_gives_the_time_it_covers_across_an_outage() -> None:
    """Points are 10 s buckets with a price: counted, a two-minute outage inside the
    sparkline made "1m range" of three minutes and fifty seconds."""
    ts = (*range(0, 60_000, 1000), *range(180_000, 230_000, 1000))
    prices = tuple(100.0 + (t // 1000) * 0.01 for t in ts)
    points, span_ms, gap = spark_points(ts, prices)
    assert len(points) == 11
    # the step across the outage was drawn as the market's, nothing to tell it apart
    assert gap and spark_scale(points, span_ms, gap=gap).endswith(" %, gap")
    assert spark_scale(points, span_ms, gap=gap).startswith("3m range ")


async def test_the_sparkline_redraws_a_crash_at_once_and_a_drift_at_most_every_3_s(
    harness: Harness,
) -> None:
    """Its two rows are most of what a quiet screen sends: a move inside the range drawn
    waits, a move a visible step past it (a crash) is drawn at the next tick."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        snap = app.take_snapshot()
        assert snap is not None
        t0 = (snap.ts // 10_000 + 1) * 10_000  # the start of a 10 s bucket
        ts = tuple(range(t0 - 60_000, t0 + 1_000, 1000))

        def show(last: float, at: int) -> list[float]:
            prices = (*(100.0 + i % 2 for i in range(len(ts) - 1)), last)
            moved = dataclasses.replace(snap, ts=at, price_ts=ts, prices=prices, last=last)
            app.price_panel.show(moved)
            return list(app.price_panel._spark.data or ())

        assert show(100.5, t0 + 1_000)[-1] == 100.5
        assert show(100.6, t0 + 1_500)[-1] == 100.5  # inside the range: waits
        assert show(100.6, t0 + 4_100)[-1] == 100.6  # ... at most 3 s
        assert show(95.0, t0 + 4_200)[-1] == 95.0  # a crash: at once


def test_oi_axis_labels_are_compact_and_one_width() -> None:
    for low, high in ((2_914_407_062.1, 2_950_000_000.0), (79_997.3, 80_695.6), (0.4, 0.9)):
        labels = axis_labels(round_ticks(low, high))
        assert len({len(label) for label in labels}) == 1 and len(labels[0]) == AXIS_LABEL_WIDTH
        assert len(set(labels)) == len(labels)  # neighbouring ticks read differently
    assert axis_labels(round_ticks(2_914_407_062.1, 2_950_000_000.0))[0].strip() == "2.92B"
    assert all(len(p) == AXIS_LABEL_WIDTH for p in percent_labels([-0.0047, 0.0142]))
    assert percent_labels([-0.0047])[0].strip() == "−0.0047"
    # Ticks finer than 4 decimals get the decimals that tell them apart.
    fine = percent_labels(round_ticks(0.011300, 0.011320))
    assert len(set(fine)) == len(fine) > 1


def test_funding_axis_is_never_finer_than_a_ten_thousandth_of_a_percent() -> None:
    """Three venues' rates differing in the fifth decimal made labels like ``0.0100568``,
    wider than the axis; they are one rate to a trader."""
    rates = [0.0100568, 0.0100612, 0.0100590]
    labels = percent_labels(round_ticks(*funding_axis_range(rates)))
    assert len(labels) >= 2
    assert all(len(label) == AXIS_LABEL_WIDTH for label in labels)
    assert all(len(label.strip().split(".")[1]) == 4 for label in labels)
    low, high = funding_axis_range(rates)
    assert low <= min(rates) and high >= max(rates)
    assert funding_axis_range([-0.01, 0.03]) == (-0.01, 0.03)  # a real range is kept


def test_chart_axes_tick_at_round_prices_and_round_times() -> None:
    ticks = round_ticks(99_983.9, 100_027.4)
    assert ticks == [99_990.0, 100_000.0, 100_010.0, 100_020.0]
    # Separators and one width, as every price on screen; not plotext's ``100027.4``.
    assert price_labels(ticks) == [" 99,990", "100,000", "100,010", "100,020"]
    assert price_labels(round_ticks(2.3124, 2.3301)) == ["2.315", "2.320", "2.325", "2.330"]
    assert price_labels(round_ticks(0.41234, 0.41877)) == ["0.414", "0.416", "0.418"]
    assert round_ticks(150.22, 150.22) == [150.22]
    for low, high in ((0.0099, 0.0101), (1.0, 1e6), (96_300.0, 103_500.0)):
        assert 2 <= len(round_ticks(low, high)) <= 5
    # Time ticks at round steps back from now, never at odd minutes.
    assert time_ticks(3300) == ([-45.0, -30.0, -15.0, 0.0], ["−45m", "−30m", "−15m", "now"])
    assert time_ticks(25) == ([-20 / 60, -10 / 60, 0.0], ["−20s", "−10s", "now"])
    assert time_ticks(7200, most=3)[1] == ["−2h", "−1h", "now"]
    # A symbol's first minutes: a 30 s step read "−2m −2m −1m −1m −30s now".
    labels = time_ticks(150, most=7)[1]
    assert labels == ["−2m30s", "−2m", "−1m30s", "−1m", "−30s", "now"]


async def test_tape_columns_line_up(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("l")
        await pilot.pause()
        rows = [t for t in texts(app.tape)[1:] if " liquidated " in t]
        assert len({len(r.split(" at ")[0]) for r in rows}) == 1
        assert len({r.index("  binanceusdm") for r in rows}) == 1
        assert len({fmt.short_symbol(s) for s in SYMBOLS}) > 1


def test_a_cut_keeps_a_number_with_its_unit() -> None:
    facts = "4 prints, price −0.4 %, OI +0.2 % in 5 min"
    assert fit_words(facts, 22) == "4 prints, price…"
    assert fit_words(facts, 24) == "4 prints, price −0.4 %…"


def test_the_short_exhaustion_line_names_whose_silence_it_is() -> None:
    """On several venues the silence is the deciding venue's: "none for 1 min 18 s" beside
    the asset's total read as no liquidations anywhere. After an outage it says so."""
    assert "none on Binance for 1 min 18 s, over 2 min 10 s" in (short_facts(EXHAUSTED) or "")
    alone = {k: v for k, v in EXHAUSTED.facts.items() if k not in ("decided_by", "venues")}
    one_venue = dataclasses.replace(EXHAUSTED, exchange="binanceusdm", facts=alone)
    assert ", none for 1 min 18 s, " in (short_facts(one_venue) or "")
    gap = dataclasses.replace(one_venue, facts={**alone, "feed_gap": True})
    assert "none for 1 min 18 s since the feed came back" in (short_facts(gap) or "")


def test_the_short_exhaustion_line_of_a_later_leg_names_the_leg() -> None:
    """Its figures are the leg's: without "leg 2" they read as the whole episode's."""
    second = dataclasses.replace(EXHAUSTED, facts={**EXHAUSTED.facts, "leg": 2})
    assert (short_facts(second) or "").startswith("leg 2: ")
    assert not (short_facts(EXHAUSTED) or "").startswith("leg")


@pytest.mark.parametrize(
    ("realized_long", "realized_short", "part"),
    [(3e6, 0.0, "ladder--realized-long"), (1e5, 3.4e6, "ladder--realized-short")],
)
def test_realised_liquidations_take_the_colour_of_the_side_liquidated(
    realized_long: float, realized_short: float, part: str
) -> None:
    """After a squeeze the shorts' liquidations sit on rows below the price, beside the
    longs' bars, in one gold for both sides: they read as longs liquidated."""
    from scalptui.ui.ladder_rows import LadderRow
    from scalptui.ui.widgets.ladder import _Columns, _row_key

    row = LadderRow(
        101_500.0, 101_750.0, long_usd=6.2e6,
        realized_long_usd=realized_long, realized_short_usd=realized_short,
    )  # fmt: skip
    key = _row_key(row, _Columns(label=8, bar=20, real=True, tick=1.0), 1e7, False, True)
    assert key[8] is not None and key[8].strip().startswith("✱≥$3.")
    assert key[9] == part


async def test_without_colour_the_current_slot_and_alert_are_in_reverse_video(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under NO_COLOR every colour is greyed by its lightness: the current watchlist
    slot's change (an up/down colour on a tint) read grey on grey, and so did the
    selected alert."""
    from scalptui.ui.widgets.alert_log import AlertLog
    from scalptui.ui.widgets.watchlist import WatchlistStrip

    from ._harness import build

    monkeypatch.setenv("NO_COLOR", "1")
    harness = build(tmp_path)
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        assert app.no_color
        strip = app.query_one(WatchlistStrip)
        current = strip.get_component_rich_style("watch--current")
        up = strip.get_component_rich_style("watch--up")
        assert current.reverse and up.color == strip.get_component_rich_style("watch--down").color
        log = app.query_one(AlertLog)
        assert log.get_component_rich_style("alert--cursor").reverse


@pytest.mark.parametrize(("source", "said"), [(Source.LIVE, True), (Source.SIMULATED, False)])
async def test_a_live_screen_reading_the_market_late_says_so_in_its_header(
    harness: Harness, source: Source, said: bool
) -> None:
    """On a starved core alerts came seconds after their moment while every chip read
    live: messages kept coming, only old. (A simulator's clock may run at another pace
    than the wall's, so only a live venue is judged.)"""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        app.source = source
        now_ms = int(app.clock() * 1000)
        symbol = app.current
        for ts in range(now_ms - 300 - 20_000, now_ms - 299, 1_000):  # on time
            app.consume(Trade(ts, "binanceusdm", symbol, 100.0, 1.0, TakerSide.BUY))
        app.repaint_now()
        assert "BEHIND" not in header_text(app)
        app.consume(Trade(now_ms - 8_300, "binanceusdm", symbol, 100.0, 1.0, TakerSide.BUY))
        app.repaint_now()
        assert ("8 s BEHIND" in header_text(app)) is said
