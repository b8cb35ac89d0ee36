"""Pure pieces of the UI: formatting, ladder rows, alert lines, notifications."""

from __future__ import annotations

import math

import pytest

from scalptui.detector.text import plan_words
from scalptui.models import AlertKind, LadderBin
from scalptui.ui import format as fmt
from scalptui.ui.ladder_rows import Edge, build_rows, row_width
from scalptui.ui.notify import notification_sequence
from scalptui.ui.state import MAX_ALERTS
from scalptui.ui.widgets.alert_log import SELECTION_HOLD_S, AlertLog, alert_facts, alert_line
from scalptui.ui.widgets.funding_oi import crowded_side

from ._harness import alert


def test_usd_marks_lower_bounds() -> None:
    assert fmt.usd(48_200_000, lower_bound=True) == "≥ $48.2M"
    assert fmt.usd(950) == "$950"
    assert fmt.usd(12_345) == "$12.3k"
    assert fmt.usd(1.5e9) == "$1.50B"


def test_pct_uses_a_true_minus_and_says_unknown() -> None:
    assert fmt.pct(-2.345) == "−2.35 %"
    assert fmt.pct(None) == "–"
    assert fmt.rate_pct(0.0001) == "+0.0100 %"


def test_age_is_quantised_to_seconds() -> None:
    assert fmt.age(0.4) == fmt.age(1.9) == "<2 s"
    assert fmt.age(12.9) == "12 s"
    assert fmt.age(65.9) == "1 min 05 s"
    assert fmt.duration(3 * 3600 + 5 * 60 + 7) == "3 h 05 min"


def _bins() -> tuple[LadderBin, ...]:
    below = LadderBin(50.0, 90.0, 1_000.0, 0.0, edge=True)
    above = LadderBin(110.0, 150.0, 0.0, 2_000.0, edge=True)
    inner = tuple(
        LadderBin(90.0 + i, 91.0 + i, 10.0 if i < 10 else 0.0, 20.0 if i >= 10 else 0.0)
        for i in range(20)
    )
    return (below, *inner, above)


def test_rows_keep_every_dollar_and_mark_the_price_row() -> None:
    bins = _bins()
    rows = build_rows(bins, price=100.2, span_pct=5.0, rows=12, bin_width=1.0)
    assert len(rows) == 12
    assert rows[0].edge is Edge.ABOVE and rows[-1].edge is Edge.BELOW
    assert [r.low for r in rows[1:-1]] == sorted((r.low for r in rows[1:-1]), reverse=True)
    total = sum(b.long_usd + b.short_usd for b in bins)
    assert math.isclose(sum(r.total_usd for r in rows), total)
    assert sum(r.has_price for r in rows) == 1
    assert rows[0].short_usd >= 2_000.0 and rows[-1].long_usd >= 1_000.0


def test_rows_sit_on_a_fixed_grid_so_small_moves_change_nothing() -> None:
    bins = _bins()
    a = build_rows(bins, price=100.2, span_pct=5.0, rows=12, bin_width=1.0)
    b = build_rows(bins, price=100.7, span_pct=5.0, rows=12, bin_width=1.0)
    assert a == b
    assert row_width(100.0, 5.0, 10, 1.0) == 1.0
    assert row_width(100.0, 5.0, 4, 1.0) == 2.5  # a round width, bins shared at its edges
    assert row_width(100_574.8, 3.0, 26, 100.6) == 250.0  # not 3 × 100.6 = 301.8
    assert row_width(100_574.8, 0.5, 26, 100.6) == 120.0  # never under a bin
    assert row_width(100_004.0, 3.0, 24, 100.0) == 300.0  # a third wider at most, not 500


