"""The realised overlay: liquidation prints of the last ``realized_window_s``, per ladder bin.

Apart from the liquidation tape (which is bounded by count) so that it is exact
over its own window. New prints wait in a list — one append per print, on the
hot path — and are binned once a second, before a snapshot, or when
``REALIZED_BATCH`` are waiting; binned prints are kept in ts order so each
leaves its bin's sums exactly when it leaves the window.
"""

from __future__ import annotations

import bisect
from collections import deque

from scalptui.detector.ladder import Ladder

REALIZED_CAPACITY = 100_000
"""Prints the realised overlay holds (its window, 15 min by default, expires them first)."""
REALIZED_BATCH = 1024
"""New prints wait in a list (one append per print) and are binned once a second, before a
snapshot, or when this many are waiting."""


class RealizedOverlay:
    """Prints as (ts, is long, bin, USD, price) in ts order, and per-bin [USD, prints] sums."""

    __slots__ = ("long", "new", "prints", "short", "window_ms")

    def __init__(self, window_ms: int) -> None:
        self.window_ms = window_ms
        # New prints as (ts, is long, price, USD) until the next batch bins them.
        self.new: list[tuple[int, bool, float, float]] = []
        self.prints: deque[tuple[int, bool, int, float, float]] = deque()
        self.long: dict[int, list[float]] = {}
        self.short: dict[int, list[float]] = {}

    def bin(self, ladder: Ladder | None, clock: int) -> None:
        """Bin the waiting prints into the sums and expire what left the window.

        O(1) amortised per print; a late print (rare) is put in ts order so it expires on time.
        """
        prints = self.prints
        edge = clock - self.window_ms
        new = self.new
        if new:
            for ts, is_long, price, usd in new:
                if ts < edge or ladder is None:
                    continue
                k = ladder.bin_of(price)
                if prints and ts < prints[-1][0]:
                    bisect.insort(prints, (ts, is_long, k, usd, price))
                else:
                    prints.append((ts, is_long, k, usd, price))
                _bin_add(self.long if is_long else self.short, k, usd)
            new.clear()
        if prints and (prints[0][0] < edge or len(prints) > REALIZED_CAPACITY):
            self._expire(edge, REALIZED_CAPACITY)

    def rebin(self, ladder: Ladder) -> None:
        """Put every binned print in its bin of a re-based grid."""
        self.long.clear()
        self.short.clear()
        self.prints = deque(
            (ts, is_long, ladder.bin_of(at), usd, at) for ts, is_long, _, usd, at in self.prints
        )
        for _, is_long, k, usd, _ in self.prints:
            _bin_add(self.long if is_long else self.short, k, usd)

    def rows(self, lo: int, n: int) -> tuple[list[float], list[float]]:
        """Long and short USD per snapshot row: bins ``lo`` .. ``lo + n - 1`` framed by edges."""
        last_row = n + 1
        real_long = [0.0] * (n + 2)
        real_short = [0.0] * (n + 2)
        for k, cell in self.long.items():
            real_long[min(max(k - lo + 1, 0), last_row)] += cell[0]
        for k, cell in self.short.items():
            real_short[min(max(k - lo + 1, 0), last_row)] += cell[0]
        return real_long, real_short

    def _expire(self, edge: int, keep: int) -> None:
        """Drop prints older than ``edge``, and the oldest beyond ``keep`` prints."""
        prints = self.prints
        while prints and (prints[0][0] < edge or len(prints) > keep):
            _, is_long, k, usd, _ = prints.popleft()
            bins = self.long if is_long else self.short
            cell = bins.get(k)
            if cell is None:
                continue
            cell[1] -= 1.0
            if cell[1] <= 0.0:
                del bins[k]  # no float residue once a bin's last print has left
            else:
                cell[0] -= usd


def _bin_add(bins: dict[int, list[float]], k: int, usd: float) -> None:
    cell = bins.get(k)
    if cell is None:
        bins[k] = [usd, 1.0]
    else:
        cell[0] += usd
        cell[1] += 1.0
