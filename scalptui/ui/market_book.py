"""What the app keeps of the feed beside the detector: stream states, message times,
funding history and the warm-start bars.

The detector answers "what is the market doing"; this answers "is the feed
alive, and what does the screen need that the detector does not keep". Every
container is bounded by the watchlist (one entry per symbol or stream) or by
``FUNDING_POINTS``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scalptui.detector.asset_view import usd_value, weighted_rate
from scalptui.detector.assets import SKIPPED_STREAM
from scalptui.detector.detector import STOPPED_KEPT
from scalptui.models import (
    Bar,
    Event,
    FeedStatus,
    History,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    StreamState,
    Trade,
)
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

StatusKey = tuple[str, str | None, str]
"""(venue, symbol, stream): each venue's streams are its own (two venues both have "trades")."""
FundingPoints = tuple[tuple[int, float], ...]


def feed_state(
    statuses: Mapping[Any, FeedStatus],
    symbol: str,
    last_message_ms: int | None,
    now_ms: int,
    stale_after_s: float,
) -> tuple[StreamState, float | None]:
    """The worst state of the symbol's streams, and the age of its last message.

    A "live" stream with no message for ``stale_after_s`` is reported stale:
    the header never shows a frozen "live". Only the records are read (their own
    symbol and stream), whatever the mapping's keys.
    """
    relevant = [
        s.state
        for s in statuses.values()
        if s.symbol in (symbol, None) and s.stream != CLOCK_STREAM
    ]
    if relevant:
        state = max(relevant, key=lambda s: _STATE_RANK.get(s, 0))
    else:
        state = StreamState.LIVE if last_message_ms is not None else StreamState.CONNECTING
    age = None if last_message_ms is None else max(0.0, (now_ms - last_message_ms) / 1000.0)
    if state is StreamState.LIVE and (age is None or age > stale_after_s):
        state = StreamState.STALE if age is not None else StreamState.CONNECTING
    return state, age


STREAM_LABELS = {"open_interest": "OI"}
"""How the header names one stream that is down while the rest of the symbol's data
flows, where its own name is too long (the others: ``trades``, ``mark``, …)."""


QUIET_STREAMS = frozenset({"liquidations", "funding"})
"""Streams silent for minutes in a calm market: their age is how long they have been in
their state, not how old their last message is (a liquidation stream that just dropped
would read "3 h")."""


def lagging_stream(statuses: Mapping[Any, FeedStatus], symbol: str) -> FeedStatus | None:
    """The status that holds the symbol's state down, when it is one of the symbol's own
    streams and another of them is live (an open-interest poll failing while the prices
    stream on); None when all is live, or the trouble is the whole connection's, or
    every stream is down.

    Without it the header read ``◌ stale <2 s``: the state of the open-interest poll
    beside the age of the last trade."""
    worst: FeedStatus | None = None
    rank = 0
    flowing = False
    for status in statuses.values():
        if status.symbol not in (symbol, None) or status.stream == CLOCK_STREAM:
            continue
        flowing = flowing or status.state is StreamState.LIVE
        status_rank = _STATE_RANK.get(status.state, 0)
        if status_rank > rank:
            worst, rank = status, status_rank
    if worst is None or worst.symbol is None or not flowing:
        return None  # all live, the connection's trouble, or every stream down together
    return worst


def state_words(state: StreamState, stream: str = "") -> str:
    """``stale``, or ``OI stale`` when one stream is down while the rest flows."""
    return f"{stream} {state.value}" if stream else state.value


UNLISTED_GLYPH = "–"
"""A venue's mark in the header and the venue table when it does not list the symbol."""


@dataclass(frozen=True, slots=True)
class VenueState:
    """One venue's feed for the symbol on screen: its state and the age of its last message."""

    venue: str
    state: StreamState
    age_s: float | None
    shed: int = 0
    """Trades and marks the venue's feed shed so far because the app fell behind."""
    listed: bool = True
    """False when the venue does not list the symbol (the feed skipped it there): its
    state then says nothing is wrong with the venue, only that it has no such market."""
    stream: str = ""
    """The one stream whose state this is while the venue's other data flows (``OI``);
    ``age_s`` is then that stream's own. Empty when the state is the venue's as a whole."""


