"""MultiFeed: several venues of one simulated market through real ccxt.pro, merged.

One SimExchange serves the Binance, Bybit and OKX wire formats on one port; the
feed opens one CcxtFeed per venue against it. Tests wait on conditions, never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from scalptui.feed.base import FeedError
from scalptui.feed.ccxt_feed import CcxtFeed
from scalptui.feed.multi import FeedMaker, MultiFeed
from scalptui.feed.sim import SimExchange
from scalptui.models import FeedStatus, Liquidation, StreamState, Trade

from .simfeed import BTC, ETH, Collector, is_status

PEPE = "1000PEPE/USDT:USDT"

STREAMS = {"binanceusdm": ("trades", "mark"), "bybit": ("trades", "ticker"), "okx": ("trades",)}


def maker(sim: SimExchange, symbols: tuple[str, ...] = (BTC,), **options: Any) -> FeedMaker:
    """One real CcxtFeed per venue, every venue pointed at the one simulator."""

    def make(venue: str) -> CcxtFeed:
        return CcxtFeed(
            venue,
            symbols,
            base_url=sim.base_url,
            skip_unlisted=True,
            warm_start=False,
            **options,
        )

    return make


@contextlib.asynccontextmanager
async def multi_feed(
    sim: SimExchange, venues: Sequence[str], symbols: tuple[str, ...] = (BTC,), **options: Any
) -> AsyncIterator[tuple[MultiFeed, Collector]]:
    reopen = options.pop("reopen_base_s", 5.0)
    queue_size = options.pop("queue_size", 10_000)
    feed = MultiFeed(
        venues,
        maker(sim, symbols, **options),
        symbols=symbols,
        queue_size=queue_size,
        reopen_base_s=reopen,
    )
    try:
        await feed.start()
        got = Collector(feed)  # type: ignore[arg-type]
        try:
            yield feed, got
        finally:
            await feed.close()
            await asyncio.wait_for(got.task, 10)
    finally:
        await feed.close()


def venue_states(events: Sequence[object], venue: str) -> dict[tuple[str | None, str], StreamState]:
    out: dict[tuple[str | None, str], StreamState] = {}
    for event in events:
        if isinstance(event, FeedStatus) and event.exchange == venue:
            out[(event.symbol, event.stream)] = event.state
    return out


def streaming(events: Sequence[object], venue: str, symbol: str = BTC) -> bool:
    states = venue_states(events, venue)
    return all(states.get((symbol, s)) is StreamState.LIVE for s in STREAMS[venue])


def trades_of(got: Collector, venue: str, start: int = 0) -> list[Trade]:
    return [t for t in got.of(Trade, start) if t.exchange == venue]


async def test_venues_merge_into_one_stream_each_event_naming_its_venue() -> None:
    async with (
        asyncio.timeout(30),
        SimExchange((BTC,), scenario="calm") as sim,
        multi_feed(sim, ("binanceusdm", "bybit", "okx")) as (feed, got),
    ):
        assert feed.exchange == "binanceusdm,bybit,okx" and feed.symbols == (BTC,)
        await got.until(lambda: all(streaming(got.events, v) for v in feed.venues))
        await got.until(lambda: all(len(trades_of(got, v)) >= 5 for v in feed.venues))
        assert {e.exchange for e in got.events} == set(feed.venues)
        assert BTC in await feed.list_symbols()


async def test_one_venue_refused_mid_run_leaves_the_other_streaming() -> None:
    async with (
        asyncio.timeout(60),
        SimExchange((BTC,), scenario="calm") as sim,
        multi_feed(sim, ("binanceusdm", "bybit"), stale_after_s=2.0) as (_, got),
    ):
        await got.until(
            lambda: streaming(got.events, "binanceusdm") and streaming(got.events, "bybit")
        )
        sim.refuse("bybit")
        cut = len(got.events)
        await got.until(
            lambda: (
                venue_states(got.events[cut:], "bybit").get((BTC, "trades"))
                in (StreamState.RECONNECTING, StreamState.STALE, StreamState.FAILED)
            )
        )
        # the cut venue keeps failing to come back while the other streams on
        more = len(got.events)
        await got.until(lambda: len(trades_of(got, "binanceusdm", more)) >= 20)
        assert not trades_of(got, "bybit", more)
        assert streaming(got.events, "binanceusdm")
        assert not streaming(got.events[cut:], "bybit")
        assert sim.stats["refused_requests"] >= 1
        # let it back: it reconnects on its own
        sim.refuse("bybit", False)
        back = len(got.events)
        await got.until(lambda: len(trades_of(got, "bybit", back)) >= 3)
        # every stream of it says live again (on a loaded machine some only after its
        # first trades), within the test's timeout
        await got.until(lambda: streaming(got.events, "bybit"))


async def test_a_symbol_one_venue_lacks_is_skipped_there_with_one_line() -> None:
    # OKX lists PEPE itself, not the 1000PEPE contract of Binance (and of the simulator).
    async with (
        asyncio.timeout(30),
        SimExchange((BTC,), scenario="calm") as sim,
        multi_feed(sim, ("binanceusdm", "okx"), (BTC, PEPE)) as (feed, got),
    ):
        assert feed.symbols == (BTC, PEPE)
        await got.until(
            lambda: len([t for t in trades_of(got, "binanceusdm") if t.symbol == PEPE]) >= 3
        )
        await got.until(lambda: len(trades_of(got, "okx")) >= 3)
        skipped = [
            e for e in got.of(FeedStatus) if e.stream == "market" and e.state is StreamState.FAILED
        ]
        assert len(skipped) == 1
        assert (skipped[0].exchange, skipped[0].symbol) == ("okx", PEPE)
        assert "skipped" in skipped[0].detail and "\n" not in skipped[0].detail
        assert all(t.symbol == BTC for t in trades_of(got, "okx"))


async def test_a_symbol_no_venue_lists_is_a_feed_error_with_a_suggestion() -> None:
    async with asyncio.timeout(30), SimExchange((BTC,), scenario="calm") as sim:
        feed = MultiFeed(
            ("bybit", "okx"),
            maker(sim, (BTC, "BTCUSD/USDT:USDT")),
            symbols=(BTC, "BTCUSD/USDT:USDT"),
        )
        with pytest.raises(
            FeedError, match=r"unknown symbol 'BTCUSD/USDT:USDT'.*did you mean BTC/USDT:USDT\?"
        ):
            await feed.start()
        await feed.close()


async def test_a_venue_that_cannot_open_is_reported_and_joins_when_it_can() -> None:
    async with asyncio.timeout(60), SimExchange((BTC,), scenario="calm") as sim:
        sim.refuse("okx")
        async with multi_feed(sim, ("binanceusdm", "okx"), reopen_base_s=0.5) as (feed, got):
            # still opening when Binance is open (ccxt retries it), then retried by the feed:
            # reconnecting, not given up
            failed = await got.next_event(
                lambda e: (
                    isinstance(e, FeedStatus)
                    and e.exchange == "okx"
                    and e.stream == "feed"
                    and e.state is StreamState.RECONNECTING
                )
            )
            status = got.events[failed]
            assert isinstance(status, FeedStatus)
            assert "okx" in status.detail and "binanceusdm go on" in status.detail
            assert status.detail.startswith("cannot be opened: ") and "retrying" in status.detail
            assert "okx" not in feed.feeds
            await got.until(lambda: len(trades_of(got, "binanceusdm")) >= 5)
            assert list(feed.feeds) == ["binanceusdm"]
            sim.refuse("okx", False)
            await got.until(lambda: len(trades_of(got, "okx")) >= 3)
            assert list(feed.feeds) == ["binanceusdm", "okx"]


async def test_a_symbol_only_a_venue_down_at_start_lists_waits_for_it() -> None:
    """1000PEPE is Binance's, not OKX's: with Binance down at start it stopped the run
    (and the TUI dropped it from the saved watchlist for good). It waits for Binance."""
    async with asyncio.timeout(60), SimExchange((BTC, PEPE), scenario="calm") as sim:
        sim.refuse("binanceusdm")
        async with multi_feed(sim, ("okx", "binanceusdm"), (BTC, PEPE), reopen_base_s=0.5) as (
            feed,
            got,
        ):
            assert list(feed.feeds) == ["okx"] and PEPE in feed.symbols
            await feed.add_symbol(PEPE)  # as the TUI adds a saved symbol: kept, no error
            await got.until(lambda: len(trades_of(got, "okx")) >= 3)
            sim.refuse("binanceusdm", False)
            await got.until(lambda: any(t.symbol == PEPE for t in trades_of(got, "binanceusdm")))


class HoldingProxy:
    """A TCP proxy to the simulator that accepts connections and answers nothing until
    ``release()`` (a venue whose host hangs); after it, bytes pass both ways."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.released = asyncio.Event()
        self.held = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    def release(self) -> None:
        self.released.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        self.held += 1
        await self.released.wait()
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers.append(up_writer)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    @staticmethod
    def port_of(url: str) -> int:
        return int(url.rsplit(":", 1)[1])


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def test_a_venue_that_never_answers_holds_no_other_venue_back() -> None:
    """Bybit's host accepts connections and answers nothing (ccxt gives up only after its
    retries): Binance's data flows while Bybit is still opening, reported as such; once
    Bybit's host answers, Bybit joins the run."""
    async with (
        asyncio.timeout(60),
        SimExchange((BTC,), scenario="calm") as sim,
    ):
        hold = HoldingProxy(HoldingProxy.port_of(sim.base_url))
        async with hold as hung_url:

            def make(venue: str) -> CcxtFeed:
                url = hung_url if venue == "bybit" else sim.base_url
                return CcxtFeed(venue, (BTC,), base_url=url, skip_unlisted=True, warm_start=False)

            feed = MultiFeed(("binanceusdm", "bybit"), make, symbols=(BTC,), start_grace_s=0.5)
            try:
                await feed.start()
                got = Collector(feed)  # type: ignore[arg-type]
                await got.until(lambda: len(trades_of(got, "binanceusdm")) >= 5)
                # Bybit's start is still held, not given up on: nothing of it yet
                assert hold.held >= 1 and not hold.released.is_set()
                assert list(feed.feeds) == ["binanceusdm"]
                bybit_feed = [
                    e for e in got.of(FeedStatus) if e.exchange == "bybit" and e.stream == "feed"
                ]
                assert [e.state for e in bybit_feed] == [StreamState.CONNECTING]
                assert "binanceusdm go on" in bybit_feed[0].detail
                hold.release()
                await got.until(lambda: len(trades_of(got, "bybit")) >= 3)
                assert list(feed.feeds) == ["binanceusdm", "bybit"]
                opened = venue_states(got.events, "bybit")[(None, "feed")]
                assert opened is StreamState.LIVE
            finally:
                await feed.close()


