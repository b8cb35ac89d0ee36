"""The simulated exchange lists a fixed catalogue of well-known perpetuals, and only it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from scalptui.feed.ccxt_feed import CcxtFeed
from scalptui.feed.sim import SimExchange
from scalptui.feed.sim.specs import CATALOGUE, UnknownSymbol, spec_for
from scalptui.feed.symbols import closest_symbol
from scalptui.models import MarketInfo, Trade

START_MS = 1_767_225_600_000

# Late-2025 levels, loosely: a wrong order of magnitude is what these catch.
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "BTC": (50_000, 200_000),
    "ETH": (1_500, 8_000),
    "SOL": (80, 400),
    "BNB": (400, 2_000),
    "XRP": (1, 5),
    "DOGE": (0.08, 0.5),
    "ADA": (0.3, 1.5),
    "TRX": (0.15, 0.6),
    "1000PEPE": (0.003, 0.03),
}


def test_the_catalogue_is_a_fixed_list_of_well_known_usdt_perpetuals() -> None:
    assert 15 <= len(CATALOGUE) <= 25
    assert CATALOGUE[:3] == ("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT")
    assert all(s.endswith("/USDT:USDT") for s in CATALOGUE)
    for symbol in CATALOGUE:
        spec = spec_for(symbol)
        low, high = PLAUSIBLE.get(spec.base, (0.1, 1_000))
        assert low <= spec.price <= high, symbol
        # a tick fine enough to quote the price to a few basis points, and the price on it
        assert spec.tick <= spec.price / 1_000, symbol
        assert spec.price / spec.tick == pytest.approx(round(spec.price / spec.tick)), symbol
        assert spec.qty_step * spec.price <= 100, symbol  # the smallest order is small
        assert 20 <= spec.max_leverage <= 125, symbol
        assert 1e7 <= spec.open_interest * spec.price <= 2e10, symbol


def test_a_tiny_price_gets_a_tick_to_match() -> None:
    pepe = spec_for("1000PEPE/USDT:USDT")
    assert pepe.tick == 1e-7 and pepe.price_decimals == 7


def test_the_default_symbols_keep_the_profile_the_benchmarks_were_tuned_on() -> None:
    btc, eth, sol = (spec_for(s) for s in CATALOGUE[:3])
    assert (btc.price, btc.tick, btc.qty_step, btc.open_interest) == (100_000, 0.1, 0.001, 80_000)
    assert (btc.depth_usd, btc.vol_per_s, btc.max_leverage, btc.mmr) == (2.5e9, 9e-5, 125, 0.004)
    assert (eth.price, eth.tick, eth.open_interest, eth.depth_usd) == (3_500, 0.01, 2e6, 1.3e9)
    assert (sol.price, sol.tick, sol.open_interest, sol.funding_interval_h) == (150, 0.01, 8e6, 4)


@pytest.mark.parametrize(
    ("wanted", "meant"),
    [
        ("BTCUSDT/USDT:USDT", "BTC/USDT:USDT"),  # ``--symbols BTCUSDT``
        ("BTCUSDT", "BTC/USDT:USDT"),
        ("BTC/USDT", "BTC/USDT:USDT"),
        ("btc/usdt:usdt", "BTC/USDT:USDT"),
        ("ETHH/USDT:USDT", "ETH/USDT:USDT"),
        ("PEPE/USDT:USDT", "1000PEPE/USDT:USDT"),
        ("NOPE/USDT:USDT", None),
    ],
)
def test_a_mistyped_symbol_gets_the_listed_one_it_meant(wanted: str, meant: str | None) -> None:
    assert closest_symbol(wanted, CATALOGUE) == meant


def test_a_symbol_outside_the_catalogue_is_refused_with_a_suggestion() -> None:
    with pytest.raises(UnknownSymbol, match=r"did you mean BTC/USDT:USDT\?"):
        spec_for("BTCUSDT/USDT:USDT")
    with pytest.raises(UnknownSymbol, match="does not list"):
        SimExchange(["NOPE/USDT:USDT"])


async def _get(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as response:
        return response.status, await response.json(content_type=None)


async def test_the_exchange_lists_the_catalogue_and_simulates_a_symbol_once_asked() -> None:
    async with (
        SimExchange(["BTC/USDT:USDT"], seed=1, start_ms=START_MS) as sim,
        aiohttp.ClientSession() as http,
    ):
        _, info = await _get(http, f"{sim.base_url}/fapi/v1/exchangeInfo")
        assert {s["symbol"] for s in info["symbols"]} == {spec_for(s).market_id for s in CATALOGUE}
        _, funding = await _get(http, f"{sim.base_url}/fapi/v1/fundingInfo")
        assert len(funding) == len(CATALOGUE)
        assert list(sim.model.markets) == ["BTC/USDT:USDT"]  # nothing else simulated yet
        status, bars = await _get(
            http, f"{sim.base_url}/fapi/v1/klines?symbol=XRPUSDT&interval=1m&limit=5"
        )
        assert status == 200 and 1 < float(bars[-1][4]) < 5  # XRP's price, from now on
        assert "XRP/USDT:USDT" in sim.model.markets
        status, _ = await _get(http, f"{sim.base_url}/fapi/v1/openInterest?symbol=NOPEUSDT")
        assert status == 400


@pytest.mark.parametrize("venue", ["binanceusdm", "bybit", "okx"])
async def test_a_symbol_added_at_run_time_streams_through_ccxt(venue: str) -> None:
    """Every venue lists the catalogue (OKX all but 1000PEPE) and simulates a listed symbol
    from the moment a client asks for it, as a real venue serves what it lists."""
    async with SimExchange(["BTC/USDT:USDT"], seed=2, time_scale=5.0, start_ms=START_MS) as sim:
        feed = CcxtFeed(venue, ["BTC/USDT:USDT"], base_url=sim.base_url)
        try:
            await feed.start()
            listed = set(await feed.list_symbols())
            if venue == "okx":
                assert listed == set(CATALOGUE) - {"1000PEPE/USDT:USDT"}
            else:
                assert set(CATALOGUE) <= listed
            await feed.add_symbol("DOGE/USDT:USDT")
            seen: list[Any] = []

            async def until_a_doge_trade() -> None:
                async for event in feed.events():
                    if getattr(event, "symbol", None) == "DOGE/USDT:USDT":
                        seen.append(event)
                        if isinstance(event, Trade):
                            return

            await asyncio.wait_for(until_a_doge_trade(), 60)
        finally:
            await feed.close()
    assert isinstance(seen[0], MarketInfo)
    assert 0.08 < seen[-1].price < 0.5


async def _ws_reply(http: aiohttp.ClientSession, url: str, request: dict[str, Any]) -> Any:
    async with http.ws_connect(url) as ws:
        await ws.send_str(json.dumps(request))
        message = await asyncio.wait_for(ws.receive(), 10)
        return json.loads(message.data)


async def test_bybit_and_okx_serve_what_they_list_by_its_exact_id_only() -> None:
    """A listed market is simulated once subscribed to; a wrongly spelt id, an unsubscribe,
    or a market the venue does not list (1000PEPE on OKX) starts nothing."""
    async with (
        SimExchange(["BTC/USDT:USDT"], seed=1, start_ms=START_MS) as sim,
        aiohttp.ClientSession() as http,
    ):
        ws = sim.base_url.replace("http", "ws")
        bybit, okx = f"{ws}/v5/public/linear", f"{ws}/ws/v5/public"
        spelt = await _ws_reply(http, bybit, {"op": "subscribe", "args": ["publicTrade.xrpusdt"]})
        assert spelt["success"] is False
        gone = await _ws_reply(http, bybit, {"op": "unsubscribe", "args": ["publicTrade.TRXUSDT"]})
        assert gone["success"] is True
        arg = {"channel": "trades", "instId": "ADA-USDT-SWAP"}
        assert (await _ws_reply(http, okx, {"op": "unsubscribe", "args": [arg]}))["event"] == (
            "unsubscribe"
        )
        for inst in ("ada-USDT-SWAP", "1000PEPE-USDT-SWAP", "ADA/USDT:USDT-SWAP"):
            arg = {"channel": "trades", "instId": inst}
            assert (await _ws_reply(http, okx, {"op": "subscribe", "args": [arg]}))["event"] == (
                "error"
            )
        assert list(sim.model.markets) == ["BTC/USDT:USDT"]  # nothing started
        status, body = await _get(
            http, f"{sim.base_url}/api/v5/public/funding-rate?instId=1000PEPE/USDT:USDT-SWAP"
        )
        assert status == 200 and body["code"] == "51001"
        subscribed = await _ws_reply(http, bybit, {"op": "subscribe", "args": ["tickers.XRPUSDT"]})
        assert subscribed["success"] is True and "XRP/USDT:USDT" in sim.model.markets
