"""Snapshot assembly: one symbol's state as an immutable ``DetectorSnapshot``.

Read-only over the state but for two caches: the realised overlay bins its
waiting prints first, and ``LadderRowCache`` keeps the last rows built per
span so that a tick where no row changed hands back the very same tuple (the
asset view's summed ladder then knows by identity that nothing changed). Apart from the
detector because a snapshot is a view of every part of the state, while the
detector's own code is about events.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from scalptui.detector.rolling import HOUR_MS
from scalptui.models import DetectorSnapshot, EpisodeView, FeedStatus, LadderBin, Side, Source

if TYPE_CHECKING:
    from scalptui.detector.params import DetectorParams
    from scalptui.detector.state import SymbolState

MAX_LADDER_ROWS = 2000
"""A snapshot never carries more inner ladder rows than this (the edges sum the rest)."""
MAX_CACHED_SPANS = 8
"""Zoom levels are few; the row cache never holds more spans than this."""


class LadderRowCache:
    """The ladder rows of the last snapshot per span, with the values they were built from."""

    __slots__ = ("_by_span",)

    def __init__(self) -> None:
        self._by_span: dict[float | None, tuple[list[tuple[Any, ...]], tuple[LadderBin, ...]]] = {}

    def clear(self) -> None:
        self._by_span.clear()

    def rows(self, span_pct: float | None, keys: list[tuple[Any, ...]]) -> tuple[LadderBin, ...]:
        """Rows for ``keys`` (``LadderBin`` fields); the last call's rows when none changed.

        A changed tick builds every row again: a row is a tuple, cheaper to build than
        to look up among the last rows."""
        cached = self._by_span.get(span_pct)
        if cached is not None and cached[0] == keys:
            return cached[1]  # nothing changed since the last tick: one C-level compare
        rows = tuple(map(LadderBin._make, keys))
        if len(self._by_span) >= MAX_CACHED_SPANS:
            self._by_span.clear()
        self._by_span[span_pct] = (keys, rows)
        return rows


def build_snapshot(
    st: SymbolState,
    params: DetectorParams,
    source: Source,
    span_pct: float | None,
    global_feed: tuple[FeedStatus, ...],
) -> DetectorSnapshot:
    """The snapshot of one symbol (see ``Detector.snapshot`` for what ``span_pct`` means)."""
    prices_ts, prices = price_series(st, params.price_history_s)
    return DetectorSnapshot(
        exchange=st.exchange,
        symbol=st.symbol,
        ts=max(st.clock, 0),
        source=source,
        last=st.last,
        mark=st.mark,
        index=st.index,
        change_1m_pct=change_pct(st, 60_000),
        change_5m_pct=change_pct(st, 300_000),
        change_1h_pct=change_pct(st, HOUR_MS),
        price_ts=prices_ts,
        prices=prices,
        bin_width=st.ladder.width if st.ladder is not None else 0.0,
        ladder=ladder_rows(st, params, span_pct),
        recent_liquidations=tuple(reversed(st.realized))[:100],
        funding=st.funding.view(),
        open_interest=st.oi.view(),
        episodes=episode_views(st),
        feed=global_feed + tuple(st.feed.values()),
        tick_size=st.info.tick_size if st.info is not None else None,
    )


def empty_snapshot(symbol: str, exchange: str, source: Source) -> DetectorSnapshot:
    """The snapshot of a symbol never seen."""
    return DetectorSnapshot(
        exchange=exchange,
        symbol=symbol,
        ts=0,
        source=source,
        last=None,
        mark=None,
        index=None,
        change_1m_pct=None,
        change_5m_pct=None,
        change_1h_pct=None,
        price_ts=(),
        prices=(),
        bin_width=0.0,
        ladder=(),
        recent_liquidations=(),
        funding=None,
        open_interest=None,
        episodes=(),
        feed=(),
    )


def episode_views(st: SymbolState) -> tuple[EpisodeView, ...]:
    return tuple(ep.view() for ep in st.episodes.values())


def price_series(st: SymbolState, history_s: float) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Closes of the last ``history_s`` seconds, the second in progress included."""
    ring = st.seconds
    start = st.clock - int(history_s * 1000)
    win = ring.window(start)
    stamps: list[int] = ring.timestamps()[win].tolist()
    closes: list[float] = ring.column("close")[win].tolist()
    b = st.bucket
    if b.has and not math.isnan(b.close):
        stamps.append(st.sec * 1000)
        closes.append(b.close)
    return tuple(stamps), tuple(closes)


