"""Hand-built event sequences for the detector tests.

``Tape`` is a tiny, seeded market script: it keeps a clock and a price and emits
the events a Binance USDⓈ-M feed would (trades, a mark price each second, open
interest every 15 s, sampled liquidation prints) so each scenario reads as a
story — an hour of calm, then a chain of forced sells — instead of as a wall of
literal events. Sizes are realistic: BTC trades ≈ $150k per second in calm,
SOL ≈ $15k. The events themselves come from the scripted feed's constructors
(``scalptui.feed.scripted.MarketPrints``), so the UI's scripted market and these
tapes build trades, prints, marks and open interest the same way.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from scalptui.detector import Detector
from scalptui.feed.scripted import EXCHANGE as EXCHANGE  # re-exported for the tests
from scalptui.feed.scripted import MarketPrints
from scalptui.models import Alert, AlertKind, Event, Side, TakerSide

BTC = "BTC/USDT:USDT"
SOL = "SOL/USDT:USDT"
T0 = 1_740_000_000_000  # 2025-02-19 21:20 UTC, a whole second


@dataclass
class Tape(MarketPrints):
    """A seeded script of one symbol's market; every method advances the clock."""

    symbol: str
    price: float
    usd_per_s: float
    oi: float
    seed: int = 7
    ts: int = T0
    funding: float = 0.0001
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._next_oi = self.ts

    def _second_end(self, oi_drift: float = 0.0) -> None:
        self.mark(self.funding)
        if self.ts >= self._next_oi:
            self.oi *= 1.0 + oi_drift + self.rng.gauss(0.0, 0.0002)
            self.open_interest(self.oi)
            self._next_oi = self.ts + 15_000
        self.ts += 1000

    # ---------------------------------------------------------------- regimes

    def calm(
        self,
        seconds: int,
        sigma: float = 1e-4,
        liq_every_s: float = 0.0,
        liq_usd: float = 20_000.0,
        drift: float = 0.0,
        oi_drift: float = 0.0001,
    ) -> None:
        """Mean-reverting chop with balanced taker flow; optional scattered prints on both sides."""
        anchor = self.price
        for _ in range(seconds):
            pull = 0.02 * math.log(anchor / self.price)
            self.price *= math.exp(pull + drift + self.rng.gauss(0.0, sigma))
            anchor *= math.exp(drift)
            for k in range(4):
                side = TakerSide.BUY if self.rng.random() < 0.5 else TakerSide.SELL
                self.trade(side, self.usd_per_s / 4 * self.rng.uniform(0.5, 1.5), dt_ms=k * 200)
            if liq_every_s and self.rng.random() < 1.0 / liq_every_s:
                liq_side = Side.LONG if self.rng.random() < 0.5 else Side.SHORT
                self.liquidation(liq_side, liq_usd * self.rng.uniform(0.3, 2.0))
            self._second_end(oi_drift)

    def forced_move(
        self,
        seconds: int,
        total_move: float,
        side: Side,
        liq_usd: float,
        flow_mult: float = 6.0,
        print_every_s: int = 1,
    ) -> None:
        """A chain: price moves ``total_move`` (fraction, signed) with same-side prints."""
        step = math.log1p(total_move) / seconds
        taker = TakerSide.SELL if side is Side.LONG else TakerSide.BUY
        other = TakerSide.BUY if taker is TakerSide.SELL else TakerSide.SELL
        for i in range(seconds):
            self.price *= math.exp(step + self.rng.gauss(0.0, abs(step) * 0.2))
            for k in range(4):
                self.trade(taker, self.usd_per_s * flow_mult / 4, dt_ms=k * 200)
            self.trade(other, self.usd_per_s * 0.3, dt_ms=850)
            if i % print_every_s == 0:
                self.liquidation(side, liq_usd * self.rng.uniform(0.6, 1.4))
            self._second_end(oi_drift=-0.002)

    def quiet(self, seconds: int) -> None:
        """Only the mark heartbeat and thin balanced trades (after a chain has run dry)."""
        for _ in range(seconds):
            self.trade(TakerSide.BUY, self.usd_per_s / 8)
            self.trade(TakerSide.SELL, self.usd_per_s / 8, dt_ms=400)
            self._second_end()


def btc_tape(seed: int = 7) -> Tape:
    return Tape(BTC, 100_000.0, 150_000.0, 80_000.0, seed=seed)


def sol_tape(seed: int = 11) -> Tape:
    return Tape(SOL, 150.0, 15_000.0, 50_000_000.0, seed=seed)


def run(events: list[Event], detector: Detector | None = None) -> tuple[Detector, list[Alert]]:
    det = detector if detector is not None else Detector()
    alerts: list[Alert] = []
    for evt in events:
        alerts.extend(det.on_event(evt))
    return det, alerts


def kinds(alerts: list[Alert], *wanted: AlertKind) -> list[Alert]:
    return [a for a in alerts if a.kind in wanted]


FORCED = (AlertKind.LIQUIDATION_CASCADE, AlertKind.SHORT_SQUEEZE)


def fact(alert: Alert, key: str) -> float:
    """A numeric fact of ``alert`` (facts also hold strings and the venue mapping)."""
    value = alert.facts[key]
    assert isinstance(value, int | float), f"{key} is not a number: {value!r}"
    return float(value)
