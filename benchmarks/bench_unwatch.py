"""What a symbol taken off the watchlist still costs: frames the venue sends for it.

    PYTHONPATH=. python benchmarks/bench_unwatch.py [--seconds 15] [--scale 1]

Two symbols (BTC, ETH) stream through real ccxt.pro from the simulated exchange on
each venue; BTC is then removed (``Feed.remove_symbol``, as the TUI's ``x`` does).
Counted on the exchange's side (frames queued to the client's sockets, trade and
mark/ticker streams), per second of wall time, before and after the removal — once
with the removal's un-watch and once without it (the feed only dropping what still
arrives, as before the un-watch). Reported as the after/before ratio of each run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from scalptui.feed.ccxt_feed import CcxtFeed
from scalptui.feed.sim import SimExchange
from scalptui.models import Event, Trade

BTC, ETH = "BTC/USDT:USDT", "ETH/USDT:USDT"
COUNTERS = {
    "binanceusdm": ("messages_trade", "messages_aggTrade", "messages_markPrice"),
    "bybit": ("messages_bybit.publicTrade", "messages_bybit.tickers"),
    "okx": ("messages_okx.trades", "messages_okx.mark-price"),
}


async def frames_per_s(sim: SimExchange, venue: str, seconds: float) -> float:
    before = sim.stats
    await asyncio.sleep(seconds)
    after = sim.stats
    return sum(after.get(k, 0) - before.get(k, 0) for k in COUNTERS[venue]) / seconds


async def run(venue: str, unwatch: bool, seconds: float, scale: float) -> tuple[float, float]:
    async with SimExchange((BTC, ETH), seed=1, time_scale=scale) as sim:
        feed = CcxtFeed(venue, [BTC, ETH], base_url=sim.base_url, warm_start=False)
        if not unwatch:
            skip: Callable[..., Awaitable[None]] = lambda *_: asyncio.sleep(0)  # noqa: E731
            setattr(feed, "_unwatch", skip)  # noqa: B010 - the feed as before the un-watch
        try:
            await feed.start()
            events = feed.events()
            await asyncio.wait_for(_first_of_both(events), 30)
            reader = asyncio.create_task(_drain_iter(events))
            before = await frames_per_s(sim, venue, seconds)
            await feed.remove_symbol(BTC)
            after = await frames_per_s(sim, venue, seconds)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            return before, after
        finally:
            await feed.close()


async def _first_of_both(events: AsyncIterator[Event]) -> None:
    seen: set[str] = set()
    async for event in events:
        if isinstance(event, Trade):
            seen.add(event.symbol)
            if seen == {BTC, ETH}:
                return


async def _drain_iter(events: AsyncIterator[Event]) -> None:
    async for _ in events:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--scale", type=float, default=1.0, help="exchange time per wall time")
    args = parser.parse_args()
    print("| venue | removal | frames/s before | after | after / before |")
    print("|---|---|---|---|---|")
    for venue in COUNTERS:
        for unwatch in (False, True):
            before, after = asyncio.run(run(venue, unwatch, args.seconds, args.scale))
            label = "un-watch" if unwatch else "drop only"
            print(f"| {venue} | {label} | {before:.1f} | {after:.1f} | {after / before:.2f} |")


if __name__ == "__main__":
    main()
