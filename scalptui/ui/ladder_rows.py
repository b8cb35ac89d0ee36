"""Fold the detector's ladder bins into the rows the screen has room for.

Rows sit on a grid of absolute prices (multiples of the row width), so the
view moves only when price crosses a row boundary: an unchanged row stays
byte-for-byte the same and is not redrawn. Everything beyond the top or bottom
row is summed into an edge row, so far clusters (5× levels ≈ 20 % away) are
never lost from view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from scalptui.models import LadderBin


class Edge(StrEnum):
    NONE = ""
    ABOVE = "above"
    BELOW = "below"


@dataclass(frozen=True, slots=True)
class LadderRow:
    low: float
    high: float
    long_usd: float = 0.0
    short_usd: float = 0.0
    realized_long_usd: float = 0.0
    realized_short_usd: float = 0.0
    hit_long_usd: float = 0.0
    hit_short_usd: float = 0.0
    edge: Edge = Edge.NONE
    has_price: bool = False

    @property
    def total_usd(self) -> float:
        return self.long_usd + self.short_usd

    @property
    def realized_usd(self) -> float:
        return self.realized_long_usd + self.realized_short_usd

    @property
    def hit(self) -> bool:
        return self.hit_long_usd > 0 or self.hit_short_usd > 0


def row_width(price: float, span_pct: float, rows: int, bin_width: float) -> float:
    """A whole number of bins covering ±span_pct over ``rows`` rows."""
    ideal = 2.0 * price * span_pct / 100.0 / max(rows, 1)
    if bin_width > 0:
        return bin_width * max(1, math.ceil(ideal / bin_width - 1e-9))
    return nice_step(ideal)


def nice_step(value: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at least ``value``."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for mult in (1.0, 2.0, 2.5, 5.0, 10.0):
        if power * mult >= value - 1e-12:
            return power * mult
    return power * 10.0


@dataclass(frozen=True, slots=True)
class Grid:
    """The price rows a ladder of ``inner`` rows draws: ``inner`` rows of ``width`` from
    ``bottom_index * width`` up. It is wider than ±span whenever rows are whole bins."""

    width: float
    bottom_index: int
    inner: int

    @property
    def bottom(self) -> float:
        return self.bottom_index * self.width

    @property
    def top(self) -> float:
        return self.bottom + self.inner * self.width


def grid_for(price: float, span_pct: float, rows: int, bin_width: float) -> Grid:
    """The grid ``build_rows`` lays out for ``rows`` rows (two of them edge rows)."""
    inner = max(rows - 2, 1)
    width = row_width(price, span_pct, inner, bin_width)
    return Grid(width, math.floor(price / width) - inner // 2, inner)


def covering_span_pct(grid: Grid, reference: float, span_pct: float, bin_width: float) -> float:
    """The ±span (percent of ``reference``) a snapshot needs so every grid row holds its bins.

    The detector cuts its snapshot at ±span of its reference price (the mark);
    a grid of whole-bin rows reaches further than the zoom's span, and rows
    beyond the snapshot's cut would be blank while their money sat in the edge
    rows. The answer has a bin of margin and is rounded up to an eighth of the
    zoom span, so it changes only when price moves that far (the detector keeps
    its rows per requested span).
    """
    if reference <= 0 or not math.isfinite(reference):
        return span_pct
    reach = max(reference - grid.bottom, grid.top - reference, 0.0) + max(bin_width, 0.0)
    needed = reach / reference * 100.0
    step = span_pct / 8.0 if span_pct > 0 else 0.1
    return max(span_pct, math.ceil(needed / step - 1e-9) * step)


def build_rows(
    bins: tuple[LadderBin, ...],
    price: float,
    span_pct: float,
    rows: int,
    bin_width: float,
) -> tuple[LadderRow, ...]:
    """``rows`` rows, highest price first: an edge row, the grid rows, an edge row."""
    grid = grid_for(price, span_pct, rows, bin_width)
    inner, width, bottom_index = grid.inner, grid.width, grid.bottom_index
    bottom, top = grid.bottom, grid.top
    acc = [[0.0] * 6 for _ in range(inner + 2)]  # 0 = below edge, inner + 1 = above edge
    for b in bins:
        slot = _slot_of(b, bottom, top, width, inner)
        values = acc[slot]
        values[0] += b.long_usd
        values[1] += b.short_usd
        values[2] += b.realized_long_usd
        values[3] += b.realized_short_usd
        values[4] += b.hit_long_usd
        values[5] += b.hit_short_usd
    out: list[LadderRow] = []
    for slot in range(inner + 1, -1, -1):
        if slot == inner + 1:
            low, high, edge = top, math.inf, Edge.ABOVE
        elif slot == 0:
            low, high, edge = -math.inf, bottom, Edge.BELOW
        else:
            low = (bottom_index + slot - 1) * width
            high, edge = low + width, Edge.NONE
        v = acc[slot]
        out.append(
            LadderRow(
                low=low,
                high=high,
                long_usd=v[0],
                short_usd=v[1],
                realized_long_usd=v[2],
                realized_short_usd=v[3],
                hit_long_usd=v[4],
                hit_short_usd=v[5],
                edge=edge,
                has_price=edge is Edge.NONE and low <= price < high,
            )
        )
    if rows < 2:
        return tuple(r for r in out if r.edge is Edge.NONE)[:rows]
    return tuple(out)


def _slot_of(b: LadderBin, bottom: float, top: float, width: float, inner: int) -> int:
    if b.edge:
        # The detector's edge rows sum everything beyond its span on one side.
        return 0 if b.high <= (bottom + top) / 2.0 else inner + 1
    if b.high <= bottom:
        return 0
    if b.low >= top:
        return inner + 1
    mid = (max(b.low, bottom) + min(b.high, top)) / 2.0
    return min(inner, max(1, int((mid - bottom) // width) + 1))
