"""The per-venue breakdown of one asset (``v``): price and spread, OI, funding, prints, feed.

Each row is one venue's own snapshot of the symbol (``venue_snapshots``), in watch
order; the first venue with a price is the reference the others' spread is read
against. The table narrows by whole pieces (venue names become tags, the gaps
shrink, the feed's word goes) and never cuts a number.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events

from scalptui.models import DetectorSnapshot, StreamState, venue_label, venue_tag
from scalptui.numfmt import duration
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
HEADINGS = ("Venue", "Price", "vs first", "OI", "Fund 8h", "Longs liq", "Shorts liq", "Feed")
_RIGHT = (False, True, True, True, True, True, True, False)
"""Numbers align right, names left."""


@dataclass(frozen=True, slots=True)
class VenueRow:
    """What the breakdown shows of one venue."""

    venue: str
    price: float | None
    spread_bp: float | None
    """Price against the reference venue's, in basis points (None without both prices)."""
    reference: bool
    """This venue's price is the one the others are read against."""
    oi_usd: float | None
    funding_8h: float | None
    long_usd: float | None
    short_usd: float | None
    sampled: bool
    """The venue throttles its liquidation stream: its sums are a lower bound."""
    feed: VenueState | None
    tick: float | None = None
    """The venue's price tick for the symbol: the price is shown to it."""


def venue_rows(
    snapshots: Mapping[str, DetectorSnapshot],
    states: Mapping[str, VenueState],
    venues: Sequence[str] = (),
) -> list[VenueRow]:
    """One row per venue, in the snapshots' (watch) order, then any of ``venues`` the
    detector has nothing from yet (a venue down since the start is listed, not hidden)."""
    prices = {venue: _price(snap) for venue, snap in snapshots.items()}
    # A spread is between prices that flow: a venue down holds its last price, and a
    # spread against it (or from it) drifted with the others' prices alone.
    flowing = {venue: _flowing(states.get(venue)) for venue in snapshots}
    reference = next((v for v, p in prices.items() if p and flowing[v]), None)
    reference = reference or next((v for v, p in prices.items() if p), None)
    base = prices[reference] if reference is not None and flowing[reference] else None
    rows = []
    for venue, snap in snapshots.items():
        price = prices[venue]
        spread = None
        if base and price and venue != reference and flowing[venue]:
            spread = (price - base) / base * 10_000.0
        liqs = snap.recent_liquidations
        # The realised overlay's sums (the ladder's ✱ window), exact over the same time
        # on every venue: the newest prints by count were 100 of a complete venue's in a
        # cascade against minutes of a sampled one's, and could not be compared.
        rows.append(
            VenueRow(
                venue=venue,
                price=price,
                spread_bp=spread,
                reference=venue == reference,
                oi_usd=_oi_usd(snap, price),
                funding_8h=snap.funding.rate_8h if snap.funding is not None else None,
                long_usd=sum(b.realized_long_usd for b in snap.ladder),
                short_usd=sum(b.realized_short_usd for b in snap.ladder),
                sampled=any(q.sampled for q in liqs),
                feed=states.get(venue),
                tick=snap.tick_size,
            )
        )
    for venue in venues:
        if venue not in snapshots:
            rows.append(_empty_row(venue, states.get(venue)))
    return rows


def _flowing(state: VenueState | None) -> bool:
    """Whether the venue's prices flow: live, or only one stream lagging (``OI``)."""
    return state is None or state.state is StreamState.LIVE or bool(state.stream)


def _empty_row(venue: str, state: VenueState | None) -> VenueRow:
    return VenueRow(venue, None, None, False, None, None, None, None, False, state)


def _price(snap: DetectorSnapshot) -> float | None:
    return snap.last if snap.last is not None else snap.mark


def _oi_usd(snap: DetectorSnapshot, price: float | None) -> float | None:
    oi = snap.open_interest
    if oi is None:
        return None
    if oi.value is not None:
        return oi.value
    return oi.amount * price if price is not None else None


def _printed(usd: float | None, *, sampled: bool) -> str:
    """A sampled venue's sum is a lower bound (``≥ $1.2M``); nothing printed is ``$0``."""
    return fmt.usd(usd, lower_bound=sampled and bool(usd))


def spread_text(bp: float | None, *, reference: bool = False) -> str:
    """``+1.2 bp``, ``−0.4 bp``; ``ref`` for the reference venue itself."""
    if reference:
        return "ref"
    if bp is None:
        return fmt.UNKNOWN
    # The percentage's signed formatting (no negative zero), read in basis points.
    return fmt.pct(bp, 1).replace(" %", " bp")


def feed_text(state: VenueState | None, *, with_word: bool) -> str:
    if state is None:
        return "–"
    if not state.listed:
        return f"{UNLISTED_GLYPH} not listed" if with_word else UNLISTED_GLYPH
    text = _STATE_GLYPH.get(state.state, "?")
    if with_word:
        text += f" {state_words(state.state, state.stream)}"
    if state.state is not StreamState.LIVE and state.age_s is not None:
        text += f" {fmt.age(state.age_s)}"
    return text


@dataclass(frozen=True, slots=True)
class TableLayout:
    """One way of laying the table out, from the widest to the narrowest."""

    tags: bool
    gap: int
    feed_word: bool


LAYOUTS = (
    TableLayout(tags=False, gap=2, feed_word=True),
    TableLayout(tags=True, gap=2, feed_word=True),
    TableLayout(tags=True, gap=1, feed_word=True),
    TableLayout(tags=True, gap=1, feed_word=False),
)


