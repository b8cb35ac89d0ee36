"""Screens over the main one: help, one alert in full, the full price chart, the venues."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.keys import format_key
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from scalptui.models import Alert, DetectorSnapshot, venue_label
from scalptui.ui import format as fmt
from scalptui.ui.widgets.alert_log import wrap_words
from scalptui.ui.widgets.header import HeaderBar, HeaderInfo
from scalptui.ui.widgets.venues import VenueRow, VenueTable

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


def _duration_words(seconds: float) -> str:
    """``900`` → ``15 min``, ``90`` → ``90 s``: a configured window as help states it."""
    return f"{seconds / 60:g} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds:g} s"


class HelpScreen(ModalScreen[None]):
    """Every key of the app it is shown over, listed from that app's bindings."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss_help", "Close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; height: auto; max-width: 100%; max-height: 100%; padding: 0 1;
        background: $panel; border: round $primary;
    }
    """

    def __init__(self, bindings: Iterable[BindingType], realized_window_s: float = 900.0) -> None:
        super().__init__()
        self._rows = key_rows(bindings)
        self._realized = _duration_words(realized_window_s)

    def compose(self) -> ComposeResult:
        # A grid, so that a description too long for a narrow terminal wraps under itself,
        # not under the keys.
        keys = Table.grid(padding=(0, 1))
        # As wide as the widest keys: at a fixed 10, "home  esc  g" lost its g.
        widest = max((cell_len(shown) for shown, _ in self._rows), default=0)
        keys.add_column(width=max(KEY_COLUMN, widest), no_wrap=True, style="bold")
        keys.add_column(ratio=1)
        for shown, what in self._rows:
            keys.add_row(shown, what)
        notes = Text(
            # one line per paragraph: the screen wraps it to its own width (a hard break
            # made a one-word line at 80 columns)
            "\nThe ladder is a model estimate (est.). Liquidation totals from Binance and OKX "
            "are a lower bound (≥): they send at most one print a second per symbol "
            "(Binance) or per contract (OKX); Bybit's are totals.\n"
            "Alerts are informational only: facts, never a trade plan.\n"
            f"Ladder: ✱ marks liquidations realised at a row's prices in the last "
            f"{self._realized}, the amount in the colour of the side liquidated. "
            "Watchlist: the % is the 1 h change; ▼ a long cascade, ▲ a short squeeze under "
            "way; × muted.\n"
            "Esc or q closes this screen, as it does the chart, the venues and an alert in full."
        )
        # Scrolls (↑ ↓ PgUp PgDn Home End) where the terminal is too low for every line.
        with VerticalScroll():
            yield Static(Group(Text("Keys", style="bold"), keys, notes), id="help-keys")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class ChartScreen(Screen[None]):
    """Full-screen chart, redrawn once a second from the shared detector."""

    # ``q`` closes it as it closes every other screen over the main one: it quit the app.
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,c,q", "app.pop_screen", "Back")]
    DEFAULT_CSS = """
    ChartScreen PriceChart { height: 1fr; }
    """

    def __init__(
        self,
        snapshot_source: Callable[[], DetectorSnapshot | None],
        header_source: Callable[[DetectorSnapshot | None], HeaderInfo] | None = None,
    ) -> None:
        """``header_source``: the main screen's header, so the feed's state, its age and
        PAUSED stay in sight while the chart fills the screen (they were out of sight)."""
        super().__init__()
        self._source = snapshot_source
        self._header_source = header_source

    def compose(self) -> ComposeResult:
        from scalptui.ui.widgets.charts import PriceChart
        from scalptui.ui.widgets.keys import KeyHints

        if self._header_source is not None:
            yield HeaderBar(id="chart-header")
        yield PriceChart()
        # Whole key hints, "esc Back" and "? help" always among them (no cut "t th").
        hidden: frozenset[str] = getattr(self.app, "hidden_actions", frozenset())
        # the ladder and tape are not here; c and q close this screen ("esc Back")
        hidden |= {"zoom(-1)", "zoom(1)", "toggle_tape", "chart", "quit"}
        yield KeyHints([*self.BINDINGS, *self.app.BINDINGS], hidden=hidden, id="keys")

    def on_mount(self) -> None:
        self.redraw()
        self.set_interval(1.0, self.redraw)

    def redraw(self) -> None:
        snap = self._source()
        if self._header_source is not None:
            self.query_one(HeaderBar).show(self._header_source(snap))
        if snap is not None:
            from scalptui.ui.widgets.charts import PriceChart

            self.query_one(PriceChart).show(snap)


class AlertDetailScreen(ModalScreen[None]):
    """One alert in full: the whole message and every measured fact behind it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "dismiss_alert", "Close"),
    ]
    DEFAULT_CSS = """
    AlertDetailScreen { align: center middle; }
    AlertDetailScreen > VerticalScroll {
        width: 84; height: auto; max-width: 100%; max-height: 100%; padding: 0 1;
        background: $panel; border: round $primary; border-subtitle-color: $text-muted;
    }
    """

    def __init__(self, alert: Alert) -> None:
        super().__init__()
        self.alert = alert
        self._body = Static(alert_detail_text(alert))
        self._wrapped_at = 0

    def compose(self) -> ComposeResult:
        # The facts can outgrow a small terminal: the body scrolls (↑ ↓) and the way
        # out stays on the border, always in view.
        body = VerticalScroll()
        body.border_subtitle = "Escape closes · ↑ ↓ scroll"
        with body:
            yield self._body

    def on_mount(self) -> None:
        self.call_after_refresh(self._wrap)

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._wrap)

    def _wrap(self) -> None:
        """The message wrapped to the body's width here, so no number loses its unit."""
        width = self._body.content_size.width
        if width > 0 and width != self._wrapped_at:
            self._wrapped_at = width
            self._body.update(alert_detail_text(self.alert, width))

    def action_dismiss_alert(self) -> None:
        self.dismiss(None)


