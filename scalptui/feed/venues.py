"""Per-venue quirks: turning ccxt's unified structures into scalptui's models.

ccxt parses each exchange's frames into "unified" dicts, but several fields are
not unified in practice (docs/design.md § Exchanges and their quirks), so every
normaliser here is told which venue the dict came from:

* **Liquidation side.** Binance and OKX report the *order* side of the forced
  close (``sell`` = a long was liquidated); Bybit's ``allLiquidation`` ``S`` is
  the *position* side (``Buy`` = a long was liquidated) and ccxt passes it
  through unchanged.
* **Sizes.** OKX sizes are in contracts (× ``contractSize``, 0.01 BTC for
  BTC-USDT-SWAP); Binance and Bybit linear contracts are 1 base unit. ccxt leaves
  a liquidation's ``quoteValue`` as None, so notional = amount × contractSize × price.
* **Sampling.** Binance pushes at most one liquidation per symbol per second,
  OKX at most one order per contract per second (its documentation: the data
  "doesn't represent the total number of liquidations"): their prints are
  marked ``sampled`` and every sum of them is a lower bound. Bybit's
  ``allLiquidation`` carries every forced close.
* **Mark, funding, open interest.** Binance streams mark price + funding
  (``@markPrice@1s``) and needs open interest polled; Bybit's ticker carries
  mark, funding and open interest; OKX has separate mark-price and funding-rate
  channels and needs open interest polled.

Each quirk is a field of ``Venue`` stating the fact behind it, so the code reads
``venue.<quirk>`` rather than testing which exchange it is.

Nothing here imports ccxt: the functions take the plain dicts and lists ccxt
produces, so they are cheap to test and the hot path stays plain Python. Bad
input (a missing or non-numeric field) yields None or an empty list, never an
exception.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from scalptui.models import (
    Bar,
    Liquidation,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    Side,
    TakerSide,
    Trade,
)

Unified = Mapping[str, Any]
"""A ccxt unified structure (trade, liquidation, ticker, funding rate, market...)."""


class MarkSource(StrEnum):
    """Where a venue's mark price (and funding) comes from."""

    MARK_PRICE = "mark"
    """``watch_mark_price``: Binance ``@markPrice@1s`` (with funding), OKX ``mark-price``."""
    TICKER = "ticker"
    """``watch_ticker``: Bybit's ticker carries mark, index, funding and open interest."""


class FundingSource(StrEnum):
    """Where a venue's funding rate and next funding time come from."""

    MARK_PRICE = "mark"
    """Inside the mark-price stream: Binance ``@markPrice@1s`` fields ``r`` and ``T``."""
    TICKER = "ticker"
    """Inside the ticker (Bybit ``fundingRate``, ``nextFundingTime``, ``fundingIntervalHour``)."""
    FUNDING_RATE = "funding"
    """Its own channel, ``watch_funding_rate`` (OKX ``funding-rate``, every 30-90 s)."""


class OiSource(StrEnum):
    POLL = "poll"
    """``fetch_open_interest`` every ``oi_poll_s`` (no WebSocket channel in ccxt)."""
    TICKER = "ticker"
    """Streamed inside the ticker (Bybit)."""


