"""Record the simulated exchange through the real pipeline, then replay it.

The recording is made once per module: unmodified ccxt.pro against the loopback
simulated exchange (cascade scenario, its clock running 10× faster than the wall
clock), each event both written and fed to a live detector. Replays must then
give exactly the live alerts, at any speed, in-process and through the CLI.
"""

from __future__ import annotations

import asyncio
import gzip
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scalptui.config import FeedSettings, Settings
from scalptui.detector import make_detector
from scalptui.feed.recording import (
    BadLine,
    RecordingError,
    ReplayFeed,
    iter_recording,
    read_header,
)
from scalptui.headless import venues_of
from scalptui.models import AlertKind, Event, FeedStatus, MarketInfo, Source, StreamState
from scalptui.runtime import check_replayable

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


def test_symbols_pick_among_the_recordings_and_options_that_pick_a_market_are_refused(
    recording: tuple[Path, list[dict[str, Any]]],
) -> None:
    path, live = recording
    sol, _ = alerts_cli(path, "--snapshots", "30", "--symbols", "SOL")
    assert sol and {r["symbol"] for r in sol} == {"SOL/USDT:USDT"}
    live_sol = [a for a in live if a["symbol"] == "SOL/USDT:USDT"]
    assert without_source([r for r in sol if r["type"] == "alert"]) == without_source(live_sol)
    for extra, needle in (
        (("--symbols", "DOGE"), "DOGE/USDT:USDT is not in the recording"),
        (("--exchange", "okx"), "--exchange does not apply to --replay"),
        (("--demo",), "--demo does not apply to --replay"),
        (("--seed", "3"), "--seed does not apply to --replay"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "scalptui", "alerts", "--replay", str(path), *extra],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2 and needle in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    # The TUI checks the same before it takes the terminal.
    tui = subprocess.run(
        [sys.executable, "-m", "scalptui", "--replay", str(path), "--symbols", "DOGE"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tui.returncode == 2 and "DOGE/USDT:USDT is not in the recording" in tui.stderr


async def _replay_removing(path: Path, symbol: str) -> tuple[list[Event], list[dict[str, Any]]]:
    """Replay ``path``, taking ``symbol`` off after 2000 events and back after 6000."""
    feed = ReplayFeed(path, speed=0)
    detector = make_detector(Settings().detector, source=feed.source, exchanges=venues_of(feed))
    seen: list[Event] = []
    alerts: list[dict[str, Any]] = []
    async for event in feed.events():
        seen.append(event)
        alerts += [a.to_record() for a in detector.on_event(event)]
        if len(seen) == 2000:
            await feed.remove_symbol(symbol)
        elif len(seen) == 6000:
            await feed.add_symbol(symbol)
    return seen, alerts


def test_taking_a_symbol_off_a_replay_closes_it_and_a_re_add_starts_it_afresh(
    recording: tuple[Path, list[dict[str, Any]]],
) -> None:
    """``x`` then ``/`` in a replay used to skip the symbol's events and then feed the
    old state the events after the gap as one series: a false OI_FLUSH ("no liquidation
    printed") and a distorted ladder."""
    path, _ = recording
    btc = SYMBOLS[0]
    seen, alerts = asyncio.run(_replay_removing(path, btc))
    closed = [
        i
        for i, e in enumerate(seen)
        if isinstance(e, FeedStatus) and e.symbol == btc and e.state is StreamState.CLOSED
    ]
    assert closed and closed[0] == 2000  # said at once, before the next event
    assert not any(
        getattr(e, "symbol", None) == btc for e in seen[2001:6000] if not isinstance(e, FeedStatus)
    )
    markets = [i for i, e in enumerate(seen) if isinstance(e, MarketInfo) and e.symbol == btc]
    assert markets[-1] == 6000  # the re-added symbol's facts come first
    late = [a for a in alerts if a["symbol"] == btc and a["ts"] >= seen[6001].ts]
    assert not any(a["kind"] == AlertKind.OI_FLUSH.value for a in late), late


def test_a_recording_with_no_readable_event_is_refused_before_the_screen(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"format": "scalptui-recording", "version": 1, "exchange": "binanceusdm",'
        ' "symbols": ["BTC/USDT:USDT"], "source": "live", "started": 1}\n{"kind": "trade"}\n\n'
    )
    with pytest.raises(RecordingError, match=r"holds no events \(2 unreadable lines\)"):
        check_replayable(bad)


def test_a_damaged_line_of_a_replay_is_said_once_on_stderr(
    recording: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """Headless, a skipped line is one status line, not that line and a log warning too."""
    path, _ = recording
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        lines = fh.read().splitlines()
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("\n".join([*lines[:20], '{"kind": "trade"}', *lines[20:]]) + "\n")
    _, err = alerts_cli(damaged)
    said = [line for line in err.splitlines() if "line 21 skipped" in line]
    assert len(said) == 1, err
