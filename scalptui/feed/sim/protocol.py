"""Binance USDⓈ-M wire shapes: WebSocket frames and REST payloads of the simulator.

Shapes follow real frames (``shared/data/tardis-node/binance-futures_messages.jsonl``)
and Binance's documentation examples; numbers that Binance sends as strings are
strings here too, formatted to the symbol's tick and step.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from scalptui.feed.sim.events import SimLiquidation, SimMark, SimTrade
from scalptui.feed.sim.history import MinuteBar
from scalptui.feed.sim.market import SymbolMarket
from scalptui.feed.sim.specs import SymbolSpec

_EXCHANGE_FILTERS: list[Any] = []


def dumps(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"))


def _px(spec: SymbolSpec, value: float) -> str:
    return f"{value:.{spec.price_decimals}f}"


def _qty(spec: SymbolSpec, value: float) -> str:
    return f"{value:.{spec.qty_decimals}f}"


# --------------------------------------------------------------------------- WebSocket


def trade_frame(spec: SymbolSpec, trade: SimTrade) -> dict[str, Any]:
    """``<sym>@trade``::

    {"e":"trade","E":1596240000596,"T":1596240000519,"s":"BTCUSDT","t":173525189,
     "p":"11343.67","q":"0.467","X":"MARKET","m":true}
    """
    return {
        "e": "trade",
        "E": trade.ts + 1,
        "T": trade.ts,
        "s": spec.market_id,
        "t": trade.trade_id,
        "p": _px(spec, trade.price),
        "q": _qty(spec, trade.qty),
        "X": "MARKET",
        "m": trade.taker == "SELL",
    }


def agg_trade_frame(spec: SymbolSpec, trade: SimTrade) -> dict[str, Any]:
    """``<sym>@aggTrade`` (one trade per aggregate)::

    {"e":"aggTrade","E":1568693103463,"s":"BTCUSDT","a":181349,"p":"10223.74","q":"0.236",
     "f":181349,"l":181349,"T":1568693103463,"m":false}
    """
    return {
        "e": "aggTrade",
        "E": trade.ts + 1,
        "a": trade.trade_id,
        "s": spec.market_id,
        "p": _px(spec, trade.price),
        "q": _qty(spec, trade.qty),
        "f": trade.trade_id,
        "l": trade.trade_id,
        "T": trade.ts,
        "m": trade.taker == "SELL",
    }


def force_order_frame(spec: SymbolSpec, liq: SimLiquidation, event_ms: int) -> dict[str, Any]:
    """``<sym>@forceOrder`` / ``!forceOrder@arr`` (``S`` SELL = a long was liquidated)::

    {"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC",
     "q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":1568014460893}}
    """
    qty = _qty(spec, liq.qty)
    return {
        "e": "forceOrder",
        "E": event_ms,
        "o": {
            "s": spec.market_id,
            "S": liq.order_side,
            "o": "LIMIT",
            "f": "IOC",
            "q": qty,
            "p": _px(spec, liq.price),
            "ap": _px(spec, liq.avg_price),
            "X": "FILLED",
            "l": qty,
            "z": qty,
            "T": liq.ts,
        },
    }


def mark_price_frame(spec: SymbolSpec, mark: SimMark) -> dict[str, Any]:
    """``<sym>@markPrice@1s``::

    {"e":"markPriceUpdate","E":1597536008000,"s":"BTCUSDT","p":"11857.56000000",
     "i":"11851.86949091","P":"11857.1","r":"0.00015640","T":1597564800000}
    """
    return {
        "e": "markPriceUpdate",
        "E": mark.ts,
        "s": spec.market_id,
        "p": f"{mark.mark:.8f}",
        "P": f"{mark.index:.8f}",
        "i": f"{mark.index:.8f}",
        "r": f"{mark.funding_rate:.8f}",
        "T": mark.next_funding_ts,
    }


# --------------------------------------------------------------------------- REST


def error_body(code: int, msg: str) -> dict[str, Any]:
    return {"code": code, "msg": msg}


def exchange_info(specs: Sequence[SymbolSpec], now_ms: int) -> dict[str, Any]:
    """``GET /fapi/v1/exchangeInfo``, shaped like the real 2021-07 capture."""
    assets = sorted({s.quote for s in specs} | {s.base for s in specs})
    return {
        "timezone": "UTC",
        "serverTime": now_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": 2400,
            },
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
        ],
        "exchangeFilters": _EXCHANGE_FILTERS,
        "assets": [
            {"asset": asset, "marginAvailable": True, "autoAssetExchange": "0"} for asset in assets
        ],
        "symbols": [_symbol_info(spec) for spec in specs],
    }


def _symbol_info(spec: SymbolSpec) -> dict[str, Any]:
    tick = _px(spec, spec.tick)
    step = _qty(spec, spec.qty_step)
    return {
        "symbol": spec.market_id,
        "pair": spec.market_id,
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": 1569398400000,
        "status": "TRADING",
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": spec.base,
        "quoteAsset": spec.quote,
        "marginAsset": spec.quote,
        "pricePrecision": spec.price_decimals,
        "quantityPrecision": spec.qty_decimals,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "settlePlan": 0,
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {
                "minPrice": tick,
                "maxPrice": _px(spec, spec.price * 100),
                "filterType": "PRICE_FILTER",
                "tickSize": tick,
            },
            {"stepSize": step, "filterType": "LOT_SIZE", "maxQty": "1000000", "minQty": step},
            {
                "stepSize": step,
                "filterType": "MARKET_LOT_SIZE",
                "maxQty": "1000000",
                "minQty": step,
            },
            {"limit": 200, "filterType": "MAX_NUM_ORDERS"},
            {"limit": 10, "filterType": "MAX_NUM_ALGO_ORDERS"},
            {"notional": "5", "filterType": "MIN_NOTIONAL"},
            {
                "multiplierDown": "0.9500",
                "multiplierUp": "1.0500",
                "multiplierDecimal": "4",
                "filterType": "PERCENT_PRICE",
            },
        ],
        "orderTypes": [
            "LIMIT",
            "MARKET",
            "STOP",
            "STOP_MARKET",
            "TAKE_PROFIT",
            "TAKE_PROFIT_MARKET",
            "TRAILING_STOP_MARKET",
        ],
        "timeInForce": ["GTC", "IOC", "FOK", "GTX"],
    }


def premium_index(market: SymbolMarket, now_ms: int) -> dict[str, Any]:
    """``GET /fapi/v1/premiumIndex`` for one symbol."""
    return {
        "symbol": market.spec.market_id,
        "markPrice": f"{market.mark:.8f}",
        "indexPrice": f"{market.index:.8f}",
        "estimatedSettlePrice": f"{market.index:.8f}",
        "lastFundingRate": f"{market.funding_rate:.8f}",
        "interestRate": "0.00010000",
        "nextFundingTime": market.next_funding_ts(now_ms),
        "time": now_ms,
    }


def funding_info(spec: SymbolSpec) -> dict[str, Any]:
    """One entry of ``GET /fapi/v1/fundingInfo`` (Binance lists symbols with adjusted settings)."""
    return {
        "symbol": spec.market_id,
        "adjustedFundingRateCap": "0.03000000",
        "adjustedFundingRateFloor": "-0.03000000",
        "fundingIntervalHours": spec.funding_interval_h,
        "disclaimer": False,
    }


def open_interest(market: SymbolMarket, now_ms: int) -> dict[str, Any]:
    return {
        "symbol": market.spec.market_id,
        "openInterest": _qty(market.spec, market.open_interest),
        "time": now_ms,
    }


def open_interest_hist_row(
    market: SymbolMarket, ts: int, amount: float, value: float
) -> dict[str, Any]:
    return {
        "symbol": market.spec.market_id,
        "sumOpenInterest": f"{amount:.8f}",
        "sumOpenInterestValue": f"{value:.8f}",
        "CMCCirculatingSupply": "0",
        "timestamp": ts,
    }


def kline_row(spec: SymbolSpec, bar: MinuteBar, interval_ms: int) -> list[Any]:
    """One kline: open time, OHLC, volume, close time, quote volume, count, taker buys."""
    return [
        bar.open_ms,
        _px(spec, bar.open),
        _px(spec, bar.high),
        _px(spec, bar.low),
        _px(spec, bar.close),
        _qty(spec, bar.volume),
        bar.open_ms + interval_ms - 1,
        f"{bar.quote_volume:.4f}",
        bar.count,
        _qty(spec, bar.taker_buy_volume),
        f"{bar.taker_buy_quote:.4f}",
        "0",
    ]


def ticker_24hr(market: SymbolMarket, bars: list[MinuteBar], now_ms: int) -> dict[str, Any]:
    spec = market.spec
    last = market.price
    first = bars[0].open if bars else last
    return {
        "symbol": spec.market_id,
        "priceChange": _px(spec, last - first),
        "priceChangePercent": f"{(last / first - 1) * 100:.3f}",
        "weightedAvgPrice": _px(spec, last),
        "lastPrice": _px(spec, last),
        "lastQty": _qty(spec, spec.qty_step),
        "openPrice": _px(spec, first),
        "highPrice": _px(spec, max((b.high for b in bars), default=last)),
        "lowPrice": _px(spec, min((b.low for b in bars), default=last)),
        "volume": _qty(spec, sum(b.volume for b in bars)),
        "quoteVolume": f"{sum(b.quote_volume for b in bars):.2f}",
        "openTime": now_ms - 86_400_000,
        "closeTime": now_ms,
        "firstId": 0,
        "lastId": 0,
        "count": sum(b.count for b in bars),
    }


INTERVALS_MS = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
}
OI_PERIODS_MS = {
    key: INTERVALS_MS[key] for key in ("5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d")
}
