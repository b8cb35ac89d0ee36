"""Fuzzy symbol search as a command-palette provider (``/`` and ctrl+p).

The candidates are the exchange's markets (on the demo, the simulated
exchange's catalogue), watched symbols first; choosing one that is not watched
adds it to the watchlist and starts streaming it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.app import App
from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from scalptui.ui.app import ScalpApp

SEARCH_PLACEHOLDER = "Search symbols…"
PALETTE_ID = "--command-palette"  # Textual's own id for its palette screen


def show_symbol_search(app: App[Any]) -> None:
    """Open Textual's command palette, worded for what it searches here: symbols."""
    if app.use_command_palette and not CommandPalette.is_open(app):
        app.push_screen(CommandPalette(id=PALETTE_ID, placeholder=SEARCH_PLACEHOLDER))


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
        matcher = self.matcher(query)
        for symbol in self._candidates():
            score = matcher.match(symbol)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(symbol),
                    partial(self._app.choose_symbol, symbol),
                    text=symbol,
                    help=self._help(symbol),
                )
