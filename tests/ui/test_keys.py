"""Every key of the main screen, driven through Pilot on the scripted market."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from textual import events
from textual.binding import Binding
from textual.command import CommandInput, CommandPalette
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.keys import format_key
from textual.pilot import Pilot
from textual.widgets import Static

from scalptui.feed.base import Feed
from scalptui.feed.recording import Recorder, ReplayFeed
from scalptui.models import AlertKind, Liquidation, Side, Source
from scalptui.ui import app as app_module
from scalptui.ui.app import (
    CONFIRM_TIMEOUT_S,
    REMOVE_REPEAT_S,
    THEME_SETTLE_S,
    ZOOM_LEVELS,
    ScalpApp,
)
from scalptui.ui.ladder_rows import grid_for
from scalptui.ui.messages import AlertRaised
from scalptui.ui.screens import KEY_COLUMN, ChartScreen, HelpScreen
from scalptui.ui.widgets.alert_log import AlertLog
from scalptui.ui.widgets.header import HeaderBar
from scalptui.ui.widgets.ladder import LadderView, span_label
from scalptui.ui.widgets.lines import LinesWidget
from scalptui.ui.widgets.tape import LiquidationTape

from ._harness import SYMBOLS, Harness, alert, build, drained, end_clock, script


async def ready(harness: Harness, pilot: Pilot[None]) -> ScalpApp:
    await drained(harness)
    await pilot.pause()
    harness.app.repaint_now()
    await pilot.pause()
    return harness.app


def header_text(app: ScalpApp) -> str:
    return " ".join(line.plain for line in app.query_one(HeaderBar).lines)


@pytest.mark.parametrize("typed", ["DOGE", "dogeusdt", "DOGE-USDT-SWAP"])
async def test_slash_searches_the_markets_and_adds_the_choice(harness: Harness, typed: str) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("slash")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*typed)
        await pilot.pause(0.3)  # the palette debounces its search
        await pilot.press("enter")
        await pilot.pause()
        for worker in [w for w in app.workers if w.group == "symbols"]:
            await worker.wait()
        assert app.current == "DOGE/USDT:USDT"
        assert app.watchlist[-1] == "DOGE/USDT:USDT"
        assert harness.feed.added == ["DOGE/USDT:USDT"]
        assert "DOGE/USDT:USDT" in header_text(app)


@pytest.mark.parametrize("typed", ["dot", "DOTUSDT"])
async def test_the_market_typed_in_full_outranks_fuzzy_matches(
    harness: Harness, typed: str
) -> None:
    # "dot" scores DOGE 5.8 on Textual's fuzzy matcher: DOT came second and Enter took DOGE.
    harness.feed._markets = (*harness.feed._markets, "DOT/USDT:USDT")
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("slash")
        await pilot.press(*typed)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.current == "DOT/USDT:USDT"


async def test_keys_typed_in_one_burst_after_slash_go_into_the_search(harness: Harness) -> None:
    """Over SSH ``/xrp`` typed fast arrives in one read: the letters reached the main
    screen before the search was open and were lost (an empty search)."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        watched = app.watchlist
        for key, char in (("slash", "/"), ("x", "x"), ("r", "r"), ("p", "p")):
            app.post_message(events.Key(key, char))  # all queued before any is handled
        for _ in range(100):  # a loaded machine takes its time to open the search
            await pilot.pause(0.05)
            screen = app.screen
            if isinstance(screen, CommandPalette) and screen.query_one(CommandInput).value == "xrp":
                break
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(CommandInput).value == "xrp"
        assert app.watchlist == watched  # "x" was typed, not run as "remove"


