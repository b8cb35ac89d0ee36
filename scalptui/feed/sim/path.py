"""A market that follows a real price path: recorded 1-minute klines, served live.

``PathMarket`` has the event interface of ``SymbolMarket`` (``step()`` every
100 ms of exchange time → trades, forced closes, mark prices), so ``SimExchange``
serves it beside or instead of the mechanistic markets. What it does differently:

* the price is given, not made: each minute of the recording is interpolated
  from its open / high / low / close (the order of the extremes and the times
  they are reached drawn from the seed, with a little Brownian wiggle that never
  leaves the bar's range), so forced flow does not move it — the path already
  holds whatever moved it;
* trades are drawn from the minute's real quote volume and taker-buy share (fewer
  and larger prints than the real ones, with the same USD flow);
* a modelled population of leveraged positions is opened along the path in
  proportion to the real volume — leverage mix, entry spread, position sizes,
  leveraged share of volume and maintenance margin drawn per seed
  (``Population.draw``) — and each is force-closed when the mark crosses its
  liquidation price. Positions opened over the hours before the window are
  walked through the recorded bars first (those the bars' highs and lows already
  took out are gone), so the window starts with a realistic book of leverage.

Every forced close lands in ``forced_closes`` (the truth behind the sampled
``@forceOrder`` stream). Deterministic: a function of the bars and the seed.
"""

from __future__ import annotations

import csv
import gzip
import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from scalptui.feed.sim.events import (
    Counters,
    SimEvent,
    SimLiquidation,
    SimMark,
    SimTrade,
    TakerSide,
)
from scalptui.feed.sim.history import OI_PERIOD_MS, BarBook, MinuteBar
from scalptui.feed.sim.market import STEP_MS, SymbolMarket
from scalptui.feed.sim.plans import ForcedClose, ScheduledDrift, ScheduledShock, ScheduledWhale
from scalptui.feed.sim.positions import Lot, bankruptcy_price, liquidation_price
from scalptui.feed.sim.regimes import poisson
from scalptui.feed.sim.specs import SymbolSpec

MINUTE_MS = 60_000
_STEPS_PER_MINUTE = MINUTE_MS // STEP_MS
_MARK_TAU_S = 0.4
# At most this many trade prints a second: the real count (often 10–30 a second)
# would only cost CPU; the USD flow per minute is kept.
_MAX_TRADES_PER_S = 6.0
_LEVERAGES = (3, 5, 8, 10, 12, 15, 20, 25, 33, 40, 50, 75)


# --------------------------------------------------------------------------- real bars


def read_klines(path: Path) -> list[MinuteBar]:
    """Binance USDⓈ-M monthly 1-minute klines (``.csv`` or ``.csv.gz``, with header)."""
    opener = gzip.open if path.suffix == ".gz" else open
    bars: list[MinuteBar] = []
    with opener(path, "rt", newline="") as handle:
        for row in csv.reader(handle):
            if not row or not row[0].isdigit():
                continue
            bars.append(
                MinuteBar(
                    open_ms=int(row[0]),
                    open=float(row[1]),
                    high=float(row[2]),
                    low=float(row[3]),
                    close=float(row[4]),
                    volume=float(row[5]),
                    quote_volume=float(row[7]),
                    count=int(row[8]),
                    taker_buy_volume=float(row[9]),
                    taker_buy_quote=float(row[10]),
                )
            )
    return bars


def path_spec(base: str, price: float) -> SymbolSpec:
    """A Binance-like alt perpetual for ``base`` near ``price`` (tick ≈ 1e-4 of price)."""
    tick = 10.0 ** math.floor(math.log10(price * 1e-4))
    qty_step = 10.0 ** max(-3, min(0, math.floor(math.log10(10 / price)) - 1))
    price_decimals = max(0, round(-math.log10(tick)))
    qty_decimals = max(0, round(-math.log10(qty_step))) if qty_step < 1 else 0
    return SymbolSpec(
        symbol=f"{base}/USDT:USDT",
        market_id=f"{base}USDT",
        base=base,
        quote="USDT",
        price=price,
        tick=tick,
        qty_step=qty_step,
        open_interest=0.0,
        lot_usd=3_000.0,
        depth_usd=1.5e8,
        vol_per_s=2e-4,
        max_leverage=75,
        mmr=0.01,
        funding_interval_h=4,
        price_decimals=price_decimals,
        qty_decimals=qty_decimals,
    )


# --------------------------------------------------------------------------- population


