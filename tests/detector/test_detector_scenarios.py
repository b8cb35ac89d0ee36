"""Scenario tests: hand-built markets that must, or must not, raise an alert.

Each scenario starts with a little over an hour of calm so the trailing
baselines and σ are those of a real session, then plays its story.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest
from _detector_market import (
    BTC,
    EXCHANGE,
    FORCED,
    SOL,
    Tape,
    btc_tape,
    fact,
    kinds,
    run,
    sol_tape,
)

from scalptui.detector import Detector
from scalptui.models import (
    Alert,
    AlertKind,
    FeedStatus,
    Side,
    Source,
    StreamState,
    TakerSide,
    Trade,
)

HOUR = 3700  # seconds of calm before each story: a full trailing hour plus the window


def test_long_cascade_fires_once_with_the_right_kind_side_and_symbol() -> None:
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=20)
    start = tape.ts
    tape.forced_move(45, -0.015, Side.LONG, 600_000)
    tape.quiet(90)
    _, alerts = run(tape.events)
    forced = kinds(alerts, *FORCED)
    assert len(forced) == 1
    alert = forced[0]
    assert (alert.kind, alert.side, alert.symbol) == (
        AlertKind.LIQUIDATION_CASCADE,
        Side.LONG,
        BTC,
    )
    assert alert.exchange == EXCHANGE
    assert alert.ts >= start
    assert alert.facts["lower_bound"] is True
    assert fact(alert, "price_move_pct") < 0
    assert fact(alert, "prints") >= 3
    assert "Real liquidations: ≥ $" in alert.message
    assert alert.message.endswith("Informational — no trade plan.")


def test_short_squeeze_fires_once_on_an_alt() -> None:
    tape = sol_tape()
    tape.calm(HOUR, liq_every_s=20, liq_usd=3_000)
    tape.forced_move(30, 0.025, Side.SHORT, 40_000)
    tape.quiet(90)
    _, alerts = run(tape.events)
    forced = kinds(alerts, *FORCED)
    assert [(a.kind, a.side, a.symbol) for a in forced] == [
        (AlertKind.SHORT_SQUEEZE, Side.SHORT, SOL)
    ]
    assert fact(forced[0], "price_move_pct") > 0


def test_exhaustion_follows_the_chain_once_with_measured_rates() -> None:
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=20)
    tape.forced_move(45, -0.015, Side.LONG, 600_000)
    chain_end = tape.ts
    tape.quiet(120)
    _, alerts = run(tape.events)
    exhausted = kinds(alerts, AlertKind.CASCADE_EXHAUSTED)
    assert len(exhausted) == 1
    alert = exhausted[0]
    assert alert.side is Side.LONG
    hold_ms = 20_000
    assert chain_end + hold_ms <= alert.ts <= chain_end + 45_000
    assert fact(alert, "current_rate_usd_s") < 0.25 * fact(alert, "peak_rate_usd_s")
    assert fact(alert, "price_move_pct") == pytest.approx(-1.5, abs=0.5)
    assert alert.facts["episode_kind"] == "LIQUIDATION_CASCADE"
    cascade = kinds(alerts, AlertKind.LIQUIDATION_CASCADE)[0]
    assert alerts.index(cascade) < alerts.index(alert)


def test_an_episode_its_move_opened_after_the_prints_left_the_rate_window_still_ends() -> None:
    """Three large prints, then 12 s on, a fall with no more prints: the decision passes
    when the 10 s rate window is already empty. The episode opened at a peak rate of 0,
    never fell below a share of it, and stayed "in progress" for good."""
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=20)
    for _ in range(3):
        tape.liquidation(Side.LONG, 1_500_000.0)
        tape.trade(TakerSide.SELL, 300_000.0, dt_ms=300)
        tape._second_end()
    tape.quiet(12)
    step = math.log1p(-0.03) / 15
    for _ in range(15):
        tape.price *= math.exp(step)
        for k in range(4):
            tape.trade(TakerSide.SELL, 300_000.0, dt_ms=k * 200)
        tape._second_end(-0.002)
    tape.quiet(300)
    det, alerts = run(tape.events)
    assert [a.kind for a in kinds(alerts, *FORCED, AlertKind.CASCADE_EXHAUSTED)] == [
        AlertKind.LIQUIDATION_CASCADE,
        AlertKind.CASCADE_EXHAUSTED,
    ]
    assert fact(kinds(alerts, AlertKind.CASCADE_EXHAUSTED)[0], "peak_rate_usd_s") > 0
    assert det.active_episodes() == {}


def test_episode_is_visible_while_active_and_marked_exhausted_after() -> None:
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=20)
    tape.forced_move(30, -0.012, Side.LONG, 600_000)
    det, _ = run(tape.events)
    (view,) = det.active_episodes()[BTC]
    assert view.kind is AlertKind.LIQUIDATION_CASCADE
    assert view.side is Side.LONG and view.lower_bound
    assert view.prints >= 20 and view.price_move_pct < -0.5
    tape.events.clear()
    tape.quiet(40)
    run(tape.events, det)
    (view,) = det.snapshot(BTC).episodes
    assert view.kind is AlertKind.CASCADE_EXHAUSTED
    tape.events.clear()
    tape.quiet(90)
    run(tape.events, det)
    assert det.active_episodes() == {}


def test_calm_chop_with_scattered_liquidations_stays_silent() -> None:
    tape = btc_tape(seed=3)
    tape.calm(3 * 3600, liq_every_s=8, liq_usd=50_000)
    _, alerts = run(tape.events)
    assert kinds(alerts, *FORCED, AlertKind.CASCADE_EXHAUSTED) == []


def test_one_whale_liquidation_starts_no_chain() -> None:
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=30)
    tape.price *= 0.996
    tape.liquidation(Side.LONG, 8_000_000)
    tape.calm(600)
    _, alerts = run(tape.events)
    assert kinds(alerts, *FORCED) == []


def test_slow_bleed_without_forced_selling_stays_silent() -> None:
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=30)
    tape.calm(1800, drift=-0.03 / 1800, liq_every_s=60)
    _, alerts = run(tape.events)
    assert kinds(alerts, *FORCED) == []


def test_a_crash_without_any_liquidation_print_never_fires() -> None:
    tape = btc_tape()
    tape.calm(HOUR)
    tape.forced_move(45, -0.03, Side.LONG, 0.0, print_every_s=10_000)
    tape.events = [e for e in tape.events if e.KIND != "liquidation"]
    tape.quiet(60)
    det, alerts = run(tape.events)
    assert kinds(alerts, *FORCED) == []
    evidence = det.measure(BTC, Side.LONG)
    assert evidence is not None and evidence.prints == 0


def test_cascade_on_a_calm_major_smaller_than_a_sensible_stop_is_still_reported() -> None:
    """A 0.35 % drop on a very calm BTC: tiny in price, large against its own σ."""
    tape = btc_tape()
    tape.calm(HOUR, sigma=2e-5, liq_every_s=60)
    tape.forced_move(20, -0.0035, Side.LONG, 150_000)
    tape.quiet(60)
    _, alerts = run(tape.events)
    forced = kinds(alerts, *FORCED)
    assert len(forced) == 1
    alert = forced[0]
    assert alert.kind is AlertKind.LIQUIDATION_CASCADE
    assert -0.5 < fact(alert, "price_move_pct") < 0
    assert fact(alert, "move_sigmas") >= 3.0
    assert alert.message.endswith("Informational — no trade plan.")


def test_sampled_chain_fires_on_saturation_below_the_notional_floor() -> None:
    """Binance throttles prints: a print in every second for 25 s, taker flow with the
    move and a 3 % drop carry the case although the prints add up to little. (Taker
    flow about 65 % forced: with more the burst path would take the drop first.)"""
    tape = sol_tape()
    tape.calm(HOUR, liq_every_s=40, liq_usd=1_000)
    tape.forced_move(25, -0.03, Side.LONG, 1_500, flow_mult=3.0)
    tape.quiet(60)
    _, alerts = run(tape.events)
    (alert,) = kinds(alerts, *FORCED)
    assert alert.facts["evidence"] == "saturation"
    assert fact(alert, "notional_usd") < fact(alert, "threshold_usd")
    assert fact(alert, "saturation_busy_s") >= 10
    assert "a print in" in str(alert.facts["evidence_detail"])


def test_same_chain_without_displacement_does_not_fire() -> None:
    tape = sol_tape()
    tape.calm(HOUR, liq_every_s=40, liq_usd=1_000)
    tape.forced_move(25, -0.0001, Side.LONG, 5_000)
    tape.quiet(30)
    _, alerts = run(tape.events)
    assert kinds(alerts, *FORCED) == []


def test_a_chain_after_the_leg_ran_dry_is_its_next_leg_and_the_cooldown_ends_the_episode() -> None:
    """Changed with escalation: the second chain, a minute after the first fell silent,
    used to be swallowed by the 300 s cooldown; it is the episode's leg 2 now. After the
    cooldown a chain opens a new episode (leg 1)."""
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=30)
    tape.forced_move(30, -0.012, Side.LONG, 600_000)
    tape.quiet(60)
    tape.forced_move(30, -0.012, Side.LONG, 600_000)  # within 300 s of the first alert
    tape.quiet(400)
    tape.forced_move(30, -0.012, Side.LONG, 600_000)
    tape.quiet(60)
    _, alerts = run(tape.events)
    cascades = kinds(alerts, AlertKind.LIQUIDATION_CASCADE)
    assert [a.facts["leg"] for a in cascades] == [1, 2, 1]
    assert " leg 2 — Real liquidations:" in cascades[1].message
    assert cascades[2].ts - cascades[1].ts >= 300_000


def test_a_later_leg_gives_its_own_move_and_clusters_not_the_episode_s() -> None:
    """Leg 2 said "price −1.07 %, 9 est. clusters hit" four seconds into a leg that had
    moved −0.26 %: the window reached back into leg 1. Its exhaustion's "at the low" was
    both legs' move too."""
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=30)
    tape.forced_move(30, -0.012, Side.LONG, 600_000)
    tape.quiet(35)
    leg_two_from = tape.price
    tape.forced_move(25, -0.012, Side.LONG, 600_000)
    leg_two_low = tape.price
    tape.quiet(80)
    _, alerts = run(tape.events)
    cascades = kinds(alerts, AlertKind.LIQUIDATION_CASCADE)
    exhausted = kinds(alerts, AlertKind.CASCADE_EXHAUSTED)
    assert [a.facts["leg"] for a in cascades] == [1, 2]
    second = cascades[1]
    assert -0.6 < fact(second, "price_move_pct") < 0.0
    assert fact(second, "clusters_hit") < fact(exhausted[0], "clusters_hit")
    own = (leg_two_low / leg_two_from - 1.0) * 100.0
    assert fact(exhausted[1], "extreme_move_pct") == pytest.approx(own, abs=0.25)
    # its σ and usual ranges are those of that move too: "price −0.77 %, move 5.1σ,
    # 1.6× the usual 5 min range" were the window's, where −0.77 % was 2.0σ and 0.6×
    moved = abs(fact(second, "price_move_pct"))
    in_sigmas = -math.log1p(-moved / 100.0) / (fact(second, "sigma_1s_pct") / 100.0 * 60**0.5)
    assert fact(second, "move_sigmas") == pytest.approx(in_sigmas, rel=0.02, abs=0.02)
    in_ranges = moved / fact(second, "ordinary_range_5m_pct")
    assert fact(second, "range_ratio") == pytest.approx(in_ranges, rel=0.02, abs=0.02)
    said = re.search(r"move (\d+\.\d)σ", second.message)
    assert said is not None and float(said.group(1)) == pytest.approx(in_sigmas, abs=0.06)


