"""Shared fixtures: a simulated exchange and an unmodified ccxt.pro client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from scalptui.feed.baseurl import apply_base_url
from scalptui.feed.sim import SimExchange

START_MS = 1_767_225_600_000  # 2026-01-01T00:00Z


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimExchange]:
    async with SimExchange(
        seed=7, time_scale=5.0, scenario="cascade", start_ms=START_MS
    ) as exchange:
        yield exchange


@pytest_asyncio.fixture
async def binance(sim: SimExchange) -> AsyncIterator[Any]:
    import ccxt.pro

    # timeout_on_exit only serves TLS shutdown, and there is no TLS on loopback
    exchange = ccxt.pro.binanceusdm({"timeout_on_exit": 0, "timeout": 5000})
    apply_base_url(exchange, sim.base_url)
    try:
        yield exchange
    finally:
        await exchange.close()
