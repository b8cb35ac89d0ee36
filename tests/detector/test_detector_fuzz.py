"""Any stream of events, however malformed its values, gives no traceback and a valid snapshot."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from scalptui.detector import Detector
from scalptui.detector.ladder import MIN_WIDTH, bin_width_for
from scalptui.models import (
    Bar,
    Event,
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

EX = "binanceusdm"
SYMBOLS = st.sampled_from(["BTC/USDT:USDT", "SOL/USDT:USDT", "WEIRD"])
ANY_FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(50.0, 200.0),
    st.floats(90_000.0, 110_000.0),
    # Subnormal and extreme magnitudes (a grid from 1e-320 once divided by zero).
    st.sampled_from([1e-320, 5e-324, 1e-310, 2.2e-308, 1e-300, 1e300, 1.7e308]),
    st.floats(0.0, 1e-300, allow_subnormal=True),
)
TS = st.integers(0, 10_000_000)


def _bar(ts: int, x: float) -> Bar:
    return Bar(ts, x, x * 1.01, x * 0.99, x, 10.0, 5.0)


EVENTS: st.SearchStrategy[Event] = st.one_of(
    st.builds(Trade, TS, st.just(EX), SYMBOLS, ANY_FLOAT, ANY_FLOAT, st.sampled_from(TakerSide)),
    st.builds(
        Liquidation,
        TS,
        st.just(EX),
        SYMBOLS,
        st.sampled_from(Side),
        ANY_FLOAT,
        ANY_FLOAT,
        ANY_FLOAT,
        st.booleans(),
    ),
    st.builds(
        MarkPrice,
        TS,
        st.just(EX),
        SYMBOLS,
        ANY_FLOAT,
        st.none() | ANY_FLOAT,
        st.none() | st.floats(-0.01, 0.01) | st.just(math.nan),
        st.none() | TS,
        st.none() | st.sampled_from([1.0, 4.0, 8.0, 0.0, -1.0, math.inf]),
    ),
    st.builds(OpenInterest, TS, st.just(EX), SYMBOLS, ANY_FLOAT, st.none() | ANY_FLOAT),
    st.builds(
        MarketInfo,
        TS,
        st.just(EX),
        SYMBOLS,
        st.sampled_from([0.1, 0.01, 0.0, -1.0]),
        st.just(1.0),
        st.none() | st.sampled_from([20.0, 125.0, 0.5]),
        st.none() | st.sampled_from([0.004, 0.02, 1.5, -0.1]),
    ),
    st.builds(
        History,
        TS,
        st.just(EX),
        SYMBOLS,
        st.lists(st.builds(_bar, TS, ANY_FLOAT), max_size=6).map(tuple),
        st.lists(st.builds(OpenInterest, TS, st.just(EX), SYMBOLS, ANY_FLOAT), max_size=6).map(
            tuple
        ),
    ),
    st.builds(
        FeedStatus,
        TS,
        st.just(EX),
        st.none() | SYMBOLS,
        st.just("ws"),
        st.sampled_from(StreamState),
    ),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(EVENTS, max_size=30), st.none() | st.floats(allow_nan=True, allow_infinity=True))
def test_no_event_stream_raises_and_snapshots_stay_well_formed(
    events: list[Event], span: float | None
) -> None:
    det = Detector()
    for evt in events:
        for alert in det.on_event(evt):
            assert alert.message.endswith("Informational — no trade plan.")
    for symbol in (*det.symbols(), "UNSEEN/USDT:USDT"):
        snap = det.snapshot(symbol, span_pct=span)
        snap.to_record()
        lows = [b.low for b in snap.ladder]
        assert lows == sorted(lows)
        assert all(math.isfinite(b.long_usd) and b.long_usd >= 0 for b in snap.ladder)
        assert all(math.isfinite(b.short_usd) and b.short_usd >= 0 for b in snap.ladder)
        if snap.ladder:
            assert snap.ladder[0].edge and snap.ladder[-1].edge
    det.recent_liquidations()
    det.active_episodes()


def test_a_bad_first_tick_cannot_blow_up_the_snapshot() -> None:
    det = Detector()
    det.on_event(Trade(1_000, EX, "X/USDT:USDT", 1e-9, 1.0, TakerSide.BUY))  # fixes a tiny grid
    det.on_event(OpenInterest(1_500, EX, "X/USDT:USDT", 10.0))
    det.on_event(Trade(2_000, EX, "X/USDT:USDT", 100.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(3_000, EX, "X/USDT:USDT", 20.0))
    snap = det.snapshot("X/USDT:USDT")
    assert 3 <= len(snap.ladder) <= 2002
    assert snap.bin_width == 0.1  # the grid was re-fitted to the real price
    total = sum(b.long_usd + b.short_usd for b in snap.ladder)
    assert total > 0  # the exposure is kept, not lost


def test_a_subnormal_tick_after_a_real_price_is_no_math_error() -> None:
    """Found by the fuzz test above: 4048, then 1e-320 a second later. Their ratio
    underflows to 0, whose log raised out of on_event."""
    det = Detector()
    det.on_event(Trade(0, EX, "BTC/USDT:USDT", 4048.0, 0.0, TakerSide.BUY))
    det.on_event(Trade(1_000, EX, "BTC/USDT:USDT", 1e-320, 0.0, TakerSide.BUY))
    det.on_event(OpenInterest(2_000, EX, "BTC/USDT:USDT", 0.0))
    assert det.snapshot("BTC/USDT:USDT").last == 1e-320


def test_a_subnormal_first_price_gets_a_usable_grid() -> None:
    for price in (1e-320, 1e-310, 5e-324):
        width = bin_width_for(price, 0.001, None)
        assert 0.0 < width < math.inf
    assert bin_width_for(1e-320, 0.001, None) == MIN_WIDTH
    assert bin_width_for(100_000.0, 0.001, None) == 100.0
    det = Detector()
    det.on_event(Trade(1_000, EX, "X/USDT:USDT", 1e-320, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(1_500, EX, "X/USDT:USDT", 10.0))
    det.on_event(Trade(2_000, EX, "X/USDT:USDT", 100.0, 1.0, TakerSide.BUY))
    det.on_event(OpenInterest(3_000, EX, "X/USDT:USDT", 20.0))
    snap = det.snapshot("X/USDT:USDT")
    assert snap.bin_width == 0.1  # re-fitted to the real price at the first OI change
    assert sum(b.long_usd + b.short_usd for b in snap.ladder) > 0
    # An absurd price on that grid (price / width overflows) is judged, not raised on.
    det.on_event(Trade(4_000, EX, "X/USDT:USDT", 1.7e308, 1.0, TakerSide.BUY))
    assert det.snapshot("X/USDT:USDT").ladder


def test_snapshot_rows_are_capped_even_on_a_grid_far_too_fine() -> None:
    det = Detector()
    det.on_event(Trade(1_000, EX, "X/USDT:USDT", 1e-9, 1.0, TakerSide.BUY))
    det.on_event(Trade(2_000, EX, "X/USDT:USDT", 100.0, 1.0, TakerSide.BUY))
    assert len(det.snapshot("X/USDT:USDT").ladder) == 2002  # before any OI re-fits it
