"""Recording a simulated run and replaying it, shared by the single- and multi-venue tests.

The live run is ``--demo`` in-process (one simulator, one real ccxt.pro feed per
venue, its clock 10× the wall clock); each event is both recorded and fed to a live
detector made as every mode makes it (``make_detector``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from scalptui.config import FeedSettings, Settings
from scalptui.detector import make_detector
from scalptui.feed.recording import Recorder, ReplayFeed
from scalptui.headless import pump, venues_of
from scalptui.models import Event
from scalptui.runtime import RunOptions, open_demo

Records = list[dict[str, Any]]


async def record_demo(path: Path, feed_settings: FeedSettings, seconds: float = 16.0) -> Records:
    """Record ``seconds`` of the cascade scenario; the alerts the live detector raised."""
    settings = Settings(feed=feed_settings, demo=True)
    options = RunOptions(demo_scenario="cascade", demo_seed=5, demo_time_scale=10.0)
    feed = await open_demo(settings, options)
    recorder = Recorder(path, exchange=feed.exchange, symbols=feed.symbols, source=feed.source)
    detector = make_detector(settings.detector, source=feed.source, exchanges=venues_of(feed))
    alerts: Records = []

    def consume(event: Event) -> None:
        recorder.write(event)
        alerts.extend(a.to_record() for a in detector.on_event(event))

    await pump(feed, consume, duration_s=seconds)
    recorder.close()
    return alerts


async def replay_alerts(path: Path, speed: float) -> Records:
    feed = ReplayFeed(path, speed=speed)
    detector = make_detector(Settings().detector, source=feed.source, exchanges=venues_of(feed))
    return [a.to_record() async for e in feed.events() for a in detector.on_event(e)]


def without_source(records: Records) -> Records:
    return [{k: v for k, v in r.items() if k not in ("source", "recorded_source")} for r in records]


def alerts_cli(path: Path, *options: str, speed: str = "0") -> tuple[Records, str]:
    """``scalptui alerts --json --replay PATH --speed SPEED [options]``: records, stderr."""
    args = ["alerts", "--json", "--replay", str(path), "--speed", speed, *options]
    proc = subprocess.run(
        [sys.executable, "-m", "scalptui", *args], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr
