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
