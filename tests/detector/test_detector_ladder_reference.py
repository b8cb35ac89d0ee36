"""The array ladder against the dictionary ladder it replaced, bit for bit.

``DictLadder`` is the model as it was written first: plain ``dict`` bins updated
one at a time in Python. The array ladder (``scalptui.detector.ladder``) must
give the very same levels — same bins, same floats, same order of entry (which
every sum depends on) — the same hits and the same audit totals after any
sequence of changes, so a faster ladder can never change what a trader sees.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scalptui.detector.ladder import (
    _LOWEST_LEVERAGE,
    MAX_BAND_BINS,
    MAX_SPREAD_BINS,
    ConsumedBin,
    Ladder,
    _Bands,
    band_masses,
    entry_mode,
    leverage_kernel,
    long_liquidation_price,
    remove_closed_fraction,
    short_liquidation_price,
)
from scalptui.detector.params import LeverageShare
from scalptui.models import Side

_MAX_BIN = 2**62
MIX = leverage_kernel(
    (
        LeverageShare(5.0, 0.15),
        LeverageShare(10.0, 0.30),
        LeverageShare(25.0, 0.25),
        LeverageShare(50.0, 0.20),
        LeverageShare(100.0, 0.10),
    ),
    0.3,
    None,
)


class DictLadder:
    """The dictionary ladder, operation for operation as it was."""

    def __init__(
        self, width: float, mix: tuple[LeverageShare, ...], mmr: float, cell: float
    ) -> None:
        self.width, self.mix, self.mmr = width, mix, mmr
        self.cell = min(cell, 1.0) if cell > 0.0 else 0.0
        self.long_bins: dict[int, float] = {}
        self.short_bins: dict[int, float] = {}
        self.long_top: int | None = None
        self.short_bottom: int | None = None
        self.added = self.consumed = self.removed = self.pruned = 0.0

    def bin_of(self, price: float) -> int:
        q = price / self.width
        if -_MAX_BIN < q < _MAX_BIN:
            return math.floor(q)
        return _MAX_BIN if q > 0 else -_MAX_BIN

    def long_total(self) -> float:
        return sum(self.long_bins.values())

    def short_total(self) -> float:
        return sum(self.short_bins.values())

    def add(self, entry: float, usd: float, long_share: float, low: float, high: float) -> None:
        if not (entry > 0.0 and usd > 0.0) or math.isinf(entry) or math.isinf(usd):
            return
        long_share = min(1.0, max(0.0, long_share))
        lo, hi = entry, entry
        if 0.0 < low <= entry <= high < math.inf and (high - low) / self.width <= MAX_SPREAD_BINS:
            lo, hi = low, high
        mode = entry_mode(entry, lo, hi)
        widen = math.exp(self.cell)
        for bucket in self.mix:
            part = usd * bucket.share
            long_part = part * long_share
            short_part = part - long_part
            lev = bucket.leverage
            low_lev = max(lev / widen, min(lev, _LOWEST_LEVERAGE))
            high_lev = lev * widen
            if long_part > 0.0:
                f = long_liquidation_price(1.0, lev, self.mmr)
                f_lo = long_liquidation_price(1.0, low_lev, self.mmr)
                f_hi = long_liquidation_price(1.0, high_lev, self.mmr)
                _, top = spread(self, self.long_bins, lo * f_lo, mode * f, hi * f_hi, long_part)
                if self.long_top is None or top > self.long_top:
                    self.long_top = top
                self.added += long_part
            if short_part > 0.0:
                f = short_liquidation_price(1.0, lev, self.mmr)
                f_lo = short_liquidation_price(1.0, high_lev, self.mmr)
                f_hi = short_liquidation_price(1.0, low_lev, self.mmr)
                first, _ = spread(self, self.short_bins, lo * f_lo, mode * f, hi * f_hi, short_part)
                if self.short_bottom is None or first < self.short_bottom:
                    self.short_bottom = first
                self.added += short_part

    def consume(self, price: float) -> list[ConsumedBin]:
        k = self.bin_of(price)
        out: list[ConsumedBin] = []
        if self.long_top is not None and k <= self.long_top:
            out.extend(self._consume_side(Side.LONG, self.long_bins, lambda i: i >= k))
            self.long_top = max(self.long_bins) if self.long_bins else None
        if self.short_bottom is not None and k >= self.short_bottom:
            out.extend(self._consume_side(Side.SHORT, self.short_bins, lambda i: i <= k))
            self.short_bottom = min(self.short_bins) if self.short_bins else None
        return out

    def _consume_side(
        self, side: Side, bins: dict[int, float], hit: Callable[[int], bool]
    ) -> list[ConsumedBin]:
        total = sum(bins.values())
        out = []
        for i in sorted((i for i in bins if hit(i)), reverse=side is Side.LONG):
            usd = bins.pop(i)
            self.consumed += usd
            out.append(ConsumedBin(side, i, usd, usd / total if total > 0.0 else 0.0))
        return out

    def remove(self, long_usd: float, short_usd: float) -> None:
        self.removed += scale_down(self.long_bins, long_usd)
        self.removed += scale_down(self.short_bins, short_usd)
        self.long_top = max(self.long_bins) if self.long_bins else None
        self.short_bottom = min(self.short_bins) if self.short_bins else None

    def expire(self, fraction: float) -> None:
        if fraction > 0.0:
            fraction = min(fraction, 1.0)
            self.remove(self.long_total() * fraction, self.short_total() * fraction)

    def rebase(self, width: float) -> None:
        old, self.width = self.width, width
        for name in ("long_bins", "short_bins"):
            moved: dict[int, float] = {}
            for k, usd in getattr(self, name).items():
                i = self.bin_of((k + 0.5) * old)
                moved[i] = moved.get(i, 0.0) + usd
            setattr(self, name, moved)
        self.long_top = max(self.long_bins) if self.long_bins else None
        self.short_bottom = min(self.short_bins) if self.short_bins else None

    def prune(self, price: float, prune_pct: float) -> None:
        lo = self.bin_of(price * (1.0 - prune_pct))
        hi = self.bin_of(price * (1.0 + prune_pct))
        for bins in (self.long_bins, self.short_bins):
            for i in [i for i in bins if i < lo or i > hi]:
                self.pruned += bins.pop(i)
        self.long_top = max(self.long_bins) if self.long_bins else None
        self.short_bottom = min(self.short_bins) if self.short_bins else None


def spread(
    ladder: DictLadder, bins: dict[int, float], lo: float, mode: float, hi: float, usd: float
) -> tuple[int, int]:
    """The dictionary ladder's per-bin loop (``Ladder._spread`` as it was)."""
    first, last = ladder.bin_of(lo), ladder.bin_of(hi)
    if last - first > MAX_BAND_BINS:
        first = last = ladder.bin_of(mode)
    if last <= first:
        bins[first] = bins.get(first, 0.0) + usd
        return first, first
    w, span = ladder.width, hi - lo
    peak = (mode - lo) / span
    rising = usd / peak if peak > 0.0 else 0.0
    falling = usd / (1.0 - peak) if peak < 1.0 else 0.0
    below, lowest, highest = 0.0, first - 1, first
    for k in range(first, last):
        t = ((k + 1) * w - lo) / span
        upto = t * t * rising if t <= peak else usd - (1.0 - t) * (1.0 - t) * falling
        mass = upto - below
        if mass > 0.0:
            below = upto
            bins[k] = bins.get(k, 0.0) + mass
            if lowest < first:
                lowest = k
            highest = k
    rest = usd - below
    if rest > 0.0 or lowest < first:
        bins[last] = bins.get(last, 0.0) + rest
        highest = last
        if lowest < first:
            lowest = last
    return lowest, highest


