"""A mechanistic leveraged market: cascades and squeezes emerge, they are not scripted.

Per symbol the model keeps

* a *fair* log price that random-walks (the rest of the world's opinion),
* a *transient* displacement left by market orders, which decays as the book
  refills (time constant 25 s) — so a price knocked down by forced selling snaps
  back once the selling stops,
* a mark price (a fast EMA of the last price; venues liquidate on the mark),
* a population of leveraged positions ("lots"), opened at the price of the day
  with a leverage drawn from the regime's mix, each with its liquidation price
  ``long LP = EP·(1 − 1/L)/(1 − MMR)``, ``short LP = EP·(1 + 1/L)/(1 + MMR)``
  and, for some, a stop-loss.

When the mark crosses a lot's liquidation price the lot is force-closed by a
market order whose impact moves the price — which may reach the next lots: a
cascade when longs crowd below the price and a shock arrives, a squeeze in the
mirror case. Open interest is the background (unlevered, slowly drifting) plus
the lots, so it rises as lots open and drops as they are closed or liquidated.
Funding follows the long/short imbalance of the lots.

Because it knows every position, the model also gives what a ladder only
estimates: the true map of open notional by liquidation price
(``SymbolMarket.liquidation_map``; sampled each ``MarketModel.truth_every_ms``).

Everything is driven by ``random.Random`` seeded from (seed, symbol) and by a
fixed 100 ms step on the model's own clock, so a run is a function of the seed,
the scenario and the times it is advanced to — never of the wall clock.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from scalptui.feed.sim.history import MINUTE_MS, BarBook, PreHistory, prehistory
from scalptui.feed.sim.specs import SymbolSpec, spec_for

STEP_MS = 100
BENCHMARK_SCENARIOS = ("crowd_long", "crowd_short", "chop", "crowd_before", "trend_crowd")
"""Scenarios for measuring the ladder against the truth (``benchmarks/bench_ladder.py``).

Their participants are drawn per seed (``Participants``) and the run has no shock:

* ``crowd_long`` / ``crowd_short`` — one side crowds in for the whole run;
* ``chop`` — both sides open while the price swings up and down in legs of 2–4 minutes;
* ``crowd_before`` — a one-sided crowd built two to three hours before the start (it shows
  only in the open-interest history and the klines), then an ordinary market;
* ``trend_crowd`` — longs crowd in while the price trends up (≈ 1 % in 10 minutes).
"""
# "steady": the ordinary mix of leverage (up to 100×) with no crowding and no shock, so
# ordinary chop liquidates a few over-levered positions now and then
SCENARIOS = ("auto", "calm", "cascade", "squeeze", "steady", *BENCHMARK_SCENARIOS)

TakerSide = Literal["BUY", "SELL"]

# Book refill: the transient part of an impact decays with this time constant.
_TRANSIENT_TAU_S = 25.0
# Share of an impact that stays in the price (information); the rest snaps back.
_PERMANENT_SHARE = 0.3
# Mark price follows the last price with this EMA time constant.
_MARK_TAU_S = 0.4
_LOT_LIFETIME_S = 2400.0
_STOP_SHARE = 0.35
# How long the crowd of the cascade / squeeze scenarios has been building at start.
_CROWD_SEED_S = 540
# The liquidation engine takes positions over at once but works them into the
# book at a bounded pace (a share of the depth per second): that is what stretches
# a chain over tens of seconds instead of one burst.
_ENGINE_RATE_OF_DEPTH = 0.002


@dataclass(frozen=True, slots=True)
class Regime:
    """How participants behave in one phase of the market."""

    name: str
    open_rate: float  # new leveraged lots per second
    long_share: float  # of new lots
    leverage_mix: tuple[tuple[int, float], ...]
    drift_per_s: float  # of the fair log price, in the crowd's direction
    noise_rate: float  # plain turnover prints per second


_CALM_MIX = ((2, 0.25), (3, 0.25), (5, 0.3), (10, 0.2))
_NORMAL_MIX = ((3, 0.2), (5, 0.25), (10, 0.3), (20, 0.15), (50, 0.07), (100, 0.03))
_CROWD_MIX = ((5, 0.1), (10, 0.2), (20, 0.2), (25, 0.15), (50, 0.2), (75, 0.08), (100, 0.07))

CALM = Regime("calm", 3.0, 0.5, _CALM_MIX, 0.0, 4.0)
NORMAL = Regime("normal", 3.0, 0.5, _NORMAL_MIX, 0.0, 4.0)
CROWD_LONG = Regime("crowd_long", 10.0, 0.8, _CROWD_MIX, 4e-6, 6.0)
CROWD_SHORT = Regime("crowd_short", 10.0, 0.2, _CROWD_MIX, -4e-6, 6.0)
AFTERMATH = Regime("aftermath", 1.5, 0.5, _NORMAL_MIX, 0.0, 7.0)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class SimTrade:
    symbol: str
    ts: int
    trade_id: int
    price: float
    qty: float
    taker: TakerSide


@dataclass(frozen=True, slots=True)
class SimLiquidation:
    """One forced close. ``order_side`` is the liquidation order's side (SELL = a long)."""

    symbol: str
    ts: int
    order_side: TakerSide
    price: float  # the order's price: the position's bankruptcy price
    avg_price: float  # where it filled
    qty: float


@dataclass(frozen=True, slots=True)
class SimMark:
    symbol: str
    ts: int
    mark: float
    index: float
    funding_rate: float
    next_funding_ts: int


SimEvent = SimTrade | SimLiquidation | SimMark


@dataclass(frozen=True, slots=True)
class ForcedClose:
    """One forced close as the exchange's engine executed it — before any sampling
    of the public stream. ``side`` is the *position* side (``long``: a long was
    force-sold); ``notional`` is quantity × fill price in USD. The ground truth the
    detection benchmark labels its chains from."""

    ts: int
    symbol: str
    side: Literal["long", "short"]
    price: float
    notional: float


