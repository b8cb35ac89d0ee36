"""Ring buffers: bounded, chronological, and window queries equal to a naive scan."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalptui.detector.ring import RingBuffer


def test_keeps_the_last_capacity_rows_in_order() -> None:
    ring = RingBuffer(4, ("v",))
    for i in range(10):
        ring.append(i * 1000, (float(i),))
    assert len(ring) == 4
    assert ring.timestamps().tolist() == [6000, 7000, 8000, 9000]
    assert ring.column("v").tolist() == [6.0, 7.0, 8.0, 9.0]


def test_empty_ring_answers_without_error() -> None:
    ring = RingBuffer(3, ("v",))
    assert len(ring) == 0 and ring.timestamps().size == 0
    assert ring.window_sum("v", 0) == 0.0
    assert ring.value_at_or_before("v", 10) is None


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RingBuffer(0, ("v",))


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 20),
    st.lists(st.tuples(st.integers(0, 3), st.floats(-1e6, 1e6)), max_size=60),
    st.integers(0, 200),
    st.integers(0, 200),
)
def test_window_queries_match_a_naive_scan(
    capacity: int, steps: list[tuple[int, float]], start: int, length: int
) -> None:
    ring = RingBuffer(capacity, ("a", "b"))
    rows: list[tuple[int, float]] = []
    ts = 0
    for gap, value in steps:
        ts += gap
        ring.append(ts, (value, -value))
        rows.append((ts, value))
    kept = rows[-capacity:]
    end = start + length
    inside = [v for t, v in kept if start <= t < end]
    assert ring.window_sum("a", start, end) == pytest.approx(sum(inside), abs=1e-6)
    assert ring.window_sum("b", start, end) == pytest.approx(-sum(inside), abs=1e-6)
    assert ring.column("a")[ring.window(start, end)].tolist() == inside
    before = [v for t, v in kept if t <= start]
    assert ring.value_at_or_before("a", start) == (before[-1] if before else None)
    assert np.all(np.diff(ring.timestamps()) >= 0)


@pytest.mark.parametrize("capacity", [1, 50, 64, 100, 1000])
def test_batched_writes_across_flushes_keep_every_row(capacity: int) -> None:
    ring = RingBuffer(capacity, ("v",))
    for i in range(700):
        ring.append(i, (float(i),))
        if i % 97 == 0:  # reads in between force partial flushes
            assert ring.timestamps()[-1] == i
            assert len(ring) == min(capacity, i + 1)
    kept = list(range(700))[-capacity:]
    assert ring.timestamps().tolist() == kept
    assert ring.column("v").tolist() == [float(i) for i in kept]
