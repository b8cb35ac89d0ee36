"""Price panel: last, mark, index, basis, 1m / 5m / 1h change, and a sparkline."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline

from scalptui.models import DetectorSnapshot
from scalptui.ui import format as fmt
from scalptui.ui.widgets.lines import LinesWidget

SPARK_BUCKET_MS = 10_000
"""One sparkline point per 10 s of event time: points arrive at a fixed cadence."""
SPARK_POINTS = 48


def resample_last(
    ts: tuple[int, ...], prices: tuple[float, ...], bucket_ms: int, points: int
) -> tuple[float, ...]:
    """Last price of each fixed time bucket (aligned to absolute time), oldest first."""
    out: dict[int, float] = {}
    for t, p in zip(ts, prices, strict=False):
        out[t // bucket_ms] = p
    keys = sorted(out)[-points:]
    return tuple(out[k] for k in keys)


class PriceLines(LinesWidget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "price--title",
        "price--last",
        "price--up",
        "price--down",
        "price--dim",
    }
    DEFAULT_CSS = """
    PriceLines { height: auto; }
    PriceLines > .price--title { color: $primary; text-style: bold; }
    PriceLines > .price--last { color: $foreground; text-style: bold; }
    PriceLines > .price--up { color: $up; }
    PriceLines > .price--down { color: $down; }
    PriceLines > .price--dim { color: $foreground-muted; }
    """

    def show(self, snap: DetectorSnapshot) -> None:
        dim = self.part("price--dim")
        last = Text().append("Last  ", style=dim)
        last.append(fmt.price(snap.last), style=self.part("price--last"))
        mark = Text().append("Mark  ", style=dim)
        mark.append(fmt.price(snap.mark))
        mark.append("  Index ", style=dim)
        mark.append(fmt.price(snap.index))
        basis = Text().append("Basis ", style=dim)
        basis.append(self._basis(snap))
        change = Text()
        for label, value in (
            ("1m ", snap.change_1m_pct),
            ("5m ", snap.change_5m_pct),
            ("1h ", snap.change_1h_pct),
        ):
            change.append(label, style=dim)
            change.append(f"{fmt.pct(value)}  ", style=self._signed(value))
        self.set_lines(
            [Text().append("Price", style=self.part("price--title")), last, mark, basis, change]
        )

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
        self._spark_key: tuple[str, int] | None = None
        # Held directly: show() runs on every fast tick, a DOM query each time is waste.
        self._lines = PriceLines()
        self._spark = Sparkline((), summary_function=lambda values: values[-1])

    def compose(self) -> ComposeResult:
        yield self._lines
        yield self._spark

    def show(self, snap: DetectorSnapshot) -> None:
        self._lines.show(snap)
        self._show_sparkline(snap)

    def _show_sparkline(self, snap: DetectorSnapshot) -> None:
        # Only a new bucket (or another symbol) changes the sparkline, so it is
        # redrawn every SPARK_BUCKET_MS at most, never on every tick.
        last_bucket = snap.price_ts[-1] // SPARK_BUCKET_MS if snap.price_ts else -1
        key = (snap.symbol, last_bucket)
        if key == self._spark_key:
            return
        self._spark_key = key
        points = resample_last(snap.price_ts, snap.prices, SPARK_BUCKET_MS, SPARK_POINTS + 1)
        # The newest bucket is still filling; drawing it would redraw every tick.
        # Fewer than three points draw as a flat block that suggests a trend: wait.
        done = points[:-1]
        self._spark.data = list(done) if len(done) >= 3 else []
