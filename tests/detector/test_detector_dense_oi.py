"""Open interest streamed at ticker rate (Bybit: up to ~10 a second) stays cheap and bounded."""

from __future__ import annotations

import pytest
from _detector_market import BTC, T0

from scalptui.detector import Detector, DetectorParams, LadderParams
from scalptui.detector.open_interest import OI_BUCKET_MS, OI_HISTORY_MS
from scalptui.detector.params import MAJOR_DEFAULTS
from scalptui.detector.signals import OiWatch
from scalptui.models import AlertKind, OpenInterest, TakerSide, Trade

VENUE = "bybit"
FLAT_SAMPLES = 72_000  # 2 h at 10 a second
STEP_MS = 100


def test_two_hours_at_ten_a_second_keep_a_bounded_history_and_still_flush() -> None:
    assert T0 % OI_BUCKET_MS == 0
    det = Detector()
    alerts = []
    for i in range(FLAT_SAMPLES):
        alerts += det.on_event(OpenInterest(T0 + i * STEP_MS, VENUE, BTC, 80_000.0))
    t_drop = T0 + (FLAT_SAMPLES - 1) * STEP_MS  # the last sample at the high
    for j in range(1, 3001):  # then 1.3 BTC less every 100 ms for 5 minutes: −4.9 %
        ts = t_drop + j * STEP_MS
        alerts += det.on_event(OpenInterest(ts, VENUE, BTC, 80_000.0 - 1.3 * j))

    state = det._symbols[BTC]
    assert len(state.oi.history) <= OI_HISTORY_MS // OI_BUCKET_MS + 2
    stamps = [ts for ts, _ in state.oi.history]
    assert stamps == sorted(stamps) and stamps[-1] - stamps[0] <= OI_HISTORY_MS
    assert len(state.oi.watch.samples) <= 3001

    # −3 % is first reached at 80 000 − 1.3 × 1847 = 77 598.9 (−3.001375 %), 184.7 s in.
    (flush,) = [a for a in alerts if a.kind is AlertKind.OI_FLUSH]
    assert flush.ts == t_drop + 1847 * STEP_MS
    assert flush.facts["oi_drop_pct"] == 3.001
    assert flush.facts["span_s"] == pytest.approx(184.7)
    assert flush.facts["oi_before"] == pytest.approx(80_000.0)
    assert flush.facts["oi_after"] == pytest.approx(77_598.9)

    oi = det.snapshot(BTC).open_interest
    assert oi is not None and oi.amount == pytest.approx(80_000.0 - 3900.0)
    # 5 min before the last sample is exactly the last sample at the high.
    assert oi.delta_5m_pct == pytest.approx((76_100.0 / 80_000.0 - 1.0) * 100.0)
    assert oi.delta_1h_pct == pytest.approx((76_100.0 / 80_000.0 - 1.0) * 100.0)
    assert len(oi.history) <= 3_600_000 // OI_BUCKET_MS + 2
    assert oi.history[-1] == (t_drop + 3000 * STEP_MS, oi.amount)
    assert oi.history[0][0] >= oi.history[-1][0] - 3_600_000


def test_history_keeps_the_latest_value_of_each_bucket() -> None:
    det = Detector()
    for ts, amount in ((0, 10.0), (4_000, 11.0), (9_999, 12.0), (10_000, 13.0), (25_000, 14.0)):
        det.on_event(OpenInterest(T0 + ts, VENUE, BTC, amount))
    assert list(det._symbols[BTC].oi.history) == [
        (T0 + 9_999, 12.0),
        (T0 + 10_000, 13.0),
        (T0 + 25_000, 14.0),
    ]


def test_oi_watch_high_is_the_window_maximum_and_expires() -> None:
    watch = OiWatch()
    th = MAJOR_DEFAULTS
    for ts, amount in ((0, 100.0), (10_000, 101.0), (20_000, 99.0), (30_000, 100.5)):
        assert watch.reading(ts, amount, th) is None
    assert [a for _, a in watch.samples] == [101.0, 100.5]  # a falling staircase
    # 101 leaves the window at 310 s: 98.1 is only −2.39 % from the 100.5 that remains.
    assert watch.reading(310_001, 98.1, th) is None
    flush = watch.reading(320_000, 97.4, th)
    assert flush is not None and flush[1] == 30_000
    assert flush[0] == pytest.approx((1.0 - 97.4 / 100.5) * 100.0)


def test_the_ladder_takes_the_net_change_at_most_once_a_second() -> None:
    # Without turnover, so that what reaches the ladder is the open-interest change alone.
    det = Detector(DetectorParams(ladder=LadderParams(position_lifetime_s=0.0, turnover_share=0.0)))
    det.on_event(Trade(T0, VENUE, BTC, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(T0 + 1, VENUE, BTC, 100.0))
    for k in range(10):  # ticker jitter within one second: 101, 100, 101, ...
        det.on_event(OpenInterest(T0 + 1_000 + k * 100, VENUE, BTC, 101.0 - k % 2))
    det.on_event(OpenInterest(T0 + 2_000, VENUE, BTC, 101.0))
    ladder = det._symbols[BTC].ladder
    assert ladder is not None
    assert ladder.added == pytest.approx(100_000.0, rel=1e-12)  # +1 BTC at 100 000, once
    assert ladder.removed == 0.0
    assert det.snapshot(BTC).open_interest is not None


@pytest.mark.parametrize("outage", [False, True])
def test_a_flush_across_an_outage_says_its_liquidation_sums_miss_the_break(outage: bool) -> None:
    """Bybit's sums are every print delivered: across an outage the flush read "Bybit
    stream: every print so far" for $3.7M of a $21M cascade, most of it printed while the
    feed was down."""
    from scalptui.models import FeedStatus, Liquidation, Side, StreamState

    det = Detector()
    alerts = []

    def second(s: int, oi: float) -> None:
        ts = T0 + s * 1000
        alerts.extend(det.on_event(Trade(ts, VENUE, BTC, 100_000.0, 0.01, TakerSide.SELL)))
        alerts.extend(det.on_event(OpenInterest(ts, VENUE, BTC, oi)))

    def falling(s: int) -> None:  # −4 % in the minute after the high
        second(s, 80_000.0 - 3200.0 * (s - 600) / 60)

    for s in range(601):
        second(s, 80_000.0)
    for s in range(601, 620):
        falling(s)
    if outage:  # the liquidations' stream breaks after the high, while OI falls
        det.on_event(FeedStatus(0, VENUE, BTC, "liquidations", StreamState.RECONNECTING))
        det.on_event(FeedStatus(0, VENUE, BTC, "liquidations", StreamState.LIVE))
    falling(620)
    det.on_event(Liquidation(T0 + 620_500, VENUE, BTC, Side.LONG, 100_000.0, 5.0, 500_000.0, False))
    for s in range(621, 661):
        falling(s)
    (flush,) = [a for a in alerts if a.kind is AlertKind.OI_FLUSH]
    assert ("≥ $500k longs" in flush.message) is outage
    assert ("feed down for part of it: lower bound" in flush.message) is outage
    assert flush.facts["lower_bound"] is outage  # Bybit's own sums are totals
    assert flush.facts["feed_gap"] is outage
