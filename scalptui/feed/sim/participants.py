"""The benchmark scenarios' participants: who trades, and the positions open at start.

Separate from the market model because these scenarios exist to measure a ladder
estimator against the truth, and their population is built to be *unlike* the
estimator's assumptions (``Participants``); the ordinary scenarios never touch this
module. ``SymbolMarket`` calls in here to draw the participants, seed the positions
open at start (``seed_varied_population``) and let holders add margin (``top_ups``).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scalptui.feed.sim.history import MINUTE_MS, PreHistory
from scalptui.feed.sim.positions import Lot, liquidation_price
from scalptui.feed.sim.regimes import LOT_LIFETIME_S, Regime, poisson

if TYPE_CHECKING:
    from scalptui.feed.sim.market import SymbolMarket

BENCHMARK_SCENARIOS = ("crowd_long", "crowd_short", "chop", "crowd_before", "trend_crowd")
"""Scenarios for measuring the ladder against the truth (``benchmarks/bench_ladder.py``).

Their participants are drawn per seed (``Participants``) and the run has no shock:

* ``crowd_long`` / ``crowd_short`` — one side crowds in for the whole run;
* ``chop`` — both sides open while the price swings up and down in legs of 2–4 minutes;
* ``crowd_before`` — a one-sided crowd built two to three hours before the start (it shows
  only in the open-interest history and the klines), then an ordinary market;
* ``trend_crowd`` — longs crowd in while the price trends up (≈ 1 % in 10 minutes).
"""

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


def benchmark_legs(scenario: str, participants: Participants | None) -> tuple[Regime, ...]:
    """The regimes a benchmark scenario cycles through (none for the other scenarios)."""
    if participants is None:
        return ()
    mix = participants.leverage_mix
    if scenario == "crowd_long":
        return (Regime("crowd_long", 8.0, 0.8, mix, 4e-6, 6.0),)
    if scenario == "crowd_short":
        return (Regime("crowd_short", 8.0, 0.2, mix, -4e-6, 6.0),)
    if scenario == "chop":
        return (
            Regime("chop_up", 6.0, 0.5, mix, 3e-5, 8.0),
            Regime("chop_down", 6.0, 0.5, mix, -3e-5, 8.0),
        )
    if scenario == "trend_crowd":
        return (Regime("trend_crowd", 8.0, 0.75, mix, 2e-5, 6.0),)
    return (Regime("after_crowd", 3.0, 0.5, mix, 0.0, 4.0),)  # crowd_before


def participants_for(market: SymbolMarket, seed: int) -> Participants | None:
    """The participants of ``market``'s benchmark scenario, or None for the others."""
    if market.scenario not in BENCHMARK_SCENARIOS:
        return None  # the other scenarios keep their fixed mixes (and random draws)
    rng = random.Random(f"{seed}:{market.spec.market_id}:{market.scenario}:participants")
    return draw_participants(rng, market.spec.max_leverage)


def seed_varied_population(market: SymbolMarket, history: PreHistory) -> None:
    """Positions open at start for the benchmark scenarios.

    Each entered at a price anywhere in the range of the minute it opened, and
    the minutes are as old as positions live (exponential ages, mean 40 minutes),
    so the entries are smeared along the path, not stacked on a few closes. In
    ``crowd_before`` a one-sided crowd is added that built up two to three hours
    ago, imprinted on the open-interest history and the klines so that a client's
    warm start can see it.
    """
    assert market.participants is not None
    mix = market.participants.leverage_mix
    base = Regime("base", 3.0, 0.5, mix, 0.0, 4.0)
    bars = history.bars
    mark = market.spec.price
    rng = market.rng
    for _ in range(int(base.open_rate * LOT_LIFETIME_S * 0.5)):
        age = min(len(bars) - 1, int(rng.expovariate(60.0 / LOT_LIFETIME_S)))
        bar = bars[-1 - age]
        market.open_lot(rng.uniform(bar.low, bar.high), base, mark=mark, trade=False)
    if market.scenario == "crowd_before":
        _seed_earlier_crowd(market, history, mix)


def _seed_earlier_crowd(
    market: SymbolMarket, history: PreHistory, mix: tuple[tuple[int, float], ...]
) -> None:
    rng = market.rng
    long = rng.random() < 0.5
    crowd = Regime("earlier_crowd", 4.0, 0.85 if long else 0.15, mix, 0.0, 6.0)
    bars = history.bars
    ends_ago = rng.randint(120, 180)  # minutes before the start
    opened: list[tuple[int, float]] = []  # (open time, qty) of every crowd position
    mark = market.spec.price
    for bar in bars[-ends_ago - 25 : -ends_ago]:
        for _ in range(poisson(rng, crowd.open_rate * 60)):
            before = market.counters.lots_opened
            entry = rng.uniform(bar.low, bar.high)
            market.open_lot(entry, crowd, mark=mark, trade=False)
            if market.counters.lots_opened == before:
                continue
            lot = market.lots[-1]
            opened.append((bar.open_ms + rng.randrange(MINUTE_MS), lot.qty))
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
    for ts, amount, value in market.oi_history:
        later = after[bisect.bisect_right(times, ts)]
        price = value / amount if amount > 0 else mark
        adjusted.append((ts, amount - later, (amount - later) * price))
    market.oi_history = adjusted


def top_ups(market: SymbolMarket, participants: Participants, dt: float) -> None:
    """Holders adding margin during ``dt`` seconds."""
    rng = market.rng
    rate = participants.top_up_share / LOT_LIFETIME_S
    count = poisson(rng, len(market.lots) * rate * dt)
    for _ in range(min(count, len(market.lots))):
        lot = market.lots[rng.randrange(len(market.lots))]
        top_up(market, lot, rng.uniform(0.2, participants.top_up_max))


def top_up(market: SymbolMarket, lot: Lot, added: float) -> None:
    """The holder adds ``added`` × the initial margin: the same position at a lower
    effective leverage, its liquidation price further away.

    The position gets a new id and new heap entries; the old entries point to the
    old record, now dead, and are skipped like those of any closed lot.
    """
    leverage = max(1.5, lot.leverage / (1.0 + added))
    liq = liquidation_price(lot.entry, leverage, market.spec.mmr, lot.long)
    market._lot_id += 1
    topped = Lot(market._lot_id, lot.long, lot.qty, lot.entry, leverage, liq, lot.stop)
    index = market._lot_index.pop(lot.lot_id)
    lot.alive = False
    market.lots[index] = topped
    market._lot_index[topped.lot_id] = index
    if topped.long:
        heapq.heappush(market._long_liq, (-liq, topped.lot_id, topped))
        if topped.stop is not None:
            heapq.heappush(market._long_stop, (-topped.stop, topped.lot_id, topped))
    else:
        heapq.heappush(market._short_liq, (liq, topped.lot_id, topped))
        if topped.stop is not None:
            heapq.heappush(market._short_stop, (topped.stop, topped.lot_id, topped))
