"""Each fault hook, seen by unmodified ccxt.pro binanceusdm.

These tests pin down what ccxt itself does with each fault, so the feed's guards
(owned by the feed, not here) are written against measured behaviour.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from scalptui.feed.sim import SimExchange

BTC = "BTC/USDT:USDT"


async def _fresh_trades(exchange: Any, timeout: float) -> list[Any]:
    """Trades from a frame that arrives *after* the call (ccxt keeps one resolved
    future between calls, so the first call may answer from the past)."""
    await asyncio.wait_for(exchange.watch_trades(BTC), timeout)
    result: list[Any] = await asyncio.wait_for(exchange.watch_trades(BTC), timeout)
    return result


async def test_rate_limit_raises_ccxts_ddos_class(binance: Any, sim: SimExchange) -> None:
    import ccxt

    await binance.load_markets()
    sim.fail_http(429, 1)
    with pytest.raises(ccxt.DDoSProtection) as raised:  # RateLimitExceeded derives from it
        await asyncio.wait_for(binance.fetch_open_interest(BTC), 10)
    assert "429" in str(raised.value)
    oi = await asyncio.wait_for(binance.fetch_open_interest(BTC), 10)  # then it recovers
    assert oi["openInterestAmount"] > 0


async def test_server_errors_raise_ccxts_network_classes(binance: Any, sim: SimExchange) -> None:
    import ccxt

    await binance.load_markets()
    sim.fail_http(503, 1)
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await asyncio.wait_for(binance.fetch_ohlcv(BTC, "5m", limit=3), 10)
    sim.fail_http(500, 1)
    with pytest.raises(ccxt.OperationFailed):
        await asyncio.wait_for(binance.fetch_open_interest_history(BTC, "5m", limit=3), 10)
    assert len(await asyncio.wait_for(binance.fetch_ohlcv(BTC, "5m", limit=3), 10)) == 3


async def test_load_markets_fails_cleanly_on_a_failed_request(
    binance: Any, sim: SimExchange
) -> None:
    import ccxt

    sim.fail_http(429, 1)
    with pytest.raises(ccxt.DDoSProtection):
        await asyncio.wait_for(binance.load_markets(), 10)
    assert BTC in await asyncio.wait_for(binance.load_markets(reload=True), 10)


async def test_dropped_connection_errors_the_watcher_then_reconnects(
    binance: Any, sim: SimExchange
) -> None:
    import ccxt

    await _fresh_trades(binance, 10)
    connections = sim.stats["connections_total"]
    assert sim.drop_connections() == 1
    error: Exception | None = None
    for _ in range(50):  # frames already in flight may still resolve a call or two
        try:
            await asyncio.wait_for(binance.watch_trades(BTC), 5)
        except ccxt.NetworkError as exc:
            error = exc
            break
    assert error is not None
    trades = await _fresh_trades(binance, 10)  # ccxt dials again on the next call
    assert trades and sim.stats["connections_total"] > connections


async def test_garbage_frame_silences_ccxts_receive_loop(binance: Any, sim: SimExchange) -> None:
    """One malformed frame kills ccxt's receive loop for that connection: no error
    reaches the watcher, and nothing is delivered any more although the exchange
    keeps sending (docs/design.md § ccxt.pro pitfalls)."""
    await _fresh_trades(binance, 10)
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        assert sim.send_garbage(1) == 1
        deadline = time.monotonic() + 5
        while not errors and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert errors, "ccxt did not choke on the malformed frame"
        assert "receive_loop" in repr(errors[0].get("handle", "")) + repr(errors[0])
        sent_before = sim.stats["messages_trade"]
        with pytest.raises(TimeoutError):
            await _fresh_trades(binance, 1.5)
        assert sim.stats["messages_trade"] > sent_before  # the exchange kept sending
        assert sim.stats["connections"] == 1  # and the socket is still open
    finally:
        loop.set_exception_handler(None)


async def test_stalled_stream_goes_quiet_while_others_flow(binance: Any, sim: SimExchange) -> None:
    await _fresh_trades(binance, 10)
    await asyncio.wait_for(binance.watch_mark_price(BTC), 10)
    sim.stall("trade", 1.2)
    started = time.monotonic()
    await asyncio.sleep(0.2)  # let frames sent before the stall drain
    with pytest.raises(TimeoutError):
        await _fresh_trades(binance, 1.0)
    mark = await asyncio.wait_for(binance.watch_mark_price(BTC), 5)
    assert mark["markPrice"] > 0  # the mark price stream kept flowing
    trades = await _fresh_trades(binance, 10)
    assert trades and time.monotonic() - started >= 1.1
