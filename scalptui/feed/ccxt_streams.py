"""The per-stream supervisors of ``CcxtFeed``: keep each subscription alive, poll open interest.

Separate from the feed (``ccxt_feed.py``), which sets the exchange up and turns what
ccxt parses into events: this module is only about connections. Each stream's
supervisor subscribes through ccxt, holds a sentinel future on the stream's ccxt
client (ccxt rejects it when the connection errors or closes), judges the stream's
silence (``watchdog``) and re-subscribes with exponential back-off and jitter; open
interest, where the venue does not stream it, is polled over REST with its own
back-off. ``StreamSupervision`` is mixed into ``CcxtFeed`` and works on its state.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from scalptui.feed.backoff import Backoff
from scalptui.feed.rest import short
from scalptui.feed.venues import Venue, parse_open_interest
from scalptui.feed.watchdog import Cadence, StreamHealth
from scalptui.models import Event, StreamState

# the feed's logger: a stream's supervision is reported as the feed's own
log = logging.getLogger("scalptui.feed.ccxt_feed")

CONNECT_TIMEOUT_S = 15.0
_RATE_LIMITED = ("RateLimitExceeded", "DDoSProtection")
"""ccxt's names for a venue asking for fewer requests, as a session's end reason gives them."""
HEALTHY_SESSION_S = 60.0
REFUSALS_TO_FAIL = 3
"""Sessions in a row a venue refuses a subscription, naming no market, before the stream
is failed rather than re-subscribed."""

CURRENT_STREAM: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "scalptui_stream", default=None
)
"""The stream whose subscription is running in this task (read by the URL hook)."""


@dataclass(eq=False)
class Stream:
    """One subscription of one symbol and its supervisor's view of it."""

    name: str
    symbol: str
    cadence: Cadence
    subscribe: Callable[[], Awaitable[Any]]
    health: StreamHealth
    unsubscribe: Callable[[], Awaitable[Any]] | None = None
    """Asks the venue to stop sending (ccxt's ``un_watch_*``), where ccxt offers it."""
    url: str | None = None
    url_seen: asyncio.Event = field(default_factory=asyncio.Event)
    refusals: int = 0
    """Sessions in a row the venue refused the subscription in, delivering nothing."""
    refused: BaseException | None = None
    """The venue's refusal of this subscription, received by another stream's (OKX)."""

    @property
    def key(self) -> str:
        return f"{self.name}:{self.symbol}"


