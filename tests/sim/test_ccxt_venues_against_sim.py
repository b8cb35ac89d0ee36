"""Unmodified ccxt.pro bybit and okx against the simulated exchange: every call the
feed uses, and what ccxt's own parsers make of the frames.

ccxt 4.5.90 hits, for ``load_markets`` and the feed's start-up:

* Bybit: ``/v5/market/instruments-info`` (``category=linear``, twice at once: listed
  and ``status=PreLaunch``), ``/v5/market/risk-limit``, ``/v5/market/kline``,
  ``/v5/market/open-interest``; WebSocket ``/v5/public/linear``.
* OKX: ``/api/v5/public/instruments`` (``instType=SWAP``), ``public/funding-rate``
  (the funding interval), ``public/position-tiers``, ``market/candles``,
  ``rubik/stat/contracts/open-interest-history``, ``public/open-interest`` (the
  poll); WebSocket ``/ws/v5/public``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from scalptui.feed.baseurl import apply_base_url
from scalptui.feed.sim import SimExchange
from scalptui.feed.venues import VENUES

from .conftest import START_MS

BTC = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"

pytestmark = pytest.mark.asyncio(loop_scope="module")


def make(venue: str, base_url: str) -> Any:
    """Unmodified ccxt.pro ``venue`` with the feed's options, pointed at ``base_url``."""
    import ccxt.pro

    options = dict(VENUES[venue].ccxt_options)
    exchange = getattr(ccxt.pro, venue)({"timeout_on_exit": 0, "timeout": 5000, "options": options})
    apply_base_url(exchange, base_url)
    return exchange


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def sim3() -> AsyncIterator[SimExchange]:
    async with SimExchange(
        seed=7, time_scale=5.0, scenario="cascade", start_ms=START_MS
    ) as exchange:
        yield exchange


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bybit(sim3: SimExchange) -> AsyncIterator[Any]:
    exchange = make("bybit", sim3.base_url)
    try:
        yield exchange
    finally:
        await exchange.close()


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def okx(sim3: SimExchange) -> AsyncIterator[Any]:
    exchange = make("okx", sim3.base_url)
    try:
        yield exchange
    finally:
        await exchange.close()


async def raw_socket(url: str) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    session = aiohttp.ClientSession()
    return session, await session.ws_connect(url)


async def next_json(ws: aiohttp.ClientWebSocketResponse, match: Any) -> dict[str, Any]:
    """The next JSON frame for which ``match(frame)`` holds."""
    while True:
        message = await asyncio.wait_for(ws.receive(), 10)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        frame: dict[str, Any] = json.loads(message.data)
        if match(frame):
            return frame


# --------------------------------------------------------------------------- bybit


async def test_bybit_load_markets(bybit: Any) -> None:
    markets = await asyncio.wait_for(bybit.load_markets(), 10)
    assert {BTC, ETH, "SOL/USDT:USDT"} <= set(markets)
    btc = markets[BTC]
    assert btc["id"] == "BTCUSDT" and btc["swap"] and btc["linear"] and btc["active"]
    assert btc["contractSize"] == 1 and btc["precision"] == {"amount": 0.001, "price": 0.1}
    assert btc["limits"]["leverage"]["max"] == 100
    assert btc["info"]["fundingInterval"] == 480  # minutes, as Bybit lists it


async def test_bybit_watch_ticker_carries_mark_funding_and_open_interest(
    bybit: Any, sim3: SimExchange
) -> None:
    first = await asyncio.wait_for(bybit.watch_ticker(BTC), 10)  # the snapshot
    assert first["info"]["fundingIntervalHour"] == "8"
    delta = await asyncio.wait_for(bybit.watch_ticker(BTC), 10)  # a delta merged into it
    info = delta["info"]
    assert 80_000 < delta["markPrice"] < 120_000 and delta["indexPrice"] > 0
    assert -0.003 <= float(info["fundingRate"]) <= 0.003
    assert int(info["nextFundingTime"]) % (8 * 3_600_000) == 0
    assert abs(float(info["openInterest"]) / sim3.model.markets[BTC].open_interest - 1) < 0.05
    assert delta["timestamp"] % 1000 == 0  # one delta per simulated second


