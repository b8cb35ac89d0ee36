"""The alert log: every alert of every watched symbol, newest first, coloured by kind."""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message

from scalptui.detector.text import CLOSING, blank_plan_words, side_word
from scalptui.models import Alert, AlertKind, Side, venue_label
from scalptui.numfmt import share, usd
from scalptui.ui import format as fmt
from scalptui.ui.state import MAX_ALERTS
from scalptui.ui.widgets.lines import LinesWidget

SHORT_KIND = {
    AlertKind.LIQUIDATION_CASCADE: "CASCADE",
    AlertKind.SHORT_SQUEEZE: "SQUEEZE",
    AlertKind.CASCADE_EXHAUSTED: "EXHAUSTED",
    AlertKind.FUNDING_EXTREME: "FUNDING",
    AlertKind.OI_FLUSH: "OI_FLUSH",
}
"""The kinds as a log narrower than ``FULL_KIND_WIDTH`` names them (coloured as in full):
at 80 columns on three venues a long symbol's cascade line kept "Real liquidations…"
and lost its amount and side."""
FULL_KIND_WIDTH = 100

_KIND_PART = {
    AlertKind.LIQUIDATION_CASCADE: "alert--cascade",
    AlertKind.SHORT_SQUEEZE: "alert--squeeze",
    AlertKind.CASCADE_EXHAUSTED: "alert--exhausted",
    AlertKind.FUNDING_EXTREME: "alert--funding",
    AlertKind.OI_FLUSH: "alert--oi",
}


@dataclass(frozen=True, slots=True)
class LoggedAlert:
    alert: Alert
    muted: bool = False
    restored: bool = False
    """From the history saved by an earlier run: drawn dimmed, not as news."""


def alert_facts(alert: Alert) -> str:
    """The message without what the log already shows elsewhere, so the facts fit a line.

    Dropped: the leading "<symbol> <KIND> — " (columns), the closing
    "Informational — no trade plan." (the panel's title says it) and the
    "(<venue> samples: lower bound)" note (every such total already reads "≥ $X";
    the help screen explains it). Trade-plan words can never reach the screen:
    any such word is blanked even if a message carried one.
    """
    text = alert.message
    for prefix in (f"{alert.symbol} {alert.kind.value} — ", f"{alert.symbol} {alert.kind.value} "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    text = _SAMPLED_NOTE.sub("", text)
    text = text.removesuffix(CLOSING).rstrip()
    return blank_plan_words(text)


_SAMPLED_NOTE = re.compile(r" \([^()]* samples: lower bound\)")


def short_facts(alert: Alert) -> str | None:
    """An exhaustion's figures first, for a line too narrow for its sentence: at 80
    columns "no long liquidations on Binance for…" was all a line held, no total and no
    move. None for other kinds (their messages start with the figures already)."""
    f = alert.facts
    if alert.kind is not AlertKind.CASCADE_EXHAUSTED or alert.side is None:
        return None
    keys = ("notional_usd", "duration_s", "off_extreme_pct", "silent_s", "current_rate_usd_s")
    values = [f.get(k) for k in keys]
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) != len(keys):
        return None
    notional, lasted, off, silent, rate_now = numbers
    side = alert.side
    extreme = "low" if side is Side.LONG else "high"
    decider, venues = f.get("decided_by"), f.get("venues")
    several = isinstance(decider, str) and isinstance(venues, Mapping) and len(venues) > 1
    # on several venues the silence is the deciding venue's, never the asset's
    where = f" on {venue_label(str(decider))}" if several else ""
    if rate_now <= 0.0:
        stopped = f"none{where} for {fmt.duration(silent)}"
        if f.get("feed_gap") is True:
            stopped += " since the feed came back"
    else:
        ratio = f.get("exhaustion_ratio")
        of_peak = share(float(ratio)) if isinstance(ratio, int | float) else "a share"
        stopped = f"rate{where} under {of_peak} of peak"
    total = usd(notional, lower_bound=f.get("lower_bound") is True)
    leg = f.get("leg")
    # a later leg's figures are that leg's: without its number they read as the episode's
    which = f"leg {leg}: " if isinstance(leg, int) and not isinstance(leg, bool) and leg > 1 else ""
    return (
        f"{which}{total} {side_word(side)}, {fmt.pct(off)} off the {extreme}, {stopped}, "
        f"over {fmt.duration(lasted)}"
    )


