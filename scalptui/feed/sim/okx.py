"""The simulated market in OKX v5's wire format (USDT-margined perpetual swaps).

Shapes follow OKX's v5 documentation and real frames
(``shared/data/tardis-node/okex-swap_v5_messages.jsonl``,
``shared/data/nautilus_trader/okx_v5``, ``shared/data/exchange-docs-examples/okx__*``);
numbers are strings, as OKX sends them. Instruments are derived from the
simulator's ``SymbolSpec``: ``BTC/USDT:USDT`` is ``BTC-USDT-SWAP``, and one
contract is worth ``ctVal`` base units — a power of ten near $1 000 of notional,
which gives OKX's own values (BTC 0.01, ETH 0.1, SOL 1). **Sizes are in
contracts** everywhere OKX states them so (trades ``sz``, liquidations ``sz``,
open interest ``oi``, candle volume ``vol``); ``oiCcy`` and candle ``volCcy`` are
base units. The frames themselves are built by ``okx_frames.py``; this module keeps the
venue: subscriptions, push cadences and the REST routes.

REST (what ccxt 4.5.90 calls for ``load_markets`` and the feed's start-up and
polls): ``/api/v5/public/time``, ``instruments``, ``funding-rate``,
``funding-rate-history``, ``mark-price``, ``open-interest``, ``position-tiers``;
``/api/v5/market/candles``, ``history-candles``, ``mark-price-candles``,
``ticker``, ``tickers``; ``/api/v5/rubik/stat/contracts/open-interest-history``.

WebSocket ``/ws/v5/public``: ``{"op":"subscribe","args":[{"channel":…,"instId":…}]}``
acknowledged per argument, the text ``ping`` answered with ``pong``, and the channels

* ``trades`` — the trades of one server tick in one push;
* ``mark-price`` — every simulated second (and at once on subscription);
* ``funding-rate`` — every 30 simulated seconds (and at once);
* ``open-interest`` — every 3 simulated seconds (and at once);
* ``liquidation-orders`` (``instType`` SWAP: every instrument) — OKX pushes at
  most one order per contract per second, so this is a sample like Binance's
  ``@forceOrder`` (the latest forced close of each second); ``side`` is the
  order's side, ``posSide`` the liquidated position, ``bkPx`` the bankruptcy price.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from scalptui.feed.sim.events import SimEvent, SimLiquidation, SimMark, SimTrade
from scalptui.feed.sim.history import MinuteBar
from scalptui.feed.sim.market import SymbolMarket
from scalptui.feed.sim.okx_frames import (
    Contract,
    candle_row,
    funding_item,
    instrument,
    liquidation_frame,
    mark_price_item,
    open_interest_item,
    position_tiers,
    ticker_item,
    trade_item,
)
from scalptui.feed.sim.specs import unified
from scalptui.feed.sim.throttle import ForceOrderThrottle
from scalptui.feed.sim.venue import Handler, VenueHost, WsReply, dumps

VENUE_ID = "okx"
WS_PATHS = ("/ws/v5/public", "/ws/v5/business")
FUNDING_PUSH_MS = 30_000
OPEN_INTEREST_PUSH_MS = 3_000
TRADES, MARK, FUNDING, OPEN_INTEREST, LIQUIDATIONS = (
    "okx.trades",
    "okx.mark-price",
    "okx.funding-rate",
    "okx.open-interest",
    "okx.liquidation-orders",
)
STREAM_KINDS = (TRADES, MARK, FUNDING, OPEN_INTEREST, LIQUIDATIONS)
_INSTRUMENT_CHANNELS = ("trades", "mark-price", "funding-rate", "open-interest")
_LIQUIDATION_KEY = f"{VENUE_ID}:liquidation-orders:SWAP"
NOT_LISTED = frozenset({"1000PEPE/USDT:USDT"})
"""Catalogue markets OKX does not list: it lists PEPE itself (``PEPE-USDT-SWAP``), not the
thousand-token contract Binance and Bybit list."""


def _listed_symbol(inst: str) -> str | None:
    """The catalogue symbol of an instrument OKX lists, named exactly (``XRP-USDT-SWAP``)."""
    base, _, rest = inst.partition("-")
    symbol = unified(f"{base}USDT") if rest == "USDT-SWAP" else None
    if symbol is None or symbol in NOT_LISTED or not symbol.startswith(f"{base}/"):
        return None
    return symbol


_BAR_MS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1H": 3_600_000,
    "2H": 7_200_000,
    "4H": 14_400_000,
    "6H": 21_600_000,
    "6Hutc": 21_600_000,
    "12H": 43_200_000,
    "12Hutc": 43_200_000,
    "1D": 86_400_000,
    "1Dutc": 86_400_000,
}
_OI_PERIOD_MS = {"5m": 300_000, "1H": 3_600_000, "1D": 86_400_000}


def key(channel: str, inst: str) -> str:
    """The server's subscription key of an OKX channel argument."""
    return f"{VENUE_ID}:{channel}:{inst}"