async def test_bybit_watch_trades(bybit: Any, sim3: SimExchange) -> None:
    trades = await asyncio.wait_for(bybit.watch_trades(BTC), 10)
    trade = trades[-1]
    assert trade["symbol"] == BTC and trade["side"] in ("buy", "sell")
    assert trade["amount"] > 0 and 80_000 < trade["price"] < 120_000
    assert abs(trade["timestamp"] - sim3.now_ms()) < 5_000


async def test_bybit_history_and_tiers(bybit: Any, sim3: SimExchange) -> None:
    bars = await asyncio.wait_for(bybit.fetch_ohlcv(BTC, "5m", limit=200), 10)
    assert len(bars) == 200
    assert all(b[0] - a[0] == 300_000 for a, b in itertools.pairwise(bars))  # ccxt sorts
    assert bars[-1][0] <= sim3.now_ms() < bars[-1][0] + 300_000
    assert all(v > 0 for *_, v in bars[:-1])
    rows = await asyncio.wait_for(bybit.fetch_open_interest_history(BTC, "5m", limit=200), 10)
    assert len(rows) == 200
    assert all(b["timestamp"] - a["timestamp"] == 300_000 for a, b in itertools.pairwise(rows))
    assert all(60_000 < r["openInterestAmount"] < 100_000 for r in rows)  # base units
    tiers = await asyncio.wait_for(bybit.fetch_market_leverage_tiers(BTC), 10)
    assert tiers[0]["maintenanceMarginRate"] == 0.004 and tiers[0]["minNotional"] == 0
    funding = await asyncio.wait_for(bybit.fetch_funding_rate_history(BTC, limit=5), 10)
    assert funding and all(f["fundingRate"] is not None for f in funding)


async def test_bybit_liquidations_side_is_the_position_and_every_close_is_sent(
    bybit: Any, sim3: SimExchange
) -> None:
    await bybit.load_markets()
    session, ws = await raw_socket(sim3.base_url.replace("http", "ws") + "/v5/public/linear")
    try:
        await ws.send_str(
            json.dumps({"op": "subscribe", "req_id": "7", "args": ["allLiquidation.BTCUSDT"]})
        )
        ack = await next_json(ws, lambda f: f.get("op") == "subscribe")
        assert ack["success"] is True and ack["req_id"] == "7"
        sim3.trigger(BTC, "long")
        raw = await next_json(ws, lambda f: f.get("topic") == "allLiquidation.BTCUSDT")
        parsed = await asyncio.wait_for(bybit.watch_liquidations(BTC), 15)
    finally:
        await ws.close()
        await session.close()
    assert raw["type"] == "snapshot" and raw["ts"] % 500 == 0
    item = raw["data"][0]
    assert set(item) == {"T", "s", "S", "v", "p"}
    liq = parsed[-1]
    # ccxt passes Bybit's position side through: "buy" is a liquidated long
    assert liq["side"] in ("buy", "sell") and liq["info"]["S"].lower() == liq["side"]
    # ccxt 4.5.90 leaves contractSize empty here too: the feed sizes prints from the market
    assert liq["contracts"] > 0 and liq["contractSize"] is None
    assert sim3.stats["bybit_liquidations_pushed"] >= 1


async def test_bybit_ping_is_answered_and_unknown_topics_refused(sim3: SimExchange) -> None:
    session, ws = await raw_socket(sim3.base_url.replace("http", "ws") + "/v5/public/linear")
    try:
        await ws.send_str(json.dumps({"op": "ping", "req_id": "p1"}))
        pong = await next_json(ws, lambda f: f.get("op") == "ping")
        assert pong["ret_msg"] == "pong" and pong["success"] is True
        await ws.send_str(json.dumps({"op": "subscribe", "req_id": "s", "args": ["kline.1.NOPE"]}))
        refused = await next_json(ws, lambda f: f.get("op") == "subscribe")
        assert refused["success"] is False and "NOPE" in refused["ret_msg"]
        before = sim3.stats["subscriptions"]
        topic = {"req_id": "t", "args": ["publicTrade.ETHUSDT"]}
        await ws.send_str(json.dumps({"op": "subscribe", **topic}))
        await next_json(ws, lambda f: f.get("topic") == "publicTrade.ETHUSDT")
        assert sim3.stats["subscriptions"] == before + 1
        await ws.send_str(json.dumps({"op": "unsubscribe", **topic}))
        done = await next_json(ws, lambda f: f.get("op") == "unsubscribe")
        assert done["success"] is True and done["req_id"] == "t"
        assert sim3.stats["subscriptions"] == before
    finally:
        await ws.close()
        await session.close()


