"""Candles and open-interest history of the simulated market.

At start the model invents a plausible pre-history (≈ 2 days of 1-minute bars and
5-minute open-interest samples) that *ends* at the current price and open
interest, so a client can warm-start its ladder from the REST history endpoints
exactly as it would on the real exchange. From then on, bars are built from the
trades the model prints.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scalptui.feed.sim.specs import SymbolSpec

MINUTE_MS = 60_000
PREHISTORY_MINUTES = 3_000
OI_PERIOD_MS = 300_000
_MAX_BARS = 50_000


@dataclass(slots=True)
class MinuteBar:
    """One 1-minute candle (Binance kline fields, numbers not strings)."""

    open_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0
    quote_volume: float = 0.0
    count: int = 0
    taker_buy_volume: float = 0.0
    taker_buy_quote: float = 0.0


@dataclass(frozen=True, slots=True)
class PreHistory:
    bars: list[MinuteBar]
    open_interest: list[tuple[int, float, float]]  # (ts, amount, value USD)
    closes: list[float]


def prehistory(
    spec: SymbolSpec, rng: random.Random, *, end_ms: int, trend: float = 0.0
) -> PreHistory:
    """Invent ``PREHISTORY_MINUTES`` of 1-minute bars ending at ``spec.price``.

    The path is walked backwards from the current price, so it ends exactly where
    the live market starts; ``trend`` adds a move over the last 30 minutes (a
    rally into a long crowd for the cascade scenario). Open interest is walked the
    same way and sampled every 5 minutes.
    """
    sigma_minute = spec.vol_per_s * math.sqrt(60) * 1.2
    last_open = end_ms - end_ms % MINUTE_MS
    closes = [spec.price]
    for minute in range(PREHISTORY_MINUTES - 1):
        drift = trend / 30 if minute < 30 else 0.0
        closes.append(closes[-1] * math.exp(-drift - sigma_minute * rng.gauss(0.0, 1.0)))
    closes.reverse()  # oldest first; closes[-1] is the current price
    bars: list[MinuteBar] = []
    typical_qty = spec.lot_usd * 0.3 * 4.0 * 60 * 2.0 / spec.price
    for position, close in enumerate(closes):
        open_ = closes[position - 1] if position else close
        wick = abs(rng.gauss(0.0, sigma_minute * 0.6))
        high = max(open_, close) * (1 + wick)
        low = min(open_, close) * (1 - abs(rng.gauss(0.0, sigma_minute * 0.6)))
        volume = typical_qty * math.exp(rng.gauss(0.0, 0.35))
        move = (close - open_) / open_ / sigma_minute if sigma_minute else 0.0
        buy_share = min(0.9, max(0.1, 0.5 + 0.08 * move + rng.gauss(0.0, 0.04)))
        mid = (high + low) / 2
        open_ms = last_open - (PREHISTORY_MINUTES - position) * MINUTE_MS
        bars.append(
            MinuteBar(
                open_ms,
                open_,
                high,
                low,
                close,
                volume,
                volume * mid,
                max(1, int(volume * spec.price / (spec.lot_usd * 0.3))),
                volume * buy_share,
                volume * buy_share * mid,
            )
        )
    return PreHistory(bars, _oi_prehistory(spec, rng, bars, last_open), closes)


def _oi_prehistory(
    spec: SymbolSpec, rng: random.Random, bars: Sequence[MinuteBar], last_open: int
) -> list[tuple[int, float, float]]:
    samples = len(bars) // 5
    amounts = [spec.open_interest]
    for _ in range(samples - 1):
        amounts.append(amounts[-1] * math.exp(-rng.gauss(0.0, 0.002)))
    amounts.reverse()
    closes = {bar.open_ms + MINUTE_MS: bar.close for bar in bars}
    first_ts = last_open - last_open % OI_PERIOD_MS - (samples - 1) * OI_PERIOD_MS
    out: list[tuple[int, float, float]] = []
    for position, amount in enumerate(amounts):
        ts = first_ts + position * OI_PERIOD_MS
        price = closes.get(ts, spec.price)
        out.append((ts, amount, amount * price))
    return out


class BarBook:
    """1-minute bars: the pre-history, then the live ones built from trades."""

    def __init__(self, tick: float) -> None:
        self.tick = tick
        self.bars: list[MinuteBar] = []
        self._opens: list[int] = []

    def load(self, bars: Sequence[MinuteBar]) -> None:
        self.bars = list(bars)
        self._opens = [bar.open_ms for bar in self.bars]

    def touch(self, ts: int, price: float) -> MinuteBar:
        """The bar of ``ts``'s minute, opened at the previous close if it is new.

        Called every step, so the current minute has its bar (as on Binance) even
        before its first trade.
        """
        open_ms = ts - ts % MINUTE_MS
        bar = self.bars[-1] if self.bars else None
        if bar is not None and open_ms <= bar.open_ms:
            # Same minute, or a late caller (a REST request can run ahead of the model's
            # step): the book only ever grows forward in time, so it stays sorted.
            return bar
        previous = bar.close if bar is not None else price
        bar = MinuteBar(open_ms, previous, max(previous, price), min(previous, price), price)
        self.bars.append(bar)
        self._opens.append(open_ms)
        if len(self.bars) > _MAX_BARS:
            del self.bars[:1000]
            del self._opens[:1000]
        return bar

    def add_trade(self, ts: int, price: float, qty: float, taker_buy: bool) -> None:
        bar = self.touch(ts, price)
        bar.high = max(bar.high, price)
        bar.low = min(bar.low, price)
        bar.close = price
        bar.volume += qty
        bar.quote_volume += qty * price
        bar.count += 1
        if taker_buy:
            bar.taker_buy_volume += qty
            bar.taker_buy_quote += qty * price

    def candles(
        self, interval_ms: int, *, start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[MinuteBar]:
        """Bars of ``interval_ms`` (a multiple of a minute) aggregated from 1-minute bars.

        Like Binance: the newest ``limit`` bars up to ``end_ms``, or the oldest
        ``limit`` from ``start_ms`` when a start is given; the current bar is included.
        """
        if not self.bars:
            return []
        lo = 0 if start_ms is None else bisect_left(self._opens, start_ms - start_ms % interval_ms)
        hi = len(self.bars) if end_ms is None else bisect_left(self._opens, end_ms + 1)
        grouped: list[MinuteBar] = []
        for bar in self.bars[lo:hi]:
            open_ms = bar.open_ms - bar.open_ms % interval_ms
            if grouped and grouped[-1].open_ms == open_ms:
                _merge(grouped[-1], bar)
            else:
                grouped.append(MinuteBar(open_ms, bar.open, bar.high, bar.low, bar.close))
                _merge(grouped[-1], bar)
        if start_ms is not None:
            return grouped[:limit]
        return grouped[-limit:]


def _merge(into: MinuteBar, bar: MinuteBar) -> None:
    into.high = max(into.high, bar.high)
    into.low = min(into.low, bar.low)
    into.close = bar.close
    into.volume += bar.volume
    into.quote_volume += bar.quote_volume
    into.count += bar.count
    into.taker_buy_volume += bar.taker_buy_volume
    into.taker_buy_quote += bar.taker_buy_quote