# --------------------------------------------------------------------------- venue


class _BadParam(Exception):
    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


@dataclass(slots=True)
class _SymbolState:
    contract: Contract
    keys: dict[str, str]
    trades: list[dict[str, Any]] = field(default_factory=list)


class OkxVenue:
    """OKX v5 public market data over the simulated market (module docstring)."""

    id: str = VENUE_ID
    stream_kinds: tuple[str, ...] = STREAM_KINDS

    def __init__(self, host: VenueHost) -> None:
        self.host = host
        self._state: dict[str, _SymbolState] = {}
        self._by_inst: dict[str, SymbolMarket] = {}
        self._synced = 0  # simulated markets seen by _sync_markets
        self._sync_markets()
        self._throttle = ForceOrderThrottle()
        self._sent = 0

    @property
    def stats(self) -> dict[str, int]:
        """``okx_liquidations_generated`` (forced closes), ``…_pushed`` (the ≤ 1 per
        instrument per second that OKX would push) and ``…_sent`` (queued to sockets)."""
        return {
            "okx_liquidations_generated": self._throttle.generated,
            "okx_liquidations_pushed": self._throttle.pushed,
            "okx_liquidations_sent": self._sent,
        }

    def contract(self, symbol: str) -> Contract:
        """The OKX contract of a simulated symbol (``BTC/USDT:USDT``)."""
        return self._state[symbol].contract

    def owns_ws_path(self, path: str) -> bool:
        return path.rstrip("/").endswith(WS_PATHS)

    def owns_rest_path(self, path: str) -> bool:
        return "/api/v5/" in path

    # -- market events ---------------------------------------------------------------

    def _sync_markets(self) -> None:
        """State for every simulated market, those added since start included (another
        venue's client asked for a catalogue symbol, and the model simulates it from now)."""
        markets = self.host.model.markets
        if self._synced == len(markets):
            return  # markets are only ever added: the same count, the same markets
        self._synced = len(markets)
        for symbol, market in markets.items():
            if symbol not in self._state and symbol not in NOT_LISTED:
                contract = Contract.of(market.spec)
                keys = {ch: key(ch, contract.inst_id) for ch in _INSTRUMENT_CHANNELS}
                self._state[symbol] = _SymbolState(contract, keys)
                self._by_inst[contract.inst_id] = market

    def on_events(self, events: Sequence[SimEvent]) -> None:
        self._sync_markets()
        is_subscribed, states = self.host.is_subscribed, self._state
        for event in events:
            state = states.get(event.symbol)
            if state is None:
                continue  # a market OKX does not list
            if type(event) is SimTrade:
                if is_subscribed(state.keys["trades"]):
                    state.trades.append(trade_item(state.contract, event))
            elif type(event) is SimLiquidation:
                previous = self._throttle.offer(event)
                if previous is not None:
                    self._send_liquidation(previous)
            elif type(event) is SimMark:
                self._send_trades(state)  # keep the socket in event-time order
                self._send_mark(state, event)

    def flush(self, now_ms: int) -> None:
        for state in self._state.values():
            self._send_trades(state)
        for liq in self._throttle.flush(now_ms):
            self._send_liquidation(liq)

    def _push(self, kind: str, channel: str, state: _SymbolState, items: list[Any]) -> int:
        frame = {"arg": {"channel": channel, "instId": state.contract.inst_id}, "data": items}
        return self.host.publish(kind, state.keys[channel], frame)

    def _send_trades(self, state: _SymbolState) -> None:
        if state.trades:
            items, state.trades = state.trades, []
            self._push(TRADES, "trades", state, items)

    def _send_mark(self, state: _SymbolState, mark: SimMark) -> None:
        contract = state.contract
        if self.host.is_subscribed(state.keys["mark-price"]):
            self._push(MARK, "mark-price", state, [mark_price_item(contract, mark.mark, mark.ts)])
        market = self.host.model.markets[mark.symbol]
        if mark.ts % FUNDING_PUSH_MS == 0 and self.host.is_subscribed(state.keys["funding-rate"]):
            item = funding_item(contract, market, mark.funding_rate, mark.ts)
            self._push(FUNDING, "funding-rate", state, [item])
        if mark.ts % OPEN_INTEREST_PUSH_MS == 0 and self.host.is_subscribed(
            state.keys["open-interest"]
        ):
            item = open_interest_item(contract, market, mark.ts)
            self._push(OPEN_INTEREST, "open-interest", state, [item])

    def _send_liquidation(self, liq: SimLiquidation) -> None:
        if not self.host.is_subscribed(_LIQUIDATION_KEY):
            return
        frame = liquidation_frame(self._state[liq.symbol].contract, liq)
        self._sent += self.host.publish(LIQUIDATIONS, _LIQUIDATION_KEY, frame)

    # -- WebSocket requests ----------------------------------------------------------

    def on_ws_text(self, text: str, conn_id: str) -> WsReply:
        """``ping`` → ``pong``; ``subscribe`` / ``unsubscribe`` acknowledged per argument::

        {"event":"subscribe","arg":{"channel":"trades","instId":"BTC-USDT-SWAP"},
         "connId":"a4d3ae55"}
        """
        if text == "ping":
            return WsReply(frames=["pong"])
        try:
            request = json.loads(text)
            op = request["op"]
            args = request["args"]
            if not isinstance(args, list):
                raise TypeError(args)
        except (ValueError, KeyError, TypeError):
            error = {
                "event": "error",
                "code": "60012",
                "msg": f"Invalid request: {text[:200]}",
                "connId": conn_id,
            }
            return WsReply(frames=[dumps(error)])
        if op not in ("subscribe", "unsubscribe"):
            error = {
                "event": "error",
                "code": "60012",
                "msg": f"Invalid request: {text[:200]}",
                "connId": conn_id,
            }
            return WsReply(frames=[dumps(error)])
        reply = WsReply()
        snapshots: list[str] = []
        for arg in args:
            stream = self._stream_of(arg, simulate=op == "subscribe")
            if stream is None:
                reply.frames.append(dumps(self._no_such_channel(arg, conn_id)))
                continue
            answer: dict[str, Any] = {"event": op, "arg": arg, "connId": conn_id}
            if "id" in request:
                answer["id"] = request["id"]
            reply.frames.append(dumps(answer))
            if op == "subscribe":
                reply.subscribe.append(stream)
                snapshots.extend(self._snapshot(arg))
            else:
                reply.unsubscribe.append(stream)
        reply.frames.extend(snapshots)
        return reply

    def _stream_of(self, arg: Any, *, simulate: bool) -> str | None:
        """The stream an argument names; a subscription to a listed instrument simulates
        its market from now (an unsubscribe only names it)."""
        if not isinstance(arg, dict):
            return None
        channel = arg.get("channel")
        if channel == "liquidation-orders":
            return _LIQUIDATION_KEY if arg.get("instType") == "SWAP" else None
        inst = arg.get("instId")
        if channel not in _INSTRUMENT_CHANNELS or not isinstance(inst, str):
            return None
        if self._delisted(inst):
            return None
        listed = self._asked(inst) if simulate else _listed_symbol(inst) or self._by_inst.get(inst)
        return key(str(channel), inst) if listed else None

    def _delisted(self, inst: str) -> bool:
        market = self._by_inst.get(inst)
        symbol = market.spec.symbol if market is not None else _listed_symbol(inst)
        return symbol in self.host.model.delisted

    def _no_such_channel(self, arg: Any, conn_id: str) -> dict[str, Any]:
        channel = arg.get("channel") if isinstance(arg, dict) else None
        inst = arg.get("instId") if isinstance(arg, dict) else None
        return {
            "event": "error",
            "code": "60018",
            "msg": f"Wrong URL or channel:{channel},instId:{inst} doesn't exist. Please use"
            " the correct URL, channel and parameters referring to API document.",
            "connId": conn_id,
        }

    def _snapshot(self, arg: dict[str, Any]) -> list[str]:
        """OKX pushes the current mark price, funding and open interest on subscription."""
        channel = arg.get("channel")
        market = self._by_inst.get(str(arg.get("instId")))
        if market is None or channel == "trades":
            return []
        contract = self._state[market.spec.symbol].contract
        now = market.now_ms  # the model's clock: never ahead of the frames that follow
        if channel == "mark-price":
            item = mark_price_item(contract, market.mark, now)
        elif channel == "funding-rate":
            item = funding_item(contract, market, market.funding_rate, now)
        else:
            item = open_interest_item(contract, market, now)
        frame = {"arg": {"channel": channel, "instId": contract.inst_id}, "data": [item]}
        return [dumps(frame)]

    # -- REST ------------------------------------------------------------------------

    def routes(self) -> Mapping[str, Handler]:
        table: dict[str, Callable[[web.Request], list[Any]]] = {
            "/api/v5/public/time": self._time,
            "/api/v5/public/instruments": self._instruments,
            "/api/v5/public/funding-rate": self._funding_rate,
            "/api/v5/public/funding-rate-history": self._funding_rate_history,
            "/api/v5/public/mark-price": self._mark_price,
            "/api/v5/public/open-interest": self._open_interest,
            "/api/v5/public/position-tiers": self._position_tiers,
            "/api/v5/market/candles": self._candles,
            "/api/v5/market/history-candles": self._history_candles,
            "/api/v5/market/mark-price-candles": self._mark_price_candles,
            "/api/v5/market/ticker": self._ticker,
            "/api/v5/market/tickers": self._tickers,
            "/api/v5/rubik/stat/contracts/open-interest-history": self._open_interest_history,
        }
        return {path: self._answering(fn) for path, fn in table.items()}

    def _answering(self, fn: Callable[[web.Request], list[Any]]) -> Handler:
        """Wrap a handler returning ``data`` into OKX's envelope (errors included)."""

        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                data = fn(request)
            except _BadParam as exc:
                return web.json_response({"code": exc.code, "msg": exc.msg, "data": []})
            return web.json_response({"code": "0", "msg": "", "data": data})

        return handler

    def failure(self, status: int) -> web.Response:
        if status in (429, 418):
            body = {"code": "50011", "msg": "Too Many Requests", "data": []}
            return web.json_response(body, status=status)
        if status >= 500:  # the gateway in front of the engine answers in plain text
            return web.Response(status=status, text="Service Unavailable", content_type="text/html")
        return web.json_response(
            {"code": "50000", "msg": "Request failed", "data": []}, status=status
        )

    def unknown_path(self, request: web.Request) -> web.Response:
        return web.json_response({"code": "404", "msg": "Not Found", "data": []}, status=404)

    def _inst(self, request: web.Request, *, required: bool = True) -> SymbolMarket | None:
        inst_type = request.query.get("instType")
        if inst_type is not None and inst_type != "SWAP":
            return None
        inst = request.query.get("instId")
        if not inst:
            if required:
                raise _BadParam("51000", "Parameter instId error")
            return None
        market = self._asked(inst)
        if market is None:
            raise _BadParam("51001", "Instrument ID does not exist")
        return market

    def _asked(self, inst: str) -> SymbolMarket | None:
        """The market of an instrument a client asks for, by its exact id; a listed one
        not yet simulated is simulated from now, as every venue serves what it lists."""
        market = self._by_inst.get(inst)
        if market is None:
            symbol = _listed_symbol(inst)
            if symbol is not None:
                market = self.host.model.add_market(symbol)
                self._sync_markets()
        return market

    def _swaps(self, request: web.Request) -> list[SymbolMarket]:
        inst_type = request.query.get("instType", "SWAP")
        if inst_type != "SWAP":
            return []  # only swaps are simulated: no spot, futures or options listed
        market = self._inst(request, required=False)
        return [market] if market is not None else list(self._by_inst.values())

    def _contract(self, market: SymbolMarket) -> Contract:
        return self._state[market.spec.symbol].contract

    def _time(self, request: web.Request) -> list[Any]:
        return [{"ts": str(self.host.now_ms())}]

    def _instruments(self, request: web.Request) -> list[Any]:
        if request.query.get("instType", "SWAP") != "SWAP":
            return []
        market = self._inst(request, required=False)
        if market is not None:
            return [instrument(self._contract(market))]
        specs = self.host.model.listed_specs()
        return [instrument(Contract.of(s)) for s in specs if s.symbol not in NOT_LISTED]

    def _funding_rate(self, request: web.Request) -> list[Any]:
        now = self.host.now_ms()
        if request.query.get("instId") == "ANY":
            chosen = list(self._by_inst.values())
        else:
            market = self._inst(request)
            chosen = [market] if market is not None else []
        return [funding_item(self._contract(m), m, m.funding_rate, now) for m in chosen]

    def _funding_rate_history(self, request: web.Request) -> list[Any]:
        market = self._inst(request)
        if market is None:
            return []
        contract = self._contract(market)
        limit = _int_param(request, "limit", 100, 400)
        period = market.spec.funding_interval_h * 3_600_000
        last = market.next_funding_ts(self.host.now_ms()) - period
        return [
            {
                "instType": "SWAP",
                "instId": contract.inst_id,
                "formulaType": "withRate",
                "fundingRate": f"{market.funding_rate:.8f}",
                "realizedRate": f"{market.funding_rate:.8f}",
                "fundingTime": str(last - k * period),
                "method": "current_period",
            }
            for k in range(min(limit, 30))
        ]

    def _mark_price(self, request: web.Request) -> list[Any]:
        now = self.host.now_ms()
        return [mark_price_item(self._contract(m), m.mark, now) for m in self._swaps(request)]

    def _open_interest(self, request: web.Request) -> list[Any]:
        now = self.host.now_ms()
        return [open_interest_item(self._contract(m), m, now) for m in self._swaps(request)]

    def _position_tiers(self, request: web.Request) -> list[Any]:
        family = request.query.get("instFamily") or request.query.get("uly")
        if request.query.get("instType") != "SWAP" or not family:
            raise _BadParam("51000", "Parameter instFamily error")
        market = self._asked(f"{family}-SWAP")
        if market is None:
            raise _BadParam("51001", "Instrument ID does not exist")
        return position_tiers(self._contract(market))

    def _bars(self, request: web.Request, maximum: int) -> tuple[Contract, list[MinuteBar], int]:
        """Candles newest first; ``after`` / ``before`` are exclusive bounds on ``ts``."""
        market = self._inst(request)
        if market is None:
            raise _BadParam("51000", "Parameter instId error")
        interval_ms = _BAR_MS.get(request.query.get("bar", "1m"))
        if interval_ms is None:
            raise _BadParam("51000", "Parameter bar error")
        limit = _int_param(request, "limit", 100, maximum)
        after = _opt_int(request, "after")
        before = _opt_int(request, "before")
        now = self.host.now_ms()
        market.bars.touch(now, market.price)
        bars = market.bars.candles(
            interval_ms,
            start_ms=None,
            end_ms=None if after is None else after - 1,
            limit=100_000 if before is not None else limit,
        )
        if before is not None:
            bars = [b for b in bars if b.open_ms > before][-limit:]
        return self._contract(market), bars[::-1], interval_ms

    def _candle_rows(self, request: web.Request, maximum: int) -> list[Any]:
        contract, bars, interval_ms = self._bars(request, maximum)
        now = self.host.now_ms()
        return [candle_row(contract, b, b.open_ms + interval_ms <= now) for b in bars]

    def _candles(self, request: web.Request) -> list[Any]:
        return self._candle_rows(request, 300)

    def _history_candles(self, request: web.Request) -> list[Any]:
        return self._candle_rows(request, 100)

    def _mark_price_candles(self, request: web.Request) -> list[Any]:
        rows = self._candle_rows(request, 100)
        return [row[:5] + row[8:] for row in rows]

    def _ticker(self, request: web.Request) -> list[Any]:
        market = self._inst(request)
        if market is None:
            return []
        return [ticker_item(self._contract(market), market, self.host.now_ms())]

    def _tickers(self, request: web.Request) -> list[Any]:
        now = self.host.now_ms()
        return [ticker_item(self._contract(m), m, now) for m in self._swaps(request)]

    def _open_interest_history(self, request: web.Request) -> list[Any]:
        """``[ts, oi (contracts), oiCcy (base), oiUsd]``, newest first; bounds exclusive."""
        market = self._inst(request)
        if market is None:
            raise _BadParam("51000", "Parameter instId error")
        period_ms = _OI_PERIOD_MS.get(request.query.get("period", "5m"))
        if period_ms is None:
            raise _BadParam("51000", "Parameter period error")
        limit = _int_param(request, "limit", 100, 100)
        begin = _opt_int(request, "begin")
        end = _opt_int(request, "end")
        rows = [
            (ts, amount, value)
            for ts, amount, value in market.oi_history
            if ts % period_ms == 0 and (begin is None or ts > begin) and (end is None or ts < end)
        ]
        contract = self._contract(market)
        return [
            [str(ts), contract.contracts(amount), contract.base(amount), f"{value:.2f}"]
            for ts, amount, value in reversed(rows[-limit:])
        ]


def _opt_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise _BadParam("51000", f"Parameter {name} error") from None


def _int_param(request: web.Request, name: str, default: int, maximum: int) -> int:
    value = _opt_int(request, name)
    return default if value is None else max(1, min(value, maximum))
