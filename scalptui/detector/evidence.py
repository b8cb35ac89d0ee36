"""Measuring a chain on one symbol's state: displacement in σ, flow burst, baseline, clusters.

``move_sigmas`` is pure Python and runs in the detector's cheap pre-test;
``measure`` reads the numpy ring and runs only when the cheap tests already
pass (or for ``Detector.measure``). What the numbers mean and how they decide
is in ``signals.py``; here is only how they are read off the state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from scalptui.detector.rolling import HOUR_MS
from scalptui.detector.signals import ChainEvidence, notional_threshold
from scalptui.models import Bar, Side

if TYPE_CHECKING:
    from scalptui.detector.state import SymbolState

_INF = math.inf


def extreme_ref(st: SymbolState, side: Side) -> float | None:
    """The window's high (long cascade) or low (squeeze): where the forced move started."""
    start = st.move_start()
    if side is Side.LONG:
        return st.rolling.high_since(start, st.bucket.high)
    return st.rolling.low_since(start, st.bucket.low)


def log_move(st: SymbolState, side: Side) -> float:
    """ln(last / window extreme): from the high for longs, from the low for shorts."""
    last = st.last if st.last is not None else st.reference_price() or 0.0
    ref = extreme_ref(st, side) or last
    return math.log(last / ref) if last > 0.0 and ref > 0.0 else 0.0


def chain_ref(st: SymbolState, side: Side) -> float | None:
    """The extreme since the side's chain began (its high for longs): where it started."""
    start = st.chain_start(side)
    if side is Side.LONG:
        return st.rolling.high_from(start, st.bucket.high)
    return st.rolling.low_from(start, st.bucket.low)


def chain_move_pct(st: SymbolState, side: Side) -> float:
    """The move since the side's chain began (from its extreme since then), in percent."""
    last = st.last if st.last is not None else st.reference_price() or 0.0
    ref = chain_ref(st, side) or last
    return (last / ref - 1.0) * 100.0 if last > 0.0 and ref > 0.0 else 0.0


def clusters_since(st: SymbolState, side: Side, since: int) -> int:
    """Est. clusters of ``side`` consumed from ``since`` on."""
    return sum(1 for ts, hit, cluster in st.hits if cluster and hit.side is side and ts >= since)


def move_pct(st: SymbolState, side: Side) -> float:
    """The move from the window's extreme in percent (signed; pure Python)."""
    return (math.exp(log_move(st, side)) - 1.0) * 100.0


def sigma(st: SymbolState) -> float:
    """σ of 1 s log returns over the hour before the window, floored (see ``RollingStats``)."""
    return st.rolling.sigma(st.window_start(), st.th)


def move_sigmas(st: SymbolState, side: Side) -> float:
    """The forced-direction move in units of σ·√W (pure Python but for a stale σ)."""
    s = sigma(st)
    move = log_move(st, side)
    forced = -move if side is Side.LONG else move
    return forced / (s * math.sqrt(st.th.window_s)) if s > 0.0 else 0.0


RANGE_SPAN_MS = 300_000
"""The ordinary range is that of 5-minute spans (the warm start's Binance candles too)."""
RANGE_MIN_HISTORY_S = 1800.0
"""Below this much 1 s history before the window the warm-start candles give the range."""


def ordinary_range_pct(st: SymbolState, start: int) -> float | None:
    """Median high–low range (%) of the 5-minute spans in the hour before ``start``.

    With less than half an hour of 1 s rows there, the warm-start candles' median
    range (``RollingStats.range_seed``); None with neither."""
    ring = st.seconds
    stamps = ring.timestamps()
    lo = int(np.searchsorted(stamps, start - HOUR_MS, side="left"))
    hi = int(np.searchsorted(stamps, start, side="left"))
    if hi - lo < RANGE_MIN_HISTORY_S:
        return st.rolling.range_seed
    edges = np.searchsorted(stamps[lo:hi], start - HOUR_MS + RANGE_SPAN_MS * np.arange(12))
    starts = np.unique(edges[edges < hi - lo])
    highs = np.maximum.reduceat(ring.column("high")[lo:hi], starts)
    lows = np.minimum.reduceat(ring.column("low")[lo:hi], starts)
    ranges = highs[lows > 0.0] / lows[lows > 0.0] - 1.0
    return float(np.median(ranges)) * 100.0 if len(ranges) else st.rolling.range_seed


def range_of_bars(bars: Sequence[Bar], span: int = 12) -> float | None:
    """Median high–low range (%) of the last ``span`` candles (an hour of 5-minute ones)."""
    ranges = sorted(
        (b.high / b.low - 1.0) * 100.0 for b in bars[-span:] if b.low > 0.0 and b.high >= b.low
    )
    if not ranges:
        return None
    mid = len(ranges) // 2
    return ranges[mid] if len(ranges) % 2 else (ranges[mid - 1] + ranges[mid]) / 2.0


