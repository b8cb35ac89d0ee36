"""The Detector's public API: snapshot contents, clock rules, bad input, bounded memory."""

from __future__ import annotations

import itertools
import json
import math

import pytest
from _detector_market import BTC, EXCHANGE, SOL, T0, btc_tape, run

from scalptui.detector import Detector
from scalptui.detector.detector import STOPPED_KEPT
from scalptui.detector.open_interest import OI_BUCKET_MS, OI_HISTORY_MS
from scalptui.detector.params import DetectorParams
from scalptui.detector.rolling import SECOND_CAPACITY
from scalptui.models import (
    AlertKind,
    DetectorSnapshot,
    EpisodeView,
    Event,
    FeedStatus,
    FundingView,
    LadderBin,
    Liquidation,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    OpenInterestView,
    Side,
    Source,
    StreamState,
    TakerSide,
    Trade,
)


def test_unknown_symbol_gives_an_empty_snapshot() -> None:
    snap = Detector().snapshot("NOPE/USDT:USDT")
    assert snap.symbol == "NOPE/USDT:USDT"
    assert snap.last is None and snap.mark is None and snap.funding is None
    assert snap.ladder == () and snap.prices == () and snap.episodes == ()
    assert snap.to_record()["price"] is None


def test_unknown_symbol_snapshot_names_the_detectors_exchange() -> None:
    det = Detector()
    assert det.snapshot("NOPE/USDT:USDT").exchange == ""  # nothing seen yet
    det.on_event(Trade(T0, "bybit", BTC, math.nan, 1.0, TakerSide.BUY))  # even a rejected one
    snap = det.snapshot("NOPE/USDT:USDT")
    assert snap.exchange == "bybit" and snap.to_record()["exchange"] == "bybit"
    det.on_event(FeedStatus(T0, "bybit", None, "ws", StreamState.LIVE))
    det.on_event(Trade(T0, "bybit", SOL, 150.0, 1.0, TakerSide.BUY))
    assert det.snapshot("NOPE/USDT:USDT").exchange == "bybit"
    assert det.snapshot("NOPE/USDT:USDT").last is None
    status_only = Detector()
    status_only.on_event(FeedStatus(T0, "okx", None, "ws", StreamState.LIVE))
    assert status_only.snapshot(BTC).exchange == "okx"


def test_symbols_are_registered_on_first_event_in_order() -> None:
    det = Detector()
    det.on_event(Trade(T0, EXCHANGE, SOL, 150.0, 1.0, TakerSide.BUY))
    det.on_event(MarketInfo(T0, EXCHANGE, BTC, tick_size=0.1))
    assert det.symbols() == (SOL, BTC)


def test_snapshot_carries_prices_changes_funding_and_open_interest() -> None:
    tape = btc_tape()
    tape.funding = 0.0001
    tape.calm(3700)
    det, _ = run(tape.events)
    det.on_event(
        MarkPrice(tape.ts, EXCHANGE, BTC, tape.price, None, 0.0001, T0 + 4 * 3600_000, 4.0)
    )
    snap = det.snapshot(BTC, span_pct=3.0)
    assert snap.exchange == EXCHANGE and snap.ts == tape.ts
    assert snap.last is not None and snap.mark == tape.price
    assert len(snap.prices) == len(snap.price_ts) > 800
    assert list(snap.price_ts) == sorted(snap.price_ts)
    assert snap.price_ts[-1] - snap.price_ts[0] <= 900_000
    for change in (snap.change_1m_pct, snap.change_5m_pct, snap.change_1h_pct):
        assert change is not None and abs(change) < 5
    assert snap.funding is not None
    assert snap.funding.interval_h == 4.0
    assert snap.funding.rate_8h == pytest.approx(0.0002)
    assert snap.funding.apr == pytest.approx(0.0001 * 6 * 365)
    assert snap.funding.next_funding_ts == T0 + 4 * 3600_000
    oi = snap.open_interest
    assert oi is not None and oi.delta_5m_pct is not None and oi.delta_1h_pct is not None
    assert oi.value == pytest.approx(oi.amount * snap.last, rel=0.01)
    assert oi.history and oi.history[-1][1] == oi.amount
    assert snap.bin_width == 100.0
    assert snap.ladder and sum(b.long_usd + b.short_usd for b in snap.ladder) > 0


