"""The Textual app and its factory, shared by the CLI, the tests, the screenshots and the demo.

Data flow (docs/design.md § Data flow): one feed worker pumps ``feed.events()`` into the
shared detector and posts every alert as a message; a UI timer at ~8 Hz pulls
one snapshot of the symbol on screen and repaints inside ``batch_update()``,
whatever the event rate. Slow panels (funding / OI, watchlist, tape) have a
1 Hz tick. The feed is opened inside the worker, after the first frame, so the
exchange library is imported only once something is on screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import ClassVar

from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.command import Provider
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.widgets import Static

from scalptui.config import DEFAULT_SYMBOLS, Settings
from scalptui.feed.base import Feed, FeedError, Playback, Shedding
from scalptui.feed.recording import BAD_LINE_STREAM, RecordingHeader
from scalptui.feed.venues import VENUES
from scalptui.models import (
    Alert,
    AlertKind,
    DetectorSnapshot,
    Event,
    FeedStatus,
    Liquidation,
    MarkPrice,
    Source,
    StreamState,
    Trade,
    venue_tag,
)
from scalptui.runtime import FeedOpener
from scalptui.ui import state as persist
from scalptui.ui.bindings import APP_BINDINGS
from scalptui.ui.commands import SearchPalette, SymbolSearch, show_symbol_search
from scalptui.ui.detector_view import (
    WATCH_SPAN_PCT,
    DetectorFactory,
    DetectorLike,
    Episodes,
    default_detector,
    detector_snapshot,
    episode_side,
    live_episodes,
    recent_tape,
    venue_snapshots,
)
from scalptui.ui.lag import LagGauge
from scalptui.ui.layout import (
    HORIZONTAL_BREAKPOINTS,
    MIN_SIZE,
    VERTICAL_BREAKPOINTS,
    too_small_notice,
)
from scalptui.ui.market_book import (
    FundingPoints,
    MarketBook,
    VenueState,
    feed_state,
    split_venues,
)
from scalptui.ui.messages import AlertRaised, FeedEnded, FeedFailed, FeedOpened, MarketsListed
from scalptui.ui.notify import send_notification
from scalptui.ui.pause import FrozenView, freeze
from scalptui.ui.screens import (
    AlertDetailScreen,
    ChartScreen,
    HelpScreen,
    VenueScreen,
    VenueView,
)
from scalptui.ui.themes import DEFAULT_THEME, ThemeSet, load_themes
from scalptui.ui.widgets.alert_log import AlertLog, LoggedAlert, alert_line
from scalptui.ui.widgets.funding_oi import FundingOiPanel
from scalptui.ui.widgets.header import HeaderBar, HeaderInfo
from scalptui.ui.widgets.keys import KeyHints
from scalptui.ui.widgets.ladder import LadderView
from scalptui.ui.widgets.price import PricePanel
from scalptui.ui.widgets.tape import LiquidationTape
from scalptui.ui.widgets.venues import venue_rows
from scalptui.ui.widgets.watchlist import WatchlistStrip, watch_item

__all__ = ["MIN_SIZE", "Clock", "DetectorLike", "ScalpApp", "feed_state", "make_app"]

log = logging.getLogger(__name__)

ZOOM_LEVELS: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0)
SLOW_TICK_S = 1.0
QUIET_MOVE_PCT = 0.05
"""A price move (from the last repaint) that ends a quiet spell's slower repaint rate."""
EXIT_CANNOT_START = 2
ONE_VENUE_HIDDEN: frozenset[str] = frozenset({"venues"})
"""Footer hints a run over one venue does not show (``v`` still works, ``?`` lists it)."""
MAIN_SCREEN_ONLY: frozenset[str] = frozenset({"zoom", "toggle_tape"})
"""Actions on what only the main screen shows: off on the full chart (``check_action``)."""
UNSEEN_WHEN_TOO_SMALL: frozenset[str] = frozenset({"remove_symbol", "toggle_mute"})
"""Actions on the symbol on screen, off while the terminal is too small to show it: an
``x`` there took off a symbol nobody saw, said only by a passing notice."""

Clock = Callable[[], float]


CONFIRM_TIMEOUT_S = 2.0
"""A key's confirmation toast: it sits over the alert log, which a cascade is filling
(the header shows the bell and the mute; the theme shows itself)."""
REPLAY_SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)
"""The speeds ``<`` ``>`` step through in a replay; past the last, as fast as it can (0)."""
BEHIND_SHOWN_S = 3.0
"""The header says the monitor is behind the market once it is this far (network jitter
and a venue's batching stay well under it)."""
THEME_SETTLE_S = 0.4
"""Presses of ``t`` closer together than this choose one theme, shown once they stop:
each theme restyles every line (about 0.2 s here), and a held ``t`` froze the screen,
clock and all, for seconds."""
REMOVE_REPEAT_S = 0.5
"""An ``x`` this soon after the one before is the key held down or bounced, not another
symbol to take off: a held ``x`` emptied the watchlist in a second (keys repeat about
30 times a second once held), and its refusals at the last symbol covered the screen."""


