"""Pause: one copy of everything the screen shows, so every panel shows the same moment.

Paused freezes the data, not the widgets: a theme change or a zoom still
redraws them from the copy. Alerts keep arriving in the log meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scalptui.models import DetectorSnapshot, Liquidation
from scalptui.ui.detector_view import (
    DetectorLike,
    Episodes,
    detector_snapshot,
    live_episodes,
    recent_tape,
    venue_snapshots,
)
from scalptui.ui.market_book import FundingPoints


@dataclass(slots=True)
class FrozenView:
    """The paused copy: per-symbol snapshots (the asset's and each venue's), episodes,
    funding history and the tape."""

    snapshots: dict[str, DetectorSnapshot] = field(default_factory=dict)
    venues: dict[str, dict[str, DetectorSnapshot]] = field(default_factory=dict)
    episodes: Episodes = field(default_factory=dict)
    funding: dict[str, FundingPoints] = field(default_factory=dict)
    tape: tuple[Liquidation, ...] = ()

    def snapshot(self, symbol: str, detector: DetectorLike | None) -> DetectorSnapshot | None:
        """The frozen snapshot; a symbol first shown while paused freezes when first seen.

        The copy spans the detector's whole reach (``span_pct=None``), so a zoom
        while paused re-bins the frozen levels instead of leaving rows blank.
        """
        snap = self.snapshots.get(symbol)
        if snap is None:
            snap = detector_snapshot(detector, symbol, None)
            # A symbol with nothing seen yet (added while paused) has no moment to
            # freeze: it freezes at its first data, not on "waiting for data" for good.
            if snap is not None and snap.ts > 0:
                self.snapshots[symbol] = snap
        return snap

    def venue_snapshots(
        self, symbol: str, detector: DetectorLike | None
    ) -> dict[str, DetectorSnapshot]:
        """Each venue's frozen snapshot of ``symbol`` (frozen when first asked, like
        ``snapshot``)."""
        snaps = self.venues.get(symbol)
        if snaps is None:
            snaps = venue_snapshots(detector, symbol)
            if snaps:
                self.venues[symbol] = snaps
        return snaps


def freeze(
    detector: DetectorLike | None,
    watchlist: tuple[str, ...],
    funding: dict[str, FundingPoints],
) -> FrozenView:
    """Copy what every panel shows now, for the watchlist's symbols."""
    view = FrozenView(funding=funding)
    for symbol in watchlist:
        view.snapshot(symbol, detector)
        view.venue_snapshots(symbol, detector)
    view.episodes = live_episodes(detector)
    view.tape = recent_tape(detector)
    return view