async def test_no_venue_opens_is_a_feed_error() -> None:
    async with asyncio.timeout(60), SimExchange((BTC,), scenario="calm") as sim:
        sim.refuse("bybit")
        sim.refuse("okx")
        feed = MultiFeed(("bybit", "okx"), maker(sim), symbols=(BTC,))
        with pytest.raises(FeedError, match=r"no venue could be opened: bybit: .*; okx: "):
            await feed.start()
        await feed.close()


async def test_a_slow_consumer_loses_no_liquidation() -> None:
    # A merged queue of 16 and a consumer that reads nothing during the cascade: the
    # backlog waits in the venues' own queues, and every forced close arrives after.
    async with asyncio.timeout(60), SimExchange((BTC,), scenario="cascade", time_scale=10.0) as sim:
        feed = MultiFeed(("bybit", "okx"), maker(sim), symbols=(BTC,), queue_size=16)
        try:
            await feed.start()
            events = feed.events()
            live: set[str] = set()
            got = 0  # a print the calm market sends while the streams open counts too
            async for event in events:
                got += isinstance(event, Liquidation)
                if is_status("liquidations", StreamState.LIVE)(event):
                    live.add(event.exchange)
                if live == {"bybit", "okx"}:
                    break
            sim.trigger(BTC, "long")
            while sim.stats["bybit_liquidations_sent"] < 60:
                await asyncio.sleep(0.1)
            sim.stall("bybit.allLiquidation", 60)
            sim.stall("okx.liquidation-orders", 60)
            sent = sim.stats["bybit_liquidations_sent"] + sim.stats["okx_liquidations_sent"]
            async for event in events:
                got += isinstance(event, Liquidation)
                if got >= sent:
                    break
            assert got == sent
        finally:
            await feed.close()


