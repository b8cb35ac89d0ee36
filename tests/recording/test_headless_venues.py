"""Headless text lines name the venues on a run on several, and nothing changes on one."""

from __future__ import annotations

from scalptui.headless import format_alert_text
from scalptui.models import Alert, AlertKind, Side, Source

ALERT = Alert(
    ts=1_764_075_642_000,
    exchange="binanceusdm+bybit",
    symbol="BTC/USDT:USDT",
    kind=AlertKind.LIQUIDATION_CASCADE,
    side=Side.LONG,
    message="BTC/USDT:USDT LIQUIDATION_CASCADE — Real liquidations: …",
    source=Source.SIMULATED,
)


def test_one_venue_keeps_todays_line() -> None:
    assert format_alert_text(ALERT) == (
        "2025-11-25T13:00:42Z [SIMULATED] BTC/USDT:USDT LIQUIDATION_CASCADE — Real liquidations: …"
    )


def test_several_venues_name_the_venues_the_alert_counts() -> None:
    line = format_alert_text(ALERT, show_exchange=True)
    assert line == (
        "2025-11-25T13:00:42Z [SIMULATED] binanceusdm+bybit: "
        "BTC/USDT:USDT LIQUIDATION_CASCADE — Real liquidations: …"
    )


def test_a_stream_state_line_says_when() -> None:
    """At ``--speed 0``, or in a log read later, nothing said when a stream went down."""
    from scalptui.headless import format_status
    from scalptui.models import FeedStatus, StreamState

    status = FeedStatus(
        1_796_121_807_452, "bybit", "BTC/USDT:USDT", "trades", StreamState.RECONNECTING,
        "connection lost",
    )  # fmt: skip
    assert format_status(status) == (
        "scalptui: 2026-12-01T10:43:27Z bybit BTC/USDT:USDT trades: reconnecting (connection lost)"
    )
