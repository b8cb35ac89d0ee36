"""The estimated liquidation ladder: long clusters below price, short clusters above.

Every row is quantised (integer bar cells, three significant figures) and
lives on a fixed price grid, so a tick that changes nothing visible rewrites
nothing; clusters being consumed flash at 2 Hz while the detector marks them hit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events

from scalptui.models import DetectorSnapshot
from scalptui.ui import format as fmt
from scalptui.ui.ladder_rows import (
    Edge,
    Grid,
    LadderRow,
    build_rows,
    covering_span_pct,
    grid_for,
)
from scalptui.ui.widgets.lines import LinesWidget

LONG_GLYPH = "█"
SHORT_GLYPH = "▒"
VALUE_WIDTH = 7
REAL_WIDTH = 9


def _held_key(snap: DetectorSnapshot, span_pct: float, rows: int) -> tuple[object, ...]:
    # Not the venue or the bin width: on several venues both change as a venue's rows
    # come into the span or leave it (``row_width`` drops a width under a bin itself).
    return (snap.symbol, span_pct, rows)


@dataclass(frozen=True, slots=True)
class LadderInput:
    snapshot: DetectorSnapshot
    span_pct: float
    flash_on: bool


class LadderView(LinesWidget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "ladder--title",
        "ladder--long",
        "ladder--short",
        "ladder--realized",
        "ladder--realized-long",
        "ladder--realized-short",
        "ladder--price",
        "ladder--hit",
        "ladder--edge",
        "ladder--dim",
    }
    DEFAULT_CSS = """
    LadderView { height: 1fr; padding: 0 1; }
    LadderView > .ladder--title { color: $primary; text-style: bold; }
    LadderView > .ladder--long { color: $long-liq; }
    LadderView > .ladder--short { color: $short-liq; }
    LadderView > .ladder--realized { color: $realized-liq; text-style: bold; }
    LadderView > .ladder--realized-long { color: $long-liq; text-style: bold; }
    LadderView > .ladder--realized-short { color: $short-liq; text-style: bold; }
    LadderView > .ladder--price { color: $price-row; text-style: bold; }
    LadderView > .ladder--hit { background: $hit-flash; color: $background; text-style: bold; }
    LadderView > .ladder--edge { color: $foreground-muted; text-style: italic; }
    LadderView > .ladder--dim { color: $foreground-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._input: LadderInput | None = None
        self.rows: tuple[LadderRow, ...] = ()
        # Lines of the last frame by row key: a tick rebuilds only rows that changed.
        self._row_cache: dict[_RowKey, Text] = {}
        self._next_cache: dict[_RowKey, Text] = {}
        self._memo: tuple[object, ...] | None = None
        self._held: tuple[tuple[object, ...], float] | None = None
        """The row width on screen and what it was laid out for (symbol, zoom, rows)."""

    def _grid(self, snap: DetectorSnapshot, price: float, span_pct: float, rows: int) -> Grid:
        """The grid for ``rows`` rows, keeping the row width on screen while it fits, so
        that price crossing a round number does not re-lay every row."""
        key = _held_key(snap, span_pct, rows)
        held = self._held[1] if self._held is not None and self._held[0] == key else None
        return grid_for(price, span_pct, rows, snap.bin_width, held)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._row_cache.clear()
        self._memo = None

    def show(self, snap: DetectorSnapshot, span_pct: float, flash_on: bool) -> None:
        self._input = LadderInput(snap, span_pct, flash_on)
        self._render_input()

    def on_resize(self, event: events.Resize) -> None:
        self._render_input()

    def span_to_request(self, span_pct: float, snap: DetectorSnapshot | None) -> float:
        """The ±span to ask the detector for so the rows this view draws are all filled.

        ``snap`` is a recent snapshot of the symbol (its price and bin width place
        the grid); without one the zoom's own span is the best guess.
        """
        if snap is None or snap.bin_width <= 0:
            return span_pct
        price = snap.last if snap.last is not None else snap.mark
        reference = snap.mark if snap.mark is not None else snap.last  # the detector's cut
        if price is None or reference is None:
            return span_pct
        grid = self._grid(snap, price, span_pct, self._row_count())
        return covering_span_pct(grid, reference, span_pct, snap.bin_width)

    def reach_pct(self, span_pct: float) -> float | None:
        """How far (± percent of price) the rows drawn for ``span_pct`` reach: a row is a
        round price step no narrower than an estimate bin, so the grid is a little wider
        than the zoom asks (unknown before a price and a ladder)."""
        if self._input is None:
            return None
        snap = self._input.snapshot
        price = snap.last if snap.last is not None else snap.mark
        if price is None or price <= 0 or not snap.ladder:
            return None
        return _reach_pct(self._grid(snap, price, span_pct, self._row_count()), price)

    def _row_count(self) -> int:
        """Rows under the title line: edge row, grid rows, edge row."""
        return max(self.content_size.height, 3) - 1

    def _render_input(self) -> None:
        if self._input is None:
            return
        snap, span, flash = self._input.snapshot, self._input.span_pct, self._input.flash_on
        height = max(self.content_size.height, 3)
        width = max(self.content_size.width, 20)
        price = snap.last if snap.last is not None else snap.mark
        if price is None or not snap.ladder:
            lines = [self._title(span, width)]
            lines.append(Text().append("waiting for data…", style=self.part("ladder--dim")))
            self.rows = ()
            self._memo = None
            self.set_lines(lines)
            return
        # the rows build_rows lays out (it finds the same grid): the title says their reach
        layout_grid = self._grid(snap, price, span, height - 1)
        self._held = (_held_key(snap, span, height - 1), layout_grid.width)
        lines = [self._title(_reach_pct(layout_grid, price) if price > 0 else span, width)]
        lower_bound = any(liq.sampled for liq in snap.recent_liquidations)
        grid = layout_grid.width
        flashing = flash if any(b.hit_long_usd or b.hit_short_usd for b in snap.ladder) else None
        memo = (
            snap.ladder,
            grid,
            math.floor(price / grid),
            span,
            height,
            width,
            flashing,
            lower_bound,
        )
        if memo == self._memo:
            return  # same bins, same price row: every line would come out the same
        self._memo = memo
        self.rows = build_rows(snap.ladder, price, span, height - 1, snap.bin_width, grid)
        layout = _Columns.fit(width, self.rows, snap)
        scale = max((r.total_usd for r in self.rows if r.edge is Edge.NONE), default=0.0)
        self._next_cache = {}
        for row in self.rows:
            lines.append(self._row_text(row, layout, scale, flash, lower_bound))
        self._row_cache, self._next_cache = self._next_cache, {}
        self.set_lines(lines)

    def _title(self, span: float, width: int) -> Text:
        text = Text().append("Liq. clusters (est.)", style=self.part("ladder--title"))
        text.append(f" ±{span_label(span)} %", style=self.part("ladder--dim"))
        legend = Text("  ")
        legend.append(LONG_GLYPH, style=self.part("ladder--long"))
        legend.append(" longs ")
        legend.append(SHORT_GLYPH, style=self.part("ladder--short"))
        legend.append(" shorts ")
        legend.append("✱", style=self.part("ladder--realized"))
        legend.append(" realised")
        if text.cell_len + legend.cell_len <= width:
            text.append_text(legend)
        else:
            short = Text(" ")
            short.append(LONG_GLYPH, style=self.part("ladder--long"))
            short.append("long ")
            short.append(SHORT_GLYPH, style=self.part("ladder--short"))
            short.append("short")
            if text.cell_len + short.cell_len <= width:
                text.append_text(short)
        return text

    def _row_text(
        self, row: LadderRow, cols: _Columns, scale: float, flash: bool, lower_bound: bool
    ) -> Text:
        key = _row_key(row, cols, scale, flash, lower_bound)
        text = self._row_cache.get(key)
        if text is None:
            text = self._text_of(key)
        self._next_cache[key] = text
        return text

    def _text_of(self, key: _RowKey) -> Text:
        """The styled line for one quantised row (only built when that row changed)."""
        (label, label_part, long_cells, short_cells, overflow, fill, value, value_part, real,
         real_part, hit) = key  # fmt: skip
        text = Text().append(label, style=self.part(label_part))
        text.append(" ")
        text.append(LONG_GLYPH * long_cells, style=self.part("ladder--long"))
        text.append(SHORT_GLYPH * short_cells, style=self.part("ladder--short"))
        if overflow:
            text.append("»", style=self.part("ladder--edge"))
        text.append(fill, style=self.part("ladder--price"))
        text.append(" ")
        text.append(value, style=self.part(value_part))
        if real is not None:  # the mark in the realised colour, the amount in the side's
            pad, mark, amount = real.partition("✱")
            text.append(pad)
            text.append(mark, style=self.part("ladder--realized"))
            text.append(amount, style=self.part(real_part))
        if hit:
            text.stylize(self.part("ladder--hit"))
        return text


_RowKey = tuple[str, str, int, int, bool, str, str, str, "str | None", str, bool]


def _row_key(
    row: LadderRow, cols: _Columns, scale: float, flash: bool, lower_bound: bool
) -> _RowKey:
    """Everything a row's line shows, quantised: equal keys draw identical lines."""
    if row.edge is not Edge.NONE:
        label, label_part = _edge_label(row, cols.tick).rjust(cols.label + 1), "ladder--edge"
    elif row.has_price:
        label = "▶" + fmt.price(row.low, tick=cols.tick).rjust(cols.label)
        label_part = "ladder--price"
    else:
        label = " " + fmt.price(row.low, tick=cols.tick).rjust(cols.label)
        label_part = "ladder--dim"
    width = cols.bar
    long_cells, short_cells = _bar_cells(row, width, scale)
    overflow = long_cells + short_cells > width
    if overflow:  # only edge rows can exceed the view's scale
        total = long_cells + short_cells
        long_cells = long_cells * (width - 1) // total
        short_cells = width - 1 - long_cells
    used = long_cells + short_cells + (1 if overflow else 0)
    fill = ("─" if row.has_price else " ") * max(0, width - used)
    value = (fmt.usd(row.total_usd) if row.total_usd >= 1 else "").rjust(VALUE_WIDTH)
    value_part = "ladder--long" if row.long_usd >= row.short_usd else "ladder--short"
    real: str | None = None
    # In the colour of the side liquidated: after a squeeze the shorts' liquidations sit
    # on rows below the price, beside the longs' bars, and read as longs liquidated.
    longs_liquidated = row.realized_long_usd >= row.realized_short_usd
    real_part = "ladder--realized-long" if longs_liquidated else "ladder--realized-short"
    if cols.real:
        real = ""
        if row.realized_usd >= 1:
            real = "✱" + fmt.usd(row.realized_usd, lower_bound=lower_bound).replace(" ", "")
        real = real.rjust(REAL_WIDTH)
    return (label, label_part, long_cells, short_cells, overflow, fill, value, value_part, real,
            real_part, row.hit and flash)  # fmt: skip


def _bar_cells(row: LadderRow, width: int, scale: float) -> tuple[int, int]:
    if scale <= 0 or width <= 0:
        return 0, 0
    return round(row.long_usd / scale * width), round(row.short_usd / scale * width)


@dataclass(frozen=True, slots=True)
class _Columns:
    label: int
    bar: int
    real: bool
    tick: float | None

    @classmethod
    def fit(cls, width: int, rows: tuple[LadderRow, ...], snap: DetectorSnapshot) -> _Columns:
        inner = [r for r in rows if r.edge is Edge.NONE]
        step = inner[0].high - inner[0].low if inner else None
        tick = _label_tick(step)
        label = max((len(fmt.price(r.low, tick=tick)) for r in inner), default=8)
        edges = [len(_edge_label(r, tick)) - 1 for r in rows if r.edge is not Edge.NONE]
        label = max([label, *edges])
        fixed = 1 + label + 1 + 1 + VALUE_WIDTH
        real = width - fixed - REAL_WIDTH >= 12
        bar = width - fixed - (REAL_WIDTH if real else 0)
        return cls(label=label, bar=max(bar, 1), real=real, tick=tick)


def _edge_label(row: LadderRow, tick: float | None) -> str:
    """``Σ>97,003`` / ``Σ<90,012``: the edge rows sum everything beyond the view."""
    if row.edge is Edge.ABOVE:
        return "Σ>" + fmt.price(row.low, tick=tick)
    return "Σ<" + fmt.price(row.high, tick=tick)


def _label_tick(step: float | None) -> float | None:
    """Decimals enough to tell adjacent rows apart, and no more."""
    if step is None or step <= 0:
        return None
    decimals = 0
    while step * 10**decimals < 1 and decimals < 8:
        decimals += 1
    if abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6 and decimals < 8:
        decimals += 1
    return 10.0**-decimals


def _reach_pct(grid: Grid, price: float) -> float:
    """How far (± percent of ``price``) the rows of ``grid`` reach."""
    return (grid.top - grid.bottom) / 2.0 / price * 100.0


def span_label(reach_pct: float) -> str:
    """``3.9``, ``13``: the rows' reach, two figures at most (it moves with price)."""
    if reach_pct >= 10:
        return f"{reach_pct:.0f}"
    return f"{reach_pct:.1f}".removesuffix(".0")
