"""One side of a ladder as arrays: the bins held and their notional.

A ladder side used to be a ``dict`` of bin → USD, updated bin by bin in Python;
with open interest streamed once a second per symbol (Bybit) that loop was a
fifth of the pipeline's CPU. Here the bins are an ``int64`` array with their
``float64`` notional (and a table from bin to position), so that adding a band,
decaying every level or pruning the far ones is a handful of numpy calls.

The results stay *bit-identical* to the dictionary: the arrays keep the order in
which the dictionary entered its bins, every sum is taken in that order with the
same association (left to right, as its ``+=`` loops and the built-in ``sum``
did), and the notional several bands add to one bin is added in the same
sequence (``np.add.at`` is unbuffered: repeated indices are applied one after
another, in order). ``tests/detector/test_detector_ladder_reference.py`` holds
the dictionary ladder and checks it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

MAX_BIN = 2**62
"""Where ``bin_of`` pins an absurd price (a corrupt bar, a 1e-300 tick)."""

_EMPTY_INT: IntArray = np.empty(0, np.int64)
_EMPTY_FLOAT: FloatArray = np.empty(0, np.float64)


def bins_of(prices: FloatArray, width: float) -> IntArray:
    """``Ladder.bin_of`` of every price: ``floor(price / width)``, pinned at ±``MAX_BIN``."""
    q = prices / width
    if q.size and q.min() > -MAX_BIN and q.max() < MAX_BIN:
        return np.floor(q).astype(np.int64)
    inside = (q > -MAX_BIN) & (q < MAX_BIN)
    pinned = np.where(q > 0.0, float(MAX_BIN), float(-MAX_BIN))
    return np.where(inside, np.floor(np.where(inside, q, 0.0)), pinned).astype(np.int64)


def running_sum(start: float, values: FloatArray) -> float:
    """``start + values[0] + values[1] + …`` left to right, as a ``+=`` loop adds them."""
    if values.size == 0:
        return start
    if start == 0.0 and not np.signbit(start):  # 0.0 + v is v: no need to prepend it
        return float(np.cumsum(values)[-1])
    return float(np.cumsum(np.concatenate(([start], values)))[-1])


def ordered_total(values: FloatArray) -> float:
    """The built-in ``sum`` of ``values``, as ``sum(bins.values())`` took it (the same
    association on every Python); 0.0 if none."""
    return float(sum(values.tolist())) if values.size else 0.0


MAX_TABLE = 1 << 16
"""Widest run of bins (lowest to highest, held or added) looked up through a table; a
wider one (a grid far too fine for the price, until it is re-based) is searched instead."""


class SideBins:
    """The bins of one side, in the order they were entered, with a lookup table."""

    __slots__ = ("_base", "_bounds", "_table", "_total", "keys", "values")

    def __init__(self) -> None:
        # In the order each bin was first entered (a dictionary's iteration order), so that
        # every sum over them is taken in the order the dictionary's loops took it.
        self.keys: IntArray = _EMPTY_INT
        self.values: FloatArray = _EMPTY_FLOAT
        # Position of bin ``_base + i`` in ``keys`` (−1: not held); rebuilt when bins go.
        self._table: IntArray | None = None
        self._base = 0
        self._total: float | None = None  # cached until a value changes
        self._bounds: tuple[int, int] | None = None  # lowest and highest bin, cached

    def bounds(self) -> tuple[int, int] | None:
        """The lowest and the highest bin held (None if none)."""
        if self._bounds is None and self.keys.size:
            self._bounds = (int(self.keys.min()), int(self.keys.max()))
        return self._bounds

    def lowest(self) -> int | None:
        bounds = self.bounds()
        return bounds[0] if bounds is not None else None

    def highest(self) -> int | None:
        bounds = self.bounds()
        return bounds[1] if bounds is not None else None

    def total(self) -> float:
        if self._total is None:
            self._total = ordered_total(self.values)
        return self._total

    def as_dict(self) -> dict[int, float]:
        """Bin → USD, in the order the bins were entered."""
        return dict(zip(self.keys.tolist(), self.values.tolist(), strict=True))

    @classmethod
    def from_dict(cls, bins: dict[int, float]) -> SideBins:
        side = cls()
        if bins:
            side.keys = np.fromiter(bins.keys(), np.int64, len(bins))
            side.values = np.fromiter(bins.values(), np.float64, len(bins))
        return side

    def _keep(self, mask: BoolArray) -> FloatArray:
        """Keep the bins where ``mask`` holds; the notional of the others, in order."""
        gone = ~mask
        dropped = self.values[gone]
        table = self._table
        if table is not None:  # kept bins move up; dropped ones are no longer held
            table[self.keys[gone] - self._base] = -1
        self.keys = self.keys[mask]
        self.values = self.values[mask]
        if table is not None:
            table[self.keys - self._base] = np.arange(self.keys.size)
        self._bounds = None
        self._total = None
        return dropped

    def clear(self) -> None:
        self.keys, self.values = _EMPTY_INT, _EMPTY_FLOAT
        self._table = None
        self._bounds = None
        self._total = None

    # ------------------------------------------------------------------ changes

    def add(self, keys: IntArray, usd: FloatArray) -> None:
        """Add ``usd[i]`` to bin ``keys[i]`` for each ``i`` in turn; a bin not yet held is
        entered at its first appearance."""
        if keys.size == 0:
            return
        at = self._looked_up(keys)
        if at is None:
            at = self._searched(keys)
        elif at.min() < 0:
            self._enter(keys[at < 0])
            at = self._looked_up(keys)
            assert at is not None  # the table already covered these keys
        np.add.at(self.values, at, usd)
        self._total = None

    def _looked_up(self, keys: IntArray) -> IntArray | None:
        """Where each key is held (−1: not yet) through the table; None if too wide for one."""
        lo, hi = int(keys.min()), int(keys.max())
        table = self._table
        if table is None or lo < self._base or hi >= self._base + table.size:
            held = self.bounds()
            if held is not None:
                lo, hi = min(lo, held[0]), max(hi, held[1])
            margin = (hi - lo) // 4 + 64  # room for the price to wander before a rebuild
            if hi - lo + 1 + 2 * margin > MAX_TABLE:
                self._table = None
                return None
            self._base = lo - margin
            table = np.full(hi - lo + 1 + 2 * margin, -1, np.int64)
            table[self.keys - self._base] = np.arange(self.keys.size)
            self._table = table
        return table[keys - self._base]

    def _searched(self, keys: IntArray) -> IntArray:
        """Where each key is held, by binary search (bins too far apart for a table);
        keys not yet held are entered first."""
        if self.keys.size:
            order = np.argsort(self.keys, kind="stable")
            held = self.keys[order]
            found = held[np.minimum(np.searchsorted(held, keys), held.size - 1)] == keys
            if found.all():
                return order[np.searchsorted(held, keys)]
            keys_new = keys[~found]
        else:
            keys_new = keys
        self._enter(keys_new)
        order = np.argsort(self.keys, kind="stable")
        return order[np.searchsorted(self.keys[order], keys)]

    def _enter(self, fresh: IntArray) -> None:
        """Enter new bins (0 USD) in the order they first appear in ``fresh``."""
        unique, first_seen = np.unique(fresh, return_index=True)
        new = unique[np.argsort(first_seen, kind="stable")]
        held = self.keys.size
        self.keys = np.concatenate((self.keys, new))
        self.values = np.concatenate((self.values, np.zeros(new.size)))
        self._bounds = None
        if self._table is not None:
            self._table[new - self._base] = np.arange(held, held + new.size)

    def scale_down(self, usd: float) -> float:
        """Remove ``usd`` in proportion to each bin's notional; returns what was removed."""
        if usd <= 0.0 or not self.keys.size:
            return 0.0
        total = self.total()
        if usd >= total:
            self.clear()
            return total
        factor = 1.0 - usd / total
        kept = self.values * factor
        removed = running_sum(0.0, self.values - kept)
        self.values = kept
        self._total = None
        return removed

    def drop_outside(self, lo: int, hi: int) -> FloatArray:
        """Remove bins below ``lo`` or above ``hi``; their notional in the order entered."""
        bounds = self.bounds()
        if bounds is None or (bounds[0] >= lo and bounds[1] <= hi):
            return _EMPTY_FLOAT
        return self._keep((self.keys >= lo) & (self.keys <= hi))

    def drop_from(self, k: int) -> tuple[IntArray, FloatArray]:
        """Remove the bins at ``k`` and above; their indices and notional, highest first."""
        return self._drop(self.keys >= k, highest_first=True)

    def drop_to(self, k: int) -> tuple[IntArray, FloatArray]:
        """Remove the bins at ``k`` and below; their indices and notional, lowest first."""
        return self._drop(self.keys <= k, highest_first=False)

    def _drop(self, gone: BoolArray, *, highest_first: bool) -> tuple[IntArray, FloatArray]:
        keys = self.keys[gone]
        values = self._keep(~gone)  # the dropped notional, in the order entered
        nearest = np.argsort(keys, kind="stable")
        if highest_first:
            nearest = nearest[::-1]
        return keys[nearest], values[nearest]

    # ------------------------------------------------------------------ rows

    def rows(self, lo: int, n: int) -> list[float]:
        """Notional per snapshot row: row 0 sums the bins below ``lo``, rows 1..n are bins
        ``lo``..``lo + n − 1``, row n + 1 sums the bins above (each edge in the order entered)."""
        out = np.zeros(n + 2)
        keys = self.keys
        if not keys.size:
            return out.tolist()
        below = keys < lo
        above = keys >= lo + n
        inside = ~(below | above)
        out[keys[inside] - (lo - 1)] = 0.0 + self.values[inside]
        out[0] = running_sum(0.0, self.values[below])
        out[n + 1] = running_sum(0.0, self.values[above])
        return out.tolist()
