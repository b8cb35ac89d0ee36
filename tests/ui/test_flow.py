"""The feed → detector → UI flow: coalesced repaints, alerts never dropped, errors shown."""

from __future__ import annotations

import time
from pathlib import Path

from textual.strip import Strip

from scalptui.detector import Detector
from scalptui.feed.base import Feed, FeedError
from scalptui.feed.scripted import script_end_ms, scripted_events
from scalptui.models import (
    AlertKind,
    Event,
    FeedStatus,
    Source,
    StreamState,
    TakerSide,
    Trade,
)
from scalptui.ui.app import ScalpApp, feed_state
from scalptui.ui.messages import AlertRaised
from scalptui.ui.widgets.header import HeaderBar
from scalptui.ui.widgets.price import PriceLines

from ._harness import (
    SYMBOLS,
    BreaksMidway,
    Harness,
    alert,
    build,
    drained,
    end_clock,
    script,
)


def burst_events() -> tuple[Event, ...]:
    """At least 10 000 events of the scripted market, cascade included."""
    events = scripted_events(SYMBOLS, calm_s=640)
    assert len(events) >= 10_000
    return tuple(events)


async def test_a_burst_of_10000_events_gives_a_bounded_number_of_repaints(tmp_path: Path) -> None:
    events = burst_events()
    expected = []
    reference = Detector(source=Source.SIMULATED)
    for evt in events:
        expected.extend(reference.on_event(evt))
    assert {a.kind for a in expected} >= {AlertKind.LIQUIDATION_CASCADE, AlertKind.SHORT_SQUEEZE}

    # yield_every=50: the feed hands the loop back often, as a socket would, so
    # the timer gets every chance to tick; repaints must still follow the clock.
    h = build(tmp_path, events=events, yield_every=50)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = h.app
        start_repaints, started = app.repaints, time.perf_counter()
        await drained(h)
        elapsed = time.perf_counter() - started
        await pilot.pause()
        repaints = app.repaints - start_repaints
        assert app.events_seen == len(events)
        # One repaint per ~8 Hz tick (plus the FeedOpened repaint), never per event.
        assert repaints <= elapsed * app.settings.ui.tick_hz + 3
        assert h.detectors[0].snapshots <= (repaints + 4) * (1 + len(SYMBOLS))
        logged = [e.alert for e in app.alert_log.entries]
        assert logged == expected  # every alert, in order, none coalesced


async def test_alerts_from_every_watched_symbol_reach_the_log(tmp_path: Path) -> None:
    h = build(tmp_path)
    async with h.app.run_test(size=(100, 30)) as pilot:
        await drained(h)
        await pilot.pause()
        symbols = {e.alert.symbol for e in h.app.alert_log.entries}
        assert h.app.current == "BTC/USDT:USDT"
        assert {"BTC/USDT:USDT", "SOL/USDT:USDT"} <= symbols


async def test_a_feed_that_cannot_open_ends_the_app_with_status_2(tmp_path: Path) -> None:
    async def failing() -> Feed:
        raise FeedError("binanceusdm: cannot reach https://fapi.example (after 5 tries)")

    h = build(tmp_path, open_feed=failing)
    async with h.app.run_test(size=(100, 30), message_hook=h.hear) as pilot:
        await pilot.pause()
        await pilot.pause()
    app = h.app
    assert app.return_code == 2
    assert app.startup_error == "binanceusdm: cannot reach https://fapi.example (after 5 tries)"


async def test_a_feed_error_while_streaming_is_shown_not_raised(tmp_path: Path) -> None:
    async def opened() -> Feed:
        return BreaksMidway()

    h = build(tmp_path, open_feed=opened)
    async with h.app.run_test(size=(100, 30)) as pilot:
        for _ in range(5):
            await pilot.pause()
        app = h.app
        assert app.feed_error is not None and "1008" in app.feed_error
        assert "failed" in app.header_bar.lines[0].plain


def test_a_live_stream_without_messages_is_shown_stale_never_frozen_live() -> None:
    now = 1_000_000
    state, age = feed_state({}, "BTC/USDT:USDT", now - 2_000, now, stale_after_s=10)
    assert state is StreamState.LIVE and age == 2.0
    state, age = feed_state({}, "BTC/USDT:USDT", now - 12_000, now, stale_after_s=10)
    assert state is StreamState.STALE and age == 12.0
    state, _ = feed_state({}, "BTC/USDT:USDT", None, now, stale_after_s=10)
    assert state is StreamState.CONNECTING


def test_a_clock_skew_report_is_a_note_not_a_stale_feed() -> None:
    now = 1_000_000
    skew = FeedStatus(
        now,
        "binanceusdm",
        None,
        "clock",
        StreamState.STALE,
        detail="local clock is +95.6 s off the exchange's",
    )
    state, _ = feed_state({(None, "clock"): skew}, "BTC/USDT:USDT", now - 500, now, 10)
    assert state is StreamState.LIVE
    stale = FeedStatus(now, "binanceusdm", "BTC/USDT:USDT", "trades", StreamState.RECONNECTING)
    state, _ = feed_state({("BTC/USDT:USDT", "trades"): stale}, "BTC/USDT:USDT", now, now, 10)
    assert state is StreamState.RECONNECTING


