"""A run on two venues of one simulator, recorded and replayed: same alerts, venues kept.

The live run is `--demo --exchange binanceusdm,bybit` in-process (one simulator, one
real ccxt.pro feed per venue, cascade scenario at 10× exchange time); each event is
both recorded and fed to a live detector made as every mode makes it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scalptui.config import FeedSettings, Settings
from scalptui.detector import make_detector
from scalptui.feed.recording import BadLine, Recorder, ReplayFeed, iter_recording, read_header
from scalptui.headless import pump, venues_of
from scalptui.models import AlertKind, Event, FeedStatus, Source
from scalptui.runtime import RunOptions, open_demo

VENUES = ("binanceusdm", "bybit")
SYMBOLS = ("BTC/USDT:USDT",)


async def record_two_venues(path: Path) -> list[dict[str, Any]]:
    feed_settings = FeedSettings(exchange=VENUES[0], exchanges=VENUES, symbols=SYMBOLS)
    settings = Settings(feed=feed_settings, demo=True)
    options = RunOptions(demo_scenario="cascade", demo_seed=5, demo_time_scale=10.0)
    feed = await open_demo(settings, options)
    recorder = Recorder(path, exchange=feed.exchange, symbols=feed.symbols, source=feed.source)
    detector = make_detector(settings.detector, source=feed.source, exchanges=venues_of(feed))
    alerts: list[dict[str, Any]] = []

    def consume(event: Event) -> None:
        recorder.write(event)
        alerts.extend(a.to_record() for a in detector.on_event(event))

    await pump(feed, consume, duration_s=16.0)
    recorder.close()
    return alerts


async def replay_alerts(path: Path, speed: float) -> list[dict[str, Any]]:
    feed = ReplayFeed(path, speed=speed)
    detector = make_detector(Settings().detector, source=feed.source, exchanges=venues_of(feed))
    return [a.to_record() async for e in feed.events() for a in detector.on_event(e)]


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    path = tmp_path_factory.mktemp("rec") / "two-venues.jsonl.gz"
    return path, asyncio.run(record_two_venues(path))


def without_source(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("source", "recorded_source")} for r in records]


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
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scalptui",
            "alerts",
            "--json",
            "--replay",
            str(path),
            "--speed",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    printed = [json.loads(line) for line in proc.stdout.splitlines()]
    assert without_source(printed) == without_source(live)
    ends = [line for line in proc.stderr.splitlines() if "end of recording" in line]
    assert [line.split()[1] for line in ends] == list(VENUES)


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
