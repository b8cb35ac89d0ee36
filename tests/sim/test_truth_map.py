"""The simulator's true liquidation map and the benchmark scenarios behind it."""

from __future__ import annotations

import bisect
import math
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from scalptui.feed.sim import SimExchange
from scalptui.feed.sim.market import MarketModel, SymbolMarket
from scalptui.feed.sim.participants import BENCHMARK_SCENARIOS
from scalptui.feed.sim.positions import liquidation_price
from scalptui.feed.sim.truth import LiquidationMap

BTC = "BTC/USDT:USDT"
START = 1_767_225_600_000


def _sides(market: SymbolMarket) -> tuple[float, float]:
    longs = math.fsum(lot.qty * lot.entry for lot in market.lots if lot.long)
    shorts = math.fsum(lot.qty * lot.entry for lot in market.lots if not lot.long)
    return longs, shorts


def _naive(market: SymbolMarket, edges: list[float]) -> tuple[list[float], list[float]]:
    """The map by a plain loop over the lots, to check the vectorised one against."""
    longs = [0.0] * (len(edges) - 1)
    shorts = [0.0] * (len(edges) - 1)
    for lot in market.lots:
        k = bisect.bisect_right(edges, lot.liq_price) - 1
        if 0 <= k < len(longs):
            (longs if lot.long else shorts)[k] += lot.qty * lot.entry
    return longs, shorts


def test_map_totals_equal_the_open_lots_per_side() -> None:
    model = MarketModel([BTC], seed=5, scenario="cascade", start_ms=START)
    model.advance(START + 30_000)
    market = model.market(BTC)
    truth = model.liquidation_map(BTC)
    longs, shorts = _sides(market)
    assert longs > 1e6 and shorts > 1e6
    assert truth.long_total_usd == pytest.approx(longs, rel=1e-9)
    assert truth.short_total_usd == pytest.approx(shorts, rel=1e-9)
    # the default grid is 0.1 % bins over ±30 % of the mark; 2× and 3× lots lie beyond it
    assert truth.edges[0] <= market.mark * 0.7 and truth.edges[-1] >= market.mark * 1.3
    assert truth.long_outside_usd > 0.0
    assert truth.ts == model.now_ms and truth.mark == market.mark


def test_each_lot_lands_in_the_bin_of_its_liquidation_price() -> None:
    model = MarketModel([BTC], seed=2, scenario="crowd_long", start_ms=START)
    model.advance(START + 60_000)
    market = model.market(BTC)
    edges = [market.mark * (0.95 + 0.0007 * k) for k in range(150)]
    truth = market.liquidation_map(edges)
    longs, shorts = _naive(market, edges)
    assert truth.long_usd == pytest.approx(longs, rel=1e-9, abs=1e-6)
    assert truth.short_usd == pytest.approx(shorts, rel=1e-9, abs=1e-6)
    # one lot alone in a bin an epsilon wide around its own liquidation price
    lot = max((lot for lot in market.lots if lot.long), key=lambda lot: lot.liq_price)
    alone = market.liquidation_map([lot.liq_price - 1e-6, lot.liq_price + 1e-6])
    assert len(alone.long_usd) == 1
    assert alone.long_usd[0] == pytest.approx(lot.qty * lot.entry)
    assert alone.short_usd == (0.0,)


def test_a_lot_leaves_the_map_when_liquidated_or_closed() -> None:
    model = MarketModel([BTC], seed=3, scenario="cascade", start_ms=START)
    market = model.market(BTC)
    top = max(lot.liq_price for lot in market.lots if lot.long)
    # seeded lots share entries, so several may share the nearest liquidation price
    nearest = [lot for lot in market.lots if lot.long and lot.liq_price == top]
    around = [top - 1e-6, top + 1e-6]
    assert market.liquidation_map(around).long_usd[0] == pytest.approx(
        math.fsum(lot.qty * lot.entry for lot in nearest)
    )
    model.trigger(BTC, "long")  # a sell-off into the crowd: the nearest longs go first
    model.advance(START + 60_000)
    assert not any(lot.alive for lot in nearest)
    assert market.liquidation_map(around).long_usd == (0.0,)
    assert model.liquidation_map(BTC).long_total_usd == pytest.approx(_sides(market)[0])
    # closes (ordinary or stop-outs) leave it too: totals keep matching what is open
    assert market.counters.lots_closed > 0
    assert model.liquidation_map(BTC).short_total_usd == pytest.approx(_sides(market)[1])


