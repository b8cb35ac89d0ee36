"""A run on two venues of one simulator, recorded and replayed: same alerts, venues kept.

The live run is `--demo --exchange binanceusdm,bybit` in-process (one simulator, one
real ccxt.pro feed per venue, cascade scenario at 10× exchange time); each event is
both recorded and fed to a live detector made as every mode makes it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from scalptui.config import FeedSettings
from scalptui.feed.recording import BadLine, ReplayFeed, iter_recording, read_header
from scalptui.models import AlertKind, FeedStatus, Source

from ._replay import alerts_cli, record_demo, replay_alerts, without_source

VENUES = ("binanceusdm", "bybit")
SYMBOLS = ("BTC/USDT:USDT",)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    path = tmp_path_factory.mktemp("rec") / "two-venues.jsonl.gz"
    feed = FeedSettings(exchange=VENUES[0], exchanges=VENUES, symbols=SYMBOLS)
    return path, asyncio.run(record_demo(path, feed))


def test_the_header_names_every_venue_and_each_line_its_own(
    recording: tuple[Path, list[dict[str, Any]]],
) -> None:
    path, _ = recording
    header = read_header(path)
    assert header.exchanges == VENUES and header.exchange == "binanceusdm,bybit"
    assert header.source is Source.SIMULATED and header.symbols == SYMBOLS
    read = list(iter_recording(path))
    items = [i for i in read if not isinstance(i, BadLine)]
    assert len(items) == len(read)
    by_venue = {venue: {e.KIND for e in items if e.exchange == venue} for venue in VENUES}
    for venue in VENUES:
        assert {"trade", "liquidation", "mark", "status", "market", "history"} <= by_venue[venue]
    assert {e.exchange for e in items} == set(VENUES)


def test_replay_gives_the_live_alerts_at_any_speed(
    recording: tuple[Path, list[dict[str, Any]]],
) -> None:
    path, live = recording
    assert [a for a in live if a["kind"] == AlertKind.LIQUIDATION_CASCADE.value], live
    fast = asyncio.run(replay_alerts(path, speed=0))
    paced = asyncio.run(replay_alerts(path, speed=60))
    assert fast == paced
    assert without_source(fast) == without_source(live)


def test_cli_replay_prints_the_same_alerts_and_ends_each_venue(
    recording: tuple[Path, list[dict[str, Any]]],
) -> None:
    path, live = recording
    printed, stderr = alerts_cli(path)
    assert without_source(printed) == without_source(live)
    ends = [line for line in stderr.splitlines() if "end of recording" in line]
    assert [line.split()[2] for line in ends] == list(VENUES)  # scalptui: <UTC time> <venue> …


async def test_a_replay_ends_with_one_closed_status_per_venue(
    recording: tuple[Path, list[dict[str, Any]]],
) -> None:
    path, _ = recording
    feed = ReplayFeed(path, speed=0)
    assert feed.exchange == "binanceusdm,bybit"
    events = [e async for e in feed.events()]
    tail = [e for e in events[-len(VENUES) :] if isinstance(e, FeedStatus)]
    assert [(e.exchange, e.stream, e.state.value) for e in tail] == [
        (venue, "replay", "closed") for venue in VENUES
    ]
