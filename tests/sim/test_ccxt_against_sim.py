"""Unmodified ccxt.pro binanceusdm against the simulated exchange: every call the feed uses."""

from __future__ import annotations

import asyncio
import itertools
import math
from typing import Any

from scalptui.feed.sim import SimExchange

BTC = "BTC/USDT:USDT"


async def test_load_markets_gives_the_simulated_perpetuals(binance: Any) -> None:
    markets = await asyncio.wait_for(binance.load_markets(), 10)
    assert {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"} <= set(markets)
    btc = markets[BTC]
    assert btc["id"] == "BTCUSDT" and btc["swap"] and btc["linear"]
    assert btc["precision"]["price"] == 0.1
    assert btc["contractSize"] == 1


async def test_watch_trades_streams_sim_clock_trades(binance: Any, sim: SimExchange) -> None:
    trades = await asyncio.wait_for(binance.watch_trades(BTC), 10)
    assert trades
    trade = trades[-1]
    assert trade["symbol"] == BTC
    assert trade["side"] in ("buy", "sell")
    assert 80_000 < trade["price"] < 120_000
    assert trade["amount"] > 0
    # timestamps come from the exchange clock, which runs 5× faster than the wall
    assert abs(trade["timestamp"] - sim.now_ms()) < 5_000
    assert trade["timestamp"] >= sim.start_ms


async def test_watch_mark_price_carries_funding(binance: Any, sim: SimExchange) -> None:
    ticker = await asyncio.wait_for(binance.watch_mark_price(BTC), 10)
    info = ticker["info"]
    assert info["e"] == "markPriceUpdate"
    assert ticker["markPrice"] is not None and 80_000 < ticker["markPrice"] < 120_000
    assert ticker["indexPrice"] is not None
    assert -0.003 <= float(info["r"]) <= 0.003
    assert info["T"] > sim.now_ms() - 2_000 and info["T"] % (8 * 3_600_000) == 0
    assert info["E"] % 1000 == 0  # one per simulated second, on the second


async def test_watch_liquidations_after_a_shock(binance: Any, sim: SimExchange) -> None:
    await binance.load_markets()
    sim.trigger(BTC, "long")
    liquidations = await asyncio.wait_for(binance.watch_liquidations(BTC), 15)
    liq = liquidations[-1]
    assert liq["symbol"] == BTC
    assert liq["side"] == "sell"  # Binance: the order side; a long was force-sold
    assert liq["contracts"] > 0 and liq["price"] > 0
    assert sim.stats["liquidations_generated"] >= sim.stats["liquidations_pushed"] >= 1


async def test_watch_liquidations_for_symbols_and_all_market_stream(
    binance: Any, sim: SimExchange
) -> None:
    await binance.load_markets()
    sim.trigger("ETH/USDT:USDT", "long")
    got = await asyncio.wait_for(binance.watch_liquidations_for_symbols(["ETH/USDT:USDT", BTC]), 15)
    assert got and got[-1]["symbol"] in ("ETH/USDT:USDT", BTC)


async def test_fetch_open_interest(binance: Any) -> None:
    oi = await asyncio.wait_for(binance.fetch_open_interest(BTC), 10)
    assert oi["symbol"] == BTC
    assert 60_000 < oi["openInterestAmount"] < 100_000


async def test_fetch_ohlcv_ends_at_the_current_price(binance: Any, sim: SimExchange) -> None:
    for timeframe, step in (("1m", 60_000), ("5m", 300_000)):
        bars = await asyncio.wait_for(binance.fetch_ohlcv(BTC, timeframe, limit=100), 10)
        assert len(bars) == 100
        assert all(b[0] - a[0] == step for a, b in itertools.pairwise(bars))
        assert bars[-1][0] <= sim.now_ms() < bars[-1][0] + step
        last_close = bars[-1][4]
        mark = sim.model.markets[BTC].mark
        assert math.isclose(last_close, mark, rel_tol=0.01)
        assert all(low <= min(o, c) and high >= max(o, c) for _, o, high, low, c, _ in bars)
        assert all(v > 0 for *_, v in bars)


async def test_fetch_open_interest_history_ends_now(binance: Any, sim: SimExchange) -> None:
    rows = await asyncio.wait_for(binance.fetch_open_interest_history(BTC, "5m", limit=50), 10)
    assert len(rows) == 50
    stamps = [r["timestamp"] for r in rows]
    assert all(b - a == 300_000 for a, b in itertools.pairwise(stamps))
    assert sim.now_ms() - stamps[-1] <= 600_000
    assert all(60_000 < r["openInterestAmount"] < 100_000 for r in rows)
    assert all(r["openInterestValue"] > 1e9 for r in rows)


async def test_funding_rate_and_interval(binance: Any) -> None:
    rate = await asyncio.wait_for(binance.fetch_funding_rate(BTC), 10)
    assert rate["fundingRate"] is not None and rate["fundingTimestamp"] is not None
    interval = await asyncio.wait_for(binance.fetch_funding_interval("SOL/USDT:USDT"), 10)
    assert interval["interval"] == "4h"
