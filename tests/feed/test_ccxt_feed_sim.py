"""CcxtFeed end to end: real ccxt.pro against the loopback simulated exchange.

No mock of ccxt anywhere: ccxt connects, subscribes and parses; the feed's
taps, watchdog and back-off are what is under test. Every test is bounded in
time and waits on conditions, not sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from scalptui.feed import ccxt_feed, ccxt_streams
from scalptui.feed.backoff import Backoff
from scalptui.feed.base import FeedError
from scalptui.feed.ccxt_feed import CcxtFeed
from scalptui.feed.sim import SimExchange
from scalptui.feed.sim.specs import CATALOGUE
from scalptui.models import (
    FeedStatus,
    History,
    Liquidation,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    Side,
    Source,
    StreamState,
    Trade,
)

from .simfeed import BTC, ETH, Collector, is_status, latest_states, sim_feed

STREAMS = ("trades", "mark", "liquidations", "open_interest")


def all_live(states: dict[tuple[str, str], StreamState], symbols: tuple[str, ...]) -> bool:
    return all(
        states.get((symbol, stream)) is StreamState.LIVE for symbol in symbols for stream in STREAMS
    )


async def test_feed_delivers_every_kind_of_event() -> None:
    async with (
        asyncio.timeout(20),
        sim_feed(
            (BTC, ETH), scenario="cascade", time_scale=5.0, oi_poll_s=0.5, source=Source.SIMULATED
        ) as (sim, feed, got),
    ):
        await got.until(lambda: all_live(latest_states(got.events), (BTC, ETH)))
        sim.trigger(BTC, "long")
        await got.until(lambda: got.counts[Liquidation] > 0 and got.counts[OpenInterest] >= 4)
        infos = {e.symbol: e for e in got.of(MarketInfo)}
        assert set(infos) == {BTC, ETH} and infos[BTC].tick_size > 0
        history = {e.symbol: e for e in got.of(History)}
        assert len(history[BTC].bars) == 288 and len(history[BTC].open_interest) == 288
        assert all(b.taker_buy_volume is not None for b in history[BTC].bars)
        for symbol in (BTC, ETH):
            own = [e for e in got.events if getattr(e, "symbol", None) == symbol]
            assert isinstance(own[0], MarketInfo)  # facts before that symbol's events
        trades = got.of(Trade)
        assert {t.symbol for t in trades} == {BTC, ETH}
        assert all(t.exchange == "binanceusdm" and t.amount > 0 for t in trades)
        marks = got.of(MarkPrice)
        assert marks and all(m.funding_rate is not None for m in marks)
        assert all(m.next_funding_ts is not None and m.funding_interval_h == 8.0 for m in marks)
        liq = got.of(Liquidation)[0]
        assert liq.sampled and liq.notional == pytest.approx(liq.amount * liq.price)
        assert feed.source is Source.SIMULATED and feed.symbols == (BTC, ETH)


async def test_every_force_order_of_a_burst_reaches_the_consumer() -> None:
    # 20x exchange time: the ≤1/s/symbol throttle gives several forceOrder frames
    # per 100 ms server tick, i.e. in one socket read — what watch_liquidations loses.
    async with (
        asyncio.timeout(25),
        sim_feed((BTC,), scenario="cascade", time_scale=20.0, oi_poll_s=5.0, warm_start=False) as (
            sim,
            feed,
            got,
        ),
    ):
        await got.next_event(is_status("liquidations", StreamState.LIVE, BTC))
        sim.trigger(BTC, "long")
        await got.until(lambda: sim.stats["messages_forceOrder"] >= 12)
        sim.stall("forceOrder", 60)  # freeze the count; frames already queued still arrive
        sent = sim.stats["messages_forceOrder"]
        await got.until(lambda: got.counts[Liquidation] >= sent)
        liqs = got.of(Liquidation)
        assert len(liqs) == sent >= 12
        assert feed.stats["duplicate_liquidations"] == 0
        assert Side.LONG in {liq.side for liq in liqs}  # the shock drove longs under


async def test_dropped_connections_all_come_back() -> None:
    async with (
        asyncio.timeout(20),
        sim_feed((BTC, ETH), oi_poll_s=1.0, warm_start=False) as (
            sim,
            feed,
            got,
        ),
    ):
        await got.until(lambda: all_live(latest_states(got.events), (BTC, ETH)))
        mark = len(got.events)
        assert sim.drop_connections() >= 6
        await got.next_event(is_status("trades", StreamState.RECONNECTING), mark)
        await got.until(
            lambda: all(
                got.states(stream, symbol, mark)[-1:] == [StreamState.LIVE]
                for symbol in (BTC, ETH)
                for stream in ("trades", "mark", "liquidations")
            )
        )
        after = len(got.events)
        await got.until(
            lambda: (
                {t.symbol for t in got.of(Trade, after)} == {BTC, ETH}
                and {m.symbol for m in got.of(MarkPrice, after)} == {BTC, ETH}
            )
        )
        assert feed.stats["reconnects"] >= 6


class RecordedBackoff(Backoff):
    """The feed's real back-off, remembering each delay it hands out since the last reset."""

    def __init__(self, made: list[RecordedBackoff], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delays: list[float] = []
        made.append(self)

    def next_delay(self, floor: float = 0.0) -> float:
        delay = super().next_delay(floor)
        self.delays.append(delay)
        return delay

    def reset(self) -> None:
        super().reset()
        self.delays.clear()


async def test_reconnects_back_off_while_the_venue_is_down(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[RecordedBackoff] = []
    monkeypatch.setattr(ccxt_streams, "Backoff", lambda **kwargs: RecordedBackoff(made, **kwargs))
    async with (
        asyncio.timeout(30),
        sim_feed((BTC,), oi_poll_s=5.0, warm_start=False) as (
            sim,
            _feed,
            got,
        ),
    ):
        await got.until(lambda: all_live(latest_states(got.events), (BTC,)))
        streams = [b for b in made if b.base == 0.5]  # trades, mark, liquidations
        assert len(streams) == 3
        await sim.stop()  # connections drop and the port refuses every new dial
        await got.next_event(is_status("trades", StreamState.RECONNECTING, BTC))
        while not all(len(b.delays) >= 4 for b in streams):
            await asyncio.sleep(0.05)
        # Each failed dial waits longer: the n-th delay is drawn from [½·c, c] with
        # c = 0.5 s · 2^n, so it is at least 0.25 s · 2^n — a fixed retry fails this.
        for backoff in streams:
            floors = [0.25 * 2**n for n in range(len(backoff.delays))]
            assert all(d >= f for d, f in zip(backoff.delays, floors, strict=True))
            assert backoff.delays == sorted(backoff.delays)
        assert got.states("trades", BTC)[-1] is StreamState.RECONNECTING  # honest, not "live"


class LongWaitBackoff(Backoff):
    """After two quick retries every delay is ``LONG_WAIT_S``: a back-off grown long."""

    def next_delay(self, floor: float = 0.0) -> float:
        self.attempts += 1
        return 0.1 if self.attempts <= 2 else LONG_WAIT_S


LONG_WAIT_S = 30.0


async def test_after_an_outage_the_streams_come_back_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One stream retries quickly; the five others' back-offs have grown to 30 s. Once
    the venue is back, the quick one's return brings the others within a few seconds,
    not at the end of their waits."""
    streams: list[Backoff] = []  # the stream supervisors' (the polls' have a base of 5 s)

    def backoff(**kwargs: Any) -> Backoff:
        if kwargs.get("base", 0.5) != 0.5:
            return Backoff(**kwargs)
        made = Backoff(base=0.05, cap=0.1) if not streams else LongWaitBackoff(**kwargs)
        streams.append(made)  # the first stream's retries quickly, the others wait long
        return made

    monkeypatch.setattr(ccxt_streams, "Backoff", backoff)
    symbols = (BTC, ETH)
    async with (
        asyncio.timeout(LONG_WAIT_S + 15),
        sim_feed(symbols, oi_poll_s=5.0, warm_start=False) as (sim, _feed, got),
    ):
        await got.until(lambda: all_live(latest_states(got.events), symbols))
        assert len(streams) == 6  # trades, mark, liquidations of each symbol
        sim.refuse("binanceusdm")
        while not all(b.attempts >= 3 for b in streams):  # every long one is in its 30 s
            await asyncio.sleep(0.05)
        back = len(got.events)
        let_back = time.monotonic()
        sim.refuse("binanceusdm", refused=False)
        live_at: dict[tuple[str, str], float] = {}
        while len(live_at) < 6:
            seen = back
            await got.until(lambda seen=seen: len(got.events) > seen)  # type: ignore[misc]
            for event in got.events[seen:]:
                if (
                    isinstance(event, FeedStatus)
                    and event.state is StreamState.LIVE
                    and event.stream != "open_interest"
                    and event.symbol is not None
                ):
                    live_at.setdefault((event.symbol, event.stream), time.monotonic())
            back = len(got.events)
        assert max(live_at.values()) - let_back < LONG_WAIT_S / 3, live_at


async def test_stalled_stream_goes_stale_and_is_resubscribed() -> None:
    # Mark prices come every second: a deadline of 2.5 s keeps them live on a busy machine.
    async with (
        asyncio.timeout(20),
        sim_feed((BTC,), stale_after_s=2.5, oi_poll_s=1.0) as (
            sim,
            feed,
            got,
        ),
    ):
        await got.until(lambda: all_live(latest_states(got.events), (BTC,)))
        connections = sim.stats["connections_total"]
        mark = len(got.events)
        stalled_at = time.monotonic()
        sim.stall("trade", 4.0)
        sim.stall("forceOrder", 4.0)  # a silent liquidation stream is normal, not stale
        stale = await got.next_event(is_status("trades", StreamState.STALE, BTC), mark)
        assert time.monotonic() - stalled_at < 4.0  # the deadline plus a watchdog tick
        resub = await got.next_event(is_status("trades", StreamState.RECONNECTING, BTC), stale)
        assert "silent" in got.events[resub].detail  # type: ignore[union-attr]
        await got.next_event(is_status("trades", StreamState.LIVE, BTC), resub)
        assert sim.stats["connections_total"] > connections  # a fresh subscription
        assert feed.stats["reconnects"] >= 1
        # The mark stream kept flowing and the quiet liquidation stream is never stale.
        assert StreamState.STALE not in got.states("mark", BTC, mark)
        assert StreamState.STALE not in got.states("liquidations", BTC)


async def test_malformed_frames_are_skipped_counted_and_silence_nothing() -> None:
    async with (
        asyncio.timeout(20),
        sim_feed((BTC,), oi_poll_s=1.0, warm_start=False) as (
            sim,
            feed,
            got,
        ),
    ):
        await got.until(lambda: all_live(latest_states(got.events), (BTC,)))
        sockets = sim.send_garbage(4)
        assert sockets == 3  # trades, mark, liquidations
        await got.until(lambda: feed.stats["malformed_frames"] == 4 * sockets)
        after = len(got.events)
        await got.until(lambda: bool(got.of(Trade, after)) and bool(got.of(MarkPrice, after)))
        assert feed.stats["reconnects"] == 0  # survived in place: no connection was lost
        assert StreamState.STALE not in got.states("trades", BTC)


async def test_open_interest_poll_backs_off_on_429_and_recovers() -> None:
    async with (
        asyncio.timeout(20),
        sim_feed((BTC,), oi_poll_s=0.3, warm_start=False) as (
            sim,
            feed,
            got,
        ),
    ):
        await got.next_event(is_status("open_interest", StreamState.LIVE, BTC))
        mark = len(got.events)
        sim.fail_http(429, 2)
        stale = await got.next_event(is_status("open_interest", StreamState.STALE, BTC), mark)
        assert "RateLimitExceeded" in got.events[stale].detail or "DDoS" in got.events[stale].detail  # type: ignore[union-attr]
        live = await got.next_event(is_status("open_interest", StreamState.LIVE, BTC), stale)
        await got.until(lambda: bool(got.of(OpenInterest, live)))
        assert feed.stats["http_errors"] == 2


async def test_open_interest_polls_again_as_soon_as_the_venue_is_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After an outage the open interest comes back with the prices, not at the end of
    a poll back-off that has grown to minutes (the header read "stale" meanwhile)."""
    made: list[RecordedBackoff] = []

    def backoff(**kwargs: Any) -> Backoff:
        if kwargs.get("base") == 0.5:  # the streams: reconnect at once once let back in
            return Backoff(base=0.05, cap=0.2)
        return RecordedBackoff(made, **kwargs)

    monkeypatch.setattr(ccxt_streams, "Backoff", backoff)
    async with (
        asyncio.timeout(45),
        sim_feed((BTC,), oi_poll_s=6.0, warm_start=False) as (sim, _feed, got),
    ):
        await got.until(lambda: all_live(latest_states(got.events), (BTC,)))
        mark = len(got.events)
        sim.refuse("binanceusdm")
        stale = await got.next_event(is_status("open_interest", StreamState.STALE, BTC), mark)
        (poll,) = (b for b in made if b.base == 6.0)
        waiting = poll.delays[-1]  # the back-off the poll is sleeping out: 6-12 s
        assert waiting >= 6.0
        let_back = time.monotonic()
        sim.refuse("binanceusdm", refused=False)
        await got.next_event(is_status("trades", StreamState.LIVE, BTC), stale)
        await got.next_event(is_status("open_interest", StreamState.LIVE, BTC), stale)
        assert time.monotonic() - let_back < waiting - 1.0


async def test_a_venue_back_after_an_outage_longer_than_the_deadline_is_not_dropped_as_silent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The silence of a new connection was counted from the last message before the
    outage: each one was dropped "silent" at the watchdog's first tick, still opening,
    and a stream stayed dark 20-40 s after its venue was back."""
    monkeypatch.setattr(ccxt_streams, "Backoff", lambda **_: Backoff(base=0.5, cap=1.0))
    async with (
        asyncio.timeout(60),
        sim_feed((BTC,), oi_poll_s=2.0, warm_start=False) as (sim, _feed, got),
    ):
        await got.until(lambda: all_live(latest_states(got.events), (BTC,)))
        sim.refuse("binanceusdm")
        await asyncio.sleep(13.0)  # past the 10 s a stream may be silent
        back = len(got.events)
        sim.refuse("binanceusdm", refused=False)
        for stream in ("trades", "mark"):
            await got.next_event(is_status(stream, StreamState.LIVE, BTC), back)
        dropped = [
            e.detail
            for e in got.of(FeedStatus, back)
            if e.stream in ("trades", "mark") and "silent for" in e.detail
        ]
        assert dropped == []


async def test_start_retries_through_5xx() -> None:
    async with asyncio.timeout(20), SimExchange((BTC,), scenario="calm") as sim:
        sim.fail_http(503, 2)
        feed = CcxtFeed("binanceusdm", [BTC], base_url=sim.base_url, warm_start=False)
        try:
            await feed.start()
            assert feed.stats["http_errors"] == 2
            assert BTC in await feed.list_symbols()
        finally:
            await feed.close()


async def test_unknown_symbol_is_a_feed_error_naming_it() -> None:
    async with asyncio.timeout(15), SimExchange((BTC,), scenario="calm") as sim:
        feed = CcxtFeed("binanceusdm", [BTC, "NOPE/USDT:USDT"], base_url=sim.base_url)
        with pytest.raises(FeedError, match="NOPE/USDT:USDT"):
            await feed.start()
        await feed.close()


async def test_unknown_exchange_is_a_feed_error() -> None:
    feed = CcxtFeed("kraken", [BTC])
    with pytest.raises(FeedError, match="unknown exchange 'kraken'"):
        await feed.start()
    await feed.close()


async def test_events_of_a_feed_closed_before_start_end_at_once() -> None:
    feed = CcxtFeed("binanceusdm", [BTC])
    await feed.close()
    async with asyncio.timeout(2):
        assert [e async for e in feed.events()] == []
    with pytest.raises(FeedError, match="closed"):
        await feed.start()


async def test_unreachable_endpoint_is_a_feed_error_after_retries() -> None:
    async with asyncio.timeout(20), SimExchange((BTC,), scenario="calm") as sim:
        url = sim.base_url
    # The simulator is gone: its port refuses connections.
    feed = CcxtFeed("binanceusdm", [BTC], base_url=url)
    async with asyncio.timeout(20):
        with pytest.raises(FeedError, match="markets unreachable after 4 attempts"):
            await feed.start()
    await feed.close()


async def test_add_symbol_and_list_symbols() -> None:
    async with (
        asyncio.timeout(20),
        sim_feed((BTC,), sim_symbols=(BTC, ETH), oi_poll_s=1.0, warm_start=False) as (
            _sim,
            feed,
            got,
        ),
    ):
        assert await feed.list_symbols() == sorted(CATALOGUE)  # all listed, two simulated
        await feed.add_symbol(ETH)
        await feed.add_symbol(ETH)  # already streamed: no second set of streams
        assert feed.symbols == (BTC, ETH)
        await got.until(lambda: any(t.symbol == ETH for t in got.of(Trade)))
        assert [e.symbol for e in got.of(MarketInfo)] == [BTC, ETH]
        with pytest.raises(FeedError, match="NOPE"):
            await feed.add_symbol("NOPE/USDT:USDT")


async def test_close_is_idempotent_and_ends_events() -> None:
    async with asyncio.timeout(15), sim_feed((BTC,), warm_start=False) as (_sim, feed, got):
        await got.until(lambda: bool(got.of(Trade)))
        await feed.close()
        await feed.close()
        await asyncio.wait_for(got.task, 5)
        assert set(got.states("trades", BTC)[-1:]) == {StreamState.CLOSED}
        with pytest.raises(FeedError, match="closed"):
            await feed.add_symbol(ETH)


# What a removed ETH stops receiving, by the simulator's stream names: the subscriptions
# ccxt can un-watch (liquidations and OKX's mark price and funding it cannot).
UNWATCHED = {
    "binanceusdm": {"ethusdt@trade", "ethusdt@markPrice@1s"},
    "bybit": {"bybit:publicTrade.ETHUSDT", "bybit:tickers.ETHUSDT"},
    "okx": {"okx:trades:ETH-USDT-SWAP"},
}


@contextlib.asynccontextmanager
async def trading_btc_and_eth(
    timeout_s: float, venue: str = "binanceusdm"
) -> AsyncIterator[tuple[SimExchange, CcxtFeed, Collector]]:
    """The feed on BTC and ETH at 5x, once both have traded (the un-watch tests' start)."""
    async with (
        asyncio.timeout(timeout_s),
        sim_feed((BTC, ETH), time_scale=5.0, warm_start=False, exchange=venue) as (
            sim,
            feed,
            got,
        ),
    ):
        await got.until(lambda: {t.symbol for t in got.of(Trade)} == {BTC, ETH})
        yield sim, feed, got


@pytest.mark.parametrize("venue", ["binanceusdm", "bybit", "okx"])
async def test_a_removed_symbol_stops_and_can_come_back(venue: str) -> None:
    async with trading_btc_and_eth(40, venue) as (sim, feed, got):
        await got.until(lambda: UNWATCHED[venue] <= sim.subscribed_streams())
        await feed.remove_symbol(ETH)
        # the venue was asked to stop sending, and said so, before the removal returned
        assert not UNWATCHED[venue] & sim.subscribed_streams()
        # and no connection stays open for ETH alone (one a symbol ever watched had kept)
        in_use = {stream.url for stream in feed._streams.values()}
        assert set(feed._ex.clients) <= in_use
        await feed.remove_symbol(ETH)  # not streamed any more: nothing to do
        assert feed.symbols == (BTC,)
        await got.until(lambda: StreamState.CLOSED in got.states("trades", ETH))
        # the queue is in order: every ETH event came before its streams said CLOSED
        closed = max(
            i
            for i, e in enumerate(got.events)
            if isinstance(e, FeedStatus) and e.symbol == ETH and e.state is StreamState.CLOSED
        )
        await got.until(lambda: len([t for t in got.of(Trade, closed) if t.symbol == BTC]) >= 30)
        after = [e for e in got.events[closed + 1 :] if getattr(e, "symbol", None) == ETH]
        assert not after, after[:3]
        await feed.add_symbol(ETH)
        assert list(feed.symbols) == [BTC, ETH]
        back = len(got.events)
        await got.until(lambda: any(t.symbol == ETH for t in got.of(Trade, back)))
        await got.until(lambda: UNWATCHED[venue] <= sim.subscribed_streams())


@pytest.mark.parametrize("venue", ["binanceusdm", "bybit", "okx"])
async def test_an_unacknowledged_unwatch_leaves_the_symbol_able_to_come_back(
    venue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The venue carries out the unsubscribe but its answer is lost. ccxt would keep the
    subscription on its books and never subscribe the symbol again; the connection is
    restarted instead, so the other symbol streams on and the removed one comes back."""
    monkeypatch.setattr(ccxt_feed, "UNWATCH_TIMEOUT_S", 0.5)
    async with trading_btc_and_eth(60, venue) as (sim, feed, got):
        sim.withhold_unsubscribe_acks()
        await feed.remove_symbol(ETH)
        assert feed.symbols == (BTC,)
        await feed.add_symbol(ETH)
        back = len(got.events)
        await got.until(lambda: any(t.symbol == ETH for t in got.of(Trade, back)))
        await got.until(lambda: any(t.symbol == BTC for t in got.of(Trade, back)))
        await got.until(lambda: UNWATCHED[venue] <= sim.subscribed_streams())


async def _hog_the_loop(block_s: float) -> None:
    """Hold the event loop ``block_s`` at each turn, as a saturated CPU does: every
    frame is read late, the venue's answers included."""
    while True:
        time.sleep(block_s)
        await asyncio.sleep(0)


@pytest.mark.parametrize("venue", ["bybit", "okx"])
async def test_an_unwatch_answered_behind_a_lagging_loop_keeps_the_connection(
    venue: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The venue answers at once but the loop reads it late (a cascade's frames on a
    small machine): the lag is the monitor's own, not the venue's silence, so the
    connection every other symbol streams on is not dropped."""
    monkeypatch.setattr(ccxt_feed, "UNWATCH_TIMEOUT_S", 1.0)
    async with trading_btc_and_eth(90, venue) as (sim, feed, got):
        await got.until(lambda: UNWATCHED[venue] <= sim.subscribed_streams())
        cut = len(got.events)
        hog = asyncio.create_task(_hog_the_loop(0.6))
        try:
            await feed.remove_symbol(ETH)
        finally:
            hog.cancel()
        assert not UNWATCHED[venue] & sim.subscribed_streams()
        assert "un-watch failed" not in caplog.text
        assert StreamState.RECONNECTING not in got.states("trades", BTC, cut)
        await feed.add_symbol(ETH)
        back = len(got.events)
        await got.until(lambda: any(t.symbol == ETH for t in got.of(Trade, back)))


async def test_a_connection_closing_during_an_unwatch_does_not_abort_the_removal() -> None:
    """ccxt cancels a closing client's futures, the pending un-watch's among them: the
    removal still completes (a merged feed goes on to its other venues)."""
    async with trading_btc_and_eth(30) as (sim, feed, got):
        sim.withhold_unsubscribe_acks()
        url = feed._streams[f"trades:{ETH}"].url
        assert url is not None
        removing = asyncio.create_task(feed.remove_symbol(ETH))
        # the un-watch is sent (the venue carried it out) and waits for its answer
        await got.until(lambda: "ethusdt@trade" not in sim.subscribed_streams())
        await feed._ex.clients[url].close()  # as the watchdog closes a silent connection
        await removing  # not cancelled
        assert feed.symbols == (BTC,)
        cut = len(got.events)
        await got.until(lambda: any(t.symbol == BTC for t in got.of(Trade, cut)))


async def test_a_remove_asked_right_after_an_add_wins() -> None:
    # x pressed while the / that added the symbol is still loading its funding interval
    async with (
        asyncio.timeout(30),
        sim_feed((BTC,), sim_symbols=(BTC, ETH), time_scale=5.0, warm_start=False) as (
            _sim,
            feed,
            got,
        ),
    ):
        await got.until(lambda: bool(got.of(Trade)))
        adding = asyncio.create_task(feed.add_symbol(ETH))
        removing = asyncio.create_task(feed.remove_symbol(ETH))
        await asyncio.gather(adding, removing)
        assert feed.symbols == (BTC,)
        cut = len(got.events)
        await got.until(lambda: len(got.of(Trade, cut)) >= 30)
        assert not [t for t in got.of(Trade, cut) if t.symbol == ETH]
