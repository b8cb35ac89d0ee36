"""Per-stream health: when a stream is live, stale, reconnecting (DESIGN § Staleness).

* A **regular** stream (trades on a liquid symbol, Binance mark price every
  second, Bybit tickers) is stale after ``stale_after_s`` without a message.
* A **quiet** stream (liquidations) is silent in calm markets and its silence is
  normal: it is judged by its connection alone, live while connected.
* A **poll** (open interest over REST) is stale after two failed polls in a row.

``StreamHealth`` is plain state with a monotonic clock passed in, so the rules
are tested without sleeping; every method returns the new state when it
changed (the feed emits one FeedStatus per change) and None otherwise.
"""

from __future__ import annotations

from enum import StrEnum

from scalptui.models import StreamState

FAILED_POLLS_BEFORE_STALE = 2


class Cadence(StrEnum):
    REGULAR = "regular"
    QUIET = "quiet"
    POLL = "poll"


class StreamHealth:
    """The state machine of one stream (one connection's share of it)."""

    __slots__ = (
        "cadence",
        "connected_at",
        "failed_polls",
        "last_message",
        "messages",
        "messages_since_connect",
        "stale_after_s",
        "state",
    )

    def __init__(self, cadence: Cadence, stale_after_s: float) -> None:
        self.cadence = cadence
        self.stale_after_s = stale_after_s
        self.state = StreamState.CONNECTING
        self.last_message: float | None = None
        self.connected_at: float | None = None
        self.messages = 0
        self.messages_since_connect = 0
        self.failed_polls = 0

    def _move(self, state: StreamState) -> StreamState | None:
        if state is self.state:
            return None
        self.state = state
        return state

    def on_message(self, now: float) -> StreamState | None:
        """A message arrived: the hot path, so a counter, a time and one comparison."""
        self.last_message = now
        self.messages += 1
        self.messages_since_connect += 1
        if self.state is StreamState.LIVE:
            return None
        return self._move(StreamState.LIVE)

    def on_connected(self, now: float) -> StreamState | None:
        """The connection carrying the stream is up (quiet streams go live here)."""
        if self.connected_at is not None:
            return None
        self.connected_at = now
        if self.cadence is Cadence.QUIET:
            return self._move(StreamState.LIVE)
        return None

    def on_connection_lost(self) -> StreamState | None:
        self.connected_at = None
        self.messages_since_connect = 0
        if self.state is StreamState.CLOSED:
            return None
        return self._move(StreamState.RECONNECTING)

    def silent_for(self, now: float) -> float | None:
        """Seconds since the last message (or since connecting, before the first)."""
        since = self.last_message
        if since is None or (self.connected_at is not None and since < self.connected_at):
            since = self.connected_at
        return None if since is None else now - since

    def is_silent(self, now: float) -> bool:
        """A regular stream past its deadline; quiet and poll streams never are."""
        if self.cadence is not Cadence.REGULAR:
            return False
        silent = self.silent_for(now)
        return silent is not None and silent > self.stale_after_s

    def check(self, now: float) -> StreamState | None:
        """Periodic check: a silent regular stream becomes stale."""
        if self.state in (StreamState.CLOSED, StreamState.STALE):
            return None
        if self.is_silent(now):
            return self._move(StreamState.STALE)
        return None

    def on_poll(self, ok: bool, now: float) -> StreamState | None:
        """A REST poll finished: live on success, stale after two failures in a row."""
        if ok:
            self.failed_polls = 0
            self.last_message = now
            self.messages += 1
            return self._move(StreamState.LIVE)
        self.failed_polls += 1
        if self.failed_polls >= FAILED_POLLS_BEFORE_STALE:
            return self._move(StreamState.STALE)
        return None

    def close(self) -> StreamState | None:
        return self._move(StreamState.CLOSED)

    def fail(self) -> StreamState | None:
        return self._move(StreamState.FAILED)
