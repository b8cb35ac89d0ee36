"""The simulated market in Bybit v5's wire format (linear USDT perpetuals).

Shapes follow Bybit's v5 documentation and real frames
(``shared/data/tardis-node/bybit_v5_*.jsonl``, ``shared/data/nautilus_trader/bybit_v5``);
numbers Bybit sends as strings are strings here too. Instruments are derived from
the simulator's ``SymbolSpec``: the symbol is the same id (``BTCUSDT``), one
contract is one base unit, tick and quantity step are the spec's.

REST (what ccxt 4.5.90 calls for ``load_markets`` and the feed's start-up, plus
the tickers and funding history ccxt reads for ``fetch_ticker`` /
``fetch_funding_rate_history``): ``/v5/market/time``, ``instruments-info``,
``tickers``, ``kline`` (and ``mark-price-kline`` / ``index-price-kline``),
``open-interest``, ``funding/history``, ``risk-limit``.

WebSocket ``/v5/public/linear``: ``{"op":"subscribe","req_id":…,"args":[topics]}``
acknowledged as Bybit does, ``{"op":"ping"}`` answered with ``ret_msg`` "pong", and
the topics

* ``publicTrade.{symbol}`` — the trades of one server tick in one frame;
* ``tickers.{symbol}`` — a snapshot on subscription, then a delta every
  simulated second (mark, index, last, funding, next funding, open interest);
* ``allLiquidation.{symbol}`` — **every** forced close, batched per 500 ms
  window, with ``S`` the *position* side (``Buy``: a long was liquidated) and
  ``p`` the bankruptcy price.
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
from scalptui.feed.sim.specs import SymbolSpec
from scalptui.feed.sim.venue import Handler, VenueHost, WsReply, dumps

VENUE_ID = "bybit"
WS_PATH = "/v5/public/linear"
LIQUIDATION_BATCH_MS = 500
MAX_LEVERAGE = 100  # Bybit's ceiling on its linear perpetuals
TRADE, TICKER, LIQUIDATION = "bybit.publicTrade", "bybit.tickers", "bybit.allLiquidation"
STREAM_KINDS = (TRADE, TICKER, LIQUIDATION)
_TOPICS = {"publicTrade": TRADE, "tickers": TICKER, "allLiquidation": LIQUIDATION}
_KLINE_MS = {
    "1": 60_000,
    "3": 180_000,
    "5": 300_000,
    "15": 900_000,
    "30": 1_800_000,
    "60": 3_600_000,
    "120": 7_200_000,
    "240": 14_400_000,
    "360": 21_600_000,
    "720": 43_200_000,
    "D": 86_400_000,
}
_OI_INTERVAL_MS = {
    "5min": 300_000,
    "15min": 900_000,
    "30min": 1_800_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}


def key(topic: str) -> str:
    """The server's subscription key of a Bybit topic."""
    return f"{VENUE_ID}:{topic}"


def _px(spec: SymbolSpec, value: float) -> str:
    return f"{value:.{spec.price_decimals}f}"


def _qty(spec: SymbolSpec, value: float) -> str:
    return f"{value:.{spec.qty_decimals}f}"


# --------------------------------------------------------------------------- frames


def trade_item(spec: SymbolSpec, trade: SimTrade, tick_direction: str) -> dict[str, Any]:
    """One item of ``publicTrade.{symbol}`` (``S`` is the taker's side)::

    {"T":1680688979983,"s":"LTCUSDT","S":"Buy","v":"0.4","p":"94.53",
     "L":"ZeroMinusTick","i":"4c7b6bdc-b4a3-5716-9c7b-bbe01dc7072f","BT":false}
    """
    return {
        "T": trade.ts,
        "s": spec.market_id,
        "S": "Buy" if trade.taker == "BUY" else "Sell",
        "v": _qty(spec, trade.qty),
        "p": _px(spec, trade.price),
        "L": tick_direction,
        "i": str(trade.trade_id),
        "BT": False,
    }