def test_an_aftershock_inside_the_reported_legs_range_is_no_next_leg() -> None:
    """After a leg ran dry and price came back up, a smaller chain that does not take
    price past the leg's low repeats it (the real AVAX 2025-02-02 path's shape); one
    that breaks below the low is the next leg."""
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=30)
    tape.forced_move(30, -0.03, Side.LONG, 600_000)
    tape.quiet(40)
    tape.calm(40, drift=0.0004)  # price recovers ~1.6 % off the low, no prints
    aftershock_start = tape.ts
    tape.forced_move(25, -0.012, Side.LONG, 600_000)  # stays above the leg's low
    aftershock_end = tape.ts
    tape.quiet(40)
    tape.forced_move(30, -0.03, Side.LONG, 600_000)  # a new low: the next leg
    tape.quiet(60)
    _, alerts = run(tape.events)
    cascades = kinds(alerts, AlertKind.LIQUIDATION_CASCADE)
    assert not [a for a in cascades if aftershock_start <= a.ts <= aftershock_end + 30_000]
    assert [a.facts["leg"] for a in cascades] == [1, 2]
    assert cascades[1].ts > aftershock_end


def test_a_continuing_leg_is_one_line_until_a_larger_one_dwarfs_it() -> None:
    """One chain without a pause: its slow continuation repeats the reported leg (no line);
    a plunge that takes price twice as far as the leg went is the next leg."""
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=30)
    tape.forced_move(30, -0.012, Side.LONG, 600_000)
    tape.forced_move(90, -0.004, Side.LONG, 400_000)  # the same leg, slower
    continuation_end = tape.ts
    tape.forced_move(20, -0.03, Side.LONG, 900_000)  # and then it dwarfs the first
    tape.quiet(60)
    _, alerts = run(tape.events)
    cascades = kinds(alerts, AlertKind.LIQUIDATION_CASCADE)
    assert [a.facts["leg"] for a in cascades] == [1, 2]
    assert cascades[1].ts > continuation_end
    exhausted = kinds(alerts, AlertKind.CASCADE_EXHAUSTED)
    assert [a.facts["leg"] for a in exhausted] == [2]  # the later leg took over the episode


