"""Scoring a liquidation ladder against the simulator's true map (for ``bench_ladder.py``).

Pure functions and one small class, no I/O:

* ``view_edges`` — the bins a ladder view shows: the snapshot's own rows within
  ±``span_pct`` of the mark (the TUI's default zoom is ±3 %), edge rows left out.
* ``overlap`` — Σ min(pᵢ, qᵢ) of the two distributions, each normalised to 1:
  1 is the same shape, 0 no common bin.
* ``emd_pct`` — the 1-D earth mover's distance between them: Σ |Pᵢ − Qᵢ| · w over
  the cumulative sums P, Q on equal bins of width w — how far, on average, the
  estimated money sits from the true money — in percent of the mark.
* ``ClassicLadder`` — the volume-only ladder of public heatmaps, the peer.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

CLASSIC_OFFSETS = ((100, 0.01), (50, 0.02), (25, 0.04), (10, 0.10))
"""(leverage, distance from the trade price): the classic ladder's four levels per trade;
each gets an equal quarter of the trade's notional."""


@dataclass(frozen=True, slots=True)
class SideScore:
    """One side of one snapshot: ``empty`` when the estimate held nothing in the view
    (then overlap is 0 and the EMD is the view's full width, the worst possible)."""

    overlap: float
    emd_pct: float
    empty: bool


def normalised(values: Sequence[float]) -> FloatArray | None:
    """``values`` scaled to sum to 1, or None when they hold nothing."""
    array = np.clip(np.asarray(values, dtype=np.float64), 0.0, None)
    total = float(array.sum())
    if not total > 0.0 or not math.isfinite(total):
        return None
    return array / total


def overlap(p: FloatArray, q: FloatArray) -> float:
    """Σ min(pᵢ, qᵢ) of two normalised distributions on the same bins."""
    return float(np.minimum(p, q).sum())


def emd_pct(p: FloatArray, q: FloatArray, width: float, mark: float) -> float:
    """Earth mover's distance between two normalised distributions on equal bins of
    ``width``, in percent of ``mark``."""
    return float(np.abs(np.cumsum(p - q)).sum()) * width / mark * 100.0


def score_side(
    estimate: Sequence[float], truth: Sequence[float], width: float, mark: float
) -> SideScore | None:
    """Score one side; None when the truth holds nothing in the view (nothing to score)."""
    q = normalised(truth)
    if q is None:
        return None
    p = normalised(estimate)
    if p is None:
        return SideScore(0.0, len(q) * width / mark * 100.0, True)
    return SideScore(overlap(p, q), emd_pct(p, q, width, mark), False)


@dataclass(frozen=True, slots=True)
class View:
    """The rows a ladder view shows: ``edges`` (len n + 1) and the snapshot's values there."""

    edges: tuple[float, ...]
    long_usd: tuple[float, ...]
    short_usd: tuple[float, ...]

    @property
    def width(self) -> float:
        return self.edges[1] - self.edges[0]


def view_of_snapshot(record: dict[str, Any], span_pct: float) -> View | None:
    """The snapshot record's inner rows within ±``span_pct`` of its mark (else last price).

    The detector's grid is ``[k·w, (k + 1)·w)``; the view is rows
    ``bin_of(ref·(1 − span)) … bin_of(ref·(1 + span))``, as the TUI asks for them.
    None when the snapshot has no price or no rows yet.
    """
    ref = record.get("mark") or record.get("price")
    rows = [row for row in record.get("ladder", []) if not row.get("edge")]
    if not ref or not rows:
        return None
    width = rows[0]["high"] - rows[0]["low"]
    lo = math.floor(ref * (1 - span_pct / 100) / width)
    hi = math.floor(ref * (1 + span_pct / 100) / width)
    chosen = [row for row in rows if lo <= round(row["low"] / width) <= hi]
    if not chosen:
        return None
    edges = (*(row["low"] for row in chosen), chosen[-1]["high"])
    return View(
        tuple(float(e) for e in edges),
        tuple(float(row["long_usd"]) for row in chosen),
        tuple(float(row["short_usd"]) for row in chosen),
    )


class ClassicLadder:
    """The classic volume-only ladder.

    Each taker buy opens longs at fixed offsets below its price (100× at 1 %, 50× at
    2 %, 25× at 4 %, 10× at 10 %), each taker sell shorts at the same offsets above,
    the trade's notional split equally over the four. A level is gone once a trade
    prints at or through it. Nothing else: no open interest, no decay.
    """

    def __init__(self) -> None:
        self._longs: list[tuple[float, float]] = []  # (−level, usd): highest level first
        self._shorts: list[tuple[float, float]] = []  # (level, usd): lowest level first

    def on_trade(self, price: float, amount: float, taker_buy: bool) -> None:
        if not (price > 0.0 and amount > 0.0) or math.isinf(price * amount):
            return
        while self._longs and -self._longs[0][0] >= price:
            heapq.heappop(self._longs)
        while self._shorts and self._shorts[0][0] <= price:
            heapq.heappop(self._shorts)
        part = price * amount / len(CLASSIC_OFFSETS)
        for _, offset in CLASSIC_OFFSETS:
            if taker_buy:
                heapq.heappush(self._longs, (-price * (1 - offset), part))
            else:
                heapq.heappush(self._shorts, (price * (1 + offset), part))

    def levels(self) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """(level, usd) of every live long and short level."""
        return [(-k, usd) for k, usd in self._longs], list(self._shorts)

    def on_grid(self, edges: Sequence[float]) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Long and short notional per bin ``[edges[i], edges[i + 1])``."""
        return self.bin_levels(self.levels(), edges)

    @staticmethod
    def bin_levels(
        levels: tuple[list[tuple[float, float]], list[tuple[float, float]]],
        edges: Sequence[float],
    ) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """``levels()`` taken earlier, binned like ``on_grid``."""
        return _binned(levels[0], edges), _binned(levels[1], edges)


def _binned(levels: list[tuple[float, float]], edges: Sequence[float]) -> tuple[float, ...]:
    grid = np.asarray(edges, dtype=np.float64)
    count = len(grid) - 1
    if not levels:
        return (0.0,) * count
    prices = np.array([level for level, _ in levels], dtype=np.float64)
    usd = np.array([value for _, value in levels], dtype=np.float64)
    index = np.searchsorted(grid, prices, side="right") - 1
    inside = (index >= 0) & (index < count)
    sums = np.bincount(index[inside], weights=usd[inside], minlength=count)
    return tuple(float(x) for x in sums)
