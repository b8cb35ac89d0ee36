"""The app's reads of the shared detector, each safe to call before the feed opens.

The detector is built once the feed says what its source is, so until then
every read answers "nothing yet" instead of raising. A failing read is logged
and shown as nothing: one bad snapshot must not take the screen down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from scalptui.detector.params import DetectorParams
from scalptui.models import (
    Alert,
    AlertKind,
    DetectorSnapshot,
    EpisodeView,
    Event,
    Liquidation,
    Side,
    Source,
)

log = logging.getLogger(__name__)

TAPE_LIMIT = 200
"""Realised liquidations the tape shows (newest first, across the watchlist)."""
VENUE_SPAN_PCT = 0.5
"""Ladder span of the per-venue snapshots (``venue_snapshots``): unused, so small."""
WATCH_SPAN_PCT = 0.0
"""Ladder span of a watchlist entry's snapshot (a symbol not on screen): the strip reads
its price and 1 h change, never the ladder, so no row beyond the price's is built."""
_EPISODE_KINDS = (AlertKind.LIQUIDATION_CASCADE, AlertKind.SHORT_SQUEEZE)

Episodes = dict[str, tuple[EpisodeView, ...]]


class DetectorLike(Protocol):
    """What the app needs of ``scalptui.detector.Detector``."""

    def on_event(self, evt: Event) -> list[Alert]: ...

    def snapshot(self, symbol: str, *, span_pct: float | None = None) -> DetectorSnapshot: ...

    def recent_liquidations(self, limit: int) -> tuple[Liquidation, ...]: ...

    def active_episodes(self) -> Episodes: ...

    def venue_snapshots(
        self, symbol: str, *, span_pct: float | None = None
    ) -> dict[str, DetectorSnapshot]: ...


DetectorFactory = Callable[[DetectorParams, Source, tuple[str, ...]], DetectorLike]
"""Builds the shared detector from the params, the feed's source and its venues."""


def default_detector(
    params: DetectorParams, source: Source, exchanges: tuple[str, ...]
) -> DetectorLike:
    # Imported here: the detector's numpy import waits until a feed is open.
    from scalptui.detector import make_detector

    detector: DetectorLike = make_detector(params, source=source, exchanges=exchanges)
    return detector


def detector_snapshot(
    detector: DetectorLike | None, symbol: str, span_pct: float | None
) -> DetectorSnapshot | None:
    """The symbol's snapshot, None before the detector exists or has seen the symbol."""
    if detector is None:
        return None
    try:
        return detector.snapshot(symbol, span_pct=span_pct)
    except (KeyError, LookupError):
        return None


def venue_snapshots(detector: DetectorLike | None, symbol: str) -> dict[str, DetectorSnapshot]:
    """Each venue's own snapshot of ``symbol`` in watch order; empty before there is one.

    Cut to a narrow span: the breakdown reads prices, OI, funding and prints, never
    the ladder, so the ladder's rows are not worth building.
    """
    if detector is None:
        return {}
    try:
        return detector.venue_snapshots(symbol, span_pct=VENUE_SPAN_PCT)
    except Exception:
        log.exception("venue_snapshots failed")
        return {}


def live_episodes(detector: DetectorLike | None) -> Episodes:
    if detector is None:
        return {}
    try:
        return detector.active_episodes()
    except Exception:
        log.exception("active_episodes failed")
        return {}


def recent_tape(detector: DetectorLike | None) -> tuple[Liquidation, ...]:
    if detector is None:
        return ()
    return detector.recent_liquidations(TAPE_LIMIT)


def episode_side(episodes: tuple[EpisodeView, ...]) -> Side | None:
    """The side of the symbol's cascade or squeeze, for its watchlist badge."""
    for episode in episodes:
        if episode.kind in _EPISODE_KINDS:
            return episode.side
    return None
