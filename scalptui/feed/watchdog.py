"""Per-stream health: when a stream is live, stale, reconnecting (docs/design.md § Staleness).

* A **regular** stream (trades, Binance mark price every second, Bybit tickers)
  is stale after ``stale_after_s`` without a message, or after a longer silence
  its own cadence shows to be ordinary: a thin symbol's trades pause for 20 s in
  a quiet hour, and a fixed 10 s would report them stale and re-subscribe them
  every few minutes, for days (``learnt_deadline``).
* A **quiet** stream (liquidations) is silent in calm markets and its silence is
  normal: it is judged by its connection alone, live while connected.
* A **poll** (open interest over REST) is stale after two failed polls in a row.

``StreamHealth`` is plain state with a monotonic clock passed in, so the rules
are tested without sleeping; every method returns the new state when it
changed (the feed emits one FeedStatus per change) and None otherwise.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum

from scalptui.models import StreamState

FAILED_POLLS_BEFORE_STALE = 2

LEARNT_GAPS = 32
"""The latest gaps between a stream's messages its ordinary lulls are learnt from: short
enough to follow a symbol from a busy hour into a quiet one within a few lulls."""
MIN_LEARNT_GAPS = 8
LULL_FACTOR = 4.0
"""A stream is stale once silent this many times its 90th-percentile gap: for trades
arriving at random (a Poisson stream) that is about 1 ordinary gap in 10 000."""
MAX_LEARNT_STALE_S = 120.0
"""However thin the symbol, a stream silent for two minutes is reported and
re-subscribed: a connection that died without closing is found within that."""


class Cadence(StrEnum):
    REGULAR = "regular"
    QUIET = "quiet"
    POLL = "poll"


class StreamHealth:
    """The state machine of one stream (one connection's share of it)."""

    __slots__ = (
        "_deadline",
        "_deadline_messages",
        "_gaps",
        "cadence",
        "connected_at",
        "failed_polls",
        "last_message",
        "messages",
        "messages_since_connect",
        "stale_after_s",
        "state",
        "subscribing_at",
    )

    def __init__(self, cadence: Cadence, stale_after_s: float) -> None:
        self.cadence = cadence
        self.stale_after_s = stale_after_s
        self.state = StreamState.CONNECTING
        self.last_message: float | None = None
        self.connected_at: float | None = None
        self.subscribing_at: float | None = None
        """When the session under way began subscribing (``on_subscribing``)."""
        self.messages = 0
        self.messages_since_connect = 0
        self.failed_polls = 0
        self._gaps: deque[float] = deque(maxlen=LEARNT_GAPS)
        self._deadline = stale_after_s
        self._deadline_messages = 0

    def _move(self, state: StreamState) -> StreamState | None:
        if state is self.state:
            return None
        self.state = state
        return state

    def on_message(self, now: float) -> StreamState | None:
        """A message arrived: the hot path, so a gap, a counter, a time and a comparison."""
        if self.last_message is not None:
            self._gaps.append(now - self.last_message)
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

    def on_subscribing(self, now: float) -> None:
        """A new session starts: until it connects, its silence counts from now. Counted
        from the last message before an outage, every new connection of a venue back
        from one was dropped at its first watchdog tick, still opening, and the stream
        stayed dark 20-40 s more while its back-off grew."""
        self.subscribing_at = now

    def on_connection_lost(self) -> StreamState | None:
        self.connected_at = None
        self.messages_since_connect = 0
        if self.state is StreamState.CLOSED:
            return None
        return self._move(StreamState.RECONNECTING)

    def silent_for(self, now: float) -> float | None:
        """Seconds since the last message, or since this session connected (or began
        subscribing) when that is later."""
        since = self.last_message
        began = self.connected_at if self.connected_at is not None else self.subscribing_at
        if since is None or (began is not None and since < began):
            since = began
        return None if since is None else now - since

    def is_silent(self, now: float) -> bool:
        """A regular stream past its deadline; quiet and poll streams never are."""
        if self.cadence is not Cadence.REGULAR:
            return False
        silent = self.silent_for(now)
        if silent is None or silent <= self.stale_after_s:
            return False  # the common answer, without the learnt deadline's sort
        return silent > self.deadline_s()

    def deadline_s(self) -> float:
        """How long the stream may be silent: ``stale_after_s``, or the longer lull its
        own cadence shows to be ordinary (``learnt_deadline``), computed once per
        message that came since it last was."""
        if self._deadline_messages != self.messages:
            self._deadline_messages = self.messages
            self._deadline = learnt_deadline(self._gaps, self.stale_after_s)
        return self._deadline

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


def learnt_deadline(gaps: deque[float], floor_s: float) -> float:
    """``LULL_FACTOR`` times the 90th percentile of ``gaps``, between ``floor_s`` and
    ``MAX_LEARNT_STALE_S`` (``floor_s`` until ``MIN_LEARNT_GAPS`` have been seen).

    A liquid symbol's trades come many times a second, so its deadline stays the
    configured one; a symbol that trades every few seconds earns a deadline of tens
    of seconds. The percentile, not the largest gap, so that one outage does not
    teach the stream that outages are ordinary."""
    if len(gaps) < MIN_LEARNT_GAPS:
        return floor_s
    ordered = sorted(gaps)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return max(floor_s, min(MAX_LEARNT_STALE_S, LULL_FACTOR * p90))
