"""The main screen, mid-cascade on the scripted market, for each theme at two sizes.

Deterministic: a seeded market, a frozen wall clock, tmp data/config dirs. The
baselines live in ``__snapshots__/``; refresh them with
``pytest --snapshot-update tests/ui/test_snapshots.py`` after a deliberate change.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from scalptui.ui.themes import BUILTIN_ORDER

from ._harness import Harness, build, drained


def settle(h: Harness) -> Callable[[Pilot[None]], Any]:
    async def run_before(pilot: Pilot[None]) -> None:
        await drained(h)
        await pilot.pause()
        h.app.repaint_now()
        h.app.refresh_slow_panels()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("theme", BUILTIN_ORDER)
def test_main_screen(
    snap_compare: Callable[..., bool], tmp_path: Path, theme: str, size: tuple[int, int]
) -> None:
    """Header, watchlist, price, funding / OI, the est. ladder mid-cascade, the alert log."""
    h = build(tmp_path, theme=theme)
    assert snap_compare(h.app, terminal_size=size, run_before=settle(h))


def test_liquidation_tape(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    """``l``: realised liquidations across the watchlist, newest first, lower bound noted."""
    h = build(tmp_path)

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(h)(pilot)
        await pilot.press("l")
        await pilot.pause()

    assert snap_compare(h.app, terminal_size=(120, 40), run_before=run_before)
