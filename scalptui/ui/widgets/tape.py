"""The liquidation tape: recent realised liquidations across the watchlist, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events

from scalptui.models import Liquidation, Side, venue_tag
from scalptui.ui import format as fmt
from scalptui.ui.widgets.alert_log import fit_words
from scalptui.ui.widgets.lines import LinesWidget


class LiquidationTape(LinesWidget):
    """Newest first. On a run over several venues each line starts with its venue's tag."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "tape--title",
        "tape--long",
        "tape--short",
        "tape--dim",
        "tape--alert",
    }
    DEFAULT_CSS = """
    LiquidationTape { height: 1fr; padding: 0 1; background: $surface; }
    LiquidationTape > .tape--title { color: $primary; text-style: bold; }
    LiquidationTape > .tape--long { color: $long-liq; text-style: bold; }
    LiquidationTape > .tape--short { color: $short-liq; text-style: bold; }
    LiquidationTape > .tape--dim { color: $foreground-muted; }
    LiquidationTape > .tape--alert { color: $warning; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._liqs: tuple[Liquidation, ...] = ()
        self.sampled_venues: tuple[str, ...] = ()
        """Tags of the venues in play that sample their liquidations (the app sets them):
        the note stays while a complete venue's prints fill the tape."""
        self._ticks: dict[str, float | None] = {}
        self.venue_tags = False
        """A venue column after the time (several venues) instead of the venue at the end."""
        self._unseen = 0
        self._latest_alert = ""

    def note_alert(self, line: str) -> None:
        """An alert arrived while the tape hides the log: its line heads the tape (the
        newest replaces the one before), where a toast per alert covered the ladder."""
        self._unseen += 1
        self._latest_alert = line
        self.redraw()

    def clear_alerts(self) -> None:
        """The log is shown again: its alerts are in sight there."""
        self._unseen = 0
        self._latest_alert = ""

    def show(
        self, liquidations: tuple[Liquidation, ...], ticks: dict[str, float | None] | None = None
    ) -> None:
        """``ticks``: each symbol's price tick, where known (prices are shown to it)."""
        self._liqs = liquidations
        self._ticks = ticks or {}
        self.redraw()

    def on_resize(self, event: events.Resize) -> None:
        self.redraw()

    def redraw(self) -> None:
        dim = self.part("tape--dim")
        shown = (venue_tag(q.exchange) for q in self._liqs if q.sampled)
        sampled = dict.fromkeys((*self.sampled_venues, *shown))
        title = Text().append("Liquidation tape (realised)", style=self.part("tape--title"))
        if sampled and self.venue_tags:
            # Several venues: say which of them sample (their sums are the lower bound).
            title.append(f"  sampled: {' '.join(sampled)} (totals a lower bound)", style=dim)
        elif sampled:
            title.append("  sampled venue: totals are a lower bound", style=dim)
        lines = [title]
        if self._unseen:
            new = f"{self._unseen} new alert{'s' if self._unseen > 1 else ''} (l: log)"
            notice = fit_words(f"{new} · {self._latest_alert}", max(self.content_size.width, 20))
            lines.append(Text(notice, style=self.part("tape--alert")))
        room = max(self.content_size.height - len(lines), 1)
        newest = sorted(self._liqs, key=lambda liq: liq.ts, reverse=True)[:room]
        prices = [fmt.price(q.price, tick=self._ticks.get(q.symbol)) for q in newest]
        columns = _Columns.of(newest, prices)
        for liq, price in zip(newest, prices, strict=True):
            lines.append(self._line(liq, price, columns))
        if not newest:
            lines.append(Text().append("no liquidations yet", style=dim))
        self.set_lines(lines)

    def _line(self, liq: Liquidation, price: str, cols: _Columns) -> Text:
        dim = self.part("tape--dim")
        text = Text().append(fmt.utc_time_ms(liq.ts) + " ", style=dim)
        if self.venue_tags:
            text.append(venue_tag(liq.exchange).ljust(cols.venue) + " ", style="bold")
        text.append(fmt.short_symbol(liq.symbol).ljust(cols.symbol))
        # Worded as what happened to a position: "LONG … $41.8k @ 3,357" read as a call.
        if liq.side is Side.LONG:
            text.append(" long  liquidated ▼", style=self.part("tape--long"))
        else:
            text.append(" short liquidated ▲", style=self.part("tape--short"))
        text.append(" " + fmt.usd(liq.notional).rjust(cols.usd))
        text.append(" at " + price.rjust(cols.price))
        if not self.venue_tags:
            text.append(f"  {liq.exchange}", style=dim)
        return text


@dataclass(frozen=True, slots=True)
class _Columns:
    """Widths of the shown rows' columns: every row lines up with the others."""

    symbol: int
    usd: int
    price: int
    venue: int

    @classmethod
    def of(cls, liqs: list[Liquidation], prices: list[str]) -> _Columns:
        return cls(
            symbol=max((len(fmt.short_symbol(q.symbol)) for q in liqs), default=4),
            usd=max((len(fmt.usd(q.notional)) for q in liqs), default=6),
            price=max(map(len, prices), default=8),
            venue=max((len(venue_tag(q.exchange)) for q in liqs), default=2),
        )
