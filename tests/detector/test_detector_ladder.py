"""The liquidation ladder: exact projections, attribution, consumption, removal, invariants."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalptui.detector import Detector, DetectorParams, LadderParams
from scalptui.detector.ladder import (
    KERNEL_STEPS,
    Ladder,
    bin_width_for,
    entry_mode,
    fold_leverage_mix,
    leverage_kernel,
    long_liquidation_price,
    short_liquidation_price,
    triangular_cdf,
)
from scalptui.detector.params import DEFAULT_LEVERAGE_MIX, LeverageShare
from scalptui.models import (
    Bar,
    FeedStatus,
    History,
    Liquidation,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    Side,
    StreamState,
    TakerSide,
    Trade,
)

SYMBOL = "BTC/USDT:USDT"
EX = "binanceusdm"
SPIKES = LadderParams(leverage_spread=0.0, position_lifetime_s=0.0, turnover_share=0.0)
"""No kernel, no turnover: each rise lands at exact leverages, so the numbers are exact."""


# --------------------------------------------------------------------------- exact numbers


@pytest.mark.parametrize(
    ("leverage", "side", "expected"),
    [
        (10.0, Side.LONG, 90_361.4),
        (100.0, Side.LONG, 99_397.6),
        (10.0, Side.SHORT, 109_561.8),
        (100.0, Side.SHORT, 100_597.6),
    ],
)
def test_projection_matches_the_design_numbers(
    leverage: float, side: Side, expected: float
) -> None:
    project = long_liquidation_price if side is Side.LONG else short_liquidation_price
    assert round(project(100_000.0, leverage, 0.004), 1) == expected


def test_leverages_above_the_market_maximum_fold_into_it() -> None:
    folded = fold_leverage_mix(DEFAULT_LEVERAGE_MIX, 20.0)
    assert [(b.leverage, round(b.share, 6)) for b in folded] == [
        (5.0, 0.15),
        (10.0, 0.30),
        (20.0, 0.55),
    ]
    assert math.isclose(sum(b.share for b in folded), 1.0)


def test_mix_is_renormalised_and_unusable_buckets_dropped() -> None:
    folded = fold_leverage_mix((LeverageShare(1.0, 0.5), LeverageShare(10.0, 2.0)), None)
    assert folded == (LeverageShare(10.0, 1.0),)
    assert fold_leverage_mix((LeverageShare(0.5, 1.0),), None) == ()


@pytest.mark.parametrize(
    ("price", "tick", "width"),
    [(100_000.0, 0.1, 100.0), (150.0, 0.01, 0.15), (0.2345, 0.0001, 0.0002), (3.7, None, 0.0037)],
)
def test_bin_width_is_a_tick_multiple_near_the_configured_share(
    price: float, tick: float | None, width: float
) -> None:
    assert bin_width_for(price, 0.001, tick) == pytest.approx(width)


def test_new_exposure_lands_at_each_leverage_level_split_by_taker_share() -> None:
    ladder = Ladder(100.0, (LeverageShare(10.0, 0.5), LeverageShare(100.0, 0.5)), 0.004)
    ladder.add(100_000.0, 1_000_000.0, long_share=0.7)
    assert ladder.long_bins == {903: 350_000.0, 993: 350_000.0}
    assert ladder.short_bins == {1095: 150_000.0, 1005: 150_000.0}
    assert ladder.long_top == 993 and ladder.short_bottom == 1005


def test_consumption_removes_crossed_levels_nearest_first() -> None:
    ladder = Ladder(100.0, (LeverageShare(10.0, 0.5), LeverageShare(100.0, 0.5)), 0.004)
    ladder.add(100_000.0, 1_000_000.0, long_share=0.5)
    hits = ladder.consume(99_350.0)
    assert [(h.side, h.index, h.usd) for h in hits] == [(Side.LONG, 993, 250_000.0)]
    assert hits[0].share_of_side == pytest.approx(0.5)
    assert ladder.consume(99_400.0) == []  # nothing left above the mark on the long side
    hits = ladder.consume(110_000.0)
    assert [(h.side, h.index) for h in hits] == [(Side.SHORT, 1005), (Side.SHORT, 1095)]
    assert ladder.consumed == pytest.approx(750_000.0)


def test_removal_is_pro_rata_to_bin_notional() -> None:
    ladder = Ladder(100.0, (LeverageShare(10.0, 0.25), LeverageShare(100.0, 0.75)), 0.004)
    ladder.add(100_000.0, 400_000.0, long_share=1.0)
    ladder.remove(200_000.0, 0.0)
    assert ladder.long_bins == {903: pytest.approx(50_000.0), 993: pytest.approx(150_000.0)}
    ladder.remove(1e12, 0.0)
    assert ladder.long_bins == {} and ladder.long_top is None
    assert ladder.removed == pytest.approx(400_000.0)


def test_pruning_drops_far_bins_and_counts_them() -> None:
    ladder = Ladder(100.0, (LeverageShare(5.0, 1.0),), 0.004)
    ladder.add(100_000.0, 100_000.0, long_share=0.5)  # levels ≈ 20 % away
    ladder.prune(100_000.0, 0.10)
    assert ladder.held() == 0.0 and ladder.pruned == pytest.approx(100_000.0)


# --------------------------------------------------------------------------- through the detector


def _trade(ts: int, price: float, amount: float, side: TakerSide) -> Trade:
    return Trade(ts, EX, SYMBOL, price, amount, side)


def test_open_interest_rise_is_spread_over_the_interval_range_split_by_taker_share() -> None:
    params = DetectorParams(ladder=replace(SPIKES, leverage_mix=(LeverageShare(10.0, 1.0),)))
    det = Detector(params)
    det.on_event(MarketInfo(0, EX, SYMBOL, tick_size=0.1, max_leverage=125.0))
    det.on_event(OpenInterest(1_000, EX, SYMBOL, 1_000.0))
    det.on_event(_trade(2_000, 99_000.0, 3.0, TakerSide.BUY))
    det.on_event(_trade(3_000, 101_000.0, 1.0, TakerSide.SELL))
    det.on_event(OpenInterest(4_000, EX, SYMBOL, 1_010.0))  # +10 BTC at VWAP 99 500
    ladder = det.snapshot(SYMBOL).ladder
    vwap = 99_500.0
    longs = [b for b in ladder if b.long_usd > 0 and not b.edge]
    shorts = [b for b in ladder if b.short_usd > 0 and not b.edge]
    # The levels cover the traded range 99 000–101 000 projected through 10×.
    assert longs[0].low <= long_liquidation_price(99_000.0, 10.0, 0.004) < longs[0].high
    assert longs[-1].low <= long_liquidation_price(101_000.0, 10.0, 0.004) < longs[-1].high
    assert shorts[0].low <= short_liquidation_price(99_000.0, 10.0, 0.004) < shorts[0].high
    assert shorts[-1].low <= short_liquidation_price(101_000.0, 10.0, 0.004) < shorts[-1].high
    assert sum(b.long_usd for b in longs) == pytest.approx(10 * vwap * 0.75)
    assert sum(b.short_usd for b in shorts) == pytest.approx(10 * vwap * 0.25)


def test_a_rise_without_a_range_enters_at_one_price() -> None:
    params = DetectorParams(ladder=replace(SPIKES, leverage_mix=(LeverageShare(10.0, 1.0),)))
    det = Detector(params)
    det.on_event(OpenInterest(1_000, EX, SYMBOL, 1_000.0))
    det.on_event(_trade(2_000, 99_500.0, 3.0, TakerSide.BUY))
    det.on_event(_trade(3_000, 99_500.0, 1.0, TakerSide.SELL))
    det.on_event(OpenInterest(4_000, EX, SYMBOL, 1_010.0))
    longs = [b for b in det.snapshot(SYMBOL).ladder if b.long_usd > 0 and not b.edge]
    assert len(longs) == 1
    assert longs[0].low <= long_liquidation_price(99_500.0, 10.0, 0.004) < longs[0].high
    assert longs[0].long_usd == pytest.approx(10 * 99_500.0 * 0.75)


def test_open_interest_fall_removes_longs_by_taker_sell_share() -> None:
    params = DetectorParams(ladder=replace(SPIKES, leverage_mix=(LeverageShare(10.0, 1.0),)))
    det = Detector(params)
    det.on_event(OpenInterest(1_000, EX, SYMBOL, 1_000.0))
    det.on_event(_trade(2_000, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(3_000, EX, SYMBOL, 1_010.0))  # +10: all long
    det.on_event(_trade(4_000, 100_000.0, 3.0, TakerSide.SELL))
    det.on_event(_trade(4_500, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(5_000, EX, SYMBOL, 1_006.0))  # −4 of 1 010 closed
    snap = det.snapshot(SYMBOL)
    # The ladder loses the closed fraction of open interest, tilted by the 75 % sell share.
    expected_loss = 1_000_000.0 * (4 / 1_010) * 2 * 0.75
    assert sum(b.long_usd for b in snap.ladder) == pytest.approx(1_000_000.0 - expected_loss)


def _ten_million_tracked() -> Detector:
    """One 10× leverage; +100 BTC of open interest at $100k over balanced flow: $10M held."""
    params = DetectorParams(ladder=replace(SPIKES, leverage_mix=(LeverageShare(10.0, 1.0),)))
    det = Detector(params)
    det.on_event(OpenInterest(1_000, EX, SYMBOL, 80_000.0))
    det.on_event(_trade(2_000, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(_trade(2_100, 100_000.0, 1.0, TakerSide.SELL))
    det.on_event(OpenInterest(3_000, EX, SYMBOL, 80_100.0))
    return det


def test_open_interest_flush_thins_the_ladder_but_does_not_empty_it() -> None:
    det = _ten_million_tracked()
    det.on_event(_trade(4_000, 100_000.0, 1.0, TakerSide.SELL))
    det.on_event(_trade(4_100, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(5_000, EX, SYMBOL, 77_697.0))  # a 3 % flush, balanced flow
    held = sum(b.long_usd + b.short_usd for b in det.snapshot(SYMBOL).ladder)
    assert held == pytest.approx(10_000_000.0 * (1 - 2_403 / 80_100))


def test_an_open_interest_of_zero_is_a_glitch_not_a_flush() -> None:
    """One 0 from a venue was a −100 % OI_FLUSH, the ladder emptied and then refilled with
    the whole open interest as new positions at one price."""
    det = _ten_million_tracked()
    held = sum(b.long_usd + b.short_usd for b in det.snapshot(SYMBOL).ladder)
    assert det.on_event(OpenInterest(5_000, EX, SYMBOL, 0.0)) == []
    assert det.on_event(OpenInterest(7_000, EX, SYMBOL, 80_100.0)) == []
    assert sum(b.long_usd + b.short_usd for b in det.snapshot(SYMBOL).ladder) == held


def test_mark_crossing_consumes_and_flags_the_hit() -> None:
    params = DetectorParams(ladder=replace(SPIKES, leverage_mix=(LeverageShare(100.0, 1.0),)))
    det = Detector(params)
    det.on_event(OpenInterest(1_000, EX, SYMBOL, 1_000.0))
    det.on_event(_trade(2_000, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(3_000, EX, SYMBOL, 1_010.0))
    det.on_event(MarkPrice(4_000, EX, SYMBOL, 99_300.0))
    snap = det.snapshot(SYMBOL, span_pct=3.0)
    assert sum(b.long_usd for b in snap.ladder) == 0.0
    assert sum(b.hit_long_usd for b in snap.ladder) == pytest.approx(1_000_000.0)
    det.on_event(MarkPrice(20_000, EX, SYMBOL, 99_300.0))  # past the 10 s flash
    assert sum(b.hit_long_usd for b in det.snapshot(SYMBOL).ladder) == 0.0


def test_a_mark_on_the_second_is_consumed_before_that_seconds_checks() -> None:
    """Bybit's ticker brings the mark on the second: the levels it crossed are hits by
    the time that second's checks weigh the evidence, not a second after they decided."""
    params = DetectorParams(ladder=replace(SPIKES, leverage_mix=(LeverageShare(100.0, 1.0),)))
    seen: list[tuple[int, int]] = []

    class Watching(Detector):
        def _timed_checks(self, st: Any) -> list[Any]:
            seen.append((st.clock, len(st.hits)))
            return super()._timed_checks(st)

    det = Watching(params)
    det.on_event(OpenInterest(1_000, EX, SYMBOL, 1_000.0))
    det.on_event(_trade(2_000, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(3_000, EX, SYMBOL, 1_010.0))
    det.on_event(MarkPrice(4_000, EX, SYMBOL, 99_300.0))  # a new second, past the levels
    assert seen[-1] == (4_000, 1)


def _history(start: int, step: int = 300_000) -> History:
    bars = tuple(
        Bar(start + i * step, 100_000.0, 100_100.0, 99_900.0, 100_000.0, 100.0, 60.0)
        for i in range(13)
    )
    ois = tuple(OpenInterest(start + i * step, EX, SYMBOL, 1_000.0 + 10.0 * i) for i in range(13))
    return History(start + 13 * step, EX, SYMBOL, bars, ois)


def _held(det: Detector) -> float:
    return sum(b.long_usd + b.short_usd for b in det.snapshot(SYMBOL, span_pct=None).ladder)


@pytest.mark.parametrize("away_ms", [5_000, 2 * 3_600_000])
def test_a_symbol_added_back_starts_afresh_from_its_history(away_ms: int) -> None:
    """Taken off the watchlist (its streams CLOSED), then added back: the feed sends the
    market's facts and history again. The ladder is the one a fresh start would build,
    not the old one plus the history's crowd a second time."""
    base = 1_700_000_000_000
    det = Detector()
    det.on_event(MarketInfo(base, EX, SYMBOL, tick_size=0.1))
    det.on_event(_history(base))
    now = base + 13 * 300_000
    for k in range(60):
        det.on_event(_trade(now + k * 1000, 100_000.0, 0.5, TakerSide.BUY))
    before = det.snapshot(SYMBOL, span_pct=None)
    for stream in ("trades", "liquidations", "mark", "open_interest"):
        det.on_event(FeedStatus(now + 60_000, EX, SYMBOL, stream, StreamState.CLOSED))
    assert det.snapshot(SYMBOL, span_pct=None).ladder == before.ladder  # shown as it stood
    back = now + 60_000 + away_ms
    det.on_event(MarketInfo(back, EX, SYMBOL, tick_size=0.1))
    det.on_event(_history(back - 13 * 300_000))
    fresh = Detector()
    fresh.on_event(MarketInfo(back, EX, SYMBOL, tick_size=0.1))
    fresh.on_event(_history(back - 13 * 300_000))
    assert _held(fresh) > 0
    assert _held(det) == pytest.approx(_held(fresh), rel=1e-9)
    assert det.snapshot(SYMBOL).change_1m_pct is None  # no minute of its own since


def test_the_open_interest_change_across_a_removal_gap_is_put_nowhere() -> None:
    """Without a warm start, the first sample after the symbol is added back is a new
    baseline: two hours' rise in open interest is not attributed to today's price."""
    t = 1_700_000_000_000
    det = Detector()
    for k in range(120):
        det.on_event(_trade(t + k * 1000, 100_000.0, 0.1, TakerSide.BUY))
        if k % 10 == 0:
            det.on_event(OpenInterest(t + k * 1000, EX, SYMBOL, 1_000.0))
    for stream in ("trades", "open_interest"):
        det.on_event(FeedStatus(t + 120_000, EX, SYMBOL, stream, StreamState.CLOSED))
    back = t + 120_000 + 2 * 3_600_000
    for k in range(30):
        det.on_event(_trade(back + k * 1000, 105_000.0, 0.1, TakerSide.BUY))
    det.on_event(OpenInterest(back + 30_000, EX, SYMBOL, 1_200.0))
    det.on_event(_trade(back + 31_000, 105_000.0, 0.1, TakerSide.BUY))
    assert _held(det) == 0.0


def test_warm_start_rebuilds_the_ladder_from_history() -> None:
    base = 1_700_000_000_000
    step = 300_000
    bars = tuple(
        Bar(base + i * step, 100_000.0, 100_100.0, 99_900.0, 100_000.0, 100.0, 60.0)
        for i in range(13)
    )
    ois = tuple(OpenInterest(base + i * step, EX, SYMBOL, 1_000.0 + 10.0 * i) for i in range(13))
    det = Detector(DetectorParams(ladder=SPIKES))
    det.on_event(History(base + 13 * step, EX, SYMBOL, bars, ois))
    snap = det.snapshot(SYMBOL)
    held_long = sum(b.long_usd for b in snap.ladder)
    held_short = sum(b.short_usd for b in snap.ladder)
    # 12 steps × 10 BTC at ≈ $100k, 60 % taker buying; the nearest levels may be consumed.
    assert 0 < held_long <= 12 * 10 * 100_000.0 * 0.6 + 1
    assert 0 < held_short <= 12 * 10 * 100_000.0 * 0.4 + 1
    assert held_long > 0.8 * 12 * 10 * 100_000.0 * 0.6
    assert snap.open_interest is not None and snap.open_interest.amount == 1_120.0
    assert snap.open_interest.value == pytest.approx(1_120.0 * 100_000.0)
    assert snap.open_interest.delta_1h_pct == pytest.approx((1_120.0 / 1_000.0 - 1) * 100)


def test_snapshot_edges_sum_everything_beyond_the_span() -> None:
    det = Detector()
    det.on_event(OpenInterest(1_000, EX, SYMBOL, 1_000.0))
    det.on_event(_trade(2_000, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(3_000, EX, SYMBOL, 1_100.0))
    wide = det.snapshot(SYMBOL)
    narrow = det.snapshot(SYMBOL, span_pct=3.0)
    assert [b.edge for b in narrow.ladder].count(True) == 2
    assert narrow.ladder[0].edge and narrow.ladder[-1].edge
    assert len(narrow.ladder) < len(wide.ladder)
    for field in ("long_usd", "short_usd"):
        assert sum(getattr(b, field) for b in narrow.ladder) == pytest.approx(
            sum(getattr(b, field) for b in wide.ladder)
        )
    assert narrow.ladder[0].long_usd > 0  # 5× and 10× longs sit beyond −3 %
    lows = [b.low for b in narrow.ladder]
    assert lows == sorted(lows)
    inner = narrow.ladder[1:-1]
    assert all(b.high - b.low == pytest.approx(narrow.bin_width) for b in inner)


# --------------------------------------------------------------------------- properties

prices = st.floats(min_value=50_000.0, max_value=150_000.0)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), prices, st.floats(1.0, 1e8), st.floats(0.0, 1.0)),
        st.tuples(st.just("remove"), st.floats(0.0, 1e8), st.floats(0.0, 1e8), st.just(0.0)),
        st.tuples(st.just("consume"), prices, st.just(0.0), st.just(0.0)),
        st.tuples(st.just("prune"), prices, st.floats(0.01, 0.5), st.just(0.0)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_notional_is_conserved_except_by_consumption_removal_and_pruning(
    ops: list[tuple[str, float, float, float]],
) -> None:
    ladder = Ladder(100.0, fold_leverage_mix(DEFAULT_LEVERAGE_MIX, 75.0), 0.004)
    for op, a, b, c in ops:
        if op == "add":
            ladder.add(a, b, c)
        elif op == "remove":
            ladder.remove(a, b)
        elif op == "consume":
            ladder.consume(a)
        else:
            ladder.prune(a, b)
        accounted = ladder.held() + ladder.consumed + ladder.removed + ladder.pruned
        assert accounted == pytest.approx(ladder.added, rel=1e-9, abs=1e-3)
        assert all(v >= 0.0 for v in ladder.long_bins.values())
        assert all(v >= 0.0 for v in ladder.short_bins.values())


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(prices, st.floats(1.0, 1e7), st.floats(0.0, 1.0)), max_size=15),
    prices,
)
def test_after_consumption_no_long_above_and_no_short_below_the_mark(
    adds: list[tuple[float, float, float]], mark: float
) -> None:
    ladder = Ladder(100.0, fold_leverage_mix(DEFAULT_LEVERAGE_MIX, None), 0.004)
    for entry, usd, share in adds:
        ladder.add(entry, usd, share)
    ladder.consume(mark)
    w = ladder.width
    assert all((k + 1) * w <= mark + 1e-6 for k in ladder.long_bins)
    assert all(k * w > mark - 1e-6 for k in ladder.short_bins)
    assert not ladder.crossed(mark)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["trade", "mark", "oi"]),
            st.floats(90_000.0, 110_000.0),
            st.floats(900.0, 1_100.0),
            st.booleans(),
        ),
        max_size=60,
    )
)
def test_detector_ladder_keeps_the_invariants_on_any_event_stream(
    events: list[tuple[str, float, float, bool]],
) -> None:
    det = Detector()
    ts = 1_000
    mark: float | None = None
    for kind, price, amount, buy in events:
        ts += 700
        if kind == "trade":
            det.on_event(_trade(ts, price, 1.0, TakerSide.BUY if buy else TakerSide.SELL))
        elif kind == "mark":
            det.on_event(MarkPrice(ts, EX, SYMBOL, price))
            mark = price
        else:
            det.on_event(OpenInterest(ts, EX, SYMBOL, amount))
    snap = det.snapshot(SYMBOL)
    ladder = det._symbols[SYMBOL].ladder if SYMBOL in det.symbols() else None
    if ladder is not None:
        held = sum(b.long_usd + b.short_usd for b in snap.ladder)
        assert held == pytest.approx(ladder.held(), rel=1e-9, abs=1e-6)
        accounted = held + ladder.consumed + ladder.removed + ladder.pruned
        assert accounted == pytest.approx(ladder.added, rel=1e-9, abs=1e-3)
    if mark is not None:
        inner = [b for b in snap.ladder if not b.edge]
        assert all(b.high <= mark + 1e-6 for b in inner if b.long_usd > 0)
        assert all(b.low > mark - 1e-6 for b in inner if b.short_usd > 0)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(prices, st.floats(1.0, 1e7), st.floats(0.0, 1.0)), max_size=10),
    st.floats(0.5, 5_000.0),
)
def test_rebase_keeps_every_dollar(adds: list[tuple[float, float, float]], width: float) -> None:
    ladder = Ladder(100.0, fold_leverage_mix(DEFAULT_LEVERAGE_MIX, None), 0.004)
    for entry, usd, share in adds:
        ladder.add(entry, usd, share)
    before_long, before_short = ladder.long_total(), ladder.short_total()
    ladder.rebase(width)
    assert ladder.width == width
    assert ladder.long_total() == pytest.approx(before_long)
    assert ladder.short_total() == pytest.approx(before_short)


