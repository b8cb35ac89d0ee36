"""Taps into one ccxt.pro exchange instance: every parsed item, every frame, every URL.

ccxt keeps owning the connections, the subscriptions and the parsing; these
hooks only let scalptui see what ccxt already produced, on that one instance:

* **Tap caches.** ``watch_liquidations`` hands its caller one liquidation of a
  burst and leaves the rest in ``exchange.liquidations`` (docs/design.md § ccxt.pro
  pitfalls); ``watch_trades`` keeps ``tradesLimit`` trades between awaits. ccxt's
  handlers append every parsed item to those caches, so a cache whose
  ``append`` also calls a sink sees every item of every burst, in order, at the
  cost of a function call instead of a ``watch_*`` round (measured
  ≈ 1.5 µs against ≈ 65 µs; ``benchmarks/bench_pipeline.py`` prints the split).
  Tickers and funding rates land in plain dicts; a dict whose ``__setitem__``
  calls a sink does the same for them.
* **Frame guard.** A text frame that is not JSON raises inside ccxt's
  ``Client.receive_loop`` and the loop dies silently, so that connection never
  delivers again. Each client's frame handler is wrapped: a frame that is not
  JSON (or that ccxt's handler chokes on) is counted, logged and skipped.
* **Hot frames.** A feed may claim decoded frames before ccxt's handler sees
  them (``scalptui.feed.trade_frames``: the trade frames of watched markets);
  whatever it does not claim goes to ccxt's handler unchanged.
* **URL recorder.** ``watch``/``watch_multiple`` are wrapped to report the URL a
  subscription went to, so the watchdog knows which client carries which stream.

ccxt is imported lazily: this module is importable without it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

ItemSink = Callable[[Any], None]
KeyedSink = Callable[[str, Any], None]
MalformedSink = Callable[[str, Any, BaseException | None], None]
FrameClaim = Callable[[Any], bool]
"""Called with each decoded frame; True: handled, ccxt's handler does not see it."""

_GUARD_MARK = "_scalptui_guarded"
DIAL_DELAY_CAP_S = 1.0
"""The longest ccxt may wait before dialling a URL whose last dials failed."""
_JSON_STARTS = ("{", "[")


def _report_sink_error(exc: Exception) -> None:
    # A sink bug must not escape into ccxt's handler (it would abort the frame).
    log.exception("feed sink failed on a ccxt item: %s", exc)


@functools.cache
def _tap_cache_class() -> type[Any]:
    from ccxt.async_support.base.ws.cache import ArrayCache

    class TapCache(ArrayCache):  # type: ignore[misc]
        """ccxt's ArrayCache that also hands every appended item to a sink."""

        def __init__(self, max_size: int, sink: ItemSink) -> None:
            super().__init__(max_size)
            self.sink = sink

        def append(self, item: Any) -> None:
            super().append(item)
            try:
                self.sink(item)
            except Exception as exc:
                _report_sink_error(exc)

    return TapCache


def tap_cache(max_size: int, sink: ItemSink) -> Any:
    """A ccxt ``ArrayCache`` of ``max_size`` whose every ``append`` also calls ``sink``."""
    return _tap_cache_class()(max_size, sink)


def is_tap_cache(obj: Any) -> bool:
    return isinstance(obj, _tap_cache_class())


class TapDict(dict[str, Any]):
    """A dict that hands every ``d[key] = value`` to a sink (ccxt's tickers, funding rates)."""

    def __init__(self, sink: KeyedSink, initial: dict[str, Any] | None = None) -> None:
        super().__init__(initial or {})
        self.sink = sink

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        try:
            self.sink(key, value)
        except Exception as exc:
            _report_sink_error(exc)


