"""Trade frames read before ccxt (``scalptui.feed.trade_frames``) give what ccxt's parse gives.

Each venue's real trade frames go through two real ``CcxtFeed``s on real ccxt
Clients: one reads trade frames itself (the default), one leaves them to ccxt's
handler and its cache tap. The Trades must be the same, in the same order; and
every other frame still reaches ccxt (a mark price, a subscription reply).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import pytest

from scalptui.feed.ccxt_feed import CcxtFeed
from scalptui.feed.sim import SimExchange
from scalptui.feed.trade_frames import read_binance, read_bybit, read_okx
from scalptui.models import MarkPrice, TakerSide, Trade

from .offline import OfflineFeed, fixture_json, fixture_lines
from .simfeed import Collector
from .test_venues_ccxt import BTC, ETH, IOST, WNCG, binance_routes, bybit_routes, okx_routes

SUSHI, CTK, AKRO = "SUSHI/USDT:USDT", "CTK/USDT:USDT", "AKRO/USDT:USDT"


def captured(name: str) -> list[dict[str, Any]]:
    """The messages of a cryptofeed capture (each line ``{"recv_ts", "msg"}``)."""
    return [json.loads(line)["msg"] for line in fixture_lines(name)]


def tardis(name: str, tag: str) -> list[dict[str, Any]]:
    out = []
    for line in fixture_lines(name):
        msg = json.loads(line)
        label = msg.get("stream") or msg.get("topic") or msg.get("arg", {}).get("channel", "")
        if tag in label:
            out.append(msg)
    return out


@asynccontextmanager
async def feed_pair(exchange: str, symbols: list[str], routes: Any) -> Any:
    feeds = [
        OfflineFeed(exchange, symbols, routes, hot_trades=True),
        OfflineFeed(exchange, symbols, routes, hot_trades=False),
    ]
    for feed in feeds:
        await feed.start()
    try:
        for feed in feeds:
            await feed.settle()
        yield feeds
    finally:
        for feed in feeds:
            await feed.close()


def trades_of(feed: OfflineFeed, frames: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    feed.feed_frames([json.dumps(f) for f in frames])
    return [
        (t.exchange, t.symbol, t.ts, t.price, t.amount, t.side)
        for t in feed.pending()
        if isinstance(t, Trade)
    ]


def binance_frames() -> list[dict[str, Any]]:
    return tardis("tardis_binance-futures_messages.jsonl", "rade") + captured(
        "cryptofeed_binance_ws_aggTrade.jsonl"
    )


def bybit_frames() -> list[dict[str, Any]]:
    # Derived (fixtures README): the inverse BTCUSD frames re-labelled as the linear market,
    # and nautilus's trade frame under today's topic name.
    frames = tardis("tardis_bybit_v5_messages.jsonl", "publicTrade.BTCUSD")
    for frame in frames:
        frame["topic"] = "publicTrade.BTCUSDT"
    nautilus = fixture_json("nautilus_bybit_ws_public_trade.json")
    nautilus["topic"] = "publicTrade.BTCUSDT"
    return [*frames, nautilus]


def okx_frames() -> list[dict[str, Any]]:
    frames = tardis("tardis_okex-swap_v5_messages.jsonl", "trades")
    for msg in captured("cryptofeed_okx_ws_trades.jsonl"):
        if msg["arg"]["instId"] == "BTC-USDT":  # derived: spot pushes as the swap's
            msg["arg"]["instId"] = "BTC-USDT-SWAP"
            for item in msg["data"]:
                item["instId"] = "BTC-USDT-SWAP"
        frames.append(msg)
    return frames


CASES = {
    "binanceusdm": ([BTC, ETH, SUSHI, CTK, AKRO], binance_routes, binance_frames),
    "bybit": ([BTC], bybit_routes, bybit_frames),
    "okx": ([BTC, WNCG, IOST], okx_routes, okx_frames),
}


@pytest.mark.parametrize("exchange", list(CASES))
async def test_read_trades_equal_ccxts_on_real_frames(exchange: str) -> None:
    symbols, routes, frames = CASES[exchange]
    async with feed_pair(exchange, symbols, routes()) as (hot, plain):
        read_here, read_by_ccxt = trades_of(hot, frames()), trades_of(plain, frames())
        assert len(read_here) >= 4
        assert read_here == read_by_ccxt
        assert hot.stats["rejected_items"] == plain.stats["rejected_items"] == 0
        # the hot feed's trades did not pass through ccxt's cache; the plain one's did
        assert len(hot.ccxt.trades[BTC]) == 0 and len(plain.ccxt.trades[BTC]) > 0


async def test_binance_sides_and_symbols_read_from_the_frame() -> None:
    async with feed_pair("binanceusdm", [SUSHI, CTK], binance_routes()) as (hot, _):
        trades = trades_of(hot, captured("cryptofeed_binance_ws_aggTrade.jsonl"))
    assert {t[1] for t in trades} == {SUSHI, CTK}  # AKRO and KEEP are not watched here
    first = trades[0]
    assert first[1:] == (CTK, 1626992741421, 1.011, 10.0, TakerSide.BUY)  # m=false: taker bought


async def test_okx_size_in_contracts_read_from_the_frame() -> None:
    async with feed_pair("okx", [BTC], okx_routes()) as (hot, _):
        trades = trades_of(hot, tardis("tardis_okex-swap_v5_messages.jsonl", "trades"))
    assert trades[0][3:] == (48938.5, pytest.approx(5 * 0.01), TakerSide.BUY)


async def test_insurance_fund_and_block_trades_are_not_taker_flow() -> None:
    # The real frames: ETH's ``"X":"INSURANCE_FUND"`` print is the insurance fund taking
    # over a position, not a taker meeting the book; BTC's ``"X":"MARKET"`` is one.
    frames = tardis("tardis_binance-futures_messages.jsonl", "@trade")
    assert any(f["data"].get("X") == "INSURANCE_FUND" for f in frames)
    async with feed_pair("binanceusdm", [BTC, ETH], binance_routes()) as (hot, plain):
        for feed in (hot, plain):
            trades = trades_of(feed, frames)
            assert [t[1] for t in trades] == [BTC, BTC]
            assert feed.stats["rejected_items"] == 0
    # Only those two are off the book: an undocumented X (the engine's own fills) stays.
    other = {**frames[-1], "data": {**frames[-1]["data"], "X": "LIQUIDATION"}}
    async with feed_pair("binanceusdm", [BTC, ETH], binance_routes()) as (hot, plain):
        for feed in (hot, plain):
            assert len(trades_of(feed, [other])) == 1
    block = {"T": 1709891679000, "s": "BTCUSDT", "S": "Sell", "v": "9", "p": "27451.0"}
    frame = {"topic": "publicTrade.BTCUSDT", "ts": 1, "data": [{**block, "BT": True}, block]}
    async with feed_pair("bybit", [BTC], bybit_routes()) as (hot, plain):
        for feed in (hot, plain):
            assert [t[4] for t in trades_of(feed, [frame])] == [9.0]


def garbage_bybit() -> list[dict[str, Any]]:
    good = {"T": 1709891679000, "s": "BTCUSDT", "S": "Sell", "v": "0.5", "p": "27451.0"}
    bad_items: list[Any] = [
        {**good, "p": "abc"},
        {**good, "v": "-1"},
        {**good, "S": "Up"},
        {**good, "T": None},
        {**good, "p": "inf"},
        "not a trade",
    ]
    return [{"topic": "publicTrade.BTCUSDT", "ts": 1, "data": [*bad_items, good]}]


async def test_bad_items_in_a_trade_frame_are_counted_and_the_rest_kept() -> None:
    async with feed_pair("bybit", [BTC], bybit_routes()) as (hot, _):
        trades = trades_of(hot, garbage_bybit())
        assert [t[3:] for t in trades] == [(27451.0, 0.5, TakerSide.SELL)]
        assert hot.stats["rejected_items"] == 6
        assert hot.stats["malformed_frames"] == 0


async def test_other_frames_still_reach_ccxt() -> None:
    async with feed_pair("binanceusdm", [BTC, ETH], binance_routes()) as (hot, _):
        marks = tardis("tardis_binance-futures_messages.jsonl", "markPrice")
        hot.feed_frames([json.dumps(m) for m in marks])
        assert any(isinstance(e, MarkPrice) for e in hot.pending())


def not_trade_frames() -> Iterator[Any]:
    yield from (None, [], "pong", 3, {"e": "markPriceUpdate", "s": "BTCUSDT"})
    yield {"stream": "btcusdt@aggTrade", "data": "x"}
    yield {"e": "trade", "s": 5}
    yield {"topic": "tickers.BTCUSDT", "data": []}
    yield {"topic": "publicTrade.BTCUSDT", "data": {"p": "1"}}
    yield {"arg": {"channel": "mark-price", "instId": "BTC-USDT-SWAP"}, "data": []}
    yield {"arg": {"channel": "trades"}, "data": []}
    yield {"event": "subscribe", "arg": {"channel": "trades", "instId": "BTC-USDT-SWAP"}}


@pytest.mark.parametrize("frame", list(not_trade_frames()))
def test_readers_leave_anything_else_to_ccxt(frame: Any) -> None:
    assert read_binance(frame) is None
    assert read_bybit(frame) is None
    assert read_okx(frame) is None


# --------------------------------------------------------------------------- end to end


def has_trades(collector: Collector, count: int) -> bool:
    return len(collector.of(Trade)) >= count


@pytest.mark.parametrize("venue", ["binanceusdm", "bybit", "okx"])
async def test_both_paths_see_the_same_trades_from_the_simulated_exchange(venue: str) -> None:
    """Two real feeds (real ccxt.pro) on one simulated market: one reads trade frames
    itself, one leaves them to ccxt. Over the trades both were connected for, the same."""
    async with SimExchange([BTC], seed=5, scenario="cascade", time_scale=5.0) as sim:
        feeds = [
            CcxtFeed(venue, [BTC], base_url=sim.base_url, warm_start=False, hot_trades=hot)
            for hot in (True, False)
        ]
        collectors = [Collector(feed) for feed in feeds]
        try:
            for collector in collectors:
                await collector.until(partial(has_trades, collector, 300))
        finally:
            for feed in feeds:
                await feed.close()
    hot, plain = ([(t.ts, t.price, t.amount, t.side) for t in c.of(Trade)] for c in collectors)
    start, end = max(hot[0][0], plain[0][0]), min(hot[-1][0], plain[-1][0])
    both = [[t for t in trades if start < t[0] < end] for trades in (hot, plain)]
    assert len(both[0]) >= 100
    assert both[0] == both[1]


async def test_a_re_added_symbols_trades_reach_its_new_stream() -> None:
    async with feed_pair("okx", [BTC], okx_routes()) as (hot, _):
        key = f"trades:{BTC}"
        old = hot._streams[key]
        hot._register_streams(BTC)  # what adding the symbol again does
        new = hot._streams[key]
        assert new is not old
        seen_before = old.health.messages_since_connect
        assert trades_of(hot, tardis("tardis_okex-swap_v5_messages.jsonl", "trades"))
        assert new.health.messages_since_connect > 0
        assert old.health.messages_since_connect == seen_before
