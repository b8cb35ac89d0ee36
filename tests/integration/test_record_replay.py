"""Record the simulated exchange through the real pipeline, then replay it.

The recording is made once per module: unmodified ccxt.pro against the loopback
simulated exchange (cascade scenario, its clock running 10× faster than the wall
clock), each event both written and fed to a live detector. Replays must then
give exactly the live alerts, at any speed, in-process and through the CLI.
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
from scalptui.detector import Detector
from scalptui.feed.recording import BadLine, Recorder, ReplayFeed, iter_recording, read_header
from scalptui.headless import pump
from scalptui.models import AlertKind, Event, Source
from scalptui.runtime import RunOptions, open_demo

SYMBOLS = ("BTC/USDT:USDT", "SOL/USDT:USDT")


async def record_demo(path: Path) -> list[dict[str, Any]]:
    settings = Settings(feed=FeedSettings(symbols=SYMBOLS), demo=True)
    options = RunOptions(demo_scenario="cascade", demo_seed=5, demo_time_scale=10.0)
    feed = await open_demo(settings, options)
    recorder = Recorder(path, exchange=feed.exchange, symbols=feed.symbols, source=feed.source)
    detector = Detector(settings.detector, source=feed.source)
    alerts: list[dict[str, Any]] = []

    def consume(event: Event) -> None:
        recorder.write(event)
        alerts.extend(a.to_record() for a in detector.on_event(event))

    await pump(feed, consume, duration_s=16.0)
    recorder.close()
    return alerts


async def replay_alerts(path: Path, speed: float) -> list[dict[str, Any]]:
    feed = ReplayFeed(path, speed=speed)
    detector = Detector(source=feed.source)
    return [a.to_record() async for e in feed.events() for a in detector.on_event(e)]


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    path = tmp_path_factory.mktemp("rec") / "cascade.jsonl.gz"
    return path, asyncio.run(record_demo(path))


def without_source(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("source", "recorded_source")} for r in records]


def test_recording_is_complete_and_readable(recording: tuple[Path, list[dict[str, Any]]]) -> None:
    path, _ = recording
    header = read_header(path)
    assert header.source is Source.SIMULATED and header.symbols == SYMBOLS
    items = list(iter_recording(path))
    events = [i for i in items if not isinstance(i, BadLine)]
    assert len(events) == len(items)
    kinds = {e.KIND for e in events}
    assert {"trade", "liquidation", "mark", "open_interest", "status", "market", "history"} <= kinds


def test_live_run_saw_the_emergent_cascade(recording: tuple[Path, list[dict[str, Any]]]) -> None:
    _, live = recording
    cascades = [a for a in live if a["kind"] == AlertKind.LIQUIDATION_CASCADE.value]
    assert cascades, f"no cascade among {[a['kind'] for a in live]}"
    assert all(a["side"] == "long" and a["source"] == "simulated" for a in cascades)
    assert all("Real liquidations:" in a["message"] for a in cascades)


def test_replay_gives_the_live_alerts_at_any_speed(
    recording: tuple[Path, list[dict[str, Any]]],
) -> None:
    path, live = recording
    fast = asyncio.run(replay_alerts(path, speed=0))
    paced = asyncio.run(replay_alerts(path, speed=60))
    assert fast == paced
    assert without_source(fast) == without_source(live)
    assert {a["source"] for a in fast} == {"replay"}


def test_cli_replay_prints_the_same_alerts(recording: tuple[Path, list[dict[str, Any]]]) -> None:
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
    # A replay of the simulator says both: it is a replay, and the data was simulated.
    assert {(r["source"], r["recorded_source"]) for r in printed} == {("replay", "simulated")}


def run_alerts_cli(path: Path, speed: str) -> list[dict[str, Any]]:
    args = ["alerts", "--json", "--snapshots", "30", "--replay", str(path), "--speed", speed]
    proc = subprocess.run(
        [sys.executable, "-m", "scalptui", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_snapshots_are_in_event_time(recording: tuple[Path, list[dict[str, Any]]]) -> None:
    path, _ = recording
    fast, paced = run_alerts_cli(path, "0"), run_alerts_cli(path, "40")
    assert fast == paced
    snaps = [r for r in fast if r["type"] == "snapshot"]
    assert {s["symbol"] for s in snaps} == set(SYMBOLS)
    assert all(s["ts"] % 30_000 == 0 for s in snaps)
    btc = [s for s in snaps if s["symbol"] == SYMBOLS[0]]
    assert len(btc) >= 3
    ladder = btc[-1]["ladder"]
    assert ladder and all(b["low"] < b["high"] for b in ladder if not b.get("edge"))
    assert [b["low"] for b in ladder] == sorted(b["low"] for b in ladder)
    assert sum(b["long_usd"] for b in ladder) > 0  # the warm start filled the ladder
