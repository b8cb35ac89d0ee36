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
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scalptui.detector import Detector
from scalptui.models import Alert, Event, Side, TakerSide, Trade

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
            side_burst = ev.flow_ratio >= th.flow_mult and ev.flow_share >= 0.5
            moving |= side_moving
            burst |= side_burst
            m.minutes_both += side_moving and side_burst
        m.minutes_moving_3_sigma += moving
        m.minutes_flow_burst += burst
    return alerts, m