def test_market_info_sets_tick_rounded_width_folded_leverage_and_mmr() -> None:
    params = DetectorParams(ladder=replace(SPIKES, leverage_mix=(LeverageShare(100.0, 1.0),)))
    det = Detector(params)
    det.on_event(MarketInfo(0, EX, "SOL/USDT:USDT", tick_size=0.01, max_leverage=20.0, mmr=0.01))
    det.on_event(OpenInterest(1_000, EX, "SOL/USDT:USDT", 1_000.0))
    det.on_event(Trade(2_000, EX, "SOL/USDT:USDT", 150.0, 10.0, TakerSide.BUY))
    det.on_event(OpenInterest(3_000, EX, "SOL/USDT:USDT", 1_100.0))
    snap = det.snapshot("SOL/USDT:USDT")
    assert snap.bin_width == pytest.approx(0.15)
    (row,) = [b for b in snap.ladder if b.long_usd > 0 and not b.edge]
    lp = long_liquidation_price(150.0, 20.0, 0.01)  # 100× folded into the 20× maximum
    assert row.low <= lp < row.high
    assert row.long_usd == pytest.approx(100 * 150.0)


def test_warm_start_klines_seed_sigma_until_live_history_exists() -> None:
    base = 1_700_000_000_000
    closes = [100_000.0 * (1.0 + 0.002 * (-1) ** i) for i in range(13)]
    bars = tuple(
        Bar(base + i * 300_000, c, c * 1.001, c * 0.999, c, 100.0, 50.0)
        for i, c in enumerate(closes)
    )
    det = Detector()
    det.on_event(History(base + 13 * 300_000, EX, SYMBOL, bars, ()))
    det.on_event(_trade(base + 13 * 300_000, 100_000.0, 1.0, TakerSide.BUY))
    evidence = det.measure(SYMBOL, Side.LONG)
    assert evidence is not None
    expected = math.sqrt(sum(math.log(b / a) ** 2 for a, b in itertools.pairwise(closes)) / 3600.0)
    assert evidence.sigma_1s == pytest.approx(expected)