def liquidation_item(spec: SymbolSpec, liq: SimLiquidation) -> dict[str, Any]:
    """One item of ``allLiquidation.{symbol}``: ``S`` the liquidated *position*'s side::

    {"T":1739502302929,"s":"ROSEUSDT","S":"Sell","v":"20000","p":"0.04499"}

    The model's forced order SELLs a long, so ``S`` is ``Buy`` then.
    """
    return {
        "T": liq.ts,
        "s": spec.market_id,
        "S": "Buy" if liq.order_side == "SELL" else "Sell",
        "v": _qty(spec, liq.qty),
        "p": _px(spec, liq.price),
    }


def ticker_data(market: SymbolMarket, now_ms: int) -> dict[str, Any]:
    """The full ``tickers.{symbol}`` snapshot of a linear perpetual (24 h from the bars)."""
    spec = market.spec
    bars = market.bars.candles(3_600_000, start_ms=now_ms - 86_400_000, end_ms=None, limit=25)
    last = market.round_price(market.price)
    first = bars[0].open if bars else last
    hour_ago = bars[-2].close if len(bars) > 1 else first
    data = {
        "symbol": spec.market_id,
        "tickDirection": "ZeroPlusTick",
        "price24hPcnt": f"{last / first - 1:.6f}",
        "lastPrice": _px(spec, last),
        "prevPrice24h": _px(spec, first),
        "highPrice24h": _px(spec, max((b.high for b in bars), default=last)),
        "lowPrice24h": _px(spec, min((b.low for b in bars), default=last)),
        "prevPrice1h": _px(spec, hour_ago),
        "turnover24h": f"{sum(b.quote_volume for b in bars):.4f}",
        "volume24h": _qty(spec, sum(b.volume for b in bars)),
        "fundingIntervalHour": str(spec.funding_interval_h),
        "fundingCap": "0.005",
    }
    data.update(_moving_fields(market, market.mark, market.index, market.funding_rate, now_ms))
    return data


def _moving_fields(
    market: SymbolMarket, mark: float, index: float, funding_rate: float, now_ms: int
) -> dict[str, str]:
    """What a ticker delta carries: prices, funding and open interest."""
    spec = market.spec
    last = market.round_price(market.price)
    oi = market.open_interest
    return {
        "lastPrice": _px(spec, last),
        "markPrice": _px(spec, mark),
        "indexPrice": _px(spec, index),
        "openInterest": _qty(spec, oi),
        "openInterestValue": f"{oi * mark:.2f}",
        "fundingRate": f"{funding_rate:.8f}",
        "nextFundingTime": str(market.next_funding_ts(now_ms)),
        "bid1Price": _px(spec, last - spec.tick if last > spec.tick else last),
        "bid1Size": _qty(spec, spec.qty_step * 100),
        "ask1Price": _px(spec, last),
        "ask1Size": _qty(spec, spec.qty_step * 100),
    }


def instrument(spec: SymbolSpec) -> dict[str, Any]:
    """One ``instruments-info`` entry (category linear)."""
    tick = _px(spec, spec.tick)
    step = _qty(spec, spec.qty_step)
    return {
        "symbol": spec.market_id,
        "contractType": "LinearPerpetual",
        "status": "Trading",
        "baseCoin": spec.base,
        "quoteCoin": spec.quote,
        "launchTime": "1585526400000",
        "deliveryTime": "0",
        "deliveryFeeRate": "",
        "priceScale": str(spec.price_decimals),
        "leverageFilter": {
            "minLeverage": "1",
            "maxLeverage": f"{min(spec.max_leverage, MAX_LEVERAGE)}.00",
            "leverageStep": "0.01",
        },
        "priceFilter": {
            "minPrice": tick,
            "maxPrice": _px(spec, spec.price * 100),
            "tickSize": tick,
        },
        "lotSizeFilter": {
            "maxOrderQty": "1000000",
            "minOrderQty": step,
            "qtyStep": step,
            "postOnlyMaxOrderQty": "1000000",
            "maxMktOrderQty": "100000",
            "minNotionalValue": "5",
        },
        "unifiedMarginTrade": True,
        "fundingInterval": spec.funding_interval_h * 60,
        "settleCoin": spec.quote,
        "copyTrading": "both",
        "upperFundingRate": "0.005",
        "lowerFundingRate": "-0.005",
    }