def scale_down(bins: dict[int, float], usd: float) -> float:
    if usd <= 0.0 or not bins:
        return 0.0
    total = sum(bins.values())
    if usd >= total:
        bins.clear()
        return total
    factor = 1.0 - usd / total
    removed = 0.0
    for i, value in bins.items():
        kept = value * factor
        removed += value - kept
        bins[i] = kept
    return removed


def dict_rows(bins: dict[int, float], lo: int, n: int) -> list[float]:
    """Snapshot rows as ``snapshot._binned`` summed them from the dictionary."""
    out = [0.0] * (n + 2)
    for k, usd in bins.items():
        r = k - lo + 1
        out[0 if r < 0 else (n + 1 if r > n + 1 else r)] += usd
    return out


def same(a: object, b: object) -> bool:
    """Equal to the bit (``repr`` of a float round-trips; NaN equals NaN)."""
    return repr(a) == repr(b)


def assert_same(new: Ladder, old: DictLadder) -> None:
    assert same(list(new.long_bins.items()), list(old.long_bins.items()))
    assert same(list(new.short_bins.items()), list(old.short_bins.items()))
    assert (new.long_top, new.short_bottom) == (old.long_top, old.short_bottom)
    assert same(
        (new.added, new.consumed, new.removed, new.pruned),
        (old.added, old.consumed, old.removed, old.pruned),
    )
    # float(): an empty dictionary summed to the integer 0, the arrays to 0.0.
    old_totals = (float(old.long_total()), float(old.short_total()))
    assert same((new.long_total(), new.short_total()), old_totals)