async def test_header_shows_stale_when_the_clock_runs_past_the_last_message(
    tmp_path: Path,
) -> None:
    now = [0.0]
    h = build(tmp_path, clock=lambda: now[0])
    async with h.app.run_test(size=(100, 30)) as pilot:
        await drained(h)
        await pilot.pause()
        h.app.repaint_now()
        assert "● live" in h.app.header_bar.lines[0].plain
        now[0] += 30.0
        h.app.repaint_now()
        line = h.app.header_bar.lines[0].plain
        assert "stale 30 s" in line and "live" not in line
        assert "SIMULATED" in line


async def test_last_reads_no_feed_while_nothing_delivers_it(tmp_path: Path) -> None:
    """Through a two-minute outage the price panel kept "Last 100,166.7" in full colour:
    only the header said the feed was down. While the symbol's feed is stale the last
    price is dimmed and says so; a lagging open-interest poll alone holds nothing."""
    now = [0.0]
    h = build(tmp_path, clock=lambda: now[0])
    async with h.app.run_test(size=(100, 30)) as pilot:
        await drained(h)
        await pilot.pause()

        def last_line() -> str:
            h.app.repaint_now()
            return next(t.plain for t in h.app.price_panel.query_one(PriceLines).lines[1:2])

        assert "no feed" not in last_line()
        symbol = h.app.current
        poll = FeedStatus(
            int(now[0] * 1000), "binanceusdm", symbol, "open_interest", StreamState.STALE
        )
        h.app.book.record(poll)
        assert "no feed" not in last_line()
        now[0] += 30.0
        line = last_line()
        assert line.startswith("Last ") and line.endswith("◌ no feed"), line


async def test_header_names_the_one_stream_down_while_prices_flow(tmp_path: Path) -> None:
    """An open-interest poll failing while trades stream on reads ``OI stale`` with the
    poll's own age, not ``stale`` beside the age of the last trade."""
    now = [0.0]
    h = build(tmp_path, clock=lambda: now[0])
    async with h.app.run_test(size=(100, 30)) as pilot:
        await drained(h)
        await pilot.pause()
        symbol = h.app.current
        now[0] += 1.0
        last_poll_ms = int((now[0] - 45.0) * 1000)
        failing = FeedStatus(
            int(now[0] * 1000),
            "binanceusdm",
            symbol,
            "open_interest",
            StreamState.STALE,
            "ExchangeNotAvailable",
            last_poll_ms,
        )
        h.app.book.record(failing)
        h.app.repaint_now()
        line = h.app.header_bar.lines[0].plain
        assert "◌ OI stale 45 s" in line, line
        # the whole feed silent: the state is the feed's again, with its own age
        now[0] += 30.0
        h.app.repaint_now()
        line = h.app.header_bar.lines[0].plain
        assert "◌ stale 31 s" in line and "OI" not in line, line


async def test_quit_closes_the_feed(tmp_path: Path) -> None:
    h = build(tmp_path)
    async with h.app.run_test(size=(100, 30)) as pilot:
        await drained(h)
        await pilot.press("q")
        await pilot.pause()
    assert h.feed._closed.is_set()


async def test_feed_is_opened_after_the_first_frame(tmp_path: Path) -> None:
    """The screen is drawn before the (slow) feed opener runs, not after it."""
    order: list[str] = []
    h = build(tmp_path)
    original = h.app._open_feed
    header = h.app.header_bar
    paint = header.render_line

    def painting(y: int) -> Strip:
        if "paint" not in order:
            order.append("paint")
        return paint(y)

    async def tracking() -> Feed:
        order.append("open")
        return await original()

    header.render_line = painting  # type: ignore[method-assign]
    h.app._open_feed = tracking
    async with h.app.run_test(size=(100, 30)) as pilot:
        await drained(h)
        await pilot.pause()
    assert order == ["paint", "open"]


async def test_a_replay_of_a_simulated_recording_shows_both_badges_and_its_own_time(
    tmp_path: Path,
) -> None:
    h = build(tmp_path, clock=lambda: 2_000_000_000.0)  # wall clock far from the recording
    h.feed.source = Source.REPLAY
    h.feed.recorded_source = Source.SIMULATED
    h.feed.progress = 0.42
    async with h.app.run_test(size=(120, 40)) as pilot:
        await drained(h)
        await pilot.pause()
        h.app.repaint_now()
        line = h.app.header_bar.lines[0].plain
        assert "REPLAY 42%" in line and "SIMULATED" in line
        # The recording's own time (the scripted market's last event), not the wall clock.
        assert time.strftime("%H:%M:%S", time.gmtime(end_clock())) in line
        assert time.strftime("%H:%M:%S", time.gmtime(2_000_000_000.0)) not in line


