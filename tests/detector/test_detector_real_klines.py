"""Real Binance klines: forced prints along the real path are reported, price and flow alone never.

The klines of ``tests/fixtures/detector`` (see its README for origin and how a
kline becomes events) are the 2025-02-02/03 crash (FIL, NEAR, AVAX, ALGO fell
7 % at 22:40 UTC, then 18–23 % between 01:37 and 02:07 on 10–16× volume) and the
calm 2025-02-10 to 02-20.

* With the liquidations the real path would force (``with_modelled_liquidations``:
  leveraged positions opened along the path, closed where it crosses their
  levels), the detector reports the long cascade inside the crash, and every
  cascade or squeeze it raises sits in a real fall or rise of the price.
* Without any print, the same markets raise nothing, although price displacement
  and the taker-flow burst reach their thresholds together in some minutes: the
  requirement of real liquidation prints is what keeps the detector quiet.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _detector_klines import drive, klines, with_modelled_liquidations

from scalptui.detector import Detector
from scalptui.models import Alert, AlertKind, Event, Side

SYMBOLS = ("FILUSDT", "NEARUSDT", "AVAXUSDT", "ALGOUSDT")
PERIODS = ("crash-2025-02-03", "calm-2025-02-10")
CRASH = "crash-2025-02-03"
CHAIN_KINDS = {AlertKind.LIQUIDATION_CASCADE, AlertKind.SHORT_SQUEEZE, AlertKind.CASCADE_EXHAUSTED}
LOOKBACK_MIN = 15
MOVE = 0.03
"""A cascade (squeeze) is raised at least 3 % below (above) the extreme close of the
15 minutes before it: the modelled prints follow the path, so must the alerts."""


def _unified(raw: str) -> str:
    return f"{raw.removesuffix('USDT')}/USDT:USDT"


def _alerts(minutes: Iterator[list[Event]]) -> list[Alert]:
    det = Detector()
    alerts: list[Alert] = []
    for minute in minutes:
        for evt in minute:
            alerts.extend(det.on_event(evt))
    return alerts


def _move_before(closes: dict[int, float], opens: list[int], ts: int) -> tuple[float, float]:
    """(fall from the highest, rise from the lowest) close of the minutes before ``ts``."""
    minute = ts // 60_000 * 60_000
    i = opens.index(minute)
    before = [closes[m] for m in opens[max(0, i - LOOKBACK_MIN) : i + 1]]
    now = closes[minute]
    return 1 - now / max(before), now / min(before) - 1


@pytest.mark.parametrize("raw", SYMBOLS)
def test_the_crash_with_modelled_liquidations_is_reported_where_price_falls(raw: str) -> None:
    name = f"{raw}-{CRASH}.csv.gz"
    rows = list(klines(name))
    opens = [row[0] for row in rows]
    closes = {row[0]: row[4] for row in rows}
    alerts = _alerts(with_modelled_liquidations(_unified(raw), name))

    cascades = [a for a in alerts if a.kind is AlertKind.LIQUIDATION_CASCADE]
    squeezes = [a for a in alerts if a.kind is AlertKind.SHORT_SQUEEZE]
    assert cascades, "the crash forced longs out and nothing was reported"
    assert all(a.side is Side.LONG for a in cascades)
    assert all(a.side is Side.SHORT for a in squeezes)
    for cascade in cascades:
        fall, _ = _move_before(closes, opens, cascade.ts)
        assert fall >= MOVE, f"cascade at {cascade.ts} while price fell only {fall:.1%}"
    for squeeze in squeezes:
        _, rise = _move_before(closes, opens, squeeze.ts)
        assert rise >= MOVE, f"squeeze at {squeeze.ts} while price rose only {rise:.1%}"
    # The steepest 30 minutes of the crash hold a cascade.
    start = min(range(len(rows) - 30), key=lambda i: rows[i + 30][4] / rows[i][1])
    assert any(opens[start] <= a.ts < opens[start + 30] + 60_000 for a in cascades)


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("raw", SYMBOLS)
def test_real_price_and_volume_alone_raise_no_cascade(raw: str, period: str) -> None:
    alerts, measured = drive(_unified(raw), f"{raw}-{period}.csv.gz")
    assert [a for a in alerts if a.kind in CHAIN_KINDS] == []
    # The components saw the market: silence comes from the missing prints, not blindness.
    assert measured.minutes_both >= 1
    assert measured.minutes_moving_3_sigma >= measured.minutes_both
    assert measured.minutes_flow_burst >= measured.minutes_both
    assert measured.max_sigma_1s > 3 * measured.min_sigma_1s
