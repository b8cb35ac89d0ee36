"""Every alert kind, as text and as JSON, is lean, labelled and free of plan vocabulary."""

from __future__ import annotations

import dataclasses
import json
from functools import cache

from _detector_market import FORCED, btc_tape, fact, kinds, run, sol_tape

from scalptui import numfmt
from scalptui.detector import text
from scalptui.detector.params import DetectorParams, LadderParams, SignalThresholds
from scalptui.detector.text import PLAN_WORDS, plan_words
from scalptui.models import Alert, AlertKind, OpenInterest, Side


@cache
def _raised() -> tuple[Alert, ...]:
    """One alert of each kind, raised by the detector itself (computed once per run)."""
    btc = btc_tape()
    btc.funding = 0.0009  # +0.09 % per 8 h: extreme
    btc.calm(3700, liq_every_s=20)
    btc.forced_move(45, -0.015, Side.LONG, 600_000)
    btc.quiet(90)
    sol = sol_tape()
    sol.calm(3700, liq_every_s=20, liq_usd=3_000)
    sol.forced_move(30, 0.025, Side.SHORT, 40_000)
    sol.quiet(90)
    sol.events.append(OpenInterest(sol.ts + 1_000, "binanceusdm", sol.symbol, sol.oi * 0.9))
    _, alerts = run(sorted(btc.events + sol.events, key=lambda e: e.ts))
    return tuple(alerts)


def every_kind() -> list[Alert]:
    return list(_raised())


def test_every_kind_is_raised_and_free_of_plan_words() -> None:
    alerts = every_kind()
    assert {a.kind for a in alerts} == set(AlertKind)
    for alert in alerts:
        record = json.dumps(alert.to_record(), ensure_ascii=False)
        assert plan_words(alert.message) == [], alert.message
        assert plan_words(record) == [], record
        assert alert.message.endswith("Informational — no trade plan.")
        assert alert.message.startswith(f"{alert.symbol} {alert.kind.value} — ")


def test_the_plan_word_scan_does_catch_plan_words() -> None:
    for word in PLAN_WORDS:  # every listed word, in any case, is caught
        assert plan_words(f"x {word.upper()}.") == [word.upper()], word
        assert plan_words(f"{word.lower()}, y") == [word.lower()], word
    for bad in ("Entry 100k", "stop at", "stop-loss", "TARGET", "take-profit", "tp", "R:R"):
        assert plan_words(bad), bad
    assert plan_words("TP/SL") == ["TP", "SL"]
    assert plan_words("stop-loss at 95k") == ["stop-loss"]
    # Whole words only, and never a part of a symbol name.
    for fine in ("TP1", "stopped", "non-stop", "targets", "SL/USDT:USDT flushed", "entryway"):
        assert plan_words(fine) == [], fine
    assert text.blank_plan_words("SL/USDT:USDT stop") == "SL/USDT:USDT …"


def test_cascade_text_confirms_real_prints_and_labels_the_lower_bound() -> None:
    (alert,) = kinds(every_kind(), *FORCED)[:1]
    assert "Real liquidations: ≥ $" in alert.message
    assert "Binance samples: lower bound" in alert.message
    assert alert.facts["lower_bound"] is True
    record = alert.to_record()
    assert record["kind"] in {"LIQUIDATION_CASCADE", "SHORT_SQUEEZE"}
    assert json.loads(json.dumps(record)) == record


def test_funding_extreme_fires_once_while_the_rate_stays_extreme() -> None:
    alerts = every_kind()
    funding = kinds(alerts, AlertKind.FUNDING_EXTREME)
    assert len(funding) == 1
    assert funding[0].side is Side.LONG and "long side crowded" in funding[0].message
    assert funding[0].facts["funding_8h"] == 0.0009


def test_oi_flush_names_the_drop() -> None:
    (flush,) = kinds(every_kind(), AlertKind.OI_FLUSH)
    assert flush.symbol.startswith("SOL/")
    assert fact(flush, "oi_drop_pct") >= 5.0
    assert "open interest −" in flush.message


def test_detector_has_no_way_to_attach_a_plan() -> None:
    fields = set(Alert.__dataclass_fields__)
    assert fields == {"ts", "exchange", "symbol", "kind", "side", "message", "facts", "source"}
    # What it raises carries nothing beyond those fields...
    assert all(set(alert.to_record()) == fields | {"type"} for alert in every_kind())
    # ...and no setting can ask for a plan: no parameter is named for one.
    settings = (DetectorParams, SignalThresholds, LadderParams)
    names = [f.name.replace("_", " ") for cls in settings for f in dataclasses.fields(cls)]
    assert len(names) > 10 and [n for n in names if plan_words(n)] == []


def test_alert_numbers_read_as_the_panels_write_them() -> None:
    """Money, moves, OI and durations in an alert come from the one formatter, no −0."""
    cascade = text.cascade_text(
        "BTC/USDT:USDT", "LIQUIDATION_CASCADE", "bybit", Side.LONG, 650_000.0, 9, 95.0, False,
        -0.0004, 0, -0.001,
    )  # fmt: skip
    assert f"Real liquidations: {numfmt.usd(650_000.0)} longs in 1 min 35 s, 9 prints" in cascade
    assert "$650k" in cascade and "price 0.00 %" in cascade and "OI 0.00 % in 5 min" in cascade
    assert "−0" not in cascade
    funding = text.funding_text("BTC/USDT:USDT", 0.0004, 4.0, 0.0008, 0.876, 3, 60.0)
    assert (
        "funding +0.0800 % per 8 h, +0.0400 % per 4 h (APR +87.60 %) "
        "on 3 consecutive 1 min readings" in funding
    )
    flush = text.oi_flush_text("SOL/USDT:USDT", "okx", 5.5, 45, 1_234.5, 999_960.0, 0, 0, False)
    assert "open interest −5.50 % in 45 s (1.23k → 1.00M SOL)" in flush