@dataclass(frozen=True, slots=True)
class ScheduledShock:
    """An exogenous market order at a given exchange time (a headline, a large taker).

    ``side`` names the crowd it hits (``long``: a sell-off), ``strength`` the move the
    order alone makes as a share of the book's depth (0.012 ≈ 1.2 %).
    """

    at_ms: int
    side: Literal["long", "short"]
    strength: float


@dataclass(frozen=True, slots=True)
class ScheduledWhale:
    """One huge position force-closed at ``at_ms``: a single forced close of
    ``notional`` USD on ``side`` — a lone whale, not a cascade."""

    at_ms: int
    side: Literal["long", "short"]
    notional: float


@dataclass(frozen=True, slots=True)
class ScheduledDrift:
    """An extra drift of the fair log price between two exchange times (a slow bleed:
    ``per_s`` = −2e-5 is about −7 % an hour)."""

    from_ms: int
    until_ms: int
    per_s: float


@dataclass(slots=True)
class _Lot:
    lot_id: int
    long: bool
    qty: float
    entry: float
    leverage: float  # effective: a margin top-up lowers it
    liq_price: float
    stop: float | None
    alive: bool = True


@dataclass(slots=True)
class _Shock:
    """An exogenous market order worked over a few seconds (a whale, a headline)."""

    sell: bool
    remaining_usd: float
    rate_usd_per_s: float


@dataclass(slots=True)
class _Print:
    kind: Literal["trade", "liq"]
    price: float
    qty: float
    taker: TakerSide
    bankruptcy: float = 0.0


@dataclass(slots=True)
class Counters:
    """Running totals, for ``SimExchange.stats`` and the tests."""

    trades: int = 0
    liquidations: int = 0
    liquidated_usd: float = 0.0
    stops: int = 0
    lots_opened: int = 0
    lots_closed: int = 0
    shocks: int = 0


def liquidation_price(entry: float, leverage: float, mmr: float, long: bool) -> float:
    """Isolated-margin liquidation price (fees ignored), as DESIGN § Projection states."""
    if long:
        return entry * (1 - 1 / leverage) / (1 - mmr)
    return entry * (1 + 1 / leverage) / (1 + mmr)


def bankruptcy_price(entry: float, leverage: float, long: bool) -> float:
    return entry * (1 - 1 / leverage) if long else entry * (1 + 1 / leverage)


# --------------------------------------------------------------------------- one symbol


