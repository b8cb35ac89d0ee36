"""The asset view: several venues' snapshots of one symbol folded into one.

Pure functions over ``DetectorSnapshot`` parts, used by ``assets.AssetDetector``:

* ``LadderSum`` — the venues' ladders summed on one common grid. The grid's
  width is the coarsest venue's (so a venue row meets at most two common rows)
  and its bins are absolute multiples of it, as a venue's are. A venue row is
  split over the common rows it overlaps in proportion to the overlap, so every
  dollar is kept; a venue's two edge rows (everything beyond its span) go to the
  common edge rows whole, which keep their meaning: ``ladder[0]`` sums every
  level below the span, ``ladder[-1]`` every level above it. The sum of the last
  call is reused while no venue's rows changed (a venue's row cache hands back
  the same tuple then), so a repeat costs one identity compare per venue;
* ``summed_open_interest`` — amounts (base units, the same asset on every venue)
  and USD values summed, the changes of the sum, its history forward-filled, one
  point per bucket;
* ``weighted_funding`` — the venues' 8 h rates weighted by their USD open interest;
* ``merged_episodes`` — one episode view per side over the venues' episodes.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scalptui.detector.open_interest import OI_BUCKET_MS
from scalptui.detector.snapshot import MAX_LADDER_ROWS
from scalptui.models import (
    AlertKind,
    EpisodeView,
    FundingView,
    LadderBin,
    Liquidation,
    OpenInterestView,
    Side,
)
from scalptui.numfmt import funding_apr

_EPS = 1e-9
_ROW_VALUES = 6
"""long, short, realised long, realised short, hit long, hit short."""
_FIELDS = len(LadderBin._fields)


@dataclass(frozen=True, slots=True)
class VenueLadder:
    """One venue's ladder rows as its snapshot gave them, with their bin width."""

    width: float
    rows: tuple[LadderBin, ...]


def _values(row: LadderBin) -> tuple[float, ...]:
    """long, short, realised long, realised short, hit long, hit short: the row's
    fields after low and high, in ``LadderBin``'s order."""
    return row[2:8]


def _add(acc: list[float], values: Iterable[float]) -> None:
    for i, v in enumerate(values):
        acc[i] += v


def _inner_range(ladders: Sequence[VenueLadder], width: float) -> tuple[int, int] | None:
    """Common bins lo..hi covering every venue's inner rows (None: no inner row anywhere)."""
    lows = [lad.rows[1].low for lad in ladders if len(lad.rows) > 2]
    highs = [lad.rows[-2].high for lad in ladders if len(lad.rows) > 2]
    if not lows:
        return None
    return math.floor(min(lows) / width + _EPS), math.ceil(max(highs) / width - _EPS) - 1


def sum_ladders(
    ladders: Sequence[VenueLadder], ref: float | None
) -> tuple[float, tuple[LadderBin, ...]]:
    """(common bin width, summed rows framed by two edge rows); notional is conserved."""
    used = [lad for lad in ladders if lad.rows and lad.width > 0.0]
    if not used:
        return 0.0, ()
    width = max(lad.width for lad in used)
    span = _inner_range(used, width)
    if span is None:
        lo, hi = 0, -1
    else:
        lo, hi = span
    if hi - lo + 1 > MAX_LADDER_ROWS and ref is not None and ref > 0.0:
        # venues far apart (a bad first tick on one): rows around price, the rest folded
        mid = math.floor(ref / width)
        lo = mid - MAX_LADDER_ROWS // 2
        hi = lo + MAX_LADDER_ROWS - 1
    n = hi - lo + 1
    last = n + 1
    acc = np.zeros((n + 2, _ROW_VALUES))
    low_edge = lo * width
    high_edge = (hi + 1) * width
    below = [0.0] * _ROW_VALUES
    above = [0.0] * _ROW_VALUES
    for lad in used:
        rows = lad.rows
        low_edge = min(low_edge, rows[0].low)
        high_edge = max(high_edge, rows[-1].high)
        _add(below, _values(rows[0]))
        _add(above, _values(rows[-1]))
        if len(rows) > 2:
            _spread_rows(acc, rows[1:-1], width, lo, lad.width == width)
    acc[0] += below
    acc[last] += above
    lows = [low_edge, *((lo + r) * width for r in range(n + 1))]
    highs = [*lows[1:], high_edge]
    edges = [False] * (n + 2)
    edges[0] = edges[last] = True
    columns = acc.T.tolist()
    return width, tuple(map(LadderBin._make, zip(lows, highs, *columns, edges, strict=True)))


