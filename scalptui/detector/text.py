"""Alert wording: lean facts, every notional labelled for what it is.

Rules the texts follow (DESIGN § Non-negotiables):

* a cascade / squeeze starts its facts with "Real liquidations:" — the alert
  exists only because real prints were seen;
* where the venue samples its liquidation stream, a printed sum is a lower
  bound and reads "≥ $X" with the venue named;
* every text ends "Informational — no trade plan." and never uses the
  vocabulary of a plan (a test renders every kind and scans for it).
"""

from __future__ import annotations

from scalptui.models import Side

CLOSING = "Informational — no trade plan."

_VENUES = {
    "binanceusdm": "Binance",
    "binance": "Binance",
    "binancecoinm": "Binance",
    "bybit": "Bybit",
    "okx": "OKX",
}


def venue_name(exchange: str) -> str:
    return _VENUES.get(exchange, exchange)


def usd(amount: float) -> str:
    """Compact USD: $950, $12.3k, $48.2M, $1.05B."""
    value = abs(amount)
    sign = "−" if amount < 0 else ""
    if value >= 1e9:
        return f"{sign}${value / 1e9:.2f}B"
    if value >= 1e6:
        return f"{sign}${value / 1e6:.1f}M"
    if value >= 1e3:
        return f"{sign}${value / 1e3:.1f}k"
    return f"{sign}${value:.0f}"


def amount(value: float) -> str:
    """Compact quantity without a currency: 950, 12.3k, 8.02M."""
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:.3g}B"
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e4:
        return f"{value / 1e3:.3g}k"
    return f"{value:,.4g}"


def pct(value: float, digits: int = 1) -> str:
    """Signed percentage with a real minus sign: +1.2 %, −2.3 %."""
    sign = "−" if value < 0 else "+"
    return f"{sign}{abs(value):.{digits}f} %"


def printed(amount: float, lower_bound: bool) -> str:
    return f"≥ {usd(amount)}" if lower_bound else usd(amount)


def completeness(exchange: str, lower_bound: bool) -> str:
    if lower_bound:
        return f"{venue_name(exchange)} samples: lower bound"
    return f"{venue_name(exchange)} stream: complete"


def side_word(side: Side) -> str:
    return "longs" if side is Side.LONG else "shorts"


def cascade_text(
    symbol: str,
    kind: str,
    exchange: str,
    side: Side,
    notional: float,
    prints: int,
    span_s: float,
    lower_bound: bool,
    move_pct: float,
    clusters: int,
    oi_pct: float | None,
) -> str:
    parts = [
        f"Real liquidations: {printed(notional, lower_bound)} {side_word(side)} "
        f"in {span_s:.0f} s, {prints} prints ({completeness(exchange, lower_bound)})",
        f"price {pct(move_pct)}",
    ]
    if clusters > 0:  # "0 clusters hit" is no fact worth a trader's glance
        parts.append(f"{clusters} est. cluster{'s' if clusters != 1 else ''} hit")
    if oi_pct is not None:
        parts.append(f"OI {pct(oi_pct)} in 5 min")
    return f"{symbol} {kind} — " + ", ".join(parts) + f". {CLOSING}"


def exhausted_text(
    symbol: str,
    exchange: str,
    side: Side,
    notional: float,
    prints: int,
    duration_s: float,
    lower_bound: bool,
    move_pct: float,
    peak_rate: float,
    current_rate: float,
    hold_s: float,
    ratio: float,
) -> str:
    """Where the venue samples its prints the rates are lower bounds too ("≥ $X/s")."""
    return (
        f"{symbol} CASCADE_EXHAUSTED — {side.value} liquidation rate "
        f"{printed(current_rate, lower_bound)}/s vs peak {printed(peak_rate, lower_bound)}/s, "
        f"below {share(ratio)} of peak for {hold_s:.0f} s. "
        f"Real liquidations: {printed(notional, lower_bound)} {side_word(side)} "
        f"over the episode's {duration_s:.0f} s, {prints} prints "
        f"({completeness(exchange, lower_bound)}), price {pct(move_pct)} since it began. "
        f"{CLOSING}"
    )


def share(fraction: float) -> str:
    """A fraction as a plain percentage, three significant digits at most: 25 %, 33.3 %."""
    return f"{fraction * 100:.3g} %"


def duration(seconds: float) -> str:
    """A whole-unit duration: 20 s, 1 min, 4 h (seconds when it is not a whole unit)."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def funding_text(
    symbol: str,
    rate: float,
    interval_h: float,
    rate_8h: float,
    apr: float,
    readings: int,
    reading_s: float = 0.0,
) -> str:
    crowded = (
        "longs pay shorts: long side crowded"
        if rate > 0
        else ("shorts pay longs: short side crowded")
    )
    cadence = f"{duration(reading_s)} " if reading_s > 0 else ""
    per_interval = ""
    if abs(interval_h - 8.0) > 1e-9:
        per_interval = f", {pct(rate * 100, 4)} per {interval_h:g} h"
    return (
        f"{symbol} FUNDING_EXTREME — funding {pct(rate_8h * 100, 4)} per 8 h{per_interval} "
        f"(APR {pct(apr * 100)}) on {readings} consecutive {cadence}readings; {crowded}. "
        f"{CLOSING}"
    )


def oi_flush_text(
    symbol: str,
    exchange: str,
    drop_pct: float,
    span_s: float,
    before: float,
    after: float,
    long_usd: float,
    short_usd: float,
    lower_bound: bool,
) -> str:
    base = symbol.split("/", 1)[0]
    sides = [
        f"{printed(usd_value, lower_bound)} {word}"
        for usd_value, word in ((long_usd, "longs"), (short_usd, "shorts"))
        if usd_value > 0.0
    ]
    liq = " No liquidation printed in that time."
    if sides:
        liq = (
            f" Real liquidations in that time: {', '.join(sides)} "
            f"({completeness(exchange, lower_bound)})."
        )
    return (
        f"{symbol} OI_FLUSH — open interest {pct(-drop_pct)} in {span_s:.0f} s "
        f"({amount(before)} → {amount(after)} {base}).{liq} {CLOSING}"
    )
