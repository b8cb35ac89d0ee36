"""Exchange-clock skew: how far the local clock is from the venue's.

The detector runs on exchange time, but the header's "age of last message" and
the staleness watchdog compare against the local clock; a VPS whose clock has
drifted by seconds makes fresh data look old. The skew is estimated from the
market events themselves (local arrival time minus exchange timestamp, which
also contains network latency, so only a skew well above normal latency is
reported), as a median over a window so one delayed burst does not trip it.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable

from scalptui.models import FeedStatus, MarkPrice, StreamState, Trade
from scalptui.numfmt import duration

SKEW_REPORT_MS = 2_000
"""Report a skew beyond this (loopback and a VPS near the venue see < 300 ms)."""
REPORT_AGAIN_S = 60.0
"""A skew already reported is said again at most this often while it keeps moving: against
a simulator run faster than real time the gap grows by the second (25 notes a minute)."""
SAMPLES = 101
SAMPLE_EVERY_S = 0.25
"""At most one sample per this much local time: skew drifts over minutes, and the
median of the window is too dear to take on every trade of a busy stream."""


class SkewMonitor:
    """Tracks the median (local − exchange) time over recent regular-cadence events."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._samples: deque[int] = deque(maxlen=SAMPLES)
        self._reported: int | None = None
        """The skew last reported as large (ms), None while the clock agrees."""
        self._next_sample = 0.0
        self._reported_at = -REPORT_AGAIN_S

    @property
    def skew_ms(self) -> int | None:
        if len(self._samples) < 5:
            return None
        return int(statistics.median(self._samples))

    def observe(self, event: object) -> FeedStatus | None:
        """Record one event; return a status when the skew crosses the report line."""
        if not isinstance(event, Trade | MarkPrice):
            return None
        now = self._clock()
        if now < self._next_sample:
            return None
        self._next_sample = now + SAMPLE_EVERY_S
        self._samples.append(int(now * 1000) - event.ts)
        skew = self.skew_ms
        if skew is None:
            return None
        large = abs(skew) >= SKEW_REPORT_MS
        if not self._moved(skew, large):
            return None
        if large and self._reported is not None and now - self._reported_at < REPORT_AGAIN_S:
            return None
        self._reported = skew if large else None
        self._reported_at = now
        detail = (
            f"local clock is {skew_text(skew)} off the exchange's"
            if large
            else "local clock agrees with the exchange's"
        )
        return FeedStatus(
            ts=int(now * 1000),
            exchange=event.exchange,
            symbol=None,
            stream="clock",
            state=StreamState.STALE if large else StreamState.LIVE,
            detail=detail,
        )

    def _moved(self, skew: int, large: bool) -> bool:
        """Whether to say so: the skew crossed the report line, or a reported skew moved
        by more than the line and a tenth of itself (the note said −94.8 s for hours
        while the gap grew past seven hours)."""
        reported = self._reported
        if reported is None:
            return large
        if not large:
            return True
        return abs(skew - reported) >= max(SKEW_REPORT_MS, abs(reported) / 10)


def skew_text(skew_ms: int) -> str:
    """``+94.8 s`` under two minutes, else ``−7 h 18 min``: a true minus, as on screen."""
    sign = "−" if skew_ms < 0 else "+"
    seconds = abs(skew_ms) / 1000
    if seconds < 120:
        return f"{sign}{seconds:.1f} s"
    return sign + duration(seconds)