# --------------------------------------------------------------------------- spread, not spikes


def test_entries_spread_over_the_range_by_triangular_mass() -> None:
    # 10× at MMR 0: a long's level is 0.9 × its entry. Entries 100 000–100 400 with VWAP
    # 100 200 peak at 100 200; their levels span 90 000–90 360, peaking at 90 180, so the
    # bins of 100 get (100², 360·180 − 100² − 60², …) / (360·180) of the notional.
    ladder = Ladder(100.0, (LeverageShare(10.0, 1.0),), 0.0)
    ladder.add(100_200.0, 648_000.0, 1.0, low=100_000.0, high=100_400.0)
    assert ladder.long_bins == {
        900: pytest.approx(100_000.0),
        901: pytest.approx(292_000.0),
        902: pytest.approx(220_000.0),
        903: pytest.approx(36_000.0),
    }
    assert ladder.long_top == 903 and ladder.short_bins == {}
    assert ladder.added == pytest.approx(648_000.0)


def test_the_entry_peak_keeps_the_vwap_as_the_mean_inside_the_range() -> None:
    assert entry_mode(100_200.0, 100_000.0, 100_400.0) == 100_200.0
    assert entry_mode(100_300.0, 100_000.0, 100_400.0) == 100_500.0 - 100.0
    assert entry_mode(100_390.0, 100_000.0, 100_400.0) == 100_400.0  # clipped to the range
    assert triangular_cdf(100_200.0, 100_000.0, 100_200.0, 100_400.0) == pytest.approx(0.5)
    assert triangular_cdf(99_000.0, 100_000.0, 100_000.0, 100_400.0) == 0.0
    assert triangular_cdf(100_100.0, 100_000.0, 100_000.0, 100_400.0) == pytest.approx(
        1.0 - 0.75**2
    )


