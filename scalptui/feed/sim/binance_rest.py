"""Binance USDⓈ-M's REST API over the simulated market (``/fapi/v1/…``, ``/futures/data/…``).

Separate from the server (``server.py``), which keeps the exchange clock, the sockets
and the fault hooks: this module only answers Binance's REST requests from the market
model, in Binance's shapes and with Binance's error codes — as ``bybit.py`` and
``okx.py`` do for their venues. Also the simulator-only ``/sim/v1/liquidationMap``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from aiohttp import web

from scalptui.feed.sim import protocol
from scalptui.feed.sim.market import MarketModel, SymbolMarket
from scalptui.feed.sim.specs import SymbolSpec
from scalptui.feed.sim.venue import Handler


class BinanceRest:
    """The Binance REST handlers, reading ``model`` at the exchange time ``now_ms()``."""

    def __init__(self, model: MarketModel, now_ms: Callable[[], int]) -> None:
        self.model = model
        self.now_ms = now_ms

    def routes(self) -> dict[str, Handler]:
        """Path → handler; a handler may raise ``BadRequest`` (answered by ``error``)."""
        return {
            "/sim/v1/liquidationMap": self._liquidation_map,
            "/fapi/v1/ping": self._ping,
            "/fapi/v1/time": self._time,
            "/fapi/v1/exchangeInfo": self._exchange_info,
            "/fapi/v1/premiumIndex": self._premium_index,
            "/fapi/v1/fundingInfo": self._funding_info,
            "/fapi/v1/fundingRate": self._funding_rate_history,
            "/fapi/v1/openInterest": self._open_interest,
            "/futures/data/openInterestHist": self._open_interest_hist,
            "/fapi/v1/klines": self._klines,
            "/fapi/v1/markPriceKlines": self._klines,
            "/fapi/v1/indexPriceKlines": self._klines,
            "/fapi/v1/continuousKlines": self._klines,
            "/fapi/v1/ticker/24hr": self._ticker_24hr,
            "/fapi/v1/ticker/price": self._ticker_price,
        }

    def _market_param(self, request: web.Request, *, required: bool = True) -> SymbolMarket | None:
        symbol = request.query.get("symbol")
        if not symbol:
            if required:
                raise BadRequest(
                    -1102,
                    "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
                )
            return None
        market = self.model.market_asked(symbol)  # a listed one is simulated from now
        if market is None:
            raise BadRequest(-1121, "Invalid symbol.")
        return market

    async def _ping(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({})

    async def _time(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"serverTime": self.now_ms()})

    async def _exchange_info(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(protocol.exchange_info(self._listed_specs(), self.now_ms()))

    def _listed_specs(self) -> list[SymbolSpec]:
        return self.model.listed_specs()

    async def _premium_index(self, request: web.Request) -> web.StreamResponse:
        market = self._market_param(request, required=False)
        now = self.now_ms()
        if market is not None:
            return web.json_response(protocol.premium_index(market, now))
        return web.json_response(
            [protocol.premium_index(m, now) for m in self.model.markets.values()]
        )

    async def _funding_info(self, request: web.Request) -> web.StreamResponse:
        return web.json_response([protocol.funding_info(spec) for spec in self._listed_specs()])

    async def _funding_rate_history(self, request: web.Request) -> web.StreamResponse:
        market = self._market_param(request)
        assert market is not None
        limit = _int_param(request, "limit", 100, 1000)
        period = market.spec.funding_interval_h * 3_600_000
        last = market.next_funding_ts(self.now_ms()) - period
        rows = [
            {
                "symbol": market.spec.market_id,
                "fundingTime": last - k * period,
                "fundingRate": f"{market.funding_rate:.8f}",
                "markPrice": f"{market.mark:.8f}",
            }
            for k in range(min(limit, 30))
        ]
        return web.json_response(rows[::-1])

    async def _open_interest(self, request: web.Request) -> web.StreamResponse:
        market = self._market_param(request)
        assert market is not None
        return web.json_response(protocol.open_interest(market, self.now_ms()))

    async def _open_interest_hist(self, request: web.Request) -> web.StreamResponse:
        market = self._market_param(request)
        assert market is not None
        period = request.query.get("period", "")
        period_ms = protocol.OI_PERIODS_MS.get(period)
        if period_ms is None:
            raise BadRequest(-1130, "Invalid period.")
        limit = _int_param(request, "limit", 30, 500)
        start = _opt_int(request, "startTime")
        end = _opt_int(request, "endTime")
        rows = [
            (ts, amount, value)
            for ts, amount, value in market.oi_history
            if ts % period_ms == 0 and (start is None or ts >= start) and (end is None or ts <= end)
        ]
        rows = rows[:limit] if start is not None and end is None else rows[-limit:]
        return web.json_response([protocol.open_interest_hist_row(market, *row) for row in rows])

    async def _liquidation_map(self, request: web.Request) -> web.StreamResponse:
        market = self._market_param(request)
        assert market is not None
        try:
            truth = market.liquidation_map(_map_edges(request))
        except ValueError as exc:  # a range too narrow for its bins at float precision
            raise BadRequest(-1100, str(exc)) from None
        return web.json_response(truth.to_record())

    async def _klines(self, request: web.Request) -> web.StreamResponse:
        market = self._market_param(request)
        assert market is not None
        interval = request.query.get("interval", "")
        interval_ms = protocol.INTERVALS_MS.get(interval)
        if interval_ms is None:
            raise BadRequest(-1120, "Invalid interval.")
        limit = _int_param(request, "limit", 500, 1500)
        # the model may not have stepped into the current minute yet; Binance shows it
        market.bars.touch(self.now_ms(), market.price)
        bars = market.bars.candles(
            interval_ms,
            start_ms=_opt_int(request, "startTime"),
            end_ms=_opt_int(request, "endTime"),
            limit=limit,
        )
        return web.json_response([protocol.kline_row(market.spec, b, interval_ms) for b in bars])

    async def _ticker_24hr(self, request: web.Request) -> web.StreamResponse:
        market = self._market_param(request, required=False)
        now = self.now_ms()
        chosen = [market] if market is not None else list(self.model.markets.values())
        rows = [
            protocol.ticker_24hr(
                m, m.bars.candles(3_600_000, start_ms=now - 86_400_000, end_ms=None, limit=25), now
            )
            for m in chosen
        ]
        return web.json_response(rows[0] if market is not None else rows)

    async def _ticker_price(self, request: web.Request) -> web.StreamResponse:
        market = self._market_param(request, required=False)
        now = self.now_ms()
        chosen = [market] if market is not None else list(self.model.markets.values())
        rows = [
            {"symbol": m.spec.market_id, "price": f"{m.round_price(m.price)}", "time": now}
            for m in chosen
        ]
        return web.json_response(rows[0] if market is not None else rows)


class BadRequest(Exception):
    """A request Binance would refuse with HTTP 400 and ``code``."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