def _spread_rows(
    acc: npt.NDArray[np.float64],
    rows: tuple[LadderBin, ...],
    width: float,
    lo: int,
    aligned: bool,
) -> None:
    """Add a venue's inner rows to the common rows they overlap, each split in proportion
    to the overlap (beyond the common rows: the edges). Vectorised: three venues at the
    widest span are some 1 800 rows a tick."""
    table = np.fromiter(
        itertools.chain.from_iterable(rows), dtype=np.float64, count=len(rows) * _FIELDS
    ).reshape(-1, _FIELDS)
    low, high, values = table[:, 0], table[:, 1], table[:, 2 : 2 + _ROW_VALUES]
    last = len(acc) - 1
    if aligned:
        # same width on the same absolute grid: one row onto one row
        np.add.at(acc, np.clip(np.rint(low / width).astype(np.int64) - lo + 1, 0, last), values)
        return
    k0 = np.floor(low / width + _EPS).astype(np.int64)
    k1 = np.ceil(high / width - _EPS).astype(np.int64) - 1
    whole = k1 <= k0
    np.add.at(acc, np.clip(k0[whole] - lo + 1, 0, last), values[whole])
    split = ~whole
    if not split.any():
        return
    low, high, values, k0, k1 = low[split], high[split], values[split], k0[split], k1[split]
    size = high - low
    for step in range(int((k1 - k0).max()) + 1):
        k = k0 + step
        overlap = np.minimum(high, (k + 1) * width) - np.maximum(low, k * width)
        part = (k <= k1) & (overlap > 0.0)
        share = (overlap[part] / size[part])[:, None]
        np.add.at(acc, np.clip(k[part] - lo + 1, 0, last), values[part] * share)


class LadderSum:
    """The summed ladder of one symbol, rebuilt only when a venue's rows changed."""

    __slots__ = ("_key", "_value")

    def __init__(self) -> None:
        self._key: tuple[float | None, tuple[tuple[LadderBin, ...], ...]] | None = None
        self._value: tuple[float, tuple[LadderBin, ...]] = (0.0, ())

    def rows(
        self, span_pct: float | None, ladders: Sequence[VenueLadder], ref: float | None
    ) -> tuple[float, tuple[LadderBin, ...]]:
        key = (span_pct, tuple(lad.rows for lad in ladders))
        cached = self._key
        if (
            cached is not None
            and cached[0] == key[0]
            and len(cached[1]) == len(key[1])
            and all(a is b for a, b in zip(cached[1], key[1], strict=True))
        ):
            return self._value
        self._key = key
        self._value = sum_ladders(ladders, ref)
        return self._value


# ------------------------------------------------------------------ open interest, funding


def usd_open_interest(view: OpenInterestView | None, price: float | None) -> float | None:
    """A venue's open interest in USD: its own value, else amount × its price."""
    if view is None:
        return None
    return usd_value(view.amount, view.value, price)


def usd_value(amount: float, value: float | None, price: float | None) -> float | None:
    """An open interest's USD value: the venue's own, else ``amount`` × ``price``."""
    if value is not None:
        return value
    if price is not None and price > 0.0:
        return amount * price
    return None


def _summed_change(pairs: Sequence[tuple[float, float | None]]) -> float | None:
    """The change (%) of Σ amounts from each amount and its own change (None if any unknown)."""
    then = 0.0
    for amount, delta in pairs:
        if delta is None or delta <= -100.0:
            return None
        then += amount / (1.0 + delta / 100.0)
    if then <= 0.0:
        return None
    return (sum(a for a, _ in pairs) / then - 1.0) * 100.0


