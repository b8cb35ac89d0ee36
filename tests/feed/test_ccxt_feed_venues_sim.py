"""CcxtFeed on Bybit and OKX end to end: real ccxt.pro against the simulator's
Bybit v5 and OKX v5 wire formats.

The same connection handling as for Binance (tests/feed/test_ccxt_feed_sim.py):
start-up facts, every kind of event, bursts of liquidations, reconnects with
back-off, staleness, malformed frames, 429/5xx — now on the venues whose
quirks differ (Bybit's position side and one connection for every topic,
OKX's contracts and its sampled liquidation channel). No mock of ccxt anywhere.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import aiohttp
import pytest

from scalptui.feed.ccxt_feed import CcxtFeed
from scalptui.feed.sim import SimExchange
from scalptui.feed.venues import VENUES as VENUE_TABLE
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

from .simfeed import BTC, ETH, is_status, latest_states, sim_feed

SOL = "SOL/USDT:USDT"
XRP = "XRP/USDT:USDT"

STREAMS = {
    "bybit": ("trades", "liquidations", "ticker"),
    "okx": ("trades", "liquidations", "mark", "funding", "open_interest"),
}
# Each venue's regular streams, one per connection-wide stall (Bybit and OKX carry
# every public topic of a symbol on one socket).
REGULAR_KINDS = {
    "bybit": ("bybit.publicTrade", "bybit.tickers"),
    "okx": ("okx.trades", "okx.mark-price"),
}
VENUES = ("bybit", "okx")


def all_live(events: Sequence[object], venue: str, symbols: tuple[str, ...]) -> bool:
    states = latest_states(events)
    return all(
        states.get((symbol, stream)) is StreamState.LIVE
        for symbol in symbols
        for stream in STREAMS[venue]
    )


@pytest.mark.parametrize("venue", VENUES)
async def test_feed_delivers_every_kind_of_event(venue: str) -> None:
    async with (
        asyncio.timeout(25),
        sim_feed((BTC, ETH), exchange=venue, time_scale=5.0, oi_poll_s=0.5) as (sim, feed, got),
    ):
        await got.until(lambda: all_live(got.events, venue, (BTC, ETH)))
        await got.until(
            lambda: (
                {m.symbol for m in got.of(MarkPrice) if m.funding_rate is not None} == {BTC, ETH}
                and {o.symbol for o in got.of(OpenInterest)} == {BTC, ETH}
            )
        )
        assert feed.source is Source.SIMULATED  # the simulator's header, on every venue
        infos = {e.symbol: e for e in got.of(MarketInfo)}
        assert infos[BTC].contract_size == (1.0 if venue == "bybit" else 0.01)
        assert infos[ETH].contract_size == (1.0 if venue == "bybit" else 0.1)
        assert infos[BTC].tick_size == 0.1 and infos[BTC].max_leverage == 100.0
        assert infos[BTC].mmr == pytest.approx(0.004)  # the first tier, public on both
        assert infos[BTC].funding_interval_h == 8.0
        trades = got.of(Trade)
        assert {t.symbol for t in trades} == {BTC, ETH}
        assert all(t.exchange == venue for t in trades)
        # sizes in base units: OKX's contracts times ctVal land on the simulator's step
        assert all(abs(t.amount * 1000 - round(t.amount * 1000)) < 1e-6 for t in trades)
        marks = [m for m in got.of(MarkPrice) if m.symbol == BTC]
        assert all(80_000 < m.mark < 120_000 for m in marks)
        funded = [m for m in marks if m.funding_rate is not None]
        assert funded and all(
            m.next_funding_ts and m.next_funding_ts % 28_800_000 == 0 for m in funded
        )
        oi = [o for o in got.of(OpenInterest) if o.symbol == BTC]
        true_oi = sim.model.markets[BTC].open_interest
        assert all(abs(o.amount / true_oi - 1) < 0.05 for o in oi)  # base units, not contracts


@pytest.mark.parametrize("venue", VENUES)
async def test_warm_start_volume_is_in_base_units(venue: str) -> None:
    """OKX candles carry contracts (``vol``) and base units (``volCcy``); ccxt reads the
    latter, so the feed must not scale it again (it once did: BTC bars 100x too small)."""
    async with (
        asyncio.timeout(20),
        sim_feed((BTC, ETH), exchange=venue, time_scale=5.0, oi_poll_s=5.0) as (sim, _feed, got),
    ):
        await got.until(lambda: len(got.of(History)) == 2)
        for history in got.of(History):
            market = sim.model.markets[history.symbol]
            truth = {
                bar.open_ms: bar.volume
                for bar in market.bars.candles(300_000, start_ms=None, end_ms=None, limit=400)
            }
            closed = history.bars[:-1]  # the last bar is still filling
            assert len(closed) >= 50
            for bar in closed:
                assert bar.volume == pytest.approx(truth[bar.ts], abs=market.spec.qty_step)
            samples = history.open_interest
            assert samples and all(
                abs(s.amount / market.spec.open_interest - 1) < 0.2 for s in samples
            )


async def listen(url: str, subscribe: dict[str, Any], into: list[dict[str, Any]]) -> None:
    """A plain WebSocket client beside the feed: every data item of its pushes."""
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str(json.dumps(subscribe))
        async for message in ws:
            frame = json.loads(message.data)
            into.extend(frame.get("data") or [])


async def test_bybit_every_forced_close_of_a_burst_reaches_the_consumer() -> None:
    # allLiquidation batches every forced close of 500 ms into one frame, several
    # items a frame in a cascade: what watch_liquidations alone would lose.
    async with (
        asyncio.timeout(30),
        sim_feed(
            (BTC,),
            exchange="bybit",
            scenario="cascade",
            time_scale=10.0,
            warm_start=False,
        ) as (sim, feed, got),
    ):
        await got.next_event(is_status("liquidations", StreamState.LIVE, BTC))
        wire: list[dict[str, Any]] = []
        url = sim.base_url.replace("http", "ws") + "/v5/public/linear"
        request = {"op": "subscribe", "req_id": "raw", "args": ["allLiquidation.BTCUSDT"]}
        listener = asyncio.create_task(listen(url, request, wire))
        await got.until(lambda: sim.stats["subscriptions"] == 4)  # the feed's 3 + this one
        sim.trigger(BTC, "long")
        await got.until(lambda: sim.stats["bybit_liquidations_sent"] >= 80)
        sim.stall("bybit.allLiquidation", 60)  # freeze the count; queued frames still arrive
        sent = sim.stats["bybit_liquidations_sent"]  # to both sockets
        assert sim.stats["messages_bybit.allLiquidation"] < sent  # several per frame
        await got.until(lambda: got.counts[Liquidation] + len(wire) >= sent)
        listener.cancel()
        items = wire
        liqs = got.of(Liquidation)
        assert len(liqs) == sent - len(items)  # every forced close sent to the feed
        assert feed.stats["duplicate_liquidations"] == 0
        # from the listener's first 500 ms batch on, both sockets got the same prints
        first = min(item["T"] for item in items)
        first -= first % 500
        liqs_seen_by_both = [liq for liq in liqs if liq.ts >= first]
        # the wire's S is the liquidated position: "Buy" is a long, whatever ccxt says
        expected = Counter(
            (item["T"], Side.LONG if item["S"] == "Buy" else Side.SHORT, item["v"], item["p"])
            for item in items
        )
        got_prints = Counter(
            (liq.ts, liq.side, f"{liq.amount:.3f}", f"{liq.price:.1f}") for liq in liqs_seen_by_both
        )
        assert got_prints == expected
        assert all(not liq.sampled and liq.exchange == "bybit" for liq in liqs)
        assert all(liq.notional == pytest.approx(liq.amount * liq.price) for liq in liqs)
        longs = [liq for liq in liqs if liq.side is Side.LONG]
        assert len(longs) > 0.8 * len(liqs)  # the shock down forced longs out


async def test_okx_liquidations_are_sampled_and_sized_from_the_market() -> None:
    async with (
        asyncio.timeout(30),
        sim_feed((BTC,), exchange="okx", scenario="cascade", time_scale=10.0, warm_start=False) as (
            sim,
            feed,
            got,
        ),
    ):
        await got.next_event(is_status("liquidations", StreamState.LIVE, BTC))
        sim.trigger(BTC, "long")
        await got.until(lambda: sim.stats["okx_liquidations_sent"] >= 6)
        sim.stall("okx.liquidation-orders", 60)
        sent = sim.stats["okx_liquidations_sent"]
        await got.until(lambda: got.counts[Liquidation] >= sent)
        liqs = got.of(Liquidation)
        assert len(liqs) == sent
        stats = sim.stats
        # at most one a second per contract: far fewer than the model force-closed
        assert stats["okx_liquidations_pushed"] < stats["okx_liquidations_generated"] / 3
        assert len({liq.ts // 1000 for liq in liqs}) == len(liqs)
        assert all(liq.sampled and liq.exchange == "okx" for liq in liqs)
        assert feed.stats["duplicate_liquidations"] == 0
        # ccxt leaves contractSize empty: amount = contracts x ctVal (0.01) from the market
        assert all(liq.amount < 50 for liq in liqs)  # BTC, not contracts
        assert all(liq.notional == pytest.approx(liq.amount * liq.price) for liq in liqs)
        assert Side.LONG in {liq.side for liq in liqs}


@pytest.mark.parametrize("venue", VENUES)
async def test_dropped_connection_comes_back(venue: str) -> None:
    async with (
        asyncio.timeout(25),
        sim_feed((BTC, ETH), exchange=venue, oi_poll_s=1.0, warm_start=False) as (
            sim,
            feed,
            got,
        ),
    ):
        await got.until(lambda: all_live(got.events, venue, (BTC, ETH)))
        mark = len(got.events)
        assert sim.drop_connections(venue="binanceusdm") == 0  # only this venue's sockets
        assert sim.drop_connections(venue=venue) >= 1
        await got.next_event(is_status("trades", StreamState.RECONNECTING), mark)
        await got.until(
            lambda: all(
                got.states(stream, symbol, mark)[-1:] == [StreamState.LIVE]
                for symbol in (BTC, ETH)
                for stream in STREAMS[venue]
                if stream != "open_interest"
            )
        )
        after = len(got.events)
        await got.until(
            lambda: (
                {t.symbol for t in got.of(Trade, after)} == {BTC, ETH}
                and {m.symbol for m in got.of(MarkPrice, after)} == {BTC, ETH}
            )
        )
        assert feed.stats["reconnects"] >= 4


@pytest.mark.parametrize("venue", VENUES)
async def test_a_replaced_connection_that_still_delivers_is_closed_not_doubled(venue: str) -> None:
    """ccxt's ``close`` of a client still dialing finds no socket to close: the client
    connected afterwards and delivered beside its replacement. After a restart of the
    simulator on Bybit half the recorded trades were copies. Here the exchange forgets
    its live client as if it had been closed then: the feed moves to a new one, and the
    old one is closed at its next frame, nothing of it delivered."""
    async with (
        asyncio.timeout(25),
        sim_feed((BTC,), exchange=venue, oi_poll_s=1.0, warm_start=False) as (_sim, feed, got),
    ):
        await got.until(lambda: all_live(got.events, venue, (BTC,)))
        url = next(u for u in feed._ex.clients if "public" in u)
        old = feed._ex.clients.pop(url)
        # The replacement is there before the old one's next frame: closing the old one
        # must not take the new one's place (ccxt forgets a closed client by its URL).
        new = feed._ex.client(url)
        mark = len(got.events)
        await got.next_event(is_status("trades", StreamState.RECONNECTING, BTC), mark)
        await got.until(lambda: got.states("trades", BTC, mark)[-1:] == [StreamState.LIVE])
        after = len(got.events)
        await got.until(lambda: len(got.of(Trade, after)) >= 60)
        trades = Counter(
            (t.ts, t.price, t.amount, t.side) for t in got.of(Trade, after) if t.symbol == BTC
        )
        assert max(trades.values()) == 1, "a trade delivered twice"
        assert old.closed()
        assert feed._ex.clients.get(url) is new and not new.closed()
        assert got.states("trades", BTC, after) == []  # no further reconnect


@pytest.mark.parametrize("venue", VENUES)
async def test_reconnects_back_off_while_the_venue_is_down(venue: str) -> None:
    async with (
        asyncio.timeout(25),
        sim_feed((BTC,), exchange=venue, oi_poll_s=5.0, warm_start=False) as (sim, feed, got),
    ):
        await got.until(lambda: all_live(got.events, venue, (BTC,)))
        await sim.stop()  # connections drop and the port refuses every new dial
        down_at = time.monotonic()
        await got.next_event(is_status("trades", StreamState.RECONNECTING, BTC))
        await asyncio.sleep(2.0)  # a window of wall time is what is being measured
        elapsed = time.monotonic() - down_at
        websocket_streams = len(STREAMS[venue]) - (1 if venue == "okx" else 0)
        attempts = feed.stats["reconnects"] / websocket_streams
        # Back-off from 0.5 s, doubling, with jitter: a handful of dials, not a hot loop.
        assert 1 <= attempts <= 1 + elapsed / 0.5
        assert got.states("trades", BTC)[-1] is StreamState.RECONNECTING


@pytest.mark.parametrize("venue", VENUES)
async def test_stalled_connection_goes_stale_and_is_resubscribed(venue: str) -> None:
    # A connection is dropped once every regular stream on it is silent: on OKX that
    # waits for the mark's allowance of 1.5 × its 10 s re-send of an unchanged value.
    silent_s = VENUE_TABLE[venue].stale_after_s("mark", 2.5)
    async with (
        asyncio.timeout(20 + silent_s),
        sim_feed((BTC,), exchange=venue, stale_after_s=2.5, oi_poll_s=1.0, warm_start=False) as (
            sim,
            feed,
            got,
        ),
    ):
        await got.until(lambda: all_live(got.events, venue, (BTC,)))
        connections = sim.stats["connections_total"]
        mark = len(got.events)
        for kind in REGULAR_KINDS[venue]:
            sim.stall(kind, silent_s + 2.5)
        stale = await got.next_event(is_status("trades", StreamState.STALE, BTC), mark)
        resub = await got.next_event(is_status("trades", StreamState.RECONNECTING, BTC), stale)
        assert "silent" in got.events[resub].detail  # type: ignore[union-attr]
        await got.next_event(is_status("trades", StreamState.LIVE, BTC), resub)
        assert sim.stats["connections_total"] > connections  # a fresh subscription
        assert feed.stats["reconnects"] >= 1
        after = len(got.events)
        await got.until(lambda: bool(got.of(Trade, after)) and bool(got.of(MarkPrice, after)))
        assert StreamState.STALE not in got.states("liquidations", BTC)  # quiet is normal


@pytest.mark.parametrize("venue", VENUES)
async def test_malformed_frames_are_skipped_counted_and_silence_nothing(venue: str) -> None:
    async with (
        asyncio.timeout(20),
        sim_feed((BTC,), exchange=venue, oi_poll_s=1.0, warm_start=False) as (sim, feed, got),
    ):
        await got.until(lambda: all_live(got.events, venue, (BTC,)))
        sockets = sim.send_garbage(4, venue=venue)
        assert sockets == 1  # every public topic of the venue on one socket
        await got.until(lambda: feed.stats["malformed_frames"] == 4 * sockets)
        after = len(got.events)
        await got.until(lambda: bool(got.of(Trade, after)) and bool(got.of(MarkPrice, after)))
        assert feed.stats["reconnects"] == 0  # survived in place: no connection was lost
        assert StreamState.STALE not in got.states("trades", BTC)


async def test_okx_open_interest_poll_backs_off_on_429_and_recovers() -> None:
    async with (
        asyncio.timeout(20),
        sim_feed((BTC,), exchange="okx", oi_poll_s=0.3, warm_start=False) as (sim, feed, got),
    ):
        await got.next_event(is_status("open_interest", StreamState.LIVE, BTC))
        mark = len(got.events)
        sim.fail_http(429, 2, venue="okx")
        stale = await got.next_event(is_status("open_interest", StreamState.STALE, BTC), mark)
        assert "RateLimitExceeded" in got.events[stale].detail  # type: ignore[union-attr]
        live = await got.next_event(is_status("open_interest", StreamState.LIVE, BTC), stale)
        await got.until(lambda: bool(got.of(OpenInterest, live)))
        assert feed.stats["http_errors"] == 2


@pytest.mark.parametrize(("venue", "status"), [("bybit", 503), ("okx", 500), ("bybit", 429)])
async def test_start_retries_through_429_and_5xx(venue: str, status: int) -> None:
    async with asyncio.timeout(20), SimExchange((BTC,), scenario="calm") as sim:
        sim.fail_http(status, 2, venue=venue)
        feed = CcxtFeed(venue, [BTC], base_url=sim.base_url, warm_start=False)
        try:
            await feed.start()
            assert sim.stats["rest_failed_on_purpose"] == 2
            # ccxt asks Bybit for its instruments twice at once (listed and pre-launch):
            # both failures fall in one attempt of the retried call there.
            assert feed.stats["http_errors"] == (1 if venue == "bybit" else 2)
            assert BTC in await feed.list_symbols()
        finally:
            await feed.close()


async def test_okx_a_delisted_symbol_fails_alone_and_the_others_come_back() -> None:
    """OKX refuses a subscription to an instrument it no longer lists (``60018``), with no
    request id, so ccxt hands the error to whichever subscriptions of the connection are
    waiting, mostly other symbols'. A refusal fails only the stream it names (when ccxt
    hands it to no one, that stream delivers nothing and reads stale); the others come
    back and stay (taking any refusal as the receiver's own, or counting other symbols'
    refusals as its own, failed healthy streams for good)."""
    per_symbol = ("trades", "mark", "funding")  # OKX open interest is polled
    symbols = (BTC, ETH, SOL, XRP)
    delisted, listed = (ETH, SOL), (BTC, XRP)
    async with (
        asyncio.timeout(60),
        sim_feed(symbols, exchange="okx", warm_start=False) as (sim, _feed, got),
    ):
        await got.until(lambda: all_live(got.events, "okx", symbols))
        for symbol in delisted:
            sim.delist(symbol)
        mark = len(got.events)
        sim.drop_connections(venue="okx")
        await asyncio.sleep(6)  # the refusals, and the reconnects they cause
        settled = len(got.events)
        await got.until(lambda: {t.symbol for t in got.of(Trade, settled)} == set(listed))
        failed = [s for s in got.of(FeedStatus, mark) if s.state is StreamState.FAILED]
        assert {s.symbol for s in failed} <= set(delisted), [
            (s.symbol, s.stream, s.detail) for s in failed if s.symbol in listed
        ]
        for status in failed:
            assert f"{status.symbol.split('/')[0]}-USDT-SWAP" in status.detail
            assert status.stream in per_symbol
        states = latest_states(got.events)
        for symbol in listed:
            assert all(states[(symbol, stream)] is StreamState.LIVE for stream in per_symbol)
        assert not any(
            s.symbol in listed and s.state is StreamState.RECONNECTING
            for s in got.of(FeedStatus, settled)
        )
