"""Trade frames read straight from a venue's decoded JSON: the feed's one hot path.

Why not ccxt's parse, as for every other frame: in a crash burst on three venues
(``benchmarks/bench_burst.py``) ccxt's handling of trade frames — a market lookup,
``parse_ws_trade`` with an ISO-8601 string and ``Precise`` string arithmetic per
trade, a future resolved for a ``watch_trades`` nobody awaits again — was ≈ 33 % of
the app's CPU at the busiest second, for four fields of which scalptui reads
every one. Reading them here costs a few dict lookups.

ccxt still owns the connection, the subscription, the JSON decoding and every
other frame. A reader returns None for anything that is not plainly a trade
frame, and the feed then hands the frame to ccxt unchanged; values are returned
raw, and ``venues.trade_from_raw`` checks them as ``venues.parse_trade`` checks
ccxt's. ``tests/feed/test_trade_frames.py`` holds the two paths equal on the
real frames of every venue and on the simulated exchange's.

The frames (each venue's documentation; side is the *taker's*):

* Binance ``@trade`` / ``@aggTrade`` (bare, or in a combined-stream wrapper
  ``{"stream": …, "data": {…}}``): ``{"e":"trade","s":"BTCUSDT","T":…,"p":"…",
  "q":"…","m":false}`` — ``m`` true: the buyer was the maker, so the taker sold;
* Bybit v5 ``publicTrade.{symbol}``: ``{"topic":"publicTrade.BTCUSDT","data":
  [{"T":…,"S":"Buy","v":"…","p":"…"}, …]}``;
* OKX v5 ``trades``: ``{"arg":{"channel":"trades","instId":"BTC-USDT-SWAP"},
  "data":[{"ts":"…","px":"…","sz":"…","side":"buy"}, …]}``, ``sz`` in contracts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RawTrade = tuple[Any, Any, Any, Any]
"""(time in ms, price, amount in the venue's units, taker side) as the frame has them."""

TradeFrame = tuple[str, list[RawTrade]]
"""The market id the frame is for, and its trades in order."""

FrameReader = Callable[[Any], TradeFrame | None]

_BINANCE_KINDS = frozenset(("trade", "aggTrade"))
_BINANCE_OFF_BOOK = frozenset(("INSURANCE_FUND", "ADL"))
_BYBIT_TOPIC = "publicTrade."
_OKX_CHANNEL = "trades"


def order_book_trade(exchange: str, item: dict[str, Any]) -> bool:
    """Whether a venue's trade item was filled in the order book, i.e. is taker flow.

    Binance's ``@trade`` also prints the insurance fund's takeovers and auto-deleveraging
    fills (``"X": "INSURANCE_FUND"`` / ``"ADL"``; its REST trades and ``@aggTrade`` leave
    exactly those out). Bybit's ``publicTrade`` marks negotiated block trades
    ``"BT": true``. Neither is a taker meeting the book: they print near bankruptcy or
    agreed prices and would count as taker pressure in a cascade. Any other ``X`` (the
    stream's values are not all documented; the liquidation engine's own fills in the
    book may carry one) is kept.
    """
    if exchange == "binanceusdm":
        return item.get("X") not in _BINANCE_OFF_BOOK
    if exchange == "bybit":
        return item.get("BT") is not True
    return True


def read_binance(message: Any) -> TradeFrame | None:
    if type(message) is not dict:
        return None
    if "stream" in message:
        message = message.get("data")
        if type(message) is not dict:
            return None
    if message.get("e") not in _BINANCE_KINDS:
        return None
    market_id = message.get("s")
    if type(market_id) is not str:
        return None
    if not order_book_trade("binanceusdm", message):
        return market_id, []  # claimed and dropped: not taker flow (``order_book_trade``)
    maker = message.get("m")
    side = "sell" if maker is True else "buy" if maker is False else None
    return market_id, [(message.get("T"), message.get("p"), message.get("q"), side)]


def read_bybit(message: Any) -> TradeFrame | None:
    if type(message) is not dict:
        return None
    topic = message.get("topic")
    if type(topic) is not str or not topic.startswith(_BYBIT_TOPIC):
        return None
    items = message.get("data")
    if type(items) is not list:
        return None
    trades: list[RawTrade] = []
    for item in items:
        if type(item) is not dict:
            trades.append((None, None, None, None))  # rejected downstream, counted
            continue
        if not order_book_trade("bybit", item):
            continue
        side = item.get("S")
        trades.append(
            (
                item.get("T"),
                item.get("p"),
                item.get("v"),
                side.lower() if type(side) is str else None,
            )
        )
    return topic[len(_BYBIT_TOPIC) :], trades


def read_okx(message: Any) -> TradeFrame | None:
    if type(message) is not dict:
        return None
    arg = message.get("arg")
    if type(arg) is not dict or arg.get("channel") != _OKX_CHANNEL:
        return None
    market_id = arg.get("instId")
    items = message.get("data")
    if type(market_id) is not str or type(items) is not list:
        return None
    trades: list[RawTrade] = []
    for item in items:
        if type(item) is not dict:
            trades.append((None, None, None, None))
            continue
        trades.append((item.get("ts"), item.get("px"), item.get("sz"), item.get("side")))
    return market_id, trades


READERS: dict[str, FrameReader] = {
    "binanceusdm": read_binance,
    "bybit": read_bybit,
    "okx": read_okx,
}
"""The venues whose trade frames are read here; any other venue's go through ccxt."""
