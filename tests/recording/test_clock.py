"""Clock skew between the local machine and the exchange is reported once, then cleared."""

from __future__ import annotations

from scalptui.feed.clock import SAMPLE_EVERY_S, SKEW_REPORT_MS, SkewMonitor
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
