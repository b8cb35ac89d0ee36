"""The estimated liquidation ladder of one symbol (docs/design.md § Liquidation ladder).

Model, in the order the detector applies it:

* **Grid.** Absolute price bins of a fixed width, chosen from the first price
  seen (``bin_pct`` of it, rounded to a multiple of the tick). Ordinary moves
  keep it; only a grid 20× off its intended share of price (a bad first tick)
  is re-based onto a fitting width, every level keeping its notional
  (``Ladder.rebase``). Bin ``k`` covers ``[k·w, (k+1)·w)``.
* **Attribution.** At each open-interest sample the interval since the last one
  is attributed (a polled venue: every sample; one streaming OI: once a second).
  What enters is the interval's *turnover* — ``turnover_share`` of its traded
  amount re-opens positions, since positions open by trading — plus its change in
  open interest, a fall taking from it (``ladder_upkeep.opened_and_closed``: of V
  traded while open interest changed by ΔOI, V + ΔOI opened); meanwhile every
  level held decays by ``exp(−elapsed / position_lifetime_s)``: positions have
  finite lives, so old levels fade and hours of open-interest noise do not pile
  up (``expire``). What enters is split into longs and shorts by the interval's
  *taker-buy share*, forced closes the venue printed left out: the side that paid
  the spread to open is taken to be the side that grew. This is a modelling
  choice, not an observation — every new contract has one long and one short,
  and the passive side is unknown; the taker share is the only public hint of
  which side was eager, and over many intervals it spreads estimates in
  proportion to flow imbalance rather than putting everything on one side.
* **Spread, not spikes.** Entries are spread over the interval's traded range
  (a triangular distribution on its low–high whose mean is the VWAP), not put at
  one price, and each leverage of the mix over a log-normal kernel of
  neighbouring leverages (``leverage_kernel``, σ ``leverage_spread`` in
  ln(leverage)), each kernel node standing for the leverages half-way to its
  neighbours (``cell``): real traders enter across the range and pick 7×, 33×
  or 75× as well as the round numbers, so the money sits in bands.
* **Leverage mix.** Each side's new notional is spread over the configured
  leverages; leverages above the market's maximum fold into the maximum.
* **Projection** (isolated margin, one-way mode, fees ignored, first-tier MMR):
  ``long LP = EP·(1 − 1/L)/(1 − MMR)``, ``short LP = EP·(1 + 1/L)/(1 + MMR)``.
* **Consumption.** Venues liquidate on the mark price: a long bin is consumed
  once the mark is inside or below it, a short bin once the mark is inside or
  above it. Consumed notional is reported (the detector marks it "hit").
* **Removal.** When open interest falls by more than the interval traded (and
  than the forced closes printed), the ladder loses the *fraction* of open
  interest that closed beyond them, not its USD amount — it holds only the
  exposure opened since tracking began. Longs lose that fraction tilted by the
  interval's taker-*sell* share (longs close by selling), shorts by its
  taker-*buy* share, each spread over that side's bins in proportion to their
  notional (``remove_closed_fraction``).
* **Pruning.** Bins further than ``prune_pct`` from price are dropped, which
  bounds memory whatever the run length.

Notional is conserved: ``added == held + consumed + removed + pruned`` (up to
float rounding; expiry counts as removed), which the property tests check.
What is added is the attributed USD amount (ΔOI and turnover at the interval's
prices), spread without loss: the last bin of a band takes the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scalptui.detector.ladder_bins import (
    MAX_BIN as _MAX_BIN,
)
from scalptui.detector.ladder_bins import (
    FloatArray,
    IntArray,
    SideBins,
    bins_of,
    running_sum,
)
from scalptui.detector.params import LeverageShare
from scalptui.models import Side


def long_liquidation_price(entry: float, leverage: float, mmr: float) -> float:
    """Isolated one-way long: the mark price at which margin falls to maintenance."""
    return entry * (1.0 - 1.0 / leverage) / (1.0 - mmr)


def short_liquidation_price(entry: float, leverage: float, mmr: float) -> float:
    """Isolated one-way short: the mark price at which margin falls to maintenance."""
    return entry * (1.0 + 1.0 / leverage) / (1.0 + mmr)


def fold_leverage_mix(
    mix: tuple[LeverageShare, ...], max_leverage: float | None
) -> tuple[LeverageShare, ...]:
    """Fold leverages above the market's maximum into it; drop unusable buckets; renormalise.

    A bucket at or below 1× has no liquidation price and is ignored; shares are
    rescaled to sum to 1 so a hand-written mix that does not add up still
    conserves notional.
    """
    merged: dict[float, float] = {}
    for bucket in mix:
        if not (bucket.leverage > 1.0 and bucket.share > 0.0):
            continue
        leverage = bucket.leverage
        if max_leverage is not None and max_leverage > 1.0 and leverage > max_leverage:
            leverage = max_leverage
        merged[leverage] = merged.get(leverage, 0.0) + bucket.share
    total = sum(merged.values())
    if total <= 0.0:
        return ()
    return tuple(LeverageShare(lev, share / total) for lev, share in sorted(merged.items()))


MAX_LEVERAGE_SPREAD = 2.0
"""A wider kernel is taken as this one (±2 σ is then a factor of 50 either way)."""
KERNEL_STEP = 1.0
KERNEL_STEPS = tuple(KERNEL_STEP * i for i in range(-2, 3))
"""Nodes of the leverage kernel, in σ of ln(leverage) around each mode."""
_KERNEL_WEIGHTS = tuple(math.exp(-0.5 * z * z) for z in KERNEL_STEPS)


def leverage_kernel(
    mix: tuple[LeverageShare, ...], spread: float, max_leverage: float | None
) -> tuple[LeverageShare, ...]:
    """The folded mix with each leverage smeared log-normally over its neighbours.

    Each mode ``L`` (after ``fold_leverage_mix``) becomes nodes at ``L·exp(spread·z)``
    for ``z`` in ``KERNEL_STEPS`` (±2 σ), weighted by the normal density of ``z``. A
    node at or below 1× or above the market's maximum is dropped and its mode's
    weight renormalised over the rest — the tail beyond the maximum would otherwise
    pile up at the maximum, a spike no trader chose. ``spread`` 0 gives the folded
    mix unchanged. Shares sum to 1.
    """
    folded = fold_leverage_mix(mix, max_leverage)
    if not (spread > 0.0):
        return folded
    spread = min(spread, MAX_LEVERAGE_SPREAD)
    cap = max_leverage if max_leverage is not None and max_leverage > 1.0 else math.inf
    merged: dict[float, float] = {}
    for mode in folded:
        nodes = [
            (mode.leverage * math.exp(spread * z), w)
            for z, w in zip(KERNEL_STEPS, _KERNEL_WEIGHTS, strict=True)
        ]
        usable = [(lev, w) for lev, w in nodes if 1.0 < lev <= cap * (1.0 + 1e-12)]
        if not usable:
            usable = [(mode.leverage, 1.0)]
        weight = sum(w for _, w in usable)
        for lev, w in usable:
            key = round(lev, 9)
            merged[key] = merged.get(key, 0.0) + mode.share * w / weight
    return tuple(LeverageShare(lev, share) for lev, share in sorted(merged.items()))


_LOWEST_LEVERAGE = 1.05
"""A widened leverage cell never reaches below this (1× has no liquidation price)."""

MAX_SPREAD_BINS = 400
MAX_BAND_BINS = 4_000
"""The most bins one leverage's band may cover. A band spans its entry range times the
leverage's spread (a 1.05× long reaches 95 % below price: ~1 000 bins of 0.1 %); a grid
made at a far lower price (bins far narrower than 0.1 % of the price now) would make
that millions of bins — one bad print must never cost memory, so such a band
collapses to its most likely bin."""
"""An entry range wider than this many bins (a corrupt bar) is attributed at its VWAP."""


def triangular_cdf(x: float, low: float, mode: float, high: float) -> float:
    """P(X ≤ x) for the triangular distribution on [low, high] peaking at ``mode``.

    Worked in shares of the range, so that no square of a price can overflow.
    """
    if x <= low:
        return 0.0
    if x >= high:
        return 1.0
    span = high - low
    t = min(1.0, (x - low) / span)
    peak = min(1.0, max(0.0, (mode - low) / span))
    if t <= peak:
        return t * t / peak
    return 1.0 - (1.0 - t) ** 2 / (1.0 - peak)


def entry_mode(vwap: float, low: float, high: float) -> float:
    """The peak of a triangular distribution on [low, high] whose mean is ``vwap``
    (mean = (low + mode + high) / 3), kept inside the range."""
    return min(high, max(low, 3.0 * vwap - low - high))


MIN_WIDTH = 1e-300
"""Narrowest grid: a subnormal or zero-sized first price gets this (a grid so far off any real
price that the detector re-fits it at the first open-interest change)."""


def bin_width_for(price: float, bin_pct: float, tick_size: float | None) -> float:
    """``bin_pct`` of ``price`` rounded to a tick multiple (two significant digits if no tick).

    Always a finite, positive width, whatever the price: a subnormal first price
    (1e-320) would make the rounding unit underflow to zero.
    """
    raw = price * bin_pct
    if not (0.0 < raw < math.inf):
        return 1.0
    if tick_size is not None and 0.0 < tick_size < math.inf:
        steps = raw / tick_size
        if steps < 2.0**53:
            return max(tick_size, round(steps) * tick_size)
        return raw  # already a tick multiple at float precision
    if raw < MIN_WIDTH:
        return MIN_WIDTH
    unit = 10.0 ** (math.floor(math.log10(raw)) - 1)
    width = round(raw / unit) * unit if unit > 0.0 else raw
    return width if 0.0 < width < math.inf else raw


@dataclass(frozen=True, slots=True)
class ConsumedBin:
    """One bin whose estimated notional the mark price just crossed."""

    side: Side
    index: int
    usd: float
    share_of_side: float
    """The bin's share of its side's estimated notional just before it was consumed."""


@dataclass(frozen=True, slots=True)
class _Kernel:
    """What ``add`` multiplies by (cached per mix, MMR and cell): each leverage's share,
    and per band — every leverage's long band, then its short band, in the mix's order —
    the liquidation-price factor at its leverage (the band's peak) and at the ends of its
    cell (the band's low and high end)."""

    shares: FloatArray
    mode: FloatArray
    low: FloatArray
    high: FloatArray


def _kernel(mix: tuple[LeverageShare, ...], mmr: float, cell: float) -> _Kernel:
    widen = math.exp(cell)
    longs: list[tuple[float, float, float]] = []
    shorts: list[tuple[float, float, float]] = []
    for bucket in mix:
        lev = bucket.leverage
        low_lev = max(lev / widen, min(lev, _LOWEST_LEVERAGE))
        high_lev = lev * widen
        longs.append(  # a long's level rises with leverage
            (
                long_liquidation_price(1.0, lev, mmr),
                long_liquidation_price(1.0, low_lev, mmr),
                long_liquidation_price(1.0, high_lev, mmr),
            )
        )
        shorts.append(  # a short's level falls with leverage
            (
                short_liquidation_price(1.0, lev, mmr),
                short_liquidation_price(1.0, high_lev, mmr),
                short_liquidation_price(1.0, low_lev, mmr),
            )
        )
    factors = np.array(longs + shorts, dtype=np.float64).reshape(2 * len(mix), 3).T.copy()
    return _Kernel(np.array([b.share for b in mix], dtype=np.float64), *factors)


@dataclass(frozen=True, slots=True)
class _Bands:
    """Bands to spread, one per (leverage, side) that gets any notional, in the order the
    mix lists them: the longs first, then the shorts."""

    low: FloatArray
    mode: FloatArray
    high: FloatArray
    usd: FloatArray
    longs: int
    """How many of them (the first ones) are long."""


def band_masses(bands: _Bands, width: float) -> tuple[IntArray, FloatArray, int]:
    """Every band's notional bin by bin, in the order the bins receive it; also how many of
    those (the first ones) are longs'.

    Each band is spread over the bins of [low, high] by its triangular mass (peak ``mode``):
    bin ``k`` gets ``F(top of k) − F(top of the last bin that got any)``, where F is the
    triangular CDF times the band's USD, and the last bin takes the rest, so the band's sum
    is exact; a bin whose CDF did not rise gets nothing (and is not entered). A band wider
    than ``MAX_BAND_BINS`` collapses to the bin of its mode; one within a bin goes whole to it.
    The arithmetic is the scalar loop's, operation for operation, on all bands at once.
    """
    n_bands = int(bands.usd.size)
    if n_bands == 0:
        return np.empty(0, np.int64), np.empty(0), 0
    ends = bins_of(np.concatenate((bands.low, bands.high)), width)
    first, last = ends[:n_bands], ends[n_bands:]
    wide = (last - first) > MAX_BAND_BINS
    if wide.any():
        at_mode = bins_of(bands.mode, width)
        first = np.where(wide, at_mode, first)
        last = np.where(wide, at_mode, last)
    # Each band has a slot per bin below its last one, then its last bin (the rest).
    slots = np.maximum(last - first, 0) + 1
    closing = np.cumsum(slots) - 1
    start = closing + 1 - slots
    n_slots = int(closing[-1]) + 1
    keys = np.repeat(first - start, slots)
    keys += np.arange(n_slots)
    low, usd = bands.low, bands.usd
    span = np.where(slots > 1, bands.high - low, 1.0)
    peak = (bands.mode - low) / span
    rising = np.divide(usd, peak, out=np.zeros(n_bands), where=peak > 0.0)
    falling = np.divide(usd, 1.0 - peak, out=np.zeros(n_bands), where=peak < 1.0)
    per_band = np.empty((6, n_bands))
    per_band[0], per_band[1], per_band[2] = low, span, peak
    per_band[3], per_band[4], per_band[5] = rising, falling, usd
    low_s, span_s, peak_s, rising_s, falling_s, usd_s = np.repeat(per_band, slots, axis=1)
    # The scalar loop's expressions, in its order of operations (in place where it can be).
    t = (keys + 1) * width
    t -= low_s
    t /= span_s
    cdf = 1.0 - t
    cdf *= cdf
    cdf *= falling_s
    np.subtract(usd_s, cdf, out=cdf)
    rising_s *= t * t
    np.copyto(cdf, rising_s, where=t <= peak_s)
    np.fmax(cdf, 0.0, out=cdf)  # a negative or NaN CDF never adds
    cdf[closing] = usd  # the last bin's CDF is the band's whole USD
    before = np.empty(n_slots)
    before[0] = 0.0
    before[1:] = _running_max(cdf, start, closing)[:-1]
    before[start] = 0.0
    # A bin gets what its CDF rose above the highest before it. The last bin's CDF is the
    # band's USD, more than nothing: a band whose other bins got none goes whole to it.
    got = cdf > before
    np.subtract(cdf, before, out=cdf)
    longs = int(np.count_nonzero(got[: closing[bands.longs - 1] + 1])) if bands.longs else 0
    return keys[got], cdf[got], longs


def _running_max(values: FloatArray, start: IntArray, closing: IntArray) -> FloatArray:
    """Running maximum of ``values`` within each band (bands start at ``start``; what
    follows a band's ``closing`` slot is never read).

    A band's CDF never falls but by rounding where its two halves meet, so the values
    themselves are the answer unless some band falls somewhere; only those are redone.
    """
    falls = values[1:] < values[:-1]
    falls[start[1:] - 1] = False  # a new band may start lower
    falls[closing[closing > 0] - 1] = False  # the closing slot's value is never carried
    if not falls.any():
        return values
    out = values.copy()
    ends = np.append(start[1:], values.size)
    where = np.searchsorted(start, np.flatnonzero(falls) + 1, "right") - 1
    for i in np.unique(where).tolist():
        out[start[i] : ends[i]] = np.maximum.accumulate(values[start[i] : ends[i]])
    return out


class Ladder:
    """Estimated liquidation notional (USD) per absolute price bin, for longs and shorts."""

    __slots__ = (
        "_cell",
        "_kernel",
        "_long",
        "_mix",
        "_mmr",
        "_short",
        "added",
        "consumed",
        "long_top",
        "pruned",
        "removed",
        "short_bottom",
        "width",
    )

    def __init__(
        self, width: float, mix: tuple[LeverageShare, ...], mmr: float, cell: float = 0.0
    ) -> None:
        self.width = width
        self._mix = mix
        self._mmr = mmr
        # Half-width in ln(leverage) each leverage of the mix stands for (a kernel node
        # covers the leverages half-way to its neighbours); 0: exactly that leverage.
        self._cell = min(cell, 1.0) if cell > 0.0 else 0.0
        self._kernel: _Kernel | None = None
        self._long = SideBins()
        self._short = SideBins()
        # Highest long bin and lowest short bin, so the per-event check is one compare.
        self.long_top: int | None = None
        self.short_bottom: int | None = None
        self.added = 0.0
        self.consumed = 0.0
        self.removed = 0.0
        self.pruned = 0.0

    # The leverage mix and MMR apply to exposure added from the moment they are set.
    @property
    def mix(self) -> tuple[LeverageShare, ...]:
        return self._mix

    @mix.setter
    def mix(self, mix: tuple[LeverageShare, ...]) -> None:
        self._mix = mix
        self._kernel = None

    @property
    def mmr(self) -> float:
        return self._mmr

    @mmr.setter
    def mmr(self, mmr: float) -> None:
        self._mmr = mmr
        self._kernel = None

    # ------------------------------------------------------------------ queries

    @property
    def long_bins(self) -> dict[int, float]:
        """Long bin → USD (a copy, in the order the bins were entered)."""
        return self._long.as_dict()

    @property
    def short_bins(self) -> dict[int, float]:
        """Short bin → USD (a copy, in the order the bins were entered)."""
        return self._short.as_dict()

    def bin_of(self, price: float) -> int:
        q = price / self.width
        if -_MAX_BIN < q < _MAX_BIN:
            return math.floor(q)
        # An absurd price (a corrupt bar, a 1e-300 tick) must not raise: pin it to the far end.
        return _MAX_BIN if q > 0 else -_MAX_BIN

    def long_total(self) -> float:
        return self._long.total()

    def short_total(self) -> float:
        return self._short.total()

    def held(self) -> float:
        return self.long_total() + self.short_total()

    def rows(self, side: Side, lo: int, n: int) -> tuple[list[float], int | None, int | None]:
        """One side's notional in snapshot rows (row 0 and n + 1 sum what lies below bin
        ``lo`` and above bin ``lo + n − 1``), and the side's lowest and highest bin."""
        bins = self._long if side is Side.LONG else self._short
        return bins.rows(lo, n), bins.lowest(), bins.highest()

    def crossed(self, price: float) -> bool:
        """Whether ``price`` reaches any held level (the cheap per-event test)."""
        # floor(q) ≤ top ⇔ q < top + 1 and floor(q) ≥ bottom ⇔ q ≥ bottom: no floor() of
        # an infinite quotient (an absurd price on a fine grid) can raise here.
        q = price / self.width
        return (self.long_top is not None and q < self.long_top + 1) or (
            self.short_bottom is not None and q >= self.short_bottom
        )

    # ------------------------------------------------------------------ changes

    def add(
        self,
        entry: float,
        usd: float,
        long_share: float,
        low: float | None = None,
        high: float | None = None,
    ) -> None:
        """New exposure of ``usd`` entered at ``entry``; ``long_share`` of it is long.

        With the interval's traded range ``low``–``high`` the entries are spread over
        it (triangular, mean ``entry``: see ``entry_mode``); each leverage's levels
        then cover the range projected through that leverage — widened, with a
        ``cell``, to the leverages from ``L·e^-cell`` to ``L·e^cell``, so that a kernel
        of discrete nodes makes a continuous band, not a comb. Without a range, or
        with one that makes no sense, everything enters at ``entry``.
        """
        if not (entry > 0.0 and usd > 0.0) or math.isinf(entry) or math.isinf(usd):
            return
        if not self._mix:
            return
        long_share = min(1.0, max(0.0, long_share))
        lo, hi = self._entry_range(entry, low, high)
        mode = entry_mode(entry, lo, hi)
        # Absurd inputs (a corrupt bar) may overflow to inf or NaN, as the scalar model did
        # silently; numpy must not print warnings over the terminal.
        with np.errstate(all="ignore"):
            self._add_bands(lo, mode, hi, usd, long_share)

    def _add_bands(self, lo: float, mode: float, hi: float, usd: float, long_share: float) -> None:
        kernel = self._kernel
        if kernel is None:
            kernel = self._kernel = _kernel(self._mix, self._mmr, self._cell)
        part = usd * kernel.shares
        long_part = part * long_share
        short_part = part - long_part
        band_usd = np.concatenate((long_part, short_part))
        gets = band_usd > 0.0
        every = bool(gets.all())
        n_mix = int(part.size)
        if every:
            bands = _Bands(lo * kernel.low, mode * kernel.mode, hi * kernel.high, band_usd, n_mix)
        else:
            bands = _Bands(
                lo * kernel.low[gets],
                mode * kernel.mode[gets],
                hi * kernel.high[gets],
                band_usd[gets],
                int(np.count_nonzero(gets[:n_mix])),
            )
        keys, masses, n_long = band_masses(bands, self.width)
        if n_long:
            self._long.add(keys[:n_long], masses[:n_long])
            self.long_top = self._long.highest()
        if n_long < keys.size:
            self._short.add(keys[n_long:], masses[n_long:])
            self.short_bottom = self._short.lowest()
        # Added per leverage, long then short, as the parts were.
        parts = np.empty(2 * n_mix)
        parts[0::2], parts[1::2] = long_part, short_part
        self.added = running_sum(self.added, parts if every else parts[parts > 0.0])

    def _entry_range(
        self, entry: float, low: float | None, high: float | None
    ) -> tuple[float, float]:
        """The range entries are spread over: ``low``–``high`` if it holds ``entry`` and
        spans at most ``MAX_SPREAD_BINS`` bins, else the single price ``entry``."""
        if low is None or high is None or not (0.0 < low <= entry <= high < math.inf):
            return entry, entry
        if (high - low) / self.width > MAX_SPREAD_BINS:
            return entry, entry
        return low, high

    def consume(self, price: float) -> list[ConsumedBin]:
        """Remove every level the price has crossed; returns what was consumed, nearest first."""
        k = self.bin_of(price)
        out: list[ConsumedBin] = []
        if self.long_top is not None and k <= self.long_top:
            total = self._long.total()
            keys, values = self._long.drop_from(k)
            out.extend(self._consumed(Side.LONG, keys, values, total))
            self.long_top = self._long.highest()
        if self.short_bottom is not None and k >= self.short_bottom:
            total = self._short.total()
            keys, values = self._short.drop_to(k)
            out.extend(self._consumed(Side.SHORT, keys, values, total))
            self.short_bottom = self._short.lowest()
        return out

    def _consumed(
        self, side: Side, keys: IntArray, values: FloatArray, total: float
    ) -> list[ConsumedBin]:
        out: list[ConsumedBin] = []
        for i, usd in zip(keys.tolist(), values.tolist(), strict=True):
            self.consumed += usd
            out.append(ConsumedBin(side, i, usd, usd / total if total > 0.0 else 0.0))
        return out

    def remove(self, long_usd: float, short_usd: float) -> None:
        """Closed exposure: take these USD amounts from each side, pro rata to bin notional."""
        with np.errstate(all="ignore"):  # absurd notional may overflow, silently as before
            self.removed += self._long.scale_down(long_usd)
            self.removed += self._short.scale_down(short_usd)
        self.long_top = self._long.highest()
        self.short_bottom = self._short.lowest()

    def expire(self, fraction: float) -> None:
        """Positions closed by turnover: every level loses ``fraction`` of its notional
        (counted as removed)."""
        if not (fraction > 0.0):
            return
        fraction = min(fraction, 1.0)
        self.remove(self.long_total() * fraction, self.short_total() * fraction)

    def rebase(self, width: float) -> None:
        """Move every level onto a grid of another width (notional kept, bin by bin).

        Only for a grid that no longer fits the price at all (a bad first tick,
        or a listing whose price changed by an order of magnitude); ordinary
        moves never re-base.
        """
        if not (width > 0.0) or math.isinf(width):
            return
        old = self.width
        self.width = width
        sides = []
        for bins in (self.long_bins, self.short_bins):
            moved: dict[int, float] = {}
            for k, usd in bins.items():
                i = self.bin_of((k + 0.5) * old)  # pinned, never raised, if absurd
                moved[i] = moved.get(i, 0.0) + usd
            sides.append(SideBins.from_dict(moved))
        self._long, self._short = sides
        self.long_top = self._long.highest()
        self.short_bottom = self._short.lowest()

    def prune(self, price: float, prune_pct: float) -> None:
        """Drop bins further than ``prune_pct`` of ``price`` away (memory bound)."""
        lo = self.bin_of(price * (1.0 - prune_pct))
        hi = self.bin_of(price * (1.0 + prune_pct))
        with np.errstate(all="ignore"):  # absurd notional may overflow, silently as before
            for bins in (self._long, self._short):
                self.pruned = running_sum(self.pruned, bins.drop_outside(lo, hi))
        self.long_top = self._long.highest()
        self.short_bottom = self._short.lowest()


def remove_closed_fraction(
    ladder: Ladder, closed: float, previous: float, buy_share: float
) -> None:
    """Open interest fell by ``closed`` (base units) from ``previous``.

    The ladder loses the *fraction* of open interest that closed, not its USD
    amount: it holds only the exposure opened since tracking began (a day of
    history is a few percent of a major's open interest) while closes come from
    every open position, so removing the full USD amount would empty the ladder
    at the first flush. Longs lose that fraction tilted by the interval's
    taker-sell share (2 × share, so balanced flow removes exactly the fraction),
    shorts by its taker-buy share; each side is spread over its levels by notional.
    """
    if not (previous > 0.0 and closed > 0.0):
        return
    fraction = min(closed / previous, 1.0)
    ladder.remove(
        ladder.long_total() * min(fraction * 2.0 * (1.0 - buy_share), 1.0),
        ladder.short_total() * min(fraction * 2.0 * buy_share, 1.0),
    )
