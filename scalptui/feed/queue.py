"""The queue between a live feed's sinks (called inside ccxt's handlers) and its consumer.

One ``EventQueue`` serves one ``CcxtFeed``, or every venue of a ``MultiFeed``: the
venues' sinks put their events straight into the one queue, so an event costs no
forwarding task, no extra async-generator layer and no await between the frame
that carried it and the detector. The consumer takes events in arrival order —
oldest first across venues, so no venue's events wait behind another's backlog.

Each venue has its own bound: past ``limit`` events of a venue waiting, that
venue's trades and marks are shed (the caller counts them), never a liquidation,
a status or a start-up record (docs/design.md § Data flow: a liquidation is never lost).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from scalptui.models import Event, MarkPrice, Trade

QUEUE_SIZE = 100_000
"""Events of one venue buffered for a slow consumer; past it its trades and marks are
dropped (counted), never liquidations, statuses or start-up records."""
SHEDDABLE = (Trade, MarkPrice)


class _End:
    """The end marker: after it the consumer stops (queued like an event, in order)."""

    exchange = ""


END: Any = _End()


class EventQueue:
    """A FIFO of events from one or several venues, each venue under its own bound."""

    def __init__(self, limit: int = QUEUE_SIZE) -> None:
        self.limit = limit
        self._items: deque[Any] = deque()
        self._pending: dict[str, int] = {}
        self._waiter: asyncio.Future[None] | None = None

    def pending(self, venue: str) -> int:
        """Events of ``venue`` waiting for the consumer."""
        return self._pending.get(venue, 0)

    def put(self, event: Event | Any) -> bool:
        """Queue ``event`` without waiting; False (nothing queued) for a trade or a mark
        while its venue has ``limit`` events waiting."""
        venue = event.exchange
        waiting = self._pending.get(venue, 0)
        if waiting >= self.limit and isinstance(event, SHEDDABLE):
            return False
        self._pending[venue] = waiting + 1
        self._items.append(event)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return True

    def empty(self) -> bool:
        return not self._items

    def get_nowait(self) -> Any:
        """The oldest event (or the end marker); ``asyncio.QueueEmpty`` when none waits."""
        try:
            item = self._items.popleft()
        except IndexError:
            raise asyncio.QueueEmpty from None
        self._pending[item.exchange] -= 1
        return item

    async def wait(self) -> None:
        """Return once something is queued (at once if something is)."""
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                if self._waiter is waiter:
                    self._waiter = None

    async def get(self) -> Any:
        await self.wait()
        return self.get_nowait()

    async def drain(
        self, before: Callable[[], Awaitable[None]] | None = None
    ) -> AsyncIterator[Event]:
        """Every event in arrival order until the end marker, awaiting only when empty;
        ``before`` (a feed's start-up) runs first. The feed hands this generator out
        itself, so an event crosses no second async-generator layer."""
        if before is not None:
            await before()
        take = self.get_nowait
        while True:
            if not self._items:
                await self.wait()
            item = take()
            if item is END:
                return
            yield item
