"""Warm start: the ladder, σ and open-interest history rebuilt from a ``History`` event.

Each OI step (oldest first) is attributed like a live interval (``ladder.py``):
what is held decays over the step's duration (positions' finite lives),
``turnover_share`` of the bars' traded amount re-opens, and a rise adds the new
exposure; what enters is shared among the bars inside the step by volume and
spread over each bar's low–high around its typical price, split by their
taker-buy share (0.5 where the venue gives none). A fall is removed by taker
share. Before the step's exposure is added, levels already held are consumed
by those bars' low and high, as the mark would have done. With turnover a day
of five-minute open-interest noise does not pile up into levels: the oldest
intervals fade (e^-1 per lifetime), and the ladder weighs the recent hours by
how much traded in them. The bars also seed σ (per second, from their
close-to-close returns) for the first minutes, when the live 1 s history is
still too short. Apart from the detector because it runs once per symbol, on
bars rather than events.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import numpy as np

from scalptui.detector.ladder import Ladder, remove_closed_fraction
from scalptui.detector.ladder_upkeep import opened_and_closed, turnover_fraction
from scalptui.models import Bar, History, OpenInterest

if TYPE_CHECKING:
    from scalptui.detector.params import LadderParams
    from scalptui.detector.state import SymbolState

_INF = math.inf


def usable_history(h: History) -> tuple[list[Bar], list[OpenInterest]]:
    """The event's valid bars and open-interest samples, each oldest first."""
    bars = sorted((b for b in h.bars if _bar_ok(b)), key=lambda b: b.ts)
    ois = sorted((o for o in h.open_interest if 0.0 <= o.amount < _INF), key=lambda o: o.ts)
    return bars, ois


def sigma_of(bars: list[Bar]) -> float | None:
    """σ per second of the bars' close-to-close log returns (None from under three bars)."""
    if len(bars) < 3:
        return None
    closes = np.array([b.close for b in bars], dtype=np.float64)
    stamps = np.array([b.ts for b in bars], dtype=np.int64)
    returns = np.diff(np.log(closes))
    elapsed = float(np.diff(stamps).sum()) / 1000.0
    if elapsed > 0.0:
        return math.sqrt(float(np.square(returns).sum()) / elapsed)
    return None


def warm_start(
    st: SymbolState,
    ladder: Ladder,
    bars: list[Bar],
    ois: list[OpenInterest],
    lp: LadderParams,
) -> None:
    """Replay the history onto the ladder, then adopt its last price and open interest."""
    _replay(ladder, bars, recent(ois, lp.position_lifetime_s), lp)
    ref = st.reference_price() or bars[-1].close
    ladder.consume(ref)
    ladder.prune(ref, lp.prune_pct)
    if st.last is None:
        st.last = bars[-1].close
    oi = st.oi
    if ois and ois[-1].ts > oi.ts:
        oi.amount = oi.attr_amount = ois[-1].amount
        value = ois[-1].value
        valid = value is not None and 0.0 <= value < _INF
        oi.value = value if valid else ois[-1].amount * bars[-1].close
        oi.ts = oi.attr_ts = ois[-1].ts
    for o in ois:
        oi.record(o.ts, o.amount)


REPLAY_LIFETIMES = 8
"""Warm start replays the last this many position lifetimes: exposure older than that
would hold under e^-8 (0.03 %) of what it added, not worth the time at start-up."""


def recent(ois: list[OpenInterest], lifetime_s: float) -> list[OpenInterest]:
    """The samples of the last ``REPLAY_LIFETIMES`` lifetimes (all without a lifetime)."""
    if not ois or not (0.0 < lifetime_s < _INF):
        return ois
    since = ois[-1].ts - REPLAY_LIFETIMES * lifetime_s * 1000.0
    return [o for o in ois if o.ts >= since]


def _replay(ladder: Ladder, bars: list[Bar], ois: list[OpenInterest], lp: LadderParams) -> None:
    """Attribute each OI step over the bars inside it (see the module docstring)."""
    j = 0
    for prev, cur in itertools.pairwise(ois):
        while j < len(bars) and bars[j].ts < prev.ts:
            j += 1
        k = j
        while k < len(bars) and bars[k].ts < cur.ts:
            k += 1
        inside = bars[j:k] if k > j else bars[max(0, j - 1) : j]
        if not inside:
            continue
        ladder.consume(min(b.low for b in inside))
        ladder.consume(max(b.high for b in inside))
        delta = cur.amount - prev.amount
        ladder.expire(turnover_fraction(cur.ts - prev.ts, lp.position_lifetime_s))
        reopened = lp.turnover_share * sum(b.volume for b in inside)
        opened, closed = opened_and_closed(reopened, delta, 0.0)  # no forced prints kept
        _, buy_share = _bars_vwap(inside)
        if 0.0 < opened < _INF:
            _add_over_bars(ladder, inside, opened)
        if closed > 0.0:
            remove_closed_fraction(ladder, closed, prev.amount, buy_share)
        ladder.consume(inside[-1].close)
        j = k


def _add_over_bars(ladder: Ladder, bars: list[Bar], amount: float) -> None:
    """``amount`` (base units) opened during ``bars``: shared by their volume (equally
    without any), each bar's share spread over its range around its typical price."""
    volume = sum(b.volume for b in bars)
    for bar in bars:
        share = bar.volume / volume if volume > 0.0 else 1.0 / len(bars)
        if share <= 0.0:
            continue
        typical = (bar.high + bar.low + bar.close) / 3.0
        _, buy_share = _bars_vwap([bar])
        ladder.add(typical, amount * share * typical, buy_share, bar.low, bar.high)


def _bar_ok(bar: Bar) -> bool:
    return (
        all(0.0 < x < _INF for x in (bar.open, bar.high, bar.low, bar.close))
        and 0.0 <= bar.volume < _INF
    )


def _bars_vwap(bars: list[Bar]) -> tuple[float, float]:
    """Volume-weighted typical price and taker-buy share of some klines."""
    volume = sum(b.volume for b in bars)
    if volume <= 0.0:
        return bars[-1].close, 0.5
    vwap = sum((b.high + b.low + b.close) / 3.0 * b.volume for b in bars) / volume
    known = [(b.volume, b.taker_buy_volume) for b in bars if b.taker_buy_volume is not None]
    if not known:
        return vwap, 0.5
    known_volume = sum(v for v, _ in known)
    if known_volume <= 0.0:
        return vwap, 0.5
    buy = sum(float(taker_buy) for _, taker_buy in known)
    return vwap, min(1.0, max(0.0, buy / known_volume))
