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


DetectorFactory = Callable[[DetectorParams, Source], DetectorLike]


def default_detector(params: DetectorParams, source: Source) -> DetectorLike:
    # Imported here: the detector's numpy import waits until a feed is open.
    from scalptui.detector import Detector

    detector: DetectorLike = Detector(params, source=source)
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