async def test_editing_keys_in_a_burst_apply_in_the_order_typed(harness: Harness) -> None:
    """Backspace×3 then ``doge`` in one read over ``btc`` read ``btcd``: the letters went
    in at once while each backspace went round the app to find its binding, and came
    back after them."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("slash", "b", "t", "c")
        await pilot.pause(0.2)
        field = app.screen.query_one(CommandInput)
        assert field.value == "btc"
        burst = [("backspace", None)] * 3 + [(c, c) for c in "doge"] + [("left", None), ("s", "s")]
        for key, char in burst:
            app.post_message(events.Key(key, char))  # all queued before any is handled
        for _ in range(40):
            await pilot.pause(0.05)
            if field.value == "dogse":
                break
        assert field.value == "dogse"


@pytest.mark.parametrize(
    ("bursts", "typed"),
    [
        ((["/", "b", "t", "c"], ["backspace"] * 3 + ["d", "o", "g", "e"]), "doge"),
        ((["/", "e", "t", "h", "left", "left", "x", "right", "right", "backspace", "y"],), "exty"),
        ((["/", "s", "o", "l", "backspace", "backspace", "backspace", "e", "t", "h"],), "eth"),
    ],
)
async def test_keys_typed_before_the_search_is_open_keep_their_order(
    harness: Harness, bursts: tuple[list[str], ...], typed: str
) -> None:
    """The letters typed before the input was there were put in after those typed once it
    was (``/btc`` then ``⌫⌫⌫doge`` read ``dogebtc``), and backspace and the arrows typed
    before it were lost (``/eth←←x→→⌫y`` read ``yethx``)."""
    names = {"/": "slash"}
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        for burst in bursts:
            for key in burst:
                char = key if len(key) == 1 else None
                app.post_message(events.Key(names.get(key, key), char))
        field = None
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, CommandPalette):
                field = app.screen.query_one(CommandInput)
                if field.value == typed:
                    break
        assert field is not None and field.value == typed


async def test_keys_typed_after_escape_in_the_same_burst_are_the_main_screen_s(
    harness: Harness,
) -> None:
    """``/x⎋]`` in one read: the search closes, ``x`` takes nothing off, and ``]`` (typed
    after the search closed) moves to the next symbol instead of going into it."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        watched = app.watchlist
        for key, char in (
            ("slash", "/"),
            ("x", "x"),
            ("escape", None),
            ("right_square_bracket", "]"),
        ):
            app.post_message(events.Key(key, char))  # fmt: skip
        for _ in range(40):
            await pilot.pause(0.05)
            if app.current != SYMBOLS[0]:
                break
        assert not isinstance(app.screen, CommandPalette)
        assert app.watchlist == watched and app.current == SYMBOLS[1]


async def test_enter_in_the_same_burst_chooses_what_was_typed(harness: Harness) -> None:
    """``/arb⏎`` in one read (SSH, a paste): Enter came before the letters were in the
    input and took the first line of the unfiltered list, the first watched symbol."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        app.switch_to(SYMBOLS[2])
        for key, char in (("slash", "/"), ("d", "d"), ("o", "o"), ("g", "g"), ("e", "e")):
            app.post_message(events.Key(key, char))
        app.post_message(events.Key("enter", "\r"))
        for _ in range(100):  # the palette closes, then runs the choice a moment later
            await pilot.pause(0.05)
            if not isinstance(app.screen, CommandPalette) and app.current != SYMBOLS[2]:
                break
        assert app.current == "DOGE/USDT:USDT"


async def test_enter_on_an_empty_search_changes_nothing(harness: Harness) -> None:
    """It took the first line of the list, and the symbol on screen changed unasked; a
    line the trader moved to is still taken."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        app.switch_to(SYMBOLS[2])
        await pilot.press("slash")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.current == SYMBOLS[2]
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("down", "enter")  # the first line is lit, the next is ETH
        await pilot.pause(0.3)
        assert app.current == SYMBOLS[1]


async def test_ctrl_p_opens_the_same_symbol_search(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"ETH")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.current == "ETH/USDT:USDT"
        assert harness.feed.added == []  # already watched: switch only


