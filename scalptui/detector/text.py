"""Alert wording: lean facts, every notional labelled for what it is.

Rules the texts follow (docs/design.md § Non-negotiables):

* a cascade / squeeze starts its facts with "Real liquidations:" — the alert
  exists only because real prints were seen;
* where the venue samples its liquidation stream, a printed sum is a lower
  bound and reads "≥ $X" with the venue named;
* every text ends "Informational — no trade plan." and never uses the
  vocabulary of a plan (``PLAN_WORDS``; a test renders every kind and scans for it);
* numbers read as they do on screen: they are written by ``scalptui.numfmt``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from scalptui.models import Side
from scalptui.numfmt import compact, duration, pct, rate_pct, share, usd

CLOSING = "Informational — no trade plan."

PLAN_WORDS: tuple[str, ...] = (
    "entry",
    "stop",
    "stop-loss",
    "target",
    "take-profit",
    "TP",
    "SL",
    "R:R",
)
"""The vocabulary of a trade plan (docs/design.md § Non-negotiables): never in an alert or
on screen."""

_PLAN_WORD_PATTERN = re.compile(
    # A perp's name (``SL/USDT:USDT``) is matched first and skipped: its parts are no words.
    r"(?P<symbol>\w+/\w+:\w+)"
    # Whole words, where ``-`` and ``:`` join a word (``stop-loss``, ``R:R``, not ``non-stop``).
    r"|(?<![\w:-])(?P<word>"
    + "|".join(re.escape(w) for w in sorted(PLAN_WORDS, key=len, reverse=True))
    + r")(?![\w:-])",
    re.IGNORECASE,
)


def plan_words(text: str) -> list[str]:
    """The trade-plan words in ``text``, whole words, any case, outside symbol names."""
    return [m["word"] for m in _PLAN_WORD_PATTERN.finditer(text) if m["word"] is not None]


def blank_plan_words(text: str, mark: str = "…") -> str:
    """``text`` with every trade-plan word replaced by ``mark`` (symbol names untouched)."""
    return _PLAN_WORD_PATTERN.sub(lambda m: mark if m["word"] is not None else m[0], text)


_VENUES = {
    "binanceusdm": "Binance",
    "binance": "Binance",
    "binancecoinm": "Binance",
    "bybit": "Bybit",
    "okx": "OKX",
}


def venue_name(exchange: str) -> str:
    return _VENUES.get(exchange, exchange)


def printed(value: float, lower_bound: bool) -> str:
    return usd(value, lower_bound=lower_bound)


def rate(value: float, lower_bound: bool) -> str:
    """A print rate: ``≥ $9.1k/s``; under a dollar a second ``< $1/s`` (whole dollars
    would read "$0/s", as if nothing printed)."""
    if 0.0 < value < 1.0:
        return "< $1/s"
    return f"{printed(value, lower_bound)}/s"


def completeness(exchange: str, lower_bound: bool) -> str:
    """How far the sums go: a sampled venue's are lower bounds; a complete one's hold every
    print delivered so far (Bybit batches them every 500 ms, so an alert decided
    mid-cascade has not yet seen the last batch: "complete" read as the total to now)."""
    if lower_bound:
        return f"{venue_name(exchange)} samples: lower bound"
    return f"{venue_name(exchange)} stream: every print so far"


def side_word(side: Side) -> str:
    return "longs" if side is Side.LONG else "shorts"


def leg_label(leg: int) -> str:
    """ " leg 2" for an episode's later legs; nothing for its first."""
    return f" leg {leg}" if leg > 1 else ""


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
    *,
    leg: int = 1,
    evidence: Sequence[str] = (),
) -> str:
    parts = [
        f"Real liquidations: {printed(notional, lower_bound)} {side_word(side)} "
        f"in {duration(span_s)}, {prints} prints ({completeness(exchange, lower_bound)})",
        f"price {pct(move_pct)}",
    ]
    if clusters > 0:  # "0 clusters hit" is no fact worth a trader's glance
        parts.append(f"{clusters} est. cluster{'s' if clusters != 1 else ''} hit")
    if oi_pct is not None:
        parts.append(f"OI {pct(oi_pct)} in 5 min")
    because = f"; evidence: {', '.join(evidence)}" if evidence else ""
    return f"{symbol} {kind}{leg_label(leg)} — " + ", ".join(parts) + f"{because}. {CLOSING}"


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
    silent_s: float,
    off_extreme_pct: float,
    extreme_move_pct: float,
    *,
    ratio: float = 0.25,
    leg: int = 1,
    after_gap: bool = False,
) -> str:
    """What stopped and how far price came back off the episode's extreme — facts, no
    forecast. Where the venue samples its prints the rates are lower bounds ("≥ $X/s").
    ``after_gap``: the feed broke after the last print, so the silence is counted from
    its return (what was printed during the break is not known)."""
    peak = f"a peak of {rate(peak_rate, lower_bound)}"
    if current_rate <= 0.0 and after_gap:
        stopped = (
            f"no {side.value} liquidations for {duration(silent_s)} since the feed came back "
            f"from an outage, after {peak}"
        )
    elif current_rate <= 0.0:
        stopped = f"no {side.value} liquidations for {duration(silent_s)} after {peak}"
    else:
        stopped = (
            f"{side.value} liquidations at {rate(current_rate, lower_bound)}, under "
            f"{share(ratio)} of {peak} for {duration(hold_s)}"
        )
    extreme = "low" if side is Side.LONG else "high"
    return (
        f"{symbol} CASCADE_EXHAUSTED{leg_label(leg)} — {stopped}; price {pct(off_extreme_pct)} "
        f"off the {extreme} ({pct(extreme_move_pct)} at the {extreme}, {pct(move_pct)} now "
        f"since the episode began). Real liquidations: {printed(notional, lower_bound)} "
        f"{side_word(side)} over the episode's {duration(duration_s)}, {prints} prints "
        f"({completeness(exchange, lower_bound)}). {CLOSING}"
    )


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
        per_interval = f", {rate_pct(rate)} per {duration(interval_h * 3600)}"
    return (
        f"{symbol} FUNDING_EXTREME — funding {rate_pct(rate_8h)} per 8 h{per_interval} "
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
    feed_gap: bool = False,
) -> str:
    """``feed_gap``: the prints' delivery broke in that time, so the sums miss what was
    printed meanwhile, whatever the venue."""
    base = symbol.split("/", 1)[0]
    # The larger side first: a log line cut at the screen's edge keeps the one that
    # moved the open interest.
    by_size = sorted(((long_usd, "longs"), (short_usd, "shorts")), key=lambda s: -s[0])
    sides = [f"{printed(value, lower_bound)} {word}" for value, word in by_size if value > 0.0]
    liq = " No liquidation printed in that time."
    if feed_gap:
        liq = " No liquidation delivered in that time (the feed was down for part of it)."
    if sides:
        how = (
            f"{venue_name(exchange)} feed down for part of it: lower bound"
            if feed_gap
            else completeness(exchange, lower_bound)
        )
        liq = f" Real liquidations in that time: {', '.join(sides)} ({how})."
    return (
        f"{symbol} OI_FLUSH — open interest {pct(-drop_pct)} in {duration(span_s)} "
        f"({compact(before)} → {compact(after)} {base}).{liq} {CLOSING}"
    )