def test_symbols_are_independent_and_alerts_carry_the_constructor_source() -> None:
    btc = btc_tape()
    btc.calm(HOUR, liq_every_s=30)
    btc.forced_move(40, -0.015, Side.LONG, 600_000)
    sol = sol_tape()
    sol.calm(HOUR + 40, liq_every_s=30, liq_usd=3_000)
    merged = sorted(btc.events + sol.events, key=lambda e: e.ts)
    det, alerts = run(merged, Detector(source=Source.SIMULATED))
    forced = kinds(alerts, *FORCED)
    assert [(a.symbol, a.kind) for a in forced] == [(BTC, AlertKind.LIQUIDATION_CASCADE)]
    assert all(a.source is Source.SIMULATED for a in alerts)
    assert set(det.symbols()) == {BTC, SOL}
    assert det.snapshot(SOL).episodes == ()


def test_event_order_is_deterministic() -> None:
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=20)
    tape.forced_move(45, -0.015, Side.LONG, 600_000)
    tape.quiet(60)
    _, first = run(tape.events)
    _, second = run(tape.events)
    assert [a.to_record() for a in first] == [a.to_record() for a in second]


def _cascade_then_quiet(seconds: int) -> Tape:
    """A calm hour, a 45 s long cascade on BTC, then ``seconds`` of quiet."""
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=20)
    tape.forced_move(45, -0.015, Side.LONG, 600_000)
    tape.quiet(seconds)
    return tape


