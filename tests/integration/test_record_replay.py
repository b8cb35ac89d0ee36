"""Record the simulated exchange through the real pipeline, then replay it.

The recording is made once per module: unmodified ccxt.pro against the loopback
simulated exchange (cascade scenario, its clock running 10× faster than the wall
clock), each event both written and fed to a live detector. Replays must then
give exactly the live alerts, at any speed, in-process and through the CLI.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from scalptui.config import FeedSettings
from scalptui.feed.recording import BadLine, iter_recording, read_header
from scalptui.models import AlertKind, Source

from ._replay import alerts_cli, record_demo, replay_alerts, without_source

SYMBOLS = ("BTC/USDT:USDT", "SOL/USDT:USDT")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    path = tmp_path_factory.mktemp("rec") / "cascade.jsonl.gz"
    return path, asyncio.run(record_demo(path, FeedSettings(symbols=SYMBOLS)))


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
    printed, _ = alerts_cli(path)
    assert without_source(printed) == without_source(live)
    # A replay of the simulator says both: it is a replay, and the data was simulated.
    assert {(r["source"], r["recorded_source"]) for r in printed} == {("replay", "simulated")}


def run_alerts_cli(path: Path, speed: str) -> list[dict[str, Any]]:
    return alerts_cli(path, "--snapshots", "30", speed=speed)[0]


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
