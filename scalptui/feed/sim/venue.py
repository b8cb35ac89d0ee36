"""What the simulated exchange shares with each extra wire format it speaks.

``SimExchange`` speaks Binance USDⓈ-M itself (``server.py`` + ``protocol.py``)
and hands the Bybit v5 (``bybit.py``) and OKX v5 (``okx.py``) protocols to a
``SimVenue`` each, over the same market and the same port. A venue renders the
market's events in its own format and answers its own REST paths and WebSocket
requests; the server keeps the clock, the sockets, the subscriptions and the
fault hooks, so a drop, a stall, a garbage frame or an HTTP failure reaches
every venue the same way.

Subscriptions are keyed by strings the venue chooses, prefixed with its id
(``bybit:publicTrade.BTCUSDT``), so they never collide with Binance's stream
names or with another venue's.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from scalptui.feed.sim.events import SimEvent
from scalptui.feed.sim.market import MarketModel

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Publish = Callable[[str, str, Any], int]
"""``publish(kind, key, frame)`` queues ``frame`` to every socket subscribed to ``key``
(unless ``kind`` is stalled) and returns how many sockets got it."""
Clock = Callable[[], int]


def dumps(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"))


def decimals_of(step: float) -> int:
    """Decimal places needed to print multiples of ``step`` (a power of ten or finer)."""
    text = f"{step:.12f}".rstrip("0")
    return len(text.partition(".")[2])


@dataclass(slots=True)
class WsReply:
    """What one client request asks of the server, in order: subscribe ``subscribe``,
    drop ``unsubscribe``, then send ``frames`` (acks first, then any snapshot)."""

    frames: list[str] = field(default_factory=list)
    subscribe: list[str] = field(default_factory=list)
    unsubscribe: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VenueHost:
    """What the server lends a venue: the market, the exchange clock, publishing."""

    model: MarketModel
    now_ms: Clock
    publish: Publish
    is_subscribed: Callable[[str], bool]


class SimVenue(Protocol):
    """One extra wire format of the simulated exchange (see the module docstring)."""

    id: str
    stream_kinds: tuple[str, ...]
    """Stream kinds ``SimExchange.stall`` accepts for this venue (``bybit.publicTrade``…)."""

    def routes(self) -> Mapping[str, Handler]:
        """REST path → handler."""
        ...

    def owns_ws_path(self, path: str) -> bool: ...

    def owns_rest_path(self, path: str) -> bool: ...

    def on_ws_text(self, text: str, conn_id: str) -> WsReply:
        """One text frame from a client (subscribe, unsubscribe, ping, garbage)."""
        ...

    def on_events(self, events: Sequence[SimEvent]) -> None:
        """One tick's market events, in time order per symbol (frames may wait for ``flush``)."""
        ...

    def flush(self, now_ms: int) -> None:
        """End of a server tick: send what was batched and whatever became due."""
        ...

    def failure(self, status: int) -> web.Response:
        """The venue's answer when ``SimExchange.fail_http`` fails a request."""
        ...

    def unknown_path(self, request: web.Request) -> web.Response: ...

    @property
    def stats(self) -> dict[str, int]: ...
