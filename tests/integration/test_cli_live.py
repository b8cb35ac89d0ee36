"""The CLI against `scalptui sim` served in its own process, as a user would run it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scalptui", "sim", "--port", str(port), "--scenario", "calm"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scalptui", *args], capture_output=True, text=True, timeout=90
    )


def test_unknown_symbol_is_one_line_and_exit_2(sim_url: str) -> None:
    proc = run("alerts", "--base-url", sim_url, "--symbols", "NOPE", "--duration", "20")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown symbol 'NOPE/USDT:USDT'" in lines[0]


def test_a_mistyped_symbol_on_a_venue_gets_a_suggestion(sim_url: str) -> None:
    """``PEPEUSDT`` is read as PEPE/USDT:USDT, which the venue lists as 1000PEPE."""
    proc = run("alerts", "--base-url", sim_url, "--symbols", "PEPEUSDT", "--duration", "20")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith("; did you mean 1000PEPE/USDT:USDT?"), lines


def six_seconds_of_btc(sim_url: str, *options: str) -> tuple[list[Any], list[Any]]:
    """Every JSON record of a 6 s `alerts --snapshots 1` run on BTC, and its snapshots."""
    proc = run(
        "alerts", "--json", *options, "--base-url", sim_url, "--symbols", "BTC",
        "--duration", "6", "--snapshots", "1",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    snaps = [r for r in records if r["type"] == "snapshot"]
    assert len(snaps) >= 3
    return records, snaps


def test_calm_market_streams_snapshots_and_no_cascade(sim_url: str) -> None:
    records, snaps = six_seconds_of_btc(sim_url)
    # The simulator says what it is, so data reached through --base-url is labelled too.
    assert all(r["source"] == "simulated" and r["symbol"] == "BTC/USDT:USDT" for r in snaps)
    kinds = {r["kind"] for r in records if r["type"] == "alert"}
    assert not kinds & {"LIQUIDATION_CASCADE", "SHORT_SQUEEZE"}


@pytest.mark.parametrize("venue", ["bybit", "okx"])
def test_bybit_and_okx_on_the_same_simulator(sim_url: str, venue: str) -> None:
    """`scalptui sim` speaks Bybit v5 and OKX v5 too, on the same port."""
    _, snaps = six_seconds_of_btc(sim_url, "--exchange", venue)
    assert all(r["exchange"] == venue and r["source"] == "simulated" for r in snaps)
    last = snaps[-1]
    assert 80_000 < last["mark"] < 120_000
    assert last["funding_rate"] is not None and last["funding_interval_h"] == 8.0
    assert 60_000 < last["open_interest"] < 100_000  # base units (OKX: contracts x ctVal)


def test_unreachable_endpoint_names_it() -> None:
    port = free_port()
    proc = run("alerts", "--base-url", f"http://127.0.0.1:{port}", "--duration", "30")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "unreachable" in lines[0]
