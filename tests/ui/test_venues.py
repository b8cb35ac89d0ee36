"""One asset on several venues: the header's venue chips, venue tags, ``v``, nested facts."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, cast

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from scalptui import numfmt as fmt
from scalptui.detector.detector import STOPPED_KEPT
from scalptui.models import (
    Alert,
    DetectorSnapshot,
    FeedStatus,
    FundingView,
    History,
    LadderBin,
    Liquidation,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    OpenInterestView,
    Side,
    Source,
    StreamState,
    TakerSide,
    Trade,
)
from scalptui.ui.app import MIN_SIZE, ScalpApp
from scalptui.ui.market_book import MarketBook, VenueState
from scalptui.ui.messages import AlertRaised
from scalptui.ui.screens import AlertDetailScreen, VenueScreen, fact_lines, venue_fact
from scalptui.ui.widgets.funding_oi import FundingLines
from scalptui.ui.widgets.header import HeaderBar, HeaderInfo
from scalptui.ui.widgets.venues import (
    LAYOUTS,
    VenueTable,
    feed_text,
    row_cells,
    spread_text,
    venue_rows,
)

from ._harness import SYMBOLS, VENUES, Harness, alert, build, drained, end_clock, venues_script

MULTI = ",".join(VENUES)
TIME = r"\d\d:\d\d:\d\d(?:\.\d\d\d)?"


def multi_venue(tmp_path: Path) -> Harness:
    return build(tmp_path, events=venues_script(), exchange=MULTI)


async def ready(h: Harness, pilot: Pilot[None]) -> ScalpApp:
    await drained(h)
    await pilot.pause()
    h.app.repaint_now()
    h.app.refresh_slow_panels()
    await pilot.pause()
    return h.app


def header(app: ScalpApp) -> str:
    return app.header_bar.lines[0].plain


def table_lines(app: ScalpApp) -> list[str]:
    return [line.plain for line in app.screen.query_one(VenueTable).lines]


# ------------------------------------------------------------------ header


async def test_the_header_shows_each_venue_and_the_one_reconnecting(tmp_path: Path) -> None:
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        line = header(app)
        assert "BN ● BY ● OK ↻ reconnecting" in line
        assert "SIMULATED" in line and line.rstrip().endswith("UTC")
        # The chips name the venues: the single-venue "binanceusdm · " is not repeated.
        assert "binanceusdm" not in line


async def test_one_venue_keeps_the_single_venue_header(tmp_path: Path) -> None:
    h = build(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        assert app.book.venues == ("binanceusdm",) and not app.multi_venue
        assert "binanceusdm · BTC/USDT:USDT  ● live" in header(app)


async def test_a_failed_feed_shows_every_venue_down(tmp_path: Path) -> None:
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        app.feed_error = "the feed stopped"
        app.repaint_now()
        assert "BN ✖ failed BY ✖ failed OK ✖ failed" in header(app)


async def test_a_venue_that_does_not_list_the_symbol_says_so_instead_of_failed(
    tmp_path: Path,
) -> None:
    """OKX does not list the symbol (the merged feed skipped it there): a dim "not listed",
    in the header and in ``v``, never the red "failed" of a venue that is down."""
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        why = "skipped on this venue: unknown symbol"
        app.book.record(FeedStatus(0, "okx", "BTC/USDT:USDT", "market", StreamState.FAILED, why))
        app.repaint_now()
        assert "BN ● BY ● OK – not listed" in header(app)
        await pilot.press("v")
        await pilot.pause()
        okx = next(line for line in table_lines(app) if line.lstrip().startswith("OKX"))
        assert okx.rstrip().endswith("– not listed") and "failed" not in okx
        await pilot.press("escape")
        app.feed_error = "the feed stopped"  # a feed that is down outranks it
        app.repaint_now()
        assert "BN ✖ failed BY ✖ failed OK ✖ failed" in header(app)


def test_a_venue_silent_past_the_stale_limit_reads_stale_with_its_age() -> None:
    """Bybit's last message is 30 s old while Binance keeps streaming: only BY is stale."""
    now = [1_000.0]
    book = MarketBook(lambda: now[0])
    book.note_venues("binanceusdm,bybit")
    for evt in venues_script()[:400]:
        book.record(evt)
    now[0] = 1_030.0
    book.record(
        next(
            e
            for e in venues_script()[400:]
            if e.exchange == "binanceusdm" and getattr(e, "symbol", None) == "BTC/USDT:USDT"
        )
    )
    states = book.venue_states("BTC/USDT:USDT", 1_030_000, stale_after_s=10)
    assert [(s.venue, s.state) for s in states] == [
        ("binanceusdm", StreamState.LIVE),
        ("bybit", StreamState.STALE),
    ]
    assert states[1].age_s == 30.0