def error(status: int, code: int, msg: str) -> web.Response:
    """Binance's error body ``{"code", "msg"}`` with HTTP ``status``."""
    return web.json_response(protocol.error_body(code, msg), status=status)


def failure(status: int) -> web.Response:
    """What Binance (or the gateway in front of it) answers with ``status``."""
    if status == 429:
        return error(429, -1003, "Too many requests; current limit is 2400 requests per minute.")
    if status == 418:
        return error(418, -1003, "Way too many requests; IP banned.")
    if status in (502, 503, 504):  # a gateway in front of the engine answers in plain text
        return web.Response(status=status, text="Service Unavailable", content_type="text/html")
    if status >= 500:
        return error(status, -1001, "Internal error; unable to process your request.")
    return error(status, -1000, "An unknown error occurred while processing the request.")


def _opt_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(-1100, f"Illegal characters found in parameter '{name}'.") from None


def _int_param(request: web.Request, name: str, default: int, maximum: int) -> int:
    value = _opt_int(request, name)
    return default if value is None else max(1, min(value, maximum))


_MAX_MAP_BINS = 20_000


def _map_edges(request: web.Request) -> list[float] | None:
    """``low``, ``high``, ``bins`` of ``/sim/v1/liquidationMap``; None for the default grid."""
    raw = {name: request.query.get(name, "") for name in ("low", "high", "bins")}
    if not any(raw.values()):
        return None
    try:
        low, high = float(raw["low"]), float(raw["high"])
        bins = int(raw["bins"]) if raw["bins"] else 600
    except ValueError:
        raise BadRequest(
            -1100, "Parameters 'low' and 'high' must be numbers, 'bins' an integer."
        ) from None
    if not (0 <= low < high < math.inf) or not 1 <= bins <= _MAX_MAP_BINS:
        raise BadRequest(-1100, f"Need 0 <= low < high and 1 <= bins <= {_MAX_MAP_BINS}.")
    return [low + (high - low) * k / bins for k in range(bins + 1)]
