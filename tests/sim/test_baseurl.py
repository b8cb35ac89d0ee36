"""``--base-url`` rewriting on real ccxt.pro instances (instantiating connects nothing)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from scalptui.feed.baseurl import apply_base_url


def _endpoints(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _endpoints(item)
    elif isinstance(value, str) and "://" in value:
        yield value


@pytest.fixture
async def exchanges() -> AsyncIterator[dict[str, Any]]:
    import ccxt.pro

    # timeout_on_exit only serves TLS shutdown; nothing here connects
    made = {
        name: getattr(ccxt.pro, name)({"timeout_on_exit": 0})
        for name in ("binanceusdm", "bybit", "okx")
    }
    yield made
    for exchange in made.values():
        await exchange.close()


@pytest.mark.parametrize("name", ["binanceusdm", "bybit", "okx"])
async def test_every_endpoint_moves_to_the_base_host(exchanges: dict[str, Any], name: str) -> None:
    exchange = exchanges[name]
    before = list(_endpoints(exchange.urls["api"]))
    apply_base_url(exchange, "http://127.0.0.1:8765")
    after = list(_endpoints(exchange.urls["api"]))
    assert len(after) == len(before) > 1
    for old, new in zip(before, after, strict=True):
        parts = urlsplit(new)
        assert parts.netloc == "127.0.0.1:8765"
        assert "{hostname}" not in new
        was_ws = old.startswith(("ws://", "wss://"))
        assert parts.scheme == ("ws" if was_ws else "http")
        assert parts.path == urlsplit(old).path  # ccxt's own paths are kept


async def test_binanceusdm_rest_and_ws_urls_as_ccxt_builds_them(
    exchanges: dict[str, Any],
) -> None:
    exchange = exchanges["binanceusdm"]
    apply_base_url(exchange, "http://127.0.0.1:8765")
    signed = exchange.sign("exchangeInfo", ["fapiPublic"], "GET", {})
    assert signed["url"] == "http://127.0.0.1:8765/fapi/v1/exchangeInfo"
    hist = exchange.sign("openInterestHist", ["fapiData"], "GET", {"symbol": "BTCUSDT"})
    assert hist["url"] == "http://127.0.0.1:8765/futures/data/openInterestHist?symbol=BTCUSDT"
    # ccxt 4.5.90 routes linear streams by category: /market/ws and /public/ws
    assert exchange.get_ws_url("linear", "market") == "ws://127.0.0.1:8765/market/ws"
    assert exchange.get_ws_url("linear", "public") == "ws://127.0.0.1:8765/public/ws"


async def test_https_base_gives_wss_and_a_path_prefixes_rest_only(
    exchanges: dict[str, Any],
) -> None:
    exchange = exchanges["binanceusdm"]
    apply_base_url(exchange, "https://proxy.example:8443/relay/")
    signed = exchange.sign("premiumIndex", ["fapiPublic"], "GET", {})
    assert signed["url"] == "https://proxy.example:8443/relay/fapi/v1/premiumIndex"
    assert exchange.get_ws_url("linear", "market") == "wss://proxy.example:8443/market/ws"


async def test_bybit_and_okx_urls_as_ccxt_builds_them(exchanges: dict[str, Any]) -> None:
    bybit, okx = exchanges["bybit"], exchanges["okx"]
    apply_base_url(bybit, "http://127.0.0.1:9000/p")
    apply_base_url(okx, "http://127.0.0.1:9000")
    assert (
        bybit.sign("v5/market/time", ["public"], "GET", {})["url"]
        == "http://127.0.0.1:9000/p/v5/market/time"
    )
    assert bybit.urls["api"]["ws"]["public"]["linear"] == "ws://127.0.0.1:9000/v5/public/linear"
    assert (
        okx.sign("public/time", ["public"], "GET", {})["url"]
        == "http://127.0.0.1:9000/api/v5/public/time"
    )
    assert okx.urls["api"]["ws"] == "ws://127.0.0.1:9000/ws/v5"


@pytest.mark.parametrize(
    "bad",
    ["127.0.0.1:8080", "localhost", "", "http://", "ftp://host", "ws://host:1", "http://h:x"],
)
async def test_url_without_http_scheme_or_host_is_refused(
    exchanges: dict[str, Any], bad: str
) -> None:
    exchange = exchanges["binanceusdm"]
    before = exchange.urls["api"]["fapiPublic"]
    with pytest.raises(ValueError, match="base-url"):
        apply_base_url(exchange, bad)
    assert exchange.urls["api"]["fapiPublic"] == before


def test_object_without_urls_is_refused() -> None:
    with pytest.raises(ValueError, match="urls"):
        apply_base_url(object(), "http://127.0.0.1:1")


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8793"),
        ("::1", "http://[::1]:8793"),
        ("localhost", "http://localhost:8793"),
    ],
)
def test_the_simulator_prints_a_url_a_client_can_read(host: str, url: str) -> None:
    """``sim --host ::1`` printed ``http://::1:8793``, which ``--base-url`` refused."""
    from scalptui.feed.sim.server import base_url_for

    assert base_url_for(host, 8793) == url
    assert urlsplit(url).port == 8793
