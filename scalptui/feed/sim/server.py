"""The simulated exchange: Binance USDⓈ-M REST + market WebSocket on loopback.

Unmodified ccxt.pro (``binanceusdm``, pointed here with ``apply_base_url``) loads
markets, watches trades / liquidations / mark price and polls open interest and
history exactly as it would on Binance. The market behind it is
``scalptui.feed.sim.market.MarketModel``; this module only keeps the exchange
clock, speaks the WebSocket protocol and injects faults (the REST answers are
``binance_rest.py``'s).

The same market is served on the same port in Bybit v5's (``bybit.py``: REST under
``/v5/``, WebSocket ``/v5/public/linear``) and OKX v5's wire formats (``okx.py``:
REST under ``/api/v5/``, WebSocket ``/ws/v5/public``), so ``--exchange bybit`` or
``okx`` with ``--base-url`` on this server works as Binance does. Every fault hook
reaches those venues too (optionally one venue only).

One timer (10 Hz of wall time) advances the model to the exchange clock and
sends each socket the frames of its subscriptions in one batch, so the cost is
per tick, not per message.

REST served (any path prefix tolerated, unknown paths get Binance's error shape):
``/fapi/v1/ping``, ``time``, ``exchangeInfo``, ``premiumIndex``, ``fundingInfo``,
``fundingRate``, ``openInterest``, ``klines`` (and ``markPriceKlines`` /
``indexPriceKlines``), ``ticker/24hr``, ``ticker/price``,
``/futures/data/openInterestHist``. WebSocket: an upgrade on any path (ccxt
4.5.90 uses ``/public/ws/<n>`` for ``@trade`` and ``/market/ws/<n>`` for the
rest); ``/stream?streams=…`` and ``/ws/<stream>`` URLs subscribe too.

Simulator only (no exchange has it): ``GET /sim/v1/liquidationMap?symbol=BTCUSDT``
answers the *true* map the ladder estimates — open notional (size × entry, USD)
by liquidation price, per side — on ``bins`` (default 600) equal bins from ``low``
to ``high``, or without them on 0.1 % bins over ±30 % of the mark, with the
totals and what lies off the grid (``SymbolMarket.liquidation_map``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import WSCloseCode, WSMsgType, web

from scalptui.config import DEFAULT_SYMBOLS  # the sim lists what the monitor watches
from scalptui.feed.base import SIMULATED_HEADER
from scalptui.feed.sim import protocol
from scalptui.feed.sim.binance_rest import BadRequest, BinanceRest, error, failure
from scalptui.feed.sim.bybit import BybitVenue
from scalptui.feed.sim.events import SimEvent, SimLiquidation, SimMark, SimTrade
from scalptui.feed.sim.market import MarketModel, SymbolMarket
from scalptui.feed.sim.okx import OkxVenue
from scalptui.feed.sim.plans import ForcedClose, ScheduledDrift, ScheduledShock, ScheduledWhale
from scalptui.feed.sim.specs import unified
from scalptui.feed.sim.throttle import ForceOrderThrottle
from scalptui.feed.sim.venue import Handler, SimVenue, VenueHost

log = logging.getLogger("scalptui.feed.sim")

STREAM_KINDS = ("trade", "aggTrade", "forceOrder", "markPrice")
BINANCE = "binanceusdm"
TICK_SECONDS = 0.1
# a client that lets this many frames pile up is cut off, as Binance does to slow readers
_MAX_OUTBOX = 100_000
# A truncated object: it starts like JSON, so ccxt hands it to its JSON decoder,
# which is the failure mode worth testing (a plain word would be passed through).
_GARBAGE = '{"e":"trade","E":17,"s":"BTCUSDT","p":"1'


class TickFailures:
    """A failure within a tick, logged in full the first time, then the same failure at
    most once per ``every_s`` with how often it recurred: a bug that persists would
    otherwise be logged ten times a second and rotate the log away within minutes."""

    MAX_KINDS = 64  # distinct failures remembered; past it, the record starts afresh

    def __init__(self, every_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.every_s = every_s
        self._clock = clock
        self._seen: dict[tuple[str, str, str], list[float]] = {}  # → [last logged, repeats since]

    def report(self, what: str, exc: BaseException) -> None:
        # the same failure: same kind, raised at the same line (its message may carry a
        # symbol or a price that changes from tick to tick)
        key = (what, type(exc).__name__, _raised_at(exc))
        now = self._clock()
        seen = self._seen.get(key)
        if seen is None:
            if len(self._seen) >= self.MAX_KINDS:
                self._seen.clear()
            self._seen[key] = [now, 0]
            log.error("%s", what, exc_info=exc)
            return
        seen[1] += 1
        if now - seen[0] >= self.every_s:
            latest = f"{type(exc).__name__}: {exc}"[:200]
            log.error("%s again, %d times in %.0f s: %s", what, seen[1], now - seen[0], latest)
            seen[0], seen[1] = now, 0


def _raised_at(exc: BaseException) -> str:
    """``file:line`` of the frame that raised ``exc`` (empty for one never raised)."""
    tb = exc.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"


@dataclass(eq=False, slots=True)
class _Connection:
    ws: web.WebSocketResponse
    combined: bool
    venue: SimVenue | None = None  # None: Binance
    conn_id: str = ""
    subscriptions: set[str] = field(default_factory=set)
    outbox: deque[str] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def send(self, text: str) -> None:
        self.outbox.append(text)
        self.wake.set()


class SimExchange:
    """The loopback Binance USDⓈ-M exchange. See the module docstring."""

    def __init__(
        self,
        symbols: Sequence[str] = DEFAULT_SYMBOLS,
        *,
        seed: int = 0,
        time_scale: float = 1.0,
        scenario: str = "auto",
        start_ms: int | None = None,
        markets: Sequence[SymbolMarket] = (),
        hold_clock: bool = False,
    ) -> None:
        """``markets``: markets built elsewhere (a real price path) served beside
        ``symbols``. ``hold_clock``: the exchange clock stays at ``start_ms`` (REST
        answers, nothing streams) until ``advance_clock()`` drives it — so a client
        that takes a while to connect misses no exchange time."""
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, not {time_scale}")
        self.time_scale = time_scale
        self.start_ms = int(time.time() * 1000) if start_ms is None else start_ms
        self.model = MarketModel(
            symbols, seed=seed, scenario=scenario, start_ms=self.start_ms, extra_markets=markets
        )
        self.base_url = ""
        self._hold_clock = hold_clock
        self._manual_ms: int | None = None
        self._t0: float | None = None
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._connections: set[_Connection] = set()
        self._subscribers: dict[str, set[_Connection]] = {}
        self._throttle = ForceOrderThrottle()
        self._stalled_until: dict[str, float] = {}
        self._fail_status = 0
        self._fail_left = 0
        self._fail_venue: str | None = None
        self._refused: set[str] = set()
        self._counts: Counter[str] = Counter()
        self._failures = TickFailures()
        self._withhold_unsub_acks = False
        self._routes: dict[str, Handler] = BinanceRest(self.model, self.now_ms).routes()
        host = VenueHost(self.model, self.now_ms, self._publish, self._subscribers.__contains__)
        self._venues: tuple[SimVenue, ...] = (BybitVenue(host), OkxVenue(host))
        for venue in self._venues:
            self._routes.update(venue.routes())

    # -- lifecycle -------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0 = a free port); return ``http://host:port``."""
        if self._runner is not None:
            return self.base_url
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        addresses = runner.addresses
        bound = int(addresses[0][1]) if addresses else port
        self.base_url = base_url_for(host, bound)
        if not self._hold_clock:
            self._t0 = time.monotonic()
        self._ticker = asyncio.create_task(self._tick_forever(), name="sim-exchange-tick")
        log.info("simulated exchange on %s (scenario %s)", self.base_url, self.model.scenario)
        return self.base_url

    async def stop(self) -> None:
        """Close every socket and the listener; idempotent."""
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        for conn in list(self._connections):
            self._forget(conn)
            with contextlib.suppress(Exception):
                await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server stopping")
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def advance_clock(self, to_ms: int) -> None:
        """Drive the exchange clock by hand (from then on it moves only here) and send
        what happened up to ``to_ms`` now.

        For a harness that paces the exchange by its client's progress: at a high
        ``time_scale`` a timer tick carries seconds of market, and streams on
        different sockets then reach the client out of event-time order, which no
        live venue does.
        """
        self._manual_ms = to_ms if self._manual_ms is None else max(self._manual_ms, to_ms)
        self._tick()

    def forced_closes(self, symbol: str | None = None) -> list[ForcedClose]:
        """The forced closes the market executed so far (the latest ``FORCED_CLOSES_KEPT``
        of each symbol), in time order — the truth behind the 1/s-sampled
        ``@forceOrder`` stream."""
        return self.model.forced_closes(symbol)

    def schedule(self, symbol: str, plan: ScheduledShock | ScheduledWhale | ScheduledDrift) -> None:
        """Plan a shock, a whale's forced close or a drift in exchange time (see
        ``scalptui.feed.sim.plans``); ValueError for a symbol not simulated."""
        try:
            self.model.schedule(symbol, plan)
        except KeyError:
            known = ", ".join(self.model.markets)
            raise ValueError(f"{symbol!r} is not simulated here (simulated: {known})") from None

    def now_ms(self) -> int:
        """The exchange clock: start + wall time elapsed × time_scale (or as driven by
        ``advance_clock``)."""
        if self._manual_ms is not None:
            return self._manual_ms
        if self._t0 is None:
            return self.start_ms
        return self.start_ms + int((time.monotonic() - self._t0) * 1000 * self.time_scale)

    def set_time_scale(self, time_scale: float) -> None:
        """Run the clock at ``time_scale`` × the wall clock from now on, continuing from the
        current exchange time (benchmarks connect at 1× and then speed up)."""
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, not {time_scale}")
        if self._t0 is not None:
            self.start_ms, self._t0 = self.now_ms(), time.monotonic()
        self.time_scale = time_scale

    # -- faults and controls ---------------------------------------------------------

    def drop_connections(self, venue: str | None = None) -> int:
        """Close every WebSocket (of ``venue`` only, if given) now, as a network drop
        would; return how many."""
        dropped = [c for c in self._connections if _venue_matches(c, venue)]
        for conn in dropped:
            self._forget(conn)
            self._spawn(conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"simulated drop"))
        self._counts["dropped_connections"] += len(dropped)
        return len(dropped)

    def refuse(self, venue: str, refused: bool = True) -> int:
        """Cut one venue off (``binanceusdm``, ``bybit``, ``okx``) as an outage would, or
        let it back (``refused=False``); return the sockets dropped.

        While refused, the venue's WebSockets are dropped, and every new upgrade or REST
        request to its paths has its connection closed before any answer, so a client
        sees connection errors; the other venues on this port are served as usual.
        """
        known = (BINANCE, *(v.id for v in self._venues))
        if venue not in known:
            raise ValueError(f"venue must be one of {known}, not {venue!r}")
        if not refused:
            self._refused.discard(venue)
            return 0
        self._refused.add(venue)
        return self.drop_connections(venue)

    def delist(self, symbol: str) -> None:
        """Stop serving ``symbol`` (unified) on the Bybit and OKX WebSockets, as a delisting
        between a client's market list and its next subscription: each venue refuses the
        subscription as it refuses an unknown instrument (OKX ``60018``, Bybit "handler
        not found"). Binance accepts any stream name and sends nothing for an unknown one,
        as the simulated Binance always does."""
        self.model.delisted.add(symbol)

    def withhold_unsubscribe_acks(self, withheld: bool = True) -> None:
        """Carry out every venue's unsubscribe requests but send no acknowledgement, as
        when a venue's answer is lost (or let them be answered again)."""
        self._withhold_unsub_acks = withheld

    def stall(self, stream: str, seconds: float) -> None:
        """Stop sending one stream kind (all symbols) for ``seconds`` of wall time:
        Binance's ``STREAM_KINDS`` or a venue's (``bybit.publicTrade``, ``bybit.tickers``,
        ``bybit.allLiquidation``, ``okx.trades``, ``okx.mark-price``, ``okx.funding-rate``,
        ``okx.open-interest``, ``okx.liquidation-orders``).

        Sockets stay open and every other stream keeps flowing; frames of the
        stalled stream are not queued but lost, as on a stuck upstream.
        """
        kinds = STREAM_KINDS + tuple(k for v in self._venues for k in v.stream_kinds)
        if stream not in kinds:
            raise ValueError(f"stream must be one of {kinds}, not {stream!r}")
        self._stalled_until[stream] = time.monotonic() + seconds

    def send_garbage(self, count: int = 1, venue: str | None = None) -> int:
        """Queue ``count`` malformed (non-JSON) text frames to every socket (of ``venue``
        only, if given); return sockets hit."""
        hit = [c for c in self._connections if _venue_matches(c, venue)]
        for conn in hit:
            for _ in range(count):
                conn.send(_GARBAGE)
        self._counts["garbage_frames"] += count * len(hit)
        return len(hit)

    def fail_http(self, status: int, count: int, venue: str | None = None) -> None:
        """Answer the next ``count`` REST requests (to ``venue`` only, if given:
        ``binanceusdm``, ``bybit``, ``okx``) with HTTP ``status`` (429, 5xx…), each
        in that venue's error shape."""
        self._fail_status, self._fail_left, self._fail_venue = status, count, venue

    def trigger(self, symbol: str, side: str) -> None:
        """``long``: shock down into crowded longs (cascade); ``short``: squeeze.

        Raises ValueError for a side other than long/short or a symbol not simulated.
        """
        try:
            self.model.trigger(symbol, side)
        except KeyError:
            known = ", ".join(self.model.markets)
            raise ValueError(f"{symbol!r} is not simulated here (simulated: {known})") from None

    def subscribed_streams(self) -> frozenset[str]:
        """The streams some client holds now, by the server's names (Binance's
        ``ethusdt@trade``; the venues' keys, such as ``bybit.publicTrade.ETHUSDT``)."""
        return frozenset(stream for stream, conns in self._subscribers.items() if conns)

    @property
    def stats(self) -> dict[str, int]:
        """Counters since start, all integers:

        ``messages_trade`` / ``messages_aggTrade`` / ``messages_forceOrder`` /
        ``messages_markPrice`` (frames queued to sockets), ``connections`` (open now),
        ``connections_total``, ``subscriptions`` (open now), ``liquidations_generated``
        (forced closes in the model) vs ``liquidations_pushed`` (prints that passed
        the 1-per-second throttle), and, once they happen, ``rest_requests``,
        ``rest_unknown``, ``rest_failed_on_purpose``, ``dropped_connections``,
        ``garbage_frames``, ``stalled_<stream>`` (frames withheld by a stall).
        Bybit and OKX add ``messages_bybit.<topic>`` / ``messages_okx.<channel>`` and
        their liquidation counters (``bybit_liquidations_*``, ``okx_liquidations_*``).
        """
        out = dict(self._counts)
        out["connections"] = len(self._connections)
        out["subscriptions"] = sum(len(c.subscriptions) for c in self._connections)
        out["liquidations_generated"] = self._throttle.generated
        out["liquidations_pushed"] = self._throttle.pushed
        for venue in self._venues:
            out.update(venue.stats)
        for kind in STREAM_KINDS + tuple(k for v in self._venues for k in v.stream_kinds):
            out.setdefault(f"messages_{kind}", 0)
        return out

    # -- ticking ---------------------------------------------------------------------

    async def _tick_forever(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            try:
                self._tick()
            except Exception as exc:  # the exchange must outlive a bug in one tick
                self._failures.report("simulated exchange tick failed", exc)
            next_at += TICK_SECONDS
            delay = next_at - loop.time()
            if delay < 0:  # fell behind (a blocked loop): skip, don't burst
                next_at, delay = loop.time(), 0.0
            await asyncio.sleep(delay)

    def _tick(self) -> None:
        now = self.now_ms()
        events = self.model.advance(now)
        marks: dict[int, list[dict[str, Any]]] = {}
        for event in events:
            self._route(event, marks)
        for liq in self._throttle.flush(now):
            self._push_liquidation(liq)
        for ts in sorted(marks):
            self._publish("markPrice", "!markPrice@arr@1s", marks[ts])
            if ts % 3000 == 0:
                self._publish("markPrice", "!markPrice@arr", marks[ts])
        for venue in self._venues:
            try:
                venue.on_events(events)
                venue.flush(now)
            except Exception as exc:  # one venue's bug must not freeze the others' streams
                self._failures.report(f"simulated {venue.id} venue failed in a tick", exc)

    def _route(self, event: SimEvent, marks: dict[int, list[dict[str, Any]]]) -> None:
        market = self.model.markets[event.symbol]
        spec = market.spec
        stream_id = spec.market_id.lower()
        if isinstance(event, SimTrade):
            if f"{stream_id}@trade" in self._subscribers:
                self._publish("trade", f"{stream_id}@trade", protocol.trade_frame(spec, event))
            if f"{stream_id}@aggTrade" in self._subscribers:
                frame = protocol.agg_trade_frame(spec, event)
                self._publish("aggTrade", f"{stream_id}@aggTrade", frame)
        elif isinstance(event, SimLiquidation):
            previous = self._throttle.offer(event)
            if previous is not None:
                self._push_liquidation(previous)
        elif isinstance(event, SimMark):
            frame = protocol.mark_price_frame(spec, event)
            marks.setdefault(event.ts, []).append(frame)
            self._publish("markPrice", f"{stream_id}@markPrice@1s", frame)
            if event.ts % 3000 == 0:
                self._publish("markPrice", f"{stream_id}@markPrice", frame)

    def _push_liquidation(self, liq: SimLiquidation) -> None:
        spec = self.model.markets[liq.symbol].spec
        frame = protocol.force_order_frame(spec, liq, event_ms=(liq.ts // 1000 + 1) * 1000)
        self._publish("forceOrder", f"{spec.market_id.lower()}@forceOrder", frame)
        self._publish("forceOrder", "!forceOrder@arr", frame)

    def _publish(self, kind: str, stream: str, payload: Any) -> int:
        """Queue ``payload`` to ``stream``'s subscribers; return how many got it."""
        subscribers = self._subscribers.get(stream)
        if not subscribers:
            return 0
        until = self._stalled_until.get(kind)
        if until is not None:
            if time.monotonic() < until:
                self._counts[f"stalled_{kind}"] += len(subscribers)
                return 0
            del self._stalled_until[kind]
        raw: str | None = None
        wrapped: str | None = None
        for conn in list(subscribers):
            if conn.combined:
                wrapped = wrapped or protocol.dumps({"stream": stream, "data": payload})
                conn.send(wrapped)
            else:
                raw = raw or protocol.dumps(payload)
                conn.send(raw)
            if len(conn.outbox) > _MAX_OUTBOX:
                log.warning("dropping a socket that fell %d frames behind", len(conn.outbox))
                self._forget(conn)
                self._spawn(conn.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"too slow"))
        self._counts[f"messages_{kind}"] += len(subscribers)
        return len(subscribers)

    # -- WebSocket -------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        if self._refused and self._venue_id(request.path, upgrade) in self._refused:
            return self._cut(request)
        if upgrade:
            return await self._websocket(request)
        return await self._rest(request)

    def _venue_id(self, path: str, websocket: bool) -> str:
        for venue in self._venues:
            if venue.owns_ws_path(path) if websocket else venue.owns_rest_path(path):
                return venue.id
        return BINANCE

    def _cut(self, request: web.Request) -> web.StreamResponse:
        """Close the connection unanswered (a refused venue): the client's read fails."""
        self._counts["refused_requests"] += 1
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=503)  # never reaches the client: its socket is gone

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        combined = request.path.rstrip("/").endswith("/stream")
        venue = next((v for v in self._venues if v.owns_ws_path(request.path)), None)
        self._counts["connections_total"] += 1
        conn_id = f"sim-{self._counts['connections_total']}"
        conn = _Connection(ws, combined=combined and venue is None, venue=venue, conn_id=conn_id)
        self._connections.add(conn)
        if venue is None:
            self._subscribe(conn, _streams_in_url(request))
        sender = self._spawn(self._sender(conn))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT and conn.venue is not None:
                    self._on_venue_request(conn, conn.venue, message.data)
                elif message.type == WSMsgType.TEXT:
                    self._on_request(conn, message.data)
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            self._forget(conn)
            sender.cancel()
        return ws

    async def _sender(self, conn: _Connection) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            while not conn.ws.closed:
                await conn.wake.wait()
                conn.wake.clear()
                while conn.outbox and not conn.ws.closed:
                    await conn.ws.send_str(conn.outbox.popleft())

    def _on_request(self, conn: _Connection, text: str) -> None:
        try:
            request = json.loads(text)
            method = request["method"]
            params = request.get("params") or []
            request_id = request.get("id")
        except (ValueError, KeyError, TypeError, AttributeError):
            conn.send(protocol.dumps({"code": 3, "msg": f"Invalid JSON: {text[:80]!r}"}))
            return
        streams = [p for p in params if isinstance(p, str)] if isinstance(params, list) else []
        result: Any = None
        if method == "SUBSCRIBE":
            self._subscribe(conn, streams)
        elif method == "UNSUBSCRIBE":
            for stream in streams:
                conn.subscriptions.discard(stream)
                self._subscribers.get(stream, set()).discard(conn)
            if self._withhold_unsub_acks:
                return
        elif method == "LIST_SUBSCRIPTIONS":
            result = sorted(conn.subscriptions)
        elif method not in ("SET_PROPERTY", "GET_PROPERTY"):
            conn.send(
                protocol.dumps(
                    {
                        "code": 2,
                        "msg": f"Invalid request: unknown method {method!r}",
                        "id": request_id,
                    }
                )
            )
            return
        conn.send(protocol.dumps({"result": result, "id": request_id}))

    def _on_venue_request(self, conn: _Connection, venue: SimVenue, text: str) -> None:
        reply = venue.on_ws_text(text, conn.conn_id)
        self._subscribe(conn, reply.subscribe)
        for stream in reply.unsubscribe:
            conn.subscriptions.discard(stream)
            subscribers = self._subscribers.get(stream)
            if subscribers is not None:
                subscribers.discard(conn)
                if not subscribers:  # venues build no frame for a stream nobody holds
                    del self._subscribers[stream]
        if reply.unsubscribe and self._withhold_unsub_acks:
            return  # the frames of an unsubscribe are its acknowledgements
        for frame in reply.frames:
            conn.send(frame)

    def _subscribe(self, conn: _Connection, streams: Sequence[str]) -> None:
        for stream in streams:
            listed = unified(stream.partition("@")[0])
            if listed is not None and listed not in self.model.markets:
                self.model.add_market(listed)
            conn.subscriptions.add(stream)
            self._subscribers.setdefault(stream, set()).add(conn)

    def _forget(self, conn: _Connection) -> None:
        self._connections.discard(conn)
        for stream in conn.subscriptions:
            subscribers = self._subscribers.get(stream)
            if subscribers is not None:
                subscribers.discard(conn)
                if not subscribers:
                    del self._subscribers[stream]
        conn.wake.set()

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- REST ------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        self._counts["rest_requests"] += 1
        venue = next((v for v in self._venues if v.owns_rest_path(request.path)), None)
        if self._fail_left > 0 and self._fail_venue in (None, venue.id if venue else BINANCE):
            self._fail_left -= 1
            self._counts["rest_failed_on_purpose"] += 1
            return venue.failure(self._fail_status) if venue else failure(self._fail_status)
        handler = self._route_for(request.path)
        if handler is None:
            log.warning("simulated exchange: unknown REST path %s %s", request.method, request.path)
            self._counts["rest_unknown"] += 1
            if venue is not None:
                return venue.unknown_path(request)
            return error(404, -5000, f"Path {request.path}, Method {request.method} is invalid")
        try:
            response = await handler(request)
        except BadRequest as exc:
            response = error(400, exc.code, exc.msg)
        response.headers[SIMULATED_HEADER] = "1"
        return response

    def _route_for(self, path: str) -> Handler | None:
        handler = self._routes.get(path)
        if handler is not None:
            return handler
        # a --base-url path prefix; the longest match, since OKX's /api/v5/market/tickers
        # ends with Bybit's /v5/market/tickers
        known = max((k for k in self._routes if path.endswith(k)), key=len, default=None)
        return self._routes[known] if known is not None else None


def _venue_matches(conn: _Connection, venue: str | None) -> bool:
    own = conn.venue.id if conn.venue is not None else BINANCE
    return venue is None or venue == own


def _streams_in_url(request: web.Request) -> list[str]:
    """Streams named in the URL: ``/stream?streams=a/b`` or ``/ws/btcusdt@trade``."""
    listed = request.query.get("streams")
    if listed:
        return [s for s in listed.split("/") if s]
    last = request.path.rstrip("/").rsplit("/", 1)[-1]
    return [last] if "@" in last else []


async def serve(
    port: int,
    *,
    host: str = "127.0.0.1",
    seed: int = 0,
    symbols: Sequence[str] = DEFAULT_SYMBOLS,
    time_scale: float = 1.0,
    scenario: str = "auto",
) -> None:
    """Serve the simulated exchange until cancelled (``scalptui sim --port N``)."""
    sim = SimExchange(symbols, seed=seed, time_scale=time_scale, scenario=scenario)
    try:
        await sim.start(host=host, port=port)
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def base_url_for(host: str, port: int) -> str:
    """``http://host:port``, an IPv6 address in brackets (``http://::1:8793`` was printed,
    which no client can read)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"
