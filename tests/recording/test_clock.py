"""Clock skew between the local machine and the exchange is reported once, then cleared."""

from __future__ import annotations

from scalptui.feed.clock import SKEW_REPORT_MS, SkewMonitor
from scalptui.models import StreamState, TakerSide, Trade


def trade(ts: int) -> Trade:
    return Trade(ts, "binanceusdm", "BTC/USDT:USDT", 100.0, 1.0, TakerSide.BUY)


def test_large_skew_is_reported_once_and_cleared() -> None:
    now = [1_000_000.0]
    mon = SkewMonitor(clock=lambda: now[0])
    exchange_ms = int(now[0] * 1000) - SKEW_REPORT_MS - 1_500  # local clock runs 3.5 s ahead
    reports = [mon.observe(trade(exchange_ms + i)) for i in range(10)]
    raised = [r for r in reports if r is not None]
    assert len(raised) == 1
    assert raised[0].state is StreamState.STALE
    assert "+3.5 s" in raised[0].detail
    in_sync = int(now[0] * 1000) - 50
    cleared = [mon.observe(trade(in_sync)) for _ in range(200)]
    assert [c.state for c in cleared if c is not None] == [StreamState.LIVE]


def test_normal_latency_is_not_reported() -> None:
    now = [5_000.0]
    mon = SkewMonitor(clock=lambda: now[0])
    assert all(mon.observe(trade(int(now[0] * 1000) - 250)) is None for _ in range(50))
    assert mon.skew_ms == 250