@dataclass(frozen=True, slots=True)
class Population:
    """How the modelled leveraged traders behave; drawn per seed so that no single
    mix (in particular not the ladder's default one) is the truth."""

    leverage_mix: tuple[tuple[int, float], ...]
    entry_spread: float  # σ of log(entry / path price)
    leveraged_share: float  # of the real quote volume that opens leveraged positions
    median_usd: float  # median position notional
    size_sigma: float  # σ of log(notional)
    lifetime_s: float  # mean time a position stays open
    mmr: float
    long_tilt: float  # added to the minute's taker-buy share to get the long share

    @classmethod
    def draw(cls, rng: random.Random) -> Population:
        chosen = rng.sample(_LEVERAGES, rng.randint(4, 7))
        # most leveraged notional sits at modest leverage; the tail is drawn, not fixed
        weights = [rng.gammavariate(1.0, 1.0) * (10 / lev) ** 0.8 for lev in chosen]
        total = sum(weights)
        mix = tuple(sorted((lev, w / total) for lev, w in zip(chosen, weights, strict=True)))
        return cls(
            leverage_mix=mix,
            entry_spread=rng.uniform(0.0005, 0.004),
            leveraged_share=rng.uniform(0.15, 0.35),
            median_usd=rng.uniform(800.0, 6_000.0),
            size_sigma=rng.uniform(0.8, 1.4),
            lifetime_s=rng.uniform(8.0, 30.0) * 3600.0,
            mmr=rng.uniform(0.005, 0.0125),
            long_tilt=rng.uniform(-0.08, 0.12),
        )

    def leverage(self, rng: random.Random) -> int:
        pick = rng.random()
        for leverage, weight in self.leverage_mix:
            pick -= weight
            if pick <= 0:
                return leverage
        return self.leverage_mix[-1][0]


# --------------------------------------------------------------------------- the market