def streaming_book(now: list[float]) -> MarketBook:
    """A book on Binance and Bybit, both streaming BTC, on the clock ``now[0]``."""
    book = MarketBook(lambda: now[0])
    book.note_venues("binanceusdm,bybit")
    for evt in venues_script()[:400]:
        book.record(evt)
    return book


def test_symbols_taken_off_are_not_kept_for_ever() -> None:
    """Symbol after symbol tried and taken off for days: the book keeps what it knows of
    the last STOPPED_KEPT of them (the late CLOSED states of their removal included)."""
    book = MarketBook(lambda: 1_000.0)
    book.note_venues("binanceusdm,bybit")
    symbols = [f"C{i}/USDT:USDT" for i in range(STOPPED_KEPT + 10)]
    for i, symbol in enumerate(symbols):
        for venue in ("binanceusdm", "bybit"):
            book.record(FeedStatus(i, venue, symbol, "trades", StreamState.LIVE))
            book.record(Trade(i, venue, symbol, 100.0, 1.0, TakerSide.BUY))
            book.record(MarkPrice(i, venue, symbol, 100.0, None, 0.0001, i + 3_600_000, 8.0))
        book.taken_off(symbol)
        for venue in ("binanceusdm", "bybit"):
            book.record(FeedStatus(i, venue, symbol, "trades", StreamState.CLOSED))
    kept = set(symbols[-STOPPED_KEPT:])
    assert set(book.last_trade) == kept and set(book.funding_history) <= kept
    assert {key[1] for key in book.statuses} == kept
    assert {symbol for _, symbol in book.venue_message_ms} == kept


def test_a_venue_whose_open_interest_poll_fails_names_it_in_its_chip() -> None:
    """Binance's prices stream on while its open-interest poll has failed for a minute:
    its chip and the venue table say ``OI stale 1 min``, Bybit stays live."""
    now = [1_000.0]
    book = streaming_book(now)
    symbol = "BTC/USDT:USDT"
    book.record(
        FeedStatus(
            1_000_000, "binanceusdm", symbol, "open_interest", StreamState.STALE, "", 940_000
        )
    )
    states = book.venue_states(symbol, 1_000_000, stale_after_s=10)
    assert [(s.venue, s.state, s.stream) for s in states] == [
        ("binanceusdm", StreamState.STALE, "OI"),
        ("bybit", StreamState.LIVE, ""),
    ]
    assert states[0].age_s == 60.0
    assert feed_text(states[0], with_word=True) == "◌ OI stale 1 min"


def test_a_lagging_streams_age_is_its_own_whatever_the_clocks() -> None:
    """A replayed status is hours old on the wall clock: its stream's age is the recorded
    one plus the time since it came. A quiet stream just dropped reads how long it has
    been down, not how old its last liquidation print is."""
    now = [1_000.0]
    book = streaming_book(now)
    symbol = "BTC/USDT:USDT"
    recorded_ms = 5_000_000  # the recording's own time, long before the wall clock's
    book.record(
        FeedStatus(
            recorded_ms, "binanceusdm", symbol, "open_interest", StreamState.STALE, "",
            recorded_ms - 45_000,
        )
    )  # fmt: skip
    now[0] += 5.0
    (binance, _) = book.venue_states(symbol, int(now[0] * 1000), stale_after_s=10)
    assert (binance.stream, binance.age_s) == ("OI", 50.0)
    quiet = FeedStatus(
        int(now[0] * 1000), "bybit", symbol, "liquidations", StreamState.RECONNECTING, "",
        int(now[0] * 1000) - 3 * 3_600_000,
    )  # fmt: skip
    book.record(quiet)
    now[0] += 2.0
    (_, bybit) = book.venue_states(symbol, int(now[0] * 1000), stale_after_s=10)
    assert (bybit.stream, bybit.age_s) == ("liquidations", 2.0)
    for state in (StreamState.STALE, StreamState.RECONNECTING):  # still down all along
        now[0] += 10.0
        book.record(dataclasses.replace(quiet, ts=int(now[0] * 1000), state=state))
    now[0] += 1.0
    # the venue's trades flow meanwhile: only its liquidations are down
    book.record(Trade(int(now[0] * 1000), "bybit", symbol, 100.0, 1.0, TakerSide.BUY))
    (_, bybit) = book.venue_states(symbol, int(now[0] * 1000), stale_after_s=10)
    assert (bybit.stream, bybit.age_s) == ("liquidations", 23.0)  # it read 1 s


