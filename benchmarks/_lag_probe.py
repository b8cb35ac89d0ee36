"""Frame-arrival → detector lag, measured inside the real app (headless or TUI).

``bench_burst.py`` starts the app as ``python benchmarks/_lag_probe.py OUT.json
-- <scalptui arguments>``: this installs the probe, then runs ``scalptui``'s own
``main`` with those arguments, so the app is the product, unchanged, plus these
few hooks:

* the socket read: aiohttp's ``ResponseHandler.data_received`` is the moment a
  chunk of bytes leaves the socket; every WebSocket message the chunk completes
  (what it appends to the connection's message buffer) is stamped with that
  time (``time.monotonic``);
* ccxt's ``Client.handle_message`` takes that stamp for the frame it handles, and
  every event the feed queues while ccxt handles the frame carries it;
* the feed's ``_push`` stamps each such event again as it enters the queue;
* the detector's ``on_event`` (either detector) records, once it returns, the
  lag of each stamped event (and the part of it spent after the feed queued it)
  and counts liquidations per venue.

On exit the probe writes OUT.json: the processing times and lags (s), the
liquidations counted per venue with their processing times, the trades/marks
each venue's queue shed, and the duplicates and reconnects the feeds counted.
"""

from __future__ import annotations

import atexit
import json
import sys
import time
from array import array
from collections import Counter
from typing import Any

_stamps: dict[int, tuple[float, float]] = {}
"""id(event) → (its frame's arrival, when the feed queued it)."""
_frame_arrival: dict[int, float] = {}
_current: list[float | None] = [None]
processed_at = array("d")
lags = array("d")
queue_lags = array("d")
"""Of each lag, the part after the feed queued the event (the rest: socket buffer → ccxt)."""
venue_index = array("b")
VENUE_ORDER = ("binanceusdm", "bybit", "okx")
liquidations: dict[str, list[float]] = {}
feeds: list[Any] = []


def _hook_socket() -> None:
    from aiohttp import client_proto

    original = client_proto.ResponseHandler.data_received

    def data_received(self: Any, data: bytes) -> None:
        now = time.monotonic()
        queue = self._payload
        buffer = getattr(queue, "_buffer", None)
        before = len(buffer) if buffer is not None else 0
        original(self, data)
        if buffer is not None:
            for index in range(before, len(buffer)):
                _frame_arrival[id(buffer[index][0])] = now

    client_proto.ResponseHandler.data_received = data_received  # type: ignore[method-assign]


def _hook_ccxt() -> None:
    from ccxt.async_support.base.ws.client import Client

    original = Client.handle_message

    def handle_message(self: Any, message: Any) -> Any:
        _current[0] = _frame_arrival.pop(id(message), None)
        try:
            return original(self, message)
        finally:
            _current[0] = None

    Client.handle_message = handle_message


def _hook_feed() -> None:
    from scalptui.feed.ccxt_feed import CcxtFeed

    original_push = CcxtFeed._push
    original_init = CcxtFeed.__init__

    def push(self: CcxtFeed, event: Any) -> None:
        arrival = _current[0]
        if arrival is not None:
            _stamps[id(event)] = (arrival, time.monotonic())
        dropped = self._counters["dropped_events"]
        original_push(self, event)
        if arrival is not None and self._counters["dropped_events"] != dropped:
            _stamps.pop(id(event), None)  # shed: it never reaches the detector

    def init(self: CcxtFeed, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        feeds.append(self)

    CcxtFeed._push = push  # type: ignore[method-assign]
    CcxtFeed.__init__ = init  # type: ignore[method-assign]


def _hook_detectors() -> None:
    from scalptui.detector import Detector
    from scalptui.detector.assets import AssetDetector
    from scalptui.models import Liquidation

    depth = [0]  # the asset detector hands each event to a venue's Detector: count once

    for cls in (AssetDetector, Detector):
        original = cls.on_event

        def on_event(self: Any, event: Any, _original: Any = original) -> Any:
            depth[0] += 1
            try:
                out = _original(self, event)
            finally:
                depth[0] -= 1
            if depth[0]:
                return out
            now = time.monotonic()
            stamp = _stamps.pop(id(event), None)
            if stamp is not None:
                arrival, queued = stamp
                processed_at.append(now)
                lags.append(now - arrival)
                queue_lags.append(now - queued)
                exchange = event.exchange
                venue_index.append(VENUE_ORDER.index(exchange) if exchange in VENUE_ORDER else -1)
            if type(event) is Liquidation:
                liquidations.setdefault(event.exchange, []).append(now)
            return out

        cls.on_event = on_event  # type: ignore[method-assign,assignment]


def _dump(path: str) -> None:
    counters: Counter[str] = Counter()
    shed: Counter[str] = Counter()
    for feed in feeds:
        for key in ("duplicate_liquidations", "reconnects", "malformed_frames"):
            counters[f"{feed.exchange}.{key}"] += feed.stats.get(key, 0)
        shed[feed.exchange] += feed.shed_events[feed.exchange]
    out = {
        "processed_at": processed_at.tolist(),
        "lags": lags.tolist(),
        "queue_lags": queue_lags.tolist(),
        "venues": [VENUE_ORDER[i] if i >= 0 else "" for i in venue_index],
        "liquidations": liquidations,
        "shed": dict(shed),
        "counters": dict(counters),
        "unclaimed_stamps": len(_stamps),
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(out, fh)


def install(out_path: str) -> None:
    _hook_socket()
    _hook_ccxt()
    _hook_feed()
    _hook_detectors()
    atexit.register(_dump, out_path)


if __name__ == "__main__":
    out_path, sep, *app_args = sys.argv[1:]
    if sep != "--":
        raise SystemExit("usage: _lag_probe.py OUT.json -- <scalptui arguments>")
    install(out_path)
    from scalptui.cli import main

    sys.argv = ["scalptui", *app_args]
    sys.exit(main(app_args))
