"""Real Binance klines (no liquidations in them) must never raise a cascade or squeeze.

The klines of ``tests/fixtures/detector`` (see its README for origin and how a
kline becomes events) are the 2025-02-03 crash (FIL, NEAR, AVAX, ALGO fell
17–20 % around 01:00 UTC on 10–16× volume) and the calm 2025-02-10 to 02-20.
The components are measured once a minute and compared with the values
recorded in ``klines_measured.json``: they show that price displacement and
the taker-flow burst *do* react to these markets — during the crash and a few
dozen minutes of the calm ten days both reach their thresholds together — and
that only the requirement of real liquidation prints keeps the detector quiet.
Regenerate the record with ``python tests/detector/test_detector_real_klines.py``
after a deliberate change to the measures.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from _detector_klines import EXCHANGE, FIXTURES, Measured, drive, kline_events, klines

from scalptui.detector import Detector
from scalptui.models import Alert, AlertKind, Liquidation, Side

RECORD = FIXTURES / "klines_measured.json"
SYMBOLS = ("FILUSDT", "NEARUSDT", "AVAXUSDT", "ALGOUSDT")
PERIODS = ("crash-2025-02-03", "calm-2025-02-10")
CHAIN_KINDS = {AlertKind.LIQUIDATION_CASCADE, AlertKind.SHORT_SQUEEZE, AlertKind.CASCADE_EXHAUSTED}


def _unified(raw: str) -> str:
    return f"{raw.removesuffix('USDT')}/USDT:USDT"


def _run(raw: str, period: str) -> tuple[list[Alert], Measured]:
    return drive(_unified(raw), f"{raw}-{period}.csv.gz")


@pytest.fixture(scope="module")
def recorded() -> dict[str, dict[str, float]]:
    data: dict[str, dict[str, float]] = json.loads(RECORD.read_text())
    return data


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("raw", SYMBOLS)
def test_real_price_and_volume_alone_raise_no_cascade(
    raw: str, period: str, recorded: dict[str, dict[str, float]]
) -> None:
    alerts, measured = _run(raw, period)
    assert [a for a in alerts if a.kind in CHAIN_KINDS] == []
    expected = recorded[f"{raw} {period}"]
    for key, value in asdict(measured).items():
        assert value == pytest.approx(expected[key], rel=1e-6), key
    if period.startswith("crash"):
        # The components saw the crash: silence comes from the missing prints, not blindness.
        assert measured.minutes_moving_3_sigma >= 1
        assert measured.minutes_flow_burst >= 1
        assert measured.max_sigma_1s > 3 * measured.min_sigma_1s


def test_the_same_crash_with_sampled_long_prints_is_reported() -> None:
    """Control: add one long print a second through the steepest crash minute."""
    raw, period = "FILUSDT", "crash-2025-02-03"
    symbol = _unified(raw)
    steepest = min(klines(f"{raw}-{period}.csv.gz"), key=lambda k: k[4] / k[1])[0]
    det = Detector()
    alerts: list[Alert] = []
    for minute in kline_events(symbol, f"{raw}-{period}.csv.gz"):
        for evt in minute:
            alerts.extend(det.on_event(evt))
            if minute[0].ts == steepest and evt.KIND == "trade" and evt.ts % 15_000 == 1:
                for second in range(15):
                    ts = evt.ts + second * 1_000 + 500
                    price = getattr(evt, "price", 0.0)
                    liq = Liquidation(ts, EXCHANGE, symbol, Side.LONG, price, 5_000.0, 0.0, True)
                    alerts.extend(det.on_event(liq))
    cascades = [a for a in alerts if a.kind is AlertKind.LIQUIDATION_CASCADE]
    assert len(cascades) == 1
    assert cascades[0].ts // 60_000 * 60_000 == steepest


def _record() -> None:
    out = {}
    for raw in SYMBOLS:
        for period in PERIODS:
            _, measured = _run(raw, period)
            out[f"{raw} {period}"] = asdict(measured)
    Path(RECORD).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    _record()