async def test_a_symbol_added_back_reads_afresh_not_closed_from_its_removal(
    tmp_path: Path,
) -> None:
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        eth = SYMBOLS[1]
        await pilot.press("2", "x")
        for venue in VENUES:  # what each venue says once the symbol's streams stop
            app.book.record(FeedStatus(1, venue, eth, "trades", StreamState.CLOSED, "removed"))
        assert app.book.funding_of(eth)
        app.choose_symbol(eth)
        await pilot.pause()
        states = app.book.venue_states(eth, int(app.clock() * 1000), stale_after_s=10)
        assert all(s.state is not StreamState.CLOSED for s in states), states
        assert not app.book.funding_of(eth)  # its chart starts again, not across the gap
        assert "closed" not in app.header_bar.lines[0].plain


async def test_a_symbol_added_back_shows_none_of_its_numbers_from_before(
    tmp_path: Path,
) -> None:
    """Added back, SOL read "connecting" above its price, funding, open interest and
    ladder from before it was taken off, until its first event came (a second on the
    simulator, longer on a venue's start-up)."""
    h = build(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        eth = SYMBOLS[1]
        before = app.take_snapshot(eth)
        assert before is not None and before.last is not None
        await pilot.press("2")
        await pilot.pause()
        (last_line,) = [t for t in price_text(app).splitlines() if t.startswith("Last ")]
        await pilot.press("x")
        app.consume(FeedStatus(1, "binanceusdm", eth, "trades", StreamState.CLOSED, "removed"))
        app.choose_symbol(eth)
        await pilot.pause()
        assert app.take_snapshot(eth) is None
        app.repaint_now()
        await pilot.pause()
        assert last_line.split()[1] not in price_text(app)
        late = FeedStatus(2, "binanceusdm", eth, "mark", StreamState.CLOSED, "removed")
        app.consume(late)  # the removal's last word is no news of it
        assert app.take_snapshot(eth) is None
        app.consume(Trade(int(app.clock() * 1000), "binanceusdm", eth, 3_210.5, 1.0, TakerSide.BUY))
        again = app.take_snapshot(eth)
        assert again is not None and again.last == 3_210.5


async def test_the_funding_countdown_runs_on_through_an_outage(tmp_path: Path) -> None:
    """The countdown ran on the market's own time, which stops with its feed: through a
    two-minute outage it stood at "6 h 56 min"."""
    now = [end_clock()]
    h = build(tmp_path, clock=lambda: now[0])
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)

        def countdown() -> str:
            lines = [line.plain for line in app.funding_panel.query_one(FundingLines).lines]
            return next(t for t in lines if t.startswith("Next funding "))

        before = countdown()
        now[0] += 180.0  # no event for three minutes
        app.refresh_slow_panels()
        await pilot.pause()
        assert countdown() != before
        snap = app.take_snapshot()
        assert snap is not None and snap.funding is not None
        due = snap.funding.next_funding_ts
        assert due is not None
        assert countdown() == "Next funding " + fmt.duration(due / 1000 - now[0])


