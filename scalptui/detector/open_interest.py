"""Open interest of one symbol: the trading since the last attribution, and the history.

``OiInterval`` sums the trades since open interest last reached the ladder —
their VWAP and range are where new exposure is placed, their taker-buy share
how it is split (see ``ladder.py``); every trade adds to it, so it is four
float adds and two compares.
``OpenInterestTrack`` holds the latest sample, the sample the ladder last
attributed from (at most one attribution a second of event time: Bybit
streams OI with every ticker change), a bounded history of one point per
``OI_BUCKET_MS`` for the changes and the chart, and the OI-flush watch.
"""

from __future__ import annotations

import bisect
import math

from scalptui.detector.rolling import HOUR_MS
from scalptui.detector.signals import OiWatch
from scalptui.models import OpenInterestView

OI_HISTORY_MS = 2 * HOUR_MS
OI_ATTRIBUTION_MS = 1_000
"""Open-interest changes reach the ladder at most once per second of event time."""
OI_BUCKET_MS = 10_000
"""Stored open-interest history keeps one point per bucket (the bucket's latest sample):
Bybit streams OI with every ticker change, up to ~10 a second."""

_INF = math.inf


class OiInterval:
    """Trades since the last attribution: Σ price·amount, Σ amount, taker buy / sell amounts,
    and the traded range (``high`` / ``low``) new exposure is spread over; and the amounts
    the venue printed as forced closes (``forced_buy``: shorts liquidated, bought back;
    ``forced_sell``: longs liquidated, sold).

    A liquidation engine's fills are taker trades on the public tape, but they close
    positions: counted as opening flow, a long cascade's forced sells became a wall of new
    shorts just above the price it left (and a squeeze's forced buys new longs below)."""

    __slots__ = ("buy", "forced_buy", "forced_sell", "high", "low", "pv", "sell", "vol")

    def __init__(self) -> None:
        self.pv = 0.0
        self.vol = 0.0
        self.buy = 0.0
        self.sell = 0.0
        self.forced_buy = 0.0
        self.forced_sell = 0.0
        self.high = -_INF
        self.low = _INF

    def vwap(self) -> float | None:
        """The interval's trade VWAP (None before its first trade)."""
        if self.vol > 0.0:
            return self.pv / self.vol
        return None

    def opening_buy(self) -> float:
        """Taker buys less the forced buys known (a sampled venue's prints are a lower
        bound, so some forced flow may stay in); never below zero."""
        return max(self.buy - self.forced_buy, 0.0)

    def opening_sell(self) -> float:
        """Taker sells less the forced sells known; never below zero."""
        return max(self.sell - self.forced_sell, 0.0)

    def forced_amount(self) -> float:
        """The forced closes printed in the interval that its trades account for."""
        return (self.buy - self.opening_buy()) + (self.sell - self.opening_sell())

    def opening_buy_share(self) -> float:
        """Taker-buy share of the opening flow (0.5 without any)."""
        buy = self.opening_buy()
        flow = buy + self.opening_sell()
        return buy / flow if flow > 0.0 else 0.5

    def traded_range(self) -> tuple[float, float] | None:
        """(low, high) of the interval's trade prices (None before its first trade)."""
        if self.low <= self.high:
            return self.low, self.high
        return None

    def restart(self) -> None:
        self.pv = self.vol = self.buy = self.sell = 0.0
        self.forced_buy = self.forced_sell = 0.0
        self.high = -_INF
        self.low = _INF


class OpenInterestTrack:
    """The latest open interest, the last attributed sample, history and the flush watch."""

    __slots__ = ("amount", "attr_amount", "attr_ts", "history", "ts", "value", "watch")

    def __init__(self) -> None:
        self.amount: float | None = None
        self.value: float | None = None
        self.ts = -1
        # The sample the ladder last attributed from (at most one attribution a second).
        self.attr_amount: float | None = None
        self.attr_ts = -1
        # One (ts, amount) point per OI_BUCKET_MS, oldest first: a list, so changes bisect it.
        self.history: list[tuple[int, float]] = []
        self.watch = OiWatch()

    def attribution_due(self, ts: int) -> bool:
        """True if a sample at ``ts`` is in a later second than the last attributed one."""
        return ts // OI_ATTRIBUTION_MS > self.attr_ts // OI_ATTRIBUTION_MS

    def change(self, span_ms: int) -> float | None:
        """OI change in percent since the stored point at or before ``span_ms`` ago."""
        hist = self.history
        if self.amount is None or not hist:
            return None
        i = bisect.bisect_right(hist, (self.ts - span_ms, _INF)) - 1
        if i < 0:
            return None
        then = hist[i][1]
        if then <= 0.0:
            return None
        return (self.amount / then - 1.0) * 100.0

    def record(self, ts: int, amount: float) -> None:
        """Keep the latest sample of each ``OI_BUCKET_MS`` bucket, for the last two hours."""
        hist = self.history
        bucket = ts // OI_BUCKET_MS
        if not hist or ts > hist[-1][0]:
            if hist and hist[-1][0] // OI_BUCKET_MS == bucket:
                hist[-1] = (ts, amount)
            else:
                hist.append((ts, amount))
        else:  # an older sample (a warm start after live data): rare, keep it in order
            i = bisect.bisect_left(hist, (ts, -_INF))
            if i < len(hist) and hist[i][0] == ts:
                return
            if i < len(hist) and hist[i][0] // OI_BUCKET_MS == bucket:
                return  # its bucket already holds a later sample
            if i > 0 and hist[i - 1][0] // OI_BUCKET_MS == bucket:
                hist[i - 1] = (ts, amount)
            else:
                hist.insert(i, (ts, amount))
        edge = hist[-1][0] - OI_HISTORY_MS
        if hist[0][0] < edge:
            del hist[: bisect.bisect_left(hist, (edge, -_INF))]

    def view(self) -> OpenInterestView | None:
        """The snapshot's view: amount, value, 5 min and 1 h changes, the last hour's points."""
        if self.amount is None:
            return None
        hist = self.history
        start = bisect.bisect_left(hist, (self.ts - HOUR_MS, -_INF))
        return OpenInterestView(
            amount=self.amount,
            value=self.value,
            delta_5m_pct=self.change(300_000),
            delta_1h_pct=self.change(HOUR_MS),
            history=tuple(hist[start:]),
        )
