"""The live feed: ccxt.pro → normalised events (docs/design.md § Data flow, § Exchanges
and their quirks).

``CcxtFeed`` runs one ccxt.pro exchange instance (``binanceusdm`` by default,
``bybit``, ``okx``) and turns what it receives into ``scalptui.models`` events
on one queue, read by ``events()``.

How data gets out of ccxt. Every stream is subscribed with its ``watch_*``
method (gated on ``exchange.has``), so ccxt owns the connection, the
subscription and the parsing. The parsed items are not taken from the
``watch_*`` return value, which loses bursts and costs ≈ 65 µs a message, but
from ccxt's caches as its handlers append to them (``ccxt_hooks``): every
liquidation of a burst, every ticker. Trade frames of the watched markets, the
one hot stream, are read from the decoded frame before ccxt's handler
(``trade_frames`` says why and how; ``hot_trades=False`` leaves them to ccxt).
Each stream then has a small supervisor task that holds a sentinel future on the
stream's ccxt client: ccxt rejects it when the connection errors or closes, and the
supervisor re-subscribes with exponential back-off and jitter (``ccxt_streams``).

Staleness (``watchdog``): a regular stream silent for ``stale_after_s`` (or for
the longer lulls its own cadence shows to be ordinary: a thin symbol's trades) is
reported STALE; when every regular stream on its connection is silent the
connection is closed and re-subscribed (a frame ccxt could not survive, a
stall). A liquidation stream is judged by its connection, never by its quiet.
Open interest is polled where the venue does not stream it, STALE after two
failed polls, backing off on 429/5xx.

At start-up each symbol gets a ``MarketInfo`` and, with ``warm_start``, a
``History`` (5-minute candles with taker-buy volume where the venue gives it,
and 5-minute open interest) before its market events.

ccxt is imported lazily, in ``start()``: importing this module costs nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from scalptui.feed.base import SIMULATED_HEADER, STATUS_LOG, FeedError
from scalptui.feed.ccxt_hooks import TapDict, install_client_hooks, is_tap_cache, tap_cache
from scalptui.feed.ccxt_streams import CURRENT_STREAM, Stream, StreamSupervision
from scalptui.feed.clock import SkewMonitor
from scalptui.feed.dedupe import LiquidationDeduper
from scalptui.feed.queue import END, QUEUE_SIZE, EventQueue
from scalptui.feed.rest import RestCaller, funding_intervals, history_of, mmr_of, short
from scalptui.feed.symbols import did_you_mean
from scalptui.feed.trade_frames import READERS, FrameReader, RawTrade, order_book_trade
from scalptui.feed.venues import (
    VENUES,
    FundingSource,
    FundingState,
    MarkSource,
    OiSource,
    Unified,
    Venue,
    contract_size_of,
    is_linear_perpetual,
    market_funding_interval_h,
    market_info,
    parse_bybit_ticker,
    parse_liquidations,
    parse_mark_price,
    parse_trade,
    trade_from_raw,
    update_okx_funding,
    with_article,
)
from scalptui.feed.watchdog import Cadence, StreamHealth
from scalptui.models import (
    Event,
    FeedStatus,
    Liquidation,
    MarkPrice,
    OpenInterest,
    Source,
    StreamState,
    Trade,
)

log = logging.getLogger(__name__)

CACHE_LIMIT = 10_000
"""ccxt's ``tradesLimit`` / ``liquidationsLimit`` (its default, 1 000, can hold less than
a burst between two awaits of a ``watch_*`` loop)."""
TAP_KEPT = 1_000
"""Items a tap cache keeps (trades per symbol, liquidations of every symbol): the tap
hands on every append as it happens, so the cache itself only needs what one
``watch_*`` round returns. Memory over days matters: a parsed liquidation with its raw
frame is ≈ 2 KiB, and a cache of ``CACHE_LIMIT`` filled over hours of prints to
≈ 20 MiB (the TUI's RSS grew 8 % in six hours of a fast simulated market)."""
FUNDING_INTERVAL_REFRESH_S = 3600.0
UNWATCH_TIMEOUT_S = 5.0
"""How long a removed symbol's un-watch waits for the venue's acknowledgement, counted
in the event loop's turns (see ``_answered_in_loop_time``)."""
UNWATCH_SLICES = 20
UNWATCH_WALL_CAP_S = 120.0
"""However slow the loop, an un-watch never holds the removal longer than this."""
_TROUBLE = frozenset({StreamState.STALE, StreamState.RECONNECTING, StreamState.FAILED})
"""Stream states logged as warnings: a trader grepping the log for an outage finds them."""
UNWATCH = {
    "watchTrades": "un_watch_trades",
    "watchTicker": "un_watch_ticker",
    "watchMarkPrice": "un_watch_mark_price",
}
"""The ccxt un-watch of each subscription, where the venue offers one (``has["unWatch…"]``);
ccxt 4.5 has none for liquidations or funding, whose frames a removed symbol's taps drop."""
BYBIT_MARK_HEARTBEAT_MS = 1_000
"""Bybit ticker deltas come every 100 ms; an unchanged mark is re-sent once a second."""


@dataclass(slots=True)
class _BybitEmitted:
    mark: float | None = None
    mark_ts: int = 0
    open_interest: float | None = None


def _drop_trade(raw: RawTrade) -> None:
    """The trade route of a removed symbol: its frames are claimed and dropped unread."""


class CcxtFeed(StreamSupervision):
    """A ``Feed`` over ccxt.pro for ``binanceusdm``, ``bybit`` or ``okx``."""

    recorded_source: Source | None = None
    """Live data is not a recording."""
    progress: float | None = None
    """A live stream has no end to measure against."""

    def __init__(
        self,
        exchange_id: str,
        symbols: Sequence[str],
        *,
        base_url: str | None = None,
        source: Source = Source.LIVE,
        oi_poll_s: float = 15.0,
        stale_after_s: float = 10.0,
        warm_start: bool = True,
        skip_unlisted: bool = False,
        report_skew: bool = False,
        hot_trades: bool = True,
    ) -> None:
        """``hot_trades``: read trade frames before ccxt does (``trade_frames``), on the
        venues that module reads. ``skip_unlisted``: a requested symbol the venue does not
        list is left out (and named in ``unlisted``) instead of failing ``start()`` — one
        venue of several.
        ``report_skew``: a ``clock`` FeedStatus whenever the local clock's skew from the
        venue's crosses the report line (``scalptui.feed.clock``), judged as events arrive."""
        self.exchange = exchange_id
        self.unlisted: dict[str, str] = {}
        """Requested symbols left out at start (``skip_unlisted``), each with why."""
        self._skip_unlisted = skip_unlisted
        self.source = source
        self._requested = tuple(symbols)
        self._base_url = base_url
        self._oi_poll_s = oi_poll_s
        self._stale_after_s = stale_after_s
        self._warm_start = warm_start
        self._tick_s = max(0.05, min(1.0, stale_after_s / 5))
        self._ex: Any = None
        self._symbols: list[str] = []
        self._watched: set[str] = set()
        self._contract_size: dict[str, float] = {}
        self._funding: dict[str, FundingState] = {}
        self._bybit_emitted: dict[str, _BybitEmitted] = {}
        self._streams: dict[str, Stream] = {}
        self._read_trades: FrameReader | None = READERS.get(exchange_id) if hot_trades else None
        self._trade_routes: dict[str, Callable[[RawTrade], None]] = {}
        """Market id → the sink of its trade stream, for the trade frames read before ccxt."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._taps_due = 0.0
        self._queue = EventQueue(QUEUE_SIZE)
        self._shared = False
        self._skew = SkewMonitor() if report_skew else None
        self._dedupe = LiquidationDeduper()
        self._rng = random.Random()
        self._counters: dict[str, int] = {
            "malformed_frames": 0,
            "reconnects": 0,
            "duplicate_liquidations": 0,
            "dropped_events": 0,
            "rejected_items": 0,
            "http_errors": 0,
        }
        self._rest = RestCaller(exchange_id, self._counters, self._rng)
        self._start_lock = asyncio.Lock()
        self._symbols_lock = asyncio.Lock()
        self._started = False
        self._closing = False
        self._closed = False
        self._iterated = False

    # ------------------------------------------------------------------ Feed protocol

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self._symbols)

    @property
    def venue(self) -> Venue:
        """The venue's quirks (``venue.sampled``: sums of its prints are lower bounds)."""
        venue = VENUES.get(self.exchange)
        if venue is None:
            supported = ", ".join(VENUES)
            raise FeedError(f"unknown exchange {self.exchange!r} (supported: {supported})")
        return venue

    @property
    def stats(self) -> dict[str, int]:
        """Messages per stream kind, frames skipped, reconnects, duplicates dropped."""
        out = dict(self._counters)
        for stream in self._streams.values():
            out[stream.name] = out.get(stream.name, 0) + stream.health.messages
        return out

    @property
    def shed_events(self) -> dict[str, int]:
        """Trades and marks dropped because the consumer fell behind (``Shedding``)."""
        return {self.exchange: self._counters["dropped_events"]}

    def attach(self, queue: EventQueue) -> None:
        """Put every event into ``queue``, shared with other venues' feeds (``MultiFeed``),
        instead of this feed's own; its owner reads it, and ends it: ``events()`` is not
        for an attached feed. Call before ``start()``."""
        self._queue = queue
        self._shared = True

    async def start(self) -> None:
        """Load markets (FeedError if the exchange, a symbol or the venue is unusable),
        then start every symbol's warm start and streams."""
        async with self._start_lock:
            if self._started:
                return
            if self._closing:
                raise FeedError(f"{self.exchange}: feed already closed")
            try:
                await self._open_exchange()
                symbols = self._resolve_requested()
                intervals = await funding_intervals(self._ex, self.venue, symbols, self._rest)
                if self._closing:  # close() ran while the markets loaded
                    raise FeedError(f"{self.exchange}: feed closed while starting")
            except BaseException:
                await self._close_exchange()
                raise
            self._started = True
            for symbol in dict.fromkeys(symbols):
                self._add(symbol, (intervals or {}).get(symbol))
            if self._ex.has.get("fetchFundingIntervals"):
                self._spawn(self._refresh_funding_intervals(), "funding-intervals", None)

    def events(self) -> AsyncIterator[Event]:
        if self._shared:
            raise RuntimeError("an attached CcxtFeed's events are read from its shared queue")
        if self._iterated:
            raise RuntimeError("CcxtFeed.events() may be iterated once")
        self._iterated = True
        return self._queue.drain(before=self._open_unless_closing)

    async def add_symbol(self, symbol: str) -> None:
        # Adds and removes take the lock first, so they run in the order they were asked
        # for and never interleave (an x right after a / removes what the / added).
        async with self._symbols_lock:
            await self._require_open()
            resolved = self._resolve_symbol(symbol)
            if resolved in self._watched:
                return
            intervals = await funding_intervals(self._ex, self.venue, [resolved], self._rest)
            if not self._closing and resolved not in self._watched:
                self._add(resolved, (intervals or {}).get(resolved))

    async def remove_symbol(self, symbol: str) -> None:
        """Stop the symbol's streams: their tasks end and each says CLOSED; then the venue
        is asked to stop sending them where ccxt can un-watch (trades; Binance's mark
        price, Bybit's ticker). What it still sends for the symbol (liquidations, OKX's
        mark price and funding, frames in flight) is dropped here: its trade frames before
        ccxt reads them, the rest as they reach the feed's taps."""
        async with self._symbols_lock:
            if symbol not in self._watched:
                return
            self._watched.discard(symbol)
            self._symbols.remove(symbol)
            mine = [key for key, stream in self._streams.items() if stream.symbol == symbol]
            names = {f"{self.exchange}:{name}" for name in (*mine, f"symbol:{symbol}")}
            tasks = [task for task in self._tasks if task.get_name() in names]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            ex = self._ex
            if ex is not None:
                self._trade_routes[ex.market(symbol)["id"]] = _drop_trade
                if is_tap_cache(ex.trades.get(symbol)):
                    del ex.trades[symbol]  # the tap would queue its trades still
            self._bybit_emitted.pop(symbol, None)  # a re-add sends its first OI again
            streams = [self._streams.pop(key) for key in mine]
            for stream in streams:
                self._emit(stream, stream.health.close())
            await asyncio.gather(*(self._unwatch(stream) for stream in streams))
            await self._close_unused_connections(streams)

    async def _close_unused_connections(self, removed: list[Stream]) -> None:
        """Close the connections of ``removed`` that no stream left uses: un-watching
        ends the subscriptions, not the socket, and a run left for days kept one open
        for every symbol ever browsed (Binance gives a symbol connections of its own)."""
        ex = self._ex
        if ex is None:
            return
        for url in {stream.url for stream in removed}:
            # Asked afresh for each: a stream may have subscribed there meanwhile.
            in_use = any(stream.url == url for stream in self._streams.values())
            client = ex.clients.get(url) if url is not None else None
            if url is not None and client is not None and not in_use:
                await self._drop_client(url, client)

    async def _unwatch(self, stream: Stream) -> None:
        """Ask the venue to stop sending a removed stream: a watched BTC's trades would
        otherwise keep costing bandwidth and JSON decoding until the connection drops.
        Only on a connection that is open (a closed one took the subscription with it)."""
        ex, url = self._ex, stream.url
        client = ex.clients.get(url) if ex is not None and url is not None else None
        if stream.unsubscribe is None or client is None or url is None or client.closed():
            return
        try:
            await _answered_in_loop_time(stream.unsubscribe(), UNWATCH_TIMEOUT_S)
            return
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # the removal itself is cancelled (the feed closing)
            reason = "its connection closed"  # ccxt cancels a closing client's futures
        except TimeoutError:
            reason = f"not acknowledged in {UNWATCH_TIMEOUT_S:.0f} s"
        except Exception as exc:
            reason = f"{type(exc).__name__}: {short(exc)}"
        # ccxt forgets a subscription only when the venue acknowledges its end: without
        # that it would never subscribe the symbol again if it is added back (Bybit and
        # OKX carry every symbol on one connection, which stays busy). So the connection
        # starts afresh; its other streams' supervisors subscribe them again.
        log.warning("%s %s: un-watch failed, %s: reconnecting", self.exchange, stream.key, reason)
        await self._drop_client(url, client)

    async def list_symbols(self) -> list[str]:
        await self._require_open()
        return sorted(s for s, m in self._ex.markets.items() if is_linear_perpetual(m))

    async def _require_open(self) -> None:
        await self.start()
        if self._closing:
            raise FeedError(f"{self.exchange}: feed closed")

    async def close(self) -> None:
        """Stop every stream, close the exchange (always), end ``events()``. Idempotent."""
        if self._closed:
            return
        self._closing = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for stream in self._streams.values():
            self._emit(stream, stream.health.close())
        await self._close_exchange()
        self._closed = True
        if not self._shared:  # a shared queue is ended by its owner, once every venue is
            self._push(END)  # never a trade or mark: it waits behind everything queued

    # ------------------------------------------------------------------ events out

    async def _open_unless_closing(self) -> None:
        if not self._closing:
            await self.start()

    def _push(self, event: Event | object) -> None:
        """Queue an event (or the end marker); past the venue's bound only trades and
        marks are dropped (counted). The skew is judged here, on arrival: measured where
        the consumer reads, a backlog would pass for a slow clock."""
        if not self._queue.put(event):
            self._counters["dropped_events"] += 1
            return
        skew = self._skew
        if skew is not None:
            status = skew.observe(event)
            if status is not None:
                self._queue.put(status)

    def _emit(self, stream: Stream, state: StreamState | None, detail: str = "") -> None:
        """One FeedStatus for a state change (``state`` None: nothing changed)."""
        if state is None:
            return
        self._note_stream_live(stream, state)
        now_wall = time.time()
        last = stream.health.last_message
        last_ts = int((now_wall - (time.monotonic() - last)) * 1000) if last is not None else None
        self._push(
            FeedStatus(
                int(now_wall * 1000),
                self.exchange,
                stream.symbol,
                stream.name,
                state,
                detail,
                last_ts,
            )
        )
        level = logging.WARNING if state in _TROUBLE else logging.INFO
        log.log(
            level,
            "%s %s %s: %s %s",
            *(self.exchange, stream.symbol, stream.name, state, detail),
            extra=STATUS_LOG,
        )

    def _status(self, symbol: str | None, stream: str, state: StreamState, detail: str) -> None:
        now_ms = int(time.time() * 1000)
        self._push(FeedStatus(now_ms, self.exchange, symbol, stream, state, detail))

    # ------------------------------------------------------------------ exchange set-up

    async def _open_exchange(self) -> None:
        venue = self.venue
        import ccxt.pro

        cls = getattr(ccxt.pro, self.exchange, None)
        if cls is None:
            raise FeedError(f"exchange {self.exchange!r} is not in this ccxt.pro")
        options = {
            **venue.ccxt_options,
            "tradesLimit": CACHE_LIMIT,
            "liquidationsLimit": CACHE_LIMIT,
        }
        self._ex = cls({"enableRateLimit": True, "options": options})
        self._configure_exchange(self._ex)
        self._install_taps()
        await self._rest("markets", lambda: self._ex.load_markets(True))
        self._label_simulated_server()

    def _label_simulated_server(self) -> None:
        """Data from the built-in simulator is SIMULATED, however the feed reached it."""
        headers = getattr(self._ex, "last_response_headers", None) or {}
        if self.source is Source.LIVE and any(
            str(k).lower() == SIMULATED_HEADER.lower() for k in headers
        ):
            log.info("%s answers as the simulated exchange: data labelled SIMULATED", self.exchange)
            self.source = Source.SIMULATED

    def _configure_exchange(self, ex: Any) -> None:
        """Point the fresh instance at ``base_url`` (the seam tests use to serve REST offline)."""
        if self._base_url is not None:
            from scalptui.feed.baseurl import apply_base_url

            try:
                apply_base_url(ex, self._base_url)
            except ValueError as exc:
                raise FeedError(str(exc)) from None

    def _install_taps(self) -> None:
        ex, venue = self._ex, self.venue
        self._ensure_taps()
        read = self._read_trades
        claim = functools.partial(self._claim_trade_frame, read) if read is not None else None
        install_client_hooks(ex, self._on_url, self._on_malformed, venue.keepalive_frames, claim)

    def _ensure_taps(self) -> None:
        """(Re)install the cache taps; ccxt only replaces a cache it finds missing, but a
        cleanup path (``clean_ws_data``, an unsubscription) would drop ours silently."""
        ex = self._ex
        if not is_tap_cache(ex.liquidations):
            ex.liquidations = tap_cache(TAP_KEPT, self._on_liquidation)
        if not isinstance(ex.tickers, TapDict):
            ex.tickers = TapDict(self._on_ticker, dict(ex.tickers or {}))
        if not isinstance(ex.fundingRates, TapDict):
            ex.fundingRates = TapDict(self._on_funding, dict(ex.fundingRates or {}))
        for key, stream in self._streams.items():
            if stream.name == "trades" and not is_tap_cache(ex.trades.get(stream.symbol)):
                log.info("%s: installing the trade tap of %s", self.exchange, key)
                ex.trades[stream.symbol] = tap_cache(TAP_KEPT, self._trade_sink(stream))

    async def _close_exchange(self) -> None:
        if self._ex is None:
            return
        ex, self._ex = self._ex, None
        try:
            await ex.close()
        except Exception as exc:
            log.warning("%s: error while closing the exchange: %s", self.exchange, exc)

    def _resolve_requested(self) -> list[str]:
        symbols: list[str] = []
        for symbol in self._requested:
            try:
                symbols.append(self._resolve_symbol(symbol))
            except FeedError as exc:
                if not self._skip_unlisted:
                    raise
                self.unlisted[symbol] = str(exc)
        return symbols

    async def resolve_symbol(self, symbol: str) -> str:
        """The unified symbol ``symbol`` (or an exchange id) names here; FeedError if unlisted."""
        await self._require_open()
        return self._resolve_symbol(symbol)

    def _resolve_symbol(self, symbol: str) -> str:
        markets = self._ex.markets or {}
        market = markets.get(symbol)
        if market is None:
            for candidate in (self._ex.markets_by_id or {}).get(symbol, []):
                if is_linear_perpetual(candidate):
                    market = candidate
                    break
        if market is None or not is_linear_perpetual(market):
            name = self.venue.name
            if not any(is_linear_perpetual(m) for m in markets.values()):
                # an empty or foreign answer (an HTML page, {}): no symbol is the problem
                raise FeedError(
                    f"{self.exchange}: the server listed no {name} perpetual at all "
                    "(is the base URL that venue's API?)"
                )
            perpetuals = (s for s, m in markets.items() if is_linear_perpetual(m))
            raise FeedError(
                f"{self.exchange}: unknown symbol {symbol!r} (not {with_article(name)} perpetual)"
                + did_you_mean(symbol, perpetuals)
            )
        resolved: str = market["symbol"]
        return resolved

    # ------------------------------------------------------------------ per symbol

    def _add(self, symbol: str, funding_interval_h: float | None) -> None:
        venue = self.venue
        market = self._ex.markets[symbol]
        self._symbols.append(symbol)
        self._watched.add(symbol)
        self._contract_size[symbol] = contract_size_of(market)
        interval = (
            funding_interval_h
            or market_funding_interval_h(venue, market)
            or venue.default_funding_interval_h
        )
        self._funding[symbol] = FundingState(interval_h=interval)
        # not "market": a failed market status reads as a symbol the venue does not list
        self._spawn(self._run_symbol(symbol), f"symbol:{symbol}", (symbol, "startup"))

    async def _run_symbol(self, symbol: str) -> None:
        """MarketInfo, then History, then the symbol's streams (docs/design.md § Data flow:
        facts before events)."""
        venue = self.venue
        market = self._ex.markets[symbol]
        mmr = await mmr_of(self._ex, venue, symbol, self._rest)
        info = market_info(
            self.exchange,
            market,
            int(time.time() * 1000),
            funding_interval_h=self._funding[symbol].interval_h,
            mmr=mmr,
        )
        if info is not None:
            self._push(info)
        if self._warm_start:
            cs = self._contract_size[symbol]
            history = await history_of(self._ex, venue, symbol, cs, self._rest)
            if history is not None:
                self._push(history)
        for stream in self._register_streams(symbol):
            runner = self._poll if stream.cadence is Cadence.POLL else self._run_stream
            self._spawn(runner(stream), stream.key, (stream.symbol, stream.name))

    def _register_streams(self, symbol: str) -> list[Stream]:
        """Create the symbol's streams and the trade tap, before anything subscribes."""
        venue = self.venue
        streams = self._plan_streams(symbol)
        if venue.oi_source is OiSource.POLL:
            if self._ex.has.get("fetchOpenInterest"):
                streams.append(
                    Stream(
                        "open_interest",
                        symbol,
                        Cadence.POLL,
                        lambda: self._ex.fetch_open_interest(symbol),
                        StreamHealth(Cadence.POLL, self._stale_after_s),
                    )
                )
            else:
                self._status(symbol, "open_interest", StreamState.FAILED, "not offered by venue")
        for stream in streams:
            self._streams[stream.key] = stream
            if stream.name == "trades" and self._read_trades is not None:
                # the feed's own table (no ccxt cleanup touches it): set once per stream
                self._trade_routes[self._ex.market(symbol)["id"]] = self._raw_trade_sink(stream)
        self._ensure_taps()
        return streams

    def _plan_streams(self, symbol: str) -> list[Stream]:
        """The subscriptions this venue offers for ``symbol``, gated on ``exchange.has``."""
        ex, venue = self._ex, self.venue
        has = ex.has
        plan: list[tuple[str, Cadence, str, Callable[[], Awaitable[Any]]]] = []
        plan.append(("trades", Cadence.REGULAR, "watchTrades", lambda: ex.watch_trades(symbol)))
        plan.append(
            (
                "liquidations",
                Cadence.QUIET,
                "watchLiquidations",
                lambda: ex.watch_liquidations(symbol),
            )
        )
        if venue.mark_source is MarkSource.TICKER:
            plan.append(("ticker", Cadence.REGULAR, "watchTicker", lambda: ex.watch_ticker(symbol)))
        else:
            plan.append(
                ("mark", Cadence.REGULAR, "watchMarkPrice", lambda: ex.watch_mark_price(symbol))
            )
        if venue.funding_source is FundingSource.FUNDING_RATE:
            # OKX pushes funding every 30-90 s: judged by its connection, like liquidations.
            plan.append(
                (
                    "funding",
                    Cadence.QUIET,
                    "watchFundingRate",
                    lambda: ex.watch_funding_rate(symbol),
                )
            )
        streams: list[Stream] = []
        for name, cadence, capability, subscribe in plan:
            if not has.get(capability):
                self._status(symbol, name, StreamState.FAILED, f"{capability} not offered by venue")
                continue
            health = StreamHealth(cadence, venue.stale_after_s(name, self._stale_after_s))
            unsubscribe = self._unwatcher(capability, symbol)
            streams.append(Stream(name, symbol, cadence, subscribe, health, unsubscribe))
        return streams

    def _unwatcher(self, capability: str, symbol: str) -> Callable[[], Awaitable[Any]] | None:
        """ccxt's un-watch of ``capability`` for ``symbol``, if this venue has it."""
        method = UNWATCH.get(capability)
        if method is None or not self._ex.has.get("un" + capability[0].upper() + capability[1:]):
            return None
        return functools.partial(getattr(self._ex, method), symbol)

    async def _refresh_funding_intervals(self) -> None:
        """Binance moves volatile symbols to 4 h / 1 h funding and back: re-read hourly."""
        venue = self.venue
        while not self._closing:
            await asyncio.sleep(FUNDING_INTERVAL_REFRESH_S)
            intervals = await funding_intervals(self._ex, venue, self._symbols, self._rest)
            if intervals is None:
                continue
            for symbol, state in self._funding.items():
                state.interval_h = intervals.get(symbol, venue.default_funding_interval_h)

    # ------------------------------------------------------------------ sinks (called by ccxt)

    def _trade_sink(self, stream: Stream) -> Callable[[Unified], None]:
        """One ccxt trade → one Trade on the queue (trades ccxt's handler parsed)."""
        exchange, cs = self.exchange, self._contract_size[stream.symbol]
        sink = self._sink_of(stream, lambda item: parse_trade(exchange, item, cs))

        def order_book_only(item: Unified) -> None:
            info = item.get("info")
            if type(info) is not dict or order_book_trade(exchange, info):
                sink(item)

        return order_book_only

    def _raw_trade_sink(self, stream: Stream) -> Callable[[RawTrade], None]:
        """One trade read from the frame itself → one Trade on the queue (the hot path)."""
        exchange, symbol, cs = self.exchange, stream.symbol, self._contract_size[stream.symbol]
        return self._sink_of(stream, lambda raw: trade_from_raw(exchange, symbol, raw, cs))

    def _sink_of(
        self, stream: Stream, to_trade: Callable[[Any], Trade | None]
    ) -> Callable[[Any], None]:
        """The stream's health told of each item, its Trade queued (or counted rejected)."""
        health, emit, push, counters = stream.health, self._emit, self._push, self._counters
        monotonic = time.monotonic

        def sink(item: Any) -> None:
            change = health.on_message(monotonic())
            if change is not None:
                emit(stream, change)
            trade = to_trade(item)
            if trade is None:
                counters["rejected_items"] += 1
            else:
                push(trade)

        return sink

    def _claim_trade_frame(self, read: FrameReader, message: Any) -> bool:
        """Handle a trade frame of a watched market here (True); anything else is ccxt's."""
        frame = read(message)
        if frame is None:
            return False
        market_id, trades = frame
        sink = self._trade_routes.get(market_id)
        if sink is None:
            return False  # not a market of ours: ccxt caches it where nobody reads it
        for raw in trades:
            sink(raw)
        return True

    def _on_liquidation(self, item: Unified) -> None:
        symbol = item.get("symbol")
        if not isinstance(symbol, str) or symbol not in self._watched:
            return  # OKX's channel carries every instrument
        self._touch("liquidations", symbol)
        prints = parse_liquidations(self.venue, item, self._contract_size[symbol])
        if not prints:
            self._counters["rejected_items"] += 1
        for liq in prints:
            self._push_liquidation(liq)

    def _push_liquidation(self, liq: Liquidation) -> None:
        if self._dedupe.is_new(liq):
            self._push(liq)
        else:
            self._counters["duplicate_liquidations"] += 1

    def _on_ticker(self, symbol: str, ticker: Unified) -> None:
        if symbol not in self._watched:
            return
        venue = self.venue
        state = self._funding[symbol]
        if venue.mark_source is MarkSource.TICKER:
            self._touch("ticker", symbol)
            mark, oi = parse_bybit_ticker(ticker, state, self._contract_size[symbol])
            self._push_bybit(symbol, mark, oi)
            return
        self._touch("mark", symbol)
        mark = parse_mark_price(venue, ticker, state)
        if mark is None:
            self._counters["rejected_items"] += 1
        else:
            self._push(mark)

    def _push_bybit(self, symbol: str, mark: MarkPrice | None, oi: OpenInterest | None) -> None:
        # Deltas repeat the merged ticker every 100 ms: send what changed, and a
        # mark heartbeat once a second for the detector's event clock.
        last = self._bybit_emitted.setdefault(symbol, _BybitEmitted())
        if mark is not None and (
            mark.mark != last.mark or mark.ts - last.mark_ts >= BYBIT_MARK_HEARTBEAT_MS
        ):
            last.mark, last.mark_ts = mark.mark, mark.ts
            self._push(mark)
        if oi is not None and oi.amount != last.open_interest:
            last.open_interest = oi.amount
            self._push(oi)

    def _on_funding(self, symbol: str, funding: Unified) -> None:
        if symbol not in self._watched:
            return
        self._touch("funding", symbol)
        update_okx_funding(funding, self._funding[symbol])

    def _touch(self, name: str, symbol: str) -> None:
        stream = self._streams.get(f"{name}:{symbol}")
        if stream is not None:
            self._emit(stream, stream.health.on_message(time.monotonic()))

    def _on_url(self, url: str) -> None:
        key = CURRENT_STREAM.get()
        stream = self._streams.get(key) if key is not None else None
        if stream is not None:
            stream.url = url
            stream.url_seen.set()

    def _on_malformed(self, url: str, data: Any, exc: BaseException | None) -> None:
        self._counters["malformed_frames"] += 1
        count = self._counters["malformed_frames"]
        if count <= 5 or count % 1000 == 0:
            reason = f"{type(exc).__name__}: {short(exc)}" if exc is not None else "not JSON"
            log.warning(
                "%s: skipped a frame ccxt cannot handle on %s (%s; %d so far): %.80r",
                self.exchange,
                url,
                reason,
                count,
                data,
            )

    # ------------------------------------------------------------------ supervisors

    def _spawn(
        self, coro: Coroutine[Any, Any, None], name: str, owner: tuple[str, str] | None
    ) -> None:
        """Run ``coro`` as a task of the feed; ``owner`` is the (symbol, stream) its death is
        reported as (None: only logged — a background refresh whose loss leaves the last
        values it read in place)."""
        task = asyncio.get_running_loop().create_task(coro, name=f"{self.exchange}:{name}")
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._task_done, owner))

    def _task_done(self, owner: tuple[str, str] | None, task: asyncio.Task[None]) -> None:
        """A task that died is reported as failed for what it ran, never as the venue's
        whole feed: that status marked every symbol's prints undelivered for the rest of
        the run, and a broken funding-interval refresh ended cascade alerts everywhere."""
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("%s task %s died", self.exchange, task.get_name(), exc_info=exc)
            if owner is not None:
                symbol, stream = owner
                detail = f"{task.get_name()}: {short(exc)}"
                self._status(symbol, stream, StreamState.FAILED, detail)


async def _answered_in_loop_time(answer: Awaitable[Any], timeout_s: float) -> Any:
    """Await ``answer`` for ``timeout_s`` of the loop's own time: a slice of the wait
    counts its nominal length however late the loop wakes from it. A loop saturated by
    a cascade's frames reads the venue's answer seconds late; on the wall clock that lag
    read as the venue's silence, and the connection every symbol of Bybit or OKX streams
    on was dropped (37 times in 40 minutes at 20x on eight symbols). Capped at
    ``UNWATCH_WALL_CAP_S``. Raises ``TimeoutError`` as ``asyncio.wait_for`` does."""
    pending = asyncio.ensure_future(answer)
    loop = asyncio.get_running_loop()
    started, waited, step = loop.time(), 0.0, timeout_s / UNWATCH_SLICES
    try:
        while not pending.done():
            if waited >= timeout_s or loop.time() - started >= UNWATCH_WALL_CAP_S:
                raise TimeoutError
            await asyncio.wait((pending,), timeout=step)
            waited += step
        return pending.result()
    finally:
        pending.cancel()