def risk_tiers(spec: SymbolSpec) -> list[dict[str, Any]]:
    """``risk-limit``: the simulated market's MMR as the first tier, doubling after."""
    top = min(spec.max_leverage, MAX_LEVERAGE)
    tiers = []
    for tier in range(1, 4):
        mmr = spec.mmr * 2 ** (tier - 1)
        leverage = max(1.0, top / 2 ** (tier - 1))
        tiers.append(
            {
                "id": tier,
                "symbol": spec.market_id,
                "riskLimitValue": f"{2_000_000 * 5 ** (tier - 1)}",
                "maintenanceMargin": f"{mmr:.4f}",
                "initialMargin": f"{1 / leverage:.4f}",
                "isLowestRisk": 1 if tier == 1 else 0,
                "maxLeverage": f"{leverage:.2f}",
                "mmDeduction": "",
            }
        )
    return tiers


def kline_row(spec: SymbolSpec, bar: MinuteBar) -> list[str]:
    """``[startTime, open, high, low, close, volume, turnover]``, all strings."""
    return [
        str(bar.open_ms),
        _px(spec, bar.open),
        _px(spec, bar.high),
        _px(spec, bar.low),
        _px(spec, bar.close),
        _qty(spec, bar.volume),
        f"{bar.quote_volume:.4f}",
    ]


def _tick_direction(previous: float | None, price: float, last_rise: bool) -> tuple[str, bool]:
    if previous is None or price == previous:
        return ("ZeroPlusTick" if last_rise else "ZeroMinusTick"), last_rise
    rise = price > previous
    return ("PlusTick" if rise else "MinusTick"), rise


# --------------------------------------------------------------------------- venue