def alert_line(alert: Alert, *, muted: bool = False, short: bool = False) -> str:
    """The plain text of one log line: time, symbol (``short``: its base, ``BTC``, where a
    line has little room), kind, facts."""
    mark = " (muted)" if muted else ""
    symbol = fmt.short_symbol(alert.symbol) if short else alert.symbol
    return f"{fmt.utc_time_ms(alert.ts)} {symbol} {alert.kind.value}{mark} {alert_facts(alert)}"


def fit_words(text: str, room: int) -> str:
    """``text`` cut to ``room`` cells at a word boundary, ending in ``…`` when cut.

    A number is one word: ``≥ $470.7k`` is shown whole or not at all.
    """
    if cell_len(text) <= room:
        return text
    if room <= 1:
        return "…"[:room]
    cut = text[: room - 1]
    while cell_len(cut) > room - 1:
        cut = cut[:-1]
    if text[len(cut)] != " ":
        cut = cut[: max(cut.rfind(" "), 0)]
    # A number keeps its unit: "price −0.4 %" is cut before "price", never to "price −0.4".
    rest = text[len(cut) :].split(maxsplit=1)
    if rest and rest[0].rstrip(".,;") in _UNITS:
        cut = cut[: max(cut.rfind(" "), 0)]
    return cut.rstrip(" ,;:—-≥@") + "…"


_UNITS = frozenset(
    {"%", "s", "min", "h", "σ", "bp", "×", "prints", "print", "longs", "shorts", "venues"}
)
"""Words that belong to the number before them: a line is never cut or wrapped between
them (``≥ $50.2k longs``, ``−2.82 %``)."""


def wrap_words(text: str, width: int) -> list[str]:
    """``text`` wrapped to ``width`` cells at spaces, never between a number and its unit
    (Rich wraps at any space: ``price −2.82`` ending one line and ``%`` starting the next)."""
    groups: list[str] = []
    for word in text.split(" "):
        last = groups[-1] if groups else ""
        unit = word.rstrip(".,;)") in _UNITS and any(c.isdigit() for c in last)
        if unit or last == "≥":
            groups[-1] += " " + word
        else:
            groups.append(word)
    lines: list[str] = []
    line = ""
    for group in groups:
        if line and cell_len(line) + 1 + cell_len(group) > width:
            lines.append(line)
            line = group
        else:
            line = f"{line} {group}" if line else group
    lines.append(line)
    return lines


def symbol_labels(symbols: Iterable[str]) -> dict[str, str]:
    """Each symbol's base asset (``BTC``) unless two symbols share it (then the full name)."""
    unique = set(symbols)
    bases = Counter(fmt.short_symbol(s) for s in unique)
    return {s: fmt.short_symbol(s) if bases[fmt.short_symbol(s)] == 1 else s for s in unique}


SELECT_HELP = "in the alert log: select a newer / older alert"
SELECTION_HOLD_S = 120.0
"""An older alert selected stays selected as new ones arrive above it while the trader
reads; two minutes without a key in the log, the next alert brings the newest back into
view (a monitor left with an old alert selected showed it for hours, "↑ 255 newer")."""
OPEN_HELP = "in the alert log: read the selected alert in full (Escape closes)"
NEWEST_HELP = "in the alert log: back to the newest alert"
OLDEST_HELP = "in the alert log: to the oldest alert"
PAGE_HELP = "in the alert log: a page newer / older"


