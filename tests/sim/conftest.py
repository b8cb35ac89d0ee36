"""Shared fixtures: a simulated exchange and an unmodified ccxt.pro client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from scalptui.feed.baseurl import apply_base_url
from scalptui.feed.sim import SimExchange

START_MS = 1_767_225_600_000  # 2026-01-01T00:00Z


def make_binance(base_url: str) -> Any:
    """Unmodified ccxt.pro binanceusdm, pointed at ``base_url``."""
    import ccxt.pro

    # timeout_on_exit only serves TLS shutdown, and there is no TLS on loopback
    exchange = ccxt.pro.binanceusdm({"timeout_on_exit": 0, "timeout": 5000})
    apply_base_url(exchange, base_url)
    return exchange


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimExchange]:
    """BTC only (cheap to start), running 5× faster than the wall clock."""
    async with SimExchange(
        ["BTC/USDT:USDT"], seed=7, time_scale=5.0, start_ms=START_MS
    ) as exchange:
        yield exchange


@pytest_asyncio.fixture
async def binance(sim: SimExchange) -> AsyncIterator[Any]:
    exchange = make_binance(sim.base_url)
    try:
        yield exchange
    finally:
        await exchange.close()