class PathMarket(SymbolMarket):
    """One symbol on a recorded price path. See the module docstring.

    ``history`` are the bars before the window (served as klines and walked to
    build the starting population), ``window`` the bars to replay; exchange time
    starts at the window's first bar.
    """

    def __init__(
        self,
        spec: SymbolSpec,
        *,
        history: Sequence[MinuteBar],
        window: Sequence[MinuteBar],
        seed: int,
        burn_in_minutes: int = 1440,
    ) -> None:
        # SymbolMarket.__init__ is not called: it would invent a history and a crowd;
        # here both come from the recording. The attributes the exchange reads are set.
        if not window:
            raise ValueError("a price path needs at least one minute")
        self.spec = spec
        self.rng = random.Random(f"path:{seed}:{spec.market_id}")
        self.population = Population.draw(self.rng)
        self.scenario = "path"
        self.window = list(window)
        self.now_ms = self.window[0].open_ms
        self.end_ms = self.window[-1].open_ms + MINUTE_MS
        self.counters = Counters()
        self.forced_closes: list[ForcedClose] = []
        self._trade_id = self.rng.randrange(1_000_000_000, 5_000_000_000)
        self._lot_id = 0
        self.log_fair = math.log(self.window[0].open)
        self.transient = 0.0
        self.mark_log = self.log_fair
        self.lots: list[Lot] = []
        self._lot_index: dict[int, int] = {}
        self._long_liq: list[tuple[float, int, Lot]] = []
        self._short_liq: list[tuple[float, int, Lot]] = []
        self.lot_qty = 0.0
        self.long_usd = 0.0
        self.short_usd = 0.0
        self._engine_qty = 0.0
        self.funding_rate = 0.0001
        self.bars = BarBook(spec.tick)
        self.bars.load([_copy_bar(bar) for bar in history])
        self._minute_path: list[float] = []
        self._minute_bar: MinuteBar | None = None
        self._burn_in(history[-burn_in_minutes:])
        day_usd = sum(bar.quote_volume for bar in history[-1440:])
        self.background_oi = 0.4 * day_usd / self.window[0].open
        self.oi_history = self._flat_oi_history(history)

    def trigger(self, *, long: bool, strength: tuple[float, float] = (0.012, 0.016)) -> None:
        raise ValueError(f"{self.spec.symbol} follows a recorded price path: it takes no shock")

    def schedule(self, plan: ScheduledShock | ScheduledWhale | ScheduledDrift) -> None:
        raise ValueError(f"{self.spec.symbol} follows a recorded price path: it takes no plan")

    # -- setup -----------------------------------------------------------------------

    def _burn_in(self, bars: Sequence[MinuteBar]) -> None:
        """Open positions along the bars before the window, a minute at a time; drop
        those the minute's range liquidated and those that closed in their own time."""
        for bar in bars:
            for _ in range(self._lots_in_minute(bar)):
                entry = self.rng.uniform(bar.low, bar.high)
                self._open(entry, bar, mark=bar.close)
            self._drop_crossed(bar.low, bar.high)
            self._close_some(60.0)

    def _drop_crossed(self, low: float, high: float) -> None:
        while self._long_liq and -self._long_liq[0][0] >= low:
            lot = heapq.heappop(self._long_liq)[2]
            if lot.alive:
                self._remove_lot(lot)
        while self._short_liq and self._short_liq[0][0] <= high:
            lot = heapq.heappop(self._short_liq)[2]
            if lot.alive:
                self._remove_lot(lot)

    def _flat_oi_history(self, history: Sequence[MinuteBar]) -> list[tuple[int, float, float]]:
        oi = self.open_interest
        rows = []
        for bar in history:
            if bar.open_ms % OI_PERIOD_MS == 0:
                wiggle = 1 + 0.002 * math.sin(bar.open_ms / 3.7e6)
                rows.append((bar.open_ms, oi * wiggle, oi * wiggle * bar.close))
        return rows

    # -- positions -------------------------------------------------------------------

    def _lots_in_minute(self, bar: MinuteBar) -> int:
        pop = self.population
        mean_usd = pop.median_usd * math.exp(pop.size_sigma**2 / 2)
        expected = bar.quote_volume * pop.leveraged_share / mean_usd
        return poisson(self.rng, expected)

    def _open(self, price: float, bar: MinuteBar, *, mark: float) -> None:
        rng, pop = self.rng, self.population
        buy_share = bar.taker_buy_quote / bar.quote_volume if bar.quote_volume > 0 else 0.5
        long = rng.random() < min(0.9, max(0.1, buy_share + pop.long_tilt))
        entry = price * math.exp(rng.gauss(0.0, pop.entry_spread))
        leverage = pop.leverage(rng)
        liq = liquidation_price(entry, leverage, pop.mmr, long)
        if (long and liq >= mark) or (not long and liq <= mark):
            return
        notional = pop.median_usd * math.exp(rng.gauss(0.0, pop.size_sigma))
        self._lot_id += 1
        lot = Lot(self._lot_id, long, self.round_qty(notional / entry), entry, leverage, liq, None)
        self._lot_index[lot.lot_id] = len(self.lots)
        self.lots.append(lot)
        if long:
            heapq.heappush(self._long_liq, (-liq, lot.lot_id, lot))
            self.long_usd += lot.qty * entry
        else:
            heapq.heappush(self._short_liq, (liq, lot.lot_id, lot))
            self.short_usd += lot.qty * entry
        self.lot_qty += lot.qty
        self.counters.lots_opened += 1

    def _close_some(self, seconds: float) -> None:
        closes = poisson(self.rng, len(self.lots) * seconds / self.population.lifetime_s)
        for _ in range(min(closes, len(self.lots))):
            self._remove_lot(self.lots[self.rng.randrange(len(self.lots))])
            self.counters.lots_closed += 1

    # -- the path --------------------------------------------------------------------

    def _bar_at(self, ts: int) -> MinuteBar:
        index = (ts - self.window[0].open_ms) // MINUTE_MS
        return self.window[max(0, min(index, len(self.window) - 1))]

    def _interpolate(self, bar: MinuteBar) -> list[float]:
        """``_STEPS_PER_MINUTE`` prices from open to close through high and low."""
        rng = self.rng
        low_first = rng.random() < (0.7 if bar.close >= bar.open else 0.3)
        first, second = (bar.low, bar.high) if low_first else (bar.high, bar.low)
        t1 = rng.uniform(0.05, 0.6)
        t2 = rng.uniform(t1 + 0.05, 0.95)
        knots = ((0.0, bar.open), (t1, first), (t2, second), (1.0, bar.close))
        wiggle = 0.08 * (bar.high - bar.low)
        walk = 0.0
        points: list[float] = []
        for step in range(1, _STEPS_PER_MINUTE + 1):
            x = step / _STEPS_PER_MINUTE
            base = bar.close
            for (xa, pa), (xb, pb) in pairwise(knots):
                if x <= xb:
                    base = pa + (pb - pa) * (x - xa) / (xb - xa)
                    break
            walk += rng.gauss(0.0, wiggle / math.sqrt(_STEPS_PER_MINUTE))
            walk *= 0.97  # pulled back, so the bar's extremes stay where they were drawn
            points.append(min(bar.high, max(bar.low, base + walk)))
        return points

    def step(self) -> list[SimEvent]:
        """Advance 100 ms along the path; return the step's events in time order."""
        start = self.now_ms
        self.now_ms += STEP_MS
        bar = self._bar_at(start)
        if bar is not self._minute_bar:
            self._minute_bar = bar
            self._minute_path = self._interpolate(bar)
        index = min((start - bar.open_ms) // STEP_MS, _STEPS_PER_MINUTE - 1)
        price = self._minute_path[max(0, index)]
        self.log_fair = math.log(price)
        dt = STEP_MS / 1000
        self.mark_log += (self.log_fair - self.mark_log) * (1 - math.exp(-dt / _MARK_TAU_S))
        self.bars.touch(start + 1, self.round_price(price))
        events: list[SimEvent] = []
        self._open_and_close(bar, price, dt)
        self._liquidations_at(self.mark, start, events)
        self._trades(bar, price, start, events)
        events.sort(key=lambda event: event.ts)
        if self.now_ms % 1000 == 0:
            events.append(
                SimMark(
                    self.spec.symbol,
                    self.now_ms,
                    self.mark,
                    price,
                    self.funding_rate,
                    self.next_funding_ts(self.now_ms),
                )
            )
        if self.now_ms % OI_PERIOD_MS == 0:
            self._sample_open_interest()
        return events

    def _open_and_close(self, bar: MinuteBar, price: float, dt: float) -> None:
        pop = self.population
        mean_usd = pop.median_usd * math.exp(pop.size_sigma**2 / 2)
        per_step = bar.quote_volume * pop.leveraged_share / mean_usd / _STEPS_PER_MINUTE
        mark = self.mark
        for _ in range(poisson(self.rng, per_step)):
            self._open(price, bar, mark=mark)
        self._close_some(dt)

    def _liquidations_at(self, mark: float, start: int, events: list[SimEvent]) -> None:
        crossed: list[Lot] = []
        while self._long_liq and -self._long_liq[0][0] >= mark:
            lot = heapq.heappop(self._long_liq)[2]
            if lot.alive:
                crossed.append(lot)
        while self._short_liq and self._short_liq[0][0] <= mark:
            lot = heapq.heappop(self._short_liq)[2]
            if lot.alive:
                crossed.append(lot)
        for position, lot in enumerate(crossed):
            self._remove_lot(lot)
            ts = start + 1 + position * (STEP_MS - 2) // max(1, len(crossed))
            fill = self.round_price(mark * (1 - 2e-4 if lot.long else 1 + 2e-4))
            side: TakerSide = "SELL" if lot.long else "BUY"
            bankrupt = self.round_price(bankruptcy_price(lot.entry, lot.leverage, lot.long))
            liq = SimLiquidation(self.spec.symbol, ts, side, bankrupt, fill, lot.qty)
            events.append(liq)
            self._log_forced_close(liq)
            # the engine's market order prints on the tape like any other
            events.append(self._trade(ts, fill, lot.qty, side))
            self.counters.liquidations += 1
            self.counters.liquidated_usd += lot.qty * fill

    def _trades(self, bar: MinuteBar, price: float, start: int, events: list[SimEvent]) -> None:
        rate = min(bar.count / 60.0, _MAX_TRADES_PER_S)
        if rate <= 0 or bar.quote_volume <= 0:
            return
        usd_per_trade = bar.quote_volume / (rate * 60.0)
        buy_share = bar.taker_buy_quote / bar.quote_volume
        count = poisson(self.rng, rate * STEP_MS / 1000)
        for position in range(count):
            side: TakerSide = "BUY" if self.rng.random() < buy_share else "SELL"
            half_tick = self.spec.tick * (0.5 if side == "BUY" else -0.5)
            fill = self.round_price(price + half_tick)
            qty = self.round_qty(usd_per_trade * math.exp(self.rng.gauss(-0.3, 0.8)) / fill)
            ts = start + 1 + position * (STEP_MS - 2) // count
            events.append(self._trade(ts, fill, qty, side))

    def _trade(self, ts: int, price: float, qty: float, side: TakerSide) -> SimTrade:
        self._trade_id += 1
        qty = self.round_qty(qty)
        self.bars.add_trade(ts, price, qty, side == "BUY")
        self.counters.trades += 1
        return SimTrade(self.spec.symbol, ts, self._trade_id, price, qty, side)


def _copy_bar(bar: MinuteBar) -> MinuteBar:
    return MinuteBar(
        bar.open_ms,
        bar.open,
        bar.high,
        bar.low,
        bar.close,
        bar.volume,
        bar.quote_volume,
        bar.count,
        bar.taker_buy_volume,
        bar.taker_buy_quote,
    )


def path_market(klines: Path, *, base: str, start_ms: int, minutes: int, seed: int) -> PathMarket:
    """A ``PathMarket`` for ``minutes`` of ``klines`` from ``start_ms`` (the bars
    before it are its history). ValueError if the file does not cover the window."""
    bars = read_klines(klines)
    opens = [bar.open_ms for bar in bars]
    if start_ms not in opens:
        raise ValueError(f"{klines.name} has no bar at {start_ms}")
    first = opens.index(start_ms)
    window = bars[first : first + minutes]
    if len(window) < minutes:
        raise ValueError(f"{klines.name} ends before {minutes} minutes from {start_ms}")
    spec = path_spec(base, window[0].open)
    return PathMarket(spec, history=bars[max(0, first - 3000) : first], window=window, seed=seed)
