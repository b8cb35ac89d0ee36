"""A small subset of the detection benchmark, end to end through real ccxt.pro.

Only outcomes the detector already gets right are asserted here (a cascade found,
an ordinary market and a lone whale left silent); the full table, with the cases
it still fails, is ``benchmarks/bench_detection.py``.
"""

from __future__ import annotations

import dataclasses

from benchmarks._detection_cases import Case, all_cases
from benchmarks.bench_detection import run_case


def _case(name: str, minutes: float) -> Case:
    found = [case for case in all_cases() if case.name == name]
    assert len(found) == 1, name
    return dataclasses.replace(found[0], minutes=minutes)


async def test_a_simulated_cascade_is_found_once_and_in_time() -> None:
    result = await run_case(_case("cascade SOL #14", 2.5))
    must = [item for item in result.labelled if item.label == "must"]
    assert len(must) == 1 and must[0].chain.side == "long"
    assert result.printed < result.forced  # the detector saw Binance's 1/s sample only
    assert (result.detector.found, result.detector.missed) == (1, 0)
    assert (result.detector.false, result.detector.repeats) == (0, 0)
    assert result.detector.worst_latency_ms is not None
    assert result.detector.worst_latency_ms <= 5_000


async def test_ordinary_chop_raises_no_alert() -> None:
    result = await run_case(_case("calm chop ETH #52", 6))
    assert result.forced > 0  # a few over-levered positions were force-closed
    assert all(item.label == "noise" for item in result.labelled)
    assert result.detector_alerts == []


async def test_a_lone_whale_raises_no_alert() -> None:
    result = await run_case(_case("lone whale SOL #62", 3))
    whale = max(result.labelled, key=lambda item: max(c.notional for c in item.chain.closes))
    assert max(c.notional for c in whale.chain.closes) > 800_000
    assert whale.label == "noise"
    assert result.detector_alerts == []


async def test_on_bybit_the_whole_chain_is_seen_and_found_within_three_seconds() -> None:
    """The same simulated cascade through ccxt.pro on the simulator's Bybit v5:
    ``allLiquidation`` sends every forced close, and the pacing waits for them."""
    result = await run_case(_case("cascade SOL #14", 2.5), "bybit")
    assert result.exchange == "bybit"
    assert result.timeouts == 0
    # every forced close up to the last 500 ms batch reached the detector (the feed
    # drops an item equal to the one before it: same ms, price and size)
    assert result.forced - 5 <= result.printed <= result.forced
    assert (result.detector.found, result.detector.missed) == (1, 0)
    assert (result.detector.false, result.detector.repeats) == (0, 0)
    assert result.detector.worst_latency_ms is not None
    assert result.detector.worst_latency_ms <= 3_000
