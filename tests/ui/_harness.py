"""Shared builders for the UI tests: the scripted market, a frozen clock, tmp dirs."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from textual.message import Message
from textual.notifications import Notify

from scalptui.config import FeedSettings, Settings, UiSettings
from scalptui.detector import AnyDetector, make_detector
from scalptui.detector.params import DetectorParams
from scalptui.feed.base import Feed, FeedError
from scalptui.feed.recording import RecordingHeader
from scalptui.feed.scripted import SPECS, ScriptedFeed, script_end_ms, scripted_events
from scalptui.models import (
    Alert,
    AlertKind,
    DetectorSnapshot,
    EpisodeView,
    Event,
    FeedStatus,
    Liquidation,
    MarkPrice,
    Side,
    Source,
    StreamState,
    Trade,
)
from scalptui.ui.app import DetectorLike, ScalpApp, make_app

SYMBOLS: tuple[str, ...] = tuple(SPECS)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ui"


@functools.cache
def script() -> tuple[Event, ...]:
    return tuple(scripted_events(SYMBOLS))


@functools.cache
def end_clock() -> float:
    """The frozen wall clock: the scripted market's last event time."""
    return script_end_ms(list(script())) / 1000.0


@dataclass
class CountingDetector:
    """The real Detector, counting snapshot calls (to show repaints are coalesced)."""

    inner: AnyDetector
    snapshots: int = 0

    def on_event(self, evt: Event) -> list[Alert]:
        return self.inner.on_event(evt)

    def snapshot(self, symbol: str, *, span_pct: float | None = None) -> DetectorSnapshot:
        self.snapshots += 1
        return self.inner.snapshot(symbol, span_pct=span_pct)

    def recent_liquidations(self, limit: int) -> tuple[Liquidation, ...]:
        return self.inner.recent_liquidations(limit)

    def active_episodes(self) -> dict[str, tuple[EpisodeView, ...]]:
        return self.inner.active_episodes()

    def venue_snapshots(
        self, symbol: str, *, span_pct: float | None = None
    ) -> dict[str, DetectorSnapshot]:
        return self.inner.venue_snapshots(symbol, span_pct=span_pct)


VENUES = ("binanceusdm", "bybit", "okx")
"""The venues of the multi-venue tests: Binance and Bybit stream, OKX is reconnecting."""
BYBIT_PREMIUM = 1.0002
"""Bybit's prices in the two-venue script: 2 bp above Binance's."""


def on_bybit(evt: Event) -> Event:
    """``evt`` as Bybit would print it: its own venue, 2 bp dearer, every liquidation."""
    if isinstance(evt, Trade):
        return dataclasses.replace(evt, exchange="bybit", price=evt.price * BYBIT_PREMIUM)
    if isinstance(evt, Liquidation):
        price = evt.price * BYBIT_PREMIUM
        return dataclasses.replace(
            evt, exchange="bybit", price=price, notional=evt.amount * price, sampled=False
        )
    if isinstance(evt, MarkPrice):
        return dataclasses.replace(evt, exchange="bybit", mark=evt.mark * BYBIT_PREMIUM)
    return dataclasses.replace(evt, exchange="bybit")


@functools.cache
def venues_script() -> tuple[Event, ...]:
    """The scripted market on Binance and Bybit at once, then OKX's connection dropping."""
    events: list[Event] = []
    for evt in script():
        events += (evt, on_bybit(evt))
    last = events[-1].ts
    events.append(
        FeedStatus(last, "okx", None, "connection", StreamState.RECONNECTING, "retry in 4 s")
    )
    return tuple(events)


@dataclass
class Harness:
    app: ScalpApp
    feed: ScriptedFeed
    detectors: list[CountingDetector] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    """Every notification the app posted, in order (see ``hear``)."""

    def hear(self, message: Message) -> None:
        """A ``run_test(message_hook=...)`` that keeps the text of each notification."""
        if isinstance(message, Notify):
            self.notices.append(str(message.notification.message))


def build(
    tmp_path: Path,
    *,
    events: tuple[Event, ...] | None = None,
    theme: str = "scalptui-dark",
    config_dir: Path | None = None,
    open_feed: Callable[[], Awaitable[Feed]] | None = None,
    yield_every: int | None = 500,
    clock: Callable[[], float] | None = None,
    exchange: str | None = None,
    start_on: str | None = None,
    replay_symbols: tuple[str, ...] | None = None,
    replay_of: RecordingHeader | None = None,
    symbols_named: bool = False,
    theme_named: bool = False,
) -> Harness:
    """The app on the scripted market (``events`` replaces it).

    ``exchange`` is what the feed says it streams (``binanceusdm,bybit,okx`` for a run
    on several venues, which gets the asset detector, as the app builds it).
    """
    feed = ScriptedFeed(
        list(script() if events is None else events), SYMBOLS, yield_every=yield_every
    )
    if exchange is not None:
        feed.exchange = exchange
    detectors: list[CountingDetector] = []

    def factory(params: DetectorParams, source: Source, exchanges: tuple[str, ...]) -> DetectorLike:
        detector = CountingDetector(make_detector(params, source=source, exchanges=exchanges))
        detectors.append(detector)
        return detector

    async def scripted_feed() -> Feed:
        return feed

    settings = Settings(
        feed=FeedSettings(symbols=SYMBOLS),
        ui=UiSettings(theme=theme),
        demo=True,
        symbols_named=symbols_named,
        theme_named=theme_named,
    )
    app = make_app(
        settings,
        open_feed or scripted_feed,
        data_dir=tmp_path / "data",
        config_dir=config_dir if config_dir is not None else tmp_path / "config",
        clock=clock or end_clock,
        detector_factory=factory,
        environ={},
        replay_symbols=replay_symbols,
        replay_of=replay_of,
        start_on=start_on,
    )
    return Harness(app, feed, detectors)


async def drained(h: Harness, timeout: float = 30.0) -> None:
    """Wait until the scripted feed has yielded everything (bounded: a stuck worker fails)."""
    await asyncio.wait_for(h.feed.drained.wait(), timeout)


def alert(
    symbol: str = "BTC/USDT:USDT",
    kind: AlertKind = AlertKind.LIQUIDATION_CASCADE,
    message: str = "Real liquidations: ≥ $1.0M longs in 30 s",
    ts: int | None = None,
) -> Alert:
    """An alert as the app receives one; by default at the frozen clock, the scripted
    market's last moment, so it is the newest in the (time-ordered) log."""
    at = ts if ts is not None else int(end_clock() * 1000)
    return Alert(
        at, "binanceusdm", symbol, kind, Side.LONG, message, {"usd": 1e6}, Source.SIMULATED
    )


class BreaksMidway:
    """A live feed that delivers one event, then loses its stream for good."""

    exchange = "binanceusdm"
    source = Source.LIVE
    symbols = SYMBOLS
    recorded_source = None
    progress = None

    async def events(self) -> AsyncIterator[Event]:
        yield scripted_events(SYMBOLS, calm_s=5, cascade_s=1)[0]
        raise FeedError("stream closed by the exchange: 1008 policy violation")

    async def add_symbol(self, symbol: str) -> None:
        return None

    async def remove_symbol(self, symbol: str) -> None:
        return None

    async def list_symbols(self) -> list[str]:
        return list(SYMBOLS)

    async def close(self) -> None:
        return None
