"""One number style for alerts, panels and headless lines (``scalptui.numfmt``)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from scalptui import numfmt


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "$0"),
        (950.0, "$950"),
        (999.4, "$999"),
        (999.5, "$1.00k"),  # rounds up across the unit boundary, never "$1000"
        (1_000.0, "$1.00k"),
        (12_345.0, "$12.3k"),
        (650_000.0, "$650k"),
        (999_400.0, "$999k"),
        (999_960.0, "$1.00M"),  # not "$1000k"
        (48_200_000.0, "$48.2M"),
        (999_960_000.0, "$1.00B"),
        (1_050_000_000.0, "$1.05B"),
    ],
)
def test_usd_has_three_significant_figures_across_k_m_b(value: float, text: str) -> None:
    assert numfmt.usd(value) == text


def test_usd_negatives_lower_bounds_and_unknowns() -> None:
    assert numfmt.usd(-12_345.0) == "−$12.3k"  # a true minus sign
    assert numfmt.usd(-0.3) == "$0"  # no negative zero
    assert numfmt.usd(48_200_000.0, lower_bound=True) == "≥ $48.2M"
    assert numfmt.usd(math.nan) == numfmt.usd(None) == numfmt.usd(math.inf) == "–"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.001, "0"),
        (9.996, "10.0"),
        (99.96, "100"),
        (950.0, "950"),
        (1_234.5, "1.23k"),
        (80_180.0, "80.2k"),
        (8_023_000.0, "8.02M"),
        (-1_200.0, "−1.20k"),
    ],
)
def test_compact_quantities(value: float, text: str) -> None:
    assert numfmt.compact(value) == text


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [
        (-2.345, 2, "−2.35 %"),
        (0.5, 2, "+0.50 %"),
        (-0.0, 2, "0.00 %"),
        (-0.0004, 3, "0.000 %"),  # was "−0.000 %"
        (0.0004, 3, "0.000 %"),  # zero carries no sign either way
        (-0.04, 1, "0.0 %"),
        (-0.06, 1, "−0.1 %"),
    ],
)
def test_pct_is_signed_with_a_true_minus_and_no_negative_zero(
    value: float, digits: int, text: str
) -> None:
    assert numfmt.pct(value, digits) == text


def test_pct_defaults_and_funding_rates() -> None:
    assert numfmt.pct(-4.1) == "−4.10 %"
    assert numfmt.pct(None) == numfmt.pct(math.nan) == "–"
    assert numfmt.rate_pct(0.0001) == "+0.0100 %"
    assert numfmt.rate_pct(-1e-9) == "0.0000 %"
    assert numfmt.rate_pct(None) == "–"
    assert numfmt.share(0.25) == "25 %" and numfmt.share(1 / 3) == "33.3 %"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5.0, "0 s"),
        (0.4, "0 s"),
        (9.0, "9 s"),
        (42.4, "42 s"),
        (59.6, "1 min"),  # rounds before it splits: never "60 s"
        (60.0, "1 min"),
        (65.0, "1 min 05 s"),
        (252.0, "4 min 12 s"),
        (3_599.6, "1 h"),
        (3_600.0, "1 h"),
        (3 * 3_600 + 5 * 60 + 7, "3 h 05 min"),  # seconds dropped above an hour
        (8 * 3_600.0, "8 h"),
        (math.inf, "–"),
    ],
)
def test_duration_across_seconds_minutes_hours(seconds: float, text: str) -> None:
    assert numfmt.duration(seconds) == text


def test_price_decimals_follow_magnitude_or_tick() -> None:
    assert numfmt.price(97_003.21) == "97,003.2"
    assert numfmt.price(2_345.678) == "2,345.68"
    assert numfmt.price(0.123456) == "0.12346"
    assert numfmt.price(97_003.21, tick=0.01) == "97,003.21"
    # a tick's own decimals, whatever its first digit: 0.25 steps keep their hundredths
    assert numfmt.price(100.25, tick=0.25) == "100.25"
    assert numfmt.price(2.3124, tick=0.0001) == "2.3124"
    assert numfmt.price(0.0099928, tick=1e-7) == "0.0099928"
    assert numfmt.price(0.01000015, tick=1.5e-7) == "0.01000015"
    assert numfmt.price(1_234.0, tick=5.0) == "1,234"
    assert numfmt.price(0.123456789012, tick=1e-12) == "0.12345679"  # at most 8
    assert numfmt.price(-0.0) == "0.00000"
    assert numfmt.price(None) == "–"


def test_a_time_no_clock_can_show_is_dashes() -> None:
    assert numfmt.utc_time_ms(10**20) == "--:--:--"
    assert numfmt.utc_time_ms(1_767_225_661_000) == "00:01:01"
    assert numfmt.utc_stamp_ms(10**20) == "----------T--:--:--"
    assert numfmt.utc_day_minute_ms(10**20) == "--- -- --:--"


def test_a_stamp_read_days_later_says_which_day() -> None:
    assert numfmt.utc_stamp_ms(1_767_225_661_000) == "2026-01-01T00:01:01"
    assert numfmt.utc_day_minute_ms(1_767_225_661_000 - 90_000) == "Dec 31 23:59"
    assert numfmt.utc_day(1_767_225_600_000) - numfmt.utc_day(1_767_225_599_999) == 1


def test_funding_is_normalised_to_8h_and_apr() -> None:
    assert numfmt.funding_8h(0.0001, 8.0) == pytest.approx(0.0001)
    assert numfmt.funding_8h(0.0001, 4.0) == pytest.approx(0.0002)
    assert numfmt.funding_8h(0.0001, 1.0) == pytest.approx(0.0008)
    assert numfmt.funding_apr(0.0001, 8.0) == pytest.approx(0.0001 * 3 * 365)
    assert numfmt.funding_apr(0.0001, 4.0) == pytest.approx(0.0001 * 6 * 365)
    # An interval the venue did not give (or a nonsense one) is the usual 8 h.
    for unknown in (None, 0.0, -4.0, math.nan):
        assert numfmt.funding_8h(0.0003, unknown) == pytest.approx(0.0003)


def test_the_formatter_imports_nothing_of_the_package_nor_a_heavy_library() -> None:
    code = (
        "import sys, scalptui.numfmt; "
        "print(sorted(m for m in sys.modules if m.startswith('scalptui.') "
        "or m.split('.')[0] in ('textual', 'ccxt', 'numpy', 'rich')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['scalptui.numfmt']"


def test_text_an_output_cannot_encode_falls_back_to_ascii_signs() -> None:
    line = "BTC LIQUIDATION_CASCADE — Real liquidations: ≥ $1.2M longs, −2.35 %, 25.5σ ✱"
    assert numfmt.encodable(line, "utf-8") == line
    assert numfmt.encodable(line, "latin-1") == (
        "BTC LIQUIDATION_CASCADE - Real liquidations: >= $1.2M longs, -2.35 %, 25.5 sigma \\u2731"
    )
    assert numfmt.encodable("a · b", "latin-1") == "a · b"  # Latin-1 has the dot
    assert numfmt.encodable("a · b", "ascii") == "a | b"
    assert numfmt.encodable("−1", "no-such-codec") == "-1"
    assert numfmt.writes_utf8("UTF-8") and numfmt.writes_utf8(None)
    assert not numfmt.writes_utf8("ISO-8859-1")