async def test_last_reads_no_feed_once_every_venues_trades_are_down(tmp_path: Path) -> None:
    """Two seconds into an outage every venue's trades read reconnecting while their quiet
    liquidation streams still read live: the header named the trades, and the last price
    stood in full colour without its "no feed" note for up to ten seconds."""
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        symbol, ms = app.current, int(app.clock() * 1000)

        def last_line() -> str:
            app.repaint_now()
            return next(t for t in price_text(app).splitlines() if t.startswith("Last "))

        for venue in VENUES:
            app.book.record(FeedStatus(ms, venue, symbol, "liquidations", StreamState.LIVE))
        app.book.record(FeedStatus(ms, VENUES[0], symbol, "trades", StreamState.RECONNECTING))
        assert "no feed" not in last_line()  # one venue down: the others deliver
        for venue in VENUES[1:]:
            app.book.record(FeedStatus(ms, venue, symbol, "trades", StreamState.RECONNECTING))
        assert last_line().endswith("◌ no feed"), last_line()


def price_text(app: ScalpApp) -> str:
    return "\n".join(line.plain for line in app.price_panel._lines.lines)


def worst_case(n_venues: int, state: StreamState) -> HeaderInfo:
    venues = tuple(VenueState(v, state, 754.0) for v in VENUES[:n_venues])
    return HeaderInfo(
        exchange=MULTI,
        symbol="BTC/USDT:USDT",
        state=state,
        age_s=754.0,
        clock_s=1_767_225_600.0,
        simulated=True,
        replay=True,
        paused=True,
        note="clock +3.2 s",
        bell=True,
        muted=True,
        progress=1.0,
        speed=0.0,
        venues=venues,
    )