# --------------------------------------------------------------------------- okx


async def test_okx_load_markets(okx: Any) -> None:
    markets = await asyncio.wait_for(okx.load_markets(), 10)
    assert {BTC, ETH, "SOL/USDT:USDT"} <= set(markets)
    btc = markets[BTC]
    assert btc["id"] == "BTC-USDT-SWAP" and btc["swap"] and btc["linear"] and btc["active"]
    assert btc["contractSize"] == 0.01 and markets[ETH]["contractSize"] == 0.1
    assert markets["SOL/USDT:USDT"]["contractSize"] == 1
    assert btc["precision"] == {"amount": 0.01, "price": 0.1}
    assert btc["limits"]["leverage"]["max"] == 100


async def test_okx_mark_funding_and_open_interest(okx: Any, sim3: SimExchange) -> None:
    mark = await asyncio.wait_for(okx.watch_mark_price(BTC), 10)
    assert 80_000 < mark["markPrice"] < 120_000
    funding = await asyncio.wait_for(okx.watch_funding_rate(BTC), 10)
    assert funding["interval"] == "8h" and funding["fundingTimestamp"] % 28_800_000 == 0
    assert -0.003 <= funding["fundingRate"] <= 0.003
    interval = await asyncio.wait_for(okx.fetch_funding_interval("SOL/USDT:USDT"), 10)
    assert interval["interval"] == "4h"
    oi = await asyncio.wait_for(okx.fetch_open_interest(BTC), 10)
    true_oi = sim3.model.markets[BTC].open_interest
    assert abs(oi["baseVolume"] / true_oi - 1) < 0.05  # oiCcy: base units
    assert oi["openInterestAmount"] == pytest.approx(oi["baseVolume"] / 0.01, rel=1e-6)


async def test_okx_trades_are_in_contracts(okx: Any) -> None:
    trades = await asyncio.wait_for(okx.watch_trades(BTC), 10)
    trade = trades[-1]
    assert trade["symbol"] == BTC and trade["side"] in ("buy", "sell")
    # ccxt's amount is OKX's sz: contracts of 0.01 BTC
    assert float(trade["info"]["sz"]) == trade["amount"]
    assert trade["amount"] * 100 == pytest.approx(round(trade["amount"] * 100))


async def test_okx_candles_volume_is_base_units_and_tiers(okx: Any, sim3: SimExchange) -> None:
    bars = await asyncio.wait_for(okx.fetch_ohlcv(BTC, "5m", limit=100), 10)
    assert len(bars) == 100
    assert all(b[0] - a[0] == 300_000 for a, b in itertools.pairwise(bars))
    truth = {
        b.open_ms: b.volume
        for b in sim3.model.markets[BTC].bars.candles(
            300_000, start_ms=None, end_ms=None, limit=200
        )
    }
    for ts, *_prices, volume in bars[:-1]:
        assert volume == pytest.approx(truth[ts], abs=0.001)  # volCcy, not contracts
    rows = await asyncio.wait_for(okx.fetch_open_interest_history(BTC, "5m", limit=100), 10)
    assert len(rows) == 100
    assert all(60_000 < r["baseVolume"] < 100_000 for r in rows)
    assert all(r["openInterestAmount"] == pytest.approx(r["baseVolume"] * 100) for r in rows)
    tiers = await asyncio.wait_for(okx.fetch_market_leverage_tiers(BTC), 10)
    assert tiers[0]["maintenanceMarginRate"] == 0.004