prices = st.floats(min_value=50.0, max_value=200.0)
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"),
            prices,
            st.floats(min_value=1e-3, max_value=1e7),
            st.floats(min_value=-0.2, max_value=1.2),
            st.floats(min_value=0.0, max_value=0.03),
            st.floats(min_value=0.0, max_value=0.03),
        ),
        st.tuples(st.just("expire"), st.floats(min_value=-0.1, max_value=1.1)),
        st.tuples(
            st.just("close"),
            st.floats(min_value=0.0, max_value=50.0),
            st.floats(min_value=0.0, max_value=1.0),
        ),
        st.tuples(st.just("mark"), prices),
        st.tuples(st.just("prune"), prices, st.floats(min_value=0.01, max_value=0.5)),
        st.tuples(st.just("rows"), prices, st.integers(min_value=1, max_value=80)),
        st.tuples(st.just("rebase"), st.floats(min_value=0.02, max_value=2.0)),
        st.tuples(st.just("mmr"), st.floats(min_value=0.0, max_value=0.05)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    operations, st.floats(min_value=0.05, max_value=1.0), st.floats(min_value=0.0, max_value=0.3)
)
def test_the_array_ladder_is_the_dictionary_ladder_bit_for_bit(
    ops: list[tuple[object, ...]], width: float, cell: float
) -> None:
    new = Ladder(width, MIX, 0.004, cell)
    old = DictLadder(width, MIX, 0.004, cell)
    for op in ops:
        match op:
            case ("add", float(entry), float(usd), float(share), float(down), float(up)):
                new.add(entry, usd, share, entry * (1 - down), entry * (1 + up))
                old.add(entry, usd, share, entry * (1 - down), entry * (1 + up))
            case ("expire", float(fraction)):
                new.expire(fraction)
                old.expire(fraction)
            case ("close", float(closed), float(buy_share)):
                remove_closed_fraction(new, closed, 100.0, buy_share)
                if closed > 0.0:
                    fraction = min(closed / 100.0, 1.0)
                    old.remove(
                        old.long_total() * min(fraction * 2.0 * (1.0 - buy_share), 1.0),
                        old.short_total() * min(fraction * 2.0 * buy_share, 1.0),
                    )
            case ("mark", float(price)):
                assert same(new.consume(price), old.consume(price))
            case ("prune", float(price), float(pct)):
                new.prune(price, pct)
                old.prune(price, pct)
            case ("rows", float(price), int(n)):
                lo = new.bin_of(price) - n // 2
                assert same(new.rows(Side.LONG, lo, n)[0], dict_rows(old.long_bins, lo, n))
                assert same(new.rows(Side.SHORT, lo, n)[0], dict_rows(old.short_bins, lo, n))
            case ("rebase", float(factor)):
                new.rebase(width * factor)
                old.rebase(width * factor)
            case ("mmr", float(mmr)):
                new.mmr = old.mmr = mmr
        assert_same(new, old)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=1e-3, max_value=1e6),
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=1e-300, max_value=1e300),
    st.floats(min_value=1e-3, max_value=10.0),
)
def test_every_band_gets_the_scalar_loops_masses(
    low: float, mode_at: float, width_at: float, usd: float, bin_width: float
) -> None:
    high = low + width_at * 300 * bin_width
    mode = low + mode_at * (high - low)
    ref = DictLadder(bin_width, MIX, 0.0, 0.0)
    bins: dict[int, float] = {}
    spread(ref, bins, low, mode, high, usd)
    with np.errstate(all="ignore"):
        keys, masses, longs = band_masses(
            _Bands(np.array([low]), np.array([mode]), np.array([high]), np.array([usd]), 1),
            bin_width,
        )
    assert longs == keys.size
    assert same(dict(zip(keys.tolist(), masses.tolist(), strict=True)), bins)


def test_a_band_whose_cdf_falls_takes_the_running_maximum() -> None:
    """Notional near the float limit with the peak at the band's top: past the peak the
    CDF overflows to −inf, so it falls, and the loop's running maximum — not the last
    value — decides what each later bin gets."""
    ref = DictLadder(1.0, MIX, 0.0, 0.0)
    bins: dict[int, float] = {}
    spread(ref, bins, 1000.0, 1039.9999999, 1040.0, 1e300)
    with np.errstate(all="ignore"):
        keys, masses, _ = band_masses(
            _Bands(
                np.array([1000.0]),
                np.array([1039.9999999]),
                np.array([1040.0]),
                np.array([1e300]),
                1,
            ),
            1.0,
        )
    assert same(dict(zip(keys.tolist(), masses.tolist(), strict=True)), bins)