def test_closed_lots_leave_the_map() -> None:
    model = MarketModel([BTC], seed=1, scenario="calm", start_ms=START)
    market = model.market(BTC)
    before = list(market.lots)
    model.advance(START + 120_000)
    assert market.counters.liquidations == 0  # calm: whatever left was closed
    closed = [lot for lot in before if not lot.alive]
    assert len(closed) >= 50
    for lot in closed:
        side = "long_usd" if lot.long else "short_usd"
        there = getattr(market.liquidation_map([lot.liq_price - 1e-6, lot.liq_price + 1e-6]), side)
        still = math.fsum(
            other.qty * other.entry
            for other in market.lots
            if other.long == lot.long and abs(other.liq_price - lot.liq_price) <= 1e-6
        )
        assert there[0] == pytest.approx(still, abs=1e-6)


def test_truth_is_sampled_on_the_cadence_asked_for() -> None:
    model = MarketModel([BTC], seed=1, scenario="chop", start_ms=START, truth_every_ms=60_000)
    model.advance(START + 185_000)
    assert [sample.ts for sample in model.truth] == [START + 60_000 * k for k in (1, 2, 3)]
    grid = model.market(BTC).default_map_edges()
    sample = model.truth[-1].on_grid(grid)
    assert sample.long_total_usd > 0.0 and sample.short_total_usd > 0.0


def test_bad_grids_are_refused() -> None:
    market = MarketModel([BTC], seed=1, scenario="calm", start_ms=START).market(BTC)
    for edges in ([1.0], [2.0, 1.0], [1.0, 1.0, 2.0], [1.0, math.nan]):
        with pytest.raises(ValueError):
            market.liquidation_map(edges)


# --------------------------------------------------------------------------- scenarios


def test_benchmark_participants_vary_per_seed_and_differ_from_the_estimator() -> None:
    mixes = set()
    for scenario in BENCHMARK_SCENARIOS:
        for seed in range(3):
            market = MarketModel([BTC], seed=seed, scenario=scenario, start_ms=START).market(BTC)
            assert market.participants is not None
            mix = market.participants.leverage_mix
            assert math.fsum(share for _, share in mix) == pytest.approx(1.0)
            assert 6 <= len(mix) <= 10
            assert sum(1 for leverage, _ in mix if leverage >= 25) >= 2
            mixes.add(mix)
    assert len(mixes) == len(BENCHMARK_SCENARIOS) * 3
    estimator = ((5, 0.15), (10, 0.3), (25, 0.25), (50, 0.2), (100, 0.1))
    assert estimator not in mixes
    leverages = {leverage for mix in mixes for leverage, _ in mix}
    assert leverages & {7, 12, 33}  # non-round leverages do get picked


def test_default_scenarios_keep_their_fixed_participants() -> None:
    for scenario in ("auto", "calm", "cascade", "squeeze"):
        market = MarketModel([BTC], seed=1, scenario=scenario, start_ms=START).market(BTC)
        assert market.participants is None


def test_margin_top_ups_move_liquidation_prices_away_and_keep_notional() -> None:
    model = MarketModel([BTC], seed=4, scenario="crowd_long", start_ms=START)
    market = model.market(BTC)
    model.advance(START + 120_000)
    topped = [lot for lot in market.lots if lot.leverage != round(lot.leverage)]
    assert topped, "some holders added margin in two minutes"
    for lot in topped:
        assert lot.liq_price == pytest.approx(
            liquidation_price(lot.entry, lot.leverage, market.spec.mmr, lot.long)
        )
    assert model.liquidation_map(BTC).long_total_usd == pytest.approx(_sides(market)[0])


def test_crowd_long_builds_longs_and_crowd_short_shorts() -> None:
    grew = {}
    for scenario in ("crowd_long", "crowd_short"):
        model = MarketModel([BTC], seed=0, scenario=scenario, start_ms=START)
        before = model.liquidation_map(BTC)
        model.advance(START + 300_000)
        after = model.liquidation_map(BTC)
        grew[scenario] = (
            after.long_total_usd - before.long_total_usd,
            after.short_total_usd - before.short_total_usd,
        )
    assert grew["crowd_long"][0] > 3 * max(grew["crowd_long"][1], 1.0)
    assert grew["crowd_short"][1] > 3 * max(grew["crowd_short"][0], 1.0)


