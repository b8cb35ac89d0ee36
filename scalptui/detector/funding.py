"""Funding of one symbol: the latest rate, its interval, the next payment and the watch.

Venues pay funding every 1, 4 or 8 hours; rates are compared on one footing,
normalised to 8 h (and to an APR for the snapshot) by ``scalptui.numfmt``, as the UI does.
"""

from __future__ import annotations

from scalptui.detector.signals import FundingWatch
from scalptui.models import FundingView
from scalptui.numfmt import funding_8h, funding_apr

DEFAULT_INTERVAL_H = 8.0
"""The funding interval assumed until the venue names one."""


class FundingTrack:
    """The latest funding rate of a symbol and what it is read against."""

    __slots__ = ("interval_h", "next_ts", "rate", "watch")

    def __init__(self) -> None:
        self.rate: float | None = None
        self.interval_h: float | None = None
        self.next_ts: int | None = None
        self.watch = FundingWatch()

    def interval(self) -> float:
        """The funding interval in hours (8 until the venue names it)."""
        return self.interval_h if self.interval_h is not None else DEFAULT_INTERVAL_H

    def view(self) -> FundingView | None:
        rate = self.rate
        if rate is None:
            return None
        interval = self.interval()
        return FundingView(
            rate=rate,
            interval_h=interval,
            rate_8h=funding_8h(rate, interval),
            apr=funding_apr(rate, interval),
            next_funding_ts=self.next_ts,
        )