async def test_the_header_sheds_whole_pieces_and_keeps_badges_clock_and_every_venue(
    tmp_path: Path,
) -> None:
    """Every badge at once, three venues reconnecting for 12 min, down to the minimum width."""
    h = build(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        sheds(app.header_bar)


def test_a_replay_badge_says_its_speed_unless_it_is_1() -> None:
    """Ages and the clock run on the recording's time: how fast it passes was nowhere."""
    bar = HeaderBar()
    labels = [
        bar._badges(dataclasses.replace(worst_case(1, StreamState.LIVE), speed=speed))[1][0]
        for speed in (1.0, 5.0, 0.5, 0.0)
    ]
    assert labels == [" REPLAY 100% ", " REPLAY ×5 100% ", " REPLAY ×0.5 100% ",
                      " REPLAY ×max 100% "]  # fmt: skip


def sheds(bar: HeaderBar) -> None:
    for width in range(MIN_SIZE[0], 130):
        line = bar._compose_line(worst_case(3, StreamState.RECONNECTING), width).plain
        assert len(line) <= width, (width, line)
        for badge in ("SIMULATED", "REPLAY ×max 100%", "PAUSED"):
            assert badge in line, (width, line)
        assert re.search(r"\d\d:\d\d:\d\d", line), line
        assert re.search(r"BN ?↻.*BY ?↻.*OK ?↻", line), line
        # An age is shown whole or not at all.
        assert not re.search(r"\d+ m(?!in)|\d+ min \d+$", line), line
    wide = bar._compose_line(worst_case(3, StreamState.RECONNECTING), 160).plain
    assert "OK ↻ reconnecting 12 min 34 s" in wide


async def test_the_header_says_what_each_venue_shed_read_once_a_second(tmp_path: Path) -> None:
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        assert "shed" not in header(app)
        h.feed.shed_events = {"binanceusdm": 0, "bybit": 1200}  # type: ignore[attr-defined]
        app.repaint_now()
        assert "shed" not in header(app)  # read on the slow tick, not on every repaint
        app.slow_tick()
        app.repaint_now()
        await pilot.pause()
        assert re.search(r"BN ?\S+ BY ?\S+ shed 1200", header(app)), header(app)
        assert header(app).count("shed") == 1


async def test_one_venue_header_says_what_its_feed_shed(tmp_path: Path) -> None:
    h = build(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        h.feed.shed_events = {"binanceusdm": 7}  # type: ignore[attr-defined]
        app.slow_tick()
        app.repaint_now()
        await pilot.pause()
        assert re.search(r"live \S+.* shed 7", header(app)), header(app)


# ------------------------------------------------------------------ tape and alert log


async def test_the_tape_tags_each_print_with_its_venue_in_one_column(tmp_path: Path) -> None:
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        await pilot.press("l")
        await pilot.pause()
        lines = [line.plain for line in app.tape.lines[1:]]
        tags = {re.match(TIME + r" (\S+) ", line).group(1) for line in lines}  # type: ignore[union-attr]
        assert tags == {"BN", "BY"}
        # Columns line up: every " at " (before the price) at the same place.
        assert len({line.index(" at ") for line in lines}) == 1
        assert not any(line.rstrip().endswith(("binanceusdm", "bybit")) for line in lines)


async def test_one_venue_tape_and_log_carry_no_venue_column(tmp_path: Path) -> None:
    h = build(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        assert all(
            re.match(TIME + r" (BTC|SOL|ETH) ", line.plain)
            for line in app.alert_log.lines[1:]
            if line
        )
        await pilot.press("l")
        await pilot.pause()
        assert all(re.match(TIME + r" (BTC|SOL|ETH) ", line.plain) for line in app.tape.lines[1:])


async def test_the_log_tags_each_alert_with_the_venues_it_counts(tmp_path: Path) -> None:
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        one = alert(message="Binance ≥ $4.1M sampled", ts=1_767_225_990_000)
        both = alert(message="Bybit $31.2M · Binance ≥ $4.1M sampled", ts=1_767_226_000_000)
        app.post_message(AlertRaised(_on(one, "binanceusdm")))
        app.post_message(AlertRaised(_on(both, "binanceusdm+bybit")))
        await pilot.pause()
        lines = [line.plain for line in app.alert_log.lines[1:]]
        assert re.match(TIME + r" BN\+BY BTC LIQUIDATION_CASCADE", lines[0]), lines[0]
        # A one-venue alert's tag is padded to the same column.
        assert re.match(TIME + r" BN    \S", lines[1]), lines[1]


# ------------------------------------------------------------------ v


async def test_v_breaks_the_symbol_down_by_venue(tmp_path: Path) -> None:
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, VenueScreen)
        lines = table_lines(app)
        assert lines[0].startswith("BTC/USDT:USDT by venue"), lines
        binance = next(line for line in lines if line.startswith("Binance"))
        bybit = next(line for line in lines if line.startswith("Bybit"))
        okx = next(line for line in lines if line.startswith("OKX"))
        assert " ref " in binance and "● live" in binance
        assert "+2.0 bp" in bybit
        # Binance samples its prints (≥); Bybit's are complete, and 2 bp dearer.
        assert "≥ $" in binance and "≥" not in bybit
        assert "↻ reconnecting" in okx and "$" not in okx
        # [ ] move through the watchlist here too; the main screen follows.
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert isinstance(app.screen, VenueScreen) and app.current == SYMBOLS[1]
        assert table_lines(app)[0].startswith(f"{SYMBOLS[1]} by venue")
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert table_lines(app)[0].startswith(f"{SYMBOLS[0]} by venue")
        await pilot.press("escape")
        assert not isinstance(app.screen, VenueScreen)


async def test_v_on_one_venue_says_it_is_the_only_one(tmp_path: Path) -> None:
    h = build(tmp_path)
    async with h.app.run_test(size=(100, 30)) as pilot:
        app = await ready(h, pilot)
        await pilot.press("v")
        await pilot.pause()
        lines = table_lines(app)
        rows = [line for line in lines if line.startswith(("Binance", "Bybit", "OKX"))]
        assert len(rows) == 2  # the row and the note
        assert rows[0].split()[2] == "ref"
        assert "Binance is the only venue watched;" in " ".join(lines)
        await pilot.press("v")
        assert not isinstance(app.screen, VenueScreen)


async def test_v_while_paused_shows_the_frozen_moment(tmp_path: Path) -> None:
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = await ready(h, pilot)
        await pilot.press("p", "v")
        await pilot.pause()
        lines = table_lines(app)
        assert "paused" in lines[0]
        frozen = bybit_row(app)
        # A $5M print on Bybit after the pause: the breakdown does not move.
        app.consume(_liquidation("bybit", 5_000_000.0))
        await pilot.press("escape", "v")
        await pilot.pause()
        assert bybit_row(app) == frozen
        await pilot.press("escape", "p", "v")
        await pilot.pause()
        assert "paused" not in table_lines(app)[0]
        assert bybit_row(app) != frozen


def bybit_row(app: ScalpApp) -> str:
    return next(line for line in table_lines(app) if line.startswith("Bybit"))


async def test_v_fits_the_minimum_size_without_cutting_a_number(tmp_path: Path) -> None:
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=MIN_SIZE) as pilot:
        app = await ready(h, pilot)
        await pilot.press("v")
        await pilot.pause()
        table = app.screen.query_one(VenueTable)
        width = table.content_size.width
        for line in table.lines:
            assert line.cell_len <= width, line.plain
        rows = [line.plain for line in table.lines if line.plain.startswith(("BN", "BY", "OK"))]
        assert len(rows) == 3 and "+2.0 bp" in rows[1] and "↻" in rows[2]


async def test_v_below_the_minimum_size_says_it_is_too_narrow_not_cut_numbers(
    tmp_path: Path,
) -> None:
    """At 60×15 the table was cut at the edge: Bybit's $911k read "$9"."""
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=(60, 15)) as pilot:
        app = await ready(h, pilot)
        await pilot.press("v")
        await pilot.pause()
        table = app.screen.query_one(VenueTable)
        plain = [line.plain for line in table.lines]
        assert any(line.startswith("too narrow for the table: ") for line in plain), plain
        assert not [line for line in plain if line.startswith(("BN", "BY", "OK", "Bybit"))]
        for line in table.lines:
            assert line.cell_len <= table.content_size.width, line.plain