def row_cells(row: VenueRow, layout: TableLayout) -> tuple[str, ...]:
    return (
        venue_tag(row.venue) if layout.tags else venue_label(row.venue),
        fmt.price(row.price, tick=row.tick),
        spread_text(row.spread_bp, reference=row.reference),
        fmt.usd(row.oi_usd),
        fmt.rate_pct(row.funding_8h),
        _printed(row.long_usd, sampled=row.sampled),
        _printed(row.short_usd, sampled=row.sampled),
        feed_text(row.feed, with_word=layout.feed_word),
    )


def column_widths(rows: list[VenueRow], layout: TableLayout) -> list[int]:
    widths = [len(h) for h in HEADINGS]
    for row in rows:
        for i, cell in enumerate(row_cells(row, layout)):
            widths[i] = max(widths[i], len(cell))
    return widths


def choose_layout(rows: list[VenueRow], width: int) -> TableLayout:
    """The widest layout whose lines fit ``width`` (the narrowest when none does)."""
    for layout in LAYOUTS:
        widths = column_widths(rows, layout)
        if sum(widths) + layout.gap * (len(widths) - 1) <= width:
            return layout
    return LAYOUTS[-1]


class VenueTable(LinesWidget):
    """The breakdown of ``symbol`` over its venues, redrawn by ``show``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "venues--title",
        "venues--head",
        "venues--long",
        "venues--short",
        "venues--live",
        "venues--stale",
        "venues--down",
        "venues--dim",
    }
    DEFAULT_CSS = """
    VenueTable { height: auto; }
    VenueTable > .venues--title { color: $primary; text-style: bold; }
    VenueTable > .venues--head { color: $foreground-muted; text-style: bold; }
    VenueTable > .venues--long { color: $long-liq; }
    VenueTable > .venues--short { color: $short-liq; }
    VenueTable > .venues--live { color: $feed-live; }
    VenueTable > .venues--stale { color: $feed-stale; }
    VenueTable > .venues--down { color: $feed-down; }
    VenueTable > .venues--dim { color: $foreground-muted; }
    """

    def __init__(self, *, window_s: float = 900.0, id: str | None = None) -> None:
        super().__init__(id=id)
        self._window_s = window_s
        """The realised window the liquidation columns sum (the ladder's ✱)."""
        self._symbol = ""
        self._rows: list[VenueRow] = []
        self._paused = False

    def show(self, symbol: str, rows: list[VenueRow], *, paused: bool = False) -> None:
        self._symbol, self._rows, self._paused = symbol, rows, paused
        self.redraw()

    def on_resize(self, event: events.Resize) -> None:
        self.redraw()

    def redraw(self) -> None:
        width = max(self.content_size.width, 20)
        rows = self._rows
        title = Text(f"{self._symbol} by venue", style=self.part("venues--title"))
        if self._paused:
            title.append("  paused", style=self.part("venues--dim"))
        lines = [title, Text()]
        if not rows:
            lines.append(Text("no data from any venue yet", style=self.part("venues--dim")))
            self.set_lines(lines)
            return
        layout = choose_layout(rows, width)
        widths = column_widths(rows, layout)
        need = sum(widths) + layout.gap * (len(widths) - 1)
        if need > width:  # cut at the edge, "$911k" read "$9": say so instead
            here = self.content_size.width
            words = f"too narrow for the table: {here} columns here, it needs {need}"
            lines.append(Text(words, style=self.part("venues--stale")))
            self.set_lines(lines)
            return
        lines.append(self._line(HEADINGS, widths, layout.gap, [self.part("venues--head")] * 8))
        for row in rows:
            lines.append(self._line(row_cells(row, layout), widths, layout.gap, self._styles(row)))
        lines.append(Text())
        lines += [Text(note, style=self.part("venues--dim")) for note in self._notes(rows, width)]
        self.set_lines(lines)

    def _line(
        self, cells: tuple[str, ...], widths: list[int], gap: int, styles: list[Style]
    ) -> Text:
        text = Text()
        for i, (cell, cell_width) in enumerate(zip(cells, widths, strict=True)):
            if i:
                text.append(" " * gap)
            padded = cell.rjust(cell_width) if _RIGHT[i] else cell.ljust(cell_width)
            text.append(padded, style=styles[i])
        return text

    def _styles(self, row: VenueRow) -> list[Style]:
        plain = Style()
        feed = row.feed.state if row.feed is not None else None
        if row.feed is not None and not row.feed.listed:
            feed_part = "venues--dim"
        elif feed is StreamState.LIVE:
            feed_part = "venues--live"
        elif feed in (StreamState.FAILED, StreamState.CLOSED):
            feed_part = "venues--down"
        else:
            feed_part = "venues--stale"
        return [
            Style(bold=True),
            plain,
            plain,
            plain,
            plain,
            self.part("venues--long"),
            self.part("venues--short"),
            self.part(feed_part),
        ]

    def _notes(self, rows: list[VenueRow], width: int) -> list[str]:
        # the reference row: the first venue with a price that flows (``venue_rows``)
        first = next((r for r in rows if r.reference), None) or next(
            (r for r in rows if r.price), rows[0]
        )
        notes = []
        if len(rows) == 1:
            notes.append(
                f"{venue_label(rows[0].venue)} is the only venue watched; "
                "--exchange binanceusdm,bybit,okx watches several."
            )
        else:
            notes.append(f"vs first: price against {venue_label(first.venue)}, in basis points.")
        notes.append(
            "OI in USD · funding normalised to 8 h · liquidations: realised prints of "
            f"the last {duration(self._window_s)}; ≥ is a sampled venue's lower bound."
        )
        return [line for note in notes for line in textwrap.wrap(note, width)]