@dataclass(frozen=True, slots=True)
class Venue:
    """What scalptui needs to know about one exchange beyond ccxt's ``has`` table."""

    id: str
    name: str
    liquidations_complete: bool
    """The liquidation stream carries every forced close (Bybit ``allLiquidation``). Binance
    ``@forceOrder`` sends at most one per symbol per second and OKX ``liquidation-orders`` at
    most one order per contract per second (OKX: the data "doesn't represent the total number
    of liquidations"): their prints are ``sampled`` and their sums lower bounds."""
    liquidation_side_is_position: bool
    """True when the raw side names the liquidated *position* (Bybit), not the order."""
    liquidation_details: bool
    """One message item holds several forced orders in ``info.details`` and ccxt parses only
    the first (OKX ``liquidation-orders``), so each detail is read from ``info``."""
    liquidation_filled_field: str | None
    """The raw field holding the forced order's whole filled size, where ccxt's ``contracts``
    is only the last fill (Binance ``z``, accumulated quantity, vs ``l``)."""
    mark_source: MarkSource
    funding_source: FundingSource
    oi_source: OiSource
    oi_base_field: str | None
    """The ccxt open-interest field already in base units, read before contracts × size
    (OKX: ``oiCcy`` arrives as ``baseVolume``; its ``oi`` is in contracts)."""
    default_funding_interval_h: float | None
    listing_funding_interval_field: str | None
    """The market listing's ``info`` field stating the funding interval in minutes (Bybit
    ``fundingInterval``); None where the listing does not say."""
    funding_interval_per_symbol: bool
    """Funding intervals are answered one instrument at a time (OKX ``fetchFundingInterval``),
    not in one call for every symbol."""
    klines_with_taker_volume: bool
    """The raw klines endpoint carries taker-buy volume (Binance ``/fapi/v1/klines`` column 9),
    which ccxt's ``fetch_ohlcv`` drops; elsewhere candles have no taker split."""
    ccxt_options: Mapping[str, Any]
    """Options merged into the ccxt constructor (market types to load)."""
    public_leverage_tiers: bool
    """Leverage tiers (hence the first tier's MMR) are public (Binance's need a key)."""
    history_limit: int
    """5-minute samples asked for the warm start (the venue's per-request maximum or a day)."""
    keepalive_frames: frozenset[str] = frozenset()
    """Non-JSON text frames the venue legitimately sends (OKX answers ``ping`` with ``pong``)."""
    resend_s: tuple[tuple[str, float], ...] = ()
    """Regular streams the venue re-sends only this often while their value stands still
    (OKX ``mark-price``: on every change, at most every 200 ms, else every 10 s): they are
    stale after half as long again, whatever ``stale_after_s`` (10 s would flap)."""

    refusal_channels: tuple[tuple[str, str], ...] = ()
    """The venue's channel of each per-instrument stream, as its refusal of a subscription
    names it (OKX ``channel:mark-price,instId:ETH-USDT-SWAP doesn't exist``); a venue
    without them has a refusal matched by its market alone."""

    def refused(self, text: str, stream: str, market_id: str | None) -> bool:
        """The venue's refusal ``text`` is of ``stream`` of ``market_id``: it names that
        market as a whole word (never ``BTCUSDT`` in ``1000BTCUSDT``), and that stream's
        channel where the venue's refusals name channels (a stream they never name, OKX's
        venue-wide liquidations, is never refused by an instrument's refusal)."""
        if not market_id or not _names(text, market_id):
            return False
        if not self.refusal_channels:
            return True
        channel = dict(self.refusal_channels).get(stream)
        return channel is not None and _names(text, channel)

    def stale_after_s(self, stream: str, configured: float) -> float:
        """How long ``stream`` may be silent before it is stale."""
        return max(configured, 1.5 * dict(self.resend_s).get(stream, 0.0))

    @property
    def sampled(self) -> bool:
        """Liquidation prints are a sample: every sum of them is a lower bound."""
        return not self.liquidations_complete


