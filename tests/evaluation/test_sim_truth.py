"""The simulator's public truth and plans, and the real-price-path market."""

from __future__ import annotations

import pytest

from benchmarks._detection_cases import KLINES
from scalptui.feed.sim.events import SimLiquidation
from scalptui.feed.sim.market import MarketModel
from scalptui.feed.sim.path import path_market
from scalptui.feed.sim.plans import ScheduledDrift, ScheduledShock, ScheduledWhale
from scalptui.feed.sim.server import SimExchange

START = 1_767_225_600_000
CRASH_START = 1_738_546_500_000  # 2025-02-03T01:35Z


def test_forced_close_log_holds_every_liquidation_event() -> None:
    model = MarketModel(["SOL/USDT:USDT"], seed=14, scenario="cascade", start_ms=START)
    events = model.advance(START + 150_000)
    liquidations = [e for e in events if isinstance(e, SimLiquidation)]
    closes = model.forced_closes()
    assert len(closes) == len(liquidations) > 100
    for close, liq in zip(closes, liquidations, strict=True):
        assert close.ts == liq.ts
        assert close.side == ("long" if liq.order_side == "SELL" else "short")
        assert close.notional == liq.qty * liq.avg_price


def test_the_forced_close_log_keeps_the_latest_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A demo left running for days grew by every forced close it ever made."""
    monkeypatch.setattr("scalptui.feed.sim.market.FORCED_CLOSES_KEPT", 50)
    model = MarketModel(["SOL/USDT:USDT"], seed=14, scenario="cascade", start_ms=START)
    events = model.advance(START + 150_000)
    liquidations = [e for e in events if isinstance(e, SimLiquidation)]
    closes = model.forced_closes()
    assert len(liquidations) > 100 and 45 <= len(closes) <= 50
    assert [c.ts for c in closes] == [liq.ts for liq in liquidations[-len(closes) :]]


def test_a_planned_whale_is_one_forced_close_at_its_time() -> None:
    model = MarketModel(["BTC/USDT:USDT"], seed=61, scenario="calm", start_ms=START)
    model.schedule("BTC/USDT:USDT", ScheduledWhale(START + 30_000, "short", 5e6))
    model.advance(START + 60_000)
    closes = model.forced_closes("BTC/USDT:USDT")
    assert len(closes) == 1
    assert closes[0].side == "short"
    assert START + 29_900 < closes[0].ts <= START + 30_000  # within the 100 ms step ending then
    assert abs(closes[0].notional - 5e6) < 0.01 * 5e6


def test_a_run_with_plans_does_not_depend_on_how_the_clock_is_advanced() -> None:
    def run(step_ms: int) -> list[tuple[int, str, float]]:
        model = MarketModel(["SOL/USDT:USDT"], seed=3, scenario="steady", start_ms=START)
        model.schedule("SOL/USDT:USDT", ScheduledShock(START + 20_000, "long", 0.03))
        model.schedule("SOL/USDT:USDT", ScheduledDrift(START, START + 60_000, -2e-5))
        for to in range(START, START + 90_001, step_ms):
            model.advance(to)
        return [(c.ts, c.side, c.notional) for c in model.forced_closes()]

    once = run(90_000)
    assert once, "a 3 % shock into an ordinary market force-closes someone"
    assert run(700) == once


def test_the_exchange_clock_held_then_driven_by_hand() -> None:
    sim = SimExchange(["BTC/USDT:USDT"], start_ms=START, hold_clock=True, time_scale=1000)
    assert sim.now_ms() == START
    sim.advance_clock(START + 5_000)
    assert sim.now_ms() == START + 5_000
    sim.advance_clock(START + 1_000)  # never backwards
    assert sim.now_ms() == START + 5_000
    assert sim.model.now_ms == START + 5_000


def test_a_price_path_stays_in_each_real_bar_and_is_reproducible() -> None:
    def run(seed: int) -> tuple[list[tuple[int, float]], str]:
        market = path_market(
            KLINES / "FILUSDT-1m-2025-02.csv.gz",
            base="FIL",
            start_ms=CRASH_START,
            minutes=25,
            seed=seed,
        )
        bars = {bar.open_ms: bar for bar in market.window}
        while market.now_ms < market.end_ms:
            bar = bars[market.now_ms - market.now_ms % 60_000]
            market.step()
            assert bar.low - 1e-9 <= market.price <= bar.high + 1e-9
        closes = [(c.ts, c.notional) for c in market.forced_closes]
        return closes, repr(market.population)

    first, population = run(7)
    assert len(first) > 100  # the crash's first legs force-close the modelled crowd
    assert run(7) == (first, population)
    assert run(8)[1] != population


def test_a_price_path_refuses_shocks_and_plans_with_a_clear_error() -> None:
    market = path_market(
        KLINES / "ALGOUSDT-1m-2025-02.csv.gz", base="ALGO", start_ms=CRASH_START, minutes=2, seed=1
    )
    sim = SimExchange((), start_ms=CRASH_START, markets=[market], hold_clock=True)
    assert list(sim.model.markets) == ["ALGO/USDT:USDT"]
    with pytest.raises(ValueError, match="recorded price path"):
        sim.trigger("ALGO/USDT:USDT", "long")
    with pytest.raises(ValueError, match="recorded price path"):
        sim.schedule("ALGO/USDT:USDT", ScheduledWhale(CRASH_START + 1000, "long", 1e6))


def test_a_window_the_file_does_not_cover_is_refused() -> None:
    with pytest.raises(ValueError, match="ends before"):
        path_market(
            KLINES / "FILUSDT-1m-2023-06.csv.gz",
            base="FIL",
            start_ms=1_688_169_000_000,  # 2023-06-30T23:50Z: ten minutes left in the month
            minutes=30,
            seed=1,
        )