class ScalpApp(App[None]):
    """Estimated liquidation ladder and informational alerts for a watchlist of perps."""

    TITLE = "scalptui"
    CSS_PATH = "scalptui.tcss"
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {SymbolSearch}
    COMMAND_PALETTE_DISPLAY = "search"
    # The size classes and the planned degradation: scalptui.ui.layout.
    HORIZONTAL_BREAKPOINTS = HORIZONTAL_BREAKPOINTS
    VERTICAL_BREAKPOINTS = VERTICAL_BREAKPOINTS
    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS

    def __init__(
        self,
        settings: Settings,
        open_feed: FeedOpener,
        *,
        data_dir: Path,
        config_dir: Path | None,
        clock: Clock = time.time,
        detector_factory: DetectorFactory = default_detector,
        environ: dict[str, str] | None = None,
        start_on: str | None = None,
        replay_symbols: tuple[str, ...] | None = None,
        replay_of: RecordingHeader | None = None,
    ) -> None:
        # Themes load before App.__init__: the CSS variables are read from them.
        self.theme_set: ThemeSet = load_themes(config_dir)
        super().__init__()
        self.settings = settings
        self._open_feed = open_feed
        self._detector_factory = detector_factory
        self.data_dir = data_dir
        self.clock = clock
        self._environ = dict(os.environ) if environ is None else environ
        self._state_source = Source.SIMULATED if settings.demo else Source.LIVE
        """Which saved session this run reads and writes (a demo keeps its own)."""
        saved = persist.load_state(data_dir, self._state_source, mend=replay_symbols is None)
        self._state_note = saved.note
        self.keeps_state = replay_symbols is None and not saved.keep_off
        """A replay shows the recording's symbols and saves nothing over the live
        session's watchlist, mutes or theme (its alerts are not kept either)."""
        # The built-in three only seed a first session: once there is a saved watchlist it
        # is the trader's, and a default taken off with x stays off (and 1 stays 1).
        self._named_symbols = settings.feed.symbols if settings.symbols_named else ()
        """The symbols the config or command line name: always watched at start."""
        seed = self._named_symbols or (() if saved.watchlist else settings.feed.symbols)
        self.watchlist: tuple[str, ...] = replay_symbols or (
            tuple(dict.fromkeys((*saved.watchlist, *seed))) or DEFAULT_SYMBOLS
        )
        # A symbol named on the command line comes on screen, not the one left there last.
        first = start_on if start_on in self.watchlist else saved.current
        self.current: str = first if first in self.watchlist else self.watchlist[0]
        self._started_with = self.watchlist
        self._unlisted: dict[str, int] = {}
        """Saved symbols this venue does not list, by their place in the saved watchlist:
        off screen for this run, kept in the watchlist saved for the venues that do."""
        self.mutes: frozenset[str] = saved.mutes
        # saved by ``b`` / ``t``, but a setting changed since (config, --theme) wins
        self.bell_on: bool = saved.bell_for(settings.ui.bell)
        self.paused = False
        self._held_at: float | None = None
        """When ``p`` held a replay (its feed's ages stop there), None otherwise."""
        self.span_pct = settings.ui.ladder_span_pct
        self.markets: tuple[str, ...] = ()
        self.feed: Feed | None = None
        self._stopping = False
        """A stop signal is being carried out (a second one does not wait for it)."""
        self.detector: DetectorLike | None = None
        self.feed_error: str | None = None
        self.startup_error: str | None = None
        self.source = Source.SIMULATED if settings.demo else Source.LIVE
        self.recorded_simulated = False
        self.exchange = settings.feed.exchange
        self._replay_from: float | None = None
        """A replay's recorded start (s): its clock until its first event plays."""
        if replay_of is not None:
            # The recording's venue, badge, history and clock from the first frame: until
            # the file was open the screen read the configured venue "connecting", the
            # wall clock and the live session's alerts.
            self.source = Source.REPLAY
            self.exchange = replay_of.exchange
            self.recorded_simulated = replay_of.source is Source.SIMULATED
            self._replay_from = replay_of.started / 1000
        self.events_seen = 0
        self.bad_lines = 0
        """Lines of the recording a replay could not read (skipped)."""
        self.shed: dict[str, int] = {}
        """Trades and marks each venue's feed shed so far (read once a second)."""
        self.repaints = 0
        self._painted_at = 0.0
        self._painted_price: float | None = None
        """The current symbol's last trade price at the last repaint (None: none yet)."""
        self._episode_running = False
        """A cascade or squeeze runs on a watched symbol (slow tick and alerts say)."""
        self.alert_history: deque[Alert] = persist.alert_history(data_dir, self.source)
        self._restored_source = self.source
        self._unsaved_alerts: list[Alert] = []
        self._save_failure: str | None = None
        self.book = MarketBook(self.feed_clock)
        self.lag = LagGauge()
        self._afresh: set[str] = set()
        """Symbols added back whose first event since has not come: nothing of them is
        shown until it does (the detector keeps a closed symbol's last state)."""
        if replay_of is not None:
            self.book.note_venues(replay_of.exchange)
        self._last_snapshot: DetectorSnapshot | None = None
        self._frozen: FrozenView | None = None
        """What the screen shows while paused (None while live)."""
        self._wanted_theme = (
            settings.ui.theme if settings.theme_named else saved.theme_for(settings.ui.theme)
        )
        self._saved_theme = (saved.theme, saved.theme_over)
        self._theme_chosen = False
        """``t`` was pressed in this run."""
        self._theme_next: str | None = None
        """The theme ``t`` chose in a burst of presses, shown once they stop."""
        self._theme_settle: Timer | None = None
        self._theme_pressed_at = -math.inf
        self._theme_quiet_from = -math.inf
        """When the last theme shown was restyled (``time.monotonic``; ``inf`` until it is)."""
        self._confirmed: tuple[str, float] | None = None
        """The last short confirmation and when (monotonic s)."""
        self._removed_at = -math.inf
        """When ``x`` was last pressed (``time.monotonic``)."""
        for theme in self.theme_set.themes:
            self.register_theme(theme)
        # Held directly: the timers repaint them without a DOM query per tick.
        self.header_bar = HeaderBar(id="header")
        self.watchlist_strip = WatchlistStrip(id="watchlist")
        self.price_panel = PricePanel(id="price")
        self.funding_panel = FundingOiPanel(id="funding")
        self.ladder = LadderView(id="ladder")
        self.alert_log = AlertLog(id="alerts")
        self.tape = LiquidationTape(id="tape")
        self.key_hints = KeyHints(self.BINDINGS, hidden=ONE_VENUE_HIDDEN, id="keys")
        self._shown_multi_venue = False
        """Whether the panels are laid out for several venues (tags, chips, ``v`` hint)."""
        self.too_small = Static(id="too-small")

    # ------------------------------------------------------------------ layout

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return self.theme_set.variable_defaults()

    def compose(self) -> ComposeResult:
        yield self.header_bar
        yield self.watchlist_strip
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield self.price_panel
                yield self.funding_panel
            yield self.ladder
        with Vertical(id="bottom"):
            yield self.alert_log
            yield self.tape
        yield self.key_hints
        yield self.too_small

    def on_resize(self, event: events.Resize) -> None:
        self.too_small.update(too_small_notice(*event.size))

    def on_mount(self) -> None:
        self._apply_theme(self._wanted_theme)
        self.theme_changed_signal.subscribe(
            self, lambda _theme: self.call_after_refresh(self.restyle)
        )
        # Back from a stop (kill -TSTP, then fg) only the cells that changed came back.
        self.app_resume_signal.subscribe(self, lambda _app: self.call_after_refresh(self.redraw))
        if not self.is_headless:
            self._take_stop_signals()
        for error in self.theme_set.errors:
            log.warning("theme skipped: %s", error)
        if self.theme_set.errors:
            self.notify(
                "\n".join(self.theme_set.errors),
                title="Theme file skipped",
                severity="error",
                timeout=8,  # at every start, over the newest alerts: 15 s hid them too long
            )
        if self._state_note:
            self.notify(self._state_note, title="Saved session", severity="error", timeout=30)
        self.alert_log.extend(
            LoggedAlert(a, muted=a.symbol in self.mutes, restored=True) for a in self.alert_history
        )
        self.repaint_now()
        self.refresh_slow_panels()
        self.set_interval(1.0 / max(self.settings.ui.tick_hz, 0.5), self.tick)
        self.set_interval(SLOW_TICK_S, self.slow_tick)
        # Open the feed only after the first frame is on screen (ccxt imports slowly).
        self.call_after_refresh(self.run_feed)

    def _apply_theme(self, name: str) -> None:
        if name in self.theme_set.names:
            self.theme = name
            return
        if DEFAULT_THEME in self.theme_set.names:
            self.theme = DEFAULT_THEME
        if name != DEFAULT_THEME:
            self.notify(f"unknown theme {name!r}; using {self.theme}", severity="warning")

    # ------------------------------------------------------------------ feed worker

    @work(exclusive=True, exit_on_error=False, group="feed", description="feed → shared detector")
    async def run_feed(self) -> None:
        try:
            feed = await self._open_feed()
        except FeedError as exc:
            self.cannot_start(str(exc))
            return
        except Exception as exc:  # an unexpected failure must still not crash the screen
            log.exception("opening the feed failed")
            self.cannot_start(f"cannot open the feed: {exc}")
            return
        self.feed = feed
        self.source = feed.source
        self.exchange = feed.exchange
        self.book.note_venues(feed.exchange)
        self.recorded_simulated = feed.recorded_source is Source.SIMULATED
        self.detector = self._detector_factory(
            self.settings.detector, feed.source, split_venues(feed.exchange)
        )
        self.post_message(FeedOpened(feed.exchange, feed.symbols))
        self.list_markets(feed)
        for symbol in self.watchlist:
            if symbol not in feed.symbols:
                self.add_symbol(symbol, saved=True)
        for symbol in feed.symbols:
            if symbol not in self.watchlist:  # taken off with x before the feed opened
                self.remove_symbol(symbol)
        try:
            async for evt in feed.events():
                self.consume(evt)
        except FeedError as exc:
            self.post_message(FeedFailed(str(exc)))
            return
        except Exception as exc:
            log.exception("the feed stopped")
            self.post_message(FeedFailed(f"the feed stopped: {exc}"))
            return
        self.post_message(FeedEnded())

    def consume(self, evt: Event) -> None:
        """One event into the shared detector; alerts go out as messages, one each."""
        detector = self.detector
        if detector is None:
            return
        self.events_seen += 1
        if self._gauge_lag and (type(evt) is Trade or type(evt) is MarkPrice):
            self.lag.observe(evt.exchange, evt.ts, int(self.clock() * 1000))
        if self._afresh and evt.symbol in self._afresh and not _closing(evt):
            self._afresh.discard(evt.symbol)  # its first news since it was added back
        self.book.record(evt)
        if isinstance(evt, FeedStatus) and evt.stream == BAD_LINE_STREAM:
            self._note_bad_line(evt)
        try:
            alerts = detector.on_event(evt)
        except Exception:
            # A detector bug on one event must not silence every later alert.
            log.exception("detector failed on %r", evt)
            return
        for alert in alerts:
            self.post_message(AlertRaised(alert))

    @work(
        exclusive=True,
        exit_on_error=False,
        group="markets",
        description="list the exchange's markets",
    )
    async def list_markets(self, feed: Feed) -> None:
        try:
            symbols = await feed.list_symbols()
        except FeedError as exc:
            log.warning("cannot list markets: %s", exc)
            return
        self.post_message(MarketsListed(tuple(symbols)))

    @work(exit_on_error=False, group="symbols", description="stream one more symbol")
    async def add_symbol(self, symbol: str, saved: bool = False) -> None:
        """Stream ``symbol`` too. One the venue refuses leaves the screen's watchlist; one
        from the saved watchlist stays in it for the next run (the file is shared by every
        venue and the simulator: a run on one that lacks it lost it for good)."""
        if self.feed is None:
            return
        try:
            await self.feed.add_symbol(symbol)
        except FeedError as exc:
            kept = saved and symbol in self.watchlist and symbol in self._started_with
            if kept:  # its place in the list saved (others this venue lacks left it too)
                self._unlisted[symbol] = self._started_with.index(symbol)
            note = " (kept in the saved watchlist for the venues that list it)" if kept else ""
            self.notify(f"{symbol}: {exc}{note}", severity="error")
            self.watchlist = tuple(s for s in self.watchlist if s != symbol) or self.watchlist
            if self.current == symbol:
                self.switch_to(self.watchlist[0])
            self.save_state()

    @work(exit_on_error=False, group="symbols", description="stop streaming a symbol")
    async def remove_symbol(self, symbol: str) -> None:
        self.book.taken_off(symbol)
        if self.feed is None:
            return
        try:
            await self.feed.remove_symbol(symbol)
        except FeedError as exc:
            log.warning("%s: still streamed: %s", symbol, exc)

    def cannot_start(self, reason: str) -> None:
        """The feed never opened, so there is nothing to monitor: exit with status 2.

        The reason is kept in ``startup_error`` for the CLI to print once the
        terminal is restored (a toast on an empty screen would be lost on ``q``).
        """
        log.error("cannot start: %s", reason)
        self.startup_error = reason
        self.exit(return_code=EXIT_CANNOT_START)

    def on_feed_failed(self, message: FeedFailed) -> None:
        self.feed_error = message.reason
        log.error("feed error: %s", message.reason)
        self.notify(message.reason, title="Feed error", severity="error", timeout=30)
        self.repaint_now()

    def on_feed_ended(self, message: FeedEnded) -> None:
        self.book.mark_ended(self.exchange)
        if not (self.source is Source.REPLAY and self._replay_ended()):
            return  # closed, not played out
        # Said whether or not a line was skipped: with every chip "closed" and the clock
        # standing still, a replay that ended read as one stuck.
        end = self.feed_clock()
        said = f"played to its end, {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(end))} UTC"
        if self.bad_lines:
            lines, where = (
                ("lines", "their numbers are") if self.bad_lines != 1 else ("line", "its number is")
            )
            said += f"; {self.bad_lines} unreadable {lines} skipped ({where} in the log)"
        self.notify(
            f"{said}. q quits",
            title="End of recording",
            severity="warning" if self.bad_lines else "information",
            timeout=30,
        )

    def _note_bad_line(self, status: FeedStatus) -> None:
        """A replay skipped a line it could not read: said on screen once (the first), and
        counted at the end; every one is in the log."""
        self.bad_lines += 1
        if self.bad_lines == 1:
            self.notify(status.detail or "a line skipped", title="Recording", severity="warning")

    def on_feed_opened(self, message: FeedOpened) -> None:
        if self._restored_source is not self.source:
            # The feed turned out to be a replay, or the simulator behind --base-url: the
            # restored history belongs to another source and must not be shown as this one's.
            self._restored_source = self.source
            kept = self.alert_history
            self.alert_history = persist.alert_history(self.data_dir, self.source, kept)
            self.alert_log.entries.clear()
            this_run = {id(a) for a in kept}
            self.alert_log.extend(
                LoggedAlert(a, muted=a.symbol in self.mutes, restored=id(a) not in this_run)
                for a in self.alert_history
            )
        self.repaint_now()

    def on_markets_listed(self, message: MarketsListed) -> None:
        self.markets = message.symbols

    def on_alert_log_opened(self, message: AlertLog.Opened) -> None:
        self.push_screen(AlertDetailScreen(message.alert))

    # ------------------------------------------------------------------ alerts

    def on_alert_raised(self, message: AlertRaised) -> None:
        alert = message.alert
        muted = alert.symbol in self.mutes
        if alert.kind in (AlertKind.LIQUIDATION_CASCADE, AlertKind.SHORT_SQUEEZE):
            self._episode_running = True  # full repaint rate from the next tick on
        self.alert_history.append(alert)
        self._unsaved_alerts.append(alert)
        self.alert_log.add(alert, muted=muted)
        if muted:
            return
        if self.bell_on:
            self.bell()
        if self.settings.ui.notifications:
            title = f"scalptui {alert.kind.value}"
            send_notification(
                getattr(self, "_driver", None), title, alert_line(alert), self._environ
            )
        if not self.alert_log.display:
            self.tape.note_alert(alert_line(alert, short=True))

    # ------------------------------------------------------------------ repaint

    def tick(self) -> None:
        """The ~8 Hz UI tick: one snapshot, one batched repaint (at ``quiet_hz`` when quiet)."""
        if self.is_running and self.header_bar.is_attached and not self._may_rest():
            self.repaint_now()

    def _may_rest(self) -> bool:
        """Skip this tick: the market is quiet and the last repaint is recent enough.

        Quiet: no cascade or squeeze running on a watched symbol (as of the last slow
        tick or alert) and the current symbol's last trade within ``QUIET_MOVE_PCT`` of
        the price last painted. A monitor left running for days spends most of them
        quiet, where half the repaints cost a third of its CPU and show nothing a
        trader would miss; a move or an episode brings the full rate back at the next
        tick, and keys repaint at once whatever the rate.
        """
        ui = self.settings.ui
        if ui.quiet_hz >= ui.tick_hz or self._episode_running:
            return False
        painted = self._painted_price
        last = self.book.last_trade.get(self.current)
        if painted is None or last is None or abs(last / painted - 1.0) * 100 >= QUIET_MOVE_PCT:
            return False
        # half a fast tick of slack: the timer's jitter must not skip the quiet repaint too
        return self.clock() - self._painted_at < 1.0 / ui.quiet_hz - 0.5 / ui.tick_hz

    def slow_tick(self) -> None:
        self.read_shed()
        if self.is_running and self.header_bar.is_attached:
            self.refresh_slow_panels()
        self.save_new_alerts()

    def read_shed(self) -> None:
        """What the feed shed so far: the header shows it beside the venue's state."""
        feed = self.feed
        if isinstance(feed, Shedding):
            self.shed = {venue: n for venue, n in feed.shed_events.items() if n}

    def save_new_alerts(self) -> None:
        """Append the alerts raised since the last save (another monitor may share the file).
        Those a full disk refused are kept and tried again at the next save (they were
        dropped, and the history lost them for good), the screen told once."""
        if not self._unsaved_alerts:
            return
        unsaved = self._unsaved_alerts[-persist.MAX_ALERTS :]
        failure = persist.append_alerts(self.data_dir, unsaved, self.source)
        if failure is None:
            self._unsaved_alerts = []
            self._save_failure = None
            return
        self._unsaved_alerts = unsaved
        if self._save_failure is None:
            self.notify(
                f"cannot save the alert history ({failure}): kept and tried again",
                severity="error",
                timeout=30,
            )
        self._save_failure = failure

    def take_snapshot(self, symbol: str | None = None) -> DetectorSnapshot | None:
        """One symbol's data: the frozen copy while paused, else the detector's now.

        The symbol on screen is cut to cover exactly the rows the ladder draws
        (see ``LadderView.span_to_request``); the others feed only the watchlist,
        which reads no ladder row.
        """
        symbol = symbol or self.current
        if self._frozen is not None:
            return self._frozen.snapshot(symbol, self.detector)
        if symbol in self._afresh:
            return None  # the detector still holds what it showed before it was taken off
        if symbol != self.current:
            return detector_snapshot(self.detector, symbol, WATCH_SPAN_PCT)
        last = self._last_snapshot
        hint = last if last is not None and last.symbol == symbol else None
        span = self.ladder.span_to_request(self.span_pct, hint)
        snap = detector_snapshot(self.detector, symbol, span)
        if snap is not None:
            # No recent snapshot (a switch, a zoom, a jump in price) placed the grid
            # elsewhere: ask once more for the span this snapshot's grid needs.
            needed = self.ladder.span_to_request(self.span_pct, snap)
            if needed > span:
                snap = detector_snapshot(self.detector, symbol, needed)
        return snap

    @property
    def multi_venue(self) -> bool:
        """The run watches several venues (learnt from the feed and its events)."""
        return len(self.book.venues) > 1

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The ladder's zoom and the tape act on the main screen only: on the full chart
        they would change a screen nobody sees (found changed on the way back)."""
        if action in UNSEEN_WHEN_TOO_SMALL and self._too_small():
            return False
        return not (action in MAIN_SCREEN_ONLY and isinstance(self.screen, ChartScreen))

    def _too_small(self) -> bool:
        width, height = self.size
        return width < MIN_SIZE[0] or height < MIN_SIZE[1]

    @property
    def hidden_actions(self) -> frozenset[str]:
        """Footer hints not shown on this run (every footer, the chart's too, asks)."""
        return frozenset() if self.multi_venue else ONE_VENUE_HIDDEN

    def _follow_venue_count(self) -> None:
        """Once a second venue is in play: venue tags in the tape and the log, ``v`` hint."""
        sampled = tuple(venue_tag(v) for v in self.book.venues if v in VENUES and VENUES[v].sampled)
        if sampled != self.tape.sampled_venues:
            self.tape.sampled_venues = sampled
            self.tape.redraw()
        multi = self.multi_venue
        if multi == self._shown_multi_venue:
            return
        self._shown_multi_venue = multi
        self.tape.venue_tags = multi
        self.alert_log.venue_tags = multi
        self.key_hints.set_hidden(self.hidden_actions)
        self.tape.redraw()
        self.alert_log.redraw()

    def repaint_now(self) -> None:
        self._follow_venue_count()
        now = self.clock()
        # Paused freezes the data, not the widgets: a theme change still restyles them.
        snap = self.take_snapshot()
        self._last_snapshot = snap
        self._painted_at = now
        self._painted_price = self.book.last_trade.get(self.current)
        with self.batch_update():
            feed_now = self.feed_clock()
            info = self._header_info(feed_now, snap)
            self.header_bar.show(info)
            self.alert_log.set_clock(int(info.clock_s * 1000))
            if snap is not None:
                held = _prices_held(info)
                self.price_panel.show(snap, self.book.warm_bars.get(snap.symbol, ()), held=held)
                self.watchlist_strip.follow_price(snap.symbol, snap.last)
                flash = int(now * 2) % 2 == 0
                self.ladder.show(snap, self.span_pct, flash)
        self.repaints += 1

    def refresh_slow_panels(self) -> None:
        episodes = self._episodes()
        self._episode_running = any(episodes.get(symbol) for symbol in self.watchlist)
        items = []
        ticks: dict[str, float | None] = {}
        current: DetectorSnapshot | None = None
        last = self._last_snapshot  # at most one fast tick old: no second snapshot of it
        for symbol in self.watchlist:
            if symbol == self.current and last is not None and last.symbol == symbol:
                snap: DetectorSnapshot | None = last
            else:
                snap = self.take_snapshot(symbol)
            if symbol == self.current:
                current = snap
            ticks[symbol] = snap.tick_size if snap is not None else None
            side = episode_side(episodes.get(symbol, ()))
            bars = self.book.warm_bars.get(symbol, ())
            items.append(watch_item(symbol, snap, side, muted=symbol in self.mutes, warm_bars=bars))
        with self.batch_update():
            self.watchlist_strip.show(tuple(items), self.current)
            if current is not None:
                history = self._funding_of(current.symbol)
                self.funding_panel.show(
                    current.funding,
                    current.open_interest,
                    history,
                    self._screen_now_ms(current),
                    base=current.symbol.split("/", 1)[0],
                )
            tape = self.tape
            if tape.display:
                tape.show(self._tape_liquidations(), ticks)

    def _screen_now_ms(self, snap: DetectorSnapshot | None) -> int:
        """The header clock's time, in ms, for the funding countdown (the market's own time
        stops with its feed, and the countdown stood still through an outage)."""
        return int(self._screen_clock_s(self.feed_clock(), snap) * 1000)

    def _funding_of(self, symbol: str) -> FundingPoints:
        if self._frozen is not None:
            return self._frozen.funding.get(symbol, ())
        return self.book.funding_of(symbol)

    def _tape_liquidations(self) -> tuple[Liquidation, ...]:
        return self._frozen.tape if self._frozen is not None else recent_tape(self.detector)

    def _episodes(self) -> Episodes:
        return self._frozen.episodes if self._frozen is not None else live_episodes(self.detector)

    def feed_clock(self) -> float:
        """The clock feed ages are read on: a replay's playback position (so a recorded
        outage reads its recorded length at any speed; on the wall clock it read
        ``speed`` times shorter), else the wall clock."""
        feed = self.feed
        if isinstance(feed, Playback):
            at = feed.position_s()
            if at is not None:
                return at
        if self._replay_from is not None:
            return self._replay_from  # a replay whose first event has not played yet
        return self.clock()

    def _screen_clock_s(self, now: float, snap: DetectorSnapshot | None) -> float:
        """The time the screen shows: a replay's own (``now`` is its playback position,
        the latest event's time until it has one), never the wall clock."""
        if self.source is Source.REPLAY and snap is not None:
            feed = self.feed
            started = isinstance(feed, Playback) and feed.position_s() is not None
            return now if started else snap.ts / 1000.0
        return now

    def _header_info(self, now: float, snap: DetectorSnapshot | None) -> HeaderInfo:
        # A replay held by ``p`` sends nothing because it is held, not because its feed
        # went stale: its ages stay where the hold found them.
        feed_now = self._held_at if self._held_at is not None else now
        stream = ""
        if self.feed_error is not None:
            state, age = StreamState.FAILED, None
        else:
            stale_after_s = self.settings.feed.stale_after_s
            now_ms = int(feed_now * 1000)
            state, age = self.book.stream_state(self.current, now_ms, stale_after_s)
            lagging = self.book.lagging(self.current, (state, age), now_ms, stale_after_s)
            if lagging is not None:
                stream, age = lagging
        replay = self.source is Source.REPLAY
        clock_s = self._screen_clock_s(now, snap)
        return HeaderInfo(
            exchange=self.exchange,
            symbol=self.current,
            state=state,
            age_s=age,
            clock_s=clock_s,
            simulated=self.source is Source.SIMULATED or self.recorded_simulated,
            replay=replay,
            paused=self.paused,
            note=self.book.clock_note(),
            bell=self.bell_on,
            muted=self.current in self.mutes,
            progress=self._replay_progress() if replay else None,
            speed=getattr(self.feed, "speed", None) if replay else None,
            ended=replay and self._replay_ended(),
            venues=self._venue_states(feed_now) if self.multi_venue else (),
            shed=sum(self.shed.values()),
            stream=stream,
            behind_s=self._behind_s(),
        )

    @property
    def _gauge_lag(self) -> bool:
        """Live venues only: their clocks run at the wall's pace (a simulator run faster
        or slower than real time does not, and a replay has its recording's times)."""
        return self.source is Source.LIVE

    def _behind_s(self) -> float | None:
        if not self._gauge_lag:
            return None
        behind = self.lag.behind_ms(int(self.clock() * 1000)) / 1000.0
        return behind if behind >= BEHIND_SHOWN_S else None

    def _venue_states(self, now: float) -> tuple[VenueState, ...]:
        """Each venue's state on the symbol on screen; all failed once the feed has."""
        stale_after_s = self.settings.feed.stale_after_s
        states = self.book.venue_states(self.current, int(now * 1000), stale_after_s)
        if self.feed_error is not None:
            states = tuple(VenueState(v.venue, StreamState.FAILED, None) for v in states)
        shed = self.shed
        if shed:
            states = tuple(dataclasses.replace(v, shed=shed.get(v.venue, 0)) for v in states)
        return states

    def _replay_ended(self) -> bool:
        return bool(getattr(self.feed, "finished", False))

    def _replay_progress(self) -> float | None:
        return self.feed.progress if self.feed is not None else None

    def restyle(self) -> None:
        """Rebuild every line with the new theme's colours (lines hold resolved styles)."""
        self.alert_log.redraw()
        self.tape.redraw()
        self.key_hints.redraw()
        self.repaint_now()
        self.refresh_slow_panels()
        if self._theme_quiet_from == math.inf:  # the restyle of a t: a burst counts from here
            self._theme_quiet_from = time.monotonic()

    # ------------------------------------------------------------------ actions

    def choose_symbol(self, symbol: str) -> None:
        """From the symbol search: watch it (streaming it if new) and show it."""
        self._unlisted.pop(symbol, None)
        if symbol not in self.watchlist:
            self.watchlist = (*self.watchlist, symbol)
            self.book.forget(symbol)  # taken off earlier: it comes back afresh
            self._afresh.add(symbol)
            if self.feed is not None and symbol not in self.feed.symbols:
                self.add_symbol(symbol)
        self.switch_to(symbol)

    def switch_to(self, symbol: str) -> None:
        self.current = symbol
        self.save_state()
        self.repaint_now()
        self.refresh_slow_panels()
        if isinstance(self.screen, ChartScreen):
            # at once, not at its next second: an x meanwhile took off the symbol the
            # header already named while the chart still showed the one before
            self.screen.redraw()

    def action_remove_symbol(self) -> None:
        """Take the symbol on screen off the watchlist (its alerts already logged stay);
        the one before it comes on screen. The last one stays: the screen needs one."""
        symbol = self.current
        now = time.monotonic()
        repeated, self._removed_at = now - self._removed_at < REMOVE_REPEAT_S, now
        if symbol not in self.watchlist or repeated:
            return
        if len(self.watchlist) == 1:
            self._confirm_once(
                f"{symbol} is the only watched symbol: add another with / first",
                severity="warning",
            )
            return
        index = self.watchlist.index(symbol)
        self.watchlist = tuple(s for s in self.watchlist if s != symbol)
        self.remove_symbol(symbol)
        self.switch_to(self.watchlist[max(0, index - 1)])
        # The watched symbols are the saved ones plus those the settings name, at start.
        until = " until restart (the settings name it)" if symbol in self._named_symbols else ""
        # "until restart" is news the header never repeats: the default, longer timeout
        self.notify(
            f"{symbol} removed from the watchlist{until}; / adds it again",
            timeout=CONFIRM_TIMEOUT_S if not until else None,
        )

    def action_cycle(self, step: int) -> None:
        index = self.watchlist.index(self.current) if self.current in self.watchlist else 0
        self.switch_to(self.watchlist[(index + step) % len(self.watchlist)])

    def action_slot(self, slot: int) -> None:
        if 1 <= slot <= len(self.watchlist):
            self.switch_to(self.watchlist[slot - 1])

    def action_zoom(self, step: int) -> None:
        """The next zoom level that draws other rows: rows are never narrower than an
        estimate bin, so below some span every level would draw the same rows under
        another title (±0.5 % and ±1 % both drew ±1.2 % at 120×40)."""
        levels = sorted({*ZOOM_LEVELS, self.settings.ui.ladder_span_pct})
        nearest = min(range(len(levels)), key=lambda i: abs(levels[i] - self.span_pct))
        reach = self.ladder.reach_pct(self.span_pct)
        index = nearest + step
        while 0 <= index < len(levels):
            other = self.ladder.reach_pct(levels[index])
            if reach is None or other is None or abs(other - reach) > 1e-9 * reach:
                self.span_pct = levels[index]
                self.repaint_now()
                return
            index += step
        if step < 0 and reach is not None:  # + zooms in: a smaller span
            self._confirm_once(
                f"the ladder's finest here: rows as narrow as its bins (±{reach:.1f} %)"
            )
        elif step > 0:  # a key that did nothing said nothing either
            widest = reach if reach is not None else max(levels)
            self._confirm_once(f"the ladder's widest: ±{widest:.0f} %")

    def _confirm_once(
        self,
        message: str,
        *,
        severity: SeverityLevel = "information",
        timeout: float = CONFIRM_TIMEOUT_S,
        title: str = "",
    ) -> None:
        """A short notice, not stacked again while the same one is still on screen (a
        key held down at the zoom's end piled up one toast per press)."""
        now = time.monotonic()
        last = self._confirmed
        if last is not None and last[0] == message and now - last[1] < timeout:
            return
        self._confirmed = (message, now)
        self.notify(message, title=title, severity=severity, timeout=timeout)

    def action_toggle_tape(self) -> None:
        tape = self.tape
        alerts = self.alert_log
        tape.display = not tape.display
        alerts.display = not tape.display
        if alerts.display:
            alerts.focus()  # ↑ ↓ Enter read the log again
            tape.clear_alerts()
        self.refresh_slow_panels()

    def action_toggle_mute(self) -> None:
        muted = self.current in self.mutes
        self.mutes = self.mutes - {self.current} if muted else self.mutes | {self.current}
        self.alert_log.set_muted(self.current, not muted)  # the ones already logged too
        self.notify(
            f"{self.current} alerts {'unmuted' if muted else 'muted'}", timeout=CONFIRM_TIMEOUT_S
        )
        self.save_state()
        self.repaint_now()
        self.refresh_slow_panels()

    def action_next_theme(self) -> None:
        """The next theme, at once; further presses in quick succession (a held key, or
        stepping through the themes) are shown together once they stop."""
        names = self.theme_set.names
        shown = self._theme_next or self.theme
        index = names.index(shown) if shown in names else -1
        chosen = names[(index + 1) % len(names)]
        self._theme_chosen = True
        now = time.monotonic()
        in_burst = self._theme_settle is not None or now - self._theme_quiet_from < THEME_SETTLE_S
        self._theme_pressed_at = now
        if not in_burst:
            self._show_theme(chosen)
            return
        self._theme_next = chosen
        if self._theme_settle is None:
            self._theme_settle = self.set_interval(THEME_SETTLE_S / 4, self._theme_settled)

    def _theme_settled(self) -> None:
        """Once no t came for ``THEME_SETTLE_S``, the theme the burst chose."""
        if time.monotonic() - self._theme_pressed_at < THEME_SETTLE_S:
            return
        if self._theme_settle is not None:
            self._theme_settle.stop()
        self._theme_settle = None
        chosen, self._theme_next = self._theme_next, None
        if chosen is not None and chosen != self.theme:
            self._show_theme(chosen)

    def _show_theme(self, name: str) -> None:
        self.theme = name
        # a burst counts from when the restyle is done: on a slow machine the next press
        # of a held t waited behind it and came as a press of its own
        self._theme_quiet_from = math.inf  # until ``restyle`` is done
        self.notify(f"Theme: {name}", timeout=CONFIRM_TIMEOUT_S)
        self.save_state()
        self.repaint_now()
        self.refresh_slow_panels()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        if isinstance(self.feed, Playback):
            # A replay holds its events too: a paused replay picks up where it stopped,
            # not seconds later with the market moved on behind the frozen screen.
            self.feed.hold(self.paused)
            self._held_at = self.feed_clock() if self.paused else None
        self._frozen = (
            freeze(self.detector, self.watchlist, self.book.all_funding()) if self.paused else None
        )
        self.repaint_now()
        self.refresh_slow_panels()

    def action_replay_speed(self, step: int) -> None:
        """``<`` slower, ``>`` faster: a night's recording is looked through at ×50 and its
        cascade watched at ×1, without starting the replay again."""
        feed = self.feed
        if not isinstance(feed, Playback):
            self._confirm_once("< > set a replay's speed; this run is live")
            return
        if self._replay_ended():  # it said "replay at ×100" with nothing left to play
            self._confirm_once("the replay has ended: nothing is left to play")
            return
        speed = next_speed(feed.speed, step)
        if speed is None:
            fastest = "as fast as it can (×max)" if step > 0 else f"×{REPLAY_SPEEDS[0]:g}"
            self._confirm_once(f"the replay already plays {fastest}")
            return
        feed.set_speed(speed)
        self._confirm_once(f"replay at {'×max' if speed <= 0 else f'×{speed:g}'}")
        self.repaint_now()

    def action_chart(self) -> None:
        self.push_screen(ChartScreen(self._chart_snapshot, self._chart_header))

    def _chart_header(self, snap: DetectorSnapshot | None) -> HeaderInfo:
        return self._header_info(self.feed_clock(), snap)

    def _chart_snapshot(self) -> DetectorSnapshot | None:
        return self.take_snapshot()  # the frozen copy while paused

    def action_venues(self) -> None:
        window_s = self.settings.detector.ladder.realized_window_s
        self.push_screen(VenueScreen(self.venue_view, window_s=window_s))

    def venue_view(self) -> VenueView:
        """The symbol on screen on each venue: the frozen copy while paused."""
        symbol = self.current
        if self._frozen is not None:
            snaps = self._frozen.venue_snapshots(symbol, self.detector)
        else:
            snaps = venue_snapshots(self.detector, symbol)
        states = {v.venue: v for v in self._venue_states(self.feed_clock())}
        rows = venue_rows(snaps, states, self.book.venues)
        return VenueView(symbol, rows, paused=self._frozen is not None)

    def action_toggle_bell(self) -> None:
        self.bell_on = not self.bell_on
        self.notify(f"bell {'on' if self.bell_on else 'off'}", timeout=CONFIRM_TIMEOUT_S)
        self.save_state()
        self.repaint_now()

    def action_command_palette(self) -> None:
        show_symbol_search(self)

    def on_key(self, event: events.Key) -> None:
        """Keys typed right after ``/`` in one burst (over SSH, one read) reach the main
        screen before the search is open; once it is, they are the search's."""
        screen = self.screen
        if isinstance(screen, SearchPalette):  # (the search stops every key of its own)
            event.stop()
            screen.type_early(event)
        elif _caps_of_a_bound_key(event, screen.active_bindings):
            # With caps lock on every key did nothing, and nothing said why.
            self._confirm_once(
                f"{event.character} does nothing: the keys are lower case (caps lock on?)",
                severity="warning",
            )

    def action_help(self) -> None:
        window = self.settings.detector.ladder.realized_window_s
        self.push_screen(HelpScreen([*self.BINDINGS, *AlertLog.BINDINGS], window))

    def action_redraw(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Every cell written again: what another process wrote over the screen (a
        ``wall``, a background job) stayed, as only changed cells are ever rewritten."""
        screen = self.screen
        screen.refresh(screen.region)

    def action_quit_hint(self) -> None:
        self._confirm_once("q quits; ctrl+q does not", timeout=3)

    def action_help_quit(self) -> None:
        """ctrl+c: Textual's own hint, once while it is on screen (held, it stacked a
        dozen over the ladder and the clock)."""
        self._confirm_once("Press q to quit the app", title="Do you want to quit?", timeout=3)

    def _take_stop_signals(self) -> None:
        """``kill`` (SIGTERM) and a hang-up (SIGHUP) end the run as ``q`` does. Their
        default action killed the process with the terminal left on the alternate screen,
        mouse reporting on and the cursor hidden, and the exchange never closed."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._stop_on_signal, sig)

    def _stop_on_signal(self, signum: int) -> None:
        if self._stopping or not terminal_alive():
            self._stop_without_terminal(signum)
            return
        log.info("stopped by signal %d", signum)
        self._stopping = True
        self.call_next(self.action_quit)

    def _stop_without_terminal(self, signum: int) -> None:
        """The terminal is gone (its tmux session or SSH connection closed), or a second
        signal came while stopping: Textual would wait for ever on writes to a terminal
        that no longer takes them (the process lived on with no screen, and ignored
        ``kill``). What the run keeps is saved, and the process ends now."""
        log.info("signal %d without a terminal: saved, stopping at once", signum)
        with contextlib.suppress(Exception):
            self.save_state()
            self.save_new_alerts()
        logging.shutdown()
        os._exit(0)

    async def action_quit(self) -> None:
        self.save_state()
        self.save_new_alerts()
        await self.close_feed()
        self.exit()

    async def on_unmount(self) -> None:
        # However the app ends, the exchange is closed (ccxt needs an explicit close).
        await self.close_feed()

    async def close_feed(self) -> None:
        feed, self.feed = self.feed, None
        if feed is None:
            return
        try:
            await feed.close()
        except Exception:
            log.exception("closing the feed failed")

    def save_state(self) -> None:
        if not self.keeps_state:
            return
        theme, theme_over = self._theme_to_save()
        persist.save_state(
            self.data_dir,
            persist.UiState(
                watchlist=with_unlisted(self.watchlist, self._unlisted),
                current=self.current,
                theme=theme,
                mutes=self.mutes,
                bell=self.bell_on,
                theme_over=theme_over,
                bell_over=self.settings.ui.bell,
            ),
            self._state_source,
        )

    def _theme_to_save(self) -> tuple[str | None, str | None]:
        """The theme kept for the next run and the configured one it was kept under.

        A one-off ``--theme`` run keeps both as it found them: saving ``--theme`` as the
        configured theme made the next plain run see the config as changed and drop
        the theme chosen with ``t``. A ``t`` pressed in such a run is kept."""
        if not self.settings.theme_named:
            # a theme whose file is broken this run is still the one chosen: saving the
            # fallback in its place lost the choice once the file was mended
            kept = self.theme if self._theme_chosen else self._wanted_theme
            return kept, self.settings.ui.theme
        saved_theme, saved_over = self._saved_theme
        return (self.theme if self._theme_chosen else saved_theme), saved_over


def terminal_alive() -> bool:
    """Whether the terminal the app draws on (stderr) still answers: one hung up (its
    tmux pane or SSH session closed) fails every call with an I/O error."""
    import termios

    try:
        termios.tcgetattr(sys.__stderr__.fileno())  # type: ignore[union-attr]
    except (termios.error, OSError, ValueError, AttributeError):
        return False
    return True


def make_app(
    settings: Settings,
    open_feed: FeedOpener,
    *,
    data_dir: Path | None = None,
    config_dir: Path | None = None,
    clock: Clock = time.time,
    detector_factory: DetectorFactory = default_detector,
    environ: dict[str, str] | None = None,
    start_on: str | None = None,
    replay_symbols: tuple[str, ...] | None = None,
    replay_of: RecordingHeader | None = None,
) -> ScalpApp:
    """The one app factory for the CLI, the tests, the screenshots and the demo.

    ``data_dir`` keeps the watchlist, theme, mutes and the last 500 alerts
    (default: the platformdirs user data dir); ``config_dir`` holds user themes
    in ``themes/*.toml`` (default: the platformdirs user config dir). ``clock``
    is the wall clock (tests freeze it); ``detector_factory`` builds the shared
    detector once the feed says what its source is; ``start_on`` is the symbol on
    screen at start (the first of ``--symbols``), else the one saved;
    ``replay_symbols`` (a replay's) are the watchlist, and nothing is saved;
    ``replay_of`` is the recording's header (its venue, source and start are shown
    before the file is open).
    """
    return ScalpApp(
        settings,
        open_feed,
        data_dir=data_dir if data_dir is not None else persist.default_data_dir(),
        config_dir=config_dir if config_dir is not None else persist.default_config_dir(),
        clock=clock,
        detector_factory=detector_factory,
        environ=environ,
        start_on=start_on,
        replay_symbols=replay_symbols,
        replay_of=replay_of,
    )


def _closing(evt: Event) -> bool:
    """A stream's CLOSED status: a symbol's removal saying its last word."""
    return isinstance(evt, FeedStatus) and evt.state is StreamState.CLOSED


_NOT_DELIVERING = frozenset({StreamState.STALE, StreamState.RECONNECTING, StreamState.FAILED})


def _prices_held(info: HeaderInfo) -> bool:
    """Whether no venue delivers the symbol on screen: its prices are the last seen. One
    stream lagging while the prices flow (an OI poll) or one venue of several down holds
    nothing; a paused screen is said by its badge."""
    if info.paused:
        return False
    listed = [v for v in info.venues if v.listed]
    if listed:
        return not any(_delivers_prices(v.state, v.stream) for v in listed)
    return not _delivers_prices(info.state, info.stream)


def _delivers_prices(state: StreamState, lagging: str) -> bool:
    """Whether a venue in ``state`` delivers prices; ``lagging`` names its one stream down
    while others flow. Its trades down, its quiet liquidation stream still read live
    (judged by a connection the outage had not yet closed): the prices stood still in
    full colour for the first seconds of an outage on every venue."""
    if lagging:
        return lagging != "trades"
    return state not in _NOT_DELIVERING


def with_unlisted(watchlist: tuple[str, ...], unlisted: dict[str, int]) -> tuple[str, ...]:
    """``watchlist`` with the saved symbols this run's venue lacks back in their places."""
    out = list(watchlist)
    for symbol, index in sorted(unlisted.items(), key=lambda item: item[1]):
        if symbol not in out:
            out.insert(min(index, len(out)), symbol)
    return tuple(out)


def next_speed(speed: float, step: int) -> float | None:
    """The replay speed one step faster (``step`` > 0) or slower than ``speed`` among
    ``REPLAY_SPEEDS`` then as fast as it can (0); None past either end. A speed between
    two steps (``--speed 3``) goes to the step beyond it."""
    if step > 0:
        if speed <= 0:
            return None
        return next((s for s in REPLAY_SPEEDS if s > speed * (1 + 1e-9)), 0.0)
    if speed <= 0:
        return REPLAY_SPEEDS[-1]
    return next((s for s in reversed(REPLAY_SPEEDS) if s < speed * (1 - 1e-9)), None)


def _caps_of_a_bound_key(event: events.Key, bound: Mapping[str, object]) -> bool:
    """``event`` is a capital letter no binding takes whose lower case one does."""
    typed = event.character
    return (
        typed is not None
        and len(typed) == 1
        and typed.isascii()
        and typed.isupper()
        and event.key not in bound
        and typed.lower() in bound
    )
