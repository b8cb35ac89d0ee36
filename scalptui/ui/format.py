"""Number formatting shared by the widgets: compact, stable and honest.

Compact formats keep a repaint small: a value that moves in its fourth
significant digit does not change the text, so the cell is not rewritten.
"""

from __future__ import annotations

import math
import time

FORBIDDEN_ALERT_WORDS: tuple[str, ...] = (
    "entry",
    "stop",
    "stop-loss",
    "target",
    "take-profit",
    "tp",
    "sl",
    "r:r",
)


def usd(value: float, *, lower_bound: bool = False) -> str:
    """``$48.2M``; ``≥ $48.2M`` when the venue samples its stream."""
    prefix = "≥ " if lower_bound else ""
    return f"{prefix}${compact(value)}"


def compact(value: float) -> str:
    """Three significant figures with a k / M / B suffix: 950, 12.3k, 4.56M."""
    if not math.isfinite(value):
        return "–"
    sign = "-" if value < 0 else ""
    v = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= limit:
            return f"{sign}{_three_sig(v / limit)}{suffix}"
    return f"{sign}{_three_sig(v)}"


def _three_sig(v: float) -> str:
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def price(value: float | None, *, tick: float | None = None) -> str:
    """A price with as many decimals as its magnitude (or tick) needs."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.{price_decimals(value, tick)}f}"


def price_decimals(value: float, tick: float | None = None) -> int:
    if tick is not None and tick > 0:
        return max(0, min(8, -math.floor(math.log10(tick) + 1e-9)))
    v = abs(value)
    if v >= 10_000:
        return 1
    if v >= 100:
        return 2
    if v >= 1:
        return 3
    return 5


def pct(value: float | None, *, digits: int = 2, signed: bool = True) -> str:
    """``+1.23 %`` / ``−0.40 %`` (true minus sign), ``–`` when unknown."""
    if value is None or not math.isfinite(value):
        return "–"
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return text.replace("-", "−") + " %"


def rate_pct(rate: float, digits: int = 4) -> str:
    """A funding rate (a fraction) as a percentage: 0.0001 → ``+0.0100 %``."""
    return pct(rate * 100.0, digits=digits)


def utc_clock(epoch_s: float) -> str:
    """``HH:MM:SS`` in UTC; a time no clock can show (a corrupt record) reads ``--:--:--``."""
    try:
        return time.strftime("%H:%M:%S", time.gmtime(epoch_s))
    except (OverflowError, OSError, ValueError):
        return "--:--:--"


def utc_time_ms(ts_ms: int) -> str:
    return utc_clock(ts_ms / 1000.0)


def duration(seconds: float) -> str:
    """``3h05m`` / ``4m12s`` / ``9s``: a countdown that changes once a second at most."""
    s = max(0, int(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h}h{m:02d}m"
    if m:
        return f"{m}m{sec:02d}s"
    return f"{sec}s"


def age(seconds: float) -> str:
    """Age of the last message, quantised so it does not change on every tick.

    A live stream's age flickers between 0 and 1.x s as messages arrive; below
    2 s it reads ``<2s`` so the header is not rewritten for that flicker.
    """
    if seconds < 2.0:
        return "<2s"
    if seconds < 60:
        return f"{int(seconds)}s"
    return duration(seconds)


def short_symbol(symbol: str) -> str:
    """``BTC/USDT:USDT`` → ``BTC`` for the narrow watchlist strip."""
    return symbol.split("/", 1)[0]