def change_pct(st: SymbolState, span_ms: int) -> float | None:
    """Last price against the close ``span_ms`` ago, in percent (None before that long,
    or when that moment fell in a break in the prices' delivery: the close before the
    break is not the price then, and a 1 m change measured from it showed the move
    across a two-minute outage, which nobody saw, as the last minute's)."""
    if st.last is None or st.first_ts is None or st.clock - st.first_ts < span_ms:
        return None
    then_ts = st.clock - span_ms
    for began, ended in st.price_breaks:
        if then_ts >= began and (ended is None or then_ts < ended):
            return None
    then = st.seconds.value_at_or_before("close", then_ts)
    if then is None or then <= 0.0:
        return None
    return (st.last / then - 1.0) * 100.0


def ladder_rows(
    st: SymbolState, params: DetectorParams, span_pct: float | None
) -> tuple[LadderBin, ...]:
    """Rows within ±``span_pct`` of the reference price, framed by two edge rows."""
    ladder = st.ladder
    ref = st.reference_price()
    if ladder is None or ref is None:
        return ()
    widest = params.ladder.prune_pct
    span = widest
    if span_pct is not None and math.isfinite(span_pct):
        span = min(abs(span_pct) / 100.0, widest)  # nothing is held beyond the pruning reach
    w = ladder.width
    lo = ladder.bin_of(ref * (1.0 - span))
    hi = ladder.bin_of(ref * (1.0 + span))
    if hi - lo + 1 > MAX_LADDER_ROWS:
        # The grid is fixed by the first price; if price has since moved by orders of
        # magnitude (a bad first tick), show the rows around price and fold the rest.
        mid = ladder.bin_of(ref)
        lo = mid - MAX_LADDER_ROWS // 2
        hi = lo + MAX_LADDER_ROWS - 1
    n = hi - lo + 1
    last_row = n + 1  # row 0 = below edge, 1..n = bins lo..hi, n + 1 = above edge
    long_usd, long_min, _ = ladder.rows(Side.LONG, lo, n)
    short_usd, _, short_max = ladder.rows(Side.SHORT, lo, n)
    st.overlay.bin(ladder, st.clock)
    real_long, real_short = st.overlay.rows(lo, n)
    hit_long = [0.0] * (n + 2)
    hit_short = [0.0] * (n + 2)
    hit_since = st.clock - int(params.ladder.hit_window_s * 1000)
    for ts, hit, _ in reversed(st.hits):
        if ts < hit_since:
            break
        r = min(max(hit.index - lo + 1, 0), last_row)
        if hit.side is Side.LONG:
            hit_long[r] += hit.usd
        else:
            hit_short[r] += hit.usd
    low_edge = min(lo, long_min if long_min is not None else lo) * w
    high_edge = max(hi + 1, short_max + 1 if short_max is not None else hi + 1) * w
    lows = [low_edge, *((lo + i) * w for i in range(n + 1))]
    highs = [*lows[1:], high_edge]
    edges = [False] * (n + 2)
    edges[0] = edges[last_row] = True
    keys = list(
        zip(
            lows,
            highs,
            long_usd,
            short_usd,
            real_long,
            real_short,
            hit_long,
            hit_short,
            edges,
            strict=True,
        )
    )
    return st.rows.rows(span_pct, keys)
