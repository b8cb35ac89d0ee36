"""Funding and open interest: rate, 8 h and APR, countdown, crowded side, OI deltas, chart.

A slow panel: funding changes once a second at most and open interest every
10–30 s, so the app feeds it on a 1 Hz tick and redraws the chart only when a
new open-interest sample arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from scalptui.models import FundingView, OpenInterestView
from scalptui.ui import format as fmt
from scalptui.ui.widgets.lines import LinesWidget

if TYPE_CHECKING:
    from scalptui.ui.widgets.charts import FundingOiChart

LONGS_CROWDED_8H = 0.0003
SHORTS_CROWDED_8H = -0.0001
"""A side is called crowded 0.02 % per 8 h away from the resting rate, either way (the
+0.01 % interest component Binance charges when the contract trades at the index): a
rate a hair above it (0.0103 %) or below zero (−0.0006 %) says who pays, not that a
crowd is paying to stay in."""


def crowded_side(rate_8h: float) -> str:
    if rate_8h >= LONGS_CROWDED_8H:
        return "longs crowded (longs pay)"
    if rate_8h <= SHORTS_CROWDED_8H:
        return "shorts crowded (shorts pay)"
    if rate_8h > 0:
        return "longs pay, not crowded"
    if rate_8h < 0:
        return "shorts pay, not crowded"
    return "neither side pays"


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

    def show(
        self,
        funding: FundingView | None,
        oi: OpenInterestView | None,
        now_ms: int,
        base: str = "",
    ) -> None:
        """``base``: the unit open interest is counted in (``BTC``, ``1000PEPE``)."""
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
        lines += self._oi_lines(oi, base)
        self.set_lines(lines)

    def _countdown(self, funding: FundingView, now_ms: int) -> Text:
        text = Text().append("Next funding ", style=self.part("fund--dim"))
        if funding.next_funding_ts is None:
            text.append("–")
        else:
            text.append(fmt.duration((funding.next_funding_ts - now_ms) / 1000.0))
        return text

    def _oi_lines(self, oi: OpenInterestView | None, base: str) -> list[Text]:
        dim = self.part("fund--dim")
        if oi is None:
            return [Text().append("OI –", style=dim)]
        level = Text().append("OI ", style=dim)
        level.append(fmt.compact(oi.amount))
        if base:  # "OI 80.1k" said nothing of its unit (contracts? coins?)
            level.append(f" {base}", style=dim)
        if oi.value is not None:
            level.append(f"  {fmt.usd(oi.value)}")
        delta = Text().append("ΔOI 5m ", style=dim)
        delta.append(fmt.pct(oi.delta_5m_pct), style=self._signed(oi.delta_5m_pct))
        delta.append("  1h ", style=dim)
        delta.append(fmt.pct(oi.delta_1h_pct), style=self._signed(oi.delta_1h_pct))
        return [level, delta]

    def _crowd_style(self, rate_8h: float) -> Style:
        if rate_8h >= LONGS_CROWDED_8H:
            return self.part("fund--long")
        if rate_8h <= SHORTS_CROWDED_8H:
            return self.part("fund--short")
        return self.part("fund--dim")

    def _signed(self, value: float | None) -> Style | None:
        if value is None:
            return None
        return self.part("fund--up" if value >= 0 else "fund--down")


class FundingOiPanel(Vertical):
    DEFAULT_CSS = """
    FundingOiPanel { height: 1fr; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._chart: FundingOiChart | None = None
        self._history: tuple[tuple[tuple[int, float], ...], tuple[tuple[int, float], ...]] = (
            (),
            (),
        )

    def compose(self) -> ComposeResult:
        yield FundingLines()

    def on_mount(self) -> None:
        # The chart (and plotext) comes after the first frame is on screen.
        self.call_after_refresh(self._mount_chart)

    def _mount_chart(self) -> None:
        from scalptui.ui.widgets.charts import FundingOiChart

        self._chart = FundingOiChart()
        self.mount(self._chart)
        self.call_after_refresh(self._show_chart)

    def _show_chart(self) -> None:
        if self._chart is not None and self._chart.display:
            self._chart.show(*self._history)

    def show(
        self,
        funding: FundingView | None,
        oi: OpenInterestView | None,
        funding_history: tuple[tuple[int, float], ...],
        now_ms: int,
        base: str = "",
    ) -> None:
        """``now_ms`` is the screen's time (a replay's own, so the countdown stays right
        in it; the market's own stops with its feed); ``base`` the unit of open interest."""
        self.query_one(FundingLines).show(funding, oi, now_ms, base)
        self._history = (oi.history if oi else (), funding_history)
        self._show_chart()
