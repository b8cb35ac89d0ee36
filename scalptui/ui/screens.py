"""Screens over the main one: help, and the full price chart with liquidation markers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.keys import format_key
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from scalptui.models import DetectorSnapshot

KEY_COLUMN = 10


def key_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """The help's rows from the app's own bindings: (keys, what they do), in binding order.

    One row per help text (a binding's tooltip, else its footer description), listing
    every key bound to it as the keyboard shows it; the slot digits read ``1–9``.
    """
    rows: dict[str, list[str]] = {}
    for binding in bindings:
        one = binding if isinstance(binding, Binding) else Binding(*binding)
        keys = rows.setdefault(one.tooltip or one.description, [])
        keys += [format_key(key.strip()) for key in one.key.split(",")]
    return [(_key_list(keys), what) for what, keys in rows.items()]


def _key_list(keys: list[str]) -> str:
    unique = list(dict.fromkeys(keys))
    digits = [int(k) for k in unique if k.isdigit() and len(k) == 1]
    if len(digits) == len(unique) > 2 and digits == list(range(digits[0], digits[-1] + 1)):
        return f"{digits[0]}–{digits[-1]}"
    return "  ".join(unique)


class HelpScreen(ModalScreen[None]):
    """Every key of the app it is shown over, listed from that app's bindings."""

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

    def __init__(self, bindings: Iterable[BindingType]) -> None:
        super().__init__()
        self._rows = key_rows(bindings)

    def compose(self) -> ComposeResult:
        table = Text()
        table.append("Keys\n", style="bold")
        for keys, what in self._rows:
            table.append(f"{keys:<{KEY_COLUMN}}", style="bold")
            table.append(f" {what}\n")
        table.append(
            "\nThe ladder is a model estimate (est.). Liquidation totals from Binance are a\n"
            "lower bound (≥): it sends at most one print per symbol per second.\n"
            "Alerts are informational only: facts, never a trade plan."
        )
        with Vertical():
            yield Static(table, id="help-keys")

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
