"""The alert log: every alert of every watched symbol, newest first, coloured by kind."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events

from scalptui.detector.text import CLOSING, blank_plan_words
from scalptui.models import Alert, AlertKind
from scalptui.ui import format as fmt
from scalptui.ui.state import MAX_ALERTS
from scalptui.ui.widgets.lines import LinesWidget

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


def alert_line(alert: Alert, *, muted: bool = False) -> str:
    """The plain text of one log line: time, symbol, kind, facts."""
    mark = " (muted)" if muted else ""
    return (
        f"{fmt.utc_time_ms(alert.ts)} {alert.symbol} {alert.kind.value}{mark} {alert_facts(alert)}"
    )


class AlertLog(LinesWidget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "alert--title",
        "alert--dim",
        "alert--muted",
        *_KIND_PART.values(),
    }
    DEFAULT_CSS = """
    AlertLog { height: 1fr; padding: 0 1; background: $surface; }
    AlertLog > .alert--title { color: $primary; text-style: bold; }
    AlertLog > .alert--dim { color: $foreground-muted; }
    AlertLog > .alert--muted { color: $foreground-muted; text-style: italic; }
    AlertLog > .alert--cascade { color: $alert-cascade; text-style: bold; }
    AlertLog > .alert--squeeze { color: $alert-squeeze; text-style: bold; }
    AlertLog > .alert--exhausted { color: $alert-exhausted; text-style: bold; }
    AlertLog > .alert--funding { color: $alert-funding; text-style: bold; }
    AlertLog > .alert--oi { color: $alert-oi; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: deque[LoggedAlert] = deque(maxlen=MAX_ALERTS)

    def add(self, alert: Alert, *, muted: bool = False) -> None:
        self.entries.append(LoggedAlert(alert, muted))
        self.redraw()

    def extend(self, alerts: Iterable[LoggedAlert]) -> None:
        self.entries.extend(alerts)
        self.redraw()

    def on_resize(self, event: events.Resize) -> None:
        self.redraw()

    def redraw(self) -> None:
        room = max(self.content_size.height - 1, 1)
        title = Text().append(f"Alerts ({len(self.entries)})", style=self.part("alert--title"))
        title.append("  informational only — facts, no trade plans", style=self.part("alert--dim"))
        lines = [title]
        for entry in list(self.entries)[-room:][::-1]:
            lines.append(self._line(entry))
        if len(self.entries) == 0:
            lines.append(Text().append("no alerts yet", style=self.part("alert--dim")))
        self.set_lines(lines)

    def _line(self, entry: LoggedAlert) -> Text:
        alert = entry.alert
        dim = self.part("alert--dim")
        kind = self.part("alert--muted" if entry.muted else _KIND_PART[alert.kind])
        text = Text().append(fmt.utc_time_ms(alert.ts) + " ", style=dim)
        text.append(alert.symbol + " ")
        text.append(alert.kind.value, style=kind)
        if entry.muted:
            text.append(" (muted)", style=dim)
        text.append(
            " " + alert_facts(alert), style=self.part("alert--muted") if entry.muted else None
        )
        return text