@pytest.mark.parametrize("symbol_wide", [True, False])
def test_a_feed_outage_is_no_silence_of_the_market(symbol_wide: bool) -> None:
    """The connection drops 12 s after the chain's last print and comes back 60 s later.
    The silence that makes an exhaustion is counted from the return, never across the
    break (it was: "no long liquidations for 1 min 18 s" on the first second back), and
    the alert says the feed was out."""
    tape = _cascade_then_quiet(12)
    symbol = None if symbol_wide else BTC
    stream = "feed" if symbol_wide else "liquidations"
    det, alerts = run(tape.events)
    assert kinds(alerts, AlertKind.LIQUIDATION_CASCADE)
    assert not kinds(alerts, AlertKind.CASCADE_EXHAUSTED)
    down = FeedStatus(0, EXCHANGE, symbol, stream, StreamState.RECONNECTING)
    back = FeedStatus(0, EXCHANGE, symbol, stream, StreamState.LIVE)
    assert det.on_event(down) == []
    tape.events.clear()
    tape.ts += 60_000  # nothing arrives while the connection is down
    returned = tape.ts
    assert det.on_event(back) == []
    tape.quiet(60)
    _, after = run(tape.events, det)
    (exhausted,) = kinds(after, AlertKind.CASCADE_EXHAUSTED)
    assert exhausted.ts >= returned + 20_000
    assert fact(exhausted, "silent_s") == pytest.approx((exhausted.ts - returned) / 1000, abs=1.5)
    assert exhausted.facts["feed_gap"] is True
    assert "since the feed came back from an outage" in exhausted.message


