"""The queue every live feed's sinks put into: arrival order, a bound per venue."""

from __future__ import annotations

import asyncio

import pytest

from scalptui.feed.queue import END, EventQueue
from scalptui.models import FeedStatus, Liquidation, Side, StreamState, TakerSide, Trade


def trade(venue: str, ts: int) -> Trade:
    return Trade(ts, venue, "BTC/USDT:USDT", 100.0, 1.0, TakerSide.BUY)


def liquidation(venue: str, ts: int) -> Liquidation:
    return Liquidation(ts, venue, "BTC/USDT:USDT", Side.LONG, 99.0, 1.0, 99.0, False)


def test_venues_are_read_in_arrival_order() -> None:
    queue = EventQueue(10)
    sent = [trade("bybit", 1), trade("okx", 2), trade("bybit", 3)]
    for event in sent:
        assert queue.put(event)
    assert [queue.get_nowait() for _ in sent] == sent
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


def test_a_venue_past_its_bound_sheds_trades_only_and_leaves_the_others_be() -> None:
    queue = EventQueue(2)
    assert queue.put(trade("bybit", 1)) and queue.put(trade("bybit", 2))
    assert not queue.put(trade("bybit", 3))  # bybit's bound
    assert queue.put(liquidation("bybit", 4))  # never shed
    status = FeedStatus(5, "bybit", None, "feed", StreamState.LIVE, "")
    assert queue.put(status)
    assert queue.put(trade("okx", 6))  # another venue's bound
    assert queue.pending("bybit") == 4 and queue.pending("okx") == 1
    queue.get_nowait()
    assert queue.put(trade("bybit", 7)) is False  # still 3 of bybit's waiting
    for _ in range(3):
        queue.get_nowait()
    assert queue.pending("bybit") == 0
    assert queue.put(trade("bybit", 8))


async def test_a_waiting_consumer_wakes_on_the_next_event_and_the_end() -> None:
    queue = EventQueue(10)
    got: list[object] = []

    async def consume() -> None:
        while (item := await queue.get()) is not END:
            got.append(item)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    first = trade("okx", 1)
    queue.put(first)
    await asyncio.sleep(0)
    assert got == [first]
    queue.put(END)
    await asyncio.wait_for(task, 5)
    assert got == [first]
