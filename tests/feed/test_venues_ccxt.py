"""Each venue's parsers on real frames, through ccxt's own message handling.

The frames come from tests/fixtures/feed (see its README for their origin).
Each goes through a real ccxt Client of the exchange — ccxt's JSON decode,
``exchange.handle_message``, ccxt's parsers and caches — and then through the
feed's taps and ``scalptui.feed.venues``. Sides are checked per venue, because
ccxt's unified liquidation side is not unified.
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest

from scalptui.feed import ccxt_feed
from scalptui.feed.venues import VENUES, FundingState, parse_bybit_ticker, parse_open_interest
from scalptui.models import (
    FeedStatus,
    History,
    Liquidation,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    Side,
    StreamState,
    TakerSide,
    Trade,
)

from .offline import OfflineFeed, docs_example, fixture_json, fixture_lines

BTC = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"


def only(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def frames_of(name: str, *streams: str) -> list[str]:
    """Lines of a tardis capture whose ``stream`` / ``topic`` / channel is listed."""
    out = []
    for line in fixture_lines(name):
        msg = json.loads(line)
        tag = msg.get("stream") or msg.get("topic") or msg.get("arg", {}).get("channel", "")
        if any(tag.endswith(s) or tag.startswith(s) or tag == s for s in streams):
            out.append(json.dumps(msg))
    return out


# --------------------------------------------------------------------------- binance


def binance_routes() -> dict[str, Any]:
    return {
        "/fapi/v1/exchangeInfo": fixture_json("cryptofeed_binance_exchangeInfo_subset.json"),
        "/fapi/v1/fundingInfo": [
            *docs_example("docs_binance_rest_funding_info.json"),
            # The documented row's shape, for a symbol of the exchangeInfo above.
            {"symbol": "ETHUSDT", "fundingIntervalHours": 4},
        ],
        "/fapi/v1/klines": fixture_json("nautilus_binance_http_futures_market_klines.json"),
        "/futures/data/openInterestHist": fixture_json(
            "nautilus_binance_http_futures_market_open_interest_historical.json"
        ),
        "/fapi/v1/openInterest": fixture_json(
            "nautilus_binance_http_futures_market_open_interest.json"
        ),
    }


@pytest.fixture
async def binance() -> Any:
    feed = OfflineFeed("binanceusdm", [BTC, ETH], binance_routes())
    await feed.start()
    yield feed
    await feed.close()


async def settle(feed: OfflineFeed) -> list[Any]:
    return await feed.settle()


async def test_binance_market_info_and_history_from_rest(binance: OfflineFeed) -> None:
    events = await settle(binance)
    infos = {e.symbol: e for e in only(events, MarketInfo)}
    assert infos[BTC].tick_size == pytest.approx(0.01)
    assert infos[BTC].contract_size == 1.0
    assert infos[BTC].funding_interval_h == 8.0  # not listed in fundingInfo: the default
    assert infos[ETH].funding_interval_h == 4.0  # listed: its own interval
    assert infos[BTC].mmr is None  # Binance's brackets need a key
    history = {e.symbol: e for e in only(events, History)}[BTC]
    bar = history.bars[0]
    assert (bar.ts, bar.open, bar.close) == (1499040000000, 0.0163479, 0.015771)
    assert bar.volume == 148976.11427815
    assert bar.taker_buy_volume == pytest.approx(1756.87402397)
    assert [s.amount for s in history.open_interest] == [20403.637, 20401.367]
    values = [s.value for s in history.open_interest]
    assert values == pytest.approx([150570784.07809979, 149940752.14464448])
    # MarketInfo, then History, for each symbol before anything else.
    assert events.index(infos[BTC]) < events.index(history)


async def test_binance_funding_intervals_are_re_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ccxt_feed, "FUNDING_INTERVAL_REFRESH_S", 0.01)
    path = "/fapi/v1/fundingInfo"
    replies = [  # the documented row shape
        [{"symbol": "ETHUSDT", "fundingIntervalHours": 4}],  # at start-up
        [{"symbol": "BTCUSDT", "fundingIntervalHours": 1}],  # then ETH back to 8 h, BTC 1 h
    ]
    feed = OfflineFeed("binanceusdm", [BTC, ETH], binance_routes())
    feed.rest.routes[path] = lambda q: replies[min(1, feed.rest.calls.count(path) - 1)]
    await feed.start()
    try:
        assert feed._funding[ETH].interval_h == 4.0
        async with asyncio.timeout(5):
            while feed._funding[BTC].interval_h != 1.0:
                await asyncio.sleep(0.01)
        assert feed._funding[ETH].interval_h == 8.0  # no longer listed: the 8 h default
    finally:
        await feed.close()


async def test_binance_trades_from_trade_and_aggtrade_streams(binance: OfflineFeed) -> None:
    await settle(binance)
    binance.feed_frames(frames_of("tardis_binance-futures_messages.jsonl", "@trade", "@aggTrade"))
    trades = only(binance.pending(), Trade)
    assert [(t.symbol, t.price, t.amount, t.side, t.ts) for t in trades] == [
        (BTC, 10223.74, 0.236, TakerSide.BUY, 1568693103463),  # aggTrade, m=false: taker bought
        (BTC, 7627.60, 0.044, TakerSide.BUY, 1574381164086),
        # (ETH's "X":"INSURANCE_FUND" print is off the book: not a trade)
        (BTC, 11343.67, 0.467, TakerSide.SELL, 1596240000519),  # m=true: taker sold
    ]
    assert all(t.exchange == "binanceusdm" for t in trades)


async def test_binance_mark_price_carries_funding(binance: OfflineFeed) -> None:
    await settle(binance)
    binance.feed_frames(frames_of("tardis_binance-futures_messages.jsonl", "@markPrice@1s"))
    binance.feed_frames([json.dumps(fixture_json("nautilus_binance_mark_price_stream.json"))])
    marks = only(binance.pending(), MarkPrice)
    first = marks[0]
    assert (first.symbol, first.ts, first.mark) == (BTC, 1597536008000, 11857.56)
    assert first.index == pytest.approx(11851.86949091)
    assert first.funding_rate == pytest.approx(0.0001564)
    assert first.next_funding_ts == 1597564800000
    assert first.funding_interval_h == 8.0
    assert marks[1].mark == 11794.15 and marks[1].funding_rate == pytest.approx(0.00038167)


async def test_binance_force_order_side_amount_and_sampling(binance: OfflineFeed) -> None:
    await settle(binance)
    binance.feed_frames(frames_of("tardis_binance-futures_messages.jsonl", "@forceOrder"))
    binance.feed_frames(
        [json.dumps(docs_example("docs_binance_ws_liquidation_order_streams.json"))]
    )
    short, long_ = only(binance.pending(), Liquidation)
    # "S":"BUY": the forced order bought, so a short was liquidated.
    assert short.side is Side.SHORT
    # ``z`` (0.014, accumulated fill), not ccxt's ``l`` (0.015, last fill); ``ap`` price.
    assert (short.amount, short.price, short.ts) == (0.014, 4706.04, 1584059031421)
    assert short.notional == pytest.approx(0.014 * 4706.04)
    assert short.sampled is True
    assert long_.side is Side.LONG  # "S":"SELL"
    assert long_.notional == pytest.approx(0.014 * 9910)


def force_order(ts: int, price: str, qty: str, side: str = "SELL") -> dict[str, Any]:
    """The documented forceOrder frame with its time, price and size changed."""
    frame: dict[str, Any] = copy.deepcopy(
        docs_example("docs_binance_ws_liquidation_order_streams.json")
    )
    frame["E"] = ts
    frame["o"].update({"T": ts, "ap": price, "p": price, "q": qty, "l": qty, "z": qty, "S": side})
    return frame


async def test_binance_burst_of_force_orders_reaches_the_queue_whole(binance: OfflineFeed) -> None:
    await settle(binance)
    burst = [force_order(1568014460893 + i, f"{9910 - i}", "0.5") for i in range(3)]
    # All three in one socket read: ccxt handles them before any watcher could await again.
    binance.feed_frames([json.dumps(f) for f in burst])
    liqs = only(binance.pending(), Liquidation)
    assert [liq.price for liq in liqs] == [9910.0, 9909.0, 9908.0]
    assert len(binance.ccxt.liquidations) == 3


async def test_binance_repeated_force_order_is_dropped_once(binance: OfflineFeed) -> None:
    await settle(binance)
    frame = json.dumps(force_order(1568014460893, "9910", "0.5"))
    binance.feed_frames([frame, frame])
    assert len(only(binance.pending(), Liquidation)) == 1
    assert binance.stats["duplicate_liquidations"] == 1


async def test_full_queue_drops_trades_but_never_liquidations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ccxt_feed, "QUEUE_SIZE", 4)
    routes = {"/fapi/v1/exchangeInfo": binance_routes()["/fapi/v1/exchangeInfo"]}
    feed = OfflineFeed("binanceusdm", [BTC], routes)  # no klines: MarketInfo only
    await feed.start()
    try:
        await feed.settle_registered()
        trades = frames_of("tardis_binance-futures_messages.jsonl", "btcusdt@trade")
        burst = [json.dumps(force_order(1568014460893 + i, "9910", "0.5")) for i in range(3)]
        feed.feed_frames(trades + trades + burst + trades)
        got = []
        async with asyncio.timeout(5):
            async for event in feed.events():
                got.append(type(event).__name__)
                if got.count("Liquidation") == 3:
                    break
        # Queue of 4: MarketInfo, trades going live, two trades; then only what may
        # not be dropped, in order: the liquidation stream going live and the burst.
        assert (
            got
            == ["MarketInfo", "FeedStatus", "Trade", "Trade", "FeedStatus"] + ["Liquidation"] * 3
        )
        assert feed.stats["dropped_events"] == 4  # the trades that found the queue full
        assert feed.shed_events == {"binanceusdm": 4}
    finally:
        await feed.close()


async def test_binance_unwatched_symbol_is_not_emitted(binance: OfflineFeed) -> None:
    await settle(binance)
    frame = force_order(1568014460893, "9910", "0.5")
    frame["o"]["s"] = "SOLUSDT"
    binance.feed_frames([json.dumps(frame)])
    assert only(binance.pending(), Liquidation) == []


# --------------------------------------------------------------------------- bybit


def bybit_instruments(query: dict[str, list[str]]) -> dict[str, Any]:
    body: dict[str, Any] = fixture_json("nautilus_bybit_http_get_instruments_linear.json")
    if query.get("status") == ["PreLaunch"]:
        body["result"]["list"] = []
    # Bybit names the category in every instruments reply; the fixture omits it.
    body["result"]["category"] = "linear"
    return body


def bybit_routes() -> dict[str, Any]:
    return {
        "/v5/market/instruments-info": bybit_instruments,
        "/v5/market/kline": fixture_json("nautilus_bybit_http_get_klines_linear.json"),
        # The documented reply (an inverse symbol's numbers, the shape every category shares).
        "/v5/market/open-interest": docs_example("docs_bybit_rest_open_interest.json"),
    }


@pytest.fixture
async def bybit() -> Any:
    feed = OfflineFeed("bybit", [BTC], bybit_routes())
    await feed.start()
    yield feed
    await feed.close()


async def test_bybit_market_info_from_instruments(bybit: OfflineFeed) -> None:
    events = await settle(bybit)
    info = only(events, MarketInfo)[0]
    assert (info.symbol, info.tick_size, info.max_leverage) == (BTC, 0.5, 100.0)
    history = only(events, History)[0]
    assert history.bars[0].close == 27455.0 and history.bars[0].taker_buy_volume is None
    oi = history.open_interest
    assert [o.ts for o in oi] == sorted(o.ts for o in oi)  # oldest first, as Bybit is not
    assert oi[-1].amount == 63910691.0 and oi[-1].ts == 1780963200000


async def test_bybit_all_liquidation_multi_item_position_side(bybit: OfflineFeed) -> None:
    await settle(bybit)
    bybit.feed_frames([json.dumps(fixture_json("nautilus_bybit_ws_all_liquidation.json"))])
    first, second = only(bybit.pending(), Liquidation)
    # Bybit's S is the position side: "Buy" = a long was liquidated.
    assert (first.side, first.amount, first.price, first.ts) == (
        Side.LONG,
        0.015,
        96250.5,
        1739502302929,
    )
    assert (second.side, second.amount, second.price) == (Side.SHORT, 1.25, 97410.0)
    assert second.notional == pytest.approx(1.25 * 97410.0)
    assert not first.sampled and not second.sampled


async def test_bybit_ticker_gives_mark_funding_and_open_interest(bybit: OfflineFeed) -> None:
    await settle(bybit)
    bybit.feed_frames([json.dumps(fixture_json("nautilus_bybit_ws_ticker_linear.json"))])
    events = bybit.pending()
    mark = only(events, MarkPrice)[0]
    assert (mark.mark, mark.index, mark.ts) == (17217.33, 17227.36, 1673272861686)
    assert mark.funding_rate == pytest.approx(-0.000212)
    assert (mark.next_funding_ts, mark.funding_interval_h) == (1673280000000, 8.0)
    oi = only(events, OpenInterest)[0]
    assert (oi.amount, oi.value) == (68744.761, 1183601235.91)


async def test_bybit_ticker_delta_merges_and_skips_unchanged(bybit: OfflineFeed) -> None:
    await settle(bybit)
    snapshot = fixture_json("nautilus_bybit_ws_ticker_linear.json")
    # A delta of the documented shape: only changed fields, a later ts.
    bid_only = {
        "topic": "tickers.BTCUSDT",
        "type": "delta",
        "ts": 1673272861786,
        "data": {"symbol": "BTCUSDT", "bid1Price": "17215.00"},
    }
    new_oi = {
        "topic": "tickers.BTCUSDT",
        "type": "delta",
        "ts": 1673272861886,
        "data": {"symbol": "BTCUSDT", "openInterest": "68750.000"},
    }
    bybit.feed_frames([json.dumps(m) for m in (snapshot, bid_only, new_oi)])
    events = bybit.pending()
    assert len(only(events, MarkPrice)) == 1  # same mark within the second: not repeated
    assert [o.amount for o in only(events, OpenInterest)] == [68744.761, 68750.0]


async def test_bybit_public_trade(bybit: OfflineFeed) -> None:
    await settle(bybit)
    frames = frames_of("tardis_bybit_v5_messages.jsonl", "publicTrade.BTCUSD")
    frames = [f.replace('publicTrade.BTCUSD"', 'publicTrade.BTCUSDT"') for f in frames]
    bybit.feed_frames(frames)
    trades = only(bybit.pending(), Trade)
    assert trades and all(t.symbol == BTC and t.side is TakerSide.BUY for t in trades)
    assert trades[0].price == 28560.5 and trades[0].amount == 5823.0


# --------------------------------------------------------------------------- okx

WNCG = "WNCG/USDT:USDT"
IOST = "IOST/USDT:USDT"


def okx_routes() -> dict[str, Any]:
    return {
        "/api/v5/public/instruments": fixture_json("cryptofeed_okx_instruments_swap_subset.json"),
        "/api/v5/public/open-interest": docs_example("docs_okx_rest_open_interest.json"),
    }


@pytest.fixture
async def okx() -> Any:
    feed = OfflineFeed("okx", [BTC, WNCG, IOST], okx_routes())
    await feed.start()
    yield feed
    await feed.close()


async def test_okx_market_info_contract_size(okx: OfflineFeed) -> None:
    infos = {e.symbol: e for e in only(await settle(okx), MarketInfo)}
    assert (infos[BTC].contract_size, infos[BTC].tick_size, infos[BTC].max_leverage) == (
        0.01,
        0.1,
        125.0,
    )
    assert infos[IOST].contract_size == 1000.0


async def test_okx_trade_size_is_contracts_times_contract_size(okx: OfflineFeed) -> None:
    await settle(okx)
    okx.feed_frames(frames_of("tardis_okex-swap_v5_messages.jsonl", "trades"))
    (trade,) = only(okx.pending(), Trade)
    assert (trade.symbol, trade.price, trade.side) == (BTC, 48938.5, TakerSide.BUY)
    assert trade.amount == pytest.approx(5 * 0.01)


async def test_okx_liquidation_orders_side_and_contracts(okx: OfflineFeed) -> None:
    await settle(okx)
    okx.feed_frames([json.dumps(docs_example("docs_okx_ws_liquidation_orders.json"))])
    (liq,) = only(okx.pending(), Liquidation)
    # posSide "short", side "buy": a short was force-bought.
    assert (liq.symbol, liq.side, liq.price, liq.ts) == (IOST, Side.SHORT, 0.007831, 1692266434010)
    assert liq.amount == pytest.approx(13 * 1000)
    assert liq.notional == pytest.approx(13 * 1000 * 0.007831)
    # At most one order per contract per second is pushed: a sample, its sums lower bounds.
    assert liq.sampled


async def test_okx_every_detail_of_a_liquidation_item_is_emitted(okx: OfflineFeed) -> None:
    await settle(okx)
    frame = docs_example("docs_okx_ws_liquidation_orders.json")
    second = {
        **frame["data"][0]["details"][0],
        "posSide": "long",
        "side": "sell",
        "sz": "7",
        "ts": "1692266434011",
    }
    frame["data"][0]["details"].append(second)
    okx.feed_frames([json.dumps(frame)])
    liqs = only(okx.pending(), Liquidation)
    assert [(liq.side, liq.amount) for liq in liqs] == [(Side.SHORT, 13000.0), (Side.LONG, 7000.0)]
    assert len(okx.ccxt.liquidations) == 1  # ccxt itself keeps only the first detail


async def test_okx_mark_is_stale_only_past_its_ten_second_resend(okx: OfflineFeed) -> None:
    # OKX re-sends an unchanged mark every 10 s: at a 10 s limit a flat symbol flapped.
    await settle(okx)
    assert okx._streams[f"mark:{BTC}"].health.stale_after_s == 15.0
    assert okx._streams[f"trades:{BTC}"].health.stale_after_s == 10.0


async def test_okx_funding_then_mark(okx: OfflineFeed) -> None:
    await settle(okx)
    okx.feed_frames(frames_of("tardis_okex-swap_v5_messages.jsonl", "funding-rate", "mark-price"))
    (mark,) = only(okx.pending(), MarkPrice)
    assert (mark.symbol, mark.mark, mark.ts) == (WNCG, 2.1729, 1640131259180)
    assert mark.funding_rate == pytest.approx(0.00048105)
    assert mark.next_funding_ts == 1640131200000


async def test_okx_funding_rate_interval(okx: OfflineFeed) -> None:
    await settle(okx)
    okx.feed_frames([json.dumps(fixture_json("nautilus_okx_ws_funding_rate.json"))])
    assert okx._funding[BTC].interval_h == 8.0
    assert okx._funding[BTC].rate == pytest.approx(0.0001)


async def test_trade_tap_is_reinstalled_if_ccxt_drops_it() -> None:
    okx = OfflineFeed("okx", [BTC, WNCG, IOST], okx_routes(), hot_trades=False)
    await okx.start()
    try:
        await check_tap_reinstalled(okx)
    finally:
        await okx.close()


async def check_tap_reinstalled(okx: OfflineFeed) -> None:
    """With trades left to ccxt's handler, its cache is the tap they come through."""
    await settle(okx)
    frames = frames_of("tardis_okex-swap_v5_messages.jsonl", "trades")
    del okx.ccxt.trades[BTC]  # as ccxt's unsubscription path does
    okx.feed_frames(frames)  # ccxt makes a plain cache of its own: this one is not seen
    assert only(okx.pending(), Trade) == []
    okx._ensure_taps()  # what each supervisor does once per watchdog tick
    okx.feed_frames(frames)
    assert len(only(okx.pending(), Trade)) == 1