async def test_each_venue_reports_its_own_clock_skew_when_its_feed_is_made_to() -> None:
    # a simulator running at 20x is soon tens of seconds ahead of the local clock
    async with (
        asyncio.timeout(30),
        SimExchange((BTC,), scenario="calm", time_scale=20.0) as sim,
        multi_feed(sim, ("binanceusdm", "bybit"), report_skew=True) as (_, got),
    ):

        def skewed(venue: str) -> bool:
            return any(
                isinstance(e, FeedStatus)
                and e.exchange == venue
                and e.stream == "clock"
                and e.state is StreamState.STALE
                and "off the exchange's" in e.detail
                for e in got.events
            )

        await got.until(lambda: skewed("binanceusdm") and skewed("bybit"))


async def test_a_symbol_added_while_running_leaves_every_venue_streaming(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The simulator starts with BTC only; Binance lists its whole catalogue and simulates a
    # symbol once a client asks for it. The other venues then see that market's events too.
    async with (
        asyncio.timeout(60),
        SimExchange((BTC,), scenario="calm") as sim,
        multi_feed(sim, ("binanceusdm", "bybit", "okx")) as (feed, got),
    ):
        await got.until(lambda: all(streaming(got.events, v) for v in feed.venues))
        cut = len(got.events)
        await feed.add_symbol(ETH)
        await got.until(
            lambda: (
                all(len(trades_of(got, v, cut)) >= 20 for v in feed.venues)
                and any(t.symbol == ETH for t in trades_of(got, "binanceusdm", cut))
            )
        )
        assert ETH in sim.model.markets
    failures = [r for r in caplog.records if r.levelname == "ERROR" and "sim" in r.name]
    assert not failures, failures[0].getMessage()


async def test_a_removed_symbol_stops_on_every_venue() -> None:
    async with (
        asyncio.timeout(40),
        SimExchange((BTC, ETH), scenario="calm", time_scale=5.0) as sim,
        multi_feed(sim, ("binanceusdm", "bybit"), (BTC, ETH)) as (feed, got),
    ):
        await got.until(lambda: all(streaming(got.events, v, ETH) for v in feed.venues))
        await feed.remove_symbol(ETH)
        assert feed.symbols == (BTC,)
        await got.until(
            lambda: all(
                venue_states(got.events, v).get((ETH, "trades")) is StreamState.CLOSED
                for v in feed.venues
            )
        )
        cut = len(got.events)
        await got.until(lambda: all(len(trades_of(got, v, cut)) >= 20 for v in feed.venues))
        assert not [t for v in feed.venues for t in trades_of(got, v, cut) if t.symbol == ETH]


async def test_a_venue_that_joins_late_leaves_out_a_removed_symbol() -> None:
    async with asyncio.timeout(60), SimExchange((BTC, ETH), scenario="calm") as sim:
        sim.refuse("okx")
        async with multi_feed(sim, ("binanceusdm", "okx"), (BTC, ETH), reopen_base_s=0.5) as (
            feed,
            got,
        ):
            await got.until(lambda: streaming(got.events, "binanceusdm", ETH))
            await feed.remove_symbol(ETH)
            assert feed.symbols == (BTC,)
            sim.refuse("okx", False)
            await got.until(lambda: "okx" in feed.feeds)
            cut = len(got.events)
            await got.until(lambda: len(trades_of(got, "okx", cut)) >= 20)
            assert feed.feeds["okx"].symbols == (BTC,)
            # The queue is in order: an ETH trade okx sent before its catch-up removed ETH
            # comes before that stream's CLOSED status, never after it (and there is none
            # at all when the stream was removed before it opened).
            closed = [
                i
                for i, e in enumerate(got.events)
                if isinstance(e, FeedStatus)
                and (e.exchange, e.symbol, e.stream) == ("okx", ETH, "trades")
                and e.state is StreamState.CLOSED
            ]
            eth = [
                i
                for i, e in enumerate(got.events)
                if isinstance(e, Trade) and e.exchange == "okx" and e.symbol == ETH
            ]
            assert not eth or (closed and max(eth) < closed[-1]), (len(eth), closed)