def test_without_an_outage_the_silence_runs_from_the_last_print() -> None:
    _, alerts = run(_cascade_then_quiet(90).events)
    (exhausted,) = kinds(alerts, AlertKind.CASCADE_EXHAUSTED)
    assert exhausted.facts["feed_gap"] is False
    assert "since the feed came back" not in exhausted.message


def _across_an_outage(gap_s: int, after: Callable[[Tape], None]) -> list[Alert]:
    """A calm hour and two short prints, the connection down ``gap_s`` s while price went
    2.3 % up, then ``after`` on the feed's return."""
    tape = btc_tape()
    tape.calm(HOUR)
    tape.forced_move(2, 0.0005, Side.SHORT, 26_000)
    det, _ = run(tape.events)
    det.on_event(FeedStatus(0, EXCHANGE, None, "feed", StreamState.RECONNECTING))
    tape.events.clear()
    tape.ts += gap_s * 1000
    tape.price *= 1.023
    det.on_event(FeedStatus(0, EXCHANGE, None, "feed", StreamState.LIVE))
    after(tape)
    return run(tape.events, det)[1]


@pytest.mark.parametrize("gap_s", [10, 20])
def test_a_price_gap_across_an_outage_is_no_squeeze(gap_s: int) -> None:
    """Three short prints on the feed's return, 2.3 % above where it broke: the gap read
    as a move of 25σ and 7× the ordinary range, and a SHORT_SQUEEZE was raised for $78k
    of prints. A move is measured from the feed's return."""

    def three_prints(tape: Tape) -> None:
        tape.forced_move(3, 0.001, Side.SHORT, 26_000)
        tape.quiet(5)

    assert not kinds(_across_an_outage(gap_s, three_prints), *FORCED)


def test_a_squeeze_after_an_outage_is_still_reported() -> None:
    def squeeze(tape: Tape) -> None:
        tape.forced_move(30, 0.025, Side.SHORT, 600_000)
        tape.quiet(5)

    (alert,) = kinds(_across_an_outage(20, squeeze), *FORCED)
    assert alert.kind is AlertKind.SHORT_SQUEEZE