def test_oi_flush_without_prints_says_so_and_never_prints_zero_sides() -> None:
    from scalptui.detector import text

    quiet = text.oi_flush_text("SOL/USDT:USDT", "binanceusdm", 5.5, 45, 8.02e6, 7.58e6, 0, 0, True)
    assert "No liquidation printed" in quiet and "8.02M → 7.58M SOL" in quiet
    one = text.oi_flush_text("SOL/USDT:USDT", "binanceusdm", 5.5, 45, 8.02e6, 7.58e6, 4e5, 0, True)
    assert "≥ $400k longs (Binance samples: lower bound)" in one and "shorts" not in one
    gap = text.oi_flush_text("SOL/USDT:USDT", "bybit", 5.5, 45, 8.02e6, 7.58e6, 0, 0, True, True)
    assert "No liquidation delivered in that time (the feed was down for part of it)" in gap
    assert "No liquidation printed" not in gap  # prints may have come while it was down


FORECAST_WORDS = ("reversal", "reverse", "bounce", "buy", "sell", "recover")
"""Words that would read as a call on what price does next: facts only."""


def test_exhausted_says_what_stopped_and_how_far_price_came_back() -> None:
    (exhausted,) = kinds(every_kind(), AlertKind.CASCADE_EXHAUSTED)[:1]
    peak = fact(exhausted, "peak_rate_usd_s")
    silent = fact(exhausted, "silent_s")
    assert silent >= 20.0 and fact(exhausted, "current_rate_usd_s") == 0.0
    side = exhausted.side
    assert side is not None
    assert f"no {side.value} liquidations for {numfmt.duration(silent)}" in exhausted.message
    assert f"after a peak of {numfmt.usd(peak, lower_bound=True)}/s" in exhausted.message
    off = fact(exhausted, "off_extreme_pct")
    extreme = "low" if side is Side.LONG else "high"
    assert f"price {numfmt.pct(off)} off the {extreme}" in exhausted.message
    # the extreme is the furthest point of the forced move: price now is back from it or at it
    sign = 1.0 if side is Side.LONG else -1.0
    assert sign * off >= 0.0
    assert sign * fact(exhausted, "extreme_move_pct") <= sign * fact(exhausted, "price_move_pct")
    lowered = exhausted.message.lower()
    assert [w for w in FORECAST_WORDS if w in lowered] == [] and plan_words(lowered) == []

    def words(
        side: Side, lower_bound: bool, rate: float, silent: float, off: float, at: float
    ) -> str:
        return text.exhausted_text(
            "BTC/USDT:USDT", "bybit", side, 4e6, 120, 95.0, lower_bound, -2.0, 9e4, rate, 20.0,
            silent, off, at, ratio=0.1,
        )  # fmt: skip

    complete = words(Side.LONG, False, 1.5e3, 5.0, 1.2, -3.1)
    assert "long liquidations at $1.50k/s, under 10 % of a peak of $90.0k/s for 20 s" in complete
    assert "price +1.20 % off the low (−3.10 % at the low" in complete
    assert "≥" not in complete and "Bybit stream: every print so far" in complete
    sampled = words(Side.LONG, True, 0.0, 22.0, 1.0, -2.0)
    assert "no long liquidations for 22 s after a peak of ≥ $90.0k/s" in sampled
    squeeze = words(Side.SHORT, False, 0.0, 25.0, -0.8, 2.4)
    assert "price −0.80 % off the high (+2.40 % at the high" in squeeze
    trickle = words(Side.LONG, True, 0.4, 5.0, 1.0, -2.0)  # not "at ≥ $0/s"
    assert "long liquidations at < $1/s, under 10 % of a peak" in trickle
    for message in (complete, sampled, squeeze):
        assert [w for w in FORECAST_WORDS if w in message.lower()] == []


def test_a_later_leg_says_so_in_text_and_facts() -> None:
    leg2 = text.cascade_text(
        "BTC/USDT:USDT", "LIQUIDATION_CASCADE", "binanceusdm", Side.LONG, 2e6, 9, 42.0, True,
        -2.3, 0, None, leg=2, evidence=["a print in 12 of 13 s", "move 4.1σ"],
    )  # fmt: skip
    assert leg2.startswith("BTC/USDT:USDT LIQUIDATION_CASCADE leg 2 — Real liquidations: ≥ $")
    assert "; evidence: a print in 12 of 13 s, move 4.1σ." in leg2
    (first,) = kinds(every_kind(), *FORCED)[:1]
    assert first.facts["leg"] == 1 and " leg " not in first.message
    assert first.facts["evidence"] in ("notional", "saturation", "burst")
    assert str(first.facts["evidence_detail"]) in first.message


def test_cascade_text_names_clusters_only_when_some_were_hit() -> None:
    from scalptui.detector.text import cascade_text
    from scalptui.models import Side

    def text(clusters: int) -> str:
        return cascade_text(
            "BTC/USDT:USDT",
            "LIQUIDATION_CASCADE",
            "binanceusdm",
            Side.LONG,
            2_000_000.0,
            9,
            42.0,
            True,
            -2.3,
            clusters,
            -4.1,
        )

    assert "cluster" not in text(0)
    assert "1 est. cluster hit" in text(1)
    assert "3 est. clusters hit" in text(3)
    assert text(3).endswith("Informational — no trade plan.")
