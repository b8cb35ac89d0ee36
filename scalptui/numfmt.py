"""How a number reads, in an alert, on screen and in a headless line: one style.

A figure a trader sees in an alert must read exactly as it does in the panel
beside it, so every reader formats through this module:

* money: ``$950``, ``$12.3k``, ``$48.2M``, ``$1.05B`` — whole dollars below
  $1k, three significant figures above (``≥ $48.2M`` for a lower bound);
* quantities: ``950``, ``12.3k``, ``8.02M`` — three significant figures;
* percentages: signed with a true minus, two decimals (``+1.23 %``,
  ``−2.35 %``); a funding rate has four (``+0.0100 %``);
* durations: ``42 s``, ``1 min``, ``4 min 05 s``, ``3 h 05 min``;
* a value that rounds to zero is ``0`` (``0.00 %``), never ``−0.00 %``;
  an unknown value (None, NaN, ∞) is ``–``.

Three significant figures keep the width fixed (at most four characters and a
suffix) and the text stable: a value moving in its fourth digit does not change
what is drawn, so a panel cell is not rewritten for it.

The module imports nothing from the rest of the package and nothing heavy:
the detector, the headless mode and the TUI all use it.
"""

from __future__ import annotations

import codecs
import functools
import math
import time
from decimal import Decimal

MINUS = "\N{MINUS SIGN}"
UNKNOWN = "\N{EN DASH}"
_SUFFIXES = ((1e9, "B"), (1e6, "M"), (1e3, "k"))
_DEFAULT_FUNDING_INTERVAL_H = 8.0
"""The venues' usual funding interval, assumed when a venue does not say."""


def _sign(value: float, digits_text: str) -> str:
    """``−`` / ``+`` / nothing: a text with no non-zero digit is zero, whatever the float's sign."""
    if not any(c in "123456789" for c in digits_text):
        return ""
    return MINUS if value < 0 else "+"


def _minus(value: float, digits_text: str) -> str:
    """A true minus for a negative value, nothing for a positive one or a zero (``−0`` never)."""
    return MINUS if _sign(value, digits_text) == MINUS else ""


def _three_significant(magnitude: float) -> str:
    """A magnitude already rounded to three significant figures, written without exponent."""
    if magnitude >= 100:
        return f"{magnitude:.0f}"
    if magnitude >= 10:
        return f"{magnitude:.1f}"
    return f"{magnitude:.2f}"


def _scaled(magnitude: float) -> str:
    """Three significant figures with a k / M / B suffix; rounds before choosing the unit.

    Rounding first is what makes 999 960 read ``1.00M`` rather than ``1000k``.
    """
    rounded = float(f"{magnitude:.3g}")
    for limit, suffix in _SUFFIXES:
        if rounded >= limit:
            return _three_significant(rounded / limit) + suffix
    return _three_significant(rounded)


def compact(value: float | None) -> str:
    """A quantity in three significant figures: ``950``, ``12.3k``, ``4.56M``, ``−1.20k``."""
    if value is None or not math.isfinite(value):
        return UNKNOWN
    text = _scaled(abs(value))
    if not _sign(value, text):
        return "0"  # not "0.00": a quantity that rounds to nothing is plain zero
    return _minus(value, text) + text


def usd(value: float | None, *, lower_bound: bool = False) -> str:
    """``$950``, ``$48.2M``; ``≥ $48.2M`` when the venue samples its stream."""
    if value is None or not math.isfinite(value):
        return UNKNOWN
    magnitude = abs(value)
    # Whole dollars below $1k: "$12.3" would read like cents.
    text = f"{magnitude:.0f}" if magnitude < 999.5 else _scaled(magnitude)
    minus = _minus(value, text)
    prefix = "≥ " if lower_bound else ""
    return f"{prefix}{minus}${text}"


def pct(value: float | None, digits: int = 2, *, signed: bool = True) -> str:
    """A signed percentage: ``+1.23 %``, ``−0.40 %``, ``0.00 %``; ``–`` when unknown.

    ``signed=False`` is for a magnitude (a range, a share): ``0.05 %``.
    """
    if value is None or not math.isfinite(value):
        return UNKNOWN
    text = f"{abs(value):.{digits}f}"
    return f"{_sign(value, text) if signed else ''}{text} %"


def rate_pct(rate: float | None, digits: int = 4) -> str:
    """A funding rate (a fraction) as a percentage: 0.0001 → ``+0.0100 %``."""
    return pct(None if rate is None else rate * 100.0, digits)


def share(fraction: float) -> str:
    """A fraction as a plain percentage, three significant figures at most: ``25 %``, ``33.3 %``."""
    return f"{fraction * 100:.3g} %"


def price(value: float | None, *, tick: float | None = None) -> str:
    """A price with as many decimals as its magnitude (or its tick) needs: ``97,003.2``."""
    if value is None or not math.isfinite(value):
        return UNKNOWN
    text = f"{abs(value):,.{price_decimals(value, tick)}f}"
    return _minus(value, text) + text


