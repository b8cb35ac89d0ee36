"""Number formatting for the widgets: ``scalptui.numfmt``, plus what only a panel shows.

The numbers themselves are written by ``scalptui.numfmt`` (re-exported here so
the widgets keep one import): a figure reads the same in an alert, on screen
and in a headless line.
"""

from __future__ import annotations

from scalptui.models import venue_tag
from scalptui.numfmt import (
    UNKNOWN,
    compact,
    duration,
    pct,
    price,
    price_decimals,
    rate_pct,
    usd,
    utc_clock,
    utc_day,
    utc_day_minute_ms,
    utc_time_ms,
)

__all__ = [
    "UNKNOWN",
    "age",
    "compact",
    "duration",
    "pct",
    "price",
    "price_decimals",
    "rate_pct",
    "short_symbol",
    "usd",
    "utc_clock",
    "utc_day",
    "utc_day_minute_ms",
    "utc_time_ms",
    "venue_tags",
]


def age(seconds: float) -> str:
    """Age of the last message, quantised so it does not change on every tick.

    A live stream's age flickers between 0 and 1.x s as messages arrive; below
    2 s it reads ``<2 s`` so the header is not rewritten for that flicker.
    """
    if seconds < 2.0:
        return "<2 s"
    return duration(int(seconds))


def short_symbol(symbol: str) -> str:
    """``BTC/USDT:USDT`` → ``BTC`` for the narrow watchlist strip."""
    return symbol.split("/", 1)[0]


def venue_tags(exchange: str) -> str:
    """``binanceusdm+bybit`` (an alert's venues) or ``okx`` → ``BN+BY`` / ``OK``."""
    return "+".join(venue_tag(v) for v in exchange.replace(",", "+").split("+") if v)
