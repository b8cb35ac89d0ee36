"""Fuzzy symbol search as a command-palette provider (``/`` and ctrl+p).

The candidates are the exchange's markets (on the demo, the simulated
exchange's catalogue), watched symbols first; choosing one that is not watched
adds it to the watchlist and starts streaming it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual import events, on
from textual.app import App, ComposeResult
from textual.command import (
    CommandInput,
    CommandList,
    CommandPalette,
    DiscoveryHit,
    Hit,
    Hits,
    Provider,
    SearchIcon,
)
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.widgets import Input, LoadingIndicator, OptionList
from textual.worker import Worker, WorkerState

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
        self._early: list[events.Key] = []
        self._searching: Worker[Any] | None = None
        """The search of what the input holds while it runs (its hits are not listed yet)."""
        self._searching_for = ""
        self._listed_for: str | None = None
        """The text whose hits the list holds (None: none yet)."""
        self._enter_pending = False
        self._moved = False
        """The trader moved through the list: Enter takes the line they chose."""

    def compose(self) -> ComposeResult:
        # Textual's own layout (ids and classes its CSS styles), with the input that
        # keeps a burst of keys in order.
        with Vertical(id="--container"):
            with Horizontal(id="--input"):
                yield SearchIcon()
                yield InOrderInput(placeholder=SEARCH_PLACEHOLDER, select_on_focus=False)
            with Vertical(id="--results"):
                yield CommandList()
                yield LoadingIndicator()

    @on(Input.Submitted)
    def _enter_on_what_was_typed(self, event: Input.Submitted) -> None:
        """Enter chooses from the hits of what was typed, never from older ones. Typed in
        one burst (``/arb⏎`` over SSH, a paste), Enter came before the letters were in
        the input and took the first line of the unfiltered list, a watched symbol; on an
        empty search it took that line too, and the symbol on screen changed unasked."""
        if self._hits_behind():
            event.prevent_default()
            event.stop()
            self._enter_pending = True
        elif not self.query_one(CommandInput).value.strip() and not self._moved:
            event.prevent_default()
            event.stop()

    @on(OptionList.OptionSelected)
    def _choose_from_what_was_typed(self, event: OptionList.OptionSelected) -> None:
        """The same for an Enter the list took (it has the focus before the input)."""
        if self._hits_behind() and not self._moved:
            event.prevent_default()
            event.stop()
            self._enter_pending = True

    def _hits_behind(self) -> bool:
        """The list does not hold the hits of what was typed yet (keys still to go in,
        a search running, or text in the input whose search has not even started)."""
        if self._early or self._searching is not None:
            return True
        return self.query_one(CommandInput).value.strip() != self._listed_for

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != self._GATHER_COMMANDS_GROUP:
            return
        if event.state in (WorkerState.PENDING, WorkerState.RUNNING):
            if worker is not self._searching:
                self._searching = worker
                self._searching_for = self.query_one(CommandInput).value.strip()
        elif worker is self._searching:
            self._searching = None
            if event.state is WorkerState.SUCCESS:
                self._listed_for = self._searching_for
            if (
                self._enter_pending
                and not self._hits_behind()
                and event.state is WorkerState.SUCCESS
            ):
                self._enter_pending = False
                if self.query_one(CommandInput).value.strip() or self._moved:
                    self._select_or_command()

    def _action_cursor_down(self) -> None:
        self._moved = True
        super()._action_cursor_down()

    def _action_command_list(self, action: str) -> None:
        if action != "select":
            self._moved = True
        super()._action_command_list(action)

    @property
    def input_focused(self) -> bool:
        """The search's input has the focus: the keys go to it, in order."""
        return isinstance(self.focused, CommandInput)

    def on_key(self, event: events.Key) -> None:
        # A key the focused input took never gets here: this one was sent to the screen
        # while nothing had the focus yet, or the input had no use for it. Either way it
        # stops here, so that any key the app meets while the search is open is one typed
        # before it opened (see ``ScalpApp.on_key``).
        event.stop()
        if not self.input_focused:
            event.prevent_default()
            self.type_early(event)

    def type_early(self, key: events.Key) -> None:
        """Keys typed before the input could take them (the app hands over those that
        reached the screen below): they go to the input, in order, once it is there —
        backspace and the arrows too, which were lost, and the letters were put in after
        the keys typed once it was there (``/btc`` then ``⌫⌫⌫doge`` read ``dogebtc``)."""
        self._early.append(key)
        self.call_after_refresh(self.type_early_keys)

    async def type_early_keys(self) -> None:
        """Put the keys held so far into the input, before any key typed after them."""
        if not self._early:
            return
        try:
            field = self.query_one(CommandInput)
        except NoMatches:
            self.call_after_refresh(self.type_early_keys)
            return
        self.set_focus(field)  # at once (``focus()`` waits a turn): bindings resolve from it
        early, self._early = self._early, []
        for i, key in enumerate(early):
            if key.is_printable and key.character:
                field.insert_text_at_cursor(key.character)
            elif await self.app._check_bindings(key.key) and key.key == "escape":
                # the search is closing: what was typed after Escape is the screen's below
                for later in early[i + 1 :]:
                    self.app.post_message(events.Key(later.key, later.character))
                return


class InOrderInput(CommandInput):
    """The search's input, applying a burst of keys in the order typed.

    In a Textual input a letter goes in at once, but an editing key (backspace, the
    arrows, Enter) travels up to the app to find its binding and runs when it gets
    there: over SSH, backspace×3 then ``doge`` in one read over ``btc`` read ``btcd``
    (Textual issue #6605). Here the bindings of the input and the search run as the
    key arrives, exactly as the app would run them.
    """

    async def _on_key(self, event: events.Key) -> None:
        palette = self.screen
        if isinstance(palette, SearchPalette):
            await palette.type_early_keys()  # those typed before this one go first
        # Priority bindings ran before the key reached the input; these are the rest,
        # resolved from the input up to the search, as the app does once the key is there.
        if not event.is_printable and await self.app._check_bindings(event.key):
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)


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
