"""The Textual app and its factory, shared by the CLI, the tests, the screenshots and the demo.

Data flow (DESIGN § Data flow): one feed worker pumps ``feed.events()`` into the
shared detector and posts every alert as a message; a UI timer at ~8 Hz pulls
one snapshot of the symbol on screen and repaints inside ``batch_update()``,
whatever the event rate. Slow panels (funding / OI, watchlist, tape) have a
1 Hz tick. The feed is opened inside the worker, after the first frame, so the
exchange library is imported only once something is on screen.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Protocol

from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from scalptui.config import DEFAULT_SYMBOLS, Settings
from scalptui.detector.params import DetectorParams
from scalptui.feed.base import Feed, FeedError
from scalptui.models import (
    Alert,
    AlertKind,
    Bar,
    DetectorSnapshot,
    EpisodeView,
    Event,
    FeedStatus,
    History,
    Liquidation,
    MarkPrice,
    Side,
    Source,
    StreamState,
)
from scalptui.numfmt import funding_8h
from scalptui.runtime import FeedOpener
from scalptui.ui import state as persist
from scalptui.ui.commands import SymbolSearch, show_symbol_search
from scalptui.ui.messages import AlertRaised, FeedEnded, FeedFailed, FeedOpened, MarketsListed
from scalptui.ui.notify import notification_sequence
from scalptui.ui.screens import AlertDetailScreen, ChartScreen, HelpScreen
from scalptui.ui.themes import DEFAULT_THEME, ThemeSet, load_themes
from scalptui.ui.widgets.alert_log import AlertLog, LoggedAlert, alert_line
from scalptui.ui.widgets.funding_oi import FundingOiPanel
from scalptui.ui.widgets.header import HeaderBar, HeaderInfo
from scalptui.ui.widgets.keys import KeyHints
from scalptui.ui.widgets.ladder import LadderView
from scalptui.ui.widgets.price import PricePanel
from scalptui.ui.widgets.tape import LiquidationTape
from scalptui.ui.widgets.watchlist import WatchItem, WatchlistStrip

log = logging.getLogger(__name__)

ZOOM_LEVELS: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0)
TAPE_LIMIT = 200
FUNDING_POINTS = 240
CLOCK_STREAM = "clock"
"""The feed's clock-skew report: a note in the header, not a data stream's state."""
SLOW_TICK_S = 1.0
MIN_SIZE = (70, 20)
"""The smallest terminal the panels fit without cutting a number or a badge.

