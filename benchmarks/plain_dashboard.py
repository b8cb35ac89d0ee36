"""The anchor of ``bench_tui.py``: a plain Textual dashboard repainted at 10 Hz.

The same panels as scalptui's main screen (header, watchlist, price, ladder,
funding / open interest, alert log, liquidation tape), each a ``Static`` whose
whole text is replaced ten times a second with fresh numbers — what a dashboard
does when nothing limits redraws to what changed. ``bench_tui.py`` runs it in
the same pseudo-terminal, in the same run, to put scalptui's bytes and CPU in
scale. ``q`` quits.
"""

from __future__ import annotations

import random
import time
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

HZ = 10.0
LADDER_ROWS = 24
ALERT_ROWS = 6
TAPE_ROWS = 8


class PlainDashboard(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]
    CSS = """
    #top { height: 2; }
    #middle { height: 1fr; }
    #ladder { width: 2fr; border: round $primary; }
    #side { width: 1fr; }
    #price, #funding { border: round $primary; height: 1fr; }
    #bottom { height: 16; }
    #alerts, #tape { border: round $primary; height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rng = random.Random(3)
        self.price = 97_000.0
        self.panels = {
            name: Static(id=name)
            for name in ("header", "ladder", "price", "funding", "alerts", "tape")
        }

    def compose(self) -> ComposeResult:
        with Vertical(id="top"):
            yield self.panels["header"]
        with Horizontal(id="middle"):
            yield self.panels["ladder"]
            with Vertical(id="side"):
                yield self.panels["price"]
                yield self.panels["funding"]
        with Vertical(id="bottom"):
            yield self.panels["alerts"]
            yield self.panels["tape"]
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(1.0 / HZ, self.repaint)

    def repaint(self) -> None:
        rng = self.rng
        self.price *= 1.0 + rng.gauss(0.0, 2e-4)
        now = time.strftime("%H:%M:%S")
        self.panels["header"].update(
            f"plain dashboard  binanceusdm  LIVE  {now}\n"
            + "  ".join(f"{s} {self.price * rng.uniform(0.9, 1.1):,.2f}" for s in ("BTC", "ETH"))
        )
        self.panels["ladder"].update(
            "\n".join(
                f"{self.price * (1 + (LADDER_ROWS / 2 - i) * 0.001):>12,.1f}  "
                f"{'█' * rng.randint(0, 30):<30} ${rng.uniform(0, 5e6):>12,.0f}"
                for i in range(LADDER_ROWS)
            )
        )
        self.panels["price"].update(
            f"last {self.price:,.1f}\nmark {self.price * 0.9999:,.1f}\n"
            f"1 m {rng.gauss(0, 0.3):+.2f} %\n5 m {rng.gauss(0, 0.6):+.2f} %"
        )
        self.panels["funding"].update(
            f"funding {rng.gauss(1e-4, 5e-5):+.5f} / 8 h\n"
            f"open interest {rng.uniform(8e4, 9e4):,.0f} BTC\n"
            f"Δ 5 m {rng.gauss(0, 0.5):+.2f} %   Δ 1 h {rng.gauss(0, 1):+.2f} %"
        )
        self.panels["alerts"].update(
            "\n".join(
                f"{now} BTC/USDT:USDT alert {i} ≥ ${rng.uniform(1e5, 2e6):,.0f}"
                for i in range(ALERT_ROWS)
            )
        )
        self.panels["tape"].update(
            "\n".join(
                f"{now} {'LONG ' if rng.random() < 0.5 else 'SHORT'} "
                f"{rng.uniform(0.01, 5):8.3f} @ {self.price:,.1f}  ${rng.uniform(1e3, 5e5):,.0f}"
                for _ in range(TAPE_ROWS)
            )
        )


if __name__ == "__main__":
    PlainDashboard().run()
