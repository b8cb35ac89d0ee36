"""Helpers for running the real CcxtFeed (real ccxt.pro) against the loopback SimExchange."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from scalptui.feed.ccxt_feed import CcxtFeed
from scalptui.feed.sim import SimExchange
from scalptui.models import Event, FeedStatus, StreamState

BTC = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"


class Collector:
    """Consumes ``feed.events()`` in the background; tests wait on conditions, never sleep."""

    def __init__(self, feed: CcxtFeed) -> None:
        self.feed = feed
        self.events: list[Event] = []
        self.counts: Counter[type] = Counter()
        self._changed = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for event in self.feed.events():
            self.events.append(event)
            self.counts[type(event)] += 1
            self._changed.set()

    async def until(self, condition: Callable[[], bool]) -> None:
        """Return once ``condition()`` holds (checked after every event)."""
        while not condition():
            if self.task.done():
                self.task.result()
                raise AssertionError("the feed ended before the condition held")
            self._changed.clear()
            await self._changed.wait()

    async def next_event(self, match: Callable[[Event], bool], start: int = 0) -> int:
        """Index of the first event at or after ``start`` that matches."""
        index = start
        while True:
            while index < len(self.events):
                if match(self.events[index]):
                    return index
                index += 1
            await self._more_than(index)

    async def _more_than(self, count: int) -> None:
        await self.until(lambda: len(self.events) > count)

    def of(self, kind: type[Any], start: int = 0) -> list[Any]:
        return [e for e in self.events[start:] if isinstance(e, kind)]

    def states(self, stream: str, symbol: str | None = None, start: int = 0) -> list[StreamState]:
        return [
            e.state
            for e in self.of(FeedStatus, start)
            if e.stream == stream and (symbol is None or e.symbol == symbol)
        ]


def is_status(
    stream: str, state: StreamState, symbol: str | None = None
) -> Callable[[Event], bool]:
    def match(event: Event) -> bool:
        return (
            isinstance(event, FeedStatus)
            and event.stream == stream
            and event.state is state
            and (symbol is None or event.symbol == symbol)
        )

    return match


@contextlib.asynccontextmanager
async def sim_feed(
    symbols: tuple[str, ...] = (BTC,),
    *,
    sim_symbols: tuple[str, ...] | None = None,
    seed: int = 0,
    time_scale: float = 1.0,
    scenario: str = "calm",
    exchange: str = "binanceusdm",
    **feed_options: Any,
) -> AsyncIterator[tuple[SimExchange, CcxtFeed, Collector]]:
    """A SimExchange, a CcxtFeed of ``exchange`` on it (the simulator speaks Binance,
    Bybit and OKX), and a Collector of its events; all closed after."""
    listed = sim_symbols or symbols
    async with SimExchange(listed, seed=seed, time_scale=time_scale, scenario=scenario) as sim:
        feed = CcxtFeed(exchange, symbols, base_url=sim.base_url, **feed_options)
        try:
            await feed.start()
            collector = Collector(feed)
            try:
                yield sim, feed, collector
            finally:
                await feed.close()
                await asyncio.wait_for(collector.task, 5)
        finally:
            await feed.close()


def latest_states(events: Sequence[object]) -> dict[tuple[str, str], StreamState]:
    """The last state each (symbol, stream) reported among ``events``."""
    out: dict[tuple[str, str], StreamState] = {}
    for event in events:
        if isinstance(event, FeedStatus) and event.symbol is not None:
            out[(event.symbol, event.stream)] = event.state
    return out
