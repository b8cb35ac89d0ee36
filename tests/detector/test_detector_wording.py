"""Every alert kind, as text and as JSON, is lean, labelled and free of plan vocabulary."""

from __future__ import annotations

import dataclasses
import json
import re
from functools import cache

from _detector_market import FORCED, btc_tape, kinds, run, sol_tape

from scalptui.detector import text
from scalptui.detector.params import DetectorParams, LadderParams, SignalThresholds
from scalptui.models import Alert, AlertKind, OpenInterest, Side

FORBIDDEN = re.compile(
    r"(?<![\w:-])(entry|stop|stop-loss|target|take-profit|tp|sl|r:r)(?![\w:-])", re.IGNORECASE
)


def _without_symbols(rendered: str, symbols: set[str]) -> str:
    for symbol in symbols:
        rendered = rendered.replace(symbol, "")
    return rendered


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
    symbols = {a.symbol for a in alerts}
    for alert in alerts:
        text = _without_symbols(alert.message, symbols)
        record = _without_symbols(json.dumps(alert.to_record(), ensure_ascii=False), symbols)
        assert FORBIDDEN.search(text) is None, alert.message
        assert FORBIDDEN.search(record) is None, record
        assert alert.message.endswith("Informational — no trade plan.")
        assert alert.message.startswith(f"{alert.symbol} {alert.kind.value} — ")


def test_the_forbidden_word_scan_does_catch_plan_words() -> None:
    for bad in ("Entry 100k", "stop at", "stop-loss", "TARGET", "take-profit", "TP1", "tp", "R:R"):
        if bad == "TP1":
            assert FORBIDDEN.search(bad) is None  # whole words only
        else:
            assert FORBIDDEN.search(bad) is not None, bad
    assert FORBIDDEN.search("stopped") is None


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
    assert float(flush.facts["oi_drop_pct"]) >= 5.0
    assert "open interest −" in flush.message


def test_detector_has_no_way_to_attach_a_plan() -> None:
    fields = set(Alert.__dataclass_fields__)
    assert fields == {"ts", "exchange", "symbol", "kind", "side", "message", "facts", "source"}
    # What it raises carries nothing beyond those fields...
    assert all(set(alert.to_record()) == fields | {"type"} for alert in every_kind())
    # ...and no setting can ask for a plan: no parameter is named for one.
    settings = (DetectorParams, SignalThresholds, LadderParams)
    names = [f.name.replace("_", " ") for cls in settings for f in dataclasses.fields(cls)]
    assert len(names) > 10 and [n for n in names if FORBIDDEN.search(n)] == []


def test_numbers_are_compact_and_signed() -> None:
    from scalptui.detector import text

    assert text.usd(48_200_000) == "$48.2M"
    assert text.usd(650_000) == "$650.0k"
    assert text.usd(1_050_000_000) == "$1.05B"
    assert text.usd(950) == "$950"
    assert text.pct(-2.345) == "−2.3 %" and text.pct(0.5) == "+0.5 %"
    assert text.amount(8_023_000) == "8.02M" and text.amount(80_180) == "80.2k"
    assert text.amount(1_234.5) == "1,234"


def test_oi_flush_without_prints_says_so_and_never_prints_zero_sides() -> None:
    from scalptui.detector import text

    quiet = text.oi_flush_text("SOL/USDT:USDT", "binanceusdm", 5.5, 45, 8.02e6, 7.58e6, 0, 0, True)
    assert "No liquidation printed" in quiet and "8.02M → 7.58M SOL" in quiet
    one = text.oi_flush_text("SOL/USDT:USDT", "binanceusdm", 5.5, 45, 8.02e6, 7.58e6, 4e5, 0, True)
    assert "≥ $400.0k longs (Binance samples: lower bound)" in one and "shorts" not in one


def test_exhausted_names_the_configured_share_and_labels_sampled_rates() -> None:
    (exhausted,) = kinds(every_kind(), AlertKind.CASCADE_EXHAUSTED)[:1]
    assert "below 25 % of peak" in exhausted.message and "quarter" not in exhausted.message
    assert exhausted.facts["exhaustion_ratio"] == 0.25
    peak = float(exhausted.facts["peak_rate_usd_s"])
    assert f"vs peak ≥ {text.usd(peak)}/s" in exhausted.message  # Binance samples
    assert "liquidation rate ≥ $" in exhausted.message

    args = ("BTC/USDT:USDT", "bybit", Side.LONG, 4e6, 120, 95.0, False, -2.0, 9e4, 1.5e3, 20.0)
    complete = text.exhausted_text(*args, 0.1)
    assert "rate $1.5k/s vs peak $90.0k/s, below 10 % of peak for 20 s." in complete
    assert "≥" not in complete and "Bybit stream: complete" in complete
    assert "below 33.3 % of peak" in text.exhausted_text(*args, 1 / 3)
    sampled = text.exhausted_text(*args[:6], True, *args[7:], 0.25)
    assert "rate ≥ $1.5k/s vs peak ≥ $90.0k/s, below 25 % of peak" in sampled


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