def test_a_change_measured_from_inside_an_earlier_of_two_outages_is_not_given() -> None:
    """Only the latest break in the prices was remembered: after a second outage the
    5 m change measured from inside the first, the jump across it shown as a move."""
    det = Detector()
    base = 1_700_000_000_000

    def trades(from_s: int, to_s: int, price: float) -> None:
        for s in range(from_s, to_s):
            det.on_event(Trade(base + s * 1000, EXCHANGE, BTC, price, 0.1, TakerSide.BUY))

    def outage() -> None:
        det.on_event(FeedStatus(0, EXCHANGE, BTC, "trades", StreamState.RECONNECTING))
        det.on_event(FeedStatus(0, EXCHANGE, BTC, "trades", StreamState.LIVE))

    trades(0, 600, 100.0)
    outage()  # 20 s, while price went 1.5 % up
    trades(620, 680, 101.5)
    outage()
    trades(700, 915, 101.5)  # 5 minutes ago was 20 s into the first outage
    snap = det.snapshot(BTC)
    assert snap.change_5m_pct is None
    assert snap.change_1m_pct == pytest.approx(0.0)
    trades(915, 930, 101.5)  # out of the first outage's reach: measured again
    assert det.snapshot(BTC).change_5m_pct == pytest.approx(0.0)


def test_another_stream_s_live_status_does_not_end_an_outage() -> None:
    """BTC's liquidations reconnect; a replay's bad-line notice (a LIVE status of the
    whole run) came meanwhile and was read as the prints' return: the exhaustion came
    20 s later, "since the feed came back", while the stream was still down."""
    tape = _cascade_then_quiet(12)
    det, alerts = run(tape.events)
    assert kinds(alerts, AlertKind.LIQUIDATION_CASCADE)
    det.on_event(FeedStatus(0, EXCHANGE, BTC, "liquidations", StreamState.RECONNECTING))
    det.on_event(FeedStatus(0, EXCHANGE, None, "recording", StreamState.LIVE, "line 9 skipped"))
    det.on_event(FeedStatus(0, EXCHANGE, BTC, "trades", StreamState.LIVE))
    tape.events.clear()
    tape.quiet(90)  # prices go on; the prints are still not delivered
    _, after = run(tape.events, det)
    assert not kinds(after, AlertKind.CASCADE_EXHAUSTED)


def test_a_symbol_first_seen_while_its_venue_is_down_is_not_judged_on_silence() -> None:
    det = Detector()
    det.on_event(FeedStatus(0, EXCHANGE, None, "feed", StreamState.RECONNECTING))
    tape = btc_tape()
    tape.calm(60)
    run(tape.events, det)
    state = det._symbols[BTC]
    assert state.prints_blind
    det.on_event(FeedStatus(0, EXCHANGE, None, "feed", StreamState.LIVE))
    assert not state.prints_blind


def test_a_trades_stream_back_alone_moves_where_moves_start_not_the_silence() -> None:
    """Trades reconnect while the prints flow: a price gap across the trades' break is no
    move, but the prints were delivered all along, so their silence is not restarted."""
    tape = btc_tape()
    tape.calm(HOUR)
    det, _ = run(tape.events)
    det.on_event(FeedStatus(0, EXCHANGE, BTC, "trades", StreamState.RECONNECTING))
    assert not det._symbols[BTC].prints_blind
    det.on_event(FeedStatus(0, EXCHANGE, BTC, "trades", StreamState.LIVE))
    tape.events.clear()
    tape.quiet(2)
    run(tape.events, det)
    state = det._symbols[BTC]
    assert state.prices_seen_since > 0 and state.prints_seen_since == -1