def test_rows_read_spread_oi_funding_and_prints_per_venue() -> None:
    snaps = {
        "bybit": _snapshot("bybit", 100_000.0, liqs=(_liq("bybit", Side.LONG, 3e6, False),)),
        "binanceusdm": _snapshot(
            "binanceusdm",
            99_990.0,
            liqs=(
                _liq("binanceusdm", Side.LONG, 1e6, True),
                _liq("binanceusdm", Side.SHORT, 2e5, True),
            ),
        ),
    }
    states = {"bybit": VenueState("bybit", StreamState.LIVE, 0.5)}
    rows = venue_rows(snaps, states, ("bybit", "binanceusdm", "okx"))
    assert [r.venue for r in rows] == ["bybit", "binanceusdm", "okx"]
    bybit, binance, okx = rows
    assert bybit.reference and spread_text(bybit.spread_bp, reference=True) == "ref"
    assert binance.spread_bp is not None and round(binance.spread_bp, 3) == -1.0
    assert spread_text(binance.spread_bp) == "−1.0 bp"
    assert binance.oi_usd == 2.0 * 99_990.0  # amount × price when the venue gives no value
    assert bybit.oi_usd == 5e9
    assert (binance.long_usd, binance.short_usd, binance.sampled) == (1e6, 2e5, True)
    assert (bybit.long_usd, bybit.short_usd, bybit.sampled) == (3e6, 0.0, False)
    # The columns sum the realised window, not the newest prints of the tape (by count:
    # a complete venue's cascade pushed its own earlier prints out of it).
    tape_cut = dataclasses.replace(snaps["bybit"], recent_liquidations=())
    assert venue_rows({"bybit": tape_cut}, states)[0].long_usd == 3e6
    assert bybit.funding_8h == 0.0003
    assert okx.price is None and okx.feed is None and spread_text(okx.spread_bp) == "–"
    cells = row_cells(bybit, LAYOUTS[0])
    assert cells[0] == "Bybit" and cells[5:7] == ("$3.00M", "$0")
    # A sampled venue that printed nothing shows $0, not "≥ $0".
    sampled_nothing = dataclasses.replace(binance, short_usd=0.0)
    narrow = row_cells(sampled_nothing, LAYOUTS[1])
    assert (narrow[0], narrow[5], narrow[6]) == ("BN", "≥ $1.00M", "$0")


