"""Funding and open interest: rate, 8 h and APR, countdown, crowded side, OI deltas, chart.

A slow panel: funding changes once a second at most and open interest every
10–30 s, so the app feeds it on a 1 Hz tick and redraws the chart only when a
new open-interest sample arrives.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Vertical
from textual_plotext import PlotextPlot

from scalptui.models import FundingView, OpenInterestView
from scalptui.ui import format as fmt
from scalptui.ui.widgets.lines import LinesWidget

# Binance's resting funding is +0.01 % per 8 h (the interest component); only a
# rate beyond it says one side is paying to stay in.
NEUTRAL_8H = 0.0001


def crowded_side(rate_8h: float) -> str:
    if rate_8h > NEUTRAL_8H:
        return "longs crowded (longs pay)"
    if rate_8h < 0:
        return "shorts crowded (shorts pay)"
    return "neither side crowded"


class FundingLines(LinesWidget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "fund--title",
        "fund--long",
        "fund--short",
        "fund--dim",
        "fund--up",
        "fund--down",
    }
    DEFAULT_CSS = """
    FundingLines > .fund--title { color: $primary; text-style: bold; }
    FundingLines > .fund--long { color: $long-liq; }
    FundingLines > .fund--short { color: $short-liq; }
    FundingLines > .fund--up { color: $up; }
    FundingLines > .fund--down { color: $down; }
    FundingLines > .fund--dim { color: $foreground-muted; }
    """

    def show(self, funding: FundingView | None, oi: OpenInterestView | None, now_ms: int) -> None:
        dim = self.part("fund--dim")
        lines = [Text().append("Funding / OI", style=self.part("fund--title"))]
        if funding is None:
            lines.append(Text().append("funding –", style=dim))
        else:
            rate = Text().append("Rate ", style=dim)
            rate.append(fmt.rate_pct(funding.rate))
            rate.append(f" /{funding.interval_h:g}h", style=dim)
            norm = Text().append("8h ", style=dim)
            norm.append(fmt.rate_pct(funding.rate_8h))
            norm.append("  APR ", style=dim)
            norm.append(fmt.pct(funding.apr * 100.0))
            side = Text().append(
                crowded_side(funding.rate_8h), style=self._crowd_style(funding.rate_8h)
            )
            lines += [rate, norm, side, self._countdown(funding, now_ms)]
        lines += self._oi_lines(oi)
        self.set_lines(lines)

    def _countdown(self, funding: FundingView, now_ms: int) -> Text:
        text = Text().append("Next funding ", style=self.part("fund--dim"))
        if funding.next_funding_ts is None:
            text.append("–")
        else:
            text.append(fmt.duration((funding.next_funding_ts - now_ms) / 1000.0))
        return text

    def _oi_lines(self, oi: OpenInterestView | None) -> list[Text]:
        dim = self.part("fund--dim")
        if oi is None:
            return [Text().append("OI –", style=dim)]
        level = Text().append("OI ", style=dim)
        level.append(fmt.compact(oi.amount))
        if oi.value is not None:
            level.append(f"  {fmt.usd(oi.value)}")
        delta = Text().append("ΔOI 5m ", style=dim)
        delta.append(fmt.pct(oi.delta_5m_pct, digits=1), style=self._signed(oi.delta_5m_pct))
        delta.append("  1h ", style=dim)
        delta.append(fmt.pct(oi.delta_1h_pct, digits=1), style=self._signed(oi.delta_1h_pct))
        return [level, delta]

    def _crowd_style(self, rate_8h: float) -> Style:
        if rate_8h > NEUTRAL_8H:
            return self.part("fund--long")
        if rate_8h < 0:
            return self.part("fund--short")
        return self.part("fund--dim")

    def _signed(self, value: float | None) -> Style | None:
        if value is None:
            return None
        return self.part("fund--up" if value >= 0 else "fund--down")


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
        key = (oi_history[-1:], funding_history[-1:], len(oi_history), len(funding_history))
        if key == self._key:
            return
        self._key = key
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.theme(self._plotext_theme())
        if oi_history:
            t0 = oi_history[-1][0]
            plt.plot(
                [(t - t0) / 60_000 for t, _ in oi_history],
                [v for _, v in oi_history],
                color=self._rgb("primary"),
                label="OI",
            )
        if funding_history:
            t0 = funding_history[-1][0]
            plt.plot(
                [(t - t0) / 60_000 for t, _ in funding_history],
                [v * 100 for _, v in funding_history],
                color=self._rgb("warning"),
                yside="right",
                label="fund 8h %",
            )
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
        value = self.app.theme_variables.get(variable, "white")
        r, g, b = Color.parse(value).rgb
        return (r, g, b)


class FundingOiPanel(Vertical):
    DEFAULT_CSS = """
    FundingOiPanel { height: 1fr; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield FundingLines()
        yield FundingOiChart()

    def show(
        self,
        funding: FundingView | None,
        oi: OpenInterestView | None,
        funding_history: tuple[tuple[int, float], ...],
        event_ms: int,
    ) -> None:
        """``event_ms`` is the market's own time: the countdown stays right in a replay."""
        self.query_one(FundingLines).show(funding, oi, event_ms)
        chart = self.query_one(FundingOiChart)
        if chart.display:
            chart.show(oi.history if oi else (), funding_history)