VENUES: Mapping[str, Venue] = {
    "binanceusdm": Venue(
        id="binanceusdm",
        name="Binance USDⓈ-M",
        liquidations_complete=False,
        liquidation_side_is_position=False,
        liquidation_details=False,
        liquidation_filled_field="z",
        mark_source=MarkSource.MARK_PRICE,
        funding_source=FundingSource.MARK_PRICE,
        oi_source=OiSource.POLL,
        oi_base_field=None,
        default_funding_interval_h=8.0,
        listing_funding_interval_field=None,
        funding_interval_per_symbol=False,
        klines_with_taker_volume=True,
        ccxt_options={"defaultType": "swap"},
        public_leverage_tiers=False,
        history_limit=288,
    ),
    "bybit": Venue(
        id="bybit",
        name="Bybit linear",
        liquidations_complete=True,
        liquidation_side_is_position=True,
        liquidation_details=False,
        liquidation_filled_field=None,
        mark_source=MarkSource.TICKER,
        funding_source=FundingSource.TICKER,
        oi_source=OiSource.TICKER,
        oi_base_field=None,
        default_funding_interval_h=None,
        listing_funding_interval_field="fundingInterval",
        funding_interval_per_symbol=False,
        klines_with_taker_volume=False,
        ccxt_options={"defaultType": "swap", "fetchMarkets": {"types": ["linear"]}},
        public_leverage_tiers=True,
        history_limit=200,
        keepalive_frames=frozenset({"pong"}),
    ),
    "okx": Venue(
        id="okx",
        name="OKX swap",
        liquidations_complete=False,
        liquidation_side_is_position=False,
        liquidation_details=True,
        liquidation_filled_field=None,
        mark_source=MarkSource.MARK_PRICE,
        funding_source=FundingSource.FUNDING_RATE,
        oi_source=OiSource.POLL,
        oi_base_field="baseVolume",
        default_funding_interval_h=None,
        listing_funding_interval_field=None,
        funding_interval_per_symbol=True,
        klines_with_taker_volume=False,
        ccxt_options={"defaultType": "swap", "fetchMarkets": {"types": ["swap"]}},
        public_leverage_tiers=True,
        history_limit=100,
        keepalive_frames=frozenset({"pong"}),
        resend_s=(("mark", 10.0),),
        refusal_channels=(
            ("trades", "trades"),
            ("mark", "mark-price"),
            ("funding", "funding-rate"),
        ),
    ),
}
SUPPORTED = tuple(VENUES)

_INF = math.inf
_TAKER = {"buy": TakerSide.BUY, "sell": TakerSide.SELL}
_ORDER_SIDE_TO_POSITION = {"sell": Side.LONG, "buy": Side.SHORT}
_POSITION_SIDE = {"buy": Side.LONG, "sell": Side.SHORT, "long": Side.LONG, "short": Side.SHORT}


# --------------------------------------------------------------------------- numbers


def _names(text: str, word: str) -> bool:
    """``text`` holds ``word`` with no letter, digit or dash on either side."""
    return re.search(rf"(?<![A-Za-z0-9-]){re.escape(word)}(?![A-Za-z0-9-])", text) is not None


def lookup(table: Mapping[str, Any], value: Any) -> Any:
    """``table[value]`` for a string value, None for anything else (even unhashable)."""
    return table.get(value) if isinstance(value, str) else None


