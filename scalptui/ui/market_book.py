"""What the app keeps of the feed beside the detector: stream states, message times,
funding history and the warm-start bars.

The detector answers "what is the market doing"; this answers "is the feed
alive, and what does the screen need that the detector does not keep". Every
container is bounded by the watchlist (one entry per symbol or stream) or by
``FUNDING_POINTS``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from scalptui.models import Bar, Event, FeedStatus, History, MarkPrice, StreamState
from scalptui.numfmt import funding_8h

FUNDING_POINTS = 240
"""Funding samples kept per symbol for the chart: four hours at one a minute."""
CLOCK_STREAM = "clock"
"""The feed's clock-skew report: a note in the header, not a data stream's state."""
_STATE_RANK = {
    StreamState.LIVE: 0,
    StreamState.CONNECTING: 1,
    StreamState.STALE: 2,
    StreamState.RECONNECTING: 3,
    StreamState.CLOSED: 4,
    StreamState.FAILED: 5,
}

StatusKey = tuple[str | None, str]
FundingPoints = tuple[tuple[int, float], ...]


def feed_state(
    statuses: dict[StatusKey, FeedStatus],
    symbol: str,
    last_message_ms: int | None,
    now_ms: int,
    stale_after_s: float,
) -> tuple[StreamState, float | None]:
    """The worst state of the symbol's streams, and the age of its last message.

    A "live" stream with no message for ``stale_after_s`` is reported stale:
    the header never shows a frozen "live".
    """
    relevant = [
        s.state
        for (sym, stream), s in statuses.items()
        if sym in (symbol, None) and stream != CLOCK_STREAM
    ]
    if relevant:
        state = max(relevant, key=lambda s: _STATE_RANK.get(s, 0))
    else:
        state = StreamState.LIVE if last_message_ms is not None else StreamState.CONNECTING
    age = None if last_message_ms is None else max(0.0, (now_ms - last_message_ms) / 1000.0)
    if state is StreamState.LIVE and (age is None or age > stale_after_s):
        state = StreamState.STALE if age is not None else StreamState.CONNECTING
    return state, age


class MarketBook:
    """The feed's side data the panels show, updated from every event.

    ``clock`` is the wall clock in seconds: a message's age is wall time, whatever
    the event's own timestamp (a replay's are hours old).
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.statuses: dict[StatusKey, FeedStatus] = {}
        self.last_message_ms: dict[str, int] = {}
        self.funding_history: dict[str, deque[tuple[int, float]]] = {}
        self.warm_bars: dict[str, tuple[Bar, ...]] = {}

    def record(self, evt: Event) -> None:
        """Note what ``evt`` says about its stream."""
        if isinstance(evt, FeedStatus):
            self.statuses[(evt.symbol, evt.stream)] = evt
            return
        if isinstance(evt, MarkPrice) and evt.funding_rate is not None:
            self._record_funding(evt)
        elif isinstance(evt, History):
            # Kept for the price panel: the first hour's 1 h change is read from them.
            self.warm_bars[evt.symbol] = tuple(sorted(evt.bars, key=lambda b: b.ts))
        symbol = getattr(evt, "symbol", None)
        if symbol is not None:
            self.last_message_ms[symbol] = int(self._clock() * 1000)

    def _record_funding(self, mark: MarkPrice) -> None:
        """One funding sample per minute of event time, per symbol, for the chart."""
        if mark.funding_rate is None:
            return
        history = self.funding_history.setdefault(mark.symbol, deque(maxlen=FUNDING_POINTS))
        if history and mark.ts - history[-1][0] < 60_000:
            return
        history.append((mark.ts, funding_8h(mark.funding_rate, mark.funding_interval_h)))

    def funding_of(self, symbol: str) -> FundingPoints:
        return tuple(self.funding_history.get(symbol, ()))

    def all_funding(self) -> dict[str, FundingPoints]:
        return {s: tuple(h) for s, h in self.funding_history.items()}

    def stream_state(
        self, symbol: str, now_ms: int, stale_after_s: float
    ) -> tuple[StreamState, float | None]:
        """``feed_state`` of ``symbol`` from what has been recorded."""
        last = self.last_message_ms.get(symbol)
        return feed_state(self.statuses, symbol, last, now_ms, stale_after_s)

    def clock_note(self) -> str:
        """The header's short note on clock skew, empty while the clock is fine."""
        status = self.statuses.get((None, CLOCK_STREAM))
        if status is None or status.state is StreamState.LIVE:
            return ""
        return status.detail.replace("local clock is ", "clock ").replace(" the exchange's", "")

    def mark_ended(self, exchange: str) -> None:
        """The feed's event stream ended: the header shows it closed."""
        self.statuses[(None, "feed")] = FeedStatus(
            ts=int(self._clock() * 1000),
            exchange=exchange,
            symbol=None,
            stream="feed",
            state=StreamState.CLOSED,
            detail="the stream ended",
        )