@functools.lru_cache(maxsize=64)
def _tick_decimals(tick: float) -> int:
    """The tick's own decimals (0.25 → 2, 1e-7 → 7), read from its shortest repr; at
    most 8. Cached: a screen shows a handful of markets' ticks, many times a second."""
    exponent = Decimal(repr(tick)).normalize().as_tuple().exponent
    return min(8, max(0, -exponent)) if isinstance(exponent, int) else 8


def price_decimals(value: float, tick: float | None = None) -> int:
    if tick is not None and 0 < tick < math.inf:
        return _tick_decimals(tick)
    v = abs(value)
    if v >= 10_000:
        return 1
    if v >= 100:
        return 2
    if v >= 1:
        return 3
    return 5


def duration(seconds: float) -> str:
    """``9 s``, ``1 min``, ``4 min 05 s``, ``3 h``, ``3 h 05 min`` (whole seconds, never negative).

    Above an hour the seconds are dropped: a countdown then changes once a minute.
    """
    if not math.isfinite(seconds):
        return UNKNOWN
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    return f"{secs} s"


def utc_clock(epoch_s: float) -> str:
    """``HH:MM:SS`` in UTC; a time no clock can show (a corrupt record) reads ``--:--:--``."""
    t = _utc(epoch_s)
    return "--:--:--" if t is None else time.strftime("%H:%M:%S", t)


def utc_time_ms(ts_ms: int) -> str:
    return utc_clock(ts_ms / 1000.0)


DAY_MS = 86_400_000


def utc_day(ts_ms: int) -> int:
    """The UTC calendar day of ``ts_ms``, as days since the epoch."""
    return ts_ms // DAY_MS


def utc_stamp_ms(ts_ms: int) -> str:
    """``2026-11-30T20:16:22`` in UTC: a line read days later still says which day."""
    t = _utc(ts_ms / 1000.0)
    return "----------T--:--:--" if t is None else time.strftime("%Y-%m-%dT%H:%M:%S", t)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def utc_day_minute_ms(ts_ms: int) -> str:
    """``Nov 29 20:16`` in UTC, for an alert of an earlier day (English month names
    whatever the locale, so the column keeps its width)."""
    t = _utc(ts_ms / 1000.0)
    if t is None:
        return "--- -- --:--"
    return f"{_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}"


def _utc(epoch_s: float) -> time.struct_time | None:
    """``epoch_s`` in UTC, or None for a time no clock can show (a corrupt record)."""
    try:
        return time.gmtime(epoch_s)
    except (OverflowError, OSError, ValueError):
        return None


def _interval_h(interval_h: float | None) -> float:
    if interval_h is None or not math.isfinite(interval_h) or interval_h <= 0:
        return _DEFAULT_FUNDING_INTERVAL_H
    return interval_h


def funding_8h(rate: float, interval_h: float | None) -> float:
    """A funding rate paid every ``interval_h`` hours, as the rate per 8 h (8 h when unknown)."""
    return rate * 8.0 / _interval_h(interval_h)


def funding_apr(rate: float, interval_h: float | None) -> float:
    """The same rate as a simple annual rate (a fraction): paid 24 / interval times a day."""
    return rate * 24.0 / _interval_h(interval_h) * 365.0


_PLAIN = str.maketrans(
    {
        MINUS: "-",
        UNKNOWN: "-",
        "\N{EM DASH}": "-",
        "\N{GREATER-THAN OR EQUAL TO}": ">=",
        "\N{LESS-THAN OR EQUAL TO}": "<=",
        "\N{MIDDLE DOT}": "|",
        "\N{MULTIPLICATION SIGN}": "x",
        "\N{GREEK SMALL LETTER SIGMA}": " sigma",
        "\N{RIGHTWARDS ARROW}": "->",
        "\N{HORIZONTAL ELLIPSIS}": "...",
        "\N{ALMOST EQUAL TO}": "~",
        "\N{PLUS-MINUS SIGN}": "+/-",
        "\N{BLACK DOWN-POINTING TRIANGLE}": "v",
        "\N{BLACK UP-POINTING TRIANGLE}": "^",
    }
)


def encodable(text: str, encoding: str) -> str:
    """``text`` as an output of ``encoding`` can take it: unchanged where it can, else
    with this module's signs in ASCII (``−`` → ``-``, ``≥`` → ``>=``) and anything left
    escaped. A headless run whose stdout was Latin-1 or ASCII died on its first alert
    (its dash), with nothing printed."""
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        pass
    except LookupError:
        encoding = "ascii"
    plain = text.translate(_PLAIN)
    return plain.encode(encoding, "backslashreplace").decode(encoding)


def writes_utf8(encoding: str | None) -> bool:
    """Whether a stream of ``encoding`` takes any text (None: a stream that holds str)."""
    if encoding is None:
        return True
    try:
        return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")  # aliases too
    except LookupError:
        return False
