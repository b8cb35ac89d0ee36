"""Fixed-capacity numpy ring buffers for time series.

A ``RingBuffer`` holds one int64 timestamp column and any number of float64
value columns. Appending is O(1) amortised: rows wait in a short Python list
(a numpy item write costs about a microsecond, a list append a twentieth of
that) and are written in one vectorised step when the list fills or before
any read. Each row is stored twice, at ``i`` and at ``i + capacity`` of arrays
twice the capacity long, so the last ``capacity`` rows are always one
contiguous, chronological slice. Window queries then need
no copy and no Python loop: ``searchsorted`` on the timestamps finds the
window, numpy reduces it.

Timestamps must be appended in non-decreasing order (the detector appends one
row per closed second of its own monotonic clock).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class RingBuffer:
    """A bounded, chronological table: ``ts`` plus named float columns."""

    __slots__ = ("_capacity", "_cols", "_count", "_index", "_names", "_pending", "_ts")

    FLUSH_AT = 64

    def __init__(self, capacity: int, columns: tuple[str, ...]) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._capacity = capacity
        self._names = {name: i for i, name in enumerate(columns)}
        self._ts: IntArray = np.zeros(2 * capacity, dtype=np.int64)
        self._cols: FloatArray = np.zeros((len(columns), 2 * capacity), dtype=np.float64)
        self._index = 0  # next write position in [0, capacity)
        self._count = 0  # rows written to the arrays, ≤ capacity
        self._pending: list[tuple[int, tuple[float, ...]]] = []

    def __len__(self) -> int:
        return min(self._capacity, self._count + len(self._pending))

    def append(self, ts: int, values: tuple[float, ...]) -> None:
        """Add one row (values in column order); the oldest row drops out when full."""
        self._pending.append((ts, values))
        if len(self._pending) >= self.FLUSH_AT:
            self._flush()

    def _flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        rows = pending[-self._capacity :]
        self._pending = []
        m = len(rows)
        cap = self._capacity
        if m <= 8:  # a few rows: item writes beat building index arrays
            ts_arr, cols = self._ts, self._cols
            i = self._index
            for ts, row in rows:
                ts_arr[i] = ts
                ts_arr[i + cap] = ts
                cols[:, i] = row
                cols[:, i + cap] = row
                i = i + 1 if i + 1 < cap else 0
            self._index = i
            self._count = min(cap, self._count + m)
            return
        pos = (self._index + np.arange(m)) % cap
        stamps = np.fromiter((r[0] for r in rows), dtype=np.int64, count=m)
        values = np.array([r[1] for r in rows], dtype=np.float64).T
        self._ts[pos] = stamps
        self._ts[pos + cap] = stamps
        self._cols[:, pos] = values
        self._cols[:, pos + cap] = values
        self._index = (self._index + m) % cap
        self._count = min(cap, self._count + m)

    def _bounds(self) -> tuple[int, int]:
        """Start and end (exclusive) of the chronological slice in the doubled arrays."""
        self._flush()
        if self._count < self._capacity:
            return 0, self._count
        return self._index, self._index + self._capacity

    def timestamps(self) -> IntArray:
        """All held timestamps, oldest first (a view: do not keep it across appends)."""
        lo, hi = self._bounds()
        return self._ts[lo:hi]

    def column(self, name: str) -> FloatArray:
        """All held values of one column, oldest first (a view)."""
        lo, hi = self._bounds()
        return self._cols[self._names[name], lo:hi]

    def block(self) -> FloatArray:
        """All held rows of every column, (columns × rows), oldest first (a view)."""
        lo, hi = self._bounds()
        return self._cols[:, lo:hi]

    def index_of(self, name: str) -> int:
        return self._names[name]

    def window(self, start_ts: int, end_ts: int | None = None) -> slice:
        """Index slice (into ``timestamps()`` / ``column()``) of rows with start ≤ ts < end."""
        ts = self.timestamps()
        lo = int(np.searchsorted(ts, start_ts, side="left"))
        hi = len(ts) if end_ts is None else int(np.searchsorted(ts, end_ts, side="left"))
        return slice(lo, max(lo, hi))

    def window_sum(self, name: str, start_ts: int, end_ts: int | None = None) -> float:
        return float(self.column(name)[self.window(start_ts, end_ts)].sum())

    def value_at_or_before(self, name: str, ts: int) -> float | None:
        """The value of the latest row with timestamp ≤ ``ts`` (None if there is none)."""
        stamps = self.timestamps()
        i = int(np.searchsorted(stamps, ts, side="right")) - 1
        if i < 0:
            return None
        return float(self.column(name)[i])
