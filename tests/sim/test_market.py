"""The market model alone: deterministic, calm when told, cascades that emerge, throttle."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import pytest

from scalptui.feed.sim.events import SimEvent, SimLiquidation, SimMark, SimTrade
from scalptui.feed.sim.market import STEP_MS, MarketModel
from scalptui.feed.sim.positions import liquidation_price
from scalptui.feed.sim.throttle import ForceOrderThrottle

BTC = "BTC/USDT:USDT"
START = 1_767_225_600_000


def _run(model: MarketModel, seconds: int, chunk_ms: int = 1000) -> list[SimEvent]:
    events: list[SimEvent] = []
    end = model.now_ms + seconds * 1000
    while model.now_ms < end:
        events.extend(model.advance(min(end, model.now_ms + chunk_ms)))
    return events


def _liqs(events: list[SimEvent], side: str) -> list[SimLiquidation]:
    return [e for e in events if isinstance(e, SimLiquidation) and e.order_side == side]


def _worst_minute(liqs: list[SimLiquidation]) -> tuple[float, int, int]:
    """Largest notional liquidated in any 60 s window: (usd, count, distinct seconds)."""
    best = (0.0, 0, 0)
    left = 0
    for right in range(len(liqs)):
        while liqs[right].ts - liqs[left].ts >= 60_000:
            left += 1
        window = liqs[left : right + 1]
        usd = sum(x.qty * x.avg_price for x in window)
        if usd > best[0]:
            best = (usd, len(window), len({x.ts // 1000 for x in window}))
    return best


def test_liquidation_price_matches_the_design_examples() -> None:
    assert liquidation_price(100_000, 10, 0.004, long=True) == pytest.approx(90_361, abs=1)
    assert liquidation_price(100_000, 100, 0.004, long=True) == pytest.approx(99_398, abs=1)
    assert liquidation_price(100_000, 10, 0.004, long=False) > 100_000 * 1.09


def test_same_seed_same_market_whatever_the_call_pattern() -> None:
    a = MarketModel([BTC], seed=3, scenario="auto", start_ms=START)
    b = MarketModel([BTC], seed=3, scenario="auto", start_ms=START)
    first = _run(a, 20, chunk_ms=1000)
    assert first == _run(b, 20, chunk_ms=7_300)
    a.trigger(BTC, "short")  # a shock goes through the liquidation path too
    b.trigger(BTC, "short")
    events = _run(a, 40, chunk_ms=1000)
    assert events == _run(b, 40, chunk_ms=333)
    assert any(isinstance(e, SimLiquidation) for e in events)
    c = MarketModel([BTC], seed=4, scenario="auto", start_ms=START)
    assert _run(c, 20) != first


def test_clock_and_cadence() -> None:
    model = MarketModel([BTC, "SOL/USDT:USDT"], seed=1, scenario="calm", start_ms=START + 37)
    events = _run(model, 30)
    marks = [e for e in events if isinstance(e, SimMark) and e.symbol == BTC]
    assert [m.ts for m in marks] == [START + 1000 * k for k in range(1, 31)]  # one per second
    trades = [e for e in events if isinstance(e, SimTrade) and e.symbol == BTC]
    assert len(trades) / 30 >= 3  # several per second in calm
    assert all(a.ts <= b.ts for a, b in itertools.pairwise(trades))
    assert all(START <= t.ts <= model.now_ms for t in trades)
    sol = [m for m in events if isinstance(m, SimMark) and m.symbol == "SOL/USDT:USDT"]
    assert all(m.next_funding_ts % (4 * 3_600_000) == 0 > m.ts - m.next_funding_ts for m in sol)


def test_calm_market_has_no_cascade() -> None:
    model = MarketModel([BTC, "SOL/USDT:USDT"], seed=11, scenario="calm", start_ms=START)
    btc = model.market(BTC)
    first = btc.price
    events = _run(model, 600, chunk_ms=60_000)
    liqs = [e for e in events if isinstance(e, SimLiquidation)]
    assert _worst_minute(liqs)[0] < 1e6
    assert abs(math.log(btc.price / first)) < 0.02
    assert btc.counters.shocks == 0
    assert abs(btc.funding_rate) < 0.0002  # balanced book, near the base rate


def test_cascade_emerges_from_crowded_longs() -> None:
    model = MarketModel([BTC], seed=0, scenario="cascade", start_ms=START)
    btc = model.market(BTC)
    events = _run(model, 50)
    # longs crowd first: funding drifts positive, open interest grows
    assert btc.long_usd > 2 * btc.short_usd
    assert btc.funding_rate > 0.0003
    oi_before, price_before = btc.open_interest, btc.price
    events = _run(model, 130)
    assert btc.counters.shocks == 1
    usd, count, seconds = _worst_minute(_liqs(events, "SELL"))
    assert usd > 20e6  # tens of $M of longs in a minute
    assert count > 100 and seconds >= 5  # a chain over many seconds, not one print
    assert usd > 5 * sum(x.qty * x.avg_price for x in _liqs(events, "BUY"))
    low = min(e.price for e in events if isinstance(e, SimTrade))
    assert low < price_before * 0.97
    # emergent: the shock alone moves the price at most 1.6 %; the chain did the rest
    assert math.log(price_before / low) > 2 * 0.016
    assert btc.open_interest < oi_before * 0.99
    # the thin book snaps back once the forced selling stops
    assert btc.price > low * 1.01


def test_same_shock_without_crowd_does_not_cascade() -> None:
    model = MarketModel([BTC], seed=0, scenario="calm", start_ms=START)
    btc = model.market(BTC)
    _run(model, 10)
    before = btc.price
    model.trigger(BTC, "long")
    events = _run(model, 60)
    low = min(e.price for e in events if isinstance(e, SimTrade))
    assert math.log(before / low) < 0.02
    assert _worst_minute(_liqs(events, "SELL"))[0] < 2e6


def test_squeeze_is_the_mirror() -> None:
    model = MarketModel(["ETH/USDT:USDT"], seed=2, scenario="squeeze", start_ms=START)
    eth = model.market("ETH/USDT:USDT")
    _run(model, 50)
    assert eth.funding_rate < 0
    before = eth.price
    events = _run(model, 130)
    usd, _count, seconds = _worst_minute(_liqs(events, "BUY"))
    assert usd > 10e6 and seconds >= 5
    high = max(e.price for e in events if isinstance(e, SimTrade))
    assert high > before * 1.03


def test_throttle_pushes_at_most_one_latest_print_per_symbol_second() -> None:
    model = MarketModel([BTC, "SOL/USDT:USDT"], seed=5, scenario="cascade", start_ms=START)
    throttle = ForceOrderThrottle()
    generated: list[SimLiquidation] = []
    pushed: list[SimLiquidation] = []
    for _ in range(180):
        for event in model.advance(model.now_ms + 1000):
            if isinstance(event, SimLiquidation):
                generated.append(event)
                out = throttle.offer(event)
                if out is not None:
                    pushed.append(out)
        pushed.extend(throttle.flush(model.now_ms))
    windows = Counter((p.symbol, p.ts // 1000) for p in pushed)
    assert windows and max(windows.values()) == 1
    assert len(generated) > 10 * len(pushed)  # a cascade is far bigger than what is shown
    assert throttle.generated == len(generated) and throttle.pushed == len(pushed)
    for print_ in pushed:  # the latest liquidation of its window
        same_window = [
            g for g in generated if g.symbol == print_.symbol and g.ts // 1000 == print_.ts // 1000
        ]
        assert print_ == same_window[-1]


def test_history_ends_at_the_live_price_and_open_interest() -> None:
    model = MarketModel([BTC], seed=9, scenario="auto", start_ms=START)
    btc = model.market(BTC)
    _run(model, 90)
    bars = btc.bars.candles(300_000, start_ms=None, end_ms=None, limit=300)
    assert len(bars) == 300
    assert bars[-1].open_ms <= model.now_ms < bars[-1].open_ms + 300_000
    assert bars[-1].close == pytest.approx(btc.price, rel=0.002)
    assert all(b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high for b in bars)
    assert all(0 < b.taker_buy_volume < b.volume for b in bars)
    oi = btc.oi_history
    assert len(oi) > 500 and all(b[0] - a[0] == 300_000 for a, b in itertools.pairwise(oi))
    assert oi[-1][1] == pytest.approx(btc.open_interest, rel=0.01)
    assert 70_000 < btc.open_interest < 90_000


def test_every_step_is_a_hundred_milliseconds_of_exchange_time() -> None:
    model = MarketModel([BTC], seed=1, scenario="calm", start_ms=START)
    model.advance(START + 250)
    assert model.now_ms == START + 2 * STEP_MS


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="scenario"):
        MarketModel([BTC], scenario="crash")
    with pytest.raises(ValueError, match="BASE/QUOTE"):
        MarketModel(["BTCUSDT"])
    model = MarketModel([BTC], scenario="calm")
    with pytest.raises(ValueError, match="long"):
        model.trigger(BTC, "up")
    with pytest.raises(KeyError):
        model.trigger("DOGE/USDT:USDT", "long")
