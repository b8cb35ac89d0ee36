"""SIGINT / SIGTERM end the headless modes with status 0, exchange closed, recording flushed."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scalptui.feed.recording import BadLine, iter_recording


def wait_for(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scalptui", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop_with(proc: subprocess.Popen[str], sig: signal.Signals) -> str:
    """Send ``sig`` and return stderr once the process has exited."""
    try:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    return err


def line_count(path: Path) -> int:
    try:
        return len(path.read_bytes().splitlines())
    except FileNotFoundError:
        return 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_record_stops_cleanly_on_signal(tmp_path: Path, sig: signal.Signals) -> None:
    path = tmp_path / "run.jsonl"
    proc = spawn("record", str(path), "--demo", "--symbols", "BTC")
    # Lines reach the disk within a second of being written, before any stop.
    grew = wait_for(lambda: line_count(path) > 30, 45)
    err = stop_with(proc, sig)
    assert grew, "recording did not grow"
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    items = list(iter_recording(path))
    assert items and not [i for i in items if isinstance(i, BadLine)]
    assert f"recorded {len(items)} events" in err


def test_alerts_stop_cleanly_on_sigint() -> None:
    proc = spawn("alerts", "--demo", "--symbols", "ETH")
    assert proc.stderr is not None
    ready, _, _ = select.select([proc.stderr], [], [], 45)
    first = proc.stderr.readline() if ready else ""  # the first stream state line: feed is up
    err = stop_with(proc, signal.SIGINT)
    assert "ETH/USDT:USDT" in first, "no stream came up within 45 s"
    assert proc.returncode == 0
    assert "Traceback" not in err


def catches(pid: int, sig: signal.Signals) -> bool:
    """Whether process ``pid`` has a handler for ``sig`` (Linux: SigCgt in /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (sig - 1) & 1)


def test_sigterm_while_connecting_exits_0() -> None:
    proc = spawn("alerts", "--demo", "--symbols", "BTC")
    # From the moment the CLI handles SIGTERM (its first step), a stop is a clean exit;
    # a moment later the simulator and the feed are still starting.
    assert wait_for(lambda: catches(proc.pid, signal.SIGTERM), 30), "SIGTERM never handled"
    time.sleep(0.3)
    err = stop_with(proc, signal.SIGTERM)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Unclosed" not in err