async def test_binance_open_interest_poll_reply(binance: OfflineFeed) -> None:
    await settle(binance)
    raw = await binance.ccxt.fetch_open_interest(BTC)
    oi = parse_open_interest(VENUES["binanceusdm"], raw, 1.0, BTC)
    assert oi is not None and (oi.amount, oi.ts) == (10659.509, 1589437530011)


async def test_okx_open_interest_poll_reply_in_base_units(okx: OfflineFeed) -> None:
    await settle(okx)
    raw = await okx.ccxt.fetch_open_interest(BTC)
    oi = parse_open_interest(VENUES["okx"], raw, 0.01, BTC)
    # "oi":"5000" contracts; "oiCcy":"555.55" is the base amount OKX states itself.
    assert oi is not None and (oi.amount, oi.value, oi.ts) == (555.55, 50000.0, 1597026383085)


async def test_an_open_interest_of_zero_is_no_reading(binance: OfflineFeed) -> None:
    await settle(binance)
    raw = await binance.ccxt.fetch_open_interest(BTC)
    assert (
        parse_open_interest(VENUES["binanceusdm"], {**raw, "openInterestAmount": 0.0}, 1.0, BTC)
        is None
    )
    for amount, read in (("52774.528", True), ("0", False)):
        ticker = {"symbol": BTC, "timestamp": 1, "info": {"openInterest": amount}}
        assert (parse_bybit_ticker(ticker, FundingState(), 1.0)[1] is not None) is read


