"""Fold the detector's ladder bins into the rows the screen has room for.

Rows sit on a grid of absolute prices (multiples of a round row width), so the
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


HELD_WIDTH = (0.9, 1.4)
"""A row width already on screen is kept while it is within these multiples of the width
the zoom asks for (the round widths are a third apart at most): the grid re-laid itself
whenever price crossed a width's edge (BTC at 100,000), in the middle of a cascade."""


def row_width(
    price: float, span_pct: float, rows: int, bin_width: float, held: float | None = None
) -> float:
    """A round width (``ROUND_STEPS`` × a power of ten) covering ±span_pct over ``rows``
    rows, never narrower than an estimate bin.

    The estimator's bins are 0.1 % of the first price seen (100.6 for BTC first
    seen at 100,574.8), so rows of whole bins read 103,819.2, 103,517.4 … and moved
    with every restart; round rows read 103,800, 103,600 and a bin straddling two
    of them is shared between both (``build_rows``).
    """
    ideal = 2.0 * price * span_pct / 100.0 / max(rows, 1)
    low, high = HELD_WIDTH
    if held is not None and held >= bin_width and low * ideal <= held <= high * ideal:
        return held
    if bin_width > 0:
        return round_step(max(ideal, bin_width))
    return nice_step(ideal)


ROUND_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
"""Row widths whose multiples read as round prices, each at most a third above the one
before it: a fresh view is never more than a third wider than the zoom asks for it to
be (a width held on screen, up to 1.4×: ``HELD_WIDTH``)."""


def round_step(value: float) -> float:
    """The least of ``ROUND_STEPS`` × a power of ten that is at least ``value``."""
    return _step_at_least(value, ROUND_STEPS)


def nice_step(value: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at least ``value``."""
    return _step_at_least(value, (1.0, 2.0, 2.5, 5.0, 10.0))


def _step_at_least(value: float, mults: tuple[float, ...]) -> float:
    if value <= 0 or not math.isfinite(value):
        return 1.0
    value *= 1.0 - 1e-9  # a width that is a round number in float noise stays that number
    power = 10.0 ** math.floor(math.log10(value))
    for mult in mults:
        if power * mult >= value:
            return power * mult
    return power * 10.0


@dataclass(frozen=True, slots=True)
class Grid:
    """The price rows a ladder of ``inner`` rows draws: ``inner`` rows of ``width`` from
    ``bottom_index * width`` up. It is wider than ±span whenever the row width is rounded
    up (to a round number, to a bin)."""

    width: float
    bottom_index: int
    inner: int

    @property
    def bottom(self) -> float:
        return self.bottom_index * self.width

    @property
    def top(self) -> float:
        return self.bottom + self.inner * self.width


def grid_for(
    price: float, span_pct: float, rows: int, bin_width: float, held: float | None = None
) -> Grid:
    """The grid ``build_rows`` lays out for ``rows`` rows (two of them edge rows);
    ``held``: the row width on screen, kept while it still fits (``row_width``)."""
    inner = max(rows - 2, 1)
    width = row_width(price, span_pct, inner, bin_width, held)
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
    held: float | None = None,
) -> tuple[LadderRow, ...]:
    """``rows`` rows, highest price first: an edge row, the grid rows, an edge row."""
    grid = grid_for(price, span_pct, rows, bin_width, held)
    inner, width, bottom_index = grid.inner, grid.width, grid.bottom_index
    bottom, top = grid.bottom, grid.top
    acc = [[0.0] * 6 for _ in range(inner + 2)]  # 0 = below edge, inner + 1 = above edge
    for b in bins:
        for slot, share in _slots_of(b, bottom, top, width, inner):
            values = acc[slot]
            values[0] += b.long_usd * share
            values[1] += b.short_usd * share
            values[2] += b.realized_long_usd * share
            values[3] += b.realized_short_usd * share
            values[4] += b.hit_long_usd * share
            values[5] += b.hit_short_usd * share
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


def _slots_of(
    b: LadderBin, bottom: float, top: float, width: float, inner: int
) -> tuple[tuple[int, float], ...]:
    """The rows ``b`` falls in, with the share of it each holds (row 0 and ``inner + 1``
    are the edges): a bin straddling a row boundary is shared by the width on each side,
    as its notional is taken to be spread evenly across it."""
    if b.edge:
        # The detector's edge rows sum everything beyond its span on one side.
        return ((0 if b.high <= (bottom + top) / 2.0 else inner + 1, 1.0),)
    if b.high <= bottom:
        return ((0, 1.0),)
    if b.low >= top:
        return ((inner + 1, 1.0),)
    size = b.high - b.low
    first = min(inner, max(1, int((b.low - bottom) // width) + 1))
    last = min(inner, max(1, math.ceil((b.high - bottom) / width - 1e-9)))
    if size <= 0 or (first == last and bottom <= b.low and b.high <= top):
        return ((first, 1.0),)
    out: list[tuple[int, float]] = []
    if b.low < bottom:
        out.append((0, (bottom - b.low) / size))
    for slot in range(first, last + 1):
        low = max(b.low, bottom + (slot - 1) * width)
        high = min(b.high, bottom + slot * width)
        if high > low:
            out.append((slot, (high - low) / size))
    if b.high > top:
        out.append((inner + 1, (b.high - top) / size))
    return tuple(out)