def _summed_history(
    histories: Sequence[tuple[tuple[int, float], ...]],
) -> tuple[tuple[int, float], ...]:
    """Σ of the venues' OI histories, one point per ``OI_BUCKET_MS`` bucket as each venue's
    own history has: each venue's latest point carried forward, summed from the first time
    every venue has one; a bucket's point is the sum after its last sample (and has that
    sample's time). Per bucket and not per sample so that three venues give the chart the
    points of one, and a new point only when a bucket begins."""
    latest = [0.0] * len(histories)
    seen = [False] * len(histories)
    missing = len(histories)
    out: list[tuple[int, float]] = []
    streams = [_tagged_points(i, hist) for i, hist in enumerate(histories)]
    for ts, i, amount in heapq.merge(*streams):
        if not seen[i]:
            seen[i] = True
            missing -= 1
        latest[i] = amount
        if missing == 0:
            point = (ts, sum(latest))
            if out and out[-1][0] // OI_BUCKET_MS == ts // OI_BUCKET_MS:
                out[-1] = point
            else:
                out.append(point)
    return tuple(out)


class HistorySum:
    """The summed OI history of one symbol, rebuilt only when a venue's history changed.

    Live, a venue's history gains or replaces its newest point (one per 10 s bucket) and
    drops its oldest: its length, its first point and its newest point's bucket tell a
    new shape (a warm start after live data changes its length). A venue streaming its
    open interest (Bybit, OKX) replaces its newest point many times a bucket; while every
    venue's newest point is in the sum's last bucket, that only moves the sum's last
    point, so only that point is recomputed: the full merge of three venues' hour costs
    ≈ 1 ms, at every tick. (A warm-start sample replacing a middle point of the same
    bucket changes none of the three: the sum keeps the older value there until the next
    bucket begins, ten seconds at most.)"""

    __slots__ = ("_key", "_value")

    def __init__(self) -> None:
        self._key: tuple[tuple[int, tuple[int, float], int] | None, ...] = ()
        self._value: tuple[tuple[int, float], ...] = ()

    def history(
        self, histories: Sequence[tuple[tuple[int, float], ...]]
    ) -> tuple[tuple[int, float], ...]:
        key = tuple((len(h), h[0], h[-1][0] // OI_BUCKET_MS) if h else None for h in histories)
        value = self._value
        if key == self._key and value:  # a sum exists: every venue has a point
            bucket = value[-1][0] // OI_BUCKET_MS
            if all(h[-1][0] // OI_BUCKET_MS == bucket for h in histories):
                last = (max(h[-1][0] for h in histories), sum(h[-1][1] for h in histories))
                if last != value[-1]:
                    self._value = (*value[:-1], last)
                return self._value
        self._key = key
        self._value = _summed_history(histories)
        return self._value


def _tagged_points(i: int, hist: Iterable[tuple[int, float]]) -> Iterator[tuple[int, int, float]]:
    for ts, amount in hist:
        yield ts, i, amount


def summed_open_interest(
    views: Sequence[tuple[OpenInterestView, float | None]], cache: HistorySum | None = None
) -> OpenInterestView | None:
    """The venues' open interest summed: base amounts (one asset) and USD values; the USD
    value is None when one venue's cannot be known. ``views`` pairs a view with its price."""
    if not views:
        return None
    usd = [usd_open_interest(view, price) for view, price in views]
    value = None if any(u is None for u in usd) else math.fsum(u for u in usd if u is not None)
    return OpenInterestView(
        amount=math.fsum(view.amount for view, _ in views),
        value=value,
        delta_5m_pct=_summed_change([(v.amount, v.delta_5m_pct) for v, _ in views]),
        delta_1h_pct=_summed_change([(v.amount, v.delta_1h_pct) for v, _ in views]),
        history=(cache or HistorySum()).history([view.history for view, _ in views]),
    )


def weighted_rate(rates: Sequence[tuple[float, float | None]]) -> float:
    """The mean of 8 h rates weighted by USD open interest (pairs of rate and weight); a
    rate whose weight is unknown weighs nothing while another's is known; with none
    known, the plain mean. ``rates`` must not be empty."""
    weights = [w if w is not None and w > 0.0 else 0.0 for _, w in rates]
    total = math.fsum(weights)
    if total <= 0.0:
        weights = [1.0] * len(rates)
        total = float(len(rates))
    return math.fsum(r * w for (r, _), w in zip(rates, weights, strict=True)) / total


def weighted_funding(rates: Sequence[tuple[FundingView, float | None]]) -> FundingView | None:
    """The OI-weighted mean of the venues' 8 h rates (``rates`` pairs a venue's funding
    with its USD open interest), as a rate per the venues' common interval, per 8 h where
    their intervals differ. A venue whose open interest is unknown weighs nothing while
    another's is known; with none known, the plain mean."""
    if not rates:
        return None
    mean = weighted_rate([(f.rate_8h, w) for f, w in rates])
    nexts = [f.next_funding_ts for f, _ in rates if f.next_funding_ts is not None]
    # Venues that all pay every 4 h are read per 4 h, beside the countdown to that
    # payment (an "/8h" rate over a 4 h countdown hid what is paid); mixed, per 8 h.
    intervals = {f.interval_h for f, _ in rates}
    interval = intervals.pop() if len(intervals) == 1 else 8.0
    return FundingView(
        rate=mean * interval / 8.0,
        interval_h=interval,
        rate_8h=mean,
        apr=funding_apr(mean, 8.0),
        next_funding_ts=min(nexts) if nexts else None,
    )


# ------------------------------------------------------------------ liquidations, episodes


def merged_liquidations(
    tapes: Sequence[Sequence[Liquidation]], limit: int
) -> tuple[Liquidation, ...]:
    """The venues' tapes (each newest first) merged newest first; equal times keep the
    venues' watch order, then each tape's own order."""
    if limit <= 0:
        return ()
    merged = [liq for tape in tapes for liq in tape]
    # A stable sort (reverse keeps equal keys in place): one C pass over a few hundred
    # prints, where a lazy heap merge cost a Python generator step per print.
    merged.sort(key=_ts, reverse=True)
    return tuple(merged[:limit])


def _ts(liq: Liquidation) -> int:
    return liq.ts


def merged_episodes(
    per_venue: Sequence[Sequence[EpisodeView]],
    price_venue: int | None,
    live: Sequence[bool],
) -> tuple[EpisodeView, ...]:
    """One view per side: started at the earliest venue's start, notional, prints and rates
    summed (the peak is the sum of the venues' peaks), the move of the venue prices are
    taken from (``price_venue``, an index into ``per_venue``) when it has an episode of the
    side, in progress while any live venue's is (``live``, per venue: a venue whose feed is
    down holds no episode open — its exhaustion never comes), a lower bound where any
    venue samples."""
    out: list[EpisodeView] = []
    for side in (Side.LONG, Side.SHORT):
        views = [(i, v) for i, eps in enumerate(per_venue) for v in eps if v.side is side]
        if not views:
            continue
        running = [v for i, v in views if v.kind is not AlertKind.CASCADE_EXHAUSTED and live[i]]
        forced = AlertKind.LIQUIDATION_CASCADE if side is Side.LONG else AlertKind.SHORT_SQUEEZE
        moves = [v.price_move_pct for i, v in views if i == price_venue]
        out.append(
            EpisodeView(
                kind=forced if running else AlertKind.CASCADE_EXHAUSTED,
                side=side,
                started_ts=min(v.started_ts for _, v in views),
                notional_usd=math.fsum(v.notional_usd for _, v in views),
                prints=sum(v.prints for _, v in views),
                price_move_pct=moves[0] if moves else views[0][1].price_move_pct,
                peak_rate=math.fsum(v.peak_rate for _, v in views),
                current_rate=math.fsum(v.current_rate for _, v in views),
                lower_bound=any(v.lower_bound for _, v in views),
            )
        )
    return tuple(out)
