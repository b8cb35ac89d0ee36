"""Clock skew between the local machine and the exchange is reported once, then cleared."""

from __future__ import annotations

import itertools

from scalptui.feed.clock import REPORT_AGAIN_S, SAMPLE_EVERY_S, SKEW_REPORT_MS, SkewMonitor
from scalptui.models import StreamState, TakerSide, Trade


def trade(ts: int) -> Trade:
    return Trade(ts, "binanceusdm", "BTC/USDT:USDT", 100.0, 1.0, TakerSide.BUY)


class Clock:
    """Local time that moves one sampling period per reading."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def step(self) -> int:
        self.now += SAMPLE_EVERY_S
        return int(self.now * 1000)


def test_large_skew_is_reported_once_and_cleared() -> None:
    clock = Clock(1_000_000.0)
    mon = SkewMonitor(clock=clock)
    ahead = SKEW_REPORT_MS + 1_500  # the local clock runs 3.5 s ahead
    reports = [mon.observe(trade(clock.step() - ahead)) for _ in range(10)]
    raised = [r for r in reports if r is not None]
    assert len(raised) == 1
    assert raised[0].state is StreamState.STALE
    assert "+3.5 s" in raised[0].detail
    cleared = [mon.observe(trade(clock.step() - 50)) for _ in range(200)]
    assert [c.state for c in cleared if c is not None] == [StreamState.LIVE]


def test_normal_latency_is_not_reported() -> None:
    clock = Clock(5_000.0)
    mon = SkewMonitor(clock=clock)
    assert all(mon.observe(trade(clock.step() - 250)) is None for _ in range(50))
    assert mon.skew_ms == 250


def test_a_burst_is_sampled_once_per_period() -> None:
    clock = Clock(5_000.0)
    mon = SkewMonitor(clock=clock)
    for _ in range(4):
        ts = clock.step()
        for _ in range(100):  # a busy stream: many trades within one period
            mon.observe(trade(ts - 250))
    assert len(mon._samples) == 4


def test_a_reported_skew_that_keeps_moving_is_said_again_not_frozen() -> None:
    """A venue clock running away (a simulator at 20×) read "−94.8 s off" for hours."""
    clock = Clock(1_000_000.0)
    mon = SkewMonitor(clock=clock)
    said = []
    for i in range(2000):
        behind = 5_000 + i * 20_000  # the exchange runs 20 s further ahead per sample
        report = mon.observe(trade(clock.step() + behind))
        if report is not None:
            said.append(report.detail)
    assert len(said) > 3  # said again as it grows, not once
    assert said[0].startswith("local clock is −") and said[-1].endswith(" off the exchange's")
    assert " h " in said[-1]  # hours read as hours: "−10 h 59 min", not "−39540.0 s"
    steady = [mon.observe(trade(clock.step() + 40_005_000)) for _ in range(300)]
    assert sum(r is not None for r in steady) <= 2  # a steady skew is not repeated


def test_a_growing_skew_is_said_at_most_once_a_minute() -> None:
    """Against a simulator at 5× the gap grows by the second: stderr got 25 clock notes in
    a minute. It is said again as it moves, but at most once every REPORT_AGAIN_S."""
    clock = Clock(1_000_000.0)
    mon = SkewMonitor(clock=clock)
    said = []
    for i in range(int(300 / SAMPLE_EVERY_S)):  # five minutes of local time
        behind = 3_000 + int(i * SAMPLE_EVERY_S * 4_000)  # 4 s more each second
        report = mon.observe(trade(clock.step() + behind))
        if report is not None:
            said.append(clock.now)
    assert 3 <= len(said) <= 1 + 300 / REPORT_AGAIN_S
    assert all(b - a >= REPORT_AGAIN_S for a, b in itertools.pairwise(said))
