"""The plotext charts. Imported after the first frame: plotext is slow to import."""

from __future__ import annotations

import math

from textual.color import Color
from textual_plotext import PlotextPlot

from scalptui.detector.open_interest import OI_BUCKET_MS
from scalptui.models import DetectorSnapshot, Side


def theme_rgb(plot: PlotextPlot, variable: str) -> tuple[int, int, int]:
    """A theme variable as the RGB triple plotext wants (colours stay in themes/)."""
    r, g, b = Color.parse(plot.app.theme_variables.get(variable, "white")).rgb
    return (r, g, b)


AXIS_LABEL_WIDTH = 7
"""Every axis label is padded to this width, so the chart's box never shifts a column."""
AXIS_TICKS = 4
_SUFFIXES = ((1e9, "B"), (1e6, "M"), (1e3, "k"))


def axis_ticks(low: float, high: float, count: int = AXIS_TICKS) -> list[float]:
    """``count`` evenly spaced values from ``low`` to ``high`` (one when they are equal)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    step = (high - low) / (count - 1)
    return [low + i * step for i in range(count)]


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


def percent_labels(ticks: list[float], width: int = AXIS_LABEL_WIDTH) -> list[str]:
    """Funding per 8 h in percent, fixed width: `` 0.0142`` / ``−0.0047`` (a true minus,
    as every other number on screen)."""
    return [f"{t:.4f}".replace("-", "−").rjust(width) for t in ticks]


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
        if oi_history:
            t0 = oi_history[-1][0]
            values = [v for _, v in oi_history]
            plt.plot(
                [(t - t0) / 60_000 for t, _ in oi_history],
                values,
                color=self._rgb("primary"),
                label="OI",
            )
            ticks = axis_ticks(min(values), max(values))
            plt.yticks(ticks, axis_labels(ticks), yside="left")  # type: ignore[arg-type]  # plotext takes "left"|"right"
        if funding_history:
            t0 = funding_history[-1][0]
            rates = [v * 100 for _, v in funding_history]
            plt.plot(
                [(t - t0) / 60_000 for t, _ in funding_history],
                rates,
                color=self._rgb("warning"),
                yside="right",
                label="fund 8h %",
            )
            ticks = axis_ticks(min(rates), max(rates))
            plt.yticks(ticks, percent_labels(ticks), yside="right")  # type: ignore[arg-type]
        plt.xlabel("min")
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
        plt.xlabel("minutes")
        self.refresh()

    def _rgb(self, variable: str) -> tuple[int, int, int]:
        return theme_rgb(self, variable)
