"""Screens over the main one: help, and the full price chart with liquidation markers."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from scalptui.models import DetectorSnapshot

KEYS: tuple[tuple[str, str], ...] = (
    ("/  ctrl+p", "search the exchange's symbols (adds to the watchlist)"),
    ("[  ]", "previous / next watched symbol"),
    ("1 … 9", "watchlist slot"),
    ("+  -", "ladder zoom (clusters beyond the view are summed in edge rows)"),
    ("l", "liquidation tape (realised, across the watchlist)"),
    ("m", "mute / unmute this symbol's alerts"),
    ("t", "next theme"),
    ("p", "pause / resume the display (alerts keep arriving)"),
    ("c", "full chart: price with realised liquidations"),
    ("b", "terminal bell on alerts"),
    ("?", "this help"),
    ("q", "quit"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss_help", "Close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 84; height: auto; max-width: 100%; max-height: 100%; padding: 0 1;
        background: $panel; border: round $primary;
    }
    """

    def compose(self) -> ComposeResult:
        table = Text()
        table.append("Keys\n", style="bold")
        for keys, what in KEYS:
            table.append(f"{keys:<10}", style="bold")
            table.append(f" {what}\n")
        table.append(
            "\nThe ladder is a model estimate (est.). Liquidation totals from Binance are a\n"
            "lower bound (≥): it sends at most one print per symbol per second.\n"
            "Alerts are informational only: facts, never a trade plan."
        )
        with Vertical():
            yield Static(table)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class ChartScreen(Screen[None]):
    """Full-screen chart, redrawn once a second from the shared detector."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,c", "app.pop_screen", "Back")]
    DEFAULT_CSS = """
    ChartScreen PriceChart { height: 1fr; }
    """

    def __init__(self, snapshot_source: Callable[[], DetectorSnapshot | None]) -> None:
        super().__init__()
        self._source = snapshot_source

    def compose(self) -> ComposeResult:
        from scalptui.ui.widgets.charts import PriceChart

        yield PriceChart()
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.redraw()
        self.set_interval(1.0, self.redraw)

    def redraw(self) -> None:
        snap = self._source()
        if snap is not None:
            from scalptui.ui.widgets.charts import PriceChart

            self.query_one(PriceChart).show(snap)