class StreamSupervision:
    """The supervisor loops, over the feed state that ``CcxtFeed`` keeps."""

    exchange: str
    _ex: Any
    _closing: bool
    _rng: random.Random
    _counters: dict[str, int]
    _tick_s: float
    _taps_due: float
    _oi_poll_s: float
    _streams: dict[str, Stream]
    _contract_size: dict[str, float]
    _venue_back: asyncio.Future[None] | None = None
    """Resolved when a regular stream delivers again after a gap: streams reconnecting and
    polls backing off from a network failure retry then, not at the end of a back-off
    that may be minutes."""

    @property
    def venue(self) -> Venue:
        raise NotImplementedError

    def _emit(self, stream: Stream, state: StreamState | None, detail: str = "") -> None:
        raise NotImplementedError

    def _push(self, event: Event | object) -> None:
        raise NotImplementedError

    def _ensure_taps(self) -> None:
        raise NotImplementedError

    async def _run_stream(self, stream: Stream) -> None:
        """Keep one subscription alive: subscribe, watch, re-subscribe with back-off."""
        import ccxt

        backoff = Backoff(rng=self._rng)
        while not self._closing:
            began = time.monotonic()
            try:
                reason = await self._session(stream)
            except _rejections(ccxt) as exc:
                self._emit(stream, stream.health.fail(), f"{type(exc).__name__}: {short(exc)}")
                return
            except ccxt.BaseError as exc:
                reason = f"{type(exc).__name__}: {short(exc)}"
            except Exception as exc:  # a bug must cost a reconnect, never a dead stream
                log.exception("%s %s: supervisor error", self.exchange, stream.key)
                reason = f"{type(exc).__name__}: {short(exc)}"
            # A session that delivered, or lasted (a quiet liquidation stream), proves the
            # venue reachable: the next drop starts the back-off afresh.
            lasted = time.monotonic() - began > HEALTHY_SESSION_S
            if stream.health.messages_since_connect > 0 or lasted:
                backoff.reset()
            if stream.health.messages_since_connect > 0:
                stream.refusals = 0
            self._counters["reconnects"] += 1
            self._emit(stream, stream.health.on_connection_lost(), reason)
            delay = backoff.next_delay()
            if any(name in reason for name in _RATE_LIMITED):
                await asyncio.sleep(delay)  # the venue asked for less: its wait in full
            else:
                await self._wait_or_venue_back(delay)

    async def _subscribe(self, stream: Stream) -> Any:
        CURRENT_STREAM.set(stream.key)
        return await stream.subscribe()

    async def _session(self, stream: Stream) -> str:
        """One connection's life for ``stream``; returns why it ended."""
        stream.url = None
        stream.url_seen.clear()
        stream.health.on_subscribing(time.monotonic())
        watch = asyncio.ensure_future(self._subscribe(stream))
        client: Any = None
        sentinel_hash = f"scalptui.watchdog:{stream.key}"
        try:
            url = await self._wait_for_url(stream, watch)
            self._raise_if_refused(stream, watch)
            if url is None:
                return describe_task(watch) or "no subscription within the connect timeout"
            client = self._ex.clients.get(url)
            if client is None:
                return describe_task(watch) or "connection dropped while subscribing"
            sentinel = client.future(sentinel_hash)
            return await self._watch_connection(stream, url, client, sentinel, watch)
        finally:
            if not watch.done():
                watch.cancel()
            elif not watch.cancelled():
                watch.exception()  # retrieved: a failed subscription is reported, not raised
            if client is not None:
                client.futures.pop(sentinel_hash, None)

    def _raise_if_refused(self, stream: Stream, *waiting: asyncio.Future[Any]) -> None:
        """Raise the venue's refusal of a subscription it will not serve (an instrument
        delisted since the market list was read): the stream fails instead of
        re-subscribing every few seconds for ever, "reconnecting".

        The refusal comes after the connection opened (the request is sent on it), and on
        OKX, whose error carries no request id, ccxt hands it to whichever subscriptions
        of the connection are waiting, seldom the refused one. So the refusal goes to the
        streams it names (``Venue.refused``) that have delivered nothing since they
        connected, and only ends the session of any other that received it; one that
        names no watched stream fails a stream only after ``REFUSALS_TO_FAIL`` sessions
        in a row (counting other symbols' refusals failed healthy streams for good)."""
        import ccxt

        if stream.refused is not None:
            refused, stream.refused = stream.refused, None
            raise refused
        refusals = (refusal(future, _rejections(ccxt)) for future in waiting)
        exc = next((each for each in refusals if each is not None), None)
        if exc is None:
            return
        text, venue = str(exc), self.venue
        mentioned = [
            each
            for each in self._streams.values()
            if venue.refused(text, each.name, self._market_id(each))
        ]
        named = [each for each in mentioned if each.health.messages_since_connect == 0]
        for other in named:  # one that delivers since it connected is served
            if other is not stream:
                other.refused = exc
        if stream in named:
            raise exc
        if mentioned:
            return  # another stream's refusal: it ends this session, it never fails this one
        stream.refusals += 1
        if stream.refusals >= REFUSALS_TO_FAIL:
            raise exc

    def _market_id(self, stream: Stream) -> str | None:
        market = (self._ex.markets or {}).get(stream.symbol)
        return market.get("id") if isinstance(market, dict) else None

    async def _wait_for_url(self, stream: Stream, watch: asyncio.Future[Any]) -> str | None:
        waiter = asyncio.ensure_future(stream.url_seen.wait())
        try:
            await asyncio.wait(
                (watch, waiter), timeout=CONNECT_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            waiter.cancel()
        if watch.done() and not watch.cancelled():
            exc = watch.exception()
            if exc is not None and stream.url is None:
                raise exc
        return stream.url

    async def _watch_connection(
        self,
        stream: Stream,
        url: str,
        client: Any,
        sentinel: asyncio.Future[Any],
        watch: asyncio.Future[Any],
    ) -> str:
        health = stream.health
        while True:
            await asyncio.wait((sentinel,), timeout=self._tick_s)
            self._raise_if_refused(stream, watch, sentinel)
            if sentinel.done():
                return describe_future(sentinel)
            if self._ex.clients.get(url) is not client:
                return "connection replaced"
            now = time.monotonic()
            if now >= self._taps_due:  # one check a tick for the whole feed, not one per stream
                self._taps_due = now + self._tick_s
                self._ensure_taps()
            connected = client.connected
            if connected.done() and not connected.cancelled() and connected.exception() is None:
                self._emit(stream, health.on_connected(now))
            if watch.done():
                failure = describe_task(watch)
                if failure:
                    return failure
            silent = health.silent_for(now)
            self._emit(stream, health.check(now), f"no message for {silent or 0:.0f} s")
            if health.is_silent(now) and self._connection_silent(url, now):
                await self._drop_client(url, client)
                return f"silent for {silent or 0:.0f} s: closed and re-subscribing"

    def _connection_silent(self, url: str, now: float) -> bool:
        """Every regular stream on the connection is past its deadline (a quiet symbol
        on a shared, otherwise busy connection is no reason to drop it)."""
        return all(
            s.health.is_silent(now)
            for s in self._streams.values()
            if s.url == url and s.cadence is Cadence.REGULAR
        )

    async def _drop_client(self, url: str, client: Any) -> None:
        if self._ex.clients.get(url) is client:
            del self._ex.clients[url]
        try:
            await client.close()
        except Exception as exc:
            log.debug("%s: closing a silent connection: %s", self.exchange, exc)

    async def _poll(self, stream: Stream) -> None:
        """Open interest over REST every ``oi_poll_s``; failures back off (429/5xx)."""
        import ccxt

        venue = self.venue
        cs = self._contract_size[stream.symbol]
        backoff = Backoff(base=self._oi_poll_s, cap=max(120.0, 4 * self._oi_poll_s), rng=self._rng)
        while not self._closing:
            try:
                raw = await stream.subscribe()
            except ccxt.BaseError as exc:
                self._counters["http_errors"] += 1
                await self._poll_failed(stream, backoff, exc)
                continue
            except Exception as exc:
                # ccxt could not parse the reply (OKX's ``data: []`` for a suspended
                # instrument is an IndexError): a failed poll, retried, never a dead one.
                self._counters["rejected_items"] += 1
                log.warning("%s %s: unreadable reply: %s", self.exchange, stream.key, short(exc))
                await self._poll_failed(stream, backoff, exc)
                continue
            oi = parse_open_interest(venue, raw or {}, cs, stream.symbol)
            if oi is None:
                self._counters["rejected_items"] += 1
            else:
                self._push(oi)
            self._emit(stream, stream.health.on_poll(True, time.monotonic()))
            backoff.reset()
            await asyncio.sleep(self._oi_poll_s)

    async def _poll_failed(self, stream: Stream, backoff: Backoff, exc: Exception) -> None:
        detail = f"{type(exc).__name__}: {short(exc)}"
        self._emit(stream, stream.health.on_poll(False, time.monotonic()), detail)
        await self._poll_retry_wait(backoff.next_delay(), exc)

    def _note_stream_live(self, stream: Stream, state: StreamState | None) -> None:
        """A regular stream went live (again): the venue answers, so wake the streams and
        polls that are backing off from a network failure."""
        if state is not StreamState.LIVE or stream.cadence is not Cadence.REGULAR:
            return
        if stream.health.messages_since_connect > 1:
            return  # back from stale on a connection that stayed up: no news of the venue
        back, self._venue_back = self._venue_back, None
        if back is not None and not back.done():
            back.set_result(None)

    async def _poll_retry_wait(self, delay: float, exc: Exception) -> None:
        """Sleep out a failed poll's back-off. After a network failure the wait ends early
        once the venue's streams deliver again (an outage over, the open interest should
        come back with the prices); a rate limit always waits its back-off in full."""
        import ccxt

        limited = isinstance(exc, (ccxt.RateLimitExceeded, ccxt.DDoSProtection))
        network = isinstance(exc, ccxt.NetworkError) and not limited
        if not network:
            await asyncio.sleep(delay)
            return
        await self._wait_or_venue_back(delay)

    async def _wait_or_venue_back(self, delay: float) -> None:
        """Sleep ``delay``, or less: until another stream of the venue goes live again.
        A back-off guards a venue that is down; once one stream is back, so is the venue,
        and its other streams (minutes apart after a long outage) follow it."""
        if self._venue_back is None:
            self._venue_back = asyncio.get_running_loop().create_future()
        back = self._venue_back
        await asyncio.wait((back,), timeout=delay)
        if back.done():
            # every waiting stream of the venue woke at once: spread them over a second
            await asyncio.sleep(self._rng.uniform(0.0, 1.0))


def describe_future(future: asyncio.Future[Any]) -> str:
    if future.cancelled():
        return "connection closed"
    exc = future.exception()
    return f"connection lost ({type(exc).__name__}: {short(exc)})" if exc else "connection ended"


def _rejections(ccxt: Any) -> tuple[type[BaseException], ...]:
    """What a venue answers to a subscription it will never serve (an unknown symbol, an
    unsupported channel, a refused key): re-subscribing cannot help."""
    return (ccxt.BadRequest, ccxt.NotSupported, ccxt.AuthenticationError)


def refusal(
    future: asyncio.Future[Any], kinds: tuple[type[BaseException], ...]
) -> BaseException | None:
    """The exception ``future`` ended with, if it is one of ``kinds``."""
    if not future.done() or future.cancelled():
        return None
    exc = future.exception()
    return exc if isinstance(exc, kinds) else None


def describe_task(task: asyncio.Future[Any]) -> str:
    """Why a subscription task failed, or "" if it is running or succeeded."""
    if not task.done() or task.cancelled():
        return ""
    exc = task.exception()
    return f"{type(exc).__name__}: {short(exc)}" if exc is not None else ""
