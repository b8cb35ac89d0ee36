"""Real Binance 1-minute klines turned into the events a live feed would deliver.

How a kline becomes events (documented in tests/fixtures/detector/README.md):
each minute visits four prices, 15 s apart — open at :00, then the extreme
nearer the open's side of the bar (low first on an up bar, high first on a down
bar) at :15, the other extreme at :30, close at :45. At each of those instants
the detector receives one taker-buy trade carrying a quarter of the bar's
taker-buy volume and one taker-sell trade carrying a quarter of the rest. No
mark price is sent (the detector then judges levels on trade prices, as it
does for a venue without a mark stream), and klines carry no liquidations and
no open interest, so none are sent either.

``with_modelled_liquidations`` adds the forced closes the real path would
cause: every minute opens leveraged longs and shorts at its close (a share of
its traded notional at 25×, 50× and 100×), and whenever the path crosses one of
their liquidation levels (entry ∓ 1/leverage) the position is closed by sampled
prints, one a second through that 15 s leg, as Binance's stream delivers them.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scalptui.detector import Detector
from scalptui.models import Alert, Event, Liquidation, Side, TakerSide, Trade

FIXTURES = Path(__file__).parent.parent / "fixtures" / "detector"
EXCHANGE = "binanceusdm"


def klines(name: str) -> Iterator[tuple[int, float, float, float, float, float, float]]:
    with gzip.open(FIXTURES / name, "rt", newline="") as fh:
        for row in csv.DictReader(fh):
            yield (
                int(row["open_time"]),
                float(row["open"]),
                float(row["high"]),
                float(row["low"]),
                float(row["close"]),
                float(row["volume"]),
                float(row["taker_buy_volume"]),
            )


def kline_events(symbol: str, name: str) -> Iterator[list[Event]]:
    """One list of events per kline, in time order."""
    for ts, o, h, lo, c, volume, taker_buy in klines(name):
        path = (o, lo, h, c) if c >= o else (o, h, lo, c)
        buy = taker_buy / 4.0
        sell = max(0.0, volume - taker_buy) / 4.0
        minute: list[Event] = []
        for i, price in enumerate(path):
            at = ts + i * 15_000
            minute.append(Trade(at, EXCHANGE, symbol, price, buy, TakerSide.BUY))
            minute.append(Trade(at + 1, EXCHANGE, symbol, price, sell, TakerSide.SELL))
        yield minute


@dataclass
class LeverageBook:
    """Leveraged positions waiting at their liquidation levels (sorted), in USD."""

    share: float = 0.02
    """Of each minute's traded notional, opened as longs (and as shorts) per leverage."""
    leverages: tuple[float, ...] = (25.0, 50.0, 100.0)
    levels: dict[Side, list[float]] = field(default_factory=lambda: {s: [] for s in Side})
    usd: dict[Side, list[float]] = field(default_factory=lambda: {s: [] for s in Side})

    def open(self, price: float, notional: float) -> None:
        for leverage in self.leverages:
            for side, level in (
                (Side.LONG, price * (1 - 1 / leverage)),
                (Side.SHORT, price * (1 + 1 / leverage)),
            ):
                at = bisect.bisect(self.levels[side], level)
                self.levels[side].insert(at, level)
                self.usd[side].insert(at, notional * self.share)

    def close_crossed(self, start: float, end: float) -> tuple[Side, float]:
        """The side forced out by a move from ``start`` to ``end``, and its USD."""
        side = Side.LONG if end < start else Side.SHORT
        levels = self.levels[side]
        lo, hi = sorted((start, end))
        first, last = bisect.bisect_left(levels, lo), bisect.bisect_right(levels, hi)
        usd = sum(self.usd[side][first:last])
        del levels[first:last], self.usd[side][first:last]
        return side, usd


def with_modelled_liquidations(symbol: str, name: str) -> Iterator[list[Event]]:
    """``kline_events`` plus the sampled prints of the positions its path liquidates."""
    book = LeverageBook()
    for (_, _, _, _, close, volume, _), minute in zip(
        klines(name), kline_events(symbol, name), strict=True
    ):
        visits = [evt for evt in minute if isinstance(evt, Trade) and evt.side is TakerSide.BUY]
        prints: list[Event] = []
        for here, there in itertools.pairwise(visits):
            side, usd = book.close_crossed(here.price, there.price)
            if usd <= 0:
                continue
            for second in range(15):
                price = here.price + (there.price - here.price) * (second + 0.5) / 15
                ts = here.ts + second * 1_000 + 500
                prints.append(
                    Liquidation(ts, EXCHANGE, symbol, side, price, usd / 15 / price, usd / 15, True)
                )
        yield sorted(minute + prints, key=lambda evt: evt.ts)
        book.open(close, volume * close)


@dataclass
class Measured:
    """The largest value each cascade component reached over a run (either side)."""

    minutes: int
    max_move_sigmas: float
    max_flow_ratio: float
    min_sigma_1s: float
    max_sigma_1s: float
    minutes_moving_3_sigma: int
    minutes_flow_burst: int
    minutes_both: int


FLOW_BURST = 3.0
"""A taker-flow burst, for what the components saw: forced-direction taker notional in W
at least this many times its trailing mean."""


def drive(symbol: str, name: str) -> tuple[list[Alert], Measured]:
    """Feed one fixture through a fresh Detector, measuring both sides once a minute."""
    det = Detector()
    th = det.params.thresholds_for(symbol)
    alerts: list[Alert] = []
    m = Measured(0, 0.0, 0.0, float("inf"), 0.0, 0, 0, 0)
    for minute in kline_events(symbol, name):
        for evt in minute:
            alerts.extend(det.on_event(evt))
        m.minutes += 1
        moving = burst = False
        for side in Side:
            ev = det.measure(symbol, side)
            assert ev is not None
            m.max_move_sigmas = max(m.max_move_sigmas, ev.move_sigmas)
            if ev.flow_ratio != float("inf"):
                m.max_flow_ratio = max(m.max_flow_ratio, ev.flow_ratio)
            m.min_sigma_1s = min(m.min_sigma_1s, ev.sigma_1s)
            m.max_sigma_1s = max(m.max_sigma_1s, ev.sigma_1s)
            side_moving = ev.move_sigmas >= th.z
            side_burst = ev.flow_ratio >= FLOW_BURST and ev.flow_share >= 0.5
            moving |= side_moving
            burst |= side_burst
            m.minutes_both += side_moving and side_burst
        m.minutes_moving_3_sigma += moving
        m.minutes_flow_burst += burst
    return alerts, m