class SymbolMarket:
    """The leveraged market of one symbol, stepped in 100 ms of exchange time."""

    def __init__(self, spec: SymbolSpec, *, seed: int, scenario: str, start_ms: int) -> None:
        self.spec = spec
        self.rng = random.Random(f"{seed}:{spec.market_id}")
        self.scenario = scenario
        self.now_ms = start_ms - start_ms % STEP_MS
        self.counters = Counters()
        self._trade_id = self.rng.randrange(1_000_000_000, 5_000_000_000)
        self._lot_id = 0
        self.log_fair = math.log(spec.price)
        self.transient = 0.0
        self.mark_log = self.log_fair
        self.lots: list[_Lot] = []
        self._lot_index: dict[int, int] = {}
        self._long_liq: list[tuple[float, int, _Lot]] = []  # (-LP, id, lot): highest LP first
        self._short_liq: list[tuple[float, int, _Lot]] = []  # (LP, id, lot): lowest LP first
        self._long_stop: list[tuple[float, int, _Lot]] = []
        self._short_stop: list[tuple[float, int, _Lot]] = []
        self.lot_qty = 0.0
        self.long_usd = 0.0
        self.short_usd = 0.0
        self.funding_rate = 0.0001
        self._shock: _Shock | None = None
        self._engine: deque[_Lot] = deque()
        self._engine_qty = 0.0
        self._engine_budget = 0.0
        self.participants = self._draw_participants(seed)
        self._legs = self._planned_legs()
        self._leg = 0
        self.forced_closes: list[ForcedClose] = []
        self._scheduled_shocks: list[ScheduledShock] = []
        self._scheduled_whales: list[ScheduledWhale] = []
        self._drifts: list[ScheduledDrift] = []
        self.regime, self._regime_until, self._shock_at = self._first_regime()
        self.bars = BarBook(spec.tick)
        history = prehistory(spec, self.rng, end_ms=self.now_ms, trend=self._history_trend())
        self.bars.load(history.bars)
        self.oi_history: list[tuple[int, float, float]] = list(history.open_interest)
        if self.participants is None:
            self._seed_population(history.closes)
        else:
            self._seed_varied_population(history)
        self.background_oi = max(spec.open_interest * 0.5, spec.open_interest - self.lot_qty)
        self._background_target = self.background_oi
        self._background_home = self.background_oi

    # -- prices ----------------------------------------------------------------------

    @property
    def price(self) -> float:
        return math.exp(self.log_fair + self.transient)

    @property
    def mark(self) -> float:
        return math.exp(self.mark_log)

    @property
    def index(self) -> float:
        # spot venues feel a futures cascade less: the index carries part of the displacement
        return math.exp(self.log_fair + 0.6 * self.transient)

    @property
    def open_interest(self) -> float:
        # positions taken over by the liquidation engine stay open until it closes them
        return self.background_oi + self.lot_qty + self._engine_qty

    def round_price(self, price: float) -> float:
        spec = self.spec
        return round(round(price / spec.tick) * spec.tick, spec.price_decimals)

    def round_qty(self, qty: float) -> float:
        spec = self.spec
        steps = max(1, round(qty / spec.qty_step))
        return round(steps * spec.qty_step, spec.qty_decimals)

    def next_funding_ts(self, now_ms: int) -> int:
        period = self.spec.funding_interval_h * 3_600_000
        return (now_ms // period + 1) * period

    # -- regimes ---------------------------------------------------------------------

    def _history_trend(self) -> float:
        if self.scenario == "cascade":
            return 0.004  # price rose into the crowd: longs entered on the way up
        if self.scenario == "squeeze":
            return -0.004
        return 0.0

    def _first_regime(self) -> tuple[Regime, int, int | None]:
        if self._legs:
            return self._legs[0], self._leg_end(), None
        if self.scenario == "calm":
            return CALM, 2**62, None
        if self.scenario == "steady":
            return NORMAL, 2**62, None
        if self.scenario in ("cascade", "squeeze"):
            regime = CROWD_LONG if self.scenario == "cascade" else CROWD_SHORT
            shock_at = self.now_ms + self.rng.randrange(60_000, 100_000)
            return regime, shock_at + 1, shock_at
        # the first calm spell is short, so a demo reaches its first crowding soon
        return NORMAL, self.now_ms + self._minutes(1, 3), None

    def _minutes(self, low: float, high: float) -> int:
        return int(self.rng.uniform(low, high) * 60_000)

    def _next_auto_regime(self) -> None:
        if self.regime in (NORMAL, CALM):
            self.regime = CROWD_LONG if self.rng.random() < 0.55 else CROWD_SHORT
            self._regime_until = self.now_ms + self._minutes(4, 8)
            self._shock_at = self._regime_until if self.rng.random() < 0.85 else None
        elif self.regime in (CROWD_LONG, CROWD_SHORT):
            self.regime = AFTERMATH
            self._regime_until = self.now_ms + self._minutes(2, 4)
        else:
            self.regime = NORMAL
            self._regime_until = self.now_ms + self._minutes(3, 8)

    def _update_regime(self) -> None:
        if self._shock_at is not None and self.now_ms >= self._shock_at:
            self._shock_at = None
            strength = (0.010, 0.015) if self.scenario == "auto" else (0.012, 0.016)
            self.trigger(long=self.regime is not CROWD_SHORT, strength=strength)
        if self.now_ms < self._regime_until:
            return
        if self.scenario == "auto":
            self._next_auto_regime()
        elif self._legs:
            self._next_leg()
        elif self.regime in (CROWD_LONG, CROWD_SHORT):
            self.regime, self._regime_until = AFTERMATH, self.now_ms + self._minutes(2, 3)
        else:
            self.regime, self._regime_until = NORMAL, 2**62

    def trigger(self, *, long: bool, strength: tuple[float, float] = (0.012, 0.016)) -> None:
        """A shock into the crowded side: a sell-off into longs or a buy-up into shorts.

        The shock alone moves the price by ``strength`` (1.2–1.6 %, as a share of the
        book's depth); whatever follows is the leverage's doing.
        """
        size = self.spec.depth_usd * self.rng.uniform(*strength)
        seconds = self.rng.uniform(3.0, 6.0)
        self._shock = _Shock(sell=long, remaining_usd=size, rate_usd_per_s=size / seconds)
        self.counters.shocks += 1

    def schedule(self, plan: ScheduledShock | ScheduledWhale | ScheduledDrift) -> None:
        """Plan a shock, a whale's forced close or a drift at a given exchange time.

        Planned in event time, a run stays a function of its seed and its plan at
        any ``time_scale`` (a ``trigger()`` from outside lands wherever the wall
        clock happens to be).
        """
        if isinstance(plan, ScheduledShock):
            self._scheduled_shocks.append(plan)
            self._scheduled_shocks.sort(key=lambda item: item.at_ms)
        elif isinstance(plan, ScheduledWhale):
            self._scheduled_whales.append(plan)
            self._scheduled_whales.sort(key=lambda item: item.at_ms)
        else:
            self._drifts.append(plan)

    def _run_schedule(self) -> None:
        now = self.now_ms
        while self._scheduled_shocks and self._scheduled_shocks[0].at_ms <= now:
            shock = self._scheduled_shocks.pop(0)
            self.trigger(long=shock.side == "long", strength=(shock.strength, shock.strength))
        while self._scheduled_whales and self._scheduled_whales[0].at_ms <= now:
            self._whale(self._scheduled_whales.pop(0))

    def _scheduled_drift(self) -> float:
        return sum(d.per_s for d in self._drifts if d.from_ms <= self.now_ms < d.until_ms)

    def _whale(self, whale: ScheduledWhale) -> None:
        """Hand one huge lot straight to the liquidation engine (no crowd behind it)."""
        long = whale.side == "long"
        price = self.price
        self._lot_id += 1
        lot = _Lot(
            self._lot_id, long, self.round_qty(whale.notional / price), price, 100, price, None
        )
        self._engine_qty += lot.qty
        # the engine takes a whale first: it is the position the venue is most exposed to
        self._engine.appendleft(lot)

    # -- population ------------------------------------------------------------------

    def _seed_population(self, closes: Sequence[float]) -> None:
        """Positions already open at start: entries along the recent price path."""
        crowd = self.regime if self.regime in (CROWD_LONG, CROWD_SHORT) else None
        base = NORMAL if crowd is not None else self.regime
        # about half a lifetime's worth survives (the rest was closed or stopped out)
        count = int(base.open_rate * _LOT_LIFETIME_S * (0.6 if base is CALM else 0.5))
        recent = list(closes[-40:]) or [self.spec.price]
        mark = self.spec.price
        for _ in range(count):
            self._open_lot(self.rng.choice(recent), base, mark=mark, trade=False)
        if crowd is not None:
            # the crowd that built up over the last minutes, near the current price
            for _ in range(int(crowd.open_rate * _CROWD_SEED_S)):
                self._open_lot(self.rng.choice(recent[-15:]), crowd, mark=mark, trade=False)

    def _draw_leverage(self, regime: Regime) -> int:
        pick = self.rng.random()
        for leverage, weight in regime.leverage_mix:
            pick -= weight
            if pick <= 0:
                return min(leverage, self.spec.max_leverage)
        return min(regime.leverage_mix[-1][0], self.spec.max_leverage)

    def _open_lot(self, entry: float, regime: Regime, *, mark: float, trade: bool) -> _Print | None:
        rng = self.rng
        long = rng.random() < regime.long_share
        leverage = self._draw_leverage(regime)
        liq = liquidation_price(entry, leverage, self.spec.mmr, long)
        if (long and liq >= mark) or (not long and liq <= mark):
            return None  # would be liquidated on arrival: nobody opens that
        notional = self.spec.lot_usd * math.exp(rng.gauss(0.0, 1.0))
        qty = self.round_qty(notional / entry)
        stop: float | None = None
        if rng.random() < _STOP_SHARE:
            stop = entry + (liq - entry) * rng.uniform(0.3, 0.8)
            if (long and stop >= mark) or (not long and stop <= mark):
                return None  # an older position whose stop the price already took out
        self._lot_id += 1
        lot = _Lot(self._lot_id, long, qty, entry, leverage, liq, stop)
        self._lot_index[lot.lot_id] = len(self.lots)
        self.lots.append(lot)
        if long:
            heapq.heappush(self._long_liq, (-liq, lot.lot_id, lot))
            if stop is not None:
                heapq.heappush(self._long_stop, (-stop, lot.lot_id, lot))
            self.long_usd += qty * entry
        else:
            heapq.heappush(self._short_liq, (liq, lot.lot_id, lot))
            if stop is not None:
                heapq.heappush(self._short_stop, (stop, lot.lot_id, lot))
            self.short_usd += qty * entry
        self.lot_qty += qty
        self.counters.lots_opened += 1
        if not trade:
            return None
        return self._market_order(buy=long, qty=qty, kind="trade")

    def _remove_lot(self, lot: _Lot) -> None:
        lot.alive = False
        index = self._lot_index.pop(lot.lot_id)
        last = self.lots.pop()
        if last is not lot:
            self.lots[index] = last
            self._lot_index[last.lot_id] = index
        self.lot_qty -= lot.qty
        if lot.long:
            self.long_usd -= lot.qty * lot.entry
        else:
            self.short_usd -= lot.qty * lot.entry

    # -- order flow ------------------------------------------------------------------

    def _impact(self, signed_usd: float) -> None:
        move = signed_usd / self.spec.depth_usd
        self.log_fair += _PERMANENT_SHARE * move
        self.transient += (1 - _PERMANENT_SHARE) * move

    def _market_order(
        self, *, buy: bool, qty: float, kind: Literal["trade", "liq"], bankruptcy: float = 0.0
    ) -> _Print:
        before = self.price
        self._impact((1 if buy else -1) * qty * before)
        # a sweep fills between the touch and where it leaves the book
        fill = (before + self.price) / 2
        return _Print(kind, fill, qty, "BUY" if buy else "SELL", bankruptcy)

    def _take_over(self, lot: _Lot) -> None:
        self._remove_lot(lot)
        self._engine.append(lot)
        self._engine_qty += lot.qty

    def _work_engine(self, dt: float, prints: list[_Print]) -> None:
        rate = self.spec.depth_usd * _ENGINE_RATE_OF_DEPTH
        self._engine_budget = min(rate, self._engine_budget + rate * dt)
        while self._engine and self._engine_budget > 0:
            lot = self._engine.popleft()
            self._engine_qty -= lot.qty
            self._engine_budget -= lot.qty * self.price
            self._liquidate(lot, prints)

    def _liquidate(self, lot: _Lot, prints: list[_Print]) -> None:
        bankrupt = bankruptcy_price(lot.entry, lot.leverage, lot.long)
        order = self._market_order(buy=not lot.long, qty=lot.qty, kind="liq", bankruptcy=bankrupt)
        prints.append(order)
        self._split_into_trades(order, prints)
        self.counters.liquidations += 1
        self.counters.liquidated_usd += lot.qty * order.price

    def _close(self, lot: _Lot, prints: list[_Print]) -> None:
        self._remove_lot(lot)
        self._split_into_trades(
            self._market_order(buy=not lot.long, qty=lot.qty, kind="trade"), prints
        )
        self.counters.lots_closed += 1

    def _split_into_trades(self, order: _Print, prints: list[_Print]) -> None:
        """A large market order prints as a few trades walking the book."""
        parts = 1 if order.qty * order.price < 3 * self.spec.lot_usd else self.rng.randint(2, 4)
        for part in range(parts):
            qty = order.qty / parts
            # spread the parts around the average fill, worst last
            offset = (part - (parts - 1) / 2) * 0.5e-4 * (-1 if order.taker == "SELL" else 1)
            prints.append(_Print("trade", order.price * (1 + offset), qty, order.taker))

    # -- one step --------------------------------------------------------------------

    def step(self) -> list[SimEvent]:
        """Advance 100 ms; return the step's events in time order."""
        start = self.now_ms
        self.now_ms += STEP_MS
        dt = STEP_MS / 1000
        rng = self.rng
        self._update_regime()
        self._run_schedule()
        regime = self.regime
        drift = regime.drift_per_s + self._scheduled_drift()
        self.log_fair += drift * dt + self.spec.vol_per_s * math.sqrt(dt) * rng.gauss(0.0, 1.0)
        self.transient *= math.exp(-dt / _TRANSIENT_TAU_S)
        self.bars.touch(start + 1, self.round_price(self.price))
        prints: list[_Print] = []
        self._work_shock(dt, prints)
        self._noise_trades(regime, dt, prints)
        self._flow(regime, dt, prints)
        self._background(dt)
        self.mark_log += (math.log(self.price) - self.mark_log) * (1 - math.exp(-dt / _MARK_TAU_S))
        self._liquidations(prints)
        self._stops(prints)
        if self.participants is not None:
            self._top_ups(self.participants, dt)
        self._update_funding(dt)
        events = self._timestamp(prints, start)
        if self.now_ms % 1000 == 0:
            events.append(self._mark_event())
        if self.now_ms % 300_000 == 0:
            self._sample_open_interest()
            self._compact_heaps()
        return events

    def _compact_heaps(self) -> None:
        """Drop closed lots from the trigger heaps (they are removed lazily), so a
        sim left running for days keeps a flat memory."""
        for name in ("_long_liq", "_short_liq", "_long_stop", "_short_stop"):
            heap: list[tuple[float, int, _Lot]] = getattr(self, name)
            if len(heap) > 2 * len(self.lots) + 1000:
                live = [entry for entry in heap if entry[2].alive]
                heapq.heapify(live)
                setattr(self, name, live)

    def _work_shock(self, dt: float, prints: list[_Print]) -> None:
        shock = self._shock
        if shock is None:
            return
        usd = min(shock.remaining_usd, shock.rate_usd_per_s * dt)
        shock.remaining_usd -= usd
        if shock.remaining_usd <= 1.0:
            self._shock = None
        for _ in range(self.rng.randint(1, 3)):
            qty = self.round_qty(usd / 2 / self.price)
            prints.append(self._market_order(buy=not shock.sell, qty=qty, kind="trade"))

    def _noise_trades(self, regime: Regime, dt: float, prints: list[_Print]) -> None:
        rng = self.rng
        for _ in range(_poisson(rng, regime.noise_rate * dt)):
            notional = self.spec.lot_usd * 0.3 * math.exp(rng.gauss(0.0, 1.2))
            side: TakerSide = "BUY" if rng.random() < 0.5 else "SELL"
            spread = self.spec.tick * (0.5 if side == "BUY" else -0.5)
            price = self.price + spread
            prints.append(_Print("trade", price, self.round_qty(notional / price), side))

    def _flow(self, regime: Regime, dt: float, prints: list[_Print]) -> None:
        rng = self.rng
        mark = self.mark
        for _ in range(_poisson(rng, regime.open_rate * dt)):
            order = self._open_lot(self.price, regime, mark=mark, trade=True)
            if order is not None:
                self._split_into_trades(order, prints)
        closes = _poisson(rng, len(self.lots) * dt / _LOT_LIFETIME_S)
        for _ in range(min(closes, len(self.lots))):
            self._close(self.lots[rng.randrange(len(self.lots))], prints)

    def _background(self, dt: float) -> None:
        """Unlevered participants: their open interest drifts slowly around a target, and
        under stress (price displaced by forced flow) both sides de-risk together, which
        lowers open interest without moving the price."""
        stress = abs(self.transient)
        if stress > 0.003:
            cut = stress * dt / 40.0
            self.background_oi *= 1 - cut
            self._background_target *= 1 - cut
        target = self._background_target
        self._background_target += (self._background_home - target) * dt / 7200.0
        noise = self.rng.gauss(0.0, 1.0) * target * 2e-5 * math.sqrt(dt)
        self.background_oi += (target - self.background_oi) * dt / 1800.0 + noise

    def _liquidations(self, prints: list[_Print]) -> None:
        mark = self.mark
        heap = self._long_liq
        while heap and -heap[0][0] >= mark:
            lot = heapq.heappop(heap)[2]
            if lot.alive:
                self._take_over(lot)
        heap = self._short_liq
        while heap and heap[0][0] <= mark:
            lot = heapq.heappop(heap)[2]
            if lot.alive:
                self._take_over(lot)
        self._work_engine(STEP_MS / 1000, prints)

    def _stops(self, prints: list[_Print]) -> None:
        # stops watch the last price; a triggered stop is a market order like any other
        price = self.price
        heap = self._long_stop
        while heap and -heap[0][0] >= price:
            lot = heapq.heappop(heap)[2]
            if lot.alive:
                self._close(lot, prints)
                self.counters.stops += 1
        heap = self._short_stop
        while heap and heap[0][0] <= price:
            lot = heapq.heappop(heap)[2]
            if lot.alive:
                self._close(lot, prints)
                self.counters.stops += 1

    def _update_funding(self, dt: float) -> None:
        total = self.long_usd + self.short_usd
        imbalance = (self.long_usd - self.short_usd) / total if total > 0 else 0.0
        per_8h = max(-0.003, min(0.003, 0.0001 + 0.002 * imbalance))
        target = per_8h * self.spec.funding_interval_h / 8
        self.funding_rate += (target - self.funding_rate) * (1 - math.exp(-dt / 60.0))

    def _timestamp(self, prints: list[_Print], start: int) -> list[SimEvent]:
        events: list[SimEvent] = []
        count = len(prints)
        for position, item in enumerate(prints):
            ts = start + 1 + (position * (STEP_MS - 2)) // max(1, count)
            price = self.round_price(item.price)
            if item.kind == "liq":
                liquidation = SimLiquidation(
                    self.spec.symbol,
                    ts,
                    item.taker,
                    self.round_price(item.bankruptcy),
                    price,
                    self.round_qty(item.qty),
                )
                events.append(liquidation)
                self._log_forced_close(liquidation)
                continue
            self._trade_id += 1
            qty = self.round_qty(item.qty)
            events.append(SimTrade(self.spec.symbol, ts, self._trade_id, price, qty, item.taker))
            self.bars.add_trade(ts, price, qty, item.taker == "BUY")
            self.counters.trades += 1
        return events

    def _log_forced_close(self, liq: SimLiquidation) -> None:
        side: Literal["long", "short"] = "long" if liq.order_side == "SELL" else "short"
        self.forced_closes.append(
            ForcedClose(liq.ts, liq.symbol, side, liq.avg_price, liq.qty * liq.avg_price)
        )

    def _mark_event(self) -> SimMark:
        return SimMark(
            self.spec.symbol,
            self.now_ms,
            self.mark,
            self.index,
            self.funding_rate,
            self.next_funding_ts(self.now_ms),
        )

    def _sample_open_interest(self) -> None:
        oi = self.open_interest
        self.oi_history.append((self.now_ms, oi, oi * self.mark))
        if len(self.oi_history) > 10_000:
            del self.oi_history[:1000]

    # -- the truth the ladder estimates ------------------------------------------------

    def open_positions(self) -> OpenPositions:
        """Every open position's liquidation price and notional (size × entry), per side.

        Positions the liquidation engine has taken over are no longer open and are left out.
        """
        longs = [(lot.liq_price, lot.qty * lot.entry) for lot in self.lots if lot.long]
        shorts = [(lot.liq_price, lot.qty * lot.entry) for lot in self.lots if not lot.long]
        return OpenPositions(
            self.spec.symbol,
            self.now_ms,
            self.mark,
            _column(longs, 0),
            _column(longs, 1),
            _column(shorts, 0),
            _column(shorts, 1),
        )

    def liquidation_map(self, edges: Sequence[float] | None = None) -> LiquidationMap:
        """The true map now: open notional by liquidation price on ``edges`` (default grid:
        ``default_map_edges``)."""
        return self.open_positions().on_grid(self.default_map_edges() if edges is None else edges)

    def default_map_edges(self) -> list[float]:
        """Bins of 0.1 % of the symbol's reference price (a tick multiple, fixed for the
        market's life like the ladder's grid), covering ±30 % of the mark."""
        tick = self.spec.tick
        width = max(tick, round(self.spec.price * 0.001 / tick) * tick)
        low = math.floor(self.mark * 0.7 / width)
        high = math.ceil(self.mark * 1.3 / width)
        return [k * width for k in range(low, high + 1)]

    # -- benchmark scenarios ---------------------------------------------------------

    def _draw_participants(self, seed: int) -> Participants | None:
        if self.scenario not in BENCHMARK_SCENARIOS:
            return None  # the other scenarios keep their fixed mixes (and random draws)
        rng = random.Random(f"{seed}:{self.spec.market_id}:{self.scenario}:participants")
        return draw_participants(rng, self.spec.max_leverage)

    def _planned_legs(self) -> tuple[Regime, ...]:
        if self.participants is None:
            return ()
        mix = self.participants.leverage_mix
        if self.scenario == "crowd_long":
            return (Regime("crowd_long", 8.0, 0.8, mix, 4e-6, 6.0),)
        if self.scenario == "crowd_short":
            return (Regime("crowd_short", 8.0, 0.2, mix, -4e-6, 6.0),)
        if self.scenario == "chop":
            return (
                Regime("chop_up", 6.0, 0.5, mix, 3e-5, 8.0),
                Regime("chop_down", 6.0, 0.5, mix, -3e-5, 8.0),
            )
        if self.scenario == "trend_crowd":
            return (Regime("trend_crowd", 8.0, 0.75, mix, 2e-5, 6.0),)
        return (Regime("after_crowd", 3.0, 0.5, mix, 0.0, 4.0),)  # crowd_before

    def _leg_end(self) -> int:
        # a single leg lasts for ever; alternating legs (chop) last 2–4 minutes each
        return 2**62 if len(self._legs) == 1 else self.now_ms + self._minutes(2, 4)

    def _next_leg(self) -> None:
        self._leg = (self._leg + 1) % len(self._legs)
        self.regime = self._legs[self._leg]
        self._regime_until = self._leg_end()

    def _seed_varied_population(self, history: PreHistory) -> None:
        """Positions open at start for the benchmark scenarios.

        Each entered at a price anywhere in the range of the minute it opened, and
        the minutes are as old as positions live (exponential ages, mean 40 minutes),
        so the entries are smeared along the path, not stacked on a few closes. In
        ``crowd_before`` a one-sided crowd is added that built up two to three hours
        ago, imprinted on the open-interest history and the klines so that a client's
        warm start can see it.
        """
        assert self.participants is not None
        mix = self.participants.leverage_mix
        base = Regime("base", 3.0, 0.5, mix, 0.0, 4.0)
        bars = history.bars
        mark = self.spec.price
        for _ in range(int(base.open_rate * _LOT_LIFETIME_S * 0.5)):
            age = min(len(bars) - 1, int(self.rng.expovariate(60.0 / _LOT_LIFETIME_S)))
            bar = bars[-1 - age]
            self._open_lot(self.rng.uniform(bar.low, bar.high), base, mark=mark, trade=False)
        if self.scenario == "crowd_before":
            self._seed_earlier_crowd(history, mix)

    def _seed_earlier_crowd(self, history: PreHistory, mix: tuple[tuple[int, float], ...]) -> None:
        long = self.rng.random() < 0.5
        crowd = Regime("earlier_crowd", 4.0, 0.85 if long else 0.15, mix, 0.0, 6.0)
        bars = history.bars
        ends_ago = self.rng.randint(120, 180)  # minutes before the start
        opened: list[tuple[int, float]] = []  # (open time, qty) of every crowd position
        mark = self.spec.price
        for bar in bars[-ends_ago - 25 : -ends_ago]:
            for _ in range(_poisson(self.rng, crowd.open_rate * 60)):
                before = self.counters.lots_opened
                entry = self.rng.uniform(bar.low, bar.high)
                self._open_lot(entry, crowd, mark=mark, trade=False)
                if self.counters.lots_opened == before:
                    continue
                lot = self.lots[-1]
                opened.append((bar.open_ms + self.rng.randrange(MINUTE_MS), lot.qty))
                # its opening market order is in the minute's volume and taker flow
                bar.volume += lot.qty
                bar.quote_volume += lot.qty * entry
                bar.count += 1
                if lot.long:
                    bar.taker_buy_volume += lot.qty
                    bar.taker_buy_quote += lot.qty * entry
        # Open interest ends where it is now, so before the crowd it was lower by what
        # the crowd opened after each sample.
        opened.sort()
        times = [at for at, _ in opened]
        # after[i]: what opened at or after the i-th crowd position, 0 past the last
        after = [*itertools.accumulate(qty for _, qty in reversed(opened))][::-1]
        after.append(0.0)
        adjusted: list[tuple[int, float, float]] = []
        for ts, amount, value in self.oi_history:
            later = after[bisect.bisect_right(times, ts)]
            price = value / amount if amount > 0 else mark
            adjusted.append((ts, amount - later, (amount - later) * price))
        self.oi_history = adjusted

    def _top_ups(self, participants: Participants, dt: float) -> None:
        rate = participants.top_up_share / _LOT_LIFETIME_S
        count = _poisson(self.rng, len(self.lots) * rate * dt)
        for _ in range(min(count, len(self.lots))):
            lot = self.lots[self.rng.randrange(len(self.lots))]
            self._top_up(lot, self.rng.uniform(0.2, participants.top_up_max))

    def _top_up(self, lot: _Lot, added: float) -> None:
        """The holder adds ``added`` × the initial margin: the same position at a lower
        effective leverage, its liquidation price further away.

        The position gets a new id and new heap entries; the old entries point to the
        old record, now dead, and are skipped like those of any closed lot.
        """
        leverage = max(1.5, lot.leverage / (1.0 + added))
        liq = liquidation_price(lot.entry, leverage, self.spec.mmr, lot.long)
        self._lot_id += 1
        topped = _Lot(self._lot_id, lot.long, lot.qty, lot.entry, leverage, liq, lot.stop)
        index = self._lot_index.pop(lot.lot_id)
        lot.alive = False
        self.lots[index] = topped
        self._lot_index[topped.lot_id] = index
        if topped.long:
            heapq.heappush(self._long_liq, (-liq, topped.lot_id, topped))
            if topped.stop is not None:
                heapq.heappush(self._long_stop, (-topped.stop, topped.lot_id, topped))
        else:
            heapq.heappush(self._short_liq, (liq, topped.lot_id, topped))
            if topped.stop is not None:
                heapq.heappush(self._short_stop, (topped.stop, topped.lot_id, topped))


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's Poisson draw; ``lam`` here is small (events per 100 ms)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


# --------------------------------------------------------------------------- the market


@dataclass(slots=True)
class MarketModel:
    """All simulated symbols, advanced together on one exchange clock."""

    symbols: Sequence[str]
    seed: int = 0
    scenario: str = "auto"
    start_ms: int = 1_767_225_600_000  # 2026-01-01T00:00Z, for reproducible tests
    # markets built elsewhere (e.g. a real price path, ``scalptui.feed.sim.path``),
    # served beside the simulated ones; each must start at ``start_ms``
    extra_markets: Sequence[SymbolMarket] = ()
    markets: dict[str, SymbolMarket] = field(init=False)
    now_ms: int = field(init=False)
    truth_every_ms: int | None = None
    """For benchmarks: every this many ms of exchange time (on multiples of it), append
    each symbol's ``open_positions()`` to ``truth``. None records nothing."""
    truth: list[OpenPositions] = field(init=False)

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r}; expected one of {SCENARIOS}")
        if not self.symbols and not self.extra_markets:
            raise ValueError("the simulated market needs at least one symbol")
        self.markets = {}
        for symbol in self.symbols:
            spec = spec_for(symbol)
            self.markets[spec.symbol] = SymbolMarket(
                spec, seed=self.seed, scenario=self.scenario, start_ms=self.start_ms
            )
        self.now_ms = self.start_ms - self.start_ms % STEP_MS
        self.truth = []
        for market in self.extra_markets:
            if market.now_ms != self.now_ms:
                raise ValueError(
                    f"{market.spec.symbol} starts at {market.now_ms}, not {self.now_ms}"
                )
            self.markets[market.spec.symbol] = market

    def market(self, symbol: str) -> SymbolMarket:
        """By unified symbol (``BTC/USDT:USDT``) or exchange id (``BTCUSDT``)."""
        found = self.markets.get(symbol)
        if found is None:
            for candidate in self.markets.values():
                if candidate.spec.market_id == symbol.upper():
                    return candidate
            raise KeyError(symbol)
        return found

    def add_market(self, symbol: str) -> SymbolMarket:
        """Start simulating one more catalogue symbol from now (UnknownSymbol otherwise).

        Its pre-history ends at the current exchange time; the markets already
        simulated are untouched (each has its own random stream).
        """
        spec = spec_for(symbol)
        market = self.markets.get(spec.symbol)
        if market is None:
            market = SymbolMarket(
                spec, seed=self.seed, scenario=self.scenario, start_ms=self.now_ms
            )
            self.markets[spec.symbol] = market
        return market

    def advance(self, to_ms: int) -> list[SimEvent]:
        """Step every symbol up to ``to_ms``; events ordered by time within each symbol."""
        events: list[SimEvent] = []
        while self.now_ms + STEP_MS <= to_ms:
            self.now_ms += STEP_MS
            for market in self.markets.values():
                events.extend(market.step())
            if self.truth_every_ms and self.now_ms % self.truth_every_ms == 0:
                self._record_truth()
        return events

    def trigger(self, symbol: str, side: str) -> None:
        """``long``: shock down into crowded longs; ``short``: shock up into shorts."""
        if side not in ("long", "short"):
            raise ValueError(f"trigger side must be 'long' or 'short', not {side!r}")
        self.market(symbol).trigger(long=side == "long")

    def liquidation_map(self, symbol: str, edges: Sequence[float] | None = None) -> LiquidationMap:
        """The true map of ``symbol`` now (see ``SymbolMarket.liquidation_map``)."""
        return self.market(symbol).liquidation_map(edges)

    def _record_truth(self) -> None:
        self.truth.extend(market.open_positions() for market in self.markets.values())
        if len(self.truth) > 10_000:  # a benchmark reads it as it goes; never grow for ever
            del self.truth[:1000]

    def schedule(self, symbol: str, plan: ScheduledShock | ScheduledWhale | ScheduledDrift) -> None:
        """Plan a shock / whale / drift on one symbol at a given exchange time."""
        self.market(symbol).schedule(plan)

    def forced_closes(self, symbol: str | None = None) -> list[ForcedClose]:
        """Every forced close so far (all symbols, or one), in time order — what the
        engine executed, not what the throttled ``@forceOrder`` stream showed."""
        chosen = self.markets.values() if symbol is None else [self.market(symbol)]
        closes = [close for market in chosen for close in market.forced_closes]
        closes.sort(key=lambda close: close.ts)
        return closes