def test_late_events_are_processed_but_never_move_the_clock_back() -> None:
    det = Detector()
    det.on_event(Trade(T0 + 5_000, EXCHANGE, BTC, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(Trade(T0 + 1_000, EXCHANGE, BTC, 90_000.0, 1.0, TakerSide.SELL))
    det.on_event(Liquidation(T0 + 2_000, EXCHANGE, BTC, Side.LONG, 99_000.0, 1.0, 99_000.0, True))
    snap = det.snapshot(BTC)
    assert snap.ts == T0 + 5_000
    assert snap.last == 100_000.0  # the late trade does not pose as the current price
    assert len(snap.recent_liquidations) == 1


def test_a_venue_clock_that_goes_back_minutes_starts_the_symbol_afresh() -> None:
    """A simulator at 20x restarted on wall time put the venue's clock seven hours back:
    every newer price was dropped as late, the feed read live and the screen stood
    still. Now the symbol restarts from the new clock, its market facts kept."""
    det = Detector()
    det.on_event(MarketInfo(T0, EXCHANGE, BTC, tick_size=0.1, max_leverage=125.0))
    ahead = T0 + 7 * 3_600_000
    for i in range(5):
        det.on_event(Trade(ahead + i * 1_000, EXCHANGE, BTC, 100_000.0, 1.0, TakerSide.BUY))
    for i in range(5):
        det.on_event(Trade(T0 + i * 1_000, EXCHANGE, BTC, 101_000.0 + i, 1.0, TakerSide.BUY))
    snap = det.snapshot(BTC)
    assert snap.last == 101_004.0 and snap.ts == T0 + 4_000  # the new clock's prices
    assert snap.tick_size == 0.1  # the market's facts survive the restart
    det.on_event(Trade(T0 + 3_000, EXCHANGE, BTC, 90_000.0, 1.0, TakerSide.SELL))
    assert det.snapshot(BTC).last == 101_004.0  # a second late is still a late trade


def test_a_feed_back_a_minute_behind_where_it_broke_starts_the_symbol_afresh() -> None:
    """A simulator run fast, stopped and started again slower came back a minute behind
    the clock it broke at: under the five minutes that mark a clock going back, every
    newer price was dropped as late for minutes. After a break, 30 s says so; without
    one, a minute late is still a late trade."""
    for broke in (True, False):
        det = Detector()
        ahead = T0 + 60_000
        for i in range(5):
            det.on_event(Trade(ahead + i * 1_000, EXCHANGE, BTC, 100_000.0, 1.0, TakerSide.BUY))
        if broke:
            det.on_event(FeedStatus(0, EXCHANGE, None, "feed", StreamState.RECONNECTING))
            det.on_event(FeedStatus(0, EXCHANGE, None, "feed", StreamState.LIVE))
        for i in range(5):
            det.on_event(Trade(T0 + i * 1_000, EXCHANGE, BTC, 101_000.0 + i, 1.0, TakerSide.BUY))
        snap = det.snapshot(BTC)
        if broke:
            assert snap.last == 101_004.0 and snap.ts == T0 + 4_000
        else:
            assert snap.last == 100_000.0 and snap.ts == ahead + 4_000


def test_a_change_over_a_break_in_the_prices_is_not_shown() -> None:
    """After a two-minute outage the 1 m change was measured from the close before the
    break, and read the move across it (which nobody saw) as the last minute's: +2.7 %
    where the minute had moved 0.1 %. The moment it measures from must have been seen."""

    def trades(det: Detector, start_s: int, seconds: int, price: float) -> None:
        for i in range(seconds):
            det.on_event(
                Trade(T0 + (start_s + i) * 1_000, EXCHANGE, BTC, price, 1.0, TakerSide.BUY)
            )

    for stream in ("trades", "liquidations"):
        det = Detector()
        trades(det, 0, 400, 100_000.0)
        det.on_event(FeedStatus(0, EXCHANGE, BTC, stream, StreamState.RECONNECTING))
        det.on_event(FeedStatus(0, EXCHANGE, BTC, stream, StreamState.LIVE))
        trades(det, 520, 46, 102_700.0)  # back 2 minutes later, 2.7 % higher, for 46 s
        snap = det.snapshot(BTC)
        if stream == "trades":
            assert snap.change_1m_pct is None  # a minute ago fell in the outage
        else:  # the prints' break is no break in the prices
            assert snap.change_1m_pct == pytest.approx(2.7)
        assert snap.change_5m_pct == pytest.approx(2.7)  # five minutes ago was seen
        trades(det, 566, 30, 102_800.0)  # 76 s after the return
        snap = det.snapshot(BTC)
        assert snap.change_1m_pct == pytest.approx((102_800 / 102_700 - 1) * 100)
        trades(det, 596, 150, 102_800.0)  # five minutes ago now falls in the break
        assert (det.snapshot(BTC).change_5m_pct is None) is (stream == "trades")


def test_symbols_taken_off_are_not_kept_for_ever() -> None:
    det = Detector()
    symbols = [f"C{i}/USDT:USDT" for i in range(STOPPED_KEPT + 10)]
    for i, symbol in enumerate(symbols):
        det.on_event(Trade(T0 + i, EXCHANGE, symbol, 1.0 + i, 1.0, TakerSide.BUY))
        det.on_event(FeedStatus(0, EXCHANGE, symbol, "trades", StreamState.CLOSED))
    assert len(det._stopped) == STOPPED_KEPT
    assert det.snapshot(symbols[-1]).last == len(symbols)  # the latest closed still shows
    assert det.snapshot(symbols[0]).last is None


def test_bad_values_are_ignored_without_a_traceback() -> None:
    det = Detector()
    bad: list[Event] = [
        Trade(T0, EXCHANGE, BTC, math.nan, 1.0, TakerSide.BUY),
        Trade(T0, EXCHANGE, BTC, -1.0, 1.0, TakerSide.BUY),
        Trade(T0, EXCHANGE, BTC, 100.0, math.inf, TakerSide.BUY),
        MarkPrice(T0, EXCHANGE, BTC, 0.0),
        MarkPrice(T0, EXCHANGE, BTC, 100.0, math.nan, math.nan),
        Liquidation(T0, EXCHANGE, BTC, Side.LONG, math.nan, 1.0, 1.0, True),
        OpenInterest(T0, EXCHANGE, BTC, -5.0),
        OpenInterest(T0, EXCHANGE, BTC, math.nan),
    ]
    for evt in bad:
        assert det.on_event(evt) == []
    snap = det.snapshot(BTC)
    assert snap.last is None and snap.funding is None and snap.open_interest is None
    assert snap.mark == 100.0 and snap.index is None
    assert det.on_event("not an event") == []  # type: ignore[arg-type]


def test_liquidation_without_notional_gets_amount_times_price() -> None:
    det = Detector()
    det.on_event(Liquidation(T0, EXCHANGE, BTC, Side.SHORT, 100_000.0, 2.0, 0.0, False))
    det.on_event(Trade(T0 + 1_500, EXCHANGE, BTC, 100_000.0, 1.0, TakerSide.BUY))
    (row,) = [b for b in det.snapshot(BTC).ladder if b.realized_short_usd > 0]
    assert row.realized_short_usd == 200_000.0


def _realized(det: Detector) -> tuple[float, float]:
    ladder = det.snapshot(BTC).ladder
    return (
        sum(b.realized_long_usd for b in ladder),
        sum(b.realized_short_usd for b in ladder),
    )


def test_realized_overlay_is_exact_beyond_the_tape_size() -> None:
    """800 Bybit prints of $10k in 60 s are $8.0M, though the tape keeps 500."""
    det = Detector()
    assert det.params.tape_size == 500
    det.on_event(MarkPrice(T0, "bybit", BTC, 100_000.0, 100_000.0))
    for i in range(800):
        liq = Liquidation(T0 + i * 75, "bybit", BTC, Side.LONG, 100_000.0, 0.1, 10_000.0, False)
        det.on_event(liq)
    assert _realized(det) == (8_000_000.0, 0.0)
    assert len(det.snapshot(BTC).recent_liquidations) == 100
    # The 900 s window slides: at 930 s the prints from 30 s on (i ≥ 400) remain.
    det.on_event(MarkPrice(T0 + 930_000, "bybit", BTC, 100_000.0, 100_000.0))
    assert _realized(det) == (4_000_000.0, 0.0)
    det.on_event(MarkPrice(T0 + 960_000, "bybit", BTC, 100_000.0, 100_000.0))
    assert _realized(det) == (0.0, 0.0)
    assert not det._symbols[BTC].overlay.prints and not det._symbols[BTC].overlay.long


def test_realized_overlay_counts_a_burst_within_one_second() -> None:
    det = Detector()
    det.on_event(MarkPrice(T0, "bybit", BTC, 100_000.0, 100_000.0))
    for i in range(3000):  # one allLiquidation second, beyond the batch the overlay bins at
        side = Side.LONG if i % 3 else Side.SHORT
        det.on_event(Liquidation(T0 + 1_000 + i // 10, "bybit", BTC, side, 1e5, 0.01, 1e3, False))
    assert _realized(det) == (2_000_000.0, 1_000_000.0)


def test_realized_overlay_keeps_late_prints_in_order_and_in_their_bins() -> None:
    det = Detector()
    det.on_event(MarkPrice(T0, "bybit", BTC, 100_000.0, 100_000.0))
    for ts, side, price in ((10_000, Side.SHORT, 100_050.0), (50_000, Side.LONG, 99_950.0)):
        det.on_event(Liquidation(T0 + ts, "bybit", BTC, side, price, 1.0, 50_000.0, False))
    det.on_event(Liquidation(T0 + 20_000, "bybit", BTC, Side.LONG, 99_850.0, 1.0, 30_000.0, False))
    rows = {b.low: (b.realized_long_usd, b.realized_short_usd) for b in det.snapshot(BTC).ladder}
    assert [p[0] - T0 for p in det._symbols[BTC].overlay.prints] == [10_000, 20_000, 50_000]
    assert rows[99_900.0] == (50_000.0, 0.0) and rows[99_800.0] == (30_000.0, 0.0)
    assert rows[100_000.0] == (0.0, 50_000.0)
    det.on_event(MarkPrice(T0 + 915_000, "bybit", BTC, 100_000.0, 100_000.0))
    assert _realized(det) == (80_000.0, 0.0)  # the 10 s print left; the late 20 s one stays
    det.on_event(MarkPrice(T0 + 925_000, "bybit", BTC, 100_000.0, 100_000.0))
    assert _realized(det) == (50_000.0, 0.0)


def test_realized_overlay_follows_a_refitted_grid() -> None:
    det = Detector()
    x = "X/USDT:USDT"
    det.on_event(Trade(T0, EXCHANGE, x, 1e-9, 1.0, TakerSide.BUY))  # a bad first tick
    det.on_event(Liquidation(T0 + 500, EXCHANGE, x, Side.LONG, 100.05, 1.0, 100.05, True))
    det.on_event(Trade(T0 + 1_000, EXCHANGE, x, 100.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(T0 + 1_500, EXCHANGE, x, 10.0))
    det.on_event(OpenInterest(T0 + 3_000, EXCHANGE, x, 20.0))
    snap = det.snapshot(x)
    assert snap.bin_width == 0.1
    (row,) = [b for b in snap.ladder if b.realized_long_usd > 0]
    assert not row.edge and row.low == pytest.approx(100.0)
    assert row.realized_long_usd == 100.05


def test_recent_liquidations_are_newest_first_across_symbols_and_capped() -> None:
    det = Detector(DetectorParams(tape_size=5))
    for i in range(8):
        symbol = BTC if i % 2 else SOL
        det.on_event(Liquidation(T0 + i, EXCHANGE, symbol, Side.LONG, 10.0, 1.0, 10.0, True))
    tape = det.recent_liquidations(limit=100)
    assert len(tape) == 5  # exactly the tape size, though 8 were printed
    assert [liq.ts for liq in tape] == [T0 + 7, T0 + 6, T0 + 5, T0 + 4, T0 + 3]
    assert [liq.symbol for liq in tape] == [BTC, SOL, BTC, SOL, BTC]
    assert len(det.recent_liquidations(limit=2)) == 2
    assert det.recent_liquidations(limit=0) == ()


def test_feed_statuses_reach_the_snapshot() -> None:
    det = Detector()
    det.on_event(FeedStatus(1, EXCHANGE, None, "ws", StreamState.LIVE))
    det.on_event(FeedStatus(2, EXCHANGE, BTC, "trades", StreamState.STALE, "10 s silent"))
    det.on_event(FeedStatus(3, EXCHANGE, BTC, "trades", StreamState.LIVE))
    feed = det.snapshot(BTC).feed
    assert [(f.stream, f.state) for f in feed] == [
        ("ws", StreamState.LIVE),
        ("trades", StreamState.LIVE),
    ]


def test_memory_stays_bounded_over_a_long_run() -> None:
    tape = btc_tape()
    tape.calm(2 * SECOND_CAPACITY, liq_every_s=5, drift=-0.2 / (2 * SECOND_CAPACITY))
    det, _ = run(tape.events)
    state = det._symbols[BTC]
    printed = sum(isinstance(e, Liquidation) for e in tape.events)
    assert printed > 2 * det.params.tape_size  # enough prints to overflow the tape twice
    assert len(state.seconds) == SECOND_CAPACITY
    assert len(state.realized) == det.params.tape_size
    newest = det.recent_liquidations(limit=10 * det.params.tape_size)
    assert len(newest) == det.params.tape_size
    assert all(a.ts > b.ts for a, b in itertools.pairwise(newest))
    assert newest[0].ts == max(e.ts for e in tape.events if isinstance(e, Liquidation))
    ladder = state.ladder
    assert ladder is not None and ladder.pruned > 0
    price = tape.price
    reach = det.params.ladder.prune_pct
    assert all(abs(k * ladder.width / price - 1) <= reach + 0.01 for k in ladder.long_bins)
    stamps = [ts for ts, _ in state.oi.history]
    assert all(a < b for a, b in itertools.pairwise(stamps))
    assert stamps[-1] - stamps[0] <= OI_HISTORY_MS
    assert len(stamps) <= OI_HISTORY_MS // OI_BUCKET_MS + 2
    window = int(state.th.window_s) + 2
    assert len(state.rolling.highs) <= window and len(state.rolling.lows) <= window
    assert len(state.rolling.pending) <= window and len(state.rolling.hour) <= 3600 + 1
    hit_stamps = [ts for ts, _, _ in state.hits]
    assert hit_stamps == sorted(hit_stamps)
    # hits are kept for the longest look-back that reads them, not for the whole run
    assert hit_stamps, "the drift consumed no level: the bound below would prove nothing"
    look_back_ms = max(state.th.window_s, det.params.ladder.hit_window_s) * 1000
    assert hit_stamps[0] >= hit_stamps[-1] - look_back_ms
    realized_window_ms = int(det.params.ladder.realized_window_s * 1000)
    assert all(ts >= state.clock - realized_window_ms for ts, *_ in state.overlay.prints)


def test_the_returned_list_belongs_to_the_caller() -> None:
    det = Detector()
    first = det.on_event(Trade(T0, EXCHANGE, BTC, 100_000.0, 1.0, TakerSide.BUY))
    first.append("mine")  # type: ignore[arg-type]
    assert det.on_event(Trade(T0 + 1, EXCHANGE, BTC, 100_000.0, 1.0, TakerSide.BUY)) == []
    assert det.on_event("junk") == []  # type: ignore[arg-type]


def test_a_snapshot_record_says_funding_per_8h_and_open_interest_in_usd() -> None:
    """A 4-hourly rate of 0.01 % is 0.02 % per 8 h, whatever field a script reads; open
    interest comes in the base currency and in USD."""
    det = Detector()
    det.on_event(Trade(T0, EXCHANGE, SOL, 150.0, 1.0, TakerSide.BUY))
    det.on_event(
        MarkPrice(T0 + 100, EXCHANGE, SOL, 150.0, funding_rate=0.0001, funding_interval_h=4.0)
    )
    det.on_event(OpenInterest(T0 + 200, EXCHANGE, SOL, 1_000.0))
    record = det.snapshot(SOL).to_record()
    assert record["funding_rate"] == 0.0001 and record["funding_interval_h"] == 4.0
    assert record["funding_8h"] == pytest.approx(0.0002)
    assert record["open_interest"] == 1_000.0
    assert record["open_interest_usd"] == pytest.approx(150_000.0)
    for row in record["ladder"]:
        assert row["low"] == round(row["low"], 10) and row["high"] == round(row["high"], 10)


def test_snapshot_records_carry_no_float_residue() -> None:
    """Sums printed as 925732.5632000001 and a mean rate as 0.0002669790496041918."""
    snap = DetectorSnapshot(
        exchange="binanceusdm",
        symbol="BTC/USDT:USDT",
        ts=1,
        source=Source.LIVE,
        last=100.0,
        mark=100.0,
        index=None,
        change_1m_pct=None,
        change_5m_pct=None,
        change_1h_pct=None,
        price_ts=(),
        prices=(),
        bin_width=1.0,
        ladder=(LadderBin(99.0, 100.0, 925732.5632000001, 0.1 + 0.2),),
        recent_liquidations=(),
        funding=FundingView(0.0002669790496041918, 8.0, 0.0002669790496041918, 0.29, None),
        open_interest=OpenInterestView(5.0, 925732.5632000001, None, None),
        episodes=(
            EpisodeView(
                AlertKind.LIQUIDATION_CASCADE,
                Side.LONG,
                1,
                75870.63586000001,
                3,
                -1.23456789,
                75870.63586000001,
                0.30000000000000004,
                True,
            ),
        ),
    )
    record = snap.to_record()
    text = json.dumps(record)
    assert "0000000" not in text and "9999999" not in text, text
    assert record["funding_rate"] == 0.000266979
    assert record["ladder"][0]["long_usd"] == 925732.56
    assert record["episodes"][0]["notional_usd"] == 75870.64
