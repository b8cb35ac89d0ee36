"""The one-line header: exchange, symbol, feed state and age, badges, UTC clock.

On a run over several venues the exchange and the one feed state give way to one
chip per venue (``BN ● BY ● OK ◌ stale 14 s``): a venue down or stale is seen at
a glance while the others keep streaming.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events

from scalptui.models import StreamState, venue_tag
from scalptui.ui import format as fmt
from scalptui.ui.market_book import UNLISTED_GLYPH, VenueState, state_words
from scalptui.ui.widgets.lines import LinesWidget

_STATE_GLYPH = {
    StreamState.LIVE: "●",
    StreamState.CONNECTING: "◌",
    StreamState.STALE: "◌",
    StreamState.RECONNECTING: "↻",
    StreamState.FAILED: "✖",
    StreamState.CLOSED: "■",
}
_LEVELS = 10
"""How many ways the header can shorten itself (see ``HeaderBar._compose_line``)."""
_NO_AGE_LEVEL = 8
"""From this level on a venue chip drops its age (its glyph and colour still say stale)."""
_TIGHT_LEVEL = 9
"""From this level on a venue chip is its tag and glyph without a space (``BN●``)."""


@dataclass(frozen=True, slots=True)
class HeaderInfo:
    exchange: str
    symbol: str
    state: StreamState
    age_s: float | None
    clock_s: float
    simulated: bool = False
    replay: bool = False
    paused: bool = False
    note: str = ""
    """A short warning beside the clock (e.g. the local clock is off the exchange's)."""
    bell: bool = False
    muted: bool = False
    progress: float | None = None
    """How much of a replayed recording has been read, 0..1 (None when live)."""
    speed: float | None = None
    """A replay's speed (event time per wall time; 0: as fast as it can; None when live)."""
    ended: bool = False
    """A replay played to the recording's end (its clock stands there for good)."""
    venues: tuple[VenueState, ...] = ()
    """Each venue's state on this symbol, in watch order (shown when there are several)."""
    shed: int = 0
    """Trades and marks a single venue's feed shed so far (several venues: each chip's)."""
    stream: str = ""
    """The one stream whose state this is while the rest of the data flows (``OI``), and
    ``age_s`` is then its own age; empty when the state is the feed's as a whole."""
    behind_s: float | None = None
    """How far behind the market the monitor is reading, once that is seconds (``lag``)."""

    @property
    def multi_venue(self) -> bool:
        return len(self.venues) > 1


class HeaderBar(LinesWidget):
    """Never shows a frozen "live": the state and the age of the last message travel together."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "header--title",
        "header--live",
        "header--stale",
        "header--down",
        "header--simulated",
        "header--replay",
        "header--paused",
        "header--behind",
        "header--dim",
    }
    DEFAULT_CSS = """
    HeaderBar { height: 1; background: $panel; color: $foreground; }
    HeaderBar > .header--title { color: $primary; text-style: bold; }
    HeaderBar > .header--live { color: $feed-live; text-style: bold; }
    HeaderBar > .header--stale { color: $feed-stale; text-style: bold; }
    HeaderBar > .header--down { color: $feed-down; text-style: bold; }
    HeaderBar > .header--simulated { background: $badge-simulated;
        color: $background; text-style: bold; }
    HeaderBar > .header--replay { background: $badge-replay; color: $background; text-style: bold; }
    HeaderBar > .header--paused { background: $warning; color: $background; text-style: bold; }
    HeaderBar > .header--behind { background: $feed-stale; color: $background; text-style: bold; }
    HeaderBar > .header--dim { color: $foreground-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._info: HeaderInfo | None = None

    def show(self, info: HeaderInfo) -> None:
        self._info = info
        self.set_lines([self._compose_line(info, self.size.width)])

    def on_resize(self, event: events.Resize) -> None:
        if self._info is not None:
            self.show(self._info)

    def _compose_line(self, info: HeaderInfo, width: int) -> Text:
        """The fullest header that fits ``width``, dropping whole pieces in a planned order.

        The title goes first, then the exchange, then the symbol's quote currency,
        the note, the bell / muted words, " UTC" and last the state's word (its
        glyph stays); the age, every badge and the clock are never cut (the
        minimum size leaves room for them). With several venues the chips then
        drop a non-live venue's age, and last the space inside each chip; a
        venue's glyph and colour always stay.
        """
        line = Text()
        for level in range(_LEVELS):
            line = self._line_at(info, width, level)
            if line.cell_len <= width:
                return line
        return line

    def _line_at(self, info: HeaderInfo, width: int, level: int) -> Text:
        left = Text(" ")
        if level < 1:
            left = Text().append(" scalptui ", style=self.part("header--title"))
        if level < 2 and not info.multi_venue:
            left.append(f"{info.exchange} · ", style=self.part("header--dim"))
        left.append(info.symbol if level < 3 else fmt.short_symbol(info.symbol))
        left.append("  ")
        if info.multi_venue:
            left.append_text(self._venue_chips(info.venues, level))
        else:
            left.append_text(self._feed_text(info, with_word=level < 7))
        for label, part in self._badges(info):
            left.append("  ")
            left.append(label, style=self.part(part))
        flags = ""
        if level < 4 and info.note:
            flags += f"{info.note}  "
        if level < 5:
            # two words apart: "bell muted" read as the bell being muted
            flags += ("bell on  " if info.bell else "") + ("muted  " if info.muted else "")
        clock = fmt.utc_clock(info.clock_s) + (" UTC " if level < 6 else " ")
        right = Text().append(f"{flags}{clock}", style=self.part("header--dim"))
        gap = width - left.cell_len - right.cell_len
        left.append(" " * max(gap, 1))
        left.append_text(right)
        return left

    def _badges(self, info: HeaderInfo) -> list[tuple[str, str]]:
        # Its speed unless 1 ("×5", "×max"): ages and the clock run on the recording's
        # time, and without the speed a trader could not tell how fast it passes.
        speed = ""
        if info.speed is not None and info.speed != 1.0:
            speed = "×max " if info.speed <= 0 else f"×{info.speed:g} "
        replay_label = f" REPLAY {speed}"
        if info.ended:  # "100%" with every chip "closed" read as a replay stuck
            replay_label = " REPLAY END "
        elif info.progress is not None:
            replay_label += f"{info.progress:.0%} "
        return [
            (label, part)
            for flag, label, part in (
                (info.simulated, " SIMULATED ", "header--simulated"),
                (info.replay, replay_label, "header--replay"),
                (info.paused, " PAUSED ", "header--paused"),
                (
                    info.behind_s is not None,
                    f" {info.behind_s or 0:.0f} s BEHIND ",
                    "header--behind",
                ),
            )
            if flag
        ]

    def _venue_chips(self, venues: tuple[VenueState, ...], level: int) -> Text:
        """``BN ● BY ● OK ◌ stale 14 s``: a live venue is its tag and glyph; any other
        also says its state and how old its last message is, while there is room; a
        venue that does not list the symbol says so (``OK – not listed``)."""
        text = Text()
        for n, venue in enumerate(venues):
            if n:
                text.append(" ")
            text.append(venue_tag(venue.venue) + ("" if level >= _TIGHT_LEVEL else " "))
            # a venue without such a market is dim: nothing is wrong with the venue
            listed = venue.listed
            part = _state_part(venue.state) if listed else "header--dim"
            glyph = _STATE_GLYPH.get(venue.state, "?") if listed else UNLISTED_GLYPH
            text.append(glyph, style=self.part(part))
            if venue.shed:  # the venue's, over every symbol
                text.append(f" shed {venue.shed}", style=self.part("header--stale"))
            if not listed:
                if level < 7:
                    text.append(" not listed", style=self.part(part))
                continue
            if venue.state is StreamState.LIVE:
                continue
            if level < 7:
                text.append(f" {state_words(venue.state, venue.stream)}", style=self.part(part))
            if venue.age_s is not None and level < _NO_AGE_LEVEL:
                text.append(f" {fmt.age(venue.age_s)}", style=self.part("header--dim"))
        return text

    def _feed_text(self, info: HeaderInfo, *, with_word: bool = True) -> Text:
        glyph = _STATE_GLYPH.get(info.state, "?")
        part = _state_part(info.state)
        label = f"{glyph} {state_words(info.state, info.stream)}" if with_word else glyph
        text = Text().append(label, style=self.part(part))
        if info.age_s is not None:
            text.append(f" {fmt.age(info.age_s)}", style=self.part("header--dim"))
        if info.shed:
            text.append(f" shed {info.shed}", style=self.part("header--stale"))
        return text


def _state_part(state: StreamState) -> str:
    """The colour of a feed state: live, on its way (stale, connecting) or down."""
    if state is StreamState.LIVE:
        return "header--live"
    if state in (StreamState.STALE, StreamState.CONNECTING, StreamState.RECONNECTING):
        return "header--stale"
    return "header--down"
