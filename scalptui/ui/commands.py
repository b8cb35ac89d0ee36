"""Fuzzy symbol search as a command-palette provider (``/`` and ctrl+p)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from scalptui.ui.app import ScalpApp


class SymbolSearch(Provider):
    """Every market of the exchange; choosing one adds it to the watchlist and shows it."""

    @property
    def _app(self) -> ScalpApp:
        return cast("ScalpApp", self.app)

    def _candidates(self) -> tuple[str, ...]:
        markets = self._app.markets or self._app.watchlist
        return tuple(dict.fromkeys((*self._app.watchlist, *markets)))

    async def discover(self) -> Hits:
        for symbol in self._app.watchlist:
            yield DiscoveryHit(symbol, partial(self._app.choose_symbol, symbol), help="watched")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for symbol in self._candidates():
            score = matcher.match(symbol)
            if score > 0:
                watched = symbol in self._app.watchlist
                yield Hit(
                    score,
                    matcher.highlight(symbol),
                    partial(self._app.choose_symbol, symbol),
                    text=symbol,
                    help="watched" if watched else "add to the watchlist",
                )
