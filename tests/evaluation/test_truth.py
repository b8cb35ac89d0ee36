"""The evaluation's rules on hand-made inputs: chains, labels, legs, scoring, the peer."""

from __future__ import annotations

from benchmarks._detection_truth import (
    AlertRecord,
    Close,
    NaivePeer,
    Print,
    chains,
    floor_for,
    label,
    label_all,
    score,
)

ALT = 250_000.0


def _burst(
    start: int, count: int, usd: float, side: str = "long", every: int = 1000
) -> list[Close]:
    return [Close(start + k * every, side, usd) for k in range(count)]  # type: ignore[arg-type]


def test_chains_split_at_gaps_over_30_s_and_by_side() -> None:
    closes = [
        Close(0, "long", 1.0),
        Close(30_000, "long", 1.0),  # exactly 30 s: same chain
        Close(60_001, "long", 1.0),  # 30.001 s: a new one
        Close(10_000, "short", 1.0),
    ]
    found = chains(closes)
    assert [(c.side, c.start, len(c.closes)) for c in found] == [
        ("long", 0, 2),
        ("short", 10_000, 1),
        ("long", 60_001, 1),
    ]


def test_floors_per_symbol_class() -> None:
    assert floor_for("BTC/USDT:USDT") == 2_000_000.0
    assert floor_for("eth/USDT:USDT") == 2_000_000.0
    assert floor_for("FIL/USDT:USDT") == 250_000.0


def test_must_report_needs_four_floors_without_the_largest_and_twenty_closes() -> None:
    # 21 closes of $50k in 21 s: window minus largest = $1.0M = 4 × $250k, count 21
    item = label(chains(_burst(0, 21, 50_000.0))[0], ALT)
    assert item.label == "must"
    assert item.must_at == 20_000
    assert item.peak_usd == 1_000_000.0
    assert item.peak_closes == 21
    # one close fewer: $950k → ambiguous
    assert label(chains(_burst(0, 20, 50_000.0))[0], ALT).label == "ambiguous"


def test_a_lone_whale_is_not_a_cascade() -> None:
    whale = [Close(0, "long", 50_000_000.0), *_burst(1000, 4, 10_000.0)]
    item = label(chains(whale)[0], ALT)
    assert item.label == "noise"
    assert item.peak_usd == 40_000.0


def test_many_small_closes_below_the_floor_are_noise_and_few_large_ones_ambiguous() -> None:
    assert label(chains(_burst(0, 40, 5_000.0))[0], ALT).label == "noise"  # $195k
    assert label(chains(_burst(0, 5, 80_000.0))[0], ALT).label == "ambiguous"  # $320k, 5
    assert label(chains(_burst(0, 4, 200_000.0))[0], ALT).label == "noise"  # only 4 closes


def test_a_slow_bleed_is_judged_by_its_densest_minute() -> None:
    # $30k every 5 s for ten minutes: $4.3M in all, but $330k in any minute
    item = label(chains(_burst(0, 120, 30_000.0, every=5000))[0], ALT)
    assert item.label == "ambiguous"
    assert item.peak_usd == 330_000.0


def test_a_later_leg_three_times_the_first_minute_is_a_new_leg() -> None:
    first = _burst(0, 25, 50_000.0)
    lull = _burst(25_000, 60, 10_000.0)  # keeps the chain alive; the first leg's
    # first minute (20–80 s) peaks at $1.55M (the burst and the start of the lull)
    second = _burst(85_000, 100, 60_000.0, every=400)  # $6M in 40 s: ≥ 3 × $1.55M
    item = label(chains(first + lull + second)[0], ALT)
    assert item.label == "must"
    assert len(item.legs) == 2
    assert item.legs[0] == 20_000
    assert 85_000 < item.legs[1] < 125_000