async def test_okx_liquidations_leave_contract_size_to_the_market(
    okx: Any, sim3: SimExchange
) -> None:
    await okx.load_markets()
    sim3.trigger("ETH/USDT:USDT", "long")
    liquidations = await asyncio.wait_for(okx.watch_liquidations("ETH/USDT:USDT"), 20)
    liq = liquidations[-1]
    detail = liq["info"]["details"][0]
    assert liq["contracts"] == float(detail["sz"]) and liq["price"] == float(detail["bkPx"])
    assert liq["contractSize"] is None  # ccxt's parser: the feed sizes it from the market
    assert liq["side"] == detail["side"] and detail["posSide"] in ("long", "short")
    assert sim3.stats["okx_liquidations_pushed"] < sim3.stats["okx_liquidations_generated"]


async def test_okx_ping_acks_and_open_interest_channel(sim3: SimExchange) -> None:
    session, ws = await raw_socket(sim3.base_url.replace("http", "ws") + "/ws/v5/public")
    try:
        await ws.send_str("ping")
        pong = await asyncio.wait_for(ws.receive(), 10)
        assert pong.data == "pong"
        args = [
            {"channel": "open-interest", "instId": "BTC-USDT-SWAP"},
            {"channel": "trades", "instId": "NOPE-USDT-SWAP"},
        ]
        await ws.send_str(json.dumps({"id": "9", "op": "subscribe", "args": args}))
        ack = await next_json(ws, lambda f: "event" in f)
        assert ack == {"event": "subscribe", "arg": args[0], "connId": ack["connId"], "id": "9"}
        error = await next_json(ws, lambda f: "event" in f)
        assert error["event"] == "error" and error["code"] == "60018"
        push = await next_json(ws, lambda f: f.get("arg", {}).get("channel") == "open-interest")
        (item,) = push["data"]
        assert float(item["oi"]) * 0.01 == pytest.approx(float(item["oiCcy"]), rel=1e-6)
    finally:
        await ws.close()
        await session.close()


async def test_okx_behind_a_path_prefix(sim3: SimExchange) -> None:
    """``--base-url http://host:port/prefix``: OKX's ``/prefix/api/v5/market/tickers``
    must reach OKX, not Bybit's ``/v5/market/tickers`` that it ends with."""
    exchange = make("okx", sim3.base_url + "/prefix")
    try:
        ticker = await asyncio.wait_for(exchange.fetch_ticker(BTC), 10)
        assert ticker["symbol"] == BTC and ticker["info"]["instId"] == "BTC-USDT-SWAP"
    finally:
        await exchange.close()


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize("venue", ["bybit", "okx"])
async def test_http_faults_raise_ccxts_retryable_classes(venue: str, sim3: SimExchange) -> None:
    import ccxt

    exchange = make(venue, sim3.base_url)
    try:
        await exchange.load_markets()
        sim3.fail_http(429, 1, venue=venue)
        with pytest.raises(ccxt.RateLimitExceeded):
            await asyncio.wait_for(exchange.fetch_ohlcv(BTC, "5m", limit=3), 10)
        sim3.fail_http(503, 1, venue=venue)
        with pytest.raises(ccxt.ExchangeNotAvailable):
            await asyncio.wait_for(exchange.fetch_ohlcv(BTC, "5m", limit=3), 10)
        sim3.fail_http(500, 1, venue="binanceusdm")  # another venue's failure: not ours
        assert len(await asyncio.wait_for(exchange.fetch_ohlcv(BTC, "5m", limit=3), 10)) == 3
        sim3.fail_http(0, 0)
    finally:
        await exchange.close()


@pytest.mark.parametrize("venue", ["bybit", "okx"])
async def test_dropped_connection_errors_the_watcher_then_reconnects(
    venue: str, sim3: SimExchange
) -> None:
    import ccxt

    exchange = make(venue, sim3.base_url)
    try:
        await asyncio.wait_for(exchange.watch_trades(BTC), 10)
        total = sim3.stats["connections_total"]
        assert sim3.drop_connections(venue=venue) >= 1  # the module's clients too
        error: Exception | None = None
        for _ in range(50):  # frames already in flight may still resolve a call or two
            try:
                await asyncio.wait_for(exchange.watch_trades(BTC), 5)
            except ccxt.NetworkError as exc:
                error = exc
                break
        assert error is not None
        trades = await asyncio.wait_for(exchange.watch_trades(BTC), 10)  # dials again
        assert trades and sim3.stats["connections_total"] > total
    finally:
        await exchange.close()
