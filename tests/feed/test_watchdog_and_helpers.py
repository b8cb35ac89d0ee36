"""Staleness rules, back-off, de-duplication and the frame guard, without a network."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalptui.feed.backoff import Backoff
from scalptui.feed.ccxt_hooks import DIAL_DELAY_CAP_S, install_client_hooks
from scalptui.feed.ccxt_streams import Stream, StreamSupervision
from scalptui.feed.dedupe import LiquidationDeduper
from scalptui.feed.venues import (
    VENUES,
    FundingState,
    first_tier_mmr,
    interval_hours,
    market_funding_interval_h,
    parse_bybit_ticker,
    parse_liquidations,
    parse_mark_price,
    parse_open_interest,
    parse_trade,
)
from scalptui.feed.watchdog import MAX_LEARNT_STALE_S, Cadence, StreamHealth
from scalptui.models import Liquidation, Side, StreamState

from .offline import OfflineFeed, fixture_json

DEFAULT_STALE_S = 10.0  # docs/design.md § Staleness


# --------------------------------------------------------------------------- watchdog


def test_regular_stream_is_stale_after_ten_silent_seconds() -> None:
    health = StreamHealth(Cadence.REGULAR, DEFAULT_STALE_S)
    health.on_connected(100.0)
    assert health.state is StreamState.CONNECTING  # regular: live on its first message
    assert health.on_message(100.5) is StreamState.LIVE
    assert health.check(110.4) is None  # 9.9 s of silence: still live
    assert health.check(110.6) is StreamState.STALE
    assert health.check(111.0) is None  # one status per change
    assert health.on_message(111.0) is StreamState.LIVE


def test_regular_stream_silent_from_the_start_counts_from_connection() -> None:
    health = StreamHealth(Cadence.REGULAR, DEFAULT_STALE_S)
    assert health.check(1_000.0) is None  # not connected: nothing to judge
    health.on_connected(1_000.0)
    assert health.check(1_009.0) is None
    assert health.check(1_010.5) is StreamState.STALE


def test_quiet_liquidation_stream_is_never_stale_while_connected() -> None:
    health = StreamHealth(Cadence.QUIET, DEFAULT_STALE_S)
    assert health.on_connected(0.0) is StreamState.LIVE  # judged by its connection
    assert health.check(3_600.0) is None and health.state is StreamState.LIVE
    assert not health.is_silent(3_600.0)
    assert health.on_connection_lost() is StreamState.RECONNECTING
    assert health.on_connected(3_601.0) is StreamState.LIVE


def test_open_interest_poll_is_stale_after_two_failed_polls() -> None:
    health = StreamHealth(Cadence.POLL, DEFAULT_STALE_S)
    assert health.on_poll(True, 0.0) is StreamState.LIVE
    assert health.on_poll(False, 15.0) is None  # one failure is not yet stale
    assert health.on_poll(False, 30.0) is StreamState.STALE
    assert health.on_poll(True, 45.0) is StreamState.LIVE
    assert health.on_poll(False, 60.0) is None  # the count restarted


def test_reconnect_resets_the_silence_clock() -> None:
    health = StreamHealth(Cadence.REGULAR, DEFAULT_STALE_S)
    health.on_connected(0.0)
    health.on_message(1.0)
    health.on_connection_lost()
    health.on_connected(50.0)
    assert health.silent_for(55.0) == 5.0  # since the new connection, not the old message
    assert health.check(55.0) is None


def test_a_session_opening_after_an_outage_counts_its_silence_from_its_start() -> None:
    """Counted from the last message before a 60 s outage, a new connection still
    opening was silent at once, and dropped at the watchdog's first tick."""
    health = StreamHealth(Cadence.REGULAR, DEFAULT_STALE_S)
    health.on_connected(0.0)
    health.on_message(1.0)
    health.on_connection_lost()
    health.on_subscribing(61.0)  # the venue is back: a new session, not yet connected
    assert health.silent_for(62.0) == 1.0
    assert not health.is_silent(62.0) and health.check(62.0) is None
    assert health.is_silent(61.0 + DEFAULT_STALE_S + 0.5)  # one that never opens is seen


