"""The truth a liquidation ladder estimates: open notional by liquidation price.

Separate from the market model because it is what the simulator *exports* — to the
``/sim/v1/liquidationMap`` endpoint, the ladder benchmark and the tests — not how the
market moves: a snapshot of positions (``OpenPositions``) and its binning on a grid
(``LiquidationMap``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LiquidationMap:
    """Open notional (USD) by liquidation price on a grid, per side: what a ladder estimates.

    Notional is each position's size × its entry price — what an estimator gets from
    open interest × price. Bin ``i`` covers ``[edges[i], edges[i + 1])``; notional
    whose liquidation price is off the grid is in ``*_outside_usd``.
    """

    symbol: str
    ts: int
    mark: float
    edges: tuple[float, ...]
    long_usd: tuple[float, ...]
    short_usd: tuple[float, ...]
    long_outside_usd: float
    short_outside_usd: float

    @property
    def long_total_usd(self) -> float:
        return math.fsum(self.long_usd) + self.long_outside_usd

    @property
    def short_total_usd(self) -> float:
        return math.fsum(self.short_usd) + self.short_outside_usd

    def to_record(self) -> dict[str, Any]:
        """The ``/sim/v1/liquidationMap`` answer (numbers, not Binance's strings)."""
        return {
            "symbol": self.symbol,
            "time": self.ts,
            "markPrice": self.mark,
            "longOpenUsd": self.long_total_usd,
            "shortOpenUsd": self.short_total_usd,
            "longOutsideUsd": self.long_outside_usd,
            "shortOutsideUsd": self.short_outside_usd,
            "bins": [
                {"low": low, "high": high, "longUsd": long_usd, "shortUsd": short_usd}
                for low, high, long_usd, short_usd in zip(
                    self.edges[:-1], self.edges[1:], self.long_usd, self.short_usd, strict=True
                )
            ],
        }


@dataclass(frozen=True, slots=True, eq=False)
class OpenPositions:
    """Liquidation price and notional of every open position of one symbol at ``ts``."""

    symbol: str
    ts: int
    mark: float
    long_liq: FloatArray
    long_usd: FloatArray
    short_liq: FloatArray
    short_usd: FloatArray

    @classmethod
    def from_rows(
        cls,
        symbol: str,
        ts: int,
        mark: float,
        longs: list[tuple[float, float]],
        shorts: list[tuple[float, float]],
    ) -> OpenPositions:
        """From ``(liquidation price, notional)`` rows per side."""
        return cls(
            symbol,
            ts,
            mark,
            _column(longs, 0),
            _column(longs, 1),
            _column(shorts, 0),
            _column(shorts, 1),
        )

    def on_grid(self, edges: Sequence[float]) -> LiquidationMap:
        """Bin the positions on ``edges`` (at least two, finite, strictly increasing)."""
        grid = np.asarray(edges, dtype=np.float64)
        if grid.ndim != 1 or len(grid) < 2 or not np.all(np.isfinite(grid)):
            raise ValueError("a liquidation map needs at least two finite bin edges")
        if not np.all(np.diff(grid) > 0):
            raise ValueError("bin edges must be strictly increasing")
        long_bins, long_out = _histogram(self.long_liq, self.long_usd, grid)
        short_bins, short_out = _histogram(self.short_liq, self.short_usd, grid)
        return LiquidationMap(
            self.symbol,
            self.ts,
            self.mark,
            tuple(float(e) for e in grid),
            long_bins,
            short_bins,
            long_out,
            short_out,
        )


def _column(rows: list[tuple[float, float]], index: int) -> FloatArray:
    return np.array([row[index] for row in rows], dtype=np.float64)


def _histogram(
    prices: FloatArray, usd: FloatArray, edges: FloatArray
) -> tuple[tuple[float, ...], float]:
    """Sum ``usd`` into ``[edges[i], edges[i + 1])`` by price; also what falls outside."""
    count = len(edges) - 1
    index = np.searchsorted(edges, prices, side="right") - 1
    inside = (index >= 0) & (index < count)
    sums = np.bincount(index[inside], weights=usd[inside], minlength=count)
    return tuple(float(x) for x in sums), float(usd[~inside].sum())


def default_map_edges(tick: float, reference_price: float, mark: float) -> list[float]:
    """Bins of 0.1 % of the symbol's reference price (a tick multiple, fixed for the
    market's life like the ladder's grid), covering ±30 % of the mark."""
    width = max(tick, round(reference_price * 0.001 / tick) * tick)
    low = math.floor(mark * 0.7 / width)
    high = math.ceil(mark * 1.3 / width)
    return [k * width for k in range(low, high + 1)]