def test_a_range_that_makes_no_sense_enters_at_the_vwap() -> None:
    for low, high in ((100_300.0, 100_400.0), (1e-300, 1e300), (float("nan"), 100_400.0)):
        ladder = Ladder(100.0, (LeverageShare(10.0, 1.0),), 0.0)
        ladder.add(100_200.0, 1_000.0, 1.0, low=low, high=high)
        assert ladder.long_bins == {901: 1_000.0}


def test_leverage_kernel_smears_each_mode_log_normally() -> None:
    kernel = leverage_kernel((LeverageShare(50.0, 1.0),), 0.3, None)
    weights = [math.exp(-0.5 * z * z) for z in KERNEL_STEPS]
    assert [b.leverage for b in kernel] == pytest.approx(
        [50.0 * math.exp(0.3 * z) for z in KERNEL_STEPS]
    )
    assert [b.share for b in kernel] == pytest.approx([w / sum(weights) for w in weights])
    assert math.prod(b.leverage**b.share for b in kernel) == pytest.approx(50.0)


def test_leverage_kernel_drops_nodes_above_the_maximum_and_renormalises() -> None:
    mix = (LeverageShare(10.0, 0.5), LeverageShare(50.0, 0.5))
    kernel = leverage_kernel(mix, 0.3, 60.0)
    # 50 × e^0.3 ≈ 67.5 is above 60: the nodes above 50× go, the rest keep the mode's half.
    assert max(b.leverage for b in kernel) == pytest.approx(50.0)
    near_50 = [b for b in kernel if b.leverage > 25.0]
    kept = [math.exp(-0.5 * z * z) for z in KERNEL_STEPS if z <= 0.0]
    assert len(near_50) == len(kept)
    assert sum(b.share for b in near_50) == pytest.approx(0.5)
    assert sum(b.share for b in kernel) == pytest.approx(1.0)