async def test_unreadable_warm_start_reply_still_streams_the_symbol() -> None:
    # ccxt's open-interest-history parser indexes the reply unchecked (KeyError on an
    # error body): the warm start is best effort, so the symbol's streams still open.
    routes = {**binance_routes(), "/futures/data/openInterestHist": {"code": "x"}}
    feed = OfflineFeed("binanceusdm", [BTC], routes)
    await feed.start()
    try:
        events = await feed.settle()
        assert f"trades:{BTC}" in feed._streams and f"liquidations:{BTC}" in feed._streams
        assert only(events, MarketInfo)
        history = only(events, History)
        assert history and history[0].bars and not history[0].open_interest  # klines kept
    finally:
        await feed.close()


class PollingOffline(OfflineFeed):
    """An OfflineFeed whose open-interest poll runs (every 10 ms)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._oi_poll_s = 0.01

    async def _poll(self, stream: Any) -> None:
        await ccxt_feed.CcxtFeed._poll(self, stream)


async def test_okx_poll_survives_a_reply_ccxt_cannot_parse() -> None:
    # OKX answers ``data: []`` for an instrument it suspends; ccxt's fetch_open_interest
    # reads ``data[0]`` (IndexError). The poll counts a failure and polls on.
    path = "/api/v5/public/open-interest"
    good = docs_example("docs_okx_rest_open_interest.json")
    feed = PollingOffline("okx", [BTC], okx_routes())
    feed.rest.routes[path] = lambda q: (
        {"code": "0", "msg": "", "data": []} if feed.rest.calls.count(path) <= 2 else good
    )
    await feed.start()
    try:
        events: list[Any] = []
        async with asyncio.timeout(10):
            while not only(events, OpenInterest):
                await asyncio.sleep(0.01)
                events += feed.pending()
        failures = [e for e in only(events, FeedStatus) if e.stream == "open_interest" and e.detail]
        assert failures and "IndexError" in failures[0].detail
        assert only(events, OpenInterest)[0].amount == 555.55
    finally:
        await feed.close()


class WithoutLiquidations(OfflineFeed):
    """A venue whose ccxt ``has`` lacks the liquidation stream and the OI endpoint."""

    def _configure_exchange(self, ex: Any) -> None:
        super()._configure_exchange(ex)
        ex.has = {**ex.has, "watchLiquidations": False, "fetchOpenInterest": False}


async def test_streams_are_gated_on_exchange_has() -> None:
    feed = WithoutLiquidations("binanceusdm", [BTC], binance_routes())
    await feed.start()
    try:
        events = await feed.settle()
        failed = {(e.stream, e.detail) for e in only(events, FeedStatus)}
        assert ("liquidations", "watchLiquidations not offered by venue") in failed
        assert ("open_interest", "not offered by venue") in failed
        assert {s.split(":")[0] for s in feed._streams} == {"trades", "mark"}
    finally:
        await feed.close()


class _LiquidationsOfBtcDie(OfflineFeed):
    async def _run_stream(self, stream: Any) -> None:
        if stream.symbol == BTC and stream.name == "liquidations":
            raise RuntimeError("a reply shape nobody expected")


async def test_a_dead_stream_task_fails_its_own_stream_never_the_venue() -> None:
    """A dead task was reported as the venue's whole ``feed`` failed: the detector took
    every symbol's prints as undelivered for the rest of the run, and no cascade was ever
    reported again on any of them."""
    feed = _LiquidationsOfBtcDie("binanceusdm", [BTC, ETH], binance_routes())
    await feed.start()
    try:
        events = await feed.settle()
        for _ in range(20):
            await asyncio.sleep(0)
        events += feed.pending()
    finally:
        await feed.close()
    failed = [
        (s.symbol, s.stream) for s in only(events, FeedStatus) if s.state is StreamState.FAILED
    ]
    assert failed == [(BTC, "liquidations")]
