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
from textual.widgets import Input, OptionList

from scalptui.feed.base import Feed
from scalptui.ui.app import MIN_SIZE
from scalptui.ui.themes import BUILTIN_ORDER

from ._harness import VENUES, BreaksMidway, Harness, build, drained, venues_script


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


def pressing(h: Harness, *keys: str) -> Callable[[Pilot[None]], Any]:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(h)(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await pilot.pause(0.4)  # the palette debounces; the chart mounts after a frame

    return run_before


def test_help(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    """``?``: every key and what the estimates mean."""
    h = build(tmp_path)
    assert snap_compare(h.app, terminal_size=(100, 30), run_before=pressing(h, "question_mark"))


def test_full_chart(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    """``c``: price with realised liquidations marked."""
    h = build(tmp_path)
    assert snap_compare(h.app, terminal_size=(120, 40), run_before=pressing(h, "c"))


def test_command_palette(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    """``/``: the symbol search, filtered."""
    h = build(tmp_path)

    async def run_before(pilot: Pilot[None]) -> None:
        await pressing(h, "slash")(pilot)
        h.app.screen.query_one(Input).cursor_blink = False  # a blinking cursor is a coin toss
        for key in "DOG":
            await pilot.press(key)
        # The search runs in the background: wait (bounded) until its answer is listed.
        for _ in range(100):
            if h.app.screen.query_one(OptionList).option_count:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.3)

    assert snap_compare(h.app, terminal_size=(100, 30), run_before=run_before)


def test_alert_in_full(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    """Enter on the log: the newest alert, its whole message and facts."""
    h = build(tmp_path)
    assert snap_compare(h.app, terminal_size=(100, 30), run_before=pressing(h, "enter"))


def test_paused_on_another_symbol(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    """``p`` then ``]``: every panel shows the frozen moment, the header says PAUSED."""
    h = build(tmp_path)
    keys = ("p", "right_square_bracket")
    assert snap_compare(h.app, terminal_size=(120, 40), run_before=pressing(h, *keys))


def test_a_failed_feed(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    """A feed lost while streaming: the header says failed, a toast says why, nothing crashes.

    (A feed that cannot open at all ends the run with exit status 2: ``test_flow``.)
    """

    async def breaking() -> Feed:
        return BreaksMidway()

    h = build(tmp_path, open_feed=breaking)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.pause()
        h.app.repaint_now()
        # the slow panels too, not left to their one-second tick (a loaded machine took
        # the picture before it, without the funding / OI lines)
        h.app.refresh_slow_panels()
        await pilot.pause()

    assert snap_compare(h.app, terminal_size=(100, 30), run_before=run_before)


@pytest.mark.parametrize("size", [MIN_SIZE, (60, 20)], ids=["minimum", "too-small"])
def test_small_terminals(
    snap_compare: Callable[..., bool], tmp_path: Path, size: tuple[int, int]
) -> None:
    """The minimum size keeps every number and badge whole; below it, one line says so."""
    h = build(tmp_path)
    assert snap_compare(h.app, terminal_size=size, run_before=settle(h))


def on_three_venues(tmp_path: Path) -> Harness:
    """The scripted market on Binance and Bybit (2 bp dearer), OKX reconnecting."""
    return build(tmp_path, events=venues_script(), exchange=",".join(VENUES))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_main_screen_on_three_venues(
    snap_compare: Callable[..., bool], tmp_path: Path, size: tuple[int, int]
) -> None:
    """The header's venue chips (OKX reconnecting), venue tags in the log, ``v`` in the footer."""
    h = on_three_venues(tmp_path)
    assert snap_compare(h.app, terminal_size=size, run_before=settle(h))


def test_liquidation_tape_on_three_venues(
    snap_compare: Callable[..., bool], tmp_path: Path
) -> None:
    """``l`` on several venues: a venue column after the time, the columns aligned."""
    h = on_three_venues(tmp_path)
    assert snap_compare(h.app, terminal_size=(120, 40), run_before=pressing(h, "l"))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_venue_breakdown(
    snap_compare: Callable[..., bool], tmp_path: Path, size: tuple[int, int]
) -> None:
    """``v``: the symbol on each venue — price and spread, OI, funding, prints, feed."""
    h = on_three_venues(tmp_path)
    assert snap_compare(h.app, terminal_size=size, run_before=pressing(h, "v"))