def test_a_venue_down_gives_no_spread_and_is_not_the_reference() -> None:
    # Binance down held 98,351.9 as "ref" beside OKX live at +306 bp; OKX down drifted.
    snaps = {
        "binanceusdm": _snapshot("binanceusdm", 98_351.9, liqs=()),
        "bybit": _snapshot("bybit", 101_000.0, liqs=()),
        "okx": _snapshot("okx", 101_010.0, liqs=()),
    }
    states = {
        "binanceusdm": VenueState("binanceusdm", StreamState.RECONNECTING, 20.0),
        "bybit": VenueState("bybit", StreamState.LIVE, 0.5),
        "okx": VenueState("okx", StreamState.LIVE, 0.5, stream="OI"),  # only its OI lags
    }
    binance, bybit, okx = venue_rows(snaps, states)
    assert bybit.reference and not binance.reference
    assert binance.spread_bp is None and binance.price == 98_351.9
    assert okx.spread_bp is not None and round(okx.spread_bp, 2) == 0.99
    notes = VenueTable()._notes([binance, bybit, okx], 90)
    assert "vs first: price against Bybit" in " ".join(notes)


# ------------------------------------------------------------------ alert facts


def test_nested_venue_facts_read_as_one_line_per_venue() -> None:
    facts = {
        "usd": 35.3e6,
        "venues": {
            "bybit": {"usd": 31.2e6, "prints": 412, "complete": True, "live": True},
            "binanceusdm": {"usd": 4.1e6, "prints": 1, "complete": False, "live": False},
            "okx": "unreadable",
        },
    }
    lines = fact_lines(facts)
    assert lines == [
        "usd     35,300,000",
        "venues",
        "  Bybit  $31.2M · 412 prints",
        "  Binance  ≥ $4.10M sampled · 1 print (down)",
        "  OKX  unreadable",
    ]
    assert venue_fact("bybit", {}) == "Bybit  –"


def test_facts_read_as_a_trader_reads_them_not_as_python_prints_them() -> None:
    facts = {
        "apr": 0.8804238000000001,
        "lower_bound": True,
        "price_move_pct": -2.8248,
        "threshold_usd": 2_000_000.0,
        "notional_usd": 863_000.0,
        "peak_rate_usd_s": 69_665.22,
        "taker_burst": -1.0,
        "window_s": 60.0,
        "evidence": "saturation",
        "oi_change_5m_pct": 0.165,
    }
    assert [line.split(None, 1)[1] for line in fact_lines(facts)] == [
        "88.0424 %",
        "yes",
        "−2.8248 %",
        "$2.00M",
        "≥ $863k",  # the printed total of a sampled venue: a lower bound, as the message says
        "$69.7k/s",
        "∞ (no ordinary taker flow before it)",
        "60 s",
        "saturation",
        "+0.165 %",  # a change reads with its sign
    ]


async def test_the_alert_modal_opens_on_nested_facts(tmp_path: Path) -> None:
    h = multi_venue(tmp_path)
    async with h.app.run_test(size=(100, 30)) as pilot:
        app = await ready(h, pilot)
        bybit = {"usd": 31.2e6, "prints": 412, "complete": True, "live": True}
        # cast: the facts' value type widens to a nested mapping with the asset detector.
        facts = cast(Any, {"usd": 31.2e6, "venues": {"bybit": bybit}})
        nested = dataclasses.replace(
            _on(alert(ts=1_767_226_000_000), "binanceusdm+bybit"), facts=facts
        )
        app.post_message(AlertRaised(nested))
        await pilot.pause()
        app.alert_log.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AlertDetailScreen)
        body = app.screen.query_one(Static).render()
        assert "Bybit  $31.2M · 412 prints" in str(body)


# ------------------------------------------------------------------ builders


def _on(a: Alert, exchange: str) -> Alert:
    return dataclasses.replace(a, exchange=exchange)


def _liq(venue: str, side: Side, usd: float, sampled: bool) -> Liquidation:
    return Liquidation(
        1_767_225_600_000, venue, "BTC/USDT:USDT", side, 1e5, usd / 1e5, usd, sampled
    )


def _liquidation(venue: str, usd: float) -> Liquidation:
    return Liquidation(
        1_767_226_900_000, venue, "BTC/USDT:USDT", Side.LONG, 1e5, usd / 1e5, usd, False
    )