def stale_flips(health: StreamHealth, gaps: list[float]) -> int:
    """Feed ``health`` messages ``gaps`` apart, checked every 0.5 s as the supervisor
    does; count the times it went stale."""
    now, flips = 0.0, 0
    health.on_connected(now)
    for gap in gaps:
        until = now + gap
        while now + 0.5 < until:
            now += 0.5
            flips += health.check(now) is StreamState.STALE
        now = until
        health.on_message(now)
    return flips


def test_a_thin_symbols_ordinary_lulls_are_not_stale() -> None:
    """Trades at random, 3 s apart on average (a thin alt in a quiet hour): a fixed
    10 s deadline reported one in 30 gaps stale, and on Binance re-opened the
    connection each time, for days."""
    rng = random.Random(11)
    gaps = [rng.expovariate(1 / 3.0) for _ in range(2_400)]  # two hours
    fixed = sum(gap > DEFAULT_STALE_S for gap in gaps)
    flips = stale_flips(StreamHealth(Cadence.REGULAR, DEFAULT_STALE_S), gaps)
    assert fixed > 40
    assert flips <= 3  # the first few gaps, before the stream's cadence is known


def test_a_liquid_stream_keeps_the_configured_deadline() -> None:
    health = StreamHealth(Cadence.REGULAR, DEFAULT_STALE_S)
    rng = random.Random(3)
    assert stale_flips(health, [rng.expovariate(10.0) for _ in range(500)]) == 0
    assert health.deadline_s() == DEFAULT_STALE_S
    last = health.last_message or 0.0
    assert health.check(last + 9.9) is None
    assert health.check(last + 10.1) is StreamState.STALE


def test_a_thin_stream_that_dies_is_still_found_within_two_minutes() -> None:
    health = StreamHealth(Cadence.REGULAR, DEFAULT_STALE_S)
    stale_flips(health, [100.0] * 40)  # a stream that pauses for minutes at a time
    assert health.deadline_s() == MAX_LEARNT_STALE_S
    last = health.last_message or 0.0
    assert health.check(last + MAX_LEARNT_STALE_S - 1) is None
    assert health.check(last + MAX_LEARNT_STALE_S + 1) is StreamState.STALE


def test_one_outage_does_not_teach_a_stream_that_outages_are_ordinary() -> None:
    health = StreamHealth(Cadence.REGULAR, DEFAULT_STALE_S)
    stale_flips(health, [0.2] * 30 + [90.0] + [0.2] * 10)
    assert health.deadline_s() == DEFAULT_STALE_S


def test_closed_stream_stays_closed() -> None:
    health = StreamHealth(Cadence.REGULAR, DEFAULT_STALE_S)
    health.on_connected(0.0)
    assert health.close() is StreamState.CLOSED
    assert health.check(100.0) is None
    assert health.on_connection_lost() is None


# --------------------------------------------------------------------------- back-off


