"""Unmodified ccxt.pro binanceusdm against the simulated exchange: every call the feed uses."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from scalptui.feed.sim import SimExchange

from .conftest import START_MS, make_binance

BTC = "BTC/USDT:USDT"

# one exchange and one client for the whole module: these tests only read
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def sim3() -> AsyncIterator[SimExchange]:
    """Three symbols crowding into a cascade, 5× faster than the wall clock."""
    async with SimExchange(
        seed=7, time_scale=5.0, scenario="cascade", start_ms=START_MS
    ) as exchange:
        yield exchange


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def client(sim3: SimExchange) -> AsyncIterator[Any]:
    exchange = make_binance(sim3.base_url)
    try:
        yield exchange
    finally:
        await exchange.close()


async def test_load_markets_gives_the_simulated_perpetuals(client: Any) -> None:
    markets = await asyncio.wait_for(client.load_markets(), 10)
    assert {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"} <= set(markets)
    btc = markets[BTC]
    assert btc["id"] == "BTCUSDT" and btc["swap"] and btc["linear"]
    assert btc["precision"]["price"] == 0.1
    assert btc["contractSize"] == 1


async def test_watch_trades_streams_sim_clock_trades(client: Any, sim3: SimExchange) -> None:
    trades = await asyncio.wait_for(client.watch_trades(BTC), 10)
    assert trades
    trade = trades[-1]
    assert trade["symbol"] == BTC
    assert trade["side"] in ("buy", "sell")
    assert 80_000 < trade["price"] < 120_000
    assert trade["amount"] > 0
    # timestamps come from the exchange clock, which runs 5× faster than the wall
    assert abs(trade["timestamp"] - sim3.now_ms()) < 5_000
    assert trade["timestamp"] >= sim3.start_ms


async def test_watch_mark_price_carries_funding(client: Any, sim3: SimExchange) -> None:
    ticker = await asyncio.wait_for(client.watch_mark_price(BTC), 10)
    info = ticker["info"]
    assert info["e"] == "markPriceUpdate"
    assert ticker["markPrice"] is not None and 80_000 < ticker["markPrice"] < 120_000
    assert ticker["indexPrice"] is not None
    assert -0.003 <= float(info["r"]) <= 0.003
    assert info["T"] > sim3.now_ms() - 2_000 and info["T"] % (8 * 3_600_000) == 0
    assert info["E"] % 1000 == 0  # one per simulated second, on the second


async def test_watch_liquidations_after_a_shock(client: Any, sim3: SimExchange) -> None:
    await client.load_markets()
    sim3.trigger(BTC, "long")
    liquidations = await asyncio.wait_for(client.watch_liquidations(BTC), 15)
    liq = liquidations[-1]
    assert liq["symbol"] == BTC
    assert liq["side"] == "sell"  # Binance: the order side; a long was force-sold
    assert liq["contracts"] > 0 and liq["price"] > 0
    assert sim3.stats["liquidations_generated"] >= sim3.stats["liquidations_pushed"] >= 1


async def test_watch_liquidations_for_symbols_and_all_market_stream(
    client: Any, sim3: SimExchange
) -> None:
    await client.load_markets()
    sim3.trigger("ETH/USDT:USDT", "long")
    got = await asyncio.wait_for(client.watch_liquidations_for_symbols(["ETH/USDT:USDT", BTC]), 15)
    assert got and got[-1]["symbol"] in ("ETH/USDT:USDT", BTC)
    sim3.trigger("SOL/USDT:USDT", "long")
    everything = await asyncio.wait_for(client.watch_liquidations_for_symbols([]), 15)
    assert everything[-1]["symbol"] in sim3.model.markets  # !forceOrder@arr


async def test_watch_mark_prices_of_every_symbol(client: Any) -> None:
    marks = await asyncio.wait_for(client.watch_mark_prices(), 10)  # !markPrice@arr@1s
    assert set(marks) == {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"}
    assert all(m["markPrice"] > 0 for m in marks.values())


async def test_fetch_open_interest(client: Any) -> None:
    oi = await asyncio.wait_for(client.fetch_open_interest(BTC), 10)
    assert oi["symbol"] == BTC
    assert 60_000 < oi["openInterestAmount"] < 100_000


async def test_fetch_ohlcv_ends_at_the_current_price(client: Any, sim3: SimExchange) -> None:
    for timeframe, step in (("1m", 60_000), ("5m", 300_000)):
        bars = await asyncio.wait_for(client.fetch_ohlcv(BTC, timeframe, limit=100), 10)
        assert len(bars) == 100
        assert all(b[0] - a[0] == step for a, b in itertools.pairwise(bars))
        assert bars[-1][0] <= sim3.now_ms() < bars[-1][0] + step
        last_close = bars[-1][4]
        mark = sim3.model.markets[BTC].mark
        assert math.isclose(last_close, mark, rel_tol=0.01)
        assert all(low <= min(o, c) and high >= max(o, c) for _, o, high, low, c, _ in bars)
        assert all(v > 0 for *_, v in bars)


async def test_fetch_open_interest_history_ends_now(client: Any, sim3: SimExchange) -> None:
    rows = await asyncio.wait_for(client.fetch_open_interest_history(BTC, "5m", limit=50), 10)
    assert len(rows) == 50
    stamps = [r["timestamp"] for r in rows]
    assert all(b - a == 300_000 for a, b in itertools.pairwise(stamps))
    assert sim3.now_ms() - stamps[-1] <= 600_000
    assert all(60_000 < r["openInterestAmount"] < 100_000 for r in rows)
    assert all(r["openInterestValue"] > 1e9 for r in rows)


async def test_funding_rate_and_interval(client: Any) -> None:
    rate = await asyncio.wait_for(client.fetch_funding_rate(BTC), 10)
    assert rate["fundingRate"] is not None and rate["fundingTimestamp"] is not None
    interval = await asyncio.wait_for(client.fetch_funding_interval("SOL/USDT:USDT"), 10)
    assert interval["interval"] == "4h"