def to_float(value: Any) -> float | None:
    """A finite float from a number or numeric string, else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def to_positive(value: Any) -> float | None:
    number = to_float(value)
    return number if number is not None and number > 0 else None


def to_ms(value: Any) -> int | None:
    """Epoch milliseconds from an int or numeric string; 0 and garbage give None."""
    number = to_float(value)
    if number is None or number <= 0:
        return None
    return int(number)


def interval_hours(value: Any) -> float | None:
    """``'8h'`` / ``'4h'`` / ``'30m'`` (ccxt's funding ``interval``) → hours."""
    if not isinstance(value, str) or len(value) < 2:
        return None
    amount = to_positive(value[:-1])
    unit = value[-1]
    if amount is None:
        return None
    return {"h": amount, "m": amount / 60, "d": amount * 24}.get(unit)


# --------------------------------------------------------------------------- trades


def parse_trade(exchange: str, trade: Unified, contract_size: float) -> Trade | None:
    """One ccxt unified trade → Trade (amount in base units).

    Binance ``@trade`` (and ``@aggTrade``, same fields plus ``a``/``f``/``l``)::

        {"e":"trade","E":1574381164089,"T":1574381164086,"s":"BTCUSDT","t":10934580,
         "p":"7627.60","q":"0.044","m":false}

    ``m`` true means the buyer was the maker, so the taker sold. Bybit ``publicTrade``::

        {"T":1680688979983,"s":"LTCUSDT","S":"Buy","v":"0.4","p":"94.53",...}

    OKX ``trades`` (``sz`` in contracts)::

        {"instId":"BTC-USDT-SWAP","tradeId":"148266905","px":"48938.5","sz":"5",
         "side":"buy","ts":"1640131236050"}
    """
    side = lookup(_TAKER, trade.get("side"))
    ts = trade.get("timestamp")
    symbol = trade.get("symbol")
    if type(ts) is not int:
        ts = to_ms(ts)
    if side is None or ts is None or type(symbol) is not str:
        return None
    price = trade.get("price")
    amount = trade.get("amount")
    # The hot path: ccxt's safe_number gives floats; NaN and inf fail the range test.
    if type(price) is not float or not 0.0 < price < _INF:
        price = to_positive(price)
    if type(amount) is not float or not 0.0 < amount < _INF:
        amount = to_positive(amount)
    if price is None or amount is None:
        return None
    return Trade(ts, exchange, symbol, price, amount * contract_size, side)


def trade_from_raw(
    exchange: str, symbol: str, raw: tuple[Any, Any, Any, Any], contract_size: float
) -> Trade | None:
    """One trade read from the frame itself (``scalptui.feed.trade_frames``) → Trade, under
    the checks ``parse_trade`` applies to ccxt's: (time, price, amount, taker side)."""
    ts, price, amount, side = raw
    taker = lookup(_TAKER, side)
    if type(ts) is not int:
        ts = to_ms(ts)
    price = to_positive(price)
    amount = to_positive(amount)
    if taker is None or ts is None or price is None or amount is None:
        return None
    return Trade(ts, exchange, symbol, price, amount * contract_size, taker)


# --------------------------------------------------------------------------- liquidations


def parse_liquidations(
    venue: Venue, liquidation: Unified, contract_size: float
) -> list[Liquidation]:
    """One ccxt unified liquidation → the Liquidation prints it stands for.

    A list because an OKX message item can hold several ``details`` and ccxt
    keeps only the first. Binance ``@forceOrder`` (order side; ``z`` is the
    accumulated filled quantity, ``ap`` the average fill price)::

        {"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT",
         "f":"IOC","q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014",
         "z":"0.014","T":1568014460893}}

    Bybit ``allLiquidation`` (``S`` is the position side, ``p`` the bankruptcy price)::

        {"topic":"allLiquidation.BTCUSDT","type":"snapshot","ts":1739502303204,
         "data":[{"T":1739502302929,"s":"BTCUSDT","S":"Buy","v":"0.015","p":"96250.5"}]}

    OKX ``liquidation-orders`` (``sz`` in contracts, ``bkPx`` bankruptcy price,
    ``posSide`` the liquidated position)::

        {"arg":{"channel":"liquidation-orders","instType":"SWAP"},
         "data":[{"details":[{"bkLoss":"0","bkPx":"0.007831","ccy":"","posSide":"short",
         "side":"buy","sz":"13","ts":"1692266434010"}],"instId":"IOST-USDT-SWAP",...}]}
    """
    symbol = liquidation.get("symbol")
    if not isinstance(symbol, str):
        return []
    if venue.liquidation_details:
        return _detailed_liquidations(venue, symbol, liquidation, contract_size)
    info = liquidation.get("info")
    raw_side = liquidation.get("side")
    if venue.liquidation_side_is_position:
        side = lookup(_POSITION_SIDE, raw_side)
    else:
        side = lookup(_ORDER_SIDE_TO_POSITION, raw_side)
    contracts = to_positive(liquidation.get("contracts"))
    filled = venue.liquidation_filled_field
    if filled is not None and isinstance(info, Mapping):
        contracts = to_positive(info.get(filled)) or contracts
    price = to_positive(liquidation.get("price"))
    ts = to_ms(liquidation.get("timestamp"))
    if side is None or contracts is None or price is None or ts is None:
        return []
    amount = contracts * contract_size
    notional = to_positive(liquidation.get("quoteValue")) or amount * price
    return [Liquidation(ts, venue.id, symbol, side, price, amount, notional, venue.sampled)]


def _detailed_liquidations(
    venue: Venue, symbol: str, liquidation: Unified, contract_size: float
) -> list[Liquidation]:
    info = liquidation.get("info")
    details = info.get("details") if isinstance(info, Mapping) else None
    if not isinstance(details, list):
        return []
    prints: list[Liquidation] = []
    for detail in details:
        if not isinstance(detail, Mapping):
            continue
        side = lookup(_POSITION_SIDE, detail.get("posSide")) or lookup(
            _ORDER_SIDE_TO_POSITION, detail.get("side")
        )
        contracts = to_positive(detail.get("sz"))
        price = to_positive(detail.get("bkPx"))
        ts = to_ms(detail.get("ts"))
        if side is None or contracts is None or price is None or ts is None:
            continue
        amount = contracts * contract_size
        notional = amount * price
        prints.append(
            Liquidation(ts, venue.id, symbol, side, price, amount, notional, venue.sampled)
        )
    return prints


# --------------------------------------------------------------------------- mark + funding


@dataclass(slots=True)
class FundingState:
    """The latest funding facts of one symbol, merged from whichever channel sent them."""

    rate: float | None = None
    next_ts: int | None = None
    interval_h: float | None = None


def parse_mark_price(venue: Venue, ticker: Unified, state: FundingState) -> MarkPrice | None:
    """ccxt's ticker from a mark-price stream → MarkPrice.

    Binance ``@markPrice@1s`` carries funding too (``FundingSource.MARK_PRICE``)::

        {"e":"markPriceUpdate","E":1597536008000,"s":"BTCUSDT","p":"11857.56000000",
         "i":"11851.86949091","r":"0.00015640","T":1597564800000}

    ``r`` is the current funding rate and ``T`` the next funding time (0 on
    delivery contracts, which have no funding). OKX ``mark-price`` has only the
    mark; its funding comes on its own channel into ``state``::

        {"arg":{"channel":"mark-price","instId":"WNCG-USDT-SWAP"},
         "data":[{"instId":"WNCG-USDT-SWAP","instType":"SWAP","markPx":"2.1729",
         "ts":"1640131259180"}]}
    """
    if venue.funding_source is FundingSource.MARK_PRICE:
        info = ticker.get("info")
        raw: Mapping[str, Any] = info if isinstance(info, Mapping) else {}
        rate = to_float(raw.get("r"))
        if rate is not None:
            state.rate = rate
        next_ts = to_ms(raw.get("T"))
        if next_ts is not None:
            state.next_ts = next_ts
    return _mark(ticker, state, venue.id)


def update_okx_funding(funding: Unified, state: FundingState) -> None:
    """ccxt's funding-rate structure from OKX ``funding-rate`` → ``state``.

    ::

        {"arg":{"channel":"funding-rate","instId":"BTC-USDT-SWAP"},
         "data":[{"instId":"BTC-USDT-SWAP","fundingRate":"0.0001","nextFundingRate":"0.0002",
         "fundingTime":"1744590349506","nextFundingTime":"1744619149506",...}]}

    ``fundingTime`` is the settlement that ``fundingRate`` applies to: the next
    funding; the gap to ``nextFundingTime`` is the instrument's interval.
    """
    rate = to_float(funding.get("fundingRate"))
    if rate is not None:
        state.rate = rate
    next_ts = to_ms(funding.get("fundingTimestamp"))
    if next_ts is not None:
        state.next_ts = next_ts
    interval = interval_hours(funding.get("interval"))
    if interval is not None:
        state.interval_h = interval


def parse_bybit_ticker(
    ticker: Unified, state: FundingState, contract_size: float
) -> tuple[MarkPrice | None, OpenInterest | None]:
    """ccxt's ticker from Bybit ``tickers.{symbol}`` → (MarkPrice, OpenInterest).

    ccxt merges each delta into the previous snapshot's ``info``, so ``info``
    always holds the latest full set::

        {"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT",
         "markPrice":"28552.81","indexPrice":"28562.25","openInterest":"52774.528",
         "openInterestValue":"1506861070.82","nextFundingTime":"1680681600000",
         "fundingRate":"0.0001","fundingIntervalHour":"8",...},"ts":1680673822776}

    ``openInterest`` is in base units for linear contracts.
    """
    info = ticker.get("info")
    raw: Mapping[str, Any] = info if isinstance(info, Mapping) else {}
    rate = to_float(raw.get("fundingRate"))
    if rate is not None:
        state.rate = rate
    next_ts = to_ms(raw.get("nextFundingTime"))
    if next_ts is not None:
        state.next_ts = next_ts
    interval = to_positive(raw.get("fundingIntervalHour"))
    if interval is not None:
        state.interval_h = interval
    mark = _mark(ticker, state, "bybit")
    oi: OpenInterest | None = None
    amount = to_float(raw.get("openInterest"))
    symbol = ticker.get("symbol")
    ts = to_ms(ticker.get("timestamp"))
    if amount is not None and amount > 0 and isinstance(symbol, str) and ts is not None:
        oi = OpenInterest(
            ts, "bybit", symbol, amount * contract_size, to_float(raw.get("openInterestValue"))
        )
    return mark, oi


def _mark(ticker: Unified, state: FundingState, exchange: str) -> MarkPrice | None:
    mark = to_positive(ticker.get("markPrice"))
    symbol = ticker.get("symbol")
    ts = to_ms(ticker.get("timestamp"))
    if mark is None or not isinstance(symbol, str) or ts is None:
        return None
    return MarkPrice(
        ts,
        exchange,
        symbol,
        mark,
        to_positive(ticker.get("indexPrice")),
        state.rate,
        state.next_ts,
        state.interval_h,
    )


# --------------------------------------------------------------------------- open interest


def parse_open_interest(
    venue: Venue, interest: Unified, contract_size: float, symbol: str
) -> OpenInterest | None:
    """ccxt's open-interest structure → OpenInterest in base units.

    Binance ``/fapi/v1/openInterest``::

        {"openInterest":"10659.509","symbol":"BTCUSDT","time":1589437530011}

    OKX ``/api/v5/public/open-interest`` (``oi`` contracts, ``oiCcy`` base units)::

        {"instId":"BTC-USDT-SWAP","instType":"SWAP","oi":"5000","oiCcy":"555.55",
         "oiUsd":"50000","ts":"1597026383085"}
    """
    amount: float | None = None
    if venue.oi_base_field is not None:
        amount = to_float(interest.get(venue.oi_base_field))
    if amount is None:
        contracts = to_float(interest.get("openInterestAmount"))
        amount = contracts * contract_size if contracts is not None else None
    ts = to_ms(interest.get("timestamp"))
    if amount is None or amount <= 0 or ts is None:  # 0: a glitch, never a market's reading
        return None
    return OpenInterest(ts, venue.id, symbol, amount, to_float(interest.get("openInterestValue")))


def parse_open_interest_history(
    venue: Venue, rows: Iterable[Unified], contract_size: float, symbol: str
) -> tuple[OpenInterest, ...]:
    """ccxt's ``fetch_open_interest_history`` → OpenInterest samples, oldest first.

    Binance ``/futures/data/openInterestHist``::

        [{"symbol":"BTCUSDT","sumOpenInterest":"20403.63700000",
          "sumOpenInterestValue":"150570784.07809979","timestamp":"1583127900000"}]
    """
    samples = [parse_open_interest(venue, row, contract_size, symbol) for row in rows]
    return tuple(sorted((s for s in samples if s is not None), key=lambda s: s.ts))


# --------------------------------------------------------------------------- history


def bars_from_binance_klines(rows: Iterable[Sequence[Any]]) -> tuple[Bar, ...]:
    """Raw Binance ``/fapi/v1/klines`` rows → Bars with taker-buy volume, oldest first.

    ccxt's ``fetch_ohlcv`` drops the taker-buy column, so the raw endpoint is read::

        [1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100",
         "148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397",
         "28.46694368","17928899.62484339"]

    (open time, O, H, L, C, volume, close time, quote volume, trades,
    taker-buy base volume, taker-buy quote volume, ignore).
    """
    bars: list[Bar] = []
    for row in rows:
        if not isinstance(row, Sequence) or len(row) < 10:
            continue
        bar = _bar(row[0], row[1], row[2], row[3], row[4], row[5], to_float(row[9]))
        if bar is not None:
            bars.append(bar)
    return tuple(sorted(bars, key=lambda b: b.ts))


def bars_from_ohlcv(rows: Iterable[Sequence[Any]]) -> tuple[Bar, ...]:
    """ccxt OHLCV rows ``[ts, open, high, low, close, volume]`` → Bars (no taker split).

    The volume is already in base units on every linear market: Bybit's is, and
    for OKX swaps ccxt reads ``volCcy`` (index 6 of ``[ts, o, h, l, c, vol, volCcy,
    volCcyQuote, confirm]``), not ``vol`` in contracts — so no contract size here.
    """
    bars: list[Bar] = []
    for row in rows:
        if not isinstance(row, Sequence) or len(row) < 6:
            continue
        bar = _bar(row[0], row[1], row[2], row[3], row[4], row[5], None)
        if bar is not None:
            bars.append(bar)
    return tuple(sorted(bars, key=lambda b: b.ts))


def _bar(
    ts: Any, o: Any, h: Any, low: Any, c: Any, volume: Any, taker_buy: float | None
) -> Bar | None:
    ms = to_ms(ts)
    prices = [to_positive(v) for v in (o, h, low, c)]
    vol = to_float(volume)
    if ms is None or vol is None or vol < 0 or any(p is None for p in prices):
        return None
    op, hi, lo, cl = (p for p in prices if p is not None)
    return Bar(ms, op, hi, lo, cl, vol, taker_buy)


# --------------------------------------------------------------------------- markets


def market_info(
    exchange: str,
    market: Unified,
    ts: int,
    *,
    funding_interval_h: float | None,
    mmr: float | None,
) -> MarketInfo | None:
    """ccxt's market structure → MarketInfo (tick size, contract size, max leverage)."""
    symbol = market.get("symbol")
    precision = market.get("precision")
    tick = to_positive(precision.get("price")) if isinstance(precision, Mapping) else None
    if not isinstance(symbol, str) or tick is None:
        return None
    limits = market.get("limits")
    leverage = limits.get("leverage") if isinstance(limits, Mapping) else None
    max_leverage = to_positive(leverage.get("max")) if isinstance(leverage, Mapping) else None
    return MarketInfo(
        ts,
        exchange,
        symbol,
        tick,
        contract_size_of(market),
        max_leverage,
        mmr,
        funding_interval_h,
    )


def contract_size_of(market: Unified) -> float:
    return to_positive(market.get("contractSize")) or 1.0


def market_funding_interval_h(venue: Venue, market: Unified) -> float | None:
    """A funding interval the market listing already states (Bybit: minutes)."""
    info = market.get("info")
    field = venue.listing_funding_interval_field
    if field is not None and isinstance(info, Mapping):
        value = to_positive(info.get(field))
        if value is None:
            return None
        # Bybit documents minutes (480); some listings carry hours (8). No real interval is
        # under an hour, so a value of 24 or less can only be hours.
        return value if value <= 24 else value / 60
    return None


def first_tier_mmr(tiers: Iterable[Unified]) -> float | None:
    """The maintenance margin rate of the lowest tier of ccxt leverage tiers."""
    best: tuple[float, float] | None = None
    for tier in tiers:
        mmr = to_positive(tier.get("maintenanceMarginRate"))
        floor = to_float(tier.get("minNotional")) or 0.0
        if mmr is not None and (best is None or floor < best[0]):
            best = (floor, mmr)
    return best[1] if best is not None else None


def is_linear_perpetual(market: Unified) -> bool:
    """A symbol scalptui can watch: an active USD-margined (linear) swap."""
    return (
        market.get("swap") is True
        and market.get("linear") is True
        and market.get("active") is not False
    )


def with_article(noun: str) -> str:
    """``a Binance USDⓈ-M``, ``an OKX swap``: the article a venue's name is read with."""
    return f"{'an' if noun[:1].upper() in 'AEIO' else 'a'} {noun}"