def test_crowd_before_shows_in_the_open_interest_history_and_klines() -> None:
    model = MarketModel([BTC], seed=2, scenario="crowd_before", start_ms=START)
    market = model.market(BTC)
    history = market.oi_history
    # the crowd's rise: the largest 25-minute increase of the last 4 hours
    window = [amount for ts, amount, _ in history if ts >= START - 4 * 3_600_000]
    rise = max(window[k + 5] - window[k] for k in range(len(window) - 5))
    crowd_qty = math.fsum(lot.qty for lot in market.lots) * 0.5
    assert rise > 0.5 * crowd_qty
    bars = market.bars.candles(300_000, start_ms=START - 4 * 3_600_000, end_ms=START, limit=100)
    busiest = max(bars, key=lambda bar: bar.volume)
    quiet = sorted(bar.volume for bar in bars)[len(bars) // 2]
    assert busiest.volume > 2 * quiet
    assert START - 3 * 3_600_000 - 30 * 60_000 <= busiest.open_ms <= START - 2 * 3_600_000


# --------------------------------------------------------------------------- endpoint


@pytest_asyncio.fixture
async def frozen_sim() -> AsyncIterator[SimExchange]:
    """A clock so slow that the model never steps: the endpoint and the model agree exactly."""
    async with SimExchange([BTC], seed=7, time_scale=1e-9, start_ms=START) as exchange:
        yield exchange


async def _get(url: str) -> tuple[int, dict[str, str], Any]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
        http.get(url) as response,
    ):
        return response.status, dict(response.headers), await response.json(content_type=None)


async def test_endpoint_answers_the_models_numbers(frozen_sim: SimExchange) -> None:
    url = (
        f"{frozen_sim.base_url}/sim/v1/liquidationMap?symbol=BTCUSDT&low=90000&high=110000&bins=400"
    )
    status, headers, body = await _get(url)
    assert status == 200 and headers.get("X-Scalptui-Simulated") == "1"
    edges = [90_000 + 50.0 * k for k in range(401)]
    truth: LiquidationMap = frozen_sim.model.liquidation_map(BTC, edges)
    assert body["symbol"] == BTC and body["time"] == truth.ts
    assert body["markPrice"] == pytest.approx(truth.mark)
    assert len(body["bins"]) == 400
    assert body["bins"][0]["low"] == 90_000 and body["bins"][-1]["high"] == 110_000
    assert [b["longUsd"] for b in body["bins"]] == pytest.approx(truth.long_usd)
    assert [b["shortUsd"] for b in body["bins"]] == pytest.approx(truth.short_usd)
    assert body["longOpenUsd"] == pytest.approx(_sides(frozen_sim.model.market(BTC))[0])
    assert body["shortOutsideUsd"] == pytest.approx(truth.short_outside_usd)
    assert sum(b["longUsd"] for b in body["bins"]) > 0.0


async def test_endpoint_default_grid_and_bad_requests(frozen_sim: SimExchange) -> None:
    status, _, body = await _get(f"{frozen_sim.base_url}/sim/v1/liquidationMap?symbol=BTCUSDT")
    assert status == 200
    assert len(body["bins"]) == len(frozen_sim.model.market(BTC).default_map_edges()) - 1
    for query in ("", "symbol=NOPEUSDT", "symbol=BTCUSDT&low=2&high=1", "symbol=BTCUSDT&low=x"):
        status, _, body = await _get(f"{frozen_sim.base_url}/sim/v1/liquidationMap?{query}")
        assert status == 400 and body["code"] < 0 and body["msg"]


async def test_set_time_scale_continues_the_clock_from_where_it_is() -> None:
    async with SimExchange([BTC], seed=1, time_scale=1e-9, start_ms=START) as sim:
        before = sim.now_ms()
        sim.set_time_scale(1e-12)
        assert before <= sim.now_ms() <= before + 1  # no jump either way
        assert sim.time_scale == 1e-12
        with pytest.raises(ValueError):
            sim.set_time_scale(0.0)
