"""The plotext charts. Imported after the first frame: plotext is slow to import."""

from __future__ import annotations

import itertools
import math

from textual.color import Color
from textual_plotext import PlotextPlot

from scalptui.detector.open_interest import OI_BUCKET_MS
from scalptui.models import DetectorSnapshot, Side
from scalptui.numfmt import price_decimals
from scalptui.ui.ladder_rows import nice_step


def theme_rgb(plot: PlotextPlot, variable: str) -> tuple[int, int, int]:
    """A theme variable as the RGB triple plotext wants (colours stay in themes/)."""
    r, g, b = Color.parse(plot.app.theme_variables.get(variable, "white")).rgb
    return (r, g, b)


AXIS_LABEL_WIDTH = 7
"""Every axis label is padded to this width, so the chart's box never shifts a column."""
_SUFFIXES = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


def axis_labels(ticks: list[float], width: int = AXIS_LABEL_WIDTH) -> list[str]:
    """Compact fixed-width labels (``2.91B``, ``80.4k``) with just enough decimals
    to tell neighbouring ticks apart; the raw numbers (``2914407062.1``) are unreadable."""
    if not ticks:
        return []
    top = max(abs(t) for t in ticks)
    scale, suffix = next(((lim, suf) for lim, suf in _SUFFIXES if top >= lim), (1.0, ""))
    labels: list[str] = []
    for decimals in range(5):
        labels = [f"{t / scale:.{decimals}f}{suffix}" for t in ticks]
        if len(set(labels)) == len(labels) and _significant(ticks, scale, decimals):
            break
    return [label.rjust(width) for label in labels]


def _significant(ticks: list[float], scale: float, decimals: int) -> bool:
    """At least three significant figures on the largest tick (``2.91B``, not ``3B``)."""
    top = max(abs(t) for t in ticks) / scale
    digits = len(str(int(top))) if top >= 1 else 0
    return digits + decimals >= 3


FUNDING_AXIS_MIN_SPAN = 0.0005
"""The least range of the funding axis, in % per 8 h, so its ticks are never finer than
0.0001 %: rates that differ in the fifth decimal (three venues' estimates) are one rate
to a trader, and finer ticks made labels (``0.0100568``) wider than the axis."""


def funding_axis_range(rates: list[float]) -> tuple[float, float]:
    """The funding axis's low and high: the rates' range, widened about its middle to
    ``FUNDING_AXIS_MIN_SPAN`` when narrower (a flat series' is its one value)."""
    low, high = min(rates), max(rates)
    if high - low >= FUNDING_AXIS_MIN_SPAN or high == low:
        return low, high  # a flat series keeps its one tick, at its value
    middle = (low + high) / 2
    return middle - FUNDING_AXIS_MIN_SPAN / 2, middle + FUNDING_AXIS_MIN_SPAN / 2


def percent_labels(ticks: list[float], width: int = AXIS_LABEL_WIDTH) -> list[str]:
    """Funding per 8 h in percent, fixed width: `` 0.0142`` / ``−0.0047`` (a true minus,
    as every other number on screen); more decimals only where round ticks need them."""
    decimals = _tick_decimals(ticks, least=4, lone=4)
    return [f"{t:.{decimals}f}".replace("-", "−").rjust(width) for t in ticks]


TIME_STEPS_S = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
"""Time axis steps: ticks at round times back from now, never at plotext's odd minutes
(``-55.1 -41.4 -13.8``)."""


def round_ticks(low: float, high: float, most: int = 5) -> list[float]:
    """Round values (1, 2, 2.5 or 5 × 10^k apart) between ``low`` and ``high``, at most
    ``most`` of them; ``[low]`` when the range is a point."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        return [low]
    step = nice_step((high - low) / (most + 1))
    while step > 0:
        first = math.ceil(low / step - 1e-9)
        ticks = [k * step for k in range(first, math.floor(high / step + 1e-9) + 1)]
        if len(ticks) <= most:
            return ticks
        step = nice_step(step * 1.01)
    return [low, high]


def price_labels(ticks: list[float]) -> list[str]:
    """Prices as the rest of the screen writes them (``100,020``, ``0.414``), with the
    decimals the tick step needs, one width."""
    if not ticks:
        return []
    decimals = _tick_decimals(ticks)
    labels = [f"{t:,.{decimals}f}" for t in ticks]
    width = max(len(label) for label in labels)
    return [label.rjust(width) for label in labels]


def _tick_decimals(ticks: list[float], least: int = 0, lone: int | None = None) -> int:
    """The fewest decimals (from ``least``) that write every round tick exactly; a lone
    tick (a flat series) is a value, not a round tick: ``lone`` decimals, by default a
    price's usual ones."""
    if not ticks:
        return least
    if len(ticks) == 1:
        return lone if lone is not None else max(least, price_decimals(ticks[0]))
    step = min(b - a for a, b in itertools.pairwise(ticks))
    exact = (d for d in range(least, 9) if all(abs(round(t, d) - t) <= step * 1e-3 for t in ticks))
    return next(exact, 8)