def test_backoff_grows_with_jitter_and_caps() -> None:
    backoff = Backoff(base=0.5, cap=8.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [min(8.0, 0.5 * 2**n) for n in range(8)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)  # jittered, not lock-step
    backoff.reset()
    assert backoff.next_delay() <= 0.5
    assert backoff.next_delay(floor=5.0) == 5.0  # e.g. a Retry-After


# --------------------------------------------------------------------------- de-duplication


def liq(ts: int, price: float = 100.0, side: Side = Side.LONG) -> Liquidation:
    return Liquidation(ts, "binanceusdm", "BTC/USDT:USDT", side, price, 1.0, price, True)


def test_deduper_drops_repeats_only() -> None:
    dedupe = LiquidationDeduper(capacity=3)
    assert dedupe.is_new(liq(1))
    assert not dedupe.is_new(liq(1))
    assert dedupe.is_new(liq(1, side=Side.SHORT))  # another side is another print
    assert dedupe.is_new(liq(1, price=101.0))
    assert dedupe.is_new(liq(2))
    assert len(dedupe) == 3  # bounded: the oldest key was forgotten
    assert dedupe.is_new(liq(1))


# --------------------------------------------------------------------------- parsers on bad input

anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
unified = st.dictionaries(
    st.sampled_from(
        [
            "symbol",
            "side",
            "price",
            "amount",
            "timestamp",
            "contracts",
            "info",
            "markPrice",
            "indexPrice",
            "quoteValue",
            "openInterestAmount",
            "baseVolume",
        ]
    ),
    anything,
)


@given(item=unified)
def test_parsers_never_raise_on_malformed_items(item: dict[str, Any]) -> None:
    for venue in VENUES.values():
        parse_trade(venue.id, item, 1.0)
        parse_liquidations(venue, item, 1.0)
        parse_open_interest(venue, item, 1.0, "BTC/USDT:USDT")
        parse_mark_price(venue, item, FundingState())
    parse_bybit_ticker(item, FundingState(), 1.0)


@given(price=st.floats(allow_nan=True, allow_infinity=True), amount=st.floats())
def test_trade_rejects_non_positive_or_non_finite_numbers(price: float, amount: float) -> None:
    item = {
        "symbol": "BTC/USDT:USDT",
        "side": "buy",
        "timestamp": 1,
        "price": price,
        "amount": amount,
    }
    trade = parse_trade("binanceusdm", item, 1.0)
    ok = price == price and 0 < price < float("inf") and 0 < amount < float("inf")
    assert (trade is not None) == ok


# --------------------------------------------------------------------------- the frame guard


async def test_guard_skips_non_json_and_broken_frames_and_keeps_handling() -> None:
    routes = {"/fapi/v1/exchangeInfo": fixture_json("cryptofeed_binance_exchangeInfo_subset.json")}
    feed = OfflineFeed("binanceusdm", ["BTC/USDT:USDT"], routes)
    await feed.start()
    try:
        await feed.settle()
        frame = fixture_json("nautilus_binance_liquidation_stream.json")
        feed.feed_frames(
            [
                "<<not json>>",
                '{"e":"forceOrder","E":15680',  # truncated: ccxt's orjson decode raises
                "",
                json.dumps(frame),
            ]
        )
        assert feed.stats["malformed_frames"] == 3
        liqs = [e for e in feed.pending() if isinstance(e, Liquidation)]
        assert [x.price for x in liqs] == [pytest.approx(9910.12345678)]
    finally:
        await feed.close()


async def test_ccxts_own_dial_back_off_is_capped_under_the_supervisors() -> None:
    """After many failed dials ccxt would wait up to 30 s before the next, on top of
    the supervisor's back-off: a venue back from an outage stayed dark that long."""
    import socket

    import ccxt
    import ccxt.pro

    with socket.socket() as probe:  # a port nobody listens on: every dial is refused
        probe.bind(("127.0.0.1", 0))
        url = f"ws://127.0.0.1:{probe.getsockname()[1]}/ws"
    exchange = ccxt.pro.binanceusdm()
    install_client_hooks(exchange, lambda _url: None, lambda *_: None, frozenset())
    try:
        for _ in range(5):  # ccxt's own waits: 0.2 + 0.4 + 0.8 + 1.6 s
            with pytest.raises(ccxt.NetworkError):
                await asyncio.wait_for(exchange.watch(url, "x", {"method": "x"}, "x"), 10)
        assert 0.0 < exchange.ws_dial_delay(url) <= DIAL_DELAY_CAP_S  # uncapped: 3.2 s
    finally:
        await exchange.close()


def test_first_tier_mmr_is_the_lowest_notional_tier() -> None:
    tiers: list[dict[str, Any]] = [  # ccxt's leverage-tier structure, out of order
        {"tier": 2, "minNotional": 2_000_000, "maintenanceMarginRate": 0.01},
        {"tier": 1, "minNotional": 0, "maintenanceMarginRate": 0.005},
        {"tier": 3, "minNotional": None, "maintenanceMarginRate": None},
    ]
    assert first_tier_mmr(tiers) == 0.005
    assert first_tier_mmr([]) is None


@pytest.mark.parametrize(
    ("raw", "hours"), [("8h", 8.0), ("4h", 4.0), ("30m", 0.5), ("1d", 24.0), ("h", None), (8, None)]
)
def test_funding_interval_strings(raw: object, hours: float | None) -> None:
    assert interval_hours(raw) == hours


positive = st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(
    side=st.sampled_from(["buy", "sell"]),
    price=positive,
    contracts=positive,
    contract_size=st.sampled_from([1.0, 0.01, 0.1, 1000.0]),
)
def test_liquidation_side_and_notional_per_venue(
    side: str, price: float, contracts: float, contract_size: float
) -> None:
    ts = 1_700_000_000_000
    unified = {
        "symbol": "X/USDT:USDT",
        "side": side,
        "price": price,
        "contracts": contracts,
        "timestamp": ts,
        "quoteValue": None,
        "info": {},
    }
    (binance,) = parse_liquidations(VENUES["binanceusdm"], unified, contract_size)
    (bybit,) = parse_liquidations(VENUES["bybit"], unified, contract_size)
    okx_item = {
        **unified,
        "info": {
            "details": [{"side": side, "sz": str(contracts), "bkPx": str(price), "ts": str(ts)}]
        },
    }
    (okx,) = parse_liquidations(VENUES["okx"], okx_item, contract_size)
    # Binance and OKX name the forced order's side, Bybit the position's.
    assert binance.side is okx.side is (Side.LONG if side == "sell" else Side.SHORT)
    assert bybit.side is (Side.LONG if side == "buy" else Side.SHORT)
    for liq in (binance, bybit, okx):
        assert liq.amount == pytest.approx(contracts * contract_size)
        assert liq.notional == pytest.approx(liq.amount * liq.price)
    # Binance (1/s/symbol) and OKX (1/s/contract) sample; Bybit sends every forced close.
    assert binance.sampled and okx.sampled and not bybit.sampled


@pytest.mark.parametrize(("listed", "hours"), [("480", 8.0), ("240", 4.0), ("60", 1.0), ("8", 8.0)])
def test_bybit_listing_funding_interval_in_minutes_or_hours(listed: str, hours: float) -> None:
    market = {"info": {"fundingInterval": listed}}
    assert market_funding_interval_h(VENUES["bybit"], market) == hours


async def test_only_a_stream_back_on_a_new_connection_wakes_the_venues_back_offs() -> None:
    """A trades stream flipping stale → live on a connection that stayed up says nothing
    of the venue; its first message on a new connection says the venue is back."""

    async def nothing() -> None:
        return None

    supervision = StreamSupervision()
    supervision._rng = random.Random(1)
    health = StreamHealth(Cadence.REGULAR, 10.0)
    trades = Stream("trades", "BTC/USDT:USDT", Cadence.REGULAR, nothing, health)
    waiting = asyncio.ensure_future(supervision._wait_or_venue_back(30.0))
    await asyncio.sleep(0)
    back = supervision._venue_back
    assert back is not None
    for n in range(5):  # messages on a connection that stayed up, then a stale flip back
        health.on_message(float(n))
    supervision._note_stream_live(trades, StreamState.LIVE)
    assert not back.done()
    health.on_connection_lost()
    health.on_message(10.0)  # the first message on the new connection
    supervision._note_stream_live(trades, StreamState.LIVE)
    assert back.done()
    waiting.cancel()


def test_a_refusal_is_matched_to_the_stream_it_names() -> None:
    """OKX's refusal names a channel and an instrument; ccxt hands it to whichever
    subscription waits, so the feed routes it by what it names."""
    okx, binance = VENUES["okx"], VENUES["binanceusdm"]
    text = (
        'okx {"event":"error","code":"60018","msg":"Wrong URL or channel:mark-price,'
        "instId:ETH-USDT-SWAP doesn't exist.\"}"
    )
    assert okx.refused(text, "mark", "ETH-USDT-SWAP")
    assert not okx.refused(text, "trades", "ETH-USDT-SWAP")  # another channel of it
    assert not okx.refused(text, "mark", "BTC-USDT-SWAP")  # another instrument
    assert not okx.refused(text, "liquidations", "ETH-USDT-SWAP")  # venue-wide, never named
    assert not okx.refused(text, "mark", None)
    # a venue whose refusals name no channel: the market alone, as a whole word
    assert binance.refused("binanceusdm Invalid symbol BTCUSDT", "trades", "BTCUSDT")
    assert not binance.refused("binanceusdm Invalid symbol 1000BTCUSDT", "trades", "BTCUSDT")
    assert not binance.refused("binanceusdm Invalid symbol BTCUSDT2", "trades", "BTCUSDT")