def alert_detail_text(alert: Alert, width: int | None = None) -> Text:
    """Kind, symbol, time, venue and source, the message word for word (wrapped to
    ``width`` keeping numbers with their units), then the facts."""
    text = Text()
    text.append(f"{alert.kind.value}  {alert.symbol}\n", style="bold")
    side = f" · {alert.side.value}" if alert.side is not None else ""
    text.append(
        f"{_utc_date_time(alert.ts)} UTC · {alert.exchange} · {alert.source.value}{side}\n\n"
    )
    message = alert.message if width is None else "\n".join(wrap_words(alert.message, width))
    text.append(message + "\n")
    if alert.facts:
        text.append("\nFacts\n", style="bold")
        for line in fact_lines(alert.facts):
            text.append(line + "\n")
    return text


_PRINTED = frozenset({"notional_usd"})
"""The headline sum of liquidation prints, a lower bound when ``lower_bound`` says so. The
other printed figures may be one venue's (the deciding one's evidence and rates, on a run
over several venues), whose completeness the record does not carry."""


def fact_lines(facts: Mapping[str, object]) -> list[str]:
    """One line per fact; ``venues`` (a mapping per venue) reads as one line per venue.
    A printed sum of a sampled venue reads "≥ $863k", as the message does (the table said
    "$863k" under a message saying "≥ $863k")."""
    width = max((len(k) for k in facts), default=0)
    bound = facts.get("lower_bound") is True
    lines = []
    for key, value in facts.items():
        if isinstance(value, Mapping):
            lines.append(f"{key:<{width}}")
            lines += [f"  {line}" for line in _nested_lines(key, value)]
        else:
            at_least = "≥ " if bound and key in _PRINTED else ""
            lines.append(f"{key:<{width}}  {at_least}{fact_value(key, value)}")
    return lines


_PERCENT_FRACTIONS = frozenset(
    {"funding_rate", "funding_8h", "funding_8h_venues_mean", "apr", "dominance", "taker_share"}
)
"""Facts recorded as fractions (0.0004, 0.84) that the screen reads in percent."""


_SIGNED = ("change", "move", "off_")
"""Percent facts that are changes: a rise reads "+0.165 %", as in the message."""


