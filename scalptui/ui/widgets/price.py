"""Price panel: last, mark, index, basis, 1m / 5m / 1h change, and a sparkline."""

from __future__ import annotations

import bisect
import itertools
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline

from scalptui.models import Bar, DetectorSnapshot
from scalptui.ui import format as fmt
from scalptui.ui.widgets.lines import LinesWidget

SPARK_BUCKET_MS = 10_000
"""One sparkline point per 10 s of event time: points arrive at a fixed cadence."""
SPARK_POINTS = 48
HOUR_MS = 3_600_000


def resample_last(
    ts: tuple[int, ...], prices: tuple[float, ...], bucket_ms: int, points: int
) -> tuple[list[int], tuple[float, ...]]:
    """The newest ``points`` fixed time buckets with a price (aligned to absolute time,
    oldest first) and the last price of each."""
    out: dict[int, float] = {}
    for t, p in zip(ts, prices, strict=False):
        out[t // bucket_ms] = p
    keys = sorted(out)[-points:]
    return keys, tuple(out[k] for k in keys)


def change_from_bars(
    bars: tuple[Bar, ...], now_ms: int, last: float | None, span_ms: int
) -> float | None:
    """Percent change over ``span_ms`` read from the warm-start candles (oldest first).

    The detector's own 1 s history starts when the app does, so for the first
    hour its 1 h change is unknown; the candles loaded at start cover that
    hour. Only candles much shorter than the span are used (5-minute candles
    for 1 h: the price "then" is at most one candle old), and only when they
    reach back past ``now - span`` without a gap.
    """
    if last is None or len(bars) < 2:
        return None
    period = bars[1].ts - bars[0].ts
    if period <= 0 or period * 6 > span_ms:
        return None
    then_ms = now_ms - span_ms
    # The close of a candle is the price at its end (open time + period).
    ends = [b.ts + period for b in bars]
    i = bisect.bisect_right(ends, then_ms) - 1
    if i < 0 or then_ms - ends[i] >= period:
        return None
    then = bars[i].close
    if then <= 0:
        return None
    return (last / then - 1.0) * 100.0


def hour_change(snap: DetectorSnapshot, warm_bars: tuple[Bar, ...]) -> float | None:
    """The 1 h change: the detector's own once it covers an hour, else the warm-start
    candles' (the panel and the watchlist strip read the same figure)."""
    if snap.change_1h_pct is not None:
        return snap.change_1h_pct
    return change_from_bars(warm_bars, snap.ts, snap.last, HOUR_MS)


def price_range_pct(points: tuple[float, ...] | list[float]) -> float | None:
    """High−low of the sparkline's points as a percent of the low: its vertical scale."""
    if not points:
        return None
    low, high = min(points), max(points)
    if low <= 0:
        return None
    return (high - low) / low * 100.0


HELD_NOTE = "  ◌ no feed"
"""After "Last" while no venue delivers the symbol: the figures are the last seen."""


class PriceLines(LinesWidget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "price--title",
        "price--last",
        "price--up",
        "price--down",
        "price--dim",
        "price--held",
    }
    DEFAULT_CSS = """
    PriceLines { height: auto; }
    PriceLines > .price--title { color: $primary; text-style: bold; }
    PriceLines > .price--last { color: $foreground; text-style: bold; }
    PriceLines > .price--up { color: $up; }
    PriceLines > .price--down { color: $down; }
    PriceLines > .price--dim { color: $foreground-muted; }
    PriceLines > .price--held { color: $feed-stale; text-style: bold; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[DetectorSnapshot, tuple[float | None, ...], str] | None = None
        self._held = False

    def show(
        self,
        snap: DetectorSnapshot,
        changes: tuple[float | None, float | None, float | None] | None = None,
        scale: str = "",
        *,
        held: bool = False,
    ) -> None:
        """``changes`` are 1m / 5m / 1h (default: the snapshot's); ``scale`` sits by the title;
        ``held``: no venue delivers the symbol now, so the prices are the last ones seen."""
        if changes is None:
            changes = (snap.change_1m_pct, snap.change_5m_pct, snap.change_1h_pct)
        self._shown = (snap, changes, scale)
        self._held = held
        self._render_shown()

    def on_resize(self, event: events.Resize) -> None:
        self._render_shown()

    def _render_shown(self) -> None:
        if self._shown is None:
            return
        snap, changes, scale = self._shown
        width = self.size.width or 80
        dim = self.part("price--dim")
        title = Text().append("Price", style=self.part("price--title"))
        if scale and title.cell_len + 2 + len(scale) <= width:
            title.append(" " * (width - title.cell_len - len(scale)))
            title.append(scale, style=dim)
        last = Text().append("Last  ", style=dim)
        price_style = dim if self._held else self.part("price--last")
        last.append(fmt.price(snap.last, tick=snap.tick_size), style=price_style)
        if self._held and last.cell_len + len(HELD_NOTE) <= width:
            # the header says the feed is down; a price in full colour beside it read live
            last.append(HELD_NOTE, style=self.part("price--held"))
        basis = Text().append("Basis ", style=dim)
        basis.append(self._basis(snap))
        lines = [title, last, *self._mark_lines(snap, width), basis]
        lines += self._change_lines(changes, width)
        self.set_lines(lines)

    def _mark_lines(self, snap: DetectorSnapshot, width: int) -> list[Text]:
        """Mark and index on one line when both fit whole, else one line each."""
        dim = self.part("price--dim")
        mark = Text().append("Mark  ", style=dim)
        mark.append(fmt.price(snap.mark, tick=snap.tick_size))
        index = fmt.price(snap.index, tick=snap.tick_size)
        if mark.cell_len + 8 + len(index) <= width:
            mark.append("  Index ", style=dim)
            mark.append(index)
            return [mark]
        return [mark, Text().append("Index ", style=dim).append(index)]

    def _change_lines(self, changes: tuple[float | None, ...], width: int) -> list[Text]:
        """1m / 5m / 1h on one line (wide gaps, then narrow), else 1h on a line of its own."""
        pieces = []
        for label, value in zip(("1m ", "5m ", "1h "), changes, strict=True):
            piece = Text().append(label, style=self.part("price--dim"))
            piece.append(fmt.pct(value), style=self._signed(value))
            pieces.append(piece)
        for gap in ("  ", " "):
            line = Text(gap).join(pieces)
            if line.cell_len <= width:
                return [line]
        return [Text("  ").join(pieces[:2]), pieces[2]]

    def _basis(self, snap: DetectorSnapshot) -> str:
        if snap.mark is None or not snap.index:
            return "–"
        return f"{fmt.pct((snap.mark - snap.index) / snap.index * 100.0, digits=3)} (mark−index)"

    def _signed(self, value: float | None) -> Style | None:
        if value is None:
            return None
        return self.part("price--up" if value >= 0 else "price--down")


class PricePanel(Vertical):
    DEFAULT_CSS = """
    PricePanel { height: auto; padding: 0 1; }
    PricePanel Sparkline { height: 2; margin-top: 0; }
    PricePanel Sparkline > .sparkline--max-color { color: $up; }
    PricePanel Sparkline > .sparkline--min-color { color: $down; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spark_drawn: tuple[tuple[str, int], float, float, int] | None = None
        """What the sparkline shows: (symbol, bucket), its low and high, when drawn."""
        self._spark_scale = ""
        # Held directly: show() runs on every fast tick, a DOM query each time is waste.
        self._lines = PriceLines()
        self._spark = Sparkline((), summary_function=lambda values: values[-1])

    def compose(self) -> ComposeResult:
        yield self._lines
        yield self._spark

    def show(
        self, snap: DetectorSnapshot, warm_bars: tuple[Bar, ...] = (), *, held: bool = False
    ) -> None:
        """``warm_bars`` are the candles loaded at start: they fill the first hour's changes;
        ``held``: no venue delivers the symbol now (its figures are the last seen)."""
        changes = (snap.change_1m_pct, snap.change_5m_pct, hour_change(snap, warm_bars))
        self._show_sparkline(snap)
        self._lines.show(snap, changes, self._spark_scale, held=held)

    def _show_sparkline(self, snap: DetectorSnapshot) -> None:
        # A repaint of its two rows (a colour per cell) is most of what a quiet screen
        # sends, so it is redrawn at once only for a new 10 s or the newest point a
        # visible step (a level) beyond the range drawn, as in a crash, which then shows
        # within a tick; any other change of the newest point waits SPARK_NEWEST_S. Only
        # the newest point can change within a 10 s, so that is all a tick looks at.
        key = (snap.symbol, len(snap.price_ts) and snap.price_ts[-1] // SPARK_BUCKET_MS)
        drawn = self._spark_drawn
        if drawn is not None and drawn[0] == key and snap.prices:
            newest = snap.prices[-1]
            step = max((drawn[2] - drawn[1]) / SPARK_LEVELS, drawn[1] * SPARK_STEP_MIN)
            inside = drawn[1] - step <= newest <= drawn[2] + step
            if inside and snap.ts - drawn[3] < SPARK_NEWEST_S * 1000:
                return
        shown, span_ms, gap = spark_points(snap.price_ts, snap.prices)
        low, high = (min(shown), max(shown)) if shown else (0.0, 0.0)
        self._spark_drawn = (key, low, high, snap.ts)
        self._spark.data = list(shown)
        self._spark.visible = bool(shown)  # an empty sparkline would draw a flat market
        # The sparkline fills its height whatever the move: its range says how big it is.
        self._spark_scale = spark_scale(shown, span_ms, gap=gap)


def spark_points(
    ts: tuple[int, ...], prices: tuple[float, ...]
) -> tuple[tuple[float, ...], int, bool]:
    """The sparkline's points, the last price of each 10 s (the newest being the bucket
    still filling, so a crash shows within a tick, not up to 10 s later), the time they
    cover: from the oldest bucket to the newest, an outage inside included (counted in
    points, buckets without a price, it read "2m range" over three and a half minutes),
    and whether a gap of ``SPARK_GAP_BUCKETS`` or more without a price lies inside
    (the points on either side of it are drawn side by side)."""
    buckets, points = resample_last(ts, prices, SPARK_BUCKET_MS, SPARK_POINTS)
    # Fewer than three points draw as a flat block that suggests a trend: wait.
    if len(points) < 3:
        return (), 0, False
    gap = any(b - a > SPARK_GAP_BUCKETS for a, b in itertools.pairwise(buckets))
    return points, (buckets[-1] - buckets[0] + 1) * SPARK_BUCKET_MS, gap


SPARK_GAP_BUCKETS = 3
"""30 s and more without a price inside the sparkline is a gap its title names: the
jump across an outage was drawn as a step of the market's, nothing to tell it apart."""


SPARK_NEWEST_S = 3.0
"""Inside the range already drawn, the newest point is redrawn at most this often."""
SPARK_LEVELS = 16
"""Block heights a two-row sparkline can draw (eight per row)."""
SPARK_STEP_MIN = 0.0002
"""A new high or low redraws at once from 0.02 % past the range drawn (a calm range of
a few hundredths of a percent would otherwise redraw at every tick of a drift)."""


def spark_scale(points: tuple[float, ...], span_ms: int, *, gap: bool = False) -> str:
    """``8m range 0.05 %``: the time and the price move the sparkline's height stands for;
    ``, gap`` when no price came for a while inside it (its range spans the gap)."""
    spread = price_range_pct(points)
    if spread is None:
        return ""
    minutes = span_ms // 60_000
    digits = 2 if spread >= 0.1 else 3
    scale = f"{minutes or '<1'}m range {fmt.pct(spread, digits=digits, signed=False)}"
    return f"{scale}, gap" if gap else scale