def test_the_row_width_on_screen_holds_while_price_crosses_a_round_number() -> None:
    # 12 rows of ±3 %: the width asked for crosses 500 as BTC crosses 100,000.
    below, above = row_width(99_900.0, 3.0, 12, 100.0), row_width(100_100.0, 3.0, 12, 100.0)
    assert (below, above) == (500.0, 600.0)  # without a width on screen: it flips
    assert row_width(100_100.0, 3.0, 12, 100.0, held=below) == 500.0
    assert row_width(99_900.0, 3.0, 12, 100.0, held=above) == 600.0
    # Held only while it fits: a fifth of the way off, or under a bin, it goes.
    assert row_width(120_000.0, 3.0, 12, 100.0, held=500.0) == 600.0
    assert row_width(80_000.0, 3.0, 12, 100.0, held=600.0) == 400.0
    assert row_width(99_900.0, 3.0, 12, 550.0, held=500.0) == 600.0


def test_round_rows_share_a_straddling_bin_by_width_and_keep_every_dollar() -> None:
    """Bins of 100.6 (0.1 % of a first price 100,574.8) on rows of 250: every row's
    label is a round price, a bin across a boundary is split by the width each side
    holds, and no dollar is lost or doubled."""
    width = 100.6
    bins = tuple(LadderBin(k * width, (k + 1) * width, 1_000.0, 500.0) for k in range(985, 1015))
    rows = build_rows(bins, price=100_574.8, span_pct=3.0, rows=28, bin_width=width)
    inner = [r for r in rows if r.edge is Edge.NONE]
    assert all(r.high - r.low == pytest.approx(250.0) for r in inner)
    assert all(r.low == pytest.approx(round(r.low / 250.0) * 250.0) for r in inner)
    assert math.isclose(sum(r.long_usd for r in rows), 30 * 1_000.0)
    assert math.isclose(sum(r.short_usd for r in rows), 30 * 500.0)
    # Evenly filled bins give evenly filled rows: 250 / 100.6 bins' worth each.
    middle = [r.long_usd for r in inner if 985 * width <= r.low and r.high <= 1015 * width]
    assert len(middle) >= 10
    assert all(v == pytest.approx(1_000.0 * 250.0 / width) for v in middle)


def test_alert_line_has_no_trade_plan_words_for_any_kind() -> None:
    for kind in AlertKind:
        a = alert(
            symbol="SL/USDT:USDT",
            kind=kind,
            message=f"SL/USDT:USDT {kind.value} — Real liquidations: ≥ $1.0M longs in 30 s, "
            "price −2.0 %. Informational — no trade plan. Entry stop TP target R:R",
        )
        line = alert_line(a)
        assert plan_words(line) == [], line
        assert "Real liquidations: ≥ $1.0M" in line
        assert "SL/USDT:USDT" in line and kind.value in line


def test_alert_facts_drop_the_repeated_symbol_and_kind() -> None:
    a = alert(message="BTC/USDT:USDT LIQUIDATION_CASCADE — Real liquidations: ≥ $4.9M longs")
    assert alert_facts(a) == "Real liquidations: ≥ $4.9M longs"


def test_alert_facts_keep_the_measurements_and_drop_what_the_screen_already_says() -> None:
    a = alert(
        message="BTC/USDT:USDT LIQUIDATION_CASCADE — Real liquidations: ≥ $48.2M longs in 42 s, "
        "9 prints (Binance samples: lower bound), price −2.3 %, 3 est. clusters hit, "
        "OI −4.1 %. Informational — no trade plan."
    )
    assert alert_facts(a) == (
        "Real liquidations: ≥ $48.2M longs in 42 s, 9 prints, price −2.3 %, "
        "3 est. clusters hit, OI −4.1 %."
    )


@pytest.mark.parametrize(
    ("env", "start"),
    [
        ({}, "\x1b]777;notify;"),
        ({"TERM_PROGRAM": "iTerm.app"}, "\x1b]9;"),
        ({"TMUX": "/tmp/tmux-0/default,1,0"}, "\x1bPtmux;\x1b\x1b]777;notify;"),
    ],
)
def test_notifications_pick_the_terminal_sequence(env: dict[str, str], start: str) -> None:
    seq = notification_sequence("scalptui", "BTC; cascade\x07", env)
    assert seq.startswith(start)
    assert "\x07cascade" not in seq and "BTC, cascade" in seq


