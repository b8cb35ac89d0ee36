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

import heapq
import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from scalptui.feed.sim.events import (
    Counters,
    SimEvent,
    SimLiquidation,
    SimMark,
    SimTrade,
    TakerSide,
)
from scalptui.feed.sim.history import BarBook, prehistory
from scalptui.feed.sim.participants import (
    BENCHMARK_SCENARIOS,
    Participants,
    benchmark_legs,
    participants_for,
    seed_varied_population,
    top_ups,
)
from scalptui.feed.sim.plans import (
    ForcedClose,
    Plan,
    Schedule,
    ScheduledWhale,
)
from scalptui.feed.sim.positions import Lot, bankruptcy_price, liquidation_price
from scalptui.feed.sim.regimes import (
    LOT_LIFETIME_S,
    Regime,
    first_regime,
    history_trend,
    poisson,
    seed_population,
    update_regime,
)
from scalptui.feed.sim.specs import SymbolSpec, catalogue_specs, spec_for, unified
from scalptui.feed.sim.truth import LiquidationMap, OpenPositions, default_map_edges

FORCED_CLOSES_KEPT = 20_000
"""Forced closes kept per market (a benchmark case makes a few thousand)."""

STEP_MS = 100
# "steady": the ordinary mix of leverage (up to 100×) with no crowding and no shock, so
# ordinary chop liquidates a few over-levered positions now and then
SCENARIOS = ("auto", "calm", "cascade", "squeeze", "steady", *BENCHMARK_SCENARIOS)


# Book refill: the transient part of an impact decays with this time constant.
_TRANSIENT_TAU_S = 25.0
# Share of an impact that stays in the price (information); the rest snaps back.
_PERMANENT_SHARE = 0.3
# Mark price follows the last price with this EMA time constant.
_MARK_TAU_S = 0.4
_STOP_SHARE = 0.35
# The liquidation engine takes positions over at once but works them into the
# book at a bounded pace (a share of the depth per second): that is what stretches
# a chain over tens of seconds instead of one burst.
_ENGINE_RATE_OF_DEPTH = 0.002


