"""Fuzzy symbol search as a command-palette provider (``/`` and ctrl+p).

The candidates are the exchange's markets (on the demo, the simulated
exchange's catalogue), watched symbols first; choosing one that is not watched
adds it to the watchlist and starts streaming it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual import events
from textual.app import App
from textual.command import CommandInput, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.css.query import NoMatches

from scalptui.config import unified_symbol

if TYPE_CHECKING:
    from scalptui.ui.app import ScalpApp

SEARCH_PLACEHOLDER = "Search symbols…"
PALETTE_ID = "--command-palette"  # Textual's own id for its palette screen


def show_symbol_search(app: App[Any]) -> None:
    """Open Textual's command palette, worded for what it searches here: symbols."""
    if app.use_command_palette and not CommandPalette.is_open(app):
        app.push_screen(SearchPalette(id=PALETTE_ID, placeholder=SEARCH_PLACEHOLDER))


class SearchPalette(CommandPalette):
    """The command palette, keeping what is typed before its input has the focus.

    Over SSH the keys of ``/xrp`` often arrive in one read: the three letters reached
    the palette before its input was focused and were lost (never run as hotkeys
    either). They are kept and put in the input once it is there.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._early = ""

    def on_key(self, event: events.Key) -> None:
        # A printable key the focused input took never gets here: this one was sent to
        # the screen while nothing had the focus yet.
        if event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self.type_early(event.character)

    def type_early(self, text: str) -> None:
        """Keys typed before the input could take them (the app hands over those that
        reached the screen below): they go into the input, in order, once it is there."""
        self._early += text
        self.call_after_refresh(self._type_early_keys)

    def _type_early_keys(self) -> None:
        if not self._early:
            return
        try:
            field = self.query_one(CommandInput)
        except NoMatches:
            self.call_after_refresh(self._type_early_keys)
            return
        field.focus()
        field.insert_text_at_cursor(self._early)
        self._early = ""


class SymbolSearch(Provider):
    """Every market of the exchange; choosing one adds it to the watchlist and shows it."""

    @property
    def _app(self) -> ScalpApp:
        return cast("ScalpApp", self.app)

    def _candidates(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self._app.watchlist, *self._app.markets)))

    def _help(self, symbol: str) -> str:
        return "watched" if symbol in self._app.watchlist else "add to the watchlist"

    async def discover(self) -> Hits:
        for symbol in self._candidates():
            yield DiscoveryHit(
                symbol, partial(self._app.choose_symbol, symbol), help=self._help(symbol)
            )

    async def search(self, query: str) -> Hits:
        candidates = self._candidates()
        # A symbol typed in full as traders write it (ETHUSDT, eth usdt, ETH-USDT-SWAP)
        # is that market, first, whatever the fuzzy score of those letters.
        exact = unified_symbol(query) if any(c.isalnum() for c in query) else None
        matcher = self.matcher(query)
        fuzzy = [(matcher.match(s), s) for s in candidates if s != exact]
        fuzzy = [(score, s) for score, s in fuzzy if score > 0]
        if exact in candidates:
            # Fuzzy scores have no ceiling ("dot" scores DOGE 5.8, "btc" BTCDOM 12): the
            # market typed in full must outrank every one of them.
            yield self._hit(max((score for score, _ in fuzzy), default=0.0) + 1.0, exact, exact)
        for score, symbol in fuzzy:
            yield self._hit(score, matcher.highlight(symbol), symbol)

    def _hit(self, score: float, shown: str | Content, symbol: str) -> Hit:
        return Hit(
            score,
            shown,
            partial(self._app.choose_symbol, symbol),
            text=symbol,
            help=self._help(symbol),
        )
