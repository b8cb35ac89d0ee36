"""Signal building blocks: print windows and runs, the decision, funding and OI watches."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scalptui.detector import Detector
from scalptui.detector.params import ALT_DEFAULTS, MAJOR_DEFAULTS
from scalptui.detector.signals import (
    EVIDENCE_BURST,
    EVIDENCE_NOTIONAL,
    EVIDENCE_SATURATION,
    ChainEvidence,
    FundingWatch,
    OiWatch,
    PrintWindow,
    decide,
    notional_threshold,
)
from scalptui.models import (
    Alert,
    AlertKind,
    Bar,
    History,
    Liquidation,
    MarkPrice,
    Side,
    TakerSide,
    Trade,
)

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


def test_a_late_print_takes_its_place_and_expires_on_time() -> None:
    w = PrintWindow(60.0, 10.0, 3.0)
    w.add(10_000, 100.0)
    w.add(50_000, 200.0)
    w.add(20_000, 40.0)  # late: older than the newest print
    assert [ts for ts, _ in w.prints] == [10_000, 20_000, 50_000]
    assert w.first_ts() == 10_000 and (w.count, w.usd) == (3, 340.0)
    w.expire(75_000)  # the 10 s print leaves; the late 20 s one is now the oldest
    assert w.first_ts() == 20_000 and (w.count, w.usd) == (2, 240.0)
    w.expire(85_000)  # and it leaves on time, with its notional
    assert [ts for ts, _ in w.prints] == [50_000]
    assert (w.count, w.usd, w.first_ts()) == (1, 200.0, 50_000)
    w.expire(111_000)
    assert (w.count, w.usd, w.rate_usd) == (0, 0.0, 0.0)


def test_a_late_print_in_the_rate_window() -> None:
    w = PrintWindow(60.0, 10.0, 3.0)
    w.add(100_000, 100.0)
    w.add(104_000, 100.0)
    w.add(101_000, 50.0)  # late
    w.expire(110_500)  # rate window (100.5 s, 110.5 s]: the 101 s and 104 s prints
    assert w.rate_usd == 150.0 and w.rate() == 15.0
    w.expire(111_500)
    assert w.rate_usd == 100.0
    assert w.usd == 250.0


def test_run_counts_seconds_with_prints_and_tolerates_short_gaps() -> None:
    w = PrintWindow(60.0, 10.0, 3.0)
    for sec in (0, 1, 1, 2, 5, 9):  # two prints in second 1 count once; gap of 2 s tolerated
        w.add(sec * 1000 + 100, 1.0)
    assert w.run_seconds == 5
    w.add(14_100, 1.0)  # 4 silent seconds: a new run starts
    assert w.run_seconds == 1
    w.expire(19_000)  # and it ends once the gap is exceeded
    assert w.run_seconds == 0


def test_saturation_counts_print_seconds_of_the_current_run_within_the_window() -> None:
    w = PrintWindow(60.0, 10.0, 3.0)
    for sec in (0, 1, 2, 4, 5, 6, 7, 8, 8):  # a 1 s gap tolerated, second 8 counted once
        w.add(100_000 + sec * 1000 + 100, 1.0)
    assert w.saturation(109_000) == (8, 9)  # 8 of the 9 seconds 100 s … 108 s
    assert w.saturation(111_500) == (8, 11)  # two quiet seconds since: still the run
    assert w.saturation(113_000) == (0, 0)  # more than 3 s of silence: the run is over
    w.add(113_100, 1.0)  # 4 silent seconds (109–112): a new run
    assert w.saturation(114_000) == (1, 1)


def test_a_chain_begins_after_30_s_of_silence_and_leaves_the_older_one_out() -> None:
    w = PrintWindow(60.0, 10.0, 3.0, chain_gap_s=30.0)
    w.add(100_000, 500.0)
    w.add(101_000, 100.0)
    w.add(125_000, 50.0)  # 23 s of silence: the same chain
    assert w.chain_start == 100_000 and w.chain() == (650.0, 3, 500.0)
    w.add(157_000, 20.0)  # 31 s of silence: a new chain, the old prints still in W
    w.add(158_000, 30.0)
    assert w.count == 5 and w.chain_start == 157_000
    assert w.chain() == (50.0, 2, 30.0)
    assert w.usd_since(125_000) == 100.0


def test_a_complete_stream_ends_a_chain_on_30_s_of_silence_to_the_millisecond() -> None:
    """A sampled print stands for its second's last close, so a sampled stream counts
    silence in whole seconds; a complete stream's prints are the closes themselves."""
    sampled = PrintWindow(60.0, 10.0, 3.0, chain_gap_s=30.0)
    complete = PrintWindow(60.0, 10.0, 3.0, chain_gap_s=30.0)
    for w, is_sampled in ((sampled, True), (complete, False)):
        w.add(100_000, 10.0, is_sampled)
        w.add(110_000, 10.0, is_sampled)
        w.add(140_000, 10.0, is_sampled)  # exactly 30 s later: the same chain
        w.add(170_400, 10.0, is_sampled)  # 30.4 s later: 29 whole silent seconds
    assert sampled.chain_start == 100_000
    assert complete.chain_start == 170_400 and complete.chain() == (10.0, 1, 10.0)
    complete.add(170_100, 5.0, False)  # a late print never starts a chain
    assert complete.chain_start == 170_400