# --------------------------------------------------------------------------- records


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
        self.lots: list[Lot] = []
        self._lot_index: dict[int, int] = {}
        self._long_liq: list[tuple[float, int, Lot]] = []  # (-LP, id, lot): highest LP first
        self._short_liq: list[tuple[float, int, Lot]] = []  # (LP, id, lot): lowest LP first
        self._long_stop: list[tuple[float, int, Lot]] = []
        self._short_stop: list[tuple[float, int, Lot]] = []
        self.lot_qty = 0.0
        self.long_usd = 0.0
        self.short_usd = 0.0
        self.funding_rate = 0.0001
        self._shock: _Shock | None = None
        self._engine: deque[Lot] = deque()
        self._engine_qty = 0.0
        self._engine_budget = 0.0
        self.participants: Participants | None = participants_for(self, seed)
        self.legs = benchmark_legs(scenario, self.participants)
        self.leg = 0
        self.forced_closes: list[ForcedClose] = []
        self._schedule = Schedule()
        self.regime: Regime
        self.regime_until: int
        self.shock_at: int | None
        self.regime, self.regime_until, self.shock_at = first_regime(self)
        self.bars = BarBook(spec.tick)
        history = prehistory(spec, self.rng, end_ms=self.now_ms, trend=history_trend(scenario))
        self.bars.load(history.bars)
        self.oi_history: list[tuple[int, float, float]] = list(history.open_interest)
        if self.participants is None:
            seed_population(self, history.closes)
        else:
            seed_varied_population(self, history)
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

    # -- shocks and plans -----------------------------------------------------------

    def trigger(self, *, long: bool, strength: tuple[float, float] = (0.012, 0.016)) -> None:
        """A shock into the crowded side: a sell-off into longs or a buy-up into shorts.

        The shock alone moves the price by ``strength`` (1.2–1.6 %, as a share of the
        book's depth); whatever follows is the leverage's doing.
        """
        size = self.spec.depth_usd * self.rng.uniform(*strength)
        seconds = self.rng.uniform(3.0, 6.0)
        self._shock = _Shock(sell=long, remaining_usd=size, rate_usd_per_s=size / seconds)
        self.counters.shocks += 1

    def schedule(self, plan: Plan) -> None:
        """Plan a shock, a whale's forced close or a drift at a given exchange time.

        Planned in event time, a run stays a function of its seed and its plan at
        any ``time_scale`` (a ``trigger()`` from outside lands wherever the wall
        clock happens to be).
        """
        self._schedule.add(plan)

    def _run_schedule(self) -> None:
        for shock in self._schedule.due_shocks(self.now_ms):
            self.trigger(long=shock.side == "long", strength=(shock.strength, shock.strength))
        for whale in self._schedule.due_whales(self.now_ms):
            self._whale(whale)

    def _whale(self, whale: ScheduledWhale) -> None:
        """Hand one huge lot straight to the liquidation engine (no crowd behind it)."""
        long = whale.side == "long"
        price = self.price
        self._lot_id += 1
        lot = Lot(
            self._lot_id, long, self.round_qty(whale.notional / price), price, 100, price, None
        )
        self._engine_qty += lot.qty
        # the engine takes a whale first: it is the position the venue is most exposed to
        self._engine.appendleft(lot)

    # -- population ------------------------------------------------------------------

    def _draw_leverage(self, regime: Regime) -> int:
        pick = self.rng.random()
        for leverage, weight in regime.leverage_mix:
            pick -= weight
            if pick <= 0:
                return min(leverage, self.spec.max_leverage)
        return min(regime.leverage_mix[-1][0], self.spec.max_leverage)

    def open_lot(self, entry: float, regime: Regime, *, mark: float, trade: bool) -> _Print | None:
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
        lot = Lot(self._lot_id, long, qty, entry, leverage, liq, stop)
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

    def _remove_lot(self, lot: Lot) -> None:
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

    def _take_over(self, lot: Lot) -> None:
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

    def _liquidate(self, lot: Lot, prints: list[_Print]) -> None:
        bankrupt = bankruptcy_price(lot.entry, lot.leverage, lot.long)
        order = self._market_order(buy=not lot.long, qty=lot.qty, kind="liq", bankruptcy=bankrupt)
        prints.append(order)
        self._split_into_trades(order, prints)
        self.counters.liquidations += 1
        self.counters.liquidated_usd += lot.qty * order.price

    def _close(self, lot: Lot, prints: list[_Print]) -> None:
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
        update_regime(self)
        self._run_schedule()
        regime = self.regime
        drift = regime.drift_per_s + self._schedule.drift_per_s(self.now_ms)
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
            top_ups(self, self.participants, dt)
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
            heap: list[tuple[float, int, Lot]] = getattr(self, name)
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
        for _ in range(poisson(rng, regime.noise_rate * dt)):
            notional = self.spec.lot_usd * 0.3 * math.exp(rng.gauss(0.0, 1.2))
            side: TakerSide = "BUY" if rng.random() < 0.5 else "SELL"
            spread = self.spec.tick * (0.5 if side == "BUY" else -0.5)
            price = self.price + spread
            prints.append(_Print("trade", price, self.round_qty(notional / price), side))

    def _flow(self, regime: Regime, dt: float, prints: list[_Print]) -> None:
        rng = self.rng
        mark = self.mark
        for _ in range(poisson(rng, regime.open_rate * dt)):
            order = self.open_lot(self.price, regime, mark=mark, trade=True)
            if order is not None:
                self._split_into_trades(order, prints)
        closes = poisson(rng, len(self.lots) * dt / LOT_LIFETIME_S)
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
        closes = self.forced_closes
        closes.append(ForcedClose(liq.ts, liq.symbol, side, liq.avg_price, liq.qty * liq.avg_price))
        if len(closes) > FORCED_CLOSES_KEPT:  # a demo left running for days grew by them
            del closes[: FORCED_CLOSES_KEPT // 10]

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
        return OpenPositions.from_rows(self.spec.symbol, self.now_ms, self.mark, longs, shorts)

    def liquidation_map(self, edges: Sequence[float] | None = None) -> LiquidationMap:
        """The true map now: open notional by liquidation price on ``edges`` (default grid:
        ``default_map_edges``)."""
        return self.open_positions().on_grid(self.default_map_edges() if edges is None else edges)

    def default_map_edges(self) -> list[float]:
        """The default grid of ``liquidation_map`` (``truth.default_map_edges``)."""
        return default_map_edges(self.spec.tick, self.spec.price, self.mark)


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
    delisted: set[str] = field(init=False)
    """Unified symbols the venues' WebSockets no longer serve (``SimExchange.delist``)."""

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
        self.delisted = set()
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

    def listed_specs(self) -> list[SymbolSpec]:
        """What every venue lists: the whole catalogue (simulated once asked for) and
        anything simulated besides."""
        specs = {spec.market_id: spec for spec in catalogue_specs()}
        for market in self.markets.values():
            specs.setdefault(market.spec.market_id, market.spec)
        return list(specs.values())

    def market_asked(self, market_id: str) -> SymbolMarket | None:
        """The market of an exchange id (``XRPUSDT``) a client asks for: simulated, or a
        catalogue market simulated from now, as a listed market is served; None if the
        catalogue does not list it."""
        try:
            return self.market(market_id)
        except KeyError:
            listed = unified(market_id)
            return self.add_market(listed) if listed is not None else None

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

    def schedule(self, symbol: str, plan: Plan) -> None:
        """Plan a shock / whale / drift on one symbol at a given exchange time."""
        self.market(symbol).schedule(plan)

    def forced_closes(self, symbol: str | None = None) -> list[ForcedClose]:
        """The forced closes so far (all symbols, or one; the latest ``FORCED_CLOSES_KEPT``
        of each, hours of a cascade scenario), in time order — what the engine executed,
        not what the throttled ``@forceOrder`` stream showed."""
        chosen = self.markets.values() if symbol is None else [self.market(symbol)]
        closes = [close for market in chosen for close in market.forced_closes]
        closes.sort(key=lambda close: close.ts)
        return closes