async def test_brackets_move_through_the_watchlist_and_wrap(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        assert app.current == SYMBOLS[0]
        await pilot.press("right_square_bracket")
        assert app.current == SYMBOLS[1]
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.current == SYMBOLS[-1]
        assert SYMBOLS[-1] in header_text(app)


async def test_number_keys_pick_watchlist_slots(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("3")
        assert app.current == SYMBOLS[2]
        await pilot.press("1")
        assert app.current == SYMBOLS[0]
        await pilot.press("9")  # no ninth symbol: nothing changes
        assert app.current == SYMBOLS[0]


async def test_x_takes_the_symbol_off_the_watchlist_but_never_the_last(
    harness: Harness,
) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("2")
        await pilot.press("x")
        for worker in [w for w in app.workers if w.group == "symbols"]:
            await worker.wait()
        assert app.watchlist == (SYMBOLS[0], *SYMBOLS[2:])
        assert app.current == SYMBOLS[0]  # the one before it comes on screen
        assert harness.feed.removed == [SYMBOLS[1]]
        saved = json.loads((app.data_dir / "state-simulated.json").read_text())
        assert saved["watchlist"] == list(app.watchlist)
        while len(app.watchlist) > 1:
            app._removed_at = -math.inf  # pressed apart, not held (that is below)
            await pilot.press("x")
        app._removed_at = -math.inf
        await pilot.press("x")  # the last one stays: the screen needs a symbol
        await pilot.pause()
        assert app.watchlist == (SYMBOLS[-1],) and app.current == SYMBOLS[-1]
        assert len(harness.feed.removed) == len(SYMBOLS) - 1


async def test_x_held_down_takes_off_one_symbol_and_says_no_more_than_once(
    harness: Harness,
) -> None:
    """A held (or bounced) x repeats some 30 times a second: it emptied the watchlist in
    a second and then stacked a refusal per press over the screen."""
    notices: list[str] = []
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        app.notify = lambda message, **kw: notices.append(message)  # type: ignore[method-assign]
        await pilot.press("2", *["x"] * 20)
        await pilot.pause()
        assert app.watchlist == (SYMBOLS[0], *SYMBOLS[2:])
        app._removed_at -= REMOVE_REPEAT_S  # a moment later: a press of its own
        await pilot.press("x")
        assert app.watchlist == tuple(SYMBOLS[2:])
        while len(app.watchlist) > 1:
            app._removed_at = -math.inf
            await pilot.press("x")
        notices.clear()
        app._removed_at = -math.inf
        for _ in range(10):  # pressed apart, each refused: one notice on screen
            await pilot.press("x")
            app._removed_at = -math.inf
        assert len(notices) == 1 and "only watched symbol" in notices[0]
        for _ in range(10):
            await pilot.press("ctrl+c")
        assert len(notices) == 2 and "q to quit" in notices[1]


async def test_plus_and_minus_zoom_the_ladder_and_keep_far_clusters_in_edge_rows(
    harness: Harness,
) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        ladder = app.query_one(LadderView)

        def in_view() -> float:
            return sum(r.total_usd for r in ladder.rows if not r.edge)

        def everything() -> float:
            return sum(r.total_usd for r in ladder.rows)

        start, total = app.span_pct, everything()
        await pilot.press("minus")
        assert app.span_pct > start
        wide_view = in_view()
        await pilot.press("plus", "plus")
        assert app.span_pct < start
        narrow_view = in_view()
        assert narrow_view < wide_view
        # Zoom only moves clusters between the view and the edge rows: none is lost.
        assert abs(everything() - total) < 1e-6 * total
        assert ladder.rows[0].edge and ladder.rows[-1].edge


async def test_the_ladder_keeps_its_rows_as_price_crosses_the_next_round_width(
    harness: Harness,
) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        ladder = app.query_one(LadderView)
        snap = app.take_snapshot()
        assert snap is not None and snap.last is not None

        def drawn_at(price: float) -> float:
            ladder.show(dataclasses.replace(snap, last=price), app.span_pct, False)
            inner = [r for r in ladder.rows if not r.edge]
            return inner[0].high - inner[0].low

        rows = ladder.content_size.height - 1
        first = drawn_at(snap.last)
        # the nearest price above at which a fresh grid would take the next width
        moved = next(
            snap.last * (1 + k / 1000)
            for k in range(1, 300)
            if grid_for(snap.last * (1 + k / 1000), app.span_pct, rows, snap.bin_width).width
            != first
        )
        assert moved < snap.last * 1.1
        assert drawn_at(moved) == first
        assert drawn_at(snap.last * 2) != first  # far from it, the width follows the price


async def test_zoom_titles_say_how_far_the_rows_reach_and_plus_stops_at_a_bin_per_row(
    harness: Harness,
) -> None:
    """Rows are whole estimate bins: below some span every zoom level draws the same rows,
    so ``+`` stops there (and says so) instead of retitling them, and the title is the
    reach the rows draw, not the level asked for."""
    said: list[str] = []
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        app.notify = lambda message, **_: said.append(str(message))  # type: ignore[method-assign]
        ladder = app.query_one(LadderView)
        grids: list[tuple[float, float]] = []
        for _ in range(6):
            await pilot.press("plus")
            await pilot.pause()
            inner = [r for r in ladder.rows if not r.edge]
            snap = app.take_snapshot()
            assert snap is not None and snap.last is not None
            reach = (inner[0].high - inner[-1].low) / 2 / snap.last * 100
            assert f"±{span_label(reach)} %" in ladder.lines[0].plain
            grids.append((inner[0].high, inner[-1].low))
        finest = grids.index(grids[-1])
        assert len(set(grids[: finest + 1])) == finest + 1  # every + before it drew new rows
        assert finest < 5 and any("finest" in m for m in said)
        assert app.span_pct == min(ZOOM_LEVELS) or finest < len(ZOOM_LEVELS) - 1
        for _ in range(len(ZOOM_LEVELS) + 3):  # - at the widest said nothing
            await pilot.press("minus")
            await pilot.pause()
        assert app.span_pct == max(ZOOM_LEVELS)
        assert sum("widest" in m for m in said) == 1  # once, not a toast per press


async def test_alerts_while_the_tape_is_shown_leave_no_blank_rows_in_the_log(
    harness: Harness,
) -> None:
    """The log scrolled to its oldest alert, the tape shown, alerts arriving meanwhile:
    back on the log, scrolling to the oldest fills every row (one alert and blanks
    before: the scroll set with the hidden log's one row of room stuck)."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        log = app.alert_log
        post_alerts(app, "old", 12, 1_767_225_600_000)
        await pilot.pause()
        await pilot.press(*["down"] * 8, "l")
        await pilot.pause()
        post_alerts(app, "new", 3, 1_767_225_700_000)
        await pilot.pause()
        await pilot.press("l", *["down"] * 30)
        await pilot.pause()
        room = log.content_size.height - 1
        shown = [line for line in log.lines[1:] if line.plain.strip()]
        assert len(log.entries) > room and len(shown) == room


def post_alerts(app: ScalpApp, label: str, count: int, first_ts: int) -> None:
    """``count`` alerts, ``label 0`` … a millisecond apart from ``first_ts``."""
    for i in range(count):
        app.post_message(AlertRaised(alert(message=f"{label} {i}", ts=first_ts + i)))


async def test_alerts_arriving_above_an_alert_being_read_are_counted_in_the_title(
    harness: Harness,
) -> None:
    async with harness.app.run_test(size=(80, 24)) as pilot:
        app = await ready(harness, pilot)
        log = app.alert_log
        post_alerts(app, "old", 6, 1_767_225_600_000)
        await pilot.pause()
        await pilot.press("down", "down")
        post_alerts(app, "new", 5, 1_767_225_700_000)
        await pilot.pause()
        title = log.lines[0].plain
        newer = int(title.split("↑ ")[1].split()[0])
        assert newer > 0 and title.startswith(f"Alerts ({len(log.entries)})  ↑ {newer} newer")
        await pilot.press(*["up"] * 12)  # back to the newest: nothing above it
        assert "newer" not in log.lines[0].plain


@pytest.mark.parametrize("back", ["home", "escape", "g"])
async def test_one_key_brings_the_alert_log_back_to_the_newest(harness: Harness, back: str) -> None:
    """After reading old alerts, Home (Escape, g) is the newest again, End the oldest,
    PageDown / PageUp a page: only ↑ once per alert brought the newest back."""
    async with harness.app.run_test(size=(80, 24)) as pilot:
        app = await ready(harness, pilot)
        log = app.alert_log
        post_alerts(app, "old", 30, 1_767_225_600_000)
        await pilot.pause()
        await pilot.press(*["down"] * 12)
        post_alerts(app, "new", 3, 1_767_225_700_000)
        await pilot.pause()
        assert "newer" in log.lines[0].plain
        await pilot.press(back)
        assert log.selected == 0 and "newer" not in log.lines[0].plain
        await pilot.press("end")
        assert log.selected == len(log.entries) - 1
        await pilot.press("pageup")
        page = log.content_size.height - 2
        assert log.selected == len(log.entries) - 1 - page
        await pilot.press("pagedown")
        assert log.selected == len(log.entries) - 1


@pytest.mark.parametrize(
    ("size", "kind"), [((80, 24), "CASCADE"), ((120, 40), "LIQUIDATION_CASCADE")]
)
async def test_a_narrow_log_names_the_kind_short_and_keeps_the_amount(
    harness: Harness, size: tuple[int, int], kind: str
) -> None:
    """At 80 columns on three venues a long symbol's cascade line read "LIQUIDATION_CASCADE
    Real liquidations…": the amount and the side were cut off."""
    message = (
        "1000PEPE/USDT:USDT LIQUIDATION_CASCADE — Real liquidations: ≥ $827k longs on 2 "
        "venues; Bybit $800k in 1 s, 117 prints, price −5.99 %. Informational — no trade plan."
    )
    cascade = dataclasses.replace(
        alert(symbol="1000PEPE/USDT:USDT", message=message), exchange="binanceusdm+bybit+okx"
    )
    async with harness.app.run_test(size=size) as pilot:
        app = await ready(harness, pilot)
        app.alert_log.venue_tags = True
        app.post_message(AlertRaised(cascade))
        await pilot.pause()
        line = next(t.plain for t in app.alert_log.lines if "1000PEPE" in t.plain)
        assert f"BN+BY+OK 1000PEPE {kind} Real liquidations: ≥ $827k longs" in line, line


async def test_l_shows_the_liquidation_tape_across_the_watchlist(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        tape = app.query_one(LiquidationTape)
        assert not tape.display
        await pilot.press("l")
        assert tape.display and not app.query_one(AlertLog).display
        body = "\n".join(line.plain for line in tape.lines)
        assert "lower bound" in body
        assert "long  liquidated ▼" in body and "BTC" in body
        assert "short liquidated ▲" in body and "SOL" in body
        assert " @ " not in body and "LONG" not in body  # never laid out like a trade call
        await pilot.press("l")
        assert not tape.display and app.query_one(AlertLog).display


async def test_the_tape_names_the_sampling_venues_once_a_complete_ones_prints_fill_it(
    harness: Harness,
) -> None:
    def liq(venue: str, ts: int) -> Liquidation:
        sampled = venue != "bybit"
        return Liquidation(ts, venue, SYMBOLS[0], Side.LONG, 1e5, 0.5, 5e4, sampled)

    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        app.book.note_venues("binanceusdm,bybit,okx")
        await pilot.press("l")
        app.repaint_now()
        tape = app.query_one(LiquidationTape)
        # A cascade: Bybit's complete stream fills the newest prints the tape is given,
        # before a print of the sampling venues was ever shown.
        tape.show(tuple(liq("bybit", 10 + i) for i in range(200)))
        assert "sampled: BN OK (totals a lower bound)" in tape.lines[0].plain


async def test_alerts_while_the_tape_is_shown_head_the_tape_not_toasts_over_the_ladder(
    harness: Harness,
) -> None:
    async with harness.app.run_test(size=(80, 24), message_hook=harness.hear) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("l")
        for i in range(3):
            app.post_message(AlertRaised(alert(message=f"leg {i}", ts=1_767_225_700_000 + i)))
        await pilot.pause()
        assert not any("leg" in notice for notice in harness.notices)  # no toast
        notice = app.tape.lines[1].plain
        assert notice.startswith("3 new alerts (l: log) · ") and "leg 2" in notice
        assert app.tape.lines[1].cell_len <= app.tape.content_size.width
        await pilot.press("l")  # the log again: the alerts are in sight there
        await pilot.press("l")
        assert "new alert" not in "\n".join(line.plain for line in app.tape.lines)


async def test_m_mutes_this_symbols_alerts_but_still_logs_them(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        rings: list[int] = []
        app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
        app.bell_on = True
        await pilot.press("m")
        assert app.current in app.mutes
        from scalptui.ui.messages import AlertRaised

        app.post_message(AlertRaised(alert(symbol=app.current)))
        app.post_message(AlertRaised(alert(symbol=SYMBOLS[1], kind=AlertKind.OI_FLUSH)))
        await pilot.pause()
        log = app.query_one(AlertLog)
        assert [e.muted for e in list(log.entries)[-2:]] == [True, False]
        assert rings == [1]  # only the unmuted symbol rang
        saved = json.loads((app.data_dir / "state-simulated.json").read_text())
        assert saved["mutes"] == [app.current]
        await pilot.press("m")
        assert app.current not in app.mutes


async def test_t_cycles_the_themes_and_remembers(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        assert app.theme == "scalptui-dark"
        await pilot.press("t")
        assert app.theme == "scalptui-light"
        await pilot.pause()
        line = app.alert_log.lines[1]
        kind = next(sp for sp in line.spans if line.plain[sp.start : sp.end].isupper())
        # The light theme's cascade / squeeze colours, not the dark theme's.
        assert str(kind.style).lower().split()[0] in {"bold", "#a40e26", "#116329"}
        assert any(c in str(kind.style).lower() for c in ("#a40e26", "#116329"))
        for theme in ("scalptui-cb", "scalptui-dark", "scalptui-light"):
            await pilot.pause(THEME_SETTLE_S + 0.1)  # pressed apart, not in a burst
            await pilot.press("t")
            assert app.theme == theme
        saved = json.loads((app.data_dir / "state-simulated.json").read_text())
        assert saved["theme"] == "scalptui-light"


async def test_t_held_down_restyles_twice_not_at_every_press(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each theme restyles every line: a held t froze the screen, clock and all, for
    seconds. The first press shows at once, the rest once the key is let go."""
    settle_s = 1.0  # wider than a loaded machine's gap between two pilot presses
    monkeypatch.setattr(app_module, "THEME_SETTLE_S", settle_s)
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        names = app.theme_set.names
        start = names.index(app.theme)
        shown: list[str] = []
        show = app._show_theme

        def spy(name: str) -> None:
            shown.append(name)
            show(name)

        app._show_theme = spy  # type: ignore[method-assign]
        presses = 3 * len(names) + 2  # ends on neither the first theme nor the one before
        await pilot.press(*["t"] * presses)
        assert shown == [names[(start + 1) % len(names)]] and app.theme == shown[0]
        await pilot.pause(settle_s + 0.5)
        assert shown[1:] == [names[(start + presses) % len(names)]] and app.theme == shown[-1]
        saved = json.loads((app.data_dir / "state-simulated.json").read_text())
        assert saved["theme"] == app.theme


async def test_p_pauses_the_display_but_not_the_alerts(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("p")
        assert app.paused and "PAUSED" in header_text(app)
        taken = harness.detectors[0].snapshots
        app.repaint_now()
        assert harness.detectors[0].snapshots == taken  # frozen: no new snapshot
        ladder = app.query_one(LadderView)
        before_theme = ladder.lines
        await pilot.press("t")  # a theme change while paused restyles the frozen data
        assert [t.plain for t in ladder.lines] == [t.plain for t in before_theme]
        assert ladder.lines != before_theme
        assert harness.detectors[0].snapshots == taken
        from scalptui.ui.messages import AlertRaised

        before = len(app.query_one(AlertLog).entries)
        app.post_message(AlertRaised(alert()))
        await pilot.pause()
        assert len(app.query_one(AlertLog).entries) == before + 1
        await pilot.press("p")
        assert not app.paused and "PAUSED" not in header_text(app)


async def test_a_capital_of_a_key_says_the_keys_are_lower_case(harness: Harness) -> None:
    """Caps lock on: P, L, V did nothing, and nothing said why."""
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("P")
        await pilot.pause()
        assert not app.paused
        said = [str(n.message) for n in app._notifications]
        assert any("P does nothing" in m and "caps lock" in m for m in said)
        app.clear_notifications()
        await pilot.press("G", "Z")  # G is the alert log's own key; z is bound to nothing
        await pilot.pause()
        assert not any("caps lock" in str(n.message) for n in app._notifications)


async def test_p_in_a_replay_holds_the_recording_too(tmp_path: Path) -> None:
    now = [end_clock()]
    harness = build(tmp_path, clock=lambda: now[0])
    held: list[bool] = []
    harness.feed.hold = held.append  # type: ignore[attr-defined]  # a replay's Playback
    harness.feed.position_s = lambda: None  # type: ignore[attr-defined]  # (wall clock)
    harness.feed.speed = 1.0  # type: ignore[attr-defined]
    harness.feed.set_speed = lambda speed: None  # type: ignore[attr-defined]
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("p")
        now[0] += 60.0  # a minute held: nothing arrives, because the replay is held
        app.repaint_now()
        assert "stale" not in header_text(app) and "PAUSED" in header_text(app)
        await pilot.press("p")
    assert held == [True, False]


async def test_c_opens_the_full_chart_and_escape_returns(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        span = app.span_pct
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ChartScreen)
        hints = " ".join(line.plain for line in app.screen.query_one("#keys", LinesWidget).lines)
        assert "zoom" not in hints and "tape" not in hints and "help" in hints
        assert "quit" not in hints and "chart" not in hints  # q and c close it
        await pilot.press("plus", "l")  # the ladder and the tape are not on this screen
        await pilot.press("escape")
        assert not isinstance(app.screen, ChartScreen)
        assert app.span_pct == span and not app.tape.display
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("q")  # closes the chart, as it closes help: it quit the app
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, ChartScreen)


async def test_the_full_chart_keeps_the_header_with_the_feed_state_and_pause(
    harness: Harness,
) -> None:
    """The chart filled the screen without the header: whether the feed was live, and
    that the screen was paused, could not be seen on it."""
    async with harness.app.run_test(size=(70, 20)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("c")
        await pilot.pause()
        header = app.screen.query_one(HeaderBar)
        line = " ".join(text.plain for text in header.lines)
        assert app.current in line and "SIMULATED" in line, line
        await pilot.press("p")
        await pilot.pause()
        app.screen.redraw()  # type: ignore[attr-defined]
        assert "PAUSED" in " ".join(text.plain for text in header.lines)


async def test_the_full_chart_follows_the_symbol_at_once(harness: Harness) -> None:
    """``]`` on the chart: it went on showing the symbol before until its next second,
    and an ``x`` meanwhile took off the one the chart did not show."""
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("c")
        await pilot.pause()
        header = app.screen.query_one(HeaderBar)
        for key in ("right_square_bracket", "left_square_bracket", "2"):
            await pilot.press(key)
            line = " ".join(text.plain for text in header.lines)
            assert app.current in line, (key, app.current, line)


async def test_key_confirmations_leave_the_alert_log_within_two_seconds(harness: Harness) -> None:
    timeouts: list[object] = []
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        app.notify = lambda message, **kw: timeouts.append(kw.get("timeout"))  # type: ignore[method-assign]
        await pilot.press("m", "b", "t", "x")
        await pilot.pause()
    assert timeouts == [CONFIRM_TIMEOUT_S] * 4 and CONFIRM_TIMEOUT_S <= 2


async def test_b_toggles_the_bell_on_alerts(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        rings: list[int] = []
        app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
        from scalptui.ui.messages import AlertRaised

        assert not app.bell_on
        app.post_message(AlertRaised(alert()))
        await pilot.pause()
        assert rings == []
        await pilot.press("b")
        assert app.bell_on and "bell on" in header_text(app)
        app.post_message(AlertRaised(alert()))
        await pilot.pause()
        assert rings == [1]
        await pilot.press("m")  # the symbol muted, the bell still on: two words apart
        assert "bell on  muted" in header_text(app)


def _lists(key_column: str, label: str) -> bool:
    """The help's key column names ``label`` itself or in a digit range such as ``1–9``."""
    for shown in key_column.split():
        if shown == label:
            return True
        first, dash, last = shown.partition("–")
        if dash and label.isdigit() and first.isdigit() and last.isdigit():
            return int(first) <= int(label) <= int(last)
    return False


async def test_question_mark_shows_help_listing_every_key(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-keys", Static)
        lines = [strip.text for strip in table.render_lines(Region(0, 0, *table.outer_size))]
        for binding in [*ScalpApp.BINDINGS, *AlertLog.BINDINGS]:  # the log's "g" was cut
            assert isinstance(binding, Binding)
            what = binding.tooltip or binding.description
            rows = [line for line in lines if what[:40] in line]
            assert len(rows) == 1, f"{what!r} is not one line of the help"
            shown_keys = rows[0][: rows[0].index(what[:40])]
            assert len(shown_keys) >= KEY_COLUMN
            for key in binding.key.split(","):
                assert _lists(shown_keys, format_key(key)), (key, rows[0])
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_help_scrolls_to_its_last_line_on_the_smallest_terminal(harness: Harness) -> None:
    """At 70×20 the help is taller than the screen: End brings its closing note in view
    (it was cut, the notes on estimates and lower bounds out of reach)."""
    async with harness.app.run_test(size=(70, 20)) as pilot:
        await ready(harness, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        scroll = harness.app.screen.query_one(VerticalScroll)
        assert scroll.max_scroll_y > 0 and scroll.scroll_y == 0
        await pilot.press("end")
        await pilot.pause(0.3)
        assert scroll.scroll_y == scroll.max_scroll_y


async def test_q_quits_saves_and_closes_the_feed(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert (app.data_dir / "state-simulated.json").exists()
    # The scripted market is simulated: its alerts go to the simulated history only.
    assert (app.data_dir / "alerts-simulated.jsonl").exists()
    assert not (app.data_dir / "alerts.jsonl").exists()


async def test_ctrl_q_does_not_quit_and_ctrl_l_redraws(harness: Harness) -> None:
    """ctrl+q (the terminal's resume key after ctrl+s) quit a monitor left running for
    days; ctrl+l redraws what another program wrote over the screen."""
    async with harness.app.run_test(size=(100, 30)) as pilot:
        app = await ready(harness, pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert any("q quits" in str(n.message) for n in app._notifications)
        screen = app.screen
        repainted: list[Region] = []
        original = screen.refresh

        def spy(*regions: Region, **kwargs: bool) -> object:
            repainted.extend(regions)
            return original(*regions, **kwargs)

        screen.refresh = spy  # type: ignore[method-assign,assignment]
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert screen.region in repainted
        assert app.is_running


def test_the_footer_advertises_the_keys(harness: Harness) -> None:
    shown = {b.key_display or b.key for b in harness.app.BINDINGS if getattr(b, "show", True)}  # type: ignore[union-attr]
    assert {"/", "[", "]", "1-9", "+", "-", "l", "m", "t", "p", "c", "b", "?", "q"} <= shown


async def test_resizing_at_any_time_reflows_every_panel(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 40)) as pilot:
        app = await ready(harness, pilot)
        tall_rows = len(app.ladder.rows)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        app.repaint_now()
        await pilot.pause()
        assert len(app.ladder.rows) < tall_rows
        assert app.screen.has_class("-short") and app.screen.has_class("-narrow")
        assert all(line.cell_len <= app.ladder.content_size.width for line in app.ladder.lines)
        assert app.header_bar.lines[0].plain.rstrip().endswith("UTC")
        await pilot.resize_terminal(160, 50)
        await pilot.pause()
        app.repaint_now()
        await pilot.pause()
        assert len(app.ladder.rows) > tall_rows
        assert app.header_bar.lines[0].cell_len == 160


def test_a_narrow_footer_keeps_both_zoom_directions_as_one_hint() -> None:
    from scalptui.ui.bindings import APP_BINDINGS
    from scalptui.ui.widgets.keys import fit_hints, key_hints

    hints = key_hints(APP_BINDINGS)
    wide = [f"{h.key} {h.description}" for h in fit_hints(hints, 120)]
    assert "+ zoom in" in wide and "- zoom out" in wide
    narrow = [f"{h.key} {h.description}" for h in fit_hints(hints, 80)]
    # Never one direction alone: an 80-column footer read "+ zoom in" only.
    assert "+- zoom" in narrow
    assert "+ zoom in" not in narrow and "- zoom out" not in narrow
    assert narrow[-2:] == ["? help", "q quit"]
    tiny = [f"{h.key} {h.description}" for h in fit_hints(hints, 40)]
    assert not any("zoom" in hint for hint in tiny)


async def test_less_and_greater_set_a_replay_s_speed(tmp_path: Path) -> None:
    """A night's recording looked through at ×50 and its cascade watched at ×1, without
    starting the replay again; past either end, and in a live run, the key says why it
    did nothing."""
    path = tmp_path / "run.jsonl"
    rec = Recorder(path, exchange="binanceusdm", symbols=SYMBOLS, source=Source.SIMULATED)
    for event in script():
        rec.write(event)
    rec.close()
    feed = ReplayFeed(path, speed=1.0)

    async def replay() -> Feed:
        return feed

    harness = build(tmp_path, open_feed=replay, replay_symbols=SYMBOLS, replay_of=feed.header)
    async with harness.app.run_test(size=(120, 40), message_hook=harness.hear) as pilot:
        app = harness.app
        await pilot.pause(0.2)
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert feed.speed == 2.0 and "REPLAY ×2 " in header_text(app)
        await pilot.press(*["less_than_sign"] * 3)
        assert feed.speed == 0.25
        await pilot.press("less_than_sign")
        await pilot.pause()
        assert feed.speed == 0.25
        assert harness.notices[-1] == "the replay already plays ×0.25"
        await pilot.press("p")  # held: as fast as it can, it would be over at once
        await pilot.press(*["greater_than_sign"] * 11)
        await pilot.pause()
        assert feed.speed == 0.0 and "REPLAY ×max " in header_text(app)
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert harness.notices[-1] == "the replay already plays as fast as it can (×max)"
        await pilot.press("p")
        for _ in range(100):
            await pilot.pause(0.05)
            if feed.finished:
                break
        await pilot.press("less_than_sign")
        await pilot.pause()
        assert feed.speed == 0.0  # it said "replay at ×200" with nothing left to play
        assert harness.notices[-1] == "the replay has ended: nothing is left to play"


async def test_less_and_greater_in_a_live_run_say_they_are_a_replay_s(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30), message_hook=harness.hear) as pilot:
        await ready(harness, pilot)
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert harness.notices[-1] == "< > set a replay's speed; this run is live"


@pytest.mark.parametrize(
    ("speed", "step", "then"),
    [(1.0, 1, 2.0), (3.0, 1, 5.0), (3.0, -1, 2.0), (200.0, 1, 0.0), (0.0, -1, 200.0),
     (0.0, 1, None), (0.25, -1, None), (0.1, 1, 0.25), (1000.0, -1, 200.0)],
)  # fmt: skip
def test_the_replay_speeds_step_from_any_speed_given(
    speed: float, step: int, then: float | None
) -> None:
    """``--speed 3`` goes to the step beyond it either way; ×max is past the fastest."""
    assert app_module.next_speed(speed, step) == then