def fact_value(key: str, value: object) -> str:
    """One fact as a trader reads it: ``$2.00M``, ``−2.8248 %``, ``60 s``, ``yes``. The
    record keeps the raw value; Python's ``0.8804238000000001`` or ``True`` told nobody
    anything, and JSON's ``-1.0`` standing for an unbounded taker burst less."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, int | float):
        return str(value)
    if key == "taker_burst" and value < 0:
        return "∞ (no ordinary taker flow before it)"
    if key.endswith("_usd_s"):
        return fmt.usd(value) + "/s"
    if key.endswith("_usd"):
        return fmt.usd(value)
    if key in _PERCENT_FRACTIONS:
        return _number(value * 100.0) + " %"
    if key.endswith("_pct"):
        signed = any(word in key for word in _SIGNED) and value > 0
        return ("+" if signed else "") + _number(value) + " %"
    if key.endswith("_s"):
        return _number(value) + " s"
    if key.endswith("_h"):
        return _number(value) + " h"
    return _number(value)


def _number(value: float) -> str:
    """Six significant figures at most, no exponent, a true minus: ``−2.8248``, ``0.00017``."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        text = f"{int(value):,}"
    else:
        decimals = max(0, 5 - math.floor(math.log10(abs(value))))
        text = f"{value:,.{min(decimals, 10)}f}".rstrip("0").rstrip(".")
    return text.replace("-", "−")


def _nested_lines(key: str, value: Mapping[object, object]) -> list[str]:
    if key == "venues":
        return [venue_fact(str(venue), facts) for venue, facts in value.items()]
    return [f"{k}  {v}" for k, v in value.items()]


def venue_fact(venue: str, facts: object) -> str:
    """``Binance  ≥ $4.1M sampled · 12 prints (down)`` from one venue's ``facts.venues`` entry.

    Whatever the entry holds, it reads as something (a record from another version
    may lack a key, or hold something else entirely): never a crash on the screen.
    """
    if not isinstance(facts, Mapping):
        return f"{venue_label(venue)}  {facts}"
    usd = facts.get("usd")
    complete = facts.get("complete", True) is not False
    amount = fmt.usd(usd, lower_bound=not complete) if isinstance(usd, int | float) else "–"
    text = f"{venue_label(venue)}  {amount}"
    if not complete:
        text += " sampled"
    prints = facts.get("prints")
    if isinstance(prints, int) and not isinstance(prints, bool):
        text += f" · {prints} print{'s' if prints != 1 else ''}"
    if facts.get("live", True) is False:
        text += " (down)"
    return text


def _utc_date_time(ts_ms: int) -> str:
    """``2026-01-01 00:00:00.000``; a time no clock can show reads as dashes."""
    try:
        return (
            time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts_ms / 1000.0)) + f".{ts_ms % 1000:03d}"
        )
    except (OverflowError, OSError, ValueError):
        return "----------"


@dataclass(frozen=True, slots=True)
class VenueView:
    """What the venue breakdown shows: the symbol, its rows, and whether they are frozen."""

    symbol: str
    rows: list[VenueRow]
    paused: bool = False


class VenueScreen(ModalScreen[None]):
    """The current asset on each venue it is watched on, redrawn once a second."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,v,q", "dismiss_venues", "Close"),
        Binding("left_square_bracket", "cycle(-1)", "prev symbol", show=False),
        Binding("right_square_bracket", "cycle(1)", "next symbol", show=False),
    ]
    DEFAULT_CSS = """
    VenueScreen { align: center middle; }
    VenueScreen > VerticalScroll {
        width: 96; height: auto; max-width: 100%; max-height: 100%; padding: 0 1;
        background: $panel; border: round $primary; border-subtitle-color: $text-muted;
    }
    """

    def __init__(self, source: Callable[[], VenueView], *, window_s: float = 900.0) -> None:
        """``window_s``: the realised window the liquidation columns sum."""
        super().__init__()
        self._source = source
        self.table = VenueTable(window_s=window_s, id="venue-table")

    def compose(self) -> ComposeResult:
        body = VerticalScroll()
        body.border_subtitle = "[ ] other symbol · Escape closes"
        with body:
            yield self.table

    def on_mount(self) -> None:
        self.redraw()
        self.set_interval(1.0, self.redraw)

    async def action_cycle(self, step: int) -> None:
        """The watchlist's previous / next symbol, on each venue (the main screen follows)."""
        await self.app.run_action(f"cycle({step})")
        self.redraw()

    def redraw(self) -> None:
        view = self._source()
        self.table.show(view.symbol, view.rows, paused=view.paused)

    def action_dismiss_venues(self) -> None:
        self.dismiss(None)
