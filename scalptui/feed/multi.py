"""One feed over several venues: one ``CcxtFeed`` each, their events merged in one stream.

``MultiFeed`` implements the ``Feed`` protocol for a run on several venues
(``--exchange binanceusdm,bybit,okx``). Its ``exchange`` is the venues joined
by ``,``; every event keeps its own venue's ``.exchange``, so the detector
routes it to that venue's state. Its symbols are the assets: the unified symbol
(``BTC/USDT:USDT``) is the same linear USDT perpetual on every venue.

How the venues meet. Every venue's feed puts its events straight into one
shared ``EventQueue`` (``scalptui.feed.queue``), from inside ccxt's handlers: no
forwarding task and no per-event await between a frame and the consumer, which
reads the venues' events in arrival order (oldest first, so one venue's backlog
does not hold another's events back). Each venue keeps its own bound there:
past it only that venue's trades and marks are shed, never a liquidation or a
status. Each venue's feed judges its own clock skew as its events arrive.

What is tolerated. A venue that does not list a symbol is skipped for that
symbol (a FAILED ``market`` status of that venue and one log line); only a
symbol no venue lists is a ``FeedError``. A venue that cannot be opened at start
is reported (a FAILED ``feed`` status) and retried with back-off while the
others run; only when no venue opens is it a ``FeedError``. Start-up does not
wait for a slow venue: once one venue is open the others get ``START_GRACE_S``,
and one still opening then is reported (a CONNECTING ``feed`` status) and joins
when it opens (or is retried like one that failed). Once running, each
venue's feed reconnects and reports stale on its own, so one venue down, stale
or sending garbage leaves the others streaming.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING

from scalptui.feed.backoff import Backoff
from scalptui.feed.base import STATUS_LOG, FeedError
from scalptui.feed.queue import END, QUEUE_SIZE, EventQueue
from scalptui.feed.rest import short
from scalptui.feed.symbols import did_you_mean
from scalptui.models import Event, FeedStatus, Source, StreamState

if TYPE_CHECKING:
    from scalptui.feed.ccxt_feed import CcxtFeed

log = logging.getLogger(__name__)

REOPEN_BASE_S = 5.0
REOPEN_CAP_S = 60.0
START_GRACE_S = 2.0
"""Once one venue is open, how long start-up waits for the others: a venue that accepts
connections and never answers must not hold the open ones' data back (ccxt gives up on
it only after its retries, ~45 s); it joins in the background when it opens."""

FeedMaker = Callable[[str], "CcxtFeed"]
"""Makes the (unstarted) feed of one venue, with ``skip_unlisted`` set."""


class MultiFeed:
    """A ``Feed`` over several venues at once. See the module docstring."""

    recorded_source: Source | None = None
    progress: float | None = None

    def __init__(
        self,
        venues: Sequence[str],
        make_feed: FeedMaker,
        *,
        symbols: Sequence[str],
        queue_size: int = QUEUE_SIZE,
        reopen_base_s: float = REOPEN_BASE_S,
        start_grace_s: float = START_GRACE_S,
    ) -> None:
        """``make_feed`` makes one venue's unstarted feed (whether it reports its clock's
        skew is the feed's own setting); ``queue_size``: each venue's bound in the shared
        queue; ``reopen_base_s``: first delay before trying a venue that could not be
        opened again (doubling up to a minute); ``start_grace_s``: how long ``start`` waits
        for the other venues once one is open (the rest join when they open)."""
        if len(set(venues)) != len(venues) or not venues:
            raise ValueError(f"venues must be distinct and at least one, got {list(venues)}")
        self.venues = tuple(venues)
        self.exchange = ",".join(self.venues)
        self._requested = tuple(symbols)
        self._make_feed = make_feed
        self._reopen_base_s = reopen_base_s
        self._start_grace_s = start_grace_s
        self._feeds: dict[str, CcxtFeed] = {}
        self._symbols: list[str] = []
        self._symbols_lock = asyncio.Lock()
        self._queue = EventQueue(queue_size)
        self._reopeners: set[asyncio.Task[None]] = set()
        self._started = False
        self._closing = False
        self._closed = False
        self._iterated = False

    # ------------------------------------------------------------------ Feed protocol

    @property
    def source(self) -> Source:
        """SIMULATED when any venue is the simulator: simulated data is never labelled live."""
        feeds = list(self._feeds.values())
        if any(feed.source is Source.SIMULATED for feed in feeds):
            return Source.SIMULATED
        return feeds[0].source if feeds else Source.LIVE

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._symbols)

    @property
    def feeds(self) -> dict[str, CcxtFeed]:
        """The venues open now, in watch order, each with its own feed."""
        return {venue: self._feeds[venue] for venue in self.venues if venue in self._feeds}

    @property
    def shed_events(self) -> dict[str, int]:
        """Trades and marks each venue shed under backlog (``Shedding``)."""
        return {venue: feed.shed_events[venue] for venue, feed in self.feeds.items()}

    async def start(self) -> None:
        """Open every venue at once; return once one is open and the others are open, failed
        or given ``start_grace_s`` more (those still opening join in the background).
        FeedError if none opens or a symbol is listed nowhere."""
        if self._started:
            return
        self._started = True
        feeds = {venue: self._new_feed(venue) for venue in self.venues}
        starts = {
            venue: asyncio.get_running_loop().create_task(feed.start(), name=f"start:{venue}")
            for venue, feed in feeds.items()
        }
        failed: dict[str, str] = {}
        try:
            await self._open_first(feeds, starts, failed, self._start_grace_s)
            if self._feeds and self._listed_nowhere_open():
                # a symbol only a venue still opening may list: its answer decides
                await self._open_first(feeds, starts, failed, None)
        except BaseException:  # cancelled while connecting: leave nothing open
            for task in starts.values():
                task.cancel()
            await asyncio.gather(*starts.values(), return_exceptions=True)
            await asyncio.gather(*(f.close() for f in feeds.values()), return_exceptions=True)
            raise
        if not self._feeds:
            reasons = (failed[v] for v in self.venues if v in failed)  # watch order
            raise FeedError("no venue could be opened: " + "; ".join(reasons))
        opening = {v: starts[v] for v in self.venues if not starts[v].done()}
        try:
            await self._check_requested_symbols()
        except BaseException:
            for task in opening.values():
                task.cancel()
            await asyncio.gather(*opening.values(), return_exceptions=True)
            await asyncio.gather(*(feeds[v].close() for v in opening), return_exceptions=True)
            await self.close()
            raise
        for venue in [v for v in self.venues if v in failed]:
            self._report_failed(venue, failed[venue])
        for venue in self._feeds:
            self._report_unlisted(venue)
        for venue, task in opening.items():
            self._report_opening(venue, feeds[venue], task)

    async def _open_first(
        self,
        feeds: dict[str, CcxtFeed],
        starts: dict[str, asyncio.Task[None]],
        failed: dict[str, str],
        grace_s: float | None,
    ) -> None:
        """Wait for the venues' starts until one is open and then every start has ended or
        ``grace_s`` more has passed (``None``: every start has ended), or until all failed.
        An open venue goes into ``_feeds``; a failed one into ``failed``, closed."""
        loop = asyncio.get_running_loop()
        deadline = None if not self._feeds or grace_s is None else loop.time() + grace_s
        pending = {task for task in starts.values() if not task.done()}
        while pending:
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            done, pending = await asyncio.wait(
                pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                return  # the grace is over: the venues still opening join later
            for venue in [v for v, task in starts.items() if task in done]:
                await self._settle_start(venue, feeds[venue], starts[venue], failed)
            if deadline is None and self._feeds and grace_s is not None:
                deadline = loop.time() + grace_s

    async def _settle_start(
        self, venue: str, feed: CcxtFeed, task: asyncio.Task[None], failed: dict[str, str]
    ) -> None:
        error = task.exception() if not task.cancelled() else asyncio.CancelledError()
        if error is None:
            self._feeds[venue] = feed
            return
        failed[venue] = _reason(venue, error)
        await feed.close()

    def _listed_nowhere_open(self) -> bool:
        """Whether a requested symbol is listed by no venue open yet."""
        return any(
            all(symbol in f.unlisted for f in self._feeds.values()) for symbol in self._requested
        )

    def _new_feed(self, venue: str) -> CcxtFeed:
        feed = self._make_feed(venue)
        feed.attach(self._queue)
        return feed

    def events(self) -> AsyncIterator[Event]:
        if self._iterated:
            raise RuntimeError("MultiFeed.events() may be iterated once")
        self._iterated = True
        return self._queue.drain(before=self._open_unless_closing)

    async def add_symbol(self, symbol: str) -> None:
        """Watch ``symbol`` on every open venue that lists it (FeedError if none does and
        every venue is open; a venue still to open may list it: it is kept for that one)."""
        async with self._symbols_lock:  # adds, removes and a late venue's catch-up in turn
            await self._require_open()
            try:
                asset = await self._resolve_anywhere(symbol)
            except FeedError:
                if not self._keep_for_late_venue(symbol):
                    raise
                if symbol not in self._symbols:
                    self._symbols.append(symbol)  # the late venue's catch-up adds it
                return
            if asset in self._symbols:
                return
            added = False
            for venue, feed in self.feeds.items():
                try:
                    await feed.add_symbol(asset)
                    added = True
                except FeedError as exc:
                    self._report_skipped(venue, asset, str(exc))
            if added and asset not in self._symbols:
                self._symbols.append(asset)

    async def remove_symbol(self, symbol: str) -> None:
        """Stop watching ``symbol`` on every venue (a venue that opens later drops it too)."""
        async with self._symbols_lock:
            if symbol in self._symbols:
                self._symbols.remove(symbol)
            # at once: each venue may wait for its un-watch's acknowledgement
            feeds = list(self._feeds.values())
            done = await asyncio.gather(
                *(feed.remove_symbol(symbol) for feed in feeds), return_exceptions=True
            )
            for error in done:
                if isinstance(error, BaseException):
                    raise error

    async def list_symbols(self) -> list[str]:
        """Every symbol at least one open venue lists."""
        await self._require_open()
        listed: set[str] = set()
        for feed in self.feeds.values():
            with contextlib.suppress(FeedError):
                listed.update(await feed.list_symbols())
        return sorted(listed)

    async def close(self) -> None:
        """Close every venue, end ``events()``; idempotent."""
        if self._closed:
            return
        self._closing = True
        for task in list(self._reopeners):
            task.cancel()
        await asyncio.gather(*self._reopeners, return_exceptions=True)
        # Each venue's closing statuses go into the shared queue, before the end.
        await asyncio.gather(*(f.close() for f in self._feeds.values()), return_exceptions=True)
        self._closed = True
        self._put_now(END)

    # ------------------------------------------------------------------ start-up

    async def _require_open(self) -> None:
        await self.start()
        if self._closing:
            raise FeedError(f"{self.exchange}: feed closed")

    async def _check_requested_symbols(self) -> None:
        """FeedError for a requested symbol that no venue lists, of those open, while
        every venue is open; with a venue still to open it waits for that venue's word."""
        for symbol in self._requested:
            listing = [v for v, f in self._feeds.items() if symbol not in f.unlisted]
            if listing or self._keep_for_late_venue(symbol):
                if symbol not in self._symbols:
                    self._symbols.append(symbol)
                continue
            raise FeedError(await self._nowhere(symbol))

    def _keep_for_late_venue(self, symbol: str) -> bool:
        """``symbol`` (unified), listed by no open venue, is kept for the catch-up of a
        venue not open yet, and said so on stderr; False when every venue is open (a
        saved symbol of the venue down at start was refused and dropped for good)."""
        waiting = [v for v in self.venues if v not in self._feeds]
        if not waiting or "/" not in symbol:
            return False
        log.warning(
            "%s: listed on no open venue; waiting for %s to open",
            symbol,
            ", ".join(waiting),
            extra=STATUS_LOG,
        )
        return True

    async def _resolve_anywhere(self, symbol: str) -> str:
        """The unified symbol of the first venue that lists ``symbol`` (or its id there)."""
        for feed in self.feeds.values():
            try:
                return await feed.resolve_symbol(symbol)
            except FeedError:
                continue
        raise FeedError(await self._nowhere(symbol))

    async def _nowhere(self, symbol: str) -> str:
        listed = await self.list_symbols() if self._feeds else []
        venues = ", ".join(self._feeds)
        return (
            f"{self.exchange}: unknown symbol {symbol!r} (not a perpetual on {venues})"
            + did_you_mean(symbol, listed)
        )

    def _report_failed(self, venue: str, reason: str) -> None:
        """A venue that could not be opened is retried until the run ends: it reads as
        reconnecting (the header's ``↻``), not as given up (``✖ failed``)."""
        log.warning(
            "%s: cannot be opened (%s); retrying, the other venues go on",
            *(venue, reason),
            extra=STATUS_LOG,
        )
        others = ", ".join(self.feeds)
        detail = f"cannot be opened: {reason}; retrying, {others} go on"
        state = StreamState.RECONNECTING
        self._put_now(FeedStatus(_now_ms(), venue, None, "feed", state, detail))
        self._background(self._reopen(venue), f"reopen:{venue}")

    def _report_opening(self, venue: str, feed: CcxtFeed, starting: asyncio.Task[None]) -> None:
        """A venue still opening when the others are: they go on, it joins once open."""
        log.info("%s: still opening; the other venues go on", venue)
        detail = f"still opening; {', '.join(self.feeds)} go on"
        self._put_now(FeedStatus(_now_ms(), venue, None, "feed", StreamState.CONNECTING, detail))
        self._background(self._join(venue, feed, starting), f"join:{venue}")

    def _background(self, work: Coroutine[object, object, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._reopeners.add(task)
        task.add_done_callback(self._reopeners.discard)

    async def _join(self, venue: str, feed: CcxtFeed, starting: asyncio.Task[None]) -> None:
        """The rest of a venue's start: it joins the run, or is retried like one that
        could not be opened at all."""
        try:
            await starting
        except asyncio.CancelledError:
            await feed.close()
            raise
        except Exception as exc:
            await feed.close()
            if not self._closing:
                self._report_failed(venue, _reason(venue, exc))
            return
        await self._opened(venue, feed)

    def _report_unlisted(self, venue: str) -> None:
        for symbol, reason in self._feeds[venue].unlisted.items():
            self._report_skipped(venue, symbol, reason)

    def _report_skipped(self, venue: str, symbol: str, reason: str) -> None:
        # The venue's own line names the venue; keep just why.
        why = reason.removeprefix(f"{venue}: ")
        log.info("%s: %s skipped on this venue (%s)", venue, symbol, why)
        detail = f"skipped on this venue: {why}"
        self._put_now(FeedStatus(_now_ms(), venue, symbol, "market", StreamState.FAILED, detail))

    async def _reopen(self, venue: str) -> None:
        """Keep trying a venue that could not be opened; once it opens it joins the run."""
        backoff = Backoff(base=self._reopen_base_s, cap=REOPEN_CAP_S)
        while not self._closing:
            await asyncio.sleep(backoff.next_delay())
            feed = self._new_feed(venue)
            try:
                await feed.start()
            except Exception as exc:
                await feed.close()
                why = _reason(venue, exc)
                log.warning("%s: still cannot be opened (%s)", venue, why, extra=STATUS_LOG)
                continue
            await self._opened(venue, feed)
            return

    async def _opened(self, venue: str, feed: CcxtFeed) -> None:
        """A venue open after the run started joins it (unless the run is closing)."""
        if self._closing:
            await feed.close()
            return
        self._feeds[venue] = feed
        self._put_now(FeedStatus(_now_ms(), venue, None, "feed", StreamState.LIVE, "opened"))
        await self._catch_up(venue, feed)

    async def _catch_up(self, venue: str, feed: CcxtFeed) -> None:
        """A venue that joins late watches the assets the run watches now: those added
        since start, and not those removed."""
        self._report_unlisted(venue)
        async with self._symbols_lock:
            for symbol in [s for s in feed.symbols if s not in self._symbols]:
                await feed.remove_symbol(symbol)
            for symbol in self._symbols:
                if symbol in feed.symbols or symbol in feed.unlisted:
                    continue
                try:
                    await feed.add_symbol(symbol)
                except FeedError as exc:
                    self._report_skipped(venue, symbol, str(exc))

    # ------------------------------------------------------------------ merging

    def _put_now(self, item: object) -> None:
        """A record of this feed's own (a status, the end): in order, never shed."""
        self._queue.put(item)

    async def _open_unless_closing(self) -> None:
        if not self._closing:
            await self.start()


def _reason(venue: str, exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, FeedError) else f"{type(exc).__name__}: {short(exc)}"
    return text if text.startswith(venue) else f"{venue}: {text}"


def _now_ms() -> int:
    return int(time.time() * 1000)