# --------------------------------------------------------------------------- throttle


class ForceOrderThrottle:
    """Binance's ``@forceOrder`` sampling: per symbol, the latest liquidation of each
    1000 ms window of exchange time, pushed when the window closes.

    The real stream is therefore a lower bound of what was liquidated.
    """

    def __init__(self) -> None:
        self._pending: dict[str, SimLiquidation] = {}
        self.generated = 0
        self.pushed = 0

    def offer(self, liquidation: SimLiquidation) -> SimLiquidation | None:
        """Take one liquidation; return the previous window's print if this one closes it."""
        self.generated += 1
        previous = self._pending.get(liquidation.symbol)
        self._pending[liquidation.symbol] = liquidation
        if previous is not None and previous.ts // 1000 != liquidation.ts // 1000:
            self.pushed += 1
            return previous
        return None

    def flush(self, now_ms: int) -> list[SimLiquidation]:
        """Prints whose window has ended by ``now_ms``."""
        due = [liq for liq in self._pending.values() if (liq.ts // 1000 + 1) * 1000 <= now_ms]
        for liq in due:
            del self._pending[liq.symbol]
        self.pushed += len(due)
        return due


# --------------------------------------------------------------------------- benchmark truth

_LEVERAGE_MENU = (2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 17, 20, 25, 30, 33, 40, 50, 66, 75, 100, 125)


@dataclass(frozen=True, slots=True)
class Participants:
    """Who trades in the benchmark scenarios, drawn once per (seed, symbol).

    Deliberately unlike the ladder estimator's defaults (five round leverages with
    fixed shares, one entry price per interval): six to ten leverages picked from a
    menu that has 7×, 12×, 17×, 33×, 66× beside the round ones, with random
    weights; entries along the whole price path; and a share of positions whose
    holders add margin, which moves their liquidation price away.
    """

    leverage_mix: tuple[tuple[int, float], ...]
    top_up_share: float
    """Expected margin top-ups per position over a position's mean life."""
    top_up_max: float
    """A top-up adds margin uniform in [0.2, top_up_max] × the position's margin."""


def draw_participants(rng: random.Random, max_leverage: int) -> Participants:
    """A leverage mix and top-up habit from ``rng`` (at least two leverages of 25× or more,
    so that the ±3 % a ladder view shows holds some of the money)."""
    menu = [leverage for leverage in _LEVERAGE_MENU if leverage <= max_leverage]
    while True:
        picks = sorted(rng.sample(menu, min(len(menu), rng.randint(6, 10))))
        if sum(1 for leverage in picks if leverage >= 25) >= 2:
            break
    weights = [rng.gammavariate(1.0, 1.0) for _ in picks]
    total = sum(weights)
    mix = tuple((leverage, weight / total) for leverage, weight in zip(picks, weights, strict=True))
    return Participants(mix, rng.uniform(0.1, 0.4), rng.uniform(0.5, 1.5))


FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LiquidationMap:
    """Open notional (USD) by liquidation price on a grid, per side: what a ladder estimates.

    Notional is each position's size × its entry price — what an estimator gets from
    open interest × price. Bin ``i`` covers ``[edges[i], edges[i + 1])``; notional
    whose liquidation price is off the grid is in ``*_outside_usd``.
    """

    symbol: str
    ts: int
    mark: float
    edges: tuple[float, ...]
    long_usd: tuple[float, ...]
    short_usd: tuple[float, ...]
    long_outside_usd: float
    short_outside_usd: float

    @property
    def long_total_usd(self) -> float:
        return math.fsum(self.long_usd) + self.long_outside_usd

    @property
    def short_total_usd(self) -> float:
        return math.fsum(self.short_usd) + self.short_outside_usd

    def to_record(self) -> dict[str, Any]:
        """The ``/sim/v1/liquidationMap`` answer (numbers, not Binance's strings)."""
        return {
            "symbol": self.symbol,
            "time": self.ts,
            "markPrice": self.mark,
            "longOpenUsd": self.long_total_usd,
            "shortOpenUsd": self.short_total_usd,
            "longOutsideUsd": self.long_outside_usd,
            "shortOutsideUsd": self.short_outside_usd,
            "bins": [
                {"low": low, "high": high, "longUsd": long_usd, "shortUsd": short_usd}
                for low, high, long_usd, short_usd in zip(
                    self.edges[:-1], self.edges[1:], self.long_usd, self.short_usd, strict=True
                )
            ],
        }


@dataclass(frozen=True, slots=True, eq=False)
class OpenPositions:
    """Liquidation price and notional of every open position of one symbol at ``ts``."""

    symbol: str
    ts: int
    mark: float
    long_liq: FloatArray
    long_usd: FloatArray
    short_liq: FloatArray
    short_usd: FloatArray

    def on_grid(self, edges: Sequence[float]) -> LiquidationMap:
        """Bin the positions on ``edges`` (at least two, finite, strictly increasing)."""
        grid = np.asarray(edges, dtype=np.float64)
        if grid.ndim != 1 or len(grid) < 2 or not np.all(np.isfinite(grid)):
            raise ValueError("a liquidation map needs at least two finite bin edges")
        if not np.all(np.diff(grid) > 0):
            raise ValueError("bin edges must be strictly increasing")
        long_bins, long_out = _histogram(self.long_liq, self.long_usd, grid)
        short_bins, short_out = _histogram(self.short_liq, self.short_usd, grid)
        return LiquidationMap(
            self.symbol,
            self.ts,
            self.mark,
            tuple(float(e) for e in grid),
            long_bins,
            short_bins,
            long_out,
            short_out,
        )


def _column(rows: list[tuple[float, float]], index: int) -> FloatArray:
    return np.array([row[index] for row in rows], dtype=np.float64)


def _histogram(
    prices: FloatArray, usd: FloatArray, edges: FloatArray
) -> tuple[tuple[float, ...], float]:
    """Sum ``usd`` into ``[edges[i], edges[i + 1])`` by price; also what falls outside."""
    count = len(edges) - 1
    index = np.searchsorted(edges, prices, side="right") - 1
    inside = (index >= 0) & (index < count)
    sums = np.bincount(index[inside], weights=usd[inside], minlength=count)
    return tuple(float(x) for x in sums), float(usd[~inside].sum())
