"""How participants behave, phase by phase: the regimes and the order they come in.

Separate from the market model's mechanics (prices, positions, the liquidation engine)
because a regime is the *script* of a scenario — calm, a crowd building on one side, the
aftermath of a shock, the legs of a benchmark scenario — chosen here and acted out by
``SymbolMarket``. Also the Poisson draw every arrival rate in the model goes through.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scalptui.feed.sim.market import SymbolMarket

# How long a leveraged position lives on average before its holder closes it.
LOT_LIFETIME_S = 2400.0
# How long the crowd of the cascade / squeeze scenarios has been building at start.
_CROWD_SEED_S = 540


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


def poisson(rng: random.Random, lam: float) -> int:
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


def minutes(rng: random.Random, low: float, high: float) -> int:
    """A duration in ms, uniform between ``low`` and ``high`` minutes."""
    return int(rng.uniform(low, high) * 60_000)


def history_trend(scenario: str) -> float:
    """The trend of the invented pre-history, per minute."""
    if scenario == "cascade":
        return 0.004  # price rose into the crowd: longs entered on the way up
    if scenario == "squeeze":
        return -0.004
    return 0.0


def first_regime(market: SymbolMarket) -> tuple[Regime, int, int | None]:
    """The regime at start, when it ends and when its shock comes (None: no shock)."""
    if market.legs:
        return market.legs[0], leg_end(market), None
    if market.scenario == "calm":
        return CALM, 2**62, None
    if market.scenario == "steady":
        return NORMAL, 2**62, None
    if market.scenario in ("cascade", "squeeze"):
        regime = CROWD_LONG if market.scenario == "cascade" else CROWD_SHORT
        shock_at = market.now_ms + market.rng.randrange(60_000, 100_000)
        return regime, shock_at + 1, shock_at
    # the first calm spell is short, so a demo reaches its first crowding soon
    return NORMAL, market.now_ms + minutes(market.rng, 1, 3), None


def update_regime(market: SymbolMarket) -> None:
    """Fire a regime's shock when it is due and move on when the regime ends."""
    if market.shock_at is not None and market.now_ms >= market.shock_at:
        market.shock_at = None
        strength = (0.010, 0.015) if market.scenario == "auto" else (0.012, 0.016)
        market.trigger(long=market.regime is not CROWD_SHORT, strength=strength)
    if market.now_ms < market.regime_until:
        return
    if market.scenario == "auto":
        _next_auto_regime(market)
    elif market.legs:
        _next_leg(market)
    elif market.regime in (CROWD_LONG, CROWD_SHORT):
        market.regime = AFTERMATH
        market.regime_until = market.now_ms + minutes(market.rng, 2, 3)
    else:
        market.regime, market.regime_until = NORMAL, 2**62


def _next_auto_regime(market: SymbolMarket) -> None:
    rng = market.rng
    if market.regime in (NORMAL, CALM):
        market.regime = CROWD_LONG if rng.random() < 0.55 else CROWD_SHORT
        market.regime_until = market.now_ms + minutes(rng, 4, 8)
        market.shock_at = market.regime_until if rng.random() < 0.85 else None
    elif market.regime in (CROWD_LONG, CROWD_SHORT):
        market.regime = AFTERMATH
        market.regime_until = market.now_ms + minutes(rng, 2, 4)
    else:
        market.regime = NORMAL
        market.regime_until = market.now_ms + minutes(rng, 3, 8)


def leg_end(market: SymbolMarket) -> int:
    # a single leg lasts for ever; alternating legs (chop) last 2–4 minutes each
    return 2**62 if len(market.legs) == 1 else market.now_ms + minutes(market.rng, 2, 4)


def _next_leg(market: SymbolMarket) -> None:
    market.leg = (market.leg + 1) % len(market.legs)
    market.regime = market.legs[market.leg]
    market.regime_until = leg_end(market)


def seed_population(market: SymbolMarket, closes: Sequence[float]) -> None:
    """Positions already open at start: entries along the recent price path."""
    crowd = market.regime if market.regime in (CROWD_LONG, CROWD_SHORT) else None
    base = NORMAL if crowd is not None else market.regime
    # about half a lifetime's worth survives (the rest was closed or stopped out)
    count = int(base.open_rate * LOT_LIFETIME_S * (0.6 if base is CALM else 0.5))
    recent = list(closes[-40:]) or [market.spec.price]
    mark = market.spec.price
    for _ in range(count):
        market.open_lot(market.rng.choice(recent), base, mark=mark, trade=False)
    if crowd is not None:
        # the crowd that built up over the last minutes, near the current price
        for _ in range(int(crowd.open_rate * _CROWD_SEED_S)):
            market.open_lot(market.rng.choice(recent[-15:]), crowd, mark=mark, trade=False)
