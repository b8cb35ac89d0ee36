"""The watchlist strip: slot number, symbol, last price, change, episode and mute marks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events

from scalptui.models import Bar, DetectorSnapshot, Side
from scalptui.ui import format as fmt
from scalptui.ui.widgets.lines import LinesWidget
from scalptui.ui.widgets.price import hour_change


@dataclass(frozen=True, slots=True)
class WatchItem:
    symbol: str
    last: float | None
    change_pct: float | None
    episode: Side | None = None
    """Side of an active cascade (long) / squeeze (short) episode, if any."""
    muted: bool = False
    tick: float | None = None
    """The market's price tick, once known: the price is shown to it."""


def watch_item(
    symbol: str,
    snap: DetectorSnapshot | None,
    episode: Side | None,
    *,
    muted: bool,
    warm_bars: tuple[Bar, ...] = (),
) -> WatchItem:
    """The strip's entry for ``symbol`` from its snapshot (None: nothing seen of it yet);
    its 1 h change as the price panel's, from the warm-start candles in the first hour."""
    if snap is None:
        return WatchItem(symbol, None, None, episode, muted)
    change = hour_change(snap, warm_bars)
    return WatchItem(symbol, snap.last, change, episode, muted, snap.tick_size)


class WatchlistStrip(LinesWidget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "watch--current",
        "watch--up",
        "watch--down",
        "watch--long-episode",
        "watch--short-episode",
        "watch--dim",
    }
    DEFAULT_CSS = """
    WatchlistStrip { height: 1; background: $surface; color: $foreground; }
    WatchlistStrip > .watch--current { background: $primary 35%; text-style: bold; }
    WatchlistStrip > .watch--up { color: $up; }
    WatchlistStrip > .watch--down { color: $down; }
    /* NO_COLOR greys every colour by its lightness: the up/down colour on the current
       slot's tint came out grey on grey, the change unreadable. Reverse video instead. */
    WatchlistStrip:nocolor > .watch--current { background: $background; text-style: bold reverse; }
    WatchlistStrip:nocolor > .watch--up { color: $foreground; }
    WatchlistStrip:nocolor > .watch--down { color: $foreground; }
    WatchlistStrip > .watch--long-episode { background: $long-liq;
        color: $background; text-style: bold; }
    WatchlistStrip > .watch--short-episode { background: $short-liq;
        color: $background; text-style: bold; }
    WatchlistStrip > .watch--dim { color: $foreground-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._items: tuple[WatchItem, ...] = ()
        self._current = ""

    def show(self, items: tuple[WatchItem, ...], current: str) -> None:
        self._items, self._current = items, current
        self.set_lines([self._compose_line(self.size.width)])

    def follow_price(self, symbol: str, last: float | None) -> None:
        """The symbol on screen at the price panel's rate: its entry read another price
        than "Last" beside it for up to a second."""
        items = self._items
        for i, item in enumerate(items):
            if item.symbol == symbol and item.last != last and last is not None:
                updated = dataclasses.replace(item, last=last)
                self.show((*items[:i], updated, *items[i + 1 :]), self._current)
                return

    def on_resize(self, event: events.Resize) -> None:
        self.show(self._items, self._current)

    def _compose_line(self, width: int) -> Text:
        """Whole items only: the change column goes first, then the strip scrolls.

        A watchlist wider than the terminal shows a window of items that always
        holds the current one, with ``‹`` / ``›`` where items are hidden.
        """
        full = [self._item_text(i, item, with_change=True) for i, item in enumerate(self._items)]
        if _strip_width(full) <= width:
            return _joined(full)
        parts = [self._item_text(i, it, with_change=False) for i, it in enumerate(self._items)]
        if _strip_width(parts) <= width:
            return _joined(parts)
        current = next((i for i, it in enumerate(self._items) if it.symbol == self._current), 0)
        first, last = _window(parts, current, width - 4)  # room for the two scroll marks
        line = Text().append("‹" if first > 0 else " ", style=self.part("watch--dim"))
        line.append_text(_joined(parts[first : last + 1]))
        if last < len(parts) - 1:
            line.append(" ›", style=self.part("watch--dim"))
        return line

    def _item_text(self, index: int, item: WatchItem, *, with_change: bool) -> Text:
        text = Text()
        slot = f"{index + 1}" if index < 9 else "·"
        text.append(f"{slot} ", style=self.part("watch--dim"))
        text.append(fmt.short_symbol(item.symbol))
        text.append(f" {fmt.price(item.last, tick=item.tick)}")
        if with_change and item.change_pct is not None:
            part = "watch--up" if item.change_pct >= 0 else "watch--down"
            text.append(f" {fmt.pct(item.change_pct)}", style=self.part(part))
        if item.episode is Side.LONG:
            text.append(" ▼", style=self.part("watch--long-episode"))
        elif item.episode is Side.SHORT:
            text.append(" ▲", style=self.part("watch--short-episode"))
        if item.muted:
            text.append(" ×", style=self.part("watch--dim"))
        if item.symbol == self._current:
            text.stylize(self.part("watch--current"))
        return text


def _strip_width(parts: list[Text]) -> int:
    return sum(t.cell_len for t in parts) + len(parts)


def _joined(parts: list[Text]) -> Text:
    line = Text()
    for part in parts:
        line.append(" ")
        line.append_text(part)
    return line


def _window(parts: list[Text], current: int, width: int) -> tuple[int, int]:
    """The widest run of whole items around ``current`` that fits ``width`` (it leads)."""
    first = last = current
    used = parts[current].cell_len + 1
    while True:
        grew = False
        if last + 1 < len(parts) and used + parts[last + 1].cell_len + 1 <= width:
            last += 1
            used += parts[last].cell_len + 1
            grew = True
        if first > 0 and used + parts[first - 1].cell_len + 1 <= width:
            first -= 1
            used += parts[first].cell_len + 1
            grew = True
        if not grew:
            return first, last