def test_an_exhaustion_measures_the_episode_from_where_its_prints_began() -> None:
    """A rally with no forced prints, then a squeeze, then price back under where the
    squeeze began: the exhaustion measured "since the episode began" from the low a
    minute before the first print, read +3.7 % at the high where the episode made 2 %,
    and "+0.8 % now" with price below where its first print was."""
    tape = sol_tape()
    tape.calm(HOUR, liq_every_s=20, liq_usd=3_000)
    tape.calm(40, drift=0.0004)  # +1.6 %, no forced print
    began = tape.price
    tape.forced_move(20, 0.02, Side.SHORT, 40_000)
    tape.calm(25, drift=-0.001)
    tape.quiet(60)
    _, alerts = run(tape.events)
    (squeeze,) = kinds(alerts, AlertKind.SHORT_SQUEEZE)
    (exhausted,) = kinds(alerts, AlertKind.CASCADE_EXHAUSTED)
    assert squeeze.ts < exhausted.ts
    assert fact(exhausted, "extreme_move_pct") == pytest.approx(2.0, abs=0.5)
    now_pct = (tape.price / began - 1.0) * 100.0
    assert now_pct < 0.0
    assert fact(exhausted, "price_move_pct") == pytest.approx(now_pct, abs=0.3)
    assert "−" in exhausted.message.split(" now since the episode began")[0][-12:]


@pytest.mark.parametrize("oi_stops_s", [None, 400])
def test_an_open_interest_older_than_its_5_minutes_is_left_out_of_the_alert(
    oi_stops_s: int | None,
) -> None:
    """Polls failing: two alerts ten minutes apart both said "OI +0.26 % in 5 min" of one
    sample 11 minutes old."""
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=20)
    if oi_stops_s is not None:
        tape._next_oi = tape.ts + 10**9  # no open interest from here on
        tape.calm(oi_stops_s, liq_every_s=20)
    tape.forced_move(45, -0.015, Side.LONG, 600_000)
    _, alerts = run(tape.events)
    (cascade,) = kinds(alerts, *FORCED)
    if oi_stops_s is None:
        assert "oi_change_5m_pct" in cascade.facts and " OI " in cascade.message
    else:
        assert "oi_change_5m_pct" not in cascade.facts and " OI " not in cascade.message


def trickle(tape: Tape, seconds: int, every_s: int, usd: float) -> None:
    """A few same-side prints after a leg: the chain never pauses 30 s, its rate is low."""
    for i in range(seconds):
        tape.trade(TakerSide.BUY, tape.usd_per_s / 8)
        tape.trade(TakerSide.SELL, tape.usd_per_s / 8, dt_ms=400)
        if i % every_s == 0:
            tape.liquidation(Side.LONG, usd)
        tape._second_end()


def test_a_new_run_past_the_low_after_the_leg_was_said_to_be_exhausted_is_the_next_leg() -> None:
    """The NEAR crash path: its third leg was said to be exhausted (prints under 25 % of the
    peak for 20 s), then 45 prints took price 8.8 % further down within a minute, and
    nothing was said: the prints had never paused 30 s, so the side stayed "the same leg"
    and only a leg three times larger could speak."""
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=30)
    tape.forced_move(30, -0.012, Side.LONG, 600_000)
    trickle(tape, 45, 6, 20_000.0)
    low = tape.price
    tape.forced_move(25, -0.008, Side.LONG, 400_000)
    tape.quiet(60)
    _, alerts = run(tape.events)
    said = kinds(alerts, AlertKind.LIQUIDATION_CASCADE, AlertKind.CASCADE_EXHAUSTED)
    assert [(a.kind, a.facts["leg"]) for a in said] == [
        (AlertKind.LIQUIDATION_CASCADE, 1),
        (AlertKind.CASCADE_EXHAUSTED, 1),
        (AlertKind.LIQUIDATION_CASCADE, 2),
        (AlertKind.CASCADE_EXHAUSTED, 2),
    ]
    assert said[2].ts - said[1].ts < 100_000  # within the cooldown of the first alert
    assert fact(said[3], "extreme_move_pct") < 0 and tape.price < low


def test_the_trickle_after_an_exhausted_leg_is_not_a_next_leg() -> None:
    tape = btc_tape()
    tape.calm(HOUR, liq_every_s=30)
    tape.forced_move(30, -0.012, Side.LONG, 600_000)
    trickle(tape, 120, 6, 20_000.0)
    _, alerts = run(tape.events)
    assert [a.facts["leg"] for a in kinds(alerts, AlertKind.LIQUIDATION_CASCADE)] == [1]