def _evidence(**changes: object) -> ChainEvidence:
    base = ChainEvidence(
        side=Side.LONG,
        notional_usd=3_000_000.0,
        prints=10,
        dominance=0.9,
        span_s=30.0,
        run_s=10,
        busy_s=12,
        run_span_s=14,
        notional_ex_largest_usd=2_500_000.0,
        move_pct=-1.0,
        chain_move_pct=-1.0,
        move_sigmas=5.0,
        sigma_1s=1e-4,
        flow_share=0.8,
        flow_ratio=5.0,
        clusters=3,
        ordinary_range_pct=0.5,
        baseline_usd=100_000.0,
        threshold_usd=2_000_000.0,
        lower_bound=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_decide_requires_prints_dominance_displacement_and_a_move_beyond_the_usual() -> None:
    assert decide(_evidence(), TH) == EVIDENCE_NOTIONAL
    assert decide(_evidence(prints=2), TH) is None
    assert decide(_evidence(dominance=0.6), TH) is None
    assert decide(_evidence(move_sigmas=2.9), TH) is None
    assert decide(_evidence(prints=0, notional_usd=0.0), TH) is None
    # −0.4 % against an ordinary 5-minute range of 0.5 %: an ordinary move, whatever σ says
    assert decide(_evidence(move_pct=-0.4, move_sigmas=8.0), TH) is None
    assert decide(_evidence(ordinary_range_pct=None), TH) == EVIDENCE_NOTIONAL


def test_the_notional_path_leaves_the_largest_print_out() -> None:
    whale = _evidence(notional_usd=6_100_000.0, notional_ex_largest_usd=100_000.0, busy_s=3)
    assert decide(whale, TH) is None  # one $6M close and two small ones: no chain
    assert decide(replace(whale, lower_bound=False), TH) is None


def test_saturation_undercuts_the_floor_only_on_sampled_venues_with_taker_flow() -> None:
    low = _evidence(notional_usd=40_000.0, notional_ex_largest_usd=30_000.0)
    assert decide(low, TH) == EVIDENCE_SATURATION
    assert decide(replace(low, lower_bound=False), TH) is None  # complete: notional says all
    assert decide(replace(low, busy_s=9), TH) is None  # not yet 10 seconds of prints
    assert decide(replace(low, run_span_s=14, busy_s=10), TH) is None  # 71 % < 75 %
    assert decide(replace(low, move_sigmas=3.9), TH) is None
    # after a crash σ of the hour is the crash's own: 3.2 × the ordinary range is enough
    assert decide(replace(low, move_sigmas=3.9, move_pct=-1.6), TH) == EVIDENCE_SATURATION
    assert decide(replace(low, flow_share=0.55), TH) is None


def test_a_burst_needs_its_own_move_far_beyond_the_ordinary_range() -> None:
    burst = _evidence(
        notional_usd=40_000.0,
        notional_ex_largest_usd=30_000.0,
        busy_s=4,
        run_span_s=4,
        move_pct=-3.0,
        chain_move_pct=-3.0,
    )
    assert decide(burst, TH) == EVIDENCE_BURST  # 6 × the 0.5 % range in 4 saturated seconds
    # the window's move is an older chain's: this one moved price 1 % on its own
    assert decide(replace(burst, chain_move_pct=-1.0), TH) is None
    # FIL 2023-06-10's third leg: 73 % of taker flow forced while price fell 5 × its range
    assert decide(replace(burst, flow_share=0.73), TH) == EVIDENCE_BURST
    assert decide(replace(burst, flow_share=0.65), TH) is None
    assert decide(replace(burst, ordinary_range_pct=None), TH) is None  # no range: no burst
    assert decide(replace(burst, busy_s=2, run_span_s=2), TH) is None


def test_notional_threshold_uses_the_floor_alone_without_an_hour_of_baseline() -> None:
    assert notional_threshold(TH, None) == 2_000_000.0
    assert notional_threshold(TH, 1_000_000.0) == 5_000_000.0
    assert notional_threshold(ALT_DEFAULTS, 1_000.0) == 250_000.0


MINUTE = 60_000


def test_funding_watch_needs_consecutive_readings_and_rearms_only_after_normal() -> None:
    watch = FundingWatch()
    rates = [6e-4, 6e-4, -7e-4, -7e-4]
    fired = [watch.reading(i * MINUTE, r, TH) for i, r in enumerate(rates)]
    assert fired == [False, False, False, False]  # a sign flip restarts the streak
    assert watch.reading(4 * MINUTE, -7e-4, TH) is True
    assert watch.reading(5 * MINUTE, -7e-4, TH) is False  # still extreme: no repeat
    watch.reading(7 * MINUTE, 1e-4, TH)  # back to normal re-arms
    again = [watch.reading((12 + i) * MINUTE, -7e-4, TH) for i in range(3)]
    assert again == [False, False, True]  # the cooldown (300 s) ran out at minute 9


def test_a_funding_rate_that_flips_extreme_to_extreme_fires_for_the_other_side() -> None:
    """Only a reading back inside the threshold re-armed the watch: a flip straight from
    one extreme to the other (a settlement resets the estimate) was never reported."""
    watch = FundingWatch()
    rates = [1e-3] * 5 + [-1e-3] * 5 + [1e-3] * 3
    fired = [i for i, r in enumerate(rates) if watch.reading(i * MINUTE, r, TH)]
    # +: minute 2; −: minute 7 (no cooldown across sides); + again at minute 12 (5 min on)
    assert fired == [2, 7, 12]


def test_funding_counts_one_reading_per_minute_of_event_time() -> None:
    """Binance's mark arrives every second: 3 readings are 3 minutes, not 3 seconds."""
    watch = FundingWatch()
    fired = [s for s in range(600) if watch.reading(s * 1000 + 900, 6e-4, TH)]
    assert fired == [120]  # the first marks of minutes 0, 1 and 2

    watch = FundingWatch()
    marks = [(s, 6e-4) for s in range(120)]  # minutes 0 and 1 extreme
    marks += [(120, 1e-4)] + [(s, 6e-4) for s in range(121, 180)]  # minute 2 opens normal
    marks += [(s, 6e-4) for s in range(180, 400)]
    fired = [s for s, r in marks if watch.reading(s * 1000, r, TH)]
    assert fired == [300]  # the normal reading reset the run: minutes 3, 4, 5
    # A normal rate later within a minute is no reading and resets nothing.
    watch = FundingWatch()
    marks = [(0, 6e-4), (30, 1e-4), (60, 6e-4), (61, 1e-4), (120, 6e-4)]
    assert [watch.reading(s * 1000, r, TH) for s, r in marks] == [False] * 4 + [True]


def test_funding_reading_bucket_is_a_parameter() -> None:
    every_mark = replace(TH, funding_reading_s=0.0)
    watch = FundingWatch()
    assert [watch.reading(s * 1000, 6e-4, every_mark) for s in range(3)] == [False, False, True]
    half = replace(TH, funding_reading_s=30.0)
    watch = FundingWatch()
    fired = [s for s in range(120) if watch.reading(s * 1000, 6e-4, half)]
    assert fired == [60]


def test_funding_extreme_negative_names_the_crowded_short_side_and_normalises() -> None:
    det = Detector()
    alerts = []
    for i in range(4):  # −0.04 % per 4 h = −0.08 % per 8 h, one reading a minute
        mark = MarkPrice(
            i * MINUTE, "binanceusdm", "SOL/USDT:USDT", 150.0, 150.0, -0.0004, None, 4.0
        )
        alerts += det.on_event(mark)
    (alert,) = alerts
    assert alert.kind is AlertKind.FUNDING_EXTREME and alert.side is Side.SHORT
    assert alert.ts == 2 * MINUTE
    assert alert.facts["funding_8h"] == -0.0008
    assert alert.facts["apr"] == -0.876  # -0.8760000000000001 came out in the JSON
    assert alert.facts["readings"] == 3 and alert.facts["reading_s"] == 60.0
    assert "short side crowded" in alert.message and "per 4 h" in alert.message
    assert "on 3 consecutive 1 min readings" in alert.message


def test_binance_marks_fire_funding_extreme_three_minutes_in_not_three_seconds() -> None:
    det = Detector()
    fired = []
    for s in range(400):
        rate = 0.0001 if s < 30 else 0.0009  # crosses at 30 s
        mark = MarkPrice(s * 1000 + 900, "binanceusdm", "BTC/USDT:USDT", 1e5, 1e5, rate)
        fired += [s for a in det.on_event(mark) if a.kind is AlertKind.FUNDING_EXTREME]
    assert fired == [180]  # readings at minutes 1, 2, 3 (minute 0's was normal)


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
    """Bybit sends every print: its sums are totals (no "≥"); the $2M major floor applies
    to what the prints add up to without the largest, on every venue."""
    assert _falling_chain("bybit", 15, 100_000.0, sampled=False) == []  # $1.4M < $2M
    (alert,) = _falling_chain("bybit", 25, 100_000.0, sampled=False)
    assert alert.exchange == "bybit" and alert.facts["lower_bound"] is False
    ex_largest = alert.facts["notional_ex_largest_usd"]
    assert isinstance(ex_largest, float) and ex_largest >= 2_000_000.0
    assert alert.facts["evidence"] == "notional"
    assert "Bybit stream: every print so far" in alert.message and "≥" not in alert.message


@pytest.mark.parametrize(("venue", "name"), [("binanceusdm", "Binance"), ("okx", "OKX")])
def test_sampled_venues_print_lower_bounds_and_need_more_than_prints(venue: str, name: str) -> None:
    """Binance and OKX sample (≤ 1 print a second): sums read "≥", and fifteen prints
    without taker flow in the forced direction undercut no floor."""
    assert _falling_chain(venue, 15, 100_000.0, sampled=True) == []
    (alert,) = _falling_chain(venue, 25, 100_000.0, sampled=True)
    assert "≥ $" in alert.message and f"{name} samples: lower bound" in alert.message
    assert alert.facts["lower_bound"] is True


def test_the_warm_start_candles_give_the_taker_flow_its_mean_from_the_first_second() -> None:
    """An hour of 5-minute candles (10 BTC each at $100k, 40 % taker sells): $80k of taker
    selling per 60 s is ordinary, so $400k sold in the first second is 5 × it — measured
    at once, not after five minutes of 1 s history."""
    base = 1_700_000_000_000
    step = 300_000
    bars = tuple(
        Bar(base + i * step, 100_000.0, 100_100.0, 99_900.0, 100_000.0, 10.0, 6.0)
        for i in range(13)
    )
    det = Detector()
    det.on_event(History(base + 13 * step, "binanceusdm", "BTC/USDT:USDT", bars, ()))
    ts = base + 13 * step
    det.on_event(Trade(ts, "binanceusdm", "BTC/USDT:USDT", 100_000.0, 4.0, TakerSide.SELL))
    evidence = det.measure("BTC/USDT:USDT", Side.LONG)
    assert evidence is not None
    assert evidence.flow_ratio == pytest.approx(5.0)
    cold = Detector()
    cold.on_event(Trade(ts, "binanceusdm", "BTC/USDT:USDT", 100_000.0, 4.0, TakerSide.SELL))
    measured = cold.measure("BTC/USDT:USDT", Side.LONG)
    assert measured is not None and measured.flow_ratio == 0.0  # no candles: no mean yet