async def test_an_unknown_symbol_from_the_search_is_reported_and_dropped(tmp_path: Path) -> None:
    h = build(tmp_path)
    async with h.app.run_test(size=(100, 30), message_hook=h.hear) as pilot:
        await drained(h)
        await pilot.pause()
        app = h.app
        app.choose_symbol("NOPE/USDT:USDT")
        for worker in [w for w in app.workers if w.group == "symbols"]:
            await worker.wait()
        await pilot.pause()
        assert "NOPE/USDT:USDT" not in app.watchlist
        assert app.current == SYMBOLS[0]
        assert any("NOPE/USDT:USDT" in notice for notice in h.notices)


def tick_for(app: ScalpApp, now: list[float], seconds: float) -> int:
    """Run the fast tick by hand for ``seconds`` of clock; the repaints it made."""
    before = app.repaints
    step = 1.0 / app.settings.ui.tick_hz
    for _ in range(round(seconds / step)):
        now[0] += step
        app.tick()
    return app.repaints - before


async def test_a_quiet_market_repaints_at_the_quiet_rate_a_move_or_an_episode_at_full(
    tmp_path: Path,
) -> None:
    now = [end_clock()]
    h = build(tmp_path, events=(), clock=lambda: now[0])
    btc = SYMBOLS[0]
    ts = int(now[0] * 1000)
    async with h.app.run_test(size=(120, 40)) as pilot:
        app = h.app
        await pilot.pause()
        assert app.current == btc
        # Synchronous from here: the app's own timers cannot tick in between.
        app.consume(Trade(ts, "binanceusdm", btc, 100_000.0, 0.1, TakerSide.BUY))
        app.repaint_now()
        assert tick_for(app, now, 2.0) == 2 * app.settings.ui.quiet_hz  # quiet: 4 Hz
        # a trade 0.1 % away: the next tick repaints, then quiet again at the new price
        app.consume(Trade(ts + 1, "binanceusdm", btc, 100_100.0, 0.1, TakerSide.BUY))
        assert tick_for(app, now, 0.125) == 1
        assert tick_for(app, now, 2.0) == 8
        # a cascade alert: every tick until the slow panels find no episode running
        app.post_message(AlertRaised(alert(btc)))
        await pilot.pause()
        assert tick_for(app, now, 2.0) == 2 * app.settings.ui.tick_hz
        app.refresh_slow_panels()  # no episode in the detector: quiet again
        assert tick_for(app, now, 2.0) == 8


async def _played_out(tmp_path: Path, bad_at: tuple[int, ...]) -> tuple[Harness, str]:
    """The scripted market recorded, ``bad_at`` lines made unreadable, replayed to its
    end through the app: (harness, the header's text at the end)."""
    from scalptui.feed.recording import Recorder, ReplayFeed

    path = tmp_path / "run.jsonl"
    rec = Recorder(path, exchange="binanceusdm", symbols=SYMBOLS, source=Source.SIMULATED)
    for event in script():
        rec.write(event)
    rec.close()
    lines = path.read_text().splitlines(keepends=True)
    for number in bad_at:
        lines[number - 1] = "{not json\n"
    path.write_text("".join(lines))
    feed = ReplayFeed(path, speed=0)

    async def replay() -> Feed:
        return feed

    h = build(tmp_path, open_feed=replay, replay_symbols=SYMBOLS, replay_of=feed.header)
    async with h.app.run_test(size=(120, 30), message_hook=h.hear) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if feed.finished and any("End" in n or "end" in n for n in h.notices):
                break
        h.app.repaint_now()
        header = " ".join(line.plain for line in h.app.query_one(HeaderBar).lines)
    return h, header


async def test_lines_a_replay_skips_are_said_on_screen_once_and_counted_at_the_end(
    tmp_path: Path,
) -> None:
    h, _ = await _played_out(tmp_path, (2000, 2001, 4000))
    said = [n for n in h.notices if "skipped" in n]
    assert said[0] == (
        "line 2000 skipped: not JSON (expecting property name enclosed in double quotes "
        "at character 2)"
    )
    assert len(said) == 2 and said[1].endswith(
        " UTC; 3 unreadable lines skipped (their numbers are in the log). q quits"
    )


async def test_a_replay_played_to_its_end_says_so(tmp_path: Path) -> None:
    """Every chip "closed", the clock still and "100%": a replay that ended read as one
    stuck, as a clean one said nothing."""
    h, header = await _played_out(tmp_path, ())
    end = script_end_ms(list(script())) / 1000
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(end))
    assert h.notices[-1] == f"played to its end, {stamp} UTC. q quits"
    assert "REPLAY END" in header and "%" not in header