def guard_client(
    client: Any,
    on_malformed: MalformedSink,
    keepalive: frozenset[str],
    claim: FrameClaim | None = None,
    is_current: Callable[[Any], bool] | None = None,
) -> None:
    """Wrap one ccxt Client's frame handler so a bad frame is skipped, not fatal.

    A text frame that does not start like JSON and is not one of the venue's
    ``keepalive`` tokens is skipped without reaching ccxt (ccxt would otherwise
    pass the raw string to the exchange's handler). Anything that raises while
    ccxt decodes or handles a frame is skipped too, so the receive loop lives on.
    ``claim`` sees each decoded frame first (see the module's "Hot frames").

    ``is_current`` says whether the exchange still holds this client. One it no
    longer holds is closed at its first frame and the frame dropped: a client
    closed while it was still dialing (ccxt's ``close`` has no socket to close yet)
    connected afterwards and delivered beside its replacement, every trade twice.
    """
    if getattr(client, _GUARD_MARK, False):
        return
    if claim is not None:
        handle = client.on_message_callback

        def claimed_first(owner: Any, message: Any) -> None:
            if not claim(message):
                handle(owner, message)

        client.on_message_callback = claimed_first
    original = client.handle_text_or_binary_message
    url = str(client.url)

    def guarded(data: Any) -> None:
        if is_current is not None and not is_current(client):
            _close_stale(client, url)
            return
        is_text = isinstance(data, str)
        if is_text and data.lstrip()[:1] not in _JSON_STARTS and data.strip() not in keepalive:
            on_malformed(url, data, None)
            return
        try:
            original(data)
        except Exception as exc:
            on_malformed(url, data, exc)

    client.handle_text_or_binary_message = guarded
    setattr(client, _GUARD_MARK, True)


_STALE_MARK = "_scalptui_stale"
_closing: set[asyncio.Task[Any]] = set()


def _close_stale(client: Any, url: str) -> None:
    """Close, once, a client the exchange no longer holds that still delivers."""
    if getattr(client, _STALE_MARK, False):
        return
    setattr(client, _STALE_MARK, True)
    log.warning("%s: a connection already replaced still delivered; closed", url)
    task = asyncio.ensure_future(client.close())
    _closing.add(task)  # held until done: a task only the loop refers to may be collected
    task.add_done_callback(_closed)


def _closed(task: asyncio.Task[Any]) -> None:
    _closing.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.debug("closing a replaced connection: %s", task.exception())


def install_client_hooks(
    exchange: Any,
    on_url: Callable[[str], None],
    on_malformed: MalformedSink,
    keepalive: frozenset[str],
    claim: FrameClaim | None = None,
) -> None:
    """Guard every client the exchange creates and report every subscription's URL."""
    original_client = exchange.client

    def client(url: str) -> Any:
        created = original_client(url)
        guard_client(created, on_malformed, keepalive, claim, is_current)
        return created

    def is_current(candidate: Any) -> bool:
        clients = exchange.clients or {}
        return clients.get(candidate.url) is candidate

    original_on_close = exchange.on_close

    def on_close(closed: Any, error: Any) -> None:
        # ccxt forgets a closed client by its URL alone: closing one already replaced
        # (above, or a silent one the supervisor dropped) forgot its live replacement,
        # whose next frame then read as a replaced client's, and so on.
        if is_current(closed):
            original_on_close(closed, error)

    exchange.on_close = on_close
    cap_dial_delay(exchange)

    exchange.client = client

    for name in ("watch", "watch_multiple"):
        original = getattr(exchange, name)

        def recording(url: str, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            on_url(url)
            return _original(url, *args, **kwargs)

        setattr(exchange, name, recording)


def cap_dial_delay(exchange: Any) -> None:
    """Cap ccxt's own per-URL dial back-off at ``DIAL_DELAY_CAP_S``.

    ccxt (4.5.90 on) doubles a URL's wait before each dial after a failed one, up to
    30 s, on top of the stream supervisor's jittered back-off, which already spaces
    the re-subscriptions and wakes every stream once one is back. Stacked, a stream
    of a venue back from a 12 s outage stayed dark 13 s more, until the watchdog
    read the client sleeping out ccxt's wait as silent. Capped, the wait still makes
    the streams that reconnect together share one dial per URL, at most one every
    ``DIAL_DELAY_CAP_S`` (Binance allows 300 connections per 5 minutes per IP).
    """
    original = getattr(exchange, "ws_dial_delay", None)
    if original is None:  # a ccxt without its own dial back-off: nothing stacks
        return

    def capped(url: str) -> float:
        return min(float(original(url)), DIAL_DELAY_CAP_S)

    exchange.ws_dial_delay = capped
