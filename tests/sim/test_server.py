"""The simulated exchange's protocol and fault hooks, seen by a plain aiohttp client."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from scalptui.feed.sim import SimExchange, serve
from scalptui.feed.sim.server import TickFailures
from scalptui.feed.sim.specs import CATALOGUE

START_MS = 1_767_225_600_000
ONE = ["BTC/USDT:USDT"]  # one symbol where more would only cost start-up time


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


async def _get(session: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with session.get(url) as response:
        return response.status, await response.json(content_type=None)


async def _subscribe(ws: aiohttp.ClientWebSocketResponse, streams: list[str], rid: int) -> None:
    await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": streams, "id": rid}))


async def _collect(
    ws: aiohttp.ClientWebSocketResponse,
    until: Callable[[list[Any]], bool],
    timeout: float = 10.0,
) -> list[Any]:
    """Frames (parsed, or raw text when not JSON) until ``until(frames)`` or the socket closes."""
    frames: list[Any] = []

    async def _read() -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            try:
                frames.append(json.loads(message.data))
            except ValueError:
                frames.append(message.data)
            if until(frames):
                return

    await asyncio.wait_for(_read(), timeout)
    return frames


def _events(frames: list[Any], kind: str) -> list[dict[str, Any]]:
    return [f for f in frames if isinstance(f, dict) and f.get("e") == kind]


# --------------------------------------------------------------------------- REST


async def test_rest_endpoints_answer_like_binance(http: aiohttp.ClientSession) -> None:
    async with SimExchange(seed=1, time_scale=2.0, start_ms=START_MS) as sim:
        base = sim.base_url
        status, body = await _get(http, f"{base}/fapi/v1/time")
        assert status == 200 and abs(body["serverTime"] - sim.now_ms()) < 2_000
        assert body["serverTime"] >= START_MS
        assert (await _get(http, f"{base}/fapi/v1/ping")) == (200, {})
        status, info = await _get(http, f"{base}/fapi/v1/exchangeInfo")
        listed = [s["symbol"] for s in info["symbols"]]
        assert listed[:3] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]  # the catalogue, majors first
        assert len(listed) == len(CATALOGUE)
        assert info["symbols"][0]["contractType"] == "PERPETUAL"
        status, premium = await _get(http, f"{base}/fapi/v1/premiumIndex?symbol=ETHUSDT")
        assert status == 200 and float(premium["markPrice"]) > 1000
        assert premium["nextFundingTime"] % (8 * 3_600_000) == 0
        status, everything = await _get(http, f"{base}/fapi/v1/premiumIndex")
        assert len(everything) == 3
        status, oi = await _get(http, f"{base}/fapi/v1/openInterest?symbol=BTCUSDT")
        assert 60_000 < float(oi["openInterest"]) < 100_000
        status, hist = await _get(
            http, f"{base}/futures/data/openInterestHist?symbol=BTCUSDT&period=5m&limit=12"
        )
        assert status == 200 and len(hist) == 12
        status, funding = await _get(http, f"{base}/fapi/v1/fundingInfo")
        assert {f["symbol"]: f["fundingIntervalHours"] for f in funding}["SOLUSDT"] == 4
        status, klines = await _get(http, f"{base}/fapi/v1/klines?symbol=SOLUSDT&interval=5m")
        assert status == 200 and len(klines) == 500 and len(klines[0]) == 12
        # a --base-url path prefix is tolerated
        status, _ = await _get(http, f"{base}/relay/fapi/v1/ping")
        assert status == 200


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/fapi/v1/nope", 404, -5000),
        ("/fapi/v1/openInterest", 400, -1102),
        ("/fapi/v1/openInterest?symbol=XYZUSDT", 400, -1121),
        ("/fapi/v1/klines?symbol=BTCUSDT&interval=7m", 400, -1120),
        ("/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=abc", 400, -1100),
        ("/futures/data/openInterestHist?symbol=BTCUSDT&period=1m", 400, -1130),
    ],
)
async def test_bad_rest_requests_get_binance_errors(
    http: aiohttp.ClientSession, path: str, status: int, code: int
) -> None:
    async with SimExchange(ONE, seed=1, start_ms=START_MS) as sim:
        got, body = await _get(http, sim.base_url + path)
        assert (got, body["code"]) == (status, code)
        assert isinstance(body["msg"], str) and body["msg"]
        assert (await _get(http, sim.base_url + "/fapi/v1/ping"))[0] == 200  # still serving


async def test_fail_http_answers_the_next_requests_with_the_status(
    http: aiohttp.ClientSession,
) -> None:
    async with SimExchange(ONE, seed=1, start_ms=START_MS) as sim:
        sim.fail_http(429, 2)
        url = f"{sim.base_url}/fapi/v1/time"
        first, second, third = [await _get(http, url) for _ in range(3)]
        assert first[0] == second[0] == 429 and first[1]["code"] == -1003
        assert third[0] == 200
        sim.fail_http(503, 1)
        async with http.get(url) as response:  # a gateway's plain-text page, as in real life
            assert response.status == 503 and "Unavailable" in await response.text()
        assert (await _get(http, url))[0] == 200
        assert sim.stats["rest_failed_on_purpose"] == 3


# --------------------------------------------------------------------------- WebSocket


async def test_subscribe_reply_and_routing(http: aiohttp.ClientSession) -> None:
    async with (
        SimExchange(seed=2, time_scale=5.0, start_ms=START_MS) as sim,
        http.ws_connect(f"{sim.base_url}/public/ws/0") as ws,
    ):
        await _subscribe(ws, ["ethusdt@trade"], 7)
        frames = await _collect(ws, lambda f: len(_events(f, "trade")) >= 5)
        assert frames[0] == {"result": None, "id": 7}
        trades = _events(frames, "trade")
        assert {t["s"] for t in trades} == {"ETHUSDT"}
        assert all(t["E"] >= t["T"] >= START_MS for t in trades)
        await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 8}))
        await ws.send_str(
            json.dumps({"method": "UNSUBSCRIBE", "params": ["ethusdt@trade"], "id": 9})
        )
        frames = await _collect(ws, lambda f: {"result": None, "id": 9} in f)
        assert {"result": ["ethusdt@trade"], "id": 8} in frames
        assert sim.stats["subscriptions"] == 0
        await ws.send_str("not json either")
        frames = await _collect(ws, lambda f: any("code" in x for x in f if isinstance(x, dict)))
        assert frames[-1]["code"] == 3  # Binance's answer to a malformed request


async def test_mark_price_once_per_simulated_second_with_funding(
    http: aiohttp.ClientSession,
) -> None:
    async with (
        SimExchange(seed=2, time_scale=10.0, start_ms=START_MS) as sim,
        http.ws_connect(f"{sim.base_url}/market/ws/1") as ws,
    ):
        await _subscribe(ws, ["btcusdt@markPrice@1s", "solusdt@aggTrade"], 1)
        started = time.monotonic()
        frames = await _collect(ws, lambda f: len(_events(f, "markPriceUpdate")) >= 10)
        elapsed = time.monotonic() - started
        marks = _events(frames, "markPriceUpdate")
        stamps = [m["E"] for m in marks]
        assert all(b - a == 1000 for a, b in itertools.pairwise(stamps))
        assert elapsed < 10 / 10 * 3  # 10 simulated seconds at 10× in about 1 s
        assert all(m["s"] == "BTCUSDT" and "r" in m and "i" in m for m in marks)
        assert all(m["T"] > m["E"] for m in marks)
        assert _events(frames, "aggTrade")[0]["s"] == "SOLUSDT"


async def test_combined_stream_url_wraps_frames(http: aiohttp.ClientSession) -> None:
    async with SimExchange(seed=2, time_scale=5.0, start_ms=START_MS) as sim:
        url = f"{sim.base_url}/stream?streams=btcusdt@trade/ethusdt@markPrice@1s"
        async with http.ws_connect(url) as ws:
            frames = await _collect(ws, lambda f: len({x["stream"] for x in f}) == 2)
            assert {x["stream"] for x in frames} == {"btcusdt@trade", "ethusdt@markPrice@1s"}
            assert all("data" in x for x in frames)


async def test_force_order_throttled_to_one_per_symbol_second(
    http: aiohttp.ClientSession,
) -> None:
    async with (
        SimExchange(seed=3, time_scale=10.0, scenario="cascade", start_ms=START_MS) as sim,
        http.ws_connect(f"{sim.base_url}/market/ws/0") as ws,
    ):
        await _subscribe(ws, ["!forceOrder@arr"], 1)
        sim.trigger("BTC/USDT:USDT", "long")
        sim.trigger("SOL/USDT:USDT", "long")
        frames = await _collect(ws, lambda f: len(_events(f, "forceOrder")) >= 12)
        orders = _events(frames, "forceOrder")
        windows = [(o["o"]["s"], o["o"]["T"] // 1000) for o in orders]
        assert len(windows) == len(set(windows))  # ≤ 1 print per symbol per exchange second
        assert all(o["E"] >= o["o"]["T"] for o in orders)
        sides = [o["o"]["S"] for o in orders]
        assert sides.count("SELL") > len(sides) / 2  # mostly longs force-sold
        stats = sim.stats
        assert stats["liquidations_generated"] > stats["liquidations_pushed"] >= len(orders)


async def test_stall_silences_one_stream_and_keeps_the_socket(
    http: aiohttp.ClientSession,
) -> None:
    async with (
        SimExchange(ONE, seed=4, time_scale=5.0, start_ms=START_MS) as sim,
        http.ws_connect(f"{sim.base_url}/market/ws/0") as ws,
    ):
        await _subscribe(ws, ["btcusdt@aggTrade", "btcusdt@markPrice@1s"], 1)
        await _collect(ws, lambda f: len(_events(f, "aggTrade")) >= 1)
        sim.stall("aggTrade", 1.0)
        stalled_at, stalled_ms = time.monotonic(), sim.now_ms()
        frames = await _collect(ws, lambda f: len(_events(f, "markPriceUpdate")) >= 3)
        assert time.monotonic() - stalled_at < 1.0
        # frames queued before the stall may still arrive; nothing newer does
        assert all(t["E"] <= stalled_ms + 600 for t in _events(frames, "aggTrade"))
        frames = await _collect(
            ws, lambda f: any(t["E"] > stalled_ms + 600 for t in _events(f, "aggTrade")), timeout=5
        )
        assert time.monotonic() - stalled_at >= 0.9  # resumed only after the stall
        assert sim.stats["stalled_aggTrade"] > 0
        with pytest.raises(ValueError, match="stream"):
            sim.stall("depth", 1.0)


async def test_garbage_frames_reach_every_socket(http: aiohttp.ClientSession) -> None:
    async with (
        SimExchange(ONE, seed=4, start_ms=START_MS) as sim,
        http.ws_connect(f"{sim.base_url}/a") as one,
        http.ws_connect(f"{sim.base_url}/b") as two,
    ):
        await _subscribe(one, [], 1)
        await _subscribe(two, [], 1)
        await _collect(one, lambda f: bool(f))
        await _collect(two, lambda f: bool(f))
        assert sim.send_garbage(2) == 2
        for ws in (one, two):
            frames = await _collect(ws, lambda f: len(f) == 2)
            assert all(isinstance(f, str) for f in frames)
            for frame in frames:
                with pytest.raises(ValueError):
                    json.loads(frame)


async def test_drop_connections_closes_every_socket(http: aiohttp.ClientSession) -> None:
    async with (
        SimExchange(ONE, seed=4, time_scale=5.0, start_ms=START_MS) as sim,
        http.ws_connect(f"{sim.base_url}/market/ws/0") as ws,
    ):
        await _subscribe(ws, ["btcusdt@markPrice@1s"], 1)
        await _collect(ws, lambda f: len(f) >= 2)
        assert sim.drop_connections() == 1
        message = await asyncio.wait_for(ws.receive(), 5)
        while message.type == aiohttp.WSMsgType.TEXT:  # frames already in flight
            message = await asyncio.wait_for(ws.receive(), 5)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert sim.stats["connections"] == 0
        assert sim.stats["dropped_connections"] == 1


async def test_clock_runs_at_time_scale_and_stop_is_idempotent() -> None:
    sim = SimExchange(ONE, seed=5, time_scale=20.0, start_ms=START_MS)
    assert sim.now_ms() == START_MS  # not started: the clock waits
    await sim.start()
    wall = time.monotonic()
    await asyncio.sleep(0.3)
    elapsed_sim = sim.now_ms() - START_MS
    assert 20 * 0.3 * 1000 <= elapsed_sim <= 20 * (time.monotonic() - wall) * 1000 + 50
    await sim.stop()
    await sim.stop()
    with pytest.raises(ValueError):
        SimExchange(time_scale=0)
    with pytest.raises(ValueError, match="side"):
        sim.trigger("BTC/USDT:USDT", "sideways")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_serve_runs_until_cancelled(http: aiohttp.ClientSession) -> None:
    port = _free_port()
    task = asyncio.create_task(serve(port, seed=1, symbols=["BTC/USDT:USDT"], scenario="calm"))
    url = f"http://127.0.0.1:{port}/fapi/v1/exchangeInfo"

    async def _up() -> Any:
        while True:
            try:
                return await _get(http, url)
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)

    status, info = await asyncio.wait_for(_up(), 10)
    assert status == 200 and info["symbols"][0]["symbol"] == "BTCUSDT"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(aiohttp.ClientConnectionError):
        await _get(http, url)


def _raised(exc: Exception) -> Exception:
    try:
        raise exc
    except Exception as caught:
        return caught


def test_a_failure_that_persists_is_logged_once_then_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    failures = TickFailures(every_s=60.0, clock=lambda: now[0])
    bybit = "simulated bybit venue failed in a tick"
    with caplog.at_level("ERROR", logger="scalptui.feed.sim"):
        for k in range(600):  # a minute of ticks, ten a second; the message varies
            failures.report(bybit, _raised(KeyError(f"ETHUSDT@{k}")))
            now[0] += 0.1
        failures.report("simulated okx venue failed in a tick", _raised(ValueError("bad")))
        failures.report(bybit, _raised(KeyError("ETHUSDT@600")))
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == bybit
    assert caplog.records[0].exc_info is not None  # the first time, with its traceback
    assert lines[1] == "simulated okx venue failed in a tick"  # another failure: in full
    assert lines[2] == f"{bybit} again, 600 times in 60 s: KeyError: 'ETHUSDT@600'"
    assert len(lines) == 3
