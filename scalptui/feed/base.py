"""What every feed offers the rest of the program (live ccxt.pro, replay, tests).

A feed yields normalised events (``scalptui.models.Event``) in arrival order. It
sends one ``MarketInfo`` per symbol (and a ``History`` for the warm start where
the venue has one) before that symbol's market events, and ``FeedStatus``
records whenever a stream changes state. It never raises out of ``events()``
for problems met while running (a dropped connection, a malformed frame): those
become statuses and retries. Problems that make the run impossible (unknown
exchange or symbol, endpoint unreachable after retries) raise ``FeedError``
with one clear line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from scalptui.models import Event, Source

SIMULATED_HEADER = "X-Scalptui-Simulated"
"""Sent on every REST answer of the built-in simulated exchange, so a feed pointed at
it with ``--base-url`` labels its data SIMULATED rather than live."""


STATUS_LOG = {"feed_status": True}
"""``extra`` of a log record that repeats a ``FeedStatus`` the feed also emits: headless
runs print the status itself on stderr, so their stderr log leaves these out."""


class FeedError(Exception):
    """The run cannot go on (bad exchange, unknown symbol, unreachable endpoint)."""


class Feed(Protocol):
    exchange: str

    @property
    def source(self) -> Source:
        """Where the data comes from (a live feed may find it is talking to the simulator)."""
        ...

    @property
    def symbols(self) -> tuple[str, ...]:
        """The symbols currently streamed."""
        ...

    @property
    def recorded_source(self) -> Source | None:
        """Where a recording's data came from (live or simulated); None unless replaying."""
        ...

    @property
    def progress(self) -> float | None:
        """Share of a recording played so far, 0..1; None for a feed without an end."""
        ...

    def events(self) -> AsyncIterator[Event]:
        """Every event until ``close()``; may be iterated once."""
        ...

    async def add_symbol(self, symbol: str) -> None:
        """Start streaming one more symbol (raises FeedError if unknown)."""
        ...

    async def remove_symbol(self, symbol: str) -> None:
        """Stop streaming one symbol (nothing happens if it is not streamed)."""
        ...

    async def list_symbols(self) -> list[str]:
        """Every symbol the venue offers (for the symbol search)."""
        ...

    async def close(self) -> None:
        """Stop every stream and close the exchange; idempotent."""
        ...


@runtime_checkable
class Shedding(Protocol):
    """A live feed whose bounded queue sheds trades and marks under backlog."""

    @property
    def shed_events(self) -> dict[str, int]:
        """Trades and marks dropped so far because the consumer fell behind, per venue
        (never a liquidation or a status: those are always kept)."""
        ...


@runtime_checkable
class Playback(Protocol):
    """A feed that plays events already recorded, and so can hold them (a replay)."""

    def hold(self, held: bool) -> None:
        """Stop handing out events (True) or go on where it stopped (False); the pacing
        resumes from there, so nothing is played faster to catch up."""
        ...

    def position_s(self) -> float | None:
        """Where playback stands on the recording's own clock (epoch seconds), moving at
        the playback's speed; None before it has started."""
        ...

    speed: float
    """Event time per wall time; 0 or less: as fast as it can."""

    def set_speed(self, speed: float) -> None:
        """Play on at ``speed`` from where playback stands (its clock does not jump)."""
        ...