def flow_of_bars(bars: Sequence[Bar], span: int = 12) -> tuple[float, float] | None:
    """Taker (buy, sell) USD per second over the last ``span`` candles (an hour of 5-minute
    ones); the buy share is 0.5 where the venue gives none. None without volume."""
    last = bars[-span:]
    if len(last) < 2:
        return None
    buy = sell = 0.0
    for b in last:
        usd = b.volume * b.close
        share = (
            b.taker_buy_volume / b.volume
            if b.taker_buy_volume is not None and b.volume > 0.0
            else 0.5
        )
        buy += usd * min(max(share, 0.0), 1.0)
        sell += usd * (1.0 - min(max(share, 0.0), 1.0))
    period_s = (last[-1].ts - last[0].ts) / 1000.0 / (len(last) - 1)
    seconds = period_s * len(last)
    if seconds <= 0.0 or buy + sell <= 0.0:
        return None
    return buy / seconds, sell / seconds


def measure(st: SymbolState, side: Side) -> ChainEvidence:
    """σ, displacement, flow burst, baseline and clusters for one side, now."""
    th = st.th
    window_ms = int(th.window_s * 1000)
    now = st.clock
    start = now - window_ms
    ring = st.seconds
    stamps = ring.timestamps()
    in_win = ring.window(start)
    before = slice(int(np.searchsorted(stamps, start - HOUR_MS, side="left")), in_win.start)

    s = sigma(st)
    move = log_move(st, side)
    forced = -move if side is Side.LONG else move
    sigmas = forced / (s * math.sqrt(th.window_s)) if s > 0.0 else 0.0

    # One reduction per span gives every column's sum (a numpy call costs ~1 µs).
    block = ring.block()
    win_sums: list[float] = block[:, in_win].sum(axis=1).tolist()
    past_sums: list[float] = block[:, before].sum(axis=1).tolist()
    buy, sell = ring.index_of("buy_usd"), ring.index_of("sell_usd")
    forced_i, other_i = (sell, buy) if side is Side.LONG else (buy, sell)
    b = st.bucket
    forced_now = b.sell if side is Side.LONG else b.buy
    other_now = b.buy if side is Side.LONG else b.sell
    flow_forced = win_sums[forced_i] + forced_now
    flow_other = win_sums[other_i] + other_now
    flow_total = flow_forced + flow_other
    flow_share = flow_forced / flow_total if flow_total > 0.0 else 0.0
    flow_ratio = 0.0
    history_s = 0.0
    if before.stop > before.start:
        history_s = float(stamps[before.stop - 1] - stamps[before.start]) / 1000.0 + 1.0
    if history_s >= th.min_sigma_history_s:
        mean = past_sums[forced_i] * th.window_s / history_s
        flow_ratio = flow_forced / mean if mean > 0.0 else _INF
    elif st.rolling.flow_seed is not None:  # the warm-start candles' hour, from the first second
        seed_buy, seed_sell = st.rolling.flow_seed
        mean = (seed_sell if side is Side.LONG else seed_buy) * th.window_s
        flow_ratio = flow_forced / mean if mean > 0.0 else 0.0

    baseline: float | None = None
    if st.first_ts is not None and st.first_ts <= start - HOUR_MS:
        liq_i = ring.index_of("liq_long_usd" if side is Side.LONG else "liq_short_usd")
        baseline = past_sums[liq_i] * th.window_s / 3600.0

    window = st.windows[side]
    other = st.windows[Side.SHORT if side is Side.LONG else Side.LONG]
    chain_usd, chain_prints, largest = window.chain()
    first = window.chain_first_ts()
    # the other side over the chain's own span: an older chain of it is no counterweight
    total = chain_usd + (other.usd_since(first) if first is not None else other.usd)
    busy, run_span = window.saturation(now)
    clusters = sum(
        1 for ts, hit, is_cluster in st.hits if is_cluster and hit.side is side and ts > start
    )
    return ChainEvidence(
        side=side,
        notional_usd=chain_usd,
        prints=chain_prints,
        dominance=chain_usd / total if total > 0.0 else 0.0,
        span_s=max(1.0, (now - first) / 1000.0) if first is not None else 0.0,
        run_s=window.run_seconds,
        busy_s=busy,
        run_span_s=run_span,
        notional_ex_largest_usd=max(0.0, chain_usd - largest),
        move_pct=(math.exp(move) - 1.0) * 100.0,
        chain_move_pct=chain_move_pct(st, side),
        move_sigmas=sigmas,
        sigma_1s=s,
        flow_share=flow_share,
        flow_ratio=flow_ratio,
        clusters=clusters,
        ordinary_range_pct=ordinary_range_pct(st, start),
        baseline_usd=baseline,
        threshold_usd=notional_threshold(th, baseline),
        lower_bound=st.sampled,
    )