class _BadParam(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


@dataclass(slots=True)
class _SymbolState:
    """Per-symbol send state: the tick's trades, the open 500 ms liquidation windows."""

    trades: list[dict[str, Any]] = field(default_factory=list)
    liquidations: list[SimLiquidation] = field(default_factory=list)
    last_price: float | None = None
    last_rise: bool = True
    sequence: int = 0


class BybitVenue:
    """Bybit v5 public market data over the simulated market (module docstring)."""

    id: str = VENUE_ID
    stream_kinds: tuple[str, ...] = STREAM_KINDS

    def __init__(self, host: VenueHost) -> None:
        self.host = host
        self._state: dict[str, _SymbolState] = {}
        self._keys: dict[str, tuple[str, str, str]] = {}
        self._sync_markets()
        self._generated = 0
        self._pushed = 0
        self._sent = 0

    @property
    def stats(self) -> dict[str, int]:
        """``bybit_liquidations_generated`` (forced closes seen), ``…_pushed`` (items
        put into ``allLiquidation`` frames: all of them) and ``…_sent`` (items queued
        to sockets, one per subscriber)."""
        return {
            "bybit_liquidations_generated": self._generated,
            "bybit_liquidations_pushed": self._pushed,
            "bybit_liquidations_sent": self._sent,
        }

    def owns_ws_path(self, path: str) -> bool:
        return path.rstrip("/").endswith(WS_PATH)

    def owns_rest_path(self, path: str) -> bool:
        return "/v5/" in path and "/api/v5/" not in path

    # -- market events ---------------------------------------------------------------

    def _sync_markets(self) -> None:
        """State for every simulated market, those added since start included (another
        venue's client asked for a catalogue symbol, and the model simulates it from now)."""
        markets = self.host.model.markets
        if len(self._state) == len(markets):
            return  # markets are only ever added: the same count, the same markets
        for symbol, market in markets.items():
            if symbol not in self._state:
                market_id = market.spec.market_id
                self._state[symbol] = _SymbolState()
                self._keys[symbol] = (
                    key(f"publicTrade.{market_id}"),
                    key(f"tickers.{market_id}"),
                    key(f"allLiquidation.{market_id}"),
                )

    def on_events(self, events: Sequence[SimEvent]) -> None:
        self._sync_markets()
        is_subscribed, states, keys = self.host.is_subscribed, self._state, self._keys
        for event in events:
            state = states[event.symbol]
            if type(event) is SimTrade:
                if is_subscribed(keys[event.symbol][0]):
                    self._add_trade(event, state)
                state.last_price = event.price
            elif type(event) is SimLiquidation:
                self._generated += 1
                state.liquidations.append(event)  # every one: the stream is complete
            elif type(event) is SimMark:
                self._send_trades(event.symbol, state)  # keep the socket in event-time order
                self._send_ticker_delta(event, state)

    def _add_trade(self, trade: SimTrade, state: _SymbolState) -> None:
        direction, state.last_rise = _tick_direction(state.last_price, trade.price, state.last_rise)
        spec = self.host.model.markets[trade.symbol].spec
        state.trades.append(trade_item(spec, trade, direction))

    def flush(self, now_ms: int) -> None:
        for symbol, state in self._state.items():
            self._send_trades(symbol, state)
            if state.liquidations:
                self._send_liquidation_batches(symbol, state, now_ms)

    def _send_trades(self, symbol: str, state: _SymbolState) -> None:
        if not state.trades:
            return
        items, state.trades = state.trades, []
        topic_key = self._keys[symbol][0]
        frame = {
            "topic": topic_key.partition(":")[2],
            "type": "snapshot",
            "ts": items[-1]["T"] + 1,
            "data": items,
        }
        self.host.publish(TRADE, topic_key, frame)

    def _send_ticker_delta(self, mark: SimMark, state: _SymbolState) -> None:
        topic_key = self._keys[mark.symbol][1]
        if not self.host.is_subscribed(topic_key):
            return
        market = self.host.model.markets[mark.symbol]
        state.sequence += 1
        data = {"symbol": market.spec.market_id}
        data.update(_moving_fields(market, mark.mark, mark.index, mark.funding_rate, mark.ts))
        frame = {
            "topic": topic_key.partition(":")[2],
            "type": "delta",
            "data": data,
            "cs": state.sequence,
            "ts": mark.ts,
        }
        self.host.publish(TICKER, topic_key, frame)

    def _send_liquidation_batches(self, symbol: str, state: _SymbolState, now_ms: int) -> None:
        """Every forced close of each 500 ms window that has ended, one frame per window."""
        due_before = now_ms - now_ms % LIQUIDATION_BATCH_MS
        due = [liq for liq in state.liquidations if liq.ts < due_before]
        if not due:
            return
        state.liquidations = [liq for liq in state.liquidations if liq.ts >= due_before]
        self._pushed += len(due)
        topic_key = self._keys[symbol][2]
        if not self.host.is_subscribed(topic_key):
            return
        spec = self.host.model.markets[symbol].spec
        windows: dict[int, list[dict[str, Any]]] = {}
        for liq in due:
            window_end = liq.ts - liq.ts % LIQUIDATION_BATCH_MS + LIQUIDATION_BATCH_MS
            windows.setdefault(window_end, []).append(liquidation_item(spec, liq))
        for window_end, items in sorted(windows.items()):
            frame = {
                "topic": topic_key.partition(":")[2],
                "type": "snapshot",
                "ts": window_end,
                "data": items,
            }
            self._sent += len(items) * self.host.publish(LIQUIDATION, topic_key, frame)

    # -- WebSocket requests ----------------------------------------------------------

    def on_ws_text(self, text: str, conn_id: str) -> WsReply:
        """``subscribe`` / ``unsubscribe`` / ``ping``, answered in Bybit's shapes::

        {"success":true,"ret_msg":"","conn_id":"cejreaspqfm9se7usbrg-2xh",
         "req_id":"sub-orderbook-1","op":"subscribe"}
        """
        try:
            request = json.loads(text)
            op = request["op"]
            req_id = request.get("req_id")
            args = request.get("args") or []
        except (ValueError, KeyError, TypeError, AttributeError):
            return WsReply(
                frames=[
                    dumps(
                        {
                            "success": False,
                            "ret_msg": "error:invalid op",
                            "conn_id": conn_id,
                            "request": {"op": "", "args": None},
                        }
                    )
                ]
            )
        answer: dict[str, Any] = {"success": True, "ret_msg": "", "conn_id": conn_id}
        if req_id is not None:
            answer["req_id"] = req_id
        answer["op"] = op
        reply = WsReply()
        if op == "ping":
            answer["ret_msg"] = "pong"
        elif op in ("subscribe", "unsubscribe") and isinstance(args, list):
            known, unknown = self._topics(args, simulate=op == "subscribe")
            if unknown:
                answer["success"] = False
                answer["ret_msg"] = f"error:handler not found,topic:{','.join(unknown)}"
            if op == "subscribe":
                reply.subscribe = [key(t) for t in known]
            else:
                reply.unsubscribe = [key(t) for t in known]
        else:
            answer["success"] = False
            answer["ret_msg"] = "error:invalid op"
        reply.frames.append(dumps(answer))
        if op == "subscribe":
            reply.frames.extend(self._snapshots(reply.subscribe))
        return reply

    def _topics(self, args: list[Any], *, simulate: bool) -> tuple[list[str], list[str]]:
        """The topics Bybit lists, by exact id, and the others; a subscription to a listed
        market not yet simulated simulates it from now (an unsubscribe only names it)."""
        known: list[str] = []
        unknown: list[str] = []
        model = self.host.model
        ids = {spec.market_id for spec in model.listed_specs() if spec.symbol not in model.delisted}
        for topic in args:
            name, _, market_id = str(topic).partition(".")
            listed = name in _TOPICS and market_id in ids
            if listed and simulate:
                self.host.model.market_asked(market_id)
            (known if listed else unknown).append(str(topic))
        self._sync_markets()  # markets a subscription asked for are simulated from now
        return known, unknown

    def _snapshots(self, keys: list[str]) -> list[str]:
        """A ``tickers`` subscription starts with a full snapshot, as on Bybit."""
        self._sync_markets()  # a market added since the last tick
        frames = []
        for topic_key in keys:
            topic = topic_key.partition(":")[2]
            name, _, market_id = topic.partition(".")
            if name != "tickers":
                continue
            market = self.host.model.market(market_id)
            now = market.now_ms  # the model's clock: never ahead of the frames that follow
            frame = {
                "topic": topic,
                "type": "snapshot",
                "data": ticker_data(market, now),
                "cs": self._state[market.spec.symbol].sequence,
                "ts": now,
            }
            frames.append(dumps(frame))
        return frames

    # -- REST ------------------------------------------------------------------------

    def routes(self) -> Mapping[str, Handler]:
        table: dict[str, Callable[[web.Request], Any]] = {
            "/v5/market/time": self._time,
            "/v5/market/instruments-info": self._instruments,
            "/v5/market/tickers": self._tickers,
            "/v5/market/kline": self._kline,
            "/v5/market/mark-price-kline": self._price_kline,
            "/v5/market/index-price-kline": self._price_kline,
            "/v5/market/open-interest": self._open_interest,
            "/v5/market/funding/history": self._funding_history,
            "/v5/market/risk-limit": self._risk_limit,
        }
        return {path: self._answering(fn) for path, fn in table.items()}

    def _answering(self, fn: Callable[[web.Request], Any]) -> Handler:
        """Wrap a handler returning ``result`` into Bybit's envelope (errors included)."""

        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                result = fn(request)
            except _BadParam as exc:
                return self._envelope({}, exc.code, exc.msg)
            if isinstance(result, web.StreamResponse):
                return result
            return self._envelope(result)

        return handler

    def _envelope(self, result: Any, code: int = 0, msg: str = "OK") -> web.Response:
        now = self.host.now_ms()
        body = {"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {}, "time": now}
        return web.json_response(body)

    def failure(self, status: int) -> web.Response:
        if status in (429, 403, 418):
            body = {"retCode": 10006, "retMsg": "Too many visits!", "result": {}, "retExtInfo": {}}
            return web.json_response(body, status=status)
        if status >= 500:  # the gateway in front of the engine answers in plain text
            return web.Response(status=status, text="Service Unavailable", content_type="text/html")
        body = {"retCode": 10001, "retMsg": "request failed", "result": {}, "retExtInfo": {}}
        return web.json_response(body, status=status)

    def unknown_path(self, request: web.Request) -> web.Response:
        body = {"retCode": 10001, "retMsg": f"path not found: {request.path}", "result": {}}
        return web.json_response(body, status=404)

    def _market(self, request: web.Request, *, required: bool = True) -> SymbolMarket | None:
        category = request.query.get("category")
        if category is not None and category != "linear":
            raise _BadParam(10001, "params error: category only support linear")
        symbol = request.query.get("symbol")
        if not symbol:
            if required:
                raise _BadParam(10001, "params error: symbol is required")
            return None
        market = self.host.model.market_asked(symbol)  # a listed one is simulated from now
        if market is None:
            raise _BadParam(10001, "params error: symbol invalid")
        self._sync_markets()
        return market

    def _markets(self, request: web.Request) -> list[SymbolMarket]:
        market = self._market(request, required=False)
        return [market] if market is not None else list(self.host.model.markets.values())

    def _time(self, request: web.Request) -> dict[str, str]:
        now = self.host.now_ms()
        return {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)}

    def _instruments(self, request: web.Request) -> dict[str, Any]:
        category = request.query.get("category", "linear")
        chosen: list[SymbolSpec] = []
        if category == "linear" and request.query.get("status") != "PreLaunch":
            market = self._market(request, required=False)
            chosen = [market.spec] if market is not None else self.host.model.listed_specs()
        return {
            "category": category,
            "list": [instrument(spec) for spec in chosen],
            "nextPageCursor": "",
        }

    def _tickers(self, request: web.Request) -> dict[str, Any]:
        now = self.host.now_ms()
        return {
            "category": "linear",
            "list": [ticker_data(m, now) for m in self._markets(request)],
        }

    def _bars(self, request: web.Request) -> tuple[SymbolMarket, list[MinuteBar]]:
        market = self._market(request)
        assert market is not None
        interval_ms = _KLINE_MS.get(request.query.get("interval", ""))
        if interval_ms is None:
            raise _BadParam(10001, "params error: interval invalid")
        limit = _int_param(request, "limit", 200, 1000)
        now = self.host.now_ms()
        market.bars.touch(now, market.price)
        bars = market.bars.candles(
            interval_ms,
            start_ms=_opt_int(request, "start"),
            end_ms=_opt_int(request, "end"),
            limit=limit,
        )
        return market, bars[::-1]  # Bybit lists the newest first

    def _kline(self, request: web.Request) -> dict[str, Any]:
        market, bars = self._bars(request)
        return {
            "symbol": market.spec.market_id,
            "category": "linear",
            "list": [kline_row(market.spec, bar) for bar in bars],
        }

    def _price_kline(self, request: web.Request) -> dict[str, Any]:
        market, bars = self._bars(request)
        return {
            "symbol": market.spec.market_id,
            "category": "linear",
            "list": [kline_row(market.spec, bar)[:5] for bar in bars],
        }

    def _open_interest(self, request: web.Request) -> dict[str, Any]:
        """``open-interest``: 5-minute samples (and coarser), newest first, base units."""
        market = self._market(request)
        assert market is not None
        period_ms = _OI_INTERVAL_MS.get(request.query.get("intervalTime", ""))
        if period_ms is None:
            raise _BadParam(10001, "params error: intervalTime invalid")
        limit = _int_param(request, "limit", 50, 200)
        start = _opt_int(request, "startTime")
        end = _opt_int(request, "endTime")
        rows = [
            (ts, amount)
            for ts, amount, _value in market.oi_history
            if ts % period_ms == 0 and (start is None or ts >= start) and (end is None or ts <= end)
        ]
        rows = rows[-limit:]
        spec = market.spec
        return {
            "symbol": spec.market_id,
            "category": "linear",
            "list": [
                {"openInterest": _qty(spec, amount), "timestamp": str(ts)}
                for ts, amount in reversed(rows)
            ],
            "nextPageCursor": "",
        }

    def _funding_history(self, request: web.Request) -> dict[str, Any]:
        market = self._market(request)
        assert market is not None
        limit = _int_param(request, "limit", 200, 200)
        period = market.spec.funding_interval_h * 3_600_000
        last = market.next_funding_ts(self.host.now_ms()) - period
        return {
            "category": "linear",
            "list": [
                {
                    "symbol": market.spec.market_id,
                    "fundingRate": f"{market.funding_rate:.8f}",
                    "fundingRateTimestamp": str(last - k * period),
                }
                for k in range(min(limit, 30))
            ],
        }

    def _risk_limit(self, request: web.Request) -> dict[str, Any]:
        markets = self._markets(request)
        return {
            "category": "linear",
            "list": [tier for m in markets for tier in risk_tiers(m.spec)],
        }


def _opt_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise _BadParam(10001, f"params error: {name} invalid") from None


def _int_param(request: web.Request, name: str, default: int, maximum: int) -> int:
    value = _opt_int(request, name)
    return default if value is None else max(1, min(value, maximum))