def test_leverage_kernel_without_spread_is_the_folded_mix() -> None:
    assert leverage_kernel(DEFAULT_LEVERAGE_MIX, 0.0, 20.0) == fold_leverage_mix(
        DEFAULT_LEVERAGE_MIX, 20.0
    )


def test_turnover_decays_held_levels_and_reopens_the_traded_amount() -> None:
    lp = LadderParams(
        leverage_mix=(LeverageShare(10.0, 1.0),), leverage_spread=0.0, position_lifetime_s=600.0
    )
    det = Detector(DetectorParams(ladder=lp))
    det.on_event(OpenInterest(1_000, EX, SYMBOL, 1_000.0))
    det.on_event(_trade(1_500, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(2_000, EX, SYMBOL, 1_010.0))  # 1 BTC traded, +10: all long
    det.on_event(_trade(31_000, 105_000.0, 2.0, TakerSide.BUY))
    det.on_event(OpenInterest(62_000, EX, SYMBOL, 1_010.0))  # flat for a minute, 2 BTC traded
    longs = {b.low: b.long_usd for b in det.snapshot(SYMBOL).ladder if b.long_usd > 0}
    old = [usd for low, usd in longs.items() if low < 91_000.0]
    new = [usd for low, usd in longs.items() if low > 94_000.0]
    assert sum(old) == pytest.approx(11.0 * 100_000.0 * math.exp(-60.0 / 600.0))
    assert sum(new) == pytest.approx(2.0 * 105_000.0)


@pytest.mark.parametrize(
    ("forced", "fall", "buy_share", "opened", "removed"),
    [
        (0.0, 8.0, 2 / 12, 4.0, 0.0),  # the trading accounts for the fall
        (8.0, 8.0, 0.5, 4.0, 0.0),
        (0.0, 20.0, 2 / 12, 0.0, 0.008),  # 8 more closed than the 12 traded
        (8.0, 20.0, 0.5, 0.0, 0.0),  # and the venue printed them as forced
    ],
)
def test_a_cascade_interval_opens_what_its_flow_and_fall_allow(
    forced: float, fall: float, buy_share: float, opened: float, removed: float
) -> None:
    # A long cascade's interval: takers sell 10 BTC at 99 000 and buy 2, ``forced`` of the
    # sells the venue's printed forced closes of longs, while open interest falls by
    # ``fall``. Of 12 traded, 12 − fall opened (all 12 once made a wall of new shorts
    # above the price), split by the taker-buy share of the flow that was not forced; a
    # fall beyond the 12 is taken from the ladder (2 × its share of open interest × each
    # side's taker share), less the forced closes (the longs' levels, near 90 361, are not
    # reached, so nothing is consumed).
    lp = LadderParams(
        leverage_mix=(LeverageShare(10.0, 1.0),), leverage_spread=0.0, position_lifetime_s=0.0
    )
    det = Detector(DetectorParams(ladder=lp))
    det.on_event(OpenInterest(1_000, EX, SYMBOL, 1_000.0))
    det.on_event(_trade(1_500, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(2_000, EX, SYMBOL, 1_000.0))
    for i in range(10):
        det.on_event(_trade(2_100 + 10 * i, 99_000.0, 1.0, TakerSide.SELL))
    det.on_event(_trade(2_200, 99_000.0, 2.0, TakerSide.BUY))
    if forced:
        det.on_event(
            Liquidation(2_300, EX, SYMBOL, Side.LONG, 99_000.0, forced, forced * 99_000.0, False)
        )
    det.on_event(OpenInterest(3_000, EX, SYMBOL, 1_000.0 - fall))
    rows = det.snapshot(SYMBOL).ladder
    longs_kept = 1.0 - 2.0 * removed * (1.0 - buy_share)
    shorts_kept = 1.0 - 2.0 * removed * buy_share
    old_longs = sum(b.long_usd for b in rows if b.low > 90_000.0 and b.high < 91_000.0)
    new_longs = sum(b.long_usd for b in rows if b.low > 89_000.0 and b.high < 90_000.0)
    assert sum(b.short_usd for b in rows) == pytest.approx(
        opened * (1.0 - buy_share) * 99_000.0 * shorts_kept
    )
    assert new_longs == pytest.approx(opened * buy_share * 99_000.0 * longs_kept)
    assert old_longs == pytest.approx(100_000.0 * longs_kept)


def test_open_interest_noise_the_trading_accounts_for_leaves_the_ladder_as_it_was() -> None:
    """Open interest a little off the trades, up 5 one sample and down 5 the next, with
    10 traded in each: the ladder holds what steady open interest gives (taken once from
    what opened and again from the levels held, such noise shrank it)."""
    lp = LadderParams(
        leverage_mix=(LeverageShare(10.0, 1.0),), leverage_spread=0.0, position_lifetime_s=0.0
    )

    def held(amplitude: float) -> float:
        det = Detector(DetectorParams(ladder=lp))
        det.on_event(OpenInterest(0, EX, SYMBOL, 1_000.0))
        for i in range(1, 41):
            det.on_event(_trade(i * 1_000 - 600, 100_000.0, 5.0, TakerSide.BUY))
            det.on_event(_trade(i * 1_000 - 500, 100_000.0, 5.0, TakerSide.SELL))
            det.on_event(OpenInterest(i * 1_000, EX, SYMBOL, 1_000.0 + amplitude * (i % 2)))
        return sum(b.long_usd + b.short_usd for b in det.snapshot(SYMBOL).ladder)

    assert held(5.0) == pytest.approx(held(0.0))


def test_warm_start_turnover_lets_old_levels_fade() -> None:
    # A day of five-minute bars: twelve hours at 80 000, then twelve at 100 000, with
    # open interest wobbling ±1 % around 1 000 BTC the whole time. At 10× the levels of
    # entries at 80 000 sit near 72 300 and 88 000, those at 100 000 near 90 400 and 110 000.
    base = 1_700_000_000_000
    step = 300_000
    half = 144
    bars = tuple(
        Bar(base + i * step, p, p * 1.001, p * 0.999, p, 100.0, 50.0)
        for i in range(2 * half)
        for p in [80_000.0 if i < half else 100_000.0]
    )
    ois = tuple(
        OpenInterest(base + i * step, EX, SYMBOL, 1_000.0 * (1.0 + 0.01 * (-1) ** i))
        for i in range(2 * half)
    )
    ten = (LeverageShare(10.0, 1.0),)
    shares = []
    for lifetime in (0.0, 3600.0):
        lp = LadderParams(
            leverage_mix=ten,
            leverage_spread=0.0,
            position_lifetime_s=lifetime,
            turnover_share=1.0 if lifetime else 0.0,
        )
        det = Detector(DetectorParams(ladder=lp))
        det.on_event(History(base + 2 * half * step, EX, SYMBOL, bars, ois))
        rows = [b for b in det.snapshot(SYMBOL).ladder if not b.edge]
        held = sum(b.long_usd + b.short_usd for b in rows)
        old = sum(b.long_usd + b.short_usd for b in rows if b.high < 89_000.0)
        shares.append(old / held)
    # Without turnover the old levels only lose what open-interest falls take (≈ 2 % a
    # fall, 72 falls) and still make a good part of the ladder. With a 1 h life, e^-12 of
    # them survives.
    assert shares[0] > 0.05
    assert shares[1] < 1e-4


def test_a_leverage_cell_widens_a_level_into_a_band() -> None:
    # 10× standing for 9×-11.1× (cell ln(10/9)), MMR 0, entry 100 000: the level spreads
    # over 88 889-91 000 as a triangle peaking at 90 000, so bin 900 (90 000-90 100)
    # holds F(90 100) − F(90 000) = (1 − 900²/(2 111.1·1 000)) − 1 111.1/2 111.1 = 9 %.
    ladder = Ladder(100.0, (LeverageShare(10.0, 1.0),), 0.0, cell=math.log(10.0 / 9.0))
    ladder.add(100_000.0, 1_000.0, 1.0)
    assert min(ladder.long_bins) == 888 and max(ladder.long_bins) == 909
    assert ladder.long_bins[900] == pytest.approx(90.0)
    assert max(ladder.long_bins, key=ladder.long_bins.__getitem__) == 899
    assert sum(ladder.long_bins.values()) == pytest.approx(1_000.0)
    ladder.add(100_000.0, 1_000.0, 0.0)  # shorts: 10× stands for 111 111-109 000
    assert min(ladder.short_bins) == 1090 and max(ladder.short_bins) == 1111


@pytest.mark.parametrize("spread", [1e6, math.inf, math.nan, -1.0])
def test_any_configured_spread_gives_a_usable_kernel(spread: float) -> None:
    kernel = leverage_kernel(DEFAULT_LEVERAGE_MIX, spread, 125.0)
    assert kernel and all(1.0 < b.leverage <= 125.0 for b in kernel)
    assert sum(b.share for b in kernel) == pytest.approx(1.0)
    det = Detector(DetectorParams(ladder=LadderParams(leverage_spread=spread)))
    det.on_event(OpenInterest(1_000, EX, SYMBOL, 1_000.0))
    det.on_event(_trade(2_000, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(3_000, EX, SYMBOL, 1_010.0))
    assert sum(b.long_usd for b in det.snapshot(SYMBOL).ladder) > 0.0


def test_a_band_on_a_grid_far_too_fine_stays_small_and_keeps_its_notional() -> None:
    """A grid made at $0.01 (bins of $0.00001) meets exposure at $50 000: the bands would
    cover billions of bins; each collapses to its most likely bin instead."""
    ladder = Ladder(0.00001, (LeverageShare(1.05, 0.5), LeverageShare(10.0, 0.5)), 0.004, 0.3)
    ladder.add(50_000.0, 1_000_000.0, 0.5, low=49_000.0, high=50_000.0)
    assert len(ladder.long_bins) + len(ladder.short_bins) <= 4
    total = sum(ladder.long_bins.values()) + sum(ladder.short_bins.values())
    assert total == pytest.approx(1_000_000.0)


def test_a_band_on_an_ordinary_grid_is_spread() -> None:
    ladder = Ladder(50.0, (LeverageShare(10.0, 1.0),), 0.004, 0.3)
    ladder.add(50_000.0, 1_000_000.0, 1.0, low=49_500.0, high=50_500.0)
    assert len(ladder.long_bins) > 10
    assert sum(ladder.long_bins.values()) == pytest.approx(1_000_000.0)