def time_ticks(span_s: float, most: int = 5) -> tuple[list[float], list[str]]:
    """Ticks in minutes before now (``-15.0 … 0.0``) at a round step, labelled ``now``,
    ``−30s``, ``−15m``, ``−2h``."""
    span_s = max(span_s, 1.0)
    step = next((s for s in TIME_STEPS_S if span_s / s <= most - 1), TIME_STEPS_S[-1])
    count = int(span_s // step)
    seconds = [-k * step for k in range(count, -1, -1)]
    return [s / 60 for s in seconds], [_ago(-s) for s in seconds]


def _ago(seconds: int) -> str:
    if seconds == 0:
        return "now"
    if seconds < 60:
        return f"−{seconds}s"
    if seconds % 60:  # a 30 s step past the first minute: −1m30s, never a second "−1m"
        return f"−{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 3600 or seconds % 3600:
        return f"−{seconds // 60}m"
    return f"−{seconds // 3600}h"


def drawn_key(history: tuple[tuple[int, float], ...]) -> tuple[object, ...]:
    """What decides a redraw of one series: its points' count, its first point and the
    bucket of its newest. A venue streaming its open interest (Bybit, up to ~10 a
    second) replaces the newest point of the bucket in progress with every sample;
    redrawing the chart (a few ms of plotext) for each would cost more CPU than the
    rest of the screen, so that point's latest value is drawn when its bucket ends
    (the panel's text line shows the open interest of the second)."""
    if not history:
        return ()
    return (len(history), history[0], history[-1][0] // OI_BUCKET_MS)


class FundingOiChart(PlotextPlot):
    """Open interest (left axis) and funding per 8 h (right axis), recent history."""

    DEFAULT_CSS = """
    FundingOiChart { height: 1fr; min-height: 6; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._key: tuple[object, ...] | None = None

    def show(
        self,
        oi_history: tuple[tuple[int, float], ...],
        funding_history: tuple[tuple[int, float], ...],
    ) -> None:
        key = (drawn_key(oi_history), drawn_key(funding_history))
        if key == self._key:
            return
        self._key = key
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.theme(self._plotext_theme())
        span_s = 0.0
        if oi_history:
            t0 = oi_history[-1][0]
            span_s = (t0 - oi_history[0][0]) / 1000
            values = [v for _, v in oi_history]
            plt.plot([(t - t0) / 60_000 for t, _ in oi_history], values, color=self._rgb("primary"))
            ticks = round_ticks(min(values), max(values))
            plt.yticks(ticks, axis_labels(ticks), yside="left")  # type: ignore[arg-type]  # plotext takes "left"|"right"
            plt.ylabel("OI", "left")  # the stub names plotext's yside "xside"
        if funding_history:
            t0 = funding_history[-1][0]
            span_s = max(span_s, (t0 - funding_history[0][0]) / 1000)
            rates = [v * 100 for _, v in funding_history]
            plt.plot(
                [(t - t0) / 60_000 for t, _ in funding_history],
                rates,
                color=self._rgb("warning"),
                yside="right",
            )
            low, high = funding_axis_range(rates)
            if high > low:  # the axis spans the widened range, not plotext's own guess
                plt.ylim(low, high, yside="right")  # type: ignore[arg-type]  # the stub's yside is wrong
            ticks = round_ticks(low, high)
            plt.yticks(ticks, percent_labels(ticks), yside="right")  # type: ignore[arg-type]
            plt.ylabel("fund %/8h", "right")
        # The axes are named under the chart, not by a legend over the newest points
        # whose side marks (plotext's ``L`` / ``⅃``) nobody could read.
        plt.xticks(*time_ticks(span_s, most=4))
        self.refresh()

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._forget())

    def _forget(self) -> None:
        self._key = None

    def _plotext_theme(self) -> str:
        return f"textual-auto-{self.app.theme}"

    def _rgb(self, variable: str) -> tuple[int, int, int]:
        return theme_rgb(self, variable)


class PriceChart(PlotextPlot):
    """Price of the current symbol with realised liquidations marked on it."""

    def show(self, snap: DetectorSnapshot) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.theme(f"textual-auto-{self.app.theme}")
        plt.title(f"{snap.symbol} price · realised liquidations (▼ long liq. ▲ short liq.)")
        if snap.price_ts:
            t0 = snap.price_ts[-1]
            plt.plot(
                [(t - t0) / 60_000 for t in snap.price_ts],
                list(snap.prices),
                color=self._rgb("primary"),
                marker="braille",
            )
            shown = list(snap.prices)
            for side, marker, var in ((Side.LONG, "▼", "long-liq"), (Side.SHORT, "▲", "short-liq")):
                liqs = [
                    liq
                    for liq in snap.recent_liquidations
                    if liq.side is side and liq.symbol == snap.symbol and liq.ts >= snap.price_ts[0]
                ]
                if liqs:
                    plt.scatter(
                        [(liq.ts - t0) / 60_000 for liq in liqs],
                        [liq.price for liq in liqs],
                        marker=marker,
                        color=self._rgb(var),
                    )
                    shown += [liq.price for liq in liqs]
            ticks = round_ticks(min(shown), max(shown), most=8)
            plt.yticks(ticks, price_labels(ticks))
            plt.xticks(*time_ticks((t0 - snap.price_ts[0]) / 1000, most=7))
        self.refresh()

    def _rgb(self, variable: str) -> tuple[int, int, int]:
        return theme_rgb(self, variable)