class AlertLog(LinesWidget, can_focus=True):
    """Newest first. ↑ / ↓ select an alert, Enter opens it in full (the line may be cut)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "newer", show=False, tooltip=SELECT_HELP),
        Binding("down,j", "move(1)", "older", show=False, tooltip=SELECT_HELP),
        Binding("enter", "open", "open alert", show=False, tooltip=OPEN_HELP),
        Binding("home,escape,g", "move_to(0)", "newest", show=False, tooltip=NEWEST_HELP),
        Binding("end,G", "move_to(-1)", "oldest", show=False, tooltip=OLDEST_HELP),
        Binding("pageup", "page(-1)", "page newer", show=False, tooltip=PAGE_HELP),
        Binding("pagedown", "page(1)", "page older", show=False, tooltip=PAGE_HELP),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "alert--title",
        "alert--dim",
        "alert--muted",
        "alert--cursor",
        *_KIND_PART.values(),
    }
    DEFAULT_CSS = """
    AlertLog { height: 1fr; padding: 0 1; background: $surface; }
    AlertLog > .alert--title { color: $primary; text-style: bold; }
    AlertLog > .alert--dim { color: $foreground-muted; }
    AlertLog > .alert--muted { color: $foreground-muted; text-style: italic; }
    AlertLog > .alert--cursor { background: $primary 30%; }
    /* NO_COLOR greys the tint to the text's own lightness: reverse video instead. */
    AlertLog:nocolor > .alert--cursor { background: $background; text-style: reverse; }
    AlertLog > .alert--cascade { color: $alert-cascade; text-style: bold; }
    AlertLog > .alert--squeeze { color: $alert-squeeze; text-style: bold; }
    AlertLog > .alert--exhausted { color: $alert-exhausted; text-style: bold; }
    AlertLog > .alert--funding { color: $alert-funding; text-style: bold; }
    AlertLog > .alert--oi { color: $alert-oi; text-style: bold; }
    """

    class Opened(Message):
        """The trader asked to read one alert in full."""

        def __init__(self, alert: Alert) -> None:
            super().__init__()
            self.alert = alert

    def __init__(
        self, *, id: str | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(id=id)
        self.entries: deque[LoggedAlert] = deque(maxlen=MAX_ALERTS)
        self.selected = 0
        """The selected alert, counted from the newest (shown only while focused)."""
        self._clock = clock
        self._read_at = 0.0
        """When the trader last moved in the log (``clock`` seconds)."""
        self._top = 0
        self.venue_tags = False
        """A venue column after the time (``BN+BY``) on a run over several venues."""
        self.today: int | None = None
        """The UTC day of the clock on screen: an alert of another day shows its date."""

    def add(self, alert: Alert, *, muted: bool = False) -> None:
        """Log ``alert`` in time order, newest first on screen. On several venues an alert
        carries the time of the venue that decided it, which may lag another venue's by
        seconds: appended as they arrived, the log read 12:25:08 above 12:25:01 above
        12:25:06."""
        entries = self.entries
        if entries.maxlen is not None and len(entries) == entries.maxlen:
            entries.popleft()
            if self.selected >= len(entries):
                self.selected = 0  # the alert being read is gone: back to the newest
        newer = 0  # logged alerts later than this one
        while newer < len(entries) and entries[-1 - newer].alert.ts > alert.ts:
            newer += 1
        entries.insert(len(entries) - newer, LoggedAlert(alert, muted))
        if self.selected > 0 and self._clock() - self._read_at > SELECTION_HOLD_S:
            self.selected = 0  # nobody has read the log for minutes: the newest in view
        elif self.selected > 0 and newer <= self.selected:
            self.selected += 1  # keep the same alert selected as others arrive
        self.redraw()

    def extend(self, alerts: Iterable[LoggedAlert]) -> None:
        """Log many at once (a restored history, written as the alerts arrived) in time
        order, as ``add`` does; alerts of one time keep the order they came in."""
        merged = sorted([*self.entries, *alerts], key=lambda e: e.alert.ts)
        self.entries = deque(merged, maxlen=MAX_ALERTS)
        self.redraw()

    def set_clock(self, now_ms: int) -> None:
        """The time on screen; the log is redrawn when its UTC day changes, so the
        alerts of the day before gain their date at midnight."""
        day = fmt.utc_day(now_ms)
        if day != self.today:
            self.today = day
            self.redraw()

    def stamp(self, ts_ms: int) -> str:
        """``20:16:33`` for an alert of the day on screen, ``Nov 29 20:16`` for one
        of an earlier day (a history restored at start may be days old)."""
        if self.today is None or fmt.utc_day(ts_ms) == self.today:
            return fmt.utc_time_ms(ts_ms)
        return fmt.utc_day_minute_ms(ts_ms)

    def set_muted(self, symbol: str, muted: bool) -> None:
        """Mute or unmute the alerts of ``symbol`` already in the log."""
        self.entries = deque(
            (replace(e, muted=muted) if e.alert.symbol == symbol else e for e in self.entries),
            maxlen=MAX_ALERTS,
        )
        self.redraw()

    @property
    def selected_alert(self) -> Alert | None:
        if not self.entries:
            return None
        index = min(self.selected, len(self.entries) - 1)
        return self.entries[-1 - index].alert

    def on_resize(self, event: events.Resize) -> None:
        self.redraw()
        if event.size.height > 0 and self.screen.focused is None:
            # Hiding the panels (a terminal too small) took the focus away; once the log
            # is back ↑ ↓ Enter read it again without a Tab first.
            self.focus()

    def on_focus(self, event: events.Focus) -> None:
        self.redraw()

    def on_blur(self, event: events.Blur) -> None:
        self.redraw()

    def action_move(self, step: int) -> None:
        self._read_at = self._clock()
        if self.entries:
            self.selected = max(0, min(len(self.entries) - 1, self.selected + step))
            self.redraw()

    def action_move_to(self, index: int) -> None:
        """Select the newest (0) or the oldest (-1) alert: after reading old ones, one key
        brings the newest back into view (↑ pressed once per alert was the only way)."""
        self.action_move(len(self.entries) if index < 0 else -len(self.entries))

    def action_page(self, pages: int) -> None:
        self.action_move(pages * max(self.content_size.height - 2, 1))

    def action_open(self) -> None:
        self._read_at = self._clock()
        chosen = self.selected_alert
        if chosen is not None:
            self.post_message(self.Opened(chosen))

    def on_click(self, event: events.Click) -> None:
        index = self._top + event.y - 1  # line 0 is the title
        self._read_at = self._clock()
        if event.y >= 1 and 0 <= index < len(self.entries):
            self.selected = index
            self.redraw()
            self.action_open()

    def redraw(self) -> None:
        if not self.is_mounted:
            # An alert can arrive before the log is on screen (a fast feed at start-up):
            # it is kept in ``entries`` and drawn by the first resize after mounting.
            return
        room = max(self.content_size.height - 1, 1)
        width = max(self.content_size.width, 20)
        self.selected = min(self.selected, max(len(self.entries) - 1, 0))
        # Scroll just enough to keep the selection on screen.
        self._top = min(self._top, self.selected)
        self._top = max(self._top, self.selected - room + 1, 0)
        # ... and never leave rows blank below the oldest: a scroll set while the log was
        # hidden (one row of room, the tape on screen) must not stick once it is back.
        self._top = min(self._top, max(len(self.entries) - room, 0))
        title = Text().append(f"Alerts ({len(self.entries)})", style=self.part("alert--title"))
        if self._top:
            # Reading an older alert keeps it selected while new ones arrive above it,
            # out of view: the title says how many.
            title.append(f"  ↑ {self._top} newer", style=self.part("alert--title"))
        restored = any(e.restored for e in self.entries)
        for hint in (
            "  informational only — facts, no trade plans",
            "  ·  dimmed: from before this start" if restored else "",
            "  ·  ↑↓ Enter: read in full" if self.has_focus else "",
        ):
            if hint and title.cell_len + cell_len(hint) <= width:
                title.append(hint, style=self.part("alert--dim"))
        lines = [title]
        newest = list(reversed(self.entries))[self._top : self._top + room]
        labels = symbol_labels(e.alert.symbol for e in self.entries)
        venue_width = max((len(fmt.venue_tags(e.alert.exchange)) for e in newest), default=0)
        for offset, entry in enumerate(newest):
            line = self._line(entry, labels[entry.alert.symbol], width, venue_width)
            if self.has_focus and self._top + offset == self.selected:
                line.stylize(self.part("alert--cursor"))
            lines.append(line)
        if len(self.entries) == 0:
            lines.append(Text().append("no alerts yet", style=self.part("alert--dim")))
        self.set_lines(lines)

    def _line(self, entry: LoggedAlert, label: str, width: int, venue_width: int) -> Text:
        alert = entry.alert
        dim = self.part("alert--dim")
        if entry.muted:
            kind = self.part("alert--muted")
        elif entry.restored:  # an earlier run's: its colour would read as news
            kind = self.part("alert--dim")
        else:
            kind = self.part(_KIND_PART[alert.kind])
        text = Text().append(self.stamp(alert.ts) + " ", style=dim)
        if self.venue_tags:
            text.append(fmt.venue_tags(alert.exchange).ljust(venue_width) + " ", style=dim)
        text.append(label + " ")
        text.append(alert.kind.value if width >= FULL_KIND_WIDTH else SHORT_KIND[alert.kind], kind)
        if entry.muted:
            text.append(" (muted)", style=dim)
        room = width - text.cell_len - 1
        if room >= 2:
            facts = alert_facts(alert)
            if cell_len(facts) > room:
                facts = short_facts(alert) or facts
            text.append(
                " " + fit_words(facts, room),
                style=self.part("alert--muted" if entry.muted else "alert--dim")
                if entry.muted or entry.restored
                else None,
            )
        return text