70 columns: the left column needs 36 for a BTC-sized "Mark … Index …" line and
the 1m / 5m / 1h changes; the ladder next to it needs a price label (9), a
value (7) and a bar of a dozen cells. 20 rows: header, watchlist and footer
(3), the price and funding lines (12 without the sparkline, in 13 rows) and an
alert log of four lines (its title and the three newest alerts).
"""
EXIT_CANNOT_START = 2
_STATE_RANK = {
    StreamState.LIVE: 0,
    StreamState.CONNECTING: 1,
    StreamState.STALE: 2,
    StreamState.RECONNECTING: 3,
    StreamState.CLOSED: 4,
    StreamState.FAILED: 5,
}
_EPISODE_KINDS = (AlertKind.LIQUIDATION_CASCADE, AlertKind.SHORT_SQUEEZE)


class DetectorLike(Protocol):
    """What the app needs of ``scalptui.detector.Detector``."""

    def on_event(self, evt: Event) -> list[Alert]: ...

    def snapshot(self, symbol: str, *, span_pct: float | None = None) -> DetectorSnapshot: ...

    def recent_liquidations(self, limit: int) -> tuple[Liquidation, ...]: ...

    def active_episodes(self) -> dict[str, tuple[EpisodeView, ...]]: ...


DetectorFactory = Callable[[DetectorParams, Source], DetectorLike]
Clock = Callable[[], float]


def default_detector(params: DetectorParams, source: Source) -> DetectorLike:
    from scalptui.detector import Detector

    detector: DetectorLike = Detector(params, source=source)
    return detector


def feed_state(
    statuses: dict[tuple[str | None, str], FeedStatus],
    symbol: str,
    last_message_ms: int | None,
    now_ms: int,
    stale_after_s: float,
) -> tuple[StreamState, float | None]:
    """The worst state of the symbol's streams, and the age of its last message.

    A "live" stream with no message for ``stale_after_s`` is reported stale:
    the header never shows a frozen "live".
    """
    relevant = [
        s.state
        for (sym, stream), s in statuses.items()
        if sym in (symbol, None) and stream != CLOCK_STREAM
    ]
    if relevant:
        state = max(relevant, key=lambda s: _STATE_RANK.get(s, 0))
    else:
        state = StreamState.LIVE if last_message_ms is not None else StreamState.CONNECTING
    age = None if last_message_ms is None else max(0.0, (now_ms - last_message_ms) / 1000.0)
    if state is StreamState.LIVE and (age is None or age > stale_after_s):
        state = StreamState.STALE if age is not None else StreamState.CONNECTING
    return state, age


class ScalpApp(App[None]):
    """Estimated liquidation ladder and informational alerts for a watchlist of perps."""

    TITLE = "scalptui"
    CSS_PATH = "scalptui.tcss"
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {SymbolSearch}
    COMMAND_PALETTE_DISPLAY = "search"
    # The planned degradation (scalptui.tcss): below MIN_SIZE one line says so;
    # -narrow narrows the left column; -low (20-23 rows) drops the sparkline and the
    # OI chart and shrinks the alert log; -short (24-31 rows) drops the OI chart.
    # Header, watchlist and footer shorten themselves by whole pieces (their widgets).
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 (declared by App)
        (0, "-too-narrow"),
        (MIN_SIZE[0], "-narrow"),
        (100, "-wide"),
    ]
    VERTICAL_BREAKPOINTS = [  # noqa: RUF012
        (0, "-too-low"),
        (MIN_SIZE[1], "-low"),
        (24, "-short"),
        (32, "-tall"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        # The footer shows the description; the help screen lists the tooltip (the one key list).
        Binding(
            "slash,ctrl+p",
            "command_palette",
            "search",
            key_display="/",
            tooltip="search the exchange's symbols (adds to the watchlist)",
        ),
        Binding(
            "left_square_bracket",
            "cycle(-1)",
            "prev",
            key_display="[",
            tooltip="previous / next watched symbol",
        ),
        Binding(
            "right_square_bracket",
            "cycle(1)",
            "next",
            key_display="]",
            tooltip="previous / next watched symbol",
        ),
        *[
            Binding(
                str(n),
                f"slot({n})",
                "slot",
                show=n == 1,
                key_display="1-9",
                tooltip="watchlist slot",
            )
            for n in range(1, 10)
        ],
        Binding(
            "plus,equals_sign",
            "zoom(-1)",
            "zoom in",
            key_display="+",
            tooltip="ladder zoom (clusters beyond the view are summed in edge rows)",
        ),
        Binding(
            "minus",
            "zoom(1)",
            "zoom out",
            key_display="-",
            tooltip="ladder zoom (clusters beyond the view are summed in edge rows)",
        ),
        Binding(
            "l", "toggle_tape", "tape", tooltip="liquidation tape (realised, across the watchlist)"
        ),
        Binding("m", "toggle_mute", "mute", tooltip="mute / unmute this symbol's alerts"),
        Binding("t", "next_theme", "theme", tooltip="next theme"),
        Binding(
            "p",
            "toggle_pause",
            "pause",
            tooltip="pause / resume the display (alerts keep arriving)",
        ),
        Binding("c", "chart", "chart", tooltip="full chart: price with realised liquidations"),
        Binding("b", "toggle_bell", "bell", tooltip="terminal bell on alerts"),
        Binding("question_mark", "help", "help", key_display="?", tooltip="this help"),
        Binding("q", "quit", "quit", tooltip="quit"),
    ]

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
        saved = persist.load_state(data_dir)
        self.watchlist: tuple[str, ...] = (
            tuple(dict.fromkeys((*saved.watchlist, *settings.feed.symbols))) or DEFAULT_SYMBOLS
        )
        self.current: str = saved.current if saved.current in self.watchlist else self.watchlist[0]
        self.mutes: frozenset[str] = saved.mutes
        self.bell_on: bool = settings.ui.bell if saved.bell is None else saved.bell
        self.paused = False
        self.span_pct = settings.ui.ladder_span_pct
        self.markets: tuple[str, ...] = ()
        self.feed: Feed | None = None
        self.detector: DetectorLike | None = None
        self.feed_error: str | None = None
        self.startup_error: str | None = None
        self.source = Source.SIMULATED if settings.demo else Source.LIVE
        self.recorded_simulated = False
        self.exchange = settings.feed.exchange
        self.events_seen = 0
        self.repaints = 0
        self.alert_history: deque[Alert] = deque(
            persist.load_alerts(data_dir, self.source), maxlen=persist.MAX_ALERTS
        )
        self._restored_source = self.source
        self._unsaved_alerts: list[Alert] = []
        self._statuses: dict[tuple[str | None, str], FeedStatus] = {}
        self._last_message_ms: dict[str, int] = {}
        self._funding_history: dict[str, deque[tuple[int, float]]] = {}
        self._warm_bars: dict[str, tuple[Bar, ...]] = {}
        self._last_snapshot: DetectorSnapshot | None = None
        # What the screen shows while paused (empty while live).
        self._frozen: dict[str, DetectorSnapshot] = {}
        self._frozen_episodes: dict[str, tuple[EpisodeView, ...]] = {}
        self._frozen_funding: dict[str, tuple[tuple[int, float], ...]] = {}
        self._frozen_tape: tuple[Liquidation, ...] = ()
        self._wanted_theme = saved.theme or settings.ui.theme
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
        self.key_hints = KeyHints(self.BINDINGS, id="keys")
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
        width, height = event.size
        self.too_small.update(
            f"terminal too small: {width}×{height}, need {MIN_SIZE[0]}×{MIN_SIZE[1]}"
        )

    def on_mount(self) -> None:
        self._apply_theme(self._wanted_theme)
        self.theme_changed_signal.subscribe(
            self, lambda _theme: self.call_after_refresh(self.restyle)
        )
        for error in self.theme_set.errors:
            log.warning("theme skipped: %s", error)
        if self.theme_set.errors:
            self.notify(
                "\n".join(self.theme_set.errors),
                title="Theme file skipped",
                severity="error",
                timeout=15,
            )
        self.alert_log.extend(
            LoggedAlert(a, muted=a.symbol in self.mutes) for a in self.alert_history
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
        self.recorded_simulated = feed.recorded_source is Source.SIMULATED
        self.detector = self._detector_factory(self.settings.detector, feed.source)
        self.post_message(FeedOpened(feed.exchange, feed.symbols))
        self.list_markets(feed)
        for symbol in self.watchlist:
            if symbol not in feed.symbols:
                self.add_symbol(symbol)
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
        if isinstance(evt, FeedStatus):
            self._statuses[(evt.symbol, evt.stream)] = evt
        elif isinstance(evt, MarkPrice) and evt.funding_rate is not None:
            self._record_funding(evt)
        elif isinstance(evt, History):
            # Kept for the price panel: the first hour's 1 h change is read from them.
            self._warm_bars[evt.symbol] = tuple(sorted(evt.bars, key=lambda b: b.ts))
        symbol = getattr(evt, "symbol", None)
        if symbol is not None and not isinstance(evt, FeedStatus):
            self._last_message_ms[symbol] = int(self.clock() * 1000)
        try:
            alerts = detector.on_event(evt)
        except Exception:
            # A detector bug on one event must not silence every later alert.
            log.exception("detector failed on %r", evt)
            return
        for alert in alerts:
            self.post_message(AlertRaised(alert))

    def _record_funding(self, mark: MarkPrice) -> None:
        """One funding sample per minute of event time, per symbol, for the chart."""
        if mark.funding_rate is None:
            return
        history = self._funding_history.setdefault(mark.symbol, deque(maxlen=FUNDING_POINTS))
        if history and mark.ts - history[-1][0] < 60_000:
            return
        history.append((mark.ts, funding_8h(mark.funding_rate, mark.funding_interval_h)))

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
    async def add_symbol(self, symbol: str) -> None:
        if self.feed is None:
            return
        try:
            await self.feed.add_symbol(symbol)
        except FeedError as exc:
            self.notify(f"{symbol}: {exc}", severity="error")
            self.watchlist = tuple(s for s in self.watchlist if s != symbol) or self.watchlist
            if self.current == symbol:
                self.switch_to(self.watchlist[0])
            self.save_state()

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
        self._statuses[(None, "feed")] = FeedStatus(
            ts=int(self.clock() * 1000),
            exchange=self.exchange,
            symbol=None,
            stream="feed",
            state=StreamState.CLOSED,
            detail="the stream ended",
        )

    def on_feed_opened(self, message: FeedOpened) -> None:
        if self._restored_source is not self.source:
            # The feed turned out to be a replay, or the simulator behind --base-url: the
            # restored history belongs to another source and must not be shown as this one's.
            self._restored_source = self.source
            kept = [a for a in self.alert_history if a.source is self.source]
            restored = persist.load_alerts(self.data_dir, self.source)
            self.alert_history = deque([*restored, *kept], maxlen=persist.MAX_ALERTS)
            self.alert_log.entries.clear()
            self.alert_log.extend(
                LoggedAlert(a, muted=a.symbol in self.mutes) for a in self.alert_history
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
        self.alert_history.append(alert)
        self._unsaved_alerts.append(alert)
        self.alert_log.add(alert, muted=muted)
        if muted:
            return
        if self.bell_on:
            self.bell()
        if self.settings.ui.notifications:
            self._desktop_notification(alert)
        if not self.alert_log.display:
            self.notify(alert_line(alert), title=alert.kind.value, timeout=8)

    def _desktop_notification(self, alert: Alert) -> None:
        driver = getattr(self, "_driver", None)
        if driver is None:
            return
        seq = notification_sequence(
            f"scalptui {alert.kind.value}", alert_line(alert), self._environ
        )
        with contextlib.suppress(Exception):
            driver.write(seq)
            driver.flush()

    # ------------------------------------------------------------------ repaint

    def tick(self) -> None:
        """The ~8 Hz UI tick: one snapshot, one batched repaint."""
        if self.is_running and self.header_bar.is_attached:
            self.repaint_now()

    def slow_tick(self) -> None:
        if self.is_running and self.header_bar.is_attached:
            self.refresh_slow_panels()
        self.save_new_alerts()

    def save_new_alerts(self) -> None:
        """Append the alerts raised since the last save (another monitor may share the file)."""
        if self._unsaved_alerts:
            unsaved, self._unsaved_alerts = self._unsaved_alerts, []
            persist.append_alerts(self.data_dir, unsaved, self.source)

    def take_snapshot(self, symbol: str | None = None) -> DetectorSnapshot | None:
        """One symbol's data: the frozen copy while paused, else the detector's now.

        The symbol on screen is cut to cover exactly the rows the ladder draws
        (see ``LadderView.span_to_request``); the others feed only the watchlist.
        """
        symbol = symbol or self.current
        if self.paused:
            return self._frozen_snapshot(symbol)
        if symbol != self.current:
            return self._detector_snapshot(symbol, self.span_pct)
        last = self._last_snapshot
        hint = last if last is not None and last.symbol == symbol else None
        span = self.ladder.span_to_request(self.span_pct, hint)
        snap = self._detector_snapshot(symbol, span)
        if snap is not None:
            # No recent snapshot (a switch, a zoom, a jump in price) placed the grid
            # elsewhere: ask once more for the span this snapshot's grid needs.
            needed = self.ladder.span_to_request(self.span_pct, snap)
            if needed > span:
                snap = self._detector_snapshot(symbol, needed)
        return snap

    def _detector_snapshot(self, symbol: str, span_pct: float | None) -> DetectorSnapshot | None:
        if self.detector is None:
            return None
        try:
            return self.detector.snapshot(symbol, span_pct=span_pct)
        except (KeyError, LookupError):
            return None

    def _frozen_snapshot(self, symbol: str) -> DetectorSnapshot | None:
        snap = self._frozen.get(symbol)
        if snap is None:
            # A symbol first shown while paused freezes when it is first seen.
            snap = self._detector_snapshot(symbol, None)
            if snap is not None:
                self._frozen[symbol] = snap
        return snap

    def _freeze(self) -> None:
        """Pause: copy everything the screen shows, so every panel shows the same moment.

        The ladder's copy spans the detector's whole reach (``span_pct=None``), so
        a zoom while paused re-bins the frozen levels instead of leaving rows blank.
        """
        self._frozen = {}
        for symbol in self.watchlist:
            self._frozen_snapshot(symbol)
        self._frozen_episodes = self._live_episodes()
        self._frozen_funding = {s: tuple(h) for s, h in self._funding_history.items()}
        tape: tuple[Liquidation, ...] = ()
        if self.detector is not None:
            tape = self.detector.recent_liquidations(TAPE_LIMIT)
        self._frozen_tape = tape

    def _thaw(self) -> None:
        self._frozen = {}
        self._frozen_episodes = {}
        self._frozen_funding = {}
        self._frozen_tape = ()

    def repaint_now(self) -> None:
        now = self.clock()
        # Paused freezes the data, not the widgets: a theme change still restyles them.
        snap = self.take_snapshot()
        self._last_snapshot = snap
        with self.batch_update():
            self.header_bar.show(self._header_info(now, snap))
            if snap is not None:
                self.price_panel.show(snap, self._warm_bars.get(snap.symbol, ()))
                flash = int(now * 2) % 2 == 0
                self.ladder.show(snap, self.span_pct, flash)
        self.repaints += 1

    def refresh_slow_panels(self) -> None:
        episodes = self._episodes()
        items = []
        current: DetectorSnapshot | None = None
        last = self._last_snapshot  # at most one fast tick old: no second snapshot of it
        for symbol in self.watchlist:
            if symbol == self.current and last is not None and last.symbol == symbol:
                snap: DetectorSnapshot | None = last
            else:
                snap = self.take_snapshot(symbol)
            if symbol == self.current:
                current = snap
            items.append(
                WatchItem(
                    symbol=symbol,
                    last=snap.last if snap else None,
                    change_pct=snap.change_1h_pct if snap else None,
                    episode=_episode_side(episodes.get(symbol, ())),
                    muted=symbol in self.mutes,
                )
            )
        with self.batch_update():
            self.watchlist_strip.show(tuple(items), self.current)
            if current is not None:
                history = self._funding_of(current.symbol)
                self.funding_panel.show(current.funding, current.open_interest, history, current.ts)
            tape = self.tape
            if tape.display:
                tape.show(self._tape_liquidations())

    def _funding_of(self, symbol: str) -> tuple[tuple[int, float], ...]:
        if self.paused:
            return self._frozen_funding.get(symbol, ())
        return tuple(self._funding_history.get(symbol, ()))

    def _tape_liquidations(self) -> tuple[Liquidation, ...]:
        if self.paused:
            return self._frozen_tape
        if self.detector is None:
            return ()
        return self.detector.recent_liquidations(TAPE_LIMIT)

    def _episodes(self) -> dict[str, tuple[EpisodeView, ...]]:
        return self._frozen_episodes if self.paused else self._live_episodes()

    def _live_episodes(self) -> dict[str, tuple[EpisodeView, ...]]:
        if self.detector is None:
            return {}
        try:
            return self.detector.active_episodes()
        except Exception:
            log.exception("active_episodes failed")
            return {}

    def _header_info(self, now: float, snap: DetectorSnapshot | None) -> HeaderInfo:
        last_ms = self._last_message_ms.get(self.current)
        if self.feed_error is not None:
            state, age = StreamState.FAILED, None
        else:
            state, age = feed_state(
                self._statuses,
                self.current,
                last_ms,
                int(now * 1000),
                self.settings.feed.stale_after_s,
            )
        replay = self.source is Source.REPLAY
        # A replay shows the recording's own time, never the wall clock.
        clock_s = snap.ts / 1000.0 if replay and snap is not None else now
        return HeaderInfo(
            exchange=self.exchange,
            symbol=self.current,
            state=state,
            age_s=age,
            clock_s=clock_s,
            simulated=self.source is Source.SIMULATED or self.recorded_simulated,
            replay=replay,
            paused=self.paused,
            note=self._clock_note(),
            bell=self.bell_on,
            muted=self.current in self.mutes,
            progress=self._replay_progress() if replay else None,
        )

    def _replay_progress(self) -> float | None:
        return self.feed.progress if self.feed is not None else None

    def restyle(self) -> None:
        """Rebuild every line with the new theme's colours (lines hold resolved styles)."""
        self.alert_log.redraw()
        self.tape.redraw()
        self.key_hints.redraw()
        self.repaint_now()
        self.refresh_slow_panels()

    def _clock_note(self) -> str:
        status = self._statuses.get((None, CLOCK_STREAM))
        if status is None or status.state is StreamState.LIVE:
            return ""
        return status.detail.replace("local clock is ", "clock ").replace(" the exchange's", "")

    # ------------------------------------------------------------------ actions

    def choose_symbol(self, symbol: str) -> None:
        """From the symbol search: watch it (streaming it if new) and show it."""
        if symbol not in self.watchlist:
            self.watchlist = (*self.watchlist, symbol)
            if self.feed is not None and symbol not in self.feed.symbols:
                self.add_symbol(symbol)
        self.switch_to(symbol)

    def switch_to(self, symbol: str) -> None:
        self.current = symbol
        self.save_state()
        self.repaint_now()
        self.refresh_slow_panels()

    def action_cycle(self, step: int) -> None:
        index = self.watchlist.index(self.current) if self.current in self.watchlist else 0
        self.switch_to(self.watchlist[(index + step) % len(self.watchlist)])

    def action_slot(self, slot: int) -> None:
        if 1 <= slot <= len(self.watchlist):
            self.switch_to(self.watchlist[slot - 1])

    def action_zoom(self, step: int) -> None:
        levels = sorted({*ZOOM_LEVELS, self.settings.ui.ladder_span_pct})
        nearest = min(range(len(levels)), key=lambda i: abs(levels[i] - self.span_pct))
        self.span_pct = levels[max(0, min(len(levels) - 1, nearest + step))]
        self.repaint_now()

    def action_toggle_tape(self) -> None:
        tape = self.tape
        alerts = self.alert_log
        tape.display = not tape.display
        alerts.display = not tape.display
        if alerts.display:
            alerts.focus()  # ↑ ↓ Enter read the log again
        self.refresh_slow_panels()

    def action_toggle_mute(self) -> None:
        muted = self.current in self.mutes
        self.mutes = self.mutes - {self.current} if muted else self.mutes | {self.current}
        self.alert_log.set_muted(self.current, not muted)  # the ones already logged too
        self.notify(f"{self.current} alerts {'unmuted' if muted else 'muted'}")
        self.save_state()
        self.repaint_now()
        self.refresh_slow_panels()

    def action_next_theme(self) -> None:
        names = self.theme_set.names
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"Theme: {self.theme}")
        self.save_state()
        self.repaint_now()
        self.refresh_slow_panels()

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused
        if self.paused:
            self._freeze()
        else:
            self._thaw()
        self.repaint_now()
        self.refresh_slow_panels()

    def action_chart(self) -> None:
        self.push_screen(ChartScreen(self._chart_snapshot))

    def _chart_snapshot(self) -> DetectorSnapshot | None:
        return self.take_snapshot()  # the frozen copy while paused

    def action_toggle_bell(self) -> None:
        self.bell_on = not self.bell_on
        self.notify(f"bell {'on' if self.bell_on else 'off'}")
        self.save_state()
        self.repaint_now()

    def action_command_palette(self) -> None:
        show_symbol_search(self)

    def action_help(self) -> None:
        self.push_screen(HelpScreen([*self.BINDINGS, *AlertLog.BINDINGS]))

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
        persist.save_state(
            self.data_dir,
            persist.UiState(
                watchlist=self.watchlist,
                current=self.current,
                theme=self.theme,
                mutes=self.mutes,
                bell=self.bell_on,
            ),
        )


def _episode_side(episodes: tuple[EpisodeView, ...]) -> Side | None:
    for episode in episodes:
        if episode.kind in _EPISODE_KINDS:
            return episode.side
    return None


def make_app(
    settings: Settings,
    open_feed: FeedOpener,
    *,
    data_dir: Path | None = None,
    config_dir: Path | None = None,
    clock: Clock = time.time,
    detector_factory: DetectorFactory = default_detector,
    environ: dict[str, str] | None = None,
) -> ScalpApp:
    """The one app factory for the CLI, the tests, the screenshots and the demo.

    ``data_dir`` keeps the watchlist, theme, mutes and the last 500 alerts
    (default: the platformdirs user data dir); ``config_dir`` holds user themes
    in ``themes/*.toml`` (default: the platformdirs user config dir). ``clock``
    is the wall clock (tests freeze it); ``detector_factory`` builds the shared
    detector once the feed says what its source is.
    """
    return ScalpApp(
        settings,
        open_feed,
        data_dir=data_dir if data_dir is not None else persist.default_data_dir(),
        config_dir=config_dir if config_dir is not None else persist.default_config_dir(),
        clock=clock,
        detector_factory=detector_factory,
        environ=environ,
    )
