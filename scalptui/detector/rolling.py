"""The second being built and the rolling statistics of the closed ones.

``SecondBucket`` gathers the current second of one symbol (close, high, low,
taker flow, liquidated USD) in plain attributes: every trade and print touches
it, so it is a handful of float adds. When the second ends its row goes to the
numpy ring (``SECOND_COLUMNS``) and to ``RollingStats``, which keeps — in pure
Python, O(1) amortised per second — the cascade window's high and low and the
running sums of σ over the hour before the window. Both are apart from the
detector so that the per-second arithmetic reads on its own and its bounds are
easy to check.
"""

from __future__ import annotations

import math
from collections import deque

from scalptui.detector.params import SignalThresholds

SECOND_COLUMNS = ("close", "high", "low", "buy_usd", "sell_usd", "liq_long_usd", "liq_short_usd")
SECOND_CAPACITY = 4096
"""1 s rows kept per symbol: a little over the hour that σ and the baselines need."""
HOUR_MS = 3_600_000

_INF = math.inf


class SecondBucket:
    """The second in progress: price range, taker flow and liquidated notional (USD)."""

    __slots__ = ("buy", "close", "has", "high", "liq_long", "liq_short", "low", "sell")

    def __init__(self) -> None:
        self.close = math.nan
        self.high = -_INF
        self.low = _INF
        self.buy = 0.0
        self.sell = 0.0
        self.liq_long = 0.0
        self.liq_short = 0.0
        self.has = False

    def row(self, close: float) -> tuple[float, float, float, float, float, float, float]:
        """The ring row of this second (``SECOND_COLUMNS`` order), closing at ``close``."""
        high = self.high if self.high > -_INF else close
        low = self.low if self.low < _INF else close
        return (close, high, low, self.buy, self.sell, self.liq_long, self.liq_short)

    def restart(self, last: float | None) -> None:
        """Start the next second, opening at the last trade price if there is one."""
        self.close = last if last is not None else math.nan
        self.high = -_INF
        self.low = _INF
        self.buy = self.sell = self.liq_long = self.liq_short = 0.0
        self.has = False


class RollingStats:
    """The window's extremes and σ's running sums, updated as seconds close.

    σ is of 1 s log returns over the hour before the window. Seconds without
    trades have no row, so the variance is Σ r² / Σ Δt over consecutive rows: a
    return spanning a gap counts for the seconds it spans. Returns wait in
    ``pending`` while inside the window, then count in ``hour``.
    """

    __slots__ = (
        "dt",
        "flow_seed",
        "highs",
        "hour",
        "lows",
        "pending",
        "prev_close",
        "prev_close_ts",
        "r2",
        "range_seed",
        "seed",
    )

    def __init__(self) -> None:
        # Monotonic deques of closed seconds: the window's high and low in O(1) amortised.
        self.highs: deque[tuple[int, float]] = deque()
        self.lows: deque[tuple[int, float]] = deque()
        self.prev_close: float | None = None
        self.prev_close_ts = 0
        self.pending: deque[tuple[int, float, float]] = deque()
        self.hour: deque[tuple[int, float, float]] = deque()
        self.r2 = 0.0
        self.dt = 0.0
        self.seed: float | None = None
        """σ of the warm-start klines, for the first minutes of a run."""
        self.range_seed: float | None = None
        """Median high–low range (%) of the last hour of warm-start candles: the ordinary
        range until half an hour of 1 s history exists."""
        self.flow_seed: tuple[float, float] | None = None
        """Taker (buy, sell) USD per second of the warm-start klines' last hour: the taker
        flow's trailing mean until the 1 s history is long enough to give its own."""

    def add_second(self, ts: int, close: float, high: float, low: float) -> None:
        """Count one closed second (``close`` > 0)."""
        highs = self.highs
        while highs and highs[-1][1] <= high:
            highs.pop()
        highs.append((ts, high))
        lows = self.lows
        while lows and lows[-1][1] >= low:
            lows.pop()
        lows.append((ts, low))
        prev = self.prev_close
        if prev is not None and close > 0.0:
            # two logs, not the log of the ratio: a subnormal close over a real one (a bad
            # tick of 1e-320 after 4048) underflows the ratio to 0 and log(0) raises
            r = math.log(close) - math.log(prev)
            self.pending.append((ts, r * r, (ts - self.prev_close_ts) / 1000.0))
        if close > 0.0:
            self.prev_close = close
            self.prev_close_ts = ts

    def expire(self, start: int) -> None:
        """Age the sums and extremes to a window starting at ``start`` (bounded whatever
        the market does)."""
        highs = self.highs
        while highs and highs[0][0] < start:
            highs.popleft()
        lows = self.lows
        while lows and lows[0][0] < start:
            lows.popleft()
        pending = self.pending
        hour = self.hour
        while pending and pending[0][0] < start:
            row = pending.popleft()
            hour.append(row)
            self.r2 += row[1]
            self.dt += row[2]
        edge = start - HOUR_MS
        while hour and hour[0][0] < edge:
            _, r2, dt = hour.popleft()
            self.r2 -= r2
            self.dt -= dt
        if not hour:
            self.r2 = self.dt = 0.0

    def sigma(self, start: int, th: SignalThresholds) -> float:
        """σ of 1 s log returns over the hour before the window starting at ``start``, floored.

        With less than ``min_sigma_history_s`` of rows the warm-start klines' σ
        is used, else the cautious ``sigma_fallback``.
        """
        self.expire(start)
        if self.dt >= th.min_sigma_history_s:
            return max(math.sqrt(max(self.r2, 0.0) / self.dt), th.sigma_floor)
        if self.seed is not None:
            return max(self.seed, th.sigma_floor)
        return max(th.sigma_fallback, th.sigma_floor)

    def high_since(self, start: int, current: float) -> float | None:
        """The highest high from ``start`` on, the second in progress (``current``) included."""
        highs = self.highs
        while highs and highs[0][0] < start:
            highs.popleft()
        best = highs[0][1] if highs else -_INF
        best = max(best, current)
        return best if best > -_INF else None

    def high_from(self, start: int, current: float) -> float | None:
        """Like ``high_since`` for a later ``start`` inside the window, leaving the deque
        as it is (the window's own extremes must survive): the first high from ``start``
        on is the highest, the deque being monotonic."""
        best = next((high for ts, high in self.highs if ts >= start), -_INF)
        best = max(best, current)
        return best if best > -_INF else None

    def low_from(self, start: int, current: float) -> float | None:
        """``low_since`` for a later ``start``, leaving the deque as it is."""
        best = next((low for ts, low in self.lows if ts >= start), _INF)
        best = min(best, current)
        return best if best < _INF else None

    def low_since(self, start: int, current: float) -> float | None:
        """The lowest low from ``start`` on, the second in progress (``current``) included."""
        lows = self.lows
        while lows and lows[0][0] < start:
            lows.popleft()
        best = lows[0][1] if lows else _INF
        best = min(best, current)
        return best if best < _INF else None