def split_venues(exchange: str) -> tuple[str, ...]:
    """``binanceusdm,bybit`` (a feed on several venues) or ``binanceusdm+bybit`` (an alert's
    venues) → each venue id, in order."""
    return tuple(v for v in exchange.replace("+", ",").split(",") if v)


class MarketBook:
    """The feed's side data the panels show, updated from every event.

    ``clock`` is the clock ages are read on, in seconds: the wall clock live, a replay's
    playback position in a replay (the app's ``feed_clock``), whatever the events' own
    timestamps. Stream states and message times are kept per venue, so one venue down
    shows as that venue down.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.statuses: dict[StatusKey, FeedStatus] = {}
        self._venue_statuses: dict[str, dict[StatusKey, FeedStatus]] = {}
        """The same records by each venue they concern (a run-wide one under every venue of
        it): the header reads one venue's at every tick, without a scan of them all."""
        self.last_message_ms: dict[str, int] = {}
        self.last_trade: dict[str, float] = {}
        """Symbol → price of its latest trade on any venue (is the market moving?)."""
        self._status_seen: dict[StatusKey, int] = {}
        """When each status came, wall ms: its stream's age goes on from there."""
        self._down_since: dict[StatusKey, int] = {}
        """When each stream not live now stopped being live, on this book's clock: a quiet
        stream's age, kept through its reconnecting → stale → reconnecting changes."""
        self.venue_message_ms: dict[tuple[str, str], int] = {}
        """(venue, symbol) → wall ms of that venue's last message on the symbol."""
        self.funding_history: dict[str, deque[tuple[int, float]]] = {}
        self._venue_rate: dict[str, dict[str, float]] = {}
        """Symbol → each venue's latest funding rate per 8 h (the chart's weighted mean)."""
        self._funding_now: dict[str, tuple[int, float]] = {}
        """Symbol → (time, weighted rate) of its latest funding, the chart's last point."""
        self._venue_oi: dict[tuple[str, str], tuple[float, float | None]] = {}
        """(venue, symbol) → its latest open interest: amount, USD value if given."""
        self._venue_mark: dict[tuple[str, str], float] = {}
        self.warm_bars: dict[str, tuple[Bar, ...]] = {}
        self._venues: dict[str, None] = {}
        """Every venue in play, in watch order (a dict keeps the order, a set would not)."""
        self._taken_off: dict[str, None] = {}
        """Symbols taken off the watchlist, the longest gone first (``STOPPED_KEPT``)."""

    @property
    def venues(self) -> tuple[str, ...]:
        return tuple(self._venues)

    def note_venues(self, exchange: str) -> None:
        """The feed's venues (``binanceusdm,bybit,okx``), in its watch order."""
        for venue in split_venues(exchange):
            self._venues.setdefault(venue)

    def record(self, evt: Event) -> None:
        """Note what ``evt`` says about its stream."""
        if evt.exchange not in self._venues:
            # A replay may carry venues its feed did not name up front.
            self.note_venues(evt.exchange)
        if type(evt) is Trade:  # the most frequent event first
            self.last_trade[evt.symbol] = evt.price
        elif isinstance(evt, FeedStatus):
            self._keep_status(evt)
            return
        elif isinstance(evt, MarkPrice):
            self._record_funding(evt)
        elif isinstance(evt, OpenInterest):
            self._venue_oi[(evt.exchange, evt.symbol)] = (evt.amount, evt.value)
        elif isinstance(evt, History):
            # Kept for the price panel: the first hour's 1 h change is read from them.
            self.warm_bars[evt.symbol] = tuple(sorted(evt.bars, key=lambda b: b.ts))
            return
        elif isinstance(evt, MarketInfo):
            # Neither is a stream's message: the market list is read once at start and the
            # history is a one-off request, so a symbol added while the venue was down
            # read "● live" on them and then "stale" though no stream had ever delivered.
            return
        symbol = getattr(evt, "symbol", None)
        if symbol is not None:
            now_ms = int(self._clock() * 1000)
            self.last_message_ms[symbol] = now_ms
            self.venue_message_ms[(evt.exchange, symbol)] = now_ms

    def taken_off(self, symbol: str) -> None:
        """``symbol`` left the watchlist: what is known of it is kept for the last
        ``STOPPED_KEPT`` symbols taken off, as the detector keeps their states; a monitor
        that tried symbol after symbol for days kept each one's funding points, candles
        and stream states, and the header's venue check read them all at every tick."""
        self._taken_off.pop(symbol, None)
        self._taken_off[symbol] = None
        while len(self._taken_off) > STOPPED_KEPT:
            self.forget(next(iter(self._taken_off)))

    def forget(self, symbol: str) -> None:
        """Drop what is known of ``symbol`` (it is being added back, afresh): its streams'
        CLOSED states from its removal, its funding points and candles, its ages."""
        self._taken_off.pop(symbol, None)
        for statuses in (self.statuses, *self._venue_statuses.values()):
            for key in [k for k in statuses if k[1] == symbol]:
                del statuses[key]
        for seen in (self._status_seen, self._down_since):
            for key in [k for k in seen if k[1] == symbol]:
                del seen[key]
        for venue in self._venues:
            self.venue_message_ms.pop((venue, symbol), None)
        for table in (self.last_message_ms, self.last_trade, self.funding_history, self.warm_bars):
            table.pop(symbol, None)
        self._venue_rate.pop(symbol, None)
        self._funding_now.pop(symbol, None)
        for venue in self._venues:
            self._venue_oi.pop((venue, symbol), None)
            self._venue_mark.pop((venue, symbol), None)

    def _keep_status(self, status: FeedStatus) -> None:
        key = (status.exchange, status.symbol, status.stream)
        self.statuses[key] = status
        now_ms = int(self._clock() * 1000)
        self._status_seen[key] = now_ms
        if status.state is StreamState.LIVE:
            self._down_since.pop(key, None)
        else:
            self._down_since.setdefault(key, now_ms)
        for venue in split_venues(status.exchange):
            self._venue_statuses.setdefault(venue, {})[key] = status

    def _record_funding(self, mark: MarkPrice) -> None:
        """One funding sample per minute of event time, per symbol, for the chart: on several
        venues the OI-weighted mean of their latest rates, as the panel's rate above it (the
        first venue's alone read 0.012 % under a mean of 0.053 %)."""
        key = (mark.exchange, mark.symbol)
        self._venue_mark[key] = mark.mark
        if mark.funding_rate is None:
            return
        rates = self._venue_rate.setdefault(mark.symbol, {})
        rates[mark.exchange] = funding_8h(mark.funding_rate, mark.funding_interval_h)
        weighted = [(rate, self._oi_usd(venue, mark.symbol)) for venue, rate in rates.items()]
        now = (mark.ts, weighted_rate(weighted))
        # The chart ends on the rate as it is now: with a point a minute only, it lagged
        # the panel's rate by up to a minute (positive under a rate gone negative).
        self._funding_now[mark.symbol] = now
        history = self.funding_history.setdefault(mark.symbol, deque(maxlen=FUNDING_POINTS))
        if history and mark.ts - history[-1][0] < 60_000:
            return
        history.append(now)

    def _oi_usd(self, venue: str, symbol: str) -> float | None:
        held = self._venue_oi.get((venue, symbol))
        if held is None:
            return None
        return usd_value(*held, self._venue_mark.get((venue, symbol)))

    def funding_of(self, symbol: str) -> FundingPoints:
        """A point a minute, then the latest rate."""
        history = tuple(self.funding_history.get(symbol, ()))
        now = self._funding_now.get(symbol)
        if now is not None and history and now[0] > history[-1][0]:
            return (*history, now)
        return history

    def all_funding(self) -> dict[str, FundingPoints]:
        return {symbol: self.funding_of(symbol) for symbol in self.funding_history}

    def stream_state(
        self, symbol: str, now_ms: int, stale_after_s: float
    ) -> tuple[StreamState, float | None]:
        """``feed_state`` of ``symbol`` over every venue (the worst stream wins)."""
        last = self.last_message_ms.get(symbol)
        return feed_state(self.statuses, symbol, last, now_ms, stale_after_s)

    def venue_state(self, venue: str, symbol: str, now_ms: int, stale_after_s: float) -> VenueState:
        """``feed_state`` of ``symbol`` on one venue, from that venue's streams only."""
        own = self._venue_statuses.get(venue, {})
        skipped = own.get((venue, symbol, SKIPPED_STREAM))
        if skipped is not None and skipped.state is StreamState.FAILED:
            return VenueState(venue, StreamState.FAILED, None, listed=False)
        last = self.venue_message_ms.get((venue, symbol))
        state, age = feed_state(own, symbol, last, now_ms, stale_after_s)
        lagging = self._lagging(own, symbol, state, age, now_ms, stale_after_s)
        if lagging is not None:
            return VenueState(venue, state, lagging[1], stream=lagging[0])
        return VenueState(venue, state, age)

    def lagging(
        self,
        symbol: str,
        reading: tuple[StreamState, float | None],
        now_ms: int,
        stale_after_s: float,
    ) -> tuple[str, float | None] | None:
        """``lagging_stream`` of ``symbol`` over every venue, while its data flows;
        ``reading`` is its ``stream_state`` at ``now_ms``."""
        state, age = reading
        return self._lagging(self.statuses, symbol, state, age, now_ms, stale_after_s)

    def _lagging(
        self,
        statuses: Mapping[Any, FeedStatus],
        symbol: str,
        state: StreamState,
        age: float | None,
        now_ms: int,
        stale_after_s: float,
    ) -> tuple[str, float | None] | None:
        if state is StreamState.LIVE or age is None or age > stale_after_s:
            return None  # all live, or nothing flows: the state is the feed's as a whole
        worst = lagging_stream(statuses, symbol)
        if worst is None:
            return None
        return STREAM_LABELS.get(worst.stream, worst.stream), self._stream_age(worst, now_ms)

    def _stream_age(self, status: FeedStatus, now_ms: int) -> float | None:
        """How old the stream's data is, on this book's clock: its age when the status
        was sent (both stamps the feed's) plus the time since it came. A replay's status
        is hours old on the wall clock; measured so, its age is the recorded one."""
        key = (status.exchange, status.symbol, status.stream)
        arrived = self._status_seen.get(key, now_ms)
        since = max(0.0, (now_ms - arrived) / 1000.0)
        if status.stream in QUIET_STREAMS:
            # Since it went down: counted from its latest change, a 73 s outage read
            # "reconnecting 12 s" after a stale in between.
            return max(0.0, (now_ms - self._down_since.get(key, arrived)) / 1000.0)
        last = status.last_message_ts
        return None if last is None else max(0.0, (status.ts - last) / 1000.0) + since

    def venue_states(
        self, symbol: str, now_ms: int, stale_after_s: float
    ) -> tuple[VenueState, ...]:
        return tuple(self.venue_state(v, symbol, now_ms, stale_after_s) for v in self._venues)

    def clock_note(self) -> str:
        """The header's short note on clock skew, empty while the clock is fine."""
        for (_venue, symbol, stream), status in self.statuses.items():
            if symbol is None and stream == CLOCK_STREAM and status.state is not StreamState.LIVE:
                return status.detail.replace("local clock is ", "clock ").replace(
                    " the exchange's", ""
                )
        return ""

    def mark_ended(self, exchange: str) -> None:
        """The feed's event stream ended: the header shows it closed (every venue of it)."""
        self.note_venues(exchange)
        self._keep_status(
            FeedStatus(
                ts=int(self._clock() * 1000),
                exchange=exchange,
                symbol=None,
                stream="feed",
                state=StreamState.CLOSED,
                detail="the stream ended",
            )
        )
