"""A deterministic scripted market: a ``Feed`` for tests, snapshots and screenshots.

It yields a fixed, seeded list of normalised events — a day of 5-minute
history for the warm start, a few minutes of calm, then a chain of forced
sells on BTC (and a smaller squeeze on SOL) — so the real shared detector
builds a ladder, consumes clusters and raises real alerts. After the script it
either ends or, like a live feed, stays open until ``close()``.

``MarketPrints`` holds the event constructors every script shares (this feed's
symbols and the detector tests' tapes): each event is stamped at the script's
clock plus an offset within the second, at the script's current price.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from scalptui.models import (
    Bar,
    Event,
    FeedStatus,
    History,
    Liquidation,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    Side,
    Source,
    StreamState,
    TakerSide,
    Trade,
)

EXCHANGE = "binanceusdm"
T0_MS = 1_767_225_600_000  # 2026-01-01 00:00:00 UTC: live events start here
FUNDING_INTERVAL_MS = 8 * 3600 * 1000
MARKETS: tuple[str, ...] = (
    "BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT", "XRP/USDT:USDT", "DOGE/USDT:USDT",
    "BNB/USDT:USDT", "ADA/USDT:USDT", "AVAX/USDT:USDT", "LINK/USDT:USDT", "LTC/USDT:USDT",
    "SUI/USDT:USDT", "TON/USDT:USDT", "ARB/USDT:USDT", "OP/USDT:USDT", "PEPE/USDT:USDT",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class MarketSpec:
    symbol: str
    price: float
    usd_per_s: float
    oi: float
    tick: float
    funding: float


SPECS: dict[str, MarketSpec] = {
    "BTC/USDT:USDT": MarketSpec("BTC/USDT:USDT", 97_000.0, 200_000.0, 85_000.0, 0.1, 0.00018),
    "ETH/USDT:USDT": MarketSpec("ETH/USDT:USDT", 3_400.0, 90_000.0, 2_100_000.0, 0.01, 0.0001),
    "SOL/USDT:USDT": MarketSpec("SOL/USDT:USDT", 180.0, 30_000.0, 45_000_000.0, 0.01, -0.00012),
}


class MarketPrints:
    """The events of one scripted symbol, built from its clock and price.

    A mixin for the dataclasses that script a market: they provide ``symbol``,
    ``price``, ``ts`` (the start of the current second, ms) and ``events``.
    """

    exchange = EXCHANGE
    symbol: str
    price: float
    ts: int
    events: list[Event]

    def trade(self, side: TakerSide, usd: float, dt_ms: int = 0) -> None:
        """A taker trade worth ``usd`` at the current price."""
        self.events.append(
            Trade(self.ts + dt_ms, self.exchange, self.symbol, self.price, usd / self.price, side)
        )

    def liquidation(self, side: Side, usd: float, dt_ms: int = 500) -> None:
        """A forced close of ``side`` worth ``usd``, as a sampled venue (Binance) prints it."""
        self.events.append(
            Liquidation(
                self.ts + dt_ms,
                self.exchange,
                self.symbol,
                side,
                self.price,
                usd / self.price,
                usd,
                sampled=True,
            )
        )

    def mark(
        self,
        funding: float,
        *,
        index: float | None = None,
        next_funding_ts: int | None = None,
        funding_interval_h: float | None = None,
        dt_ms: int = 900,
    ) -> None:
        """The once-a-second mark price (the current price), with funding."""
        self.events.append(
            MarkPrice(
                self.ts + dt_ms,
                self.exchange,
                self.symbol,
                self.price,
                self.price if index is None else index,
                funding,
                next_funding_ts,
                funding_interval_h,
            )
        )

    def open_interest(self, amount: float, value: float | None = None, dt_ms: int = 950) -> None:
        """An open-interest sample of ``amount`` base units."""
        self.events.append(OpenInterest(self.ts + dt_ms, self.exchange, self.symbol, amount, value))


@dataclass
class _SymbolScript(MarketPrints):
    """One symbol's market; every method appends events and advances its clock."""

    spec: MarketSpec
    seed: int
    ts: int = T0_MS
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.symbol = self.spec.symbol
        self.price = self.spec.price
        self.oi = self.spec.oi
        self._next_oi = self.ts

    def preamble(self) -> None:
        self.events.append(
            MarketInfo(
                self.ts - 1,
                EXCHANGE,
                self.symbol,
                self.spec.tick,
                max_leverage=125.0,
                funding_interval_h=8.0,
            )
        )
        self.events.append(self._history())

    def _history(self) -> History:
        """A day of 5-minute bars with open interest building up: the warm start."""
        bars: list[Bar] = []
        ois: list[OpenInterest] = []
        price = self.price * 0.97
        oi = self.oi * 0.8
        step = 300_000
        start = self.ts - 288 * step
        for i in range(288):
            ts = start + i * step
            drift = math.log(self.price / price) / (288 - i)
            close = price * math.exp(drift + self.rng.gauss(0.0, 0.0025))
            high = max(price, close) * (1 + abs(self.rng.gauss(0.0, 0.001)))
            low = min(price, close) * (1 - abs(self.rng.gauss(0.0, 0.001)))
            volume = self.spec.usd_per_s * 300 / close
            bars.append(
                Bar(ts, price, high, low, close, volume, volume * self.rng.uniform(0.4, 0.6))
            )
            oi *= 1.0 + self.rng.uniform(-0.002, 0.004)
            ois.append(OpenInterest(ts, EXCHANGE, self.symbol, oi, oi * close))
            price = close
        self.price = price
        self.oi = oi
        return History(self.ts - 1, EXCHANGE, self.symbol, tuple(bars), tuple(ois))

    def _second_end(self, oi_drift: float) -> None:
        next_funding = (self.ts // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS
        self.mark(
            self.spec.funding,
            index=self.price * 0.9998,
            next_funding_ts=next_funding,
            funding_interval_h=8.0,
        )
        if self.ts >= self._next_oi:
            self.oi *= 1.0 + oi_drift + self.rng.gauss(0.0, 0.0003)
            self.open_interest(self.oi, self.oi * self.price)
            self._next_oi = self.ts + 15_000
        self.ts += 1000

    def calm(self, seconds: int, sigma: float = 1.5e-4) -> None:
        anchor = self.price
        for _ in range(seconds):
            pull = 0.02 * math.log(anchor / self.price)
            self.price *= math.exp(pull + self.rng.gauss(0.0, sigma))
            for k in range(4):
                side = TakerSide.BUY if self.rng.random() < 0.5 else TakerSide.SELL
                self.trade(side, self.spec.usd_per_s / 4 * self.rng.uniform(0.5, 1.5), k * 200)
            if self.rng.random() < 0.05:
                liq_side = Side.LONG if self.rng.random() < 0.5 else Side.SHORT
                self.liquidation(liq_side, self.spec.usd_per_s * self.rng.uniform(0.1, 0.4))
            self._second_end(0.0002)

    def forced(self, seconds: int, move: float, side: Side, liq_usd: float) -> None:
        """A chain of forced orders: price moves ``move`` with a same-side print each second."""
        step = math.log1p(move) / seconds
        taker = TakerSide.SELL if side is Side.LONG else TakerSide.BUY
        other = TakerSide.BUY if taker is TakerSide.SELL else TakerSide.SELL
        for _ in range(seconds):
            self.price *= math.exp(step + self.rng.gauss(0.0, abs(step) * 0.2))
            for k in range(4):
                self.trade(taker, self.spec.usd_per_s * 6 / 4, k * 200)
            self.trade(other, self.spec.usd_per_s * 0.3, 850)
            self.liquidation(side, liq_usd * self.rng.uniform(0.6, 1.4))
            self._second_end(-0.002)


def _live_statuses(symbols: tuple[str, ...], ts: int) -> list[Event]:
    out: list[Event] = []
    for symbol in symbols:
        for stream in ("trades", "mark", "liquidations"):
            out.append(
                FeedStatus(ts, EXCHANGE, symbol, stream, StreamState.LIVE, last_message_ts=ts)
            )
    return out


def scripted_events(
    symbols: tuple[str, ...] = tuple(SPECS),
    *,
    calm_s: int = 240,
    cascade_s: int = 35,
    seed: int = 7,
) -> list[Event]:
    """Every symbol's script merged in time order; BTC cascades, SOL squeezes."""
    scripts = [
        _SymbolScript(SPECS.get(s, MarketSpec(s, 100.0, 10_000.0, 1e6, 0.01, 0.0001)), seed + i)
        for i, s in enumerate(symbols)
    ]
    streams: list[list[Event]] = []
    for script in scripts:
        script.preamble()
        script.calm(calm_s)
        if script.symbol.startswith("BTC/"):
            script.forced(cascade_s, -0.035, Side.LONG, 1_500_000.0)
        elif script.symbol.startswith("SOL/"):
            script.forced(cascade_s, 0.045, Side.SHORT, 150_000.0)
        else:
            script.calm(cascade_s)
        streams.append(script.events)
    merged = list(heapq.merge(*streams, key=lambda e: e.ts))
    return _live_statuses(symbols, T0_MS) + merged


def script_end_ms(events: list[Event]) -> int:
    return max(e.ts for e in events)


class ScriptedFeed:
    """A ``Feed`` over a fixed event list (see the module docstring)."""

    recorded_source: Source | None = None
    """Scripted, not recorded."""
    progress: float | None = None
    """Like a live feed it may stay open after the script, so no share is shown."""

    def __init__(
        self,
        events: list[Event],
        symbols: tuple[str, ...],
        *,
        source: Source = Source.SIMULATED,
        hold_open: bool = True,
        yield_every: int | None = 500,
        markets: tuple[str, ...] = MARKETS,
    ) -> None:
        self.exchange = EXCHANGE
        self.source = source
        self._events = events
        self._symbols = symbols
        self._hold_open = hold_open
        self._yield_every = yield_every
        self._markets = markets
        self._closed = asyncio.Event()
        self.drained = asyncio.Event()
        """Set once every scripted event has been yielded."""
        self.added: list[str] = []
        self.removed: list[str] = []

    @property
    def symbols(self) -> tuple[str, ...]:
        return self._symbols

    async def events(self) -> AsyncIterator[Event]:
        for i, evt in enumerate(self._events):
            if self._closed.is_set():
                return
            yield evt
            if self._yield_every and i % self._yield_every == self._yield_every - 1:
                await asyncio.sleep(0)  # let the UI tick between chunks, as a socket would
        self.drained.set()
        if self._hold_open:
            await self._closed.wait()

    async def add_symbol(self, symbol: str) -> None:
        from scalptui.feed.base import FeedError

        if symbol not in self._markets:
            raise FeedError(f"unknown symbol {symbol} on {self.exchange}")
        self.added.append(symbol)
        self._symbols = (*self._symbols, symbol)

    async def remove_symbol(self, symbol: str) -> None:
        self.removed.append(symbol)
        self._symbols = tuple(s for s in self._symbols if s != symbol)

    async def list_symbols(self) -> list[str]:
        return list(self._markets)

    async def close(self) -> None:
        self._closed.set()
