"""The plotext charts. Imported after the first frame: plotext is slow to import."""

from __future__ import annotations

from textual.color import Color
from textual_plotext import PlotextPlot

from scalptui.models import DetectorSnapshot, Side


def theme_rgb(plot: PlotextPlot, variable: str) -> tuple[int, int, int]:
    """A theme variable as the RGB triple plotext wants (colours stay in themes/)."""
    r, g, b = Color.parse(plot.app.theme_variables.get(variable, "white")).rgb
    return (r, g, b)


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