def test_the_ui_imports_no_exchange_library_before_the_first_frame() -> None:
    import subprocess
    import sys

    code = "import sys, scalptui.ui.app; print('ccxt' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_time_no_clock_can_show_is_dashes_not_a_crash() -> None:
    assert fmt.utc_time_ms(10**20) == "--:--:--"
    assert fmt.utc_time_ms(1_767_225_661_000) == "00:01:01"


def test_an_alert_before_the_log_is_mounted_is_kept_not_raised() -> None:
    """A fast feed can raise an alert before the log is on screen (no styles yet)."""
    log = AlertLog()
    log.add(alert())
    assert len(log.entries) == 1


def test_an_old_alert_selected_lets_the_newest_back_after_two_idle_minutes() -> None:
    """``j`` once, then hours away: the log stayed on the alert selected while the new ones
    landed out of view ("↑ 255 newer"), and once that alert fell off the 500 kept, on the
    oldest."""
    now = [0.0]
    log = AlertLog(clock=lambda: now[0])
    for i in range(10):
        log.add(alert(message=f"a {i}", ts=1_000 + i))
    log.action_move(3)
    log.add(alert(message="read on", ts=2_000))
    assert log.selected == 4  # the alert being read stays selected
    now[0] += SELECTION_HOLD_S + 1
    log.add(alert(message="after a break", ts=3_000))
    assert log.selected == 0


def test_the_selection_falling_off_the_kept_alerts_returns_to_the_newest() -> None:
    log = AlertLog(clock=lambda: 0.0)
    for i in range(MAX_ALERTS):
        log.add(alert(message=f"a {i}", ts=1_000 + i))
    log.action_move(MAX_ALERTS - 1)  # the oldest
    log.add(alert(message="the 501st", ts=10_000))
    assert log.selected == 0
    chosen = log.selected_alert
    assert chosen is not None and chosen.message == "the 501st"


@pytest.mark.parametrize(
    ("rate_8h", "words"),
    [
        (0.00050, "longs crowded (longs pay)"),
        (0.00030, "longs crowded (longs pay)"),
        (0.000103, "longs pay, not crowded"),  # a hair above the 0.01 % resting rate
        (0.0001, "longs pay, not crowded"),
        (0.0, "neither side pays"),
        (-0.000006, "shorts pay, not crowded"),  # a hair below zero
        (-0.0001, "shorts crowded (shorts pay)"),
    ],
)
def test_a_side_is_crowded_only_well_away_from_the_resting_rate(rate_8h: float, words: str) -> None:
    assert crowded_side(rate_8h) == words


def test_a_symbol_added_while_paused_freezes_at_its_first_data() -> None:
    from scalptui.detector import make_detector
    from scalptui.detector.params import DetectorParams
    from scalptui.models import Source, TakerSide, Trade
    from scalptui.ui.pause import freeze

    detector = make_detector(DetectorParams(), source=Source.LIVE, exchanges=("bybit", "okx"))
    xrp = "XRP/USDT:USDT"
    view = freeze(detector, ("BTC/USDT:USDT",), {})
    first = view.snapshot(xrp, detector)
    assert first is None or first.last is None  # nothing seen yet: "waiting for data"

    def trade(ts: int, price: float) -> Trade:
        return Trade(ts, "bybit", xrp, price, 100.0, TakerSide.BUY)

    detector.on_event(trade(1_000, 2.31))
    seen = view.snapshot(xrp, detector)
    assert seen is not None and seen.last == 2.31  # it was stuck empty until unpause
    detector.on_event(trade(2_000, 2.35))
    again = view.snapshot(xrp, detector)
    assert again is not None and again.last == 2.31  # and from then on it is frozen


def test_help_states_the_configured_realised_window() -> None:
    from scalptui.ui.screens import HelpScreen, _duration_words

    assert [_duration_words(s) for s in (900.0, 300.0, 90.0, 45.0)] == [
        "15 min",
        "5 min",
        "90 s",
        "45 s",
    ]
    assert HelpScreen([], 300.0)._realized == "5 min"  # it said 15 min whatever the setting
