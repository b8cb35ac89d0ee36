"""Running ccxt's own code on recorded frames, with no network.

``OfflineFeed`` is the real ``CcxtFeed`` with two seams closed: ccxt's REST
layer (``exchange.fetch``) answers from fixture files, and no stream connects.
Frames are then pushed through a real ccxt ``Client`` of that exchange
(``client.handle_text_or_binary_message`` — ccxt's decode and
``exchange.handle_message``), so every parser is tested on ccxt's real code.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scalptui.feed.ccxt_feed import CcxtFeed
from scalptui.models import Event

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feed"

Route = Callable[[Mapping[str, list[str]]], Any]


def fixture_json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def fixture_lines(name: str) -> list[str]:
    return [line for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


def docs_example(name: str, label: str = "Response Example") -> Any:
    """The JSON of one example in an exchange-docs-examples file."""
    doc = fixture_json(name)
    return next(e["json"] for e in doc["examples"] if e["label"] == label)


class OfflineRest:
    """Stands in for ccxt's ``Exchange.fetch``: URL path suffix → payload (or a function)."""

    def __init__(self, routes: Mapping[str, Any]) -> None:
        self.routes = dict(routes)
        self.calls: list[str] = []

    async def __call__(
        self, url: str, method: str = "GET", headers: Any = None, body: Any = None
    ) -> Any:
        import ccxt

        parts = urlsplit(url)
        self.calls.append(parts.path)
        for suffix, payload in self.routes.items():
            if parts.path.endswith(suffix):
                return payload(parse_qs(parts.query)) if callable(payload) else payload
        raise ccxt.BadRequest(f"offline: no fixture for {parts.path}")


class OfflineFeed(CcxtFeed):
    """CcxtFeed whose REST answers come from fixtures and whose streams never connect."""

    def __init__(
        self,
        exchange_id: str,
        symbols: list[str],
        routes: Mapping[str, Any],
        *,
        hot_trades: bool = True,
    ) -> None:
        super().__init__(exchange_id, symbols, hot_trades=hot_trades)
        self.rest = OfflineRest(routes)

    def _configure_exchange(self, ex: Any) -> None:
        ex.fetch = self.rest
        ex.enableRateLimit = False  # no real venue to spare
        ex.timeout_on_exit = 0  # nothing in flight to wait for on close

    async def _run_stream(self, stream: Any) -> None:
        return None

    async def _poll(self, stream: Any) -> None:
        return None

    @property
    def ccxt(self) -> Any:
        return self._ex

    def client(self) -> Any:
        """A real ccxt Client of this exchange (guarded like every client the feed uses)."""
        return self._ex.client("wss://offline.invalid/ws")

    def feed_frames(self, frames: list[str]) -> None:
        client = self.client()
        for frame in frames:
            client.handle_text_or_binary_message(frame)

    async def settle_registered(self) -> None:
        """Let the per-symbol start-up tasks register their streams (and taps)."""
        for _ in range(200):
            if all(f"trades:{s}" in self._streams for s in self.symbols):
                return
            await asyncio.sleep(0.005)

    async def settle(self) -> list[Event]:
        """``settle_registered``, then take everything queued so far."""
        await self.settle_registered()
        return self.pending()

    def pending(self) -> list[Event]:
        """Every event queued so far."""
        out: list[Event] = []
        while not self._queue.empty():
            out.append(self._queue.get_nowait())
        return out