def test_score_found_missed_false_repeats_and_latency() -> None:
    must = _burst(0, 25, 50_000.0)  # crosses must-report at 20 s, ends at 24 s
    ambiguous = _burst(200_000, 6, 60_000.0, side="short")
    missed = _burst(400_000, 25, 50_000.0)
    labelled = label_all(must + ambiguous + missed, ALT)
    assert [item.label for item in labelled] == ["must", "ambiguous", "must"]
    alerts = [
        AlertRecord(23_000, "long"),  # found, 3 s after crossing
        AlertRecord(40_000, "long"),  # a repeat within the same leg
        AlertRecord(230_000, "short"),  # matches the ambiguous chain: neutral
        AlertRecord(300_000, "long"),  # matches nothing: false
        AlertRecord(100_000, "short"),  # wrong side for the first chain: false
    ]
    result = score(labelled, alerts)
    assert (result.must, result.found, result.missed) == (2, 1, 1)
    assert (result.false, result.repeats) == (2, 1)
    assert result.latency_ms == [3_000]
    assert result.latency_start_ms == [23_000]
    assert (result.legs, result.legs_found) == (2, 1)


def test_an_alert_on_a_new_chain_is_no_repeat_of_the_previous_one() -> None:
    """Two must-report chains 40 s apart: an alert on the second, while the first's
    60 s tail still matches it, finds the second and is no repeat of the first."""
    first = _burst(0, 25, 50_000.0)  # ends at 24 s
    second = _burst(64_000, 25, 50_000.0)  # starts 40 s later, crosses at 84 s
    labelled = label_all(first + second, ALT)
    assert [item.label for item in labelled] == ["must", "must"]
    alerts = [AlertRecord(22_000, "long"), AlertRecord(84_000, "long")]
    result = score(labelled, alerts)
    assert (result.found, result.missed, result.repeats, result.false) == (2, 0, 0, 0)
    again = score(labelled, [*alerts, AlertRecord(86_000, "long")])
    assert again.repeats == 1  # a second alert on the second chain's leg still is one


def test_an_alert_on_a_new_ambiguous_chain_is_no_repeat_of_the_must_chain_before() -> None:
    """An alert 5 s into an ambiguous chain that began 40 s after a reported must-report
    chain ended is about the new chain (neutral), not a repeat of the earlier one's leg."""
    must = _burst(0, 25, 50_000.0)  # ends at 24 s
    ambiguous = _burst(64_000, 6, 60_000.0)  # 40 s of silence, then $360k in 6 closes
    labelled = label_all(must + ambiguous, ALT)
    assert [item.label for item in labelled] == ["must", "ambiguous"]
    alerts = [AlertRecord(22_000, "long"), AlertRecord(69_000, "long")]
    result = score(labelled, alerts)
    assert (result.found, result.missed, result.repeats, result.false) == (1, 0, 0, 0)
    again = score(labelled, [*alerts[:1], AlertRecord(60_000, "long")])
    assert again.repeats == 1  # before the new chain began, it is the same leg again


def test_an_alert_up_to_60_s_after_the_chain_ends_still_matches_it() -> None:
    labelled = label_all(_burst(0, 25, 50_000.0), ALT)
    assert score(labelled, [AlertRecord(84_000, "long")]).found == 1
    late = score(labelled, [AlertRecord(84_001, "long")])
    assert (late.found, late.false) == (0, 1)


def test_naive_peer_needs_three_prints_over_the_floor_then_keeps_quiet() -> None:
    peer = NaivePeer(60_000.0)
    for ts, usd in ((0, 50_000.0), (1000, 50_000.0)):
        peer.on_print(Print(ts, "long", usd))
    assert peer.alerts == []  # $100k, but two prints
    peer.on_print(Print(2000, "long", 1.0))
    assert peer.alerts == [AlertRecord(2000, "long")]
    peer.on_print(Print(3000, "long", 90_000.0))  # cooling down
    peer.on_print(Print(3000, "short", 90_000.0))  # the other side is independent, one print
    assert len(peer.alerts) == 1
    for k in range(3):
        peer.on_print(Print(302_000 + k * 1000, "long", 30_000.0))
    assert peer.alerts[-1] == AlertRecord(304_000, "long")


def test_naive_peer_forgets_prints_older_than_30_s() -> None:
    peer = NaivePeer(60_000.0)
    for ts in (0, 1000, 31_001):
        peer.on_print(Print(ts, "long", 30_000.0))
    assert peer.alerts == []
