"""The ladder-accuracy harness (benchmarks/bench_ladder.py) on small, checkable cases.

The benchmark itself is slow and its numbers are measurements; here its pieces
are held to exact numbers: the truth export, the scorer's maths, the classic
peer, and one short run through the real pipeline that must yield finite scores
for both ladders (not that either wins).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchmarks import bench_ladder
from benchmarks._ladder_score import (
    ClassicLadder,
    SideScore,
    emd_pct,
    normalised,
    overlap,
    score_side,
    view_of_snapshot,
)
from scalptui.detector.params import DetectorParams
from scalptui.feed.sim.market import MarketModel

BTC = "BTC/USDT:USDT"
START = bench_ladder.START_MS


# --------------------------------------------------------------------------- truth


def test_truth_samples_every_minute_and_bins_every_open_lot() -> None:
    model = MarketModel([BTC], seed=1, scenario="crowd_short", start_ms=START)
    model.truth_every_ms = 60_000
    model.advance(START + 120_000)
    assert [s.ts for s in model.truth] == [START + 60_000, START + 120_000]
    market = model.market(BTC)
    latest = model.truth[-1].on_grid([0.0, market.mark, 10 * market.mark])
    longs = math.fsum(lot.qty * lot.entry for lot in market.lots if lot.long)
    shorts = math.fsum(lot.qty * lot.entry for lot in market.lots if not lot.long)
    # open longs liquidate below the mark, open shorts above it
    assert latest.long_usd == pytest.approx((longs, 0.0))
    assert latest.short_usd == pytest.approx((0.0, shorts))
    assert latest.long_outside_usd == 0.0 and latest.short_outside_usd == 0.0


# --------------------------------------------------------------------------- scorer


def test_overlap_and_emd_on_hand_made_distributions() -> None:
    half_left, half_right = normalised([2, 2, 0]), normalised([0, 5, 5])
    assert half_left is not None and half_right is not None
    assert overlap(half_left, half_right) == pytest.approx(0.5)
    # cumulative difference [0.5, 0.5, 0] × 10 wide bins = 10 price units = 1 % of 1 000
    assert emd_pct(half_left, half_right, 10.0, 1_000.0) == pytest.approx(1.0)
    first, last = normalised([1, 0, 0]), normalised([0, 0, 3])
    assert first is not None and last is not None
    assert overlap(first, last) == 0.0
    assert emd_pct(first, last, 10.0, 1_000.0) == pytest.approx(2.0)  # moved two bins
    assert overlap(first, first) == 1.0 and emd_pct(first, first, 10.0, 1_000.0) == 0.0
    assert normalised([0, 0]) is None and normalised([]) is None


def test_score_side_conventions() -> None:
    assert score_side([1, 2], [0, 0], 10.0, 1_000.0) is None  # no truth: nothing to score
    empty = score_side([0, 0, 0, 0], [0, 1, 0, 0], 10.0, 1_000.0)
    assert empty is not None and empty.empty
    assert empty.overlap == 0.0 and empty.emd_pct == pytest.approx(4.0)  # the view's width
    scored = score_side([3, 1], [1, 1], 10.0, 1_000.0)
    assert scored is not None and not scored.empty
    assert scored.overlap == pytest.approx(0.75) and scored.emd_pct == pytest.approx(0.25)


def test_view_keeps_the_rows_within_the_span_around_the_mark() -> None:
    rows = [{"low": 0.0, "high": 9_500.0, "long_usd": 7.0, "short_usd": 0.0, "edge": True}]
    rows += [
        {"low": 100.0 * k, "high": 100.0 * (k + 1), "long_usd": float(k), "short_usd": 1.0}
        for k in range(95, 106)
    ]
    view = view_of_snapshot({"mark": 10_000.0, "price": 9_990.0, "ladder": rows}, 3.0)
    assert view is not None
    # bins 97 (9 700 = 10 000 × 0.97) … 103 (10 300 = 10 000 × 1.03), edge row left out
    assert view.edges == tuple(100.0 * k for k in range(97, 105))
    assert view.long_usd == tuple(float(k) for k in range(97, 104))
    assert view.width == 100.0
    assert view_of_snapshot({"mark": None, "price": None, "ladder": rows}, 3.0) is None
    assert view_of_snapshot({"mark": 10_000.0, "ladder": []}, 3.0) is None


# --------------------------------------------------------------------------- classic peer


def test_classic_ladder_on_a_hand_made_tape() -> None:
    classic = ClassicLadder()
    classic.on_trade(100.0, 4.0, taker_buy=True)  # $400: $100 at 99, 98, 96, 90
    classic.on_trade(100.0, 2.0, taker_buy=False)  # $200: $50 at 101, 102, 104, 110
    longs, shorts = classic.levels()
    assert sorted(p for p, _ in longs) == pytest.approx([90.0, 96.0, 98.0, 99.0])
    assert [usd for _, usd in longs] == [100.0] * 4
    assert sorted(p for p, _ in shorts) == pytest.approx([101.0, 102.0, 104.0, 110.0])
    assert [usd for _, usd in shorts] == [50.0] * 4
    classic.on_trade(98.5, 0.0, taker_buy=False)  # nothing traded: ignored
    classic.on_trade(98.5, 1.0, taker_buy=True)  # trades through 99; adds $24.625 × 4
    longs, _ = classic.levels()
    assert sorted(p for p, _ in longs) == pytest.approx(
        [88.65, 90.0, 94.56, 96.0, 96.53, 97.515, 98.0]
    )
    classic.on_trade(104.0, 1.0, taker_buy=True)  # a print at 104 takes 101, 102 and 104
    _, shorts = classic.levels()
    assert sorted(p for p, _ in shorts) == pytest.approx([110.0])
    # longs now: 88.65, 90, 94.56, 96, 96.53, 97.515, 98 and 104's 93.6, 99.84, 101.92, 102.96
    grid_longs, grid_shorts = classic.on_grid([88.0, 95.0, 100.0, 111.0])
    assert grid_longs == pytest.approx((175.25, 275.25, 52.0))
    assert grid_shorts == (0.0, 0.0, 50.0)


def _row(scenario: str, seed: int, overlap_est: float) -> bench_ladder.Scored:
    est = SideScore(overlap_est, 0.3, False)
    return bench_ladder.Scored(
        scenario, seed, 1, "long", est, SideScore(0.4, 0.4, False), 1.0, 1.0, 1, 1, 0.1, 0.1
    )


def test_held_out_seeds_are_tabulated_apart_from_the_tuning_seeds() -> None:
    rows = [_row("chop", 1, 0.7), _row("chop", 2, 0.8), _row("chop", 3, 0.2)]
    sets = bench_ladder.seed_sets(rows, 2)
    assert [(title, [r.seed for r in part]) for title, part in sets] == [
        ("**Tuning seeds 1–2**", [1, 2]),
        ("**Held-out seeds 3**", [3]),
    ]
    held_out = bench_ladder.summaries(sets[1][1], ["crowd_long", "chop"])
    assert [(s.label, s.est_overlap) for s in held_out] == [("chop", 0.2), ("**all**", 0.2)]


# --------------------------------------------------------------------------- end to end


async def test_a_short_run_scores_both_ladders_every_minute(tmp_path: Path) -> None:
    scored = await bench_ladder.run_one(
        "crowd_long", 1, minutes=2, time_scale=20.0, span_pct=3.0, record=tmp_path
    )
    assert {r.minute for r in scored} == {1, 2}
    for row in scored:
        for score in (row.est, row.classic):
            assert 0.0 <= score.overlap <= 1.0 + 1e-9
            assert math.isfinite(score.emd_pct) and score.emd_pct >= 0.0
        assert row.truth_usd > 0.0
    table = bench_ladder.summaries(scored, ["crowd_long"])
    assert [s.label for s in table] == ["crowd_long", "**all**"]
    assert all(math.isfinite(s.est_overlap) and math.isfinite(s.classic_emd) for s in table)

    # the recorded stream, replayed without the simulator, scores exactly as the live run
    assert bench_ladder.replay_one(tmp_path, "crowd_long", 1, span_pct=3.0) == scored
    given = bench_ladder.replay_one(tmp_path, "crowd_long", 1, span_pct=3.0, given_mix=True)
    assert [(r.minute, r.side) for r in given] == [(r.minute, r.side) for r in scored]
    assert [r.classic for r in given] == [r.classic for r in scored]
    assert [r.est for r in given] != [r.est for r in scored]  # another mix, another ladder


def test_given_mix_from_a_leverage_keeps_the_default_below_it_at_the_true_share() -> None:
    default = DetectorParams().ladder.leverage_mix
    whole = bench_ladder._true_mix("chop", 1, default, 0.0)["leverage_mix"]
    part = bench_ladder._true_mix("chop", 1, default, 30.0)["leverage_mix"]
    assert math.isclose(sum(b.share for b in part), 1.0)
    assert [b for b in part if b.leverage >= 30.0] == [b for b in whole if b.leverage >= 30.0]
    below = [b for b in part if b.leverage < 30.0]
    assert [b.leverage for b in below] == [b.leverage for b in default if b.leverage < 30.0]
    true_below = sum(b.share for b in whole if b.leverage < 30.0)
    assert math.isclose(sum(b.share for b in below), true_below)
