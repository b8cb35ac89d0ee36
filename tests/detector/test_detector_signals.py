"""Signal building blocks: print windows and runs, the decision, funding and OI watches."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scalptui.detector import Detector
from scalptui.detector.params import ALT_DEFAULTS, MAJOR_DEFAULTS
from scalptui.detector.signals import (
    EVIDENCE_CHAIN,
    EVIDENCE_NOTIONAL,
    ChainEvidence,
    FundingWatch,
    OiWatch,
    PrintWindow,
    decide,
    notional_threshold,
)
from scalptui.models import Alert, AlertKind, Liquidation, MarkPrice, Side

TH = MAJOR_DEFAULTS


def test_print_window_sums_expire_and_rate() -> None:
    w = PrintWindow(60.0, 10.0, 3.0)
    for s in range(5):
        w.add(1_000_000 + s * 1000, 100.0)
    assert (w.count, w.usd) == (5, 500.0)
    assert w.rate() == pytest.approx(50.0)  # $500 in the 10 s rate window
    w.expire(1_000_000 + 12_000)
    assert w.rate_usd == pytest.approx(200.0)  # prints at 3 s and 4 s are still inside
    assert w.count == 5
    w.expire(1_000_000 + 70_000)
    assert (w.count, w.usd, w.rate_usd) == (0, 0.0, 0.0)


def test_run_counts_seconds_with_prints_and_tolerates_short_gaps() -> None:
    w = PrintWindow(60.0, 10.0, 3.0)
    for sec in (0, 1, 1, 2, 5, 9):  # two prints in second 1 count once; gap of 2 s tolerated
        w.add(sec * 1000 + 100, 1.0)
    assert w.run_seconds == 5
    w.add(14_100, 1.0)  # 4 silent seconds: a new run starts
    assert w.run_seconds == 1
    w.expire(19_000)  # and it ends once the gap is exceeded
    assert w.run_seconds == 0


def _evidence(**changes: object) -> ChainEvidence:
    base = ChainEvidence(
        side=Side.LONG,
        notional_usd=3_000_000.0,
        prints=10,
        dominance=0.9,
        span_s=30.0,
        run_s=10,
        move_pct=-1.0,
        move_sigmas=5.0,
        sigma_1s=1e-4,
        flow_share=0.8,
        flow_ratio=5.0,
        clusters=3,
        baseline_usd=100_000.0,
        threshold_usd=2_000_000.0,
        lower_bound=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_decide_requires_prints_dominance_and_displacement() -> None:
    assert decide(_evidence(), TH) == EVIDENCE_NOTIONAL
    assert decide(_evidence(prints=2), TH) is None
    assert decide(_evidence(dominance=0.6), TH) is None
    assert decide(_evidence(move_sigmas=2.9), TH) is None
    assert decide(_evidence(prints=0, notional_usd=0.0), TH) is None


def test_chain_path_only_on_sampled_venues_and_only_with_run_plus_burst_or_clusters() -> None:
    low = _evidence(notional_usd=100_000.0)
    assert decide(low, TH) == EVIDENCE_CHAIN
    assert decide(replace(low, lower_bound=False), TH) is None
    assert decide(replace(low, run_s=4), TH) is None
    assert decide(replace(low, flow_ratio=1.0, clusters=0), TH) is None
    assert decide(replace(low, flow_ratio=1.0, clusters=2), TH) == EVIDENCE_CHAIN
    assert decide(replace(low, clusters=0), TH) == EVIDENCE_CHAIN


def test_notional_threshold_uses_the_floor_alone_without_an_hour_of_baseline() -> None:
    assert notional_threshold(TH, None, sampled=True) == 500_000.0
    assert notional_threshold(TH, None, sampled=False) == 2_000_000.0
    assert notional_threshold(TH, 1_000_000.0, sampled=True) == 5_000_000.0
    assert notional_threshold(ALT_DEFAULTS, 1_000.0, sampled=True) == 60_000.0


def test_funding_watch_needs_consecutive_readings_and_rearms_only_after_normal() -> None:
    watch = FundingWatch()
    fired = [watch.reading(i * 1000, r, TH) for i, r in enumerate([6e-4, 6e-4, -7e-4, -7e-4])]
    assert fired == [False, False, False, False]  # a sign flip restarts the streak
    assert watch.reading(5_000, -7e-4, TH) is True
    assert watch.reading(6_000, -7e-4, TH) is False  # still extreme: no repeat
    watch.reading(400_000, 1e-4, TH)  # back to normal re-arms
    assert [watch.reading(401_000 + i, -7e-4, TH) for i in range(3)] == [False, False, True]


def test_funding_extreme_negative_names_the_crowded_short_side_and_normalises() -> None:
    det = Detector()
    alerts = []
    for i in range(4):  # −0.04 % per 4 h = −0.08 % per 8 h
        mark = MarkPrice(i * 1000, "binanceusdm", "SOL/USDT:USDT", 150.0, 150.0, -0.0004, None, 4.0)
        alerts += det.on_event(mark)
    (alert,) = alerts
    assert alert.kind is AlertKind.FUNDING_EXTREME and alert.side is Side.SHORT
    assert alert.facts["funding_8h"] == pytest.approx(-0.0008)
    assert "short side crowded" in alert.message and "per 4 h" in alert.message


def test_oi_watch_fires_on_a_drop_from_the_recent_high_then_measures_afresh() -> None:
    watch = OiWatch()
    assert watch.reading(0, 100.0, TH) is None
    assert watch.reading(60_000, 98.0, TH) is None
    flush = watch.reading(120_000, 96.9, TH)
    assert flush is not None and flush[0] == pytest.approx(3.1) and flush[1] == 0
    assert watch.reading(130_000, 93.0, TH) is None  # cooldown
    assert watch.reading(700_000, 100.0, TH) is None
    assert watch.reading(1_300_000, 90.0, TH) is None  # the old high left the window


def _falling_chain(venue: str, prints: int, usd: float, sampled: bool) -> list[Alert]:
    det = Detector()
    price = 100_000.0
    out: list[Alert] = []
    for s in range(prints):
        ts = 1_000_000 + s * 1000
        price *= 0.999
        out += det.on_event(MarkPrice(ts, venue, "BTC/USDT:USDT", price, price))
        liq = Liquidation(
            ts + 1, venue, "BTC/USDT:USDT", Side.LONG, price, usd / price, usd, sampled
        )
        out += det.on_event(liq)
    for s in range(prints, prints + 3):  # the heartbeat carries the once-a-second test
        out += det.on_event(MarkPrice(1_000_000 + s * 1000, venue, "BTC/USDT:USDT", price, price))
    return [a for a in out if a.kind is AlertKind.LIQUIDATION_CASCADE]


def test_complete_stream_uses_the_full_floor_and_says_so() -> None:
    """Bybit sends every print: no lower bound, and the $2M major floor applies."""
    assert _falling_chain("bybit", 15, 100_000.0, sampled=False) == []  # $1.5M < $2M
    (sampled,) = _falling_chain("binanceusdm", 15, 100_000.0, sampled=True)  # ≥ $500k
    assert "≥ $" in sampled.message and "Binance samples: lower bound" in sampled.message
    (alert,) = _falling_chain("bybit", 25, 100_000.0, sampled=False)
    assert alert.exchange == "bybit" and alert.facts["lower_bound"] is False
    assert float(alert.facts["notional_usd"]) >= 2_000_000.0
    assert "Bybit stream: complete" in alert.message and "≥" not in alert.message
