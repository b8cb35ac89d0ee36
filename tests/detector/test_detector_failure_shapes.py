"""The three ways the detector cried wolf or went deaf on unseen markets (issue 9).

Each story is a small deterministic tape: an hour of calm so σ, the ordinary range
and the baselines are a real session's, then the shape that used to fail — on a
sampled venue (Binance: at most one print a second), where a print is a lower bound.
"""

from __future__ import annotations

from _detector_market import FORCED, btc_tape, fact, kinds, run, sol_tape

from scalptui.models import AlertKind, Liquidation, Side

HOUR = 3700


def test_small_chains_on_a_crash_path_stay_silent_and_a_precursor_hides_no_crash() -> None:
    """Three small chains ($85k–$170k printed, 3–12 prints, −1.4 % to −1.8 %), then a
    $129k precursor 40 s before the real cascade (a print every second for 18 s, −6 %):
    no line for the ripples, and the crash is reported within 5 s however the
    precursor was judged."""
    tape = sol_tape()
    tape.calm(HOUR, liq_every_s=40, liq_usd=2_000)
    ripples = []
    for seconds, move, usd, every in (
        (3, -0.014, 28_000, 1),
        (24, -0.018, 14_000, 2),
        (12, -0.016, 20_000, 2),
    ):
        start = tape.ts
        tape.forced_move(seconds, move, Side.LONG, usd, flow_mult=2.0, print_every_s=every)
        ripples.append((start, tape.ts + 60_000))
        tape.calm(240, liq_every_s=40, liq_usd=2_000)
    tape.forced_move(8, -0.012, Side.LONG, 26_000, flow_mult=2.0, print_every_s=2)  # the precursor
    tape.calm(40)
    crash = tape.ts
    tape.forced_move(18, -0.06, Side.LONG, 60_000, flow_mult=8.0)
    tape.quiet(90)
    _, alerts = run(tape.events)

    cascades = kinds(alerts, *FORCED)
    assert all(a.kind is AlertKind.LIQUIDATION_CASCADE for a in cascades)
    assert [a for a in cascades if any(lo <= a.ts <= hi for lo, hi in ripples)] == []
    on_crash = [a for a in cascades if crash <= a.ts <= crash + 18_000]
    assert len(on_crash) == 1, "the crash must be reported once"
    assert on_crash[0].ts - crash <= 5_000, on_crash[0].ts - crash
    assert fact(on_crash[0], "price_move_pct") < -1.0


def test_a_calm_major_with_a_few_short_prints_raises_no_squeeze() -> None:
    """Calm simulated BTC: $520k of short prints in 8 prints over 58 s while price
    drifts +0.5 % — an ordinary move with a handful of prints."""
    tape = btc_tape(seed=5)
    tape.calm(HOUR, liq_every_s=30, liq_usd=20_000)
    tape.forced_move(58, 0.005, Side.SHORT, 70_000, flow_mult=1.3, print_every_s=7)
    tape.calm(300, liq_every_s=30, liq_usd=20_000)
    _, alerts = run(tape.events)
    printed = [e for e in tape.events if isinstance(e, Liquidation) and e.side is Side.SHORT]
    assert sum(e.notional for e in printed[-9:]) > 500_000
    assert kinds(alerts, *FORCED) == []


def test_three_prints_on_a_squeeze_path_raise_no_squeeze() -> None:
    """An alt rising +1.6 % in 30 s with three short prints, $162k in all."""
    tape = sol_tape(seed=4)
    tape.calm(HOUR, liq_every_s=40, liq_usd=2_000)
    tape.calm(10, drift=0.016 / 30)
    tape.forced_move(3, 0.005, Side.SHORT, 54_000, flow_mult=2.0)
    tape.calm(17, drift=0.016 / 30)
    tape.calm(300, liq_every_s=40, liq_usd=2_000)
    _, alerts = run(tape.events)
    assert kinds(alerts, *FORCED) == []