def _snapshot(venue: str, price: float, *, liqs: tuple[Liquidation, ...]) -> DetectorSnapshot:
    """The prints are in the tape and, summed by side, in the realised overlay's rows."""
    oi_value = 5e9 if venue == "bybit" else None
    longs = sum(q.notional for q in liqs if q.side is Side.LONG)
    shorts = sum(q.notional for q in liqs if q.side is Side.SHORT)
    ladder = (
        LadderBin(price * 0.99, price, 0.0, 0.0, realized_long_usd=longs),
        LadderBin(price, price * 1.01, 0.0, 0.0, realized_short_usd=shorts),
    )
    return DetectorSnapshot(
        exchange=venue,
        symbol="BTC/USDT:USDT",
        ts=1_767_225_600_000,
        source=Source.SIMULATED,
        last=price,
        mark=price,
        index=price,
        change_1m_pct=None,
        change_5m_pct=None,
        change_1h_pct=None,
        price_ts=(),
        prices=(),
        bin_width=10.0,
        ladder=ladder,
        recent_liquidations=liqs,
        funding=FundingView(0.0003, 8.0, 0.0003, 0.33, None),
        open_interest=OpenInterestView(2.0, oi_value, None, None),
        episodes=(),
    )


def test_the_funding_chart_follows_the_oi_weighted_mean_of_the_venues() -> None:
    """Binance pays 0.03 % per 8 h on $1B of open interest, Bybit 0.01 % on $3B: the panel
    reads their OI-weighted mean, 0.015 %, and so does the chart under it (it plotted
    whichever venue's mark came first in the minute: 0.03 %)."""
    book = MarketBook(lambda: 1_000.0)
    book.note_venues("binanceusdm,bybit")
    symbol = "BTC/USDT:USDT"
    book.record(OpenInterest(0, "binanceusdm", symbol, 10_000.0, 1e9))
    book.record(OpenInterest(0, "bybit", symbol, 30_000.0))  # no value: amount × its mark
    book.record(MarkPrice(500, "bybit", symbol, 100_000.0, None, 0.0001, None, 8.0))
    book.record(MarkPrice(1_000, "binanceusdm", symbol, 100_000.0, None, 0.0003, None, 8.0))
    book.record(MarkPrice(61_000, "binanceusdm", symbol, 100_000.0, None, 0.0003, None, 8.0))
    first, second = book.funding_of(symbol)
    assert first[1] == 0.0001  # Bybit's alone, the only rate known then
    assert second[1] == pytest.approx(0.00015)


def test_the_funding_chart_ends_on_the_rate_as_it_is_now() -> None:
    """A point a minute only: the chart lagged the panel's rate by up to a minute, and
    read positive under a rate gone negative."""
    book = MarketBook(lambda: 1_000.0)
    symbol = "BTC/USDT:USDT"
    book.record(MarkPrice(1_000, "binanceusdm", symbol, 100_000.0, None, 0.0001, None, 8.0))
    book.record(MarkPrice(31_000, "binanceusdm", symbol, 100_000.0, None, -0.0003, None, 8.0))
    assert book.funding_of(symbol) == ((1_000, 0.0001), (31_000, -0.0003))
    assert book.all_funding()[symbol][-1] == (31_000, -0.0003)
    book.record(MarkPrice(61_000, "binanceusdm", symbol, 100_000.0, None, -0.0002, None, 8.0))
    assert book.funding_of(symbol) == ((1_000, 0.0001), (61_000, -0.0002))


def test_a_symbol_with_only_its_market_facts_and_history_is_connecting_not_live() -> None:
    """LINK added while the venue is down: the feed passes its market facts (from the list
    read at start) and nothing from a stream. It read "BY ●" and then "stale 11 s"."""
    now = [1_000.0]
    book = MarketBook(lambda: now[0])
    book.note_venues("bybit")
    link = "LINK/USDT:USDT"
    book.record(FeedStatus(999_000, "bybit", None, "feed", StreamState.LIVE, "opened"))
    book.record(MarketInfo(1_000_000, "bybit", link, tick_size=0.001))
    book.record(History(1_000_000, "bybit", link, (), ()))
    (state,) = book.venue_states(link, 1_000_500, stale_after_s=10)
    assert state.state is StreamState.CONNECTING and state.age_s is None
    now[0] = 1_001.0
    book.record(Trade(1_001_000, "bybit", link, 15.0, 1.0, TakerSide.BUY))
    (state,) = book.venue_states(link, 1_001_000, stale_after_s=10)
    assert state.state is StreamState.LIVE
