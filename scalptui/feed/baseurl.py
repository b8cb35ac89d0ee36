"""``--base-url``: point a ccxt exchange's REST and WebSocket hosts at another server.

The rule (docs/design.md § Exchanges and their quirks, ``--base-url``): every REST host
of the exchange becomes the URL's scheme, host and port, and a path in the URL is prefixed to
every REST path; every WebSocket host becomes ``ws://`` (for an ``http`` URL) or
``wss://`` (for ``https``) plus the URL's host and port, keeping the paths ccxt
uses. So ``https://fapi.binance.com/fapi/v1`` with ``http://127.0.0.1:8080/p``
becomes ``http://127.0.0.1:8080/p/fapi/v1`` and
``wss://fstream.binance.com/ws`` becomes ``ws://127.0.0.1:8080/ws``.

The rewrite walks ``exchange.urls['api']`` generically (nested dicts and
strings), so it works for binanceusdm, bybit and okx alike, and for any ccxt
exchange that keeps its endpoints there. Placeholders such as ``{hostname}``
vanish with the host they were part of. Call it after ``set_sandbox_mode``,
which swaps the whole table.

This module does not import ccxt: it only mutates the instance it is given.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

_WS_SCHEME_FOR = {"http": "ws", "https": "wss"}


def parse_base_url(url: str) -> SplitResult:
    """Validate ``url`` for ``--base-url`` and return its parts.

    Raises ValueError (one clear line) for anything but an http(s) URL with a
    host and no query or fragment.
    """
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ValueError(f"--base-url {url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in _WS_SCHEME_FOR or not parts.hostname:
        raise ValueError(
            f"--base-url {url!r} needs a scheme and a host, e.g. http://127.0.0.1:8080"
            " (http or https; WebSocket hosts follow as ws:// or wss://)"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"--base-url {url!r} must not carry a query or a fragment")
    return parts


def rewrite_rest_url(original: str, base: SplitResult) -> str:
    """Move one REST endpoint onto ``base``, prefixing base's path to the original path."""
    path = base.path.rstrip("/") + urlsplit(original).path
    return urlunsplit((base.scheme, base.netloc, path, "", ""))


def rewrite_ws_url(original: str, base: SplitResult) -> str:
    """Move one WebSocket endpoint onto ``base``'s host and port, keeping ccxt's path."""
    kept = urlsplit(original)
    return urlunsplit((_WS_SCHEME_FOR[base.scheme], base.netloc, kept.path, kept.query, ""))


def _rewrite(value: Any, base: SplitResult) -> Any:
    if isinstance(value, dict):
        return {key: _rewrite(item, base) for key, item in value.items()}
    if isinstance(value, list):
        return [_rewrite(item, base) for item in value]
    if not isinstance(value, str):
        return value
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme in ("http", "https"):
        return rewrite_rest_url(value, base)
    if scheme in ("ws", "wss"):
        return rewrite_ws_url(value, base)
    return value  # not an endpoint (a version string, a flag): leave it alone


def apply_base_url(exchange: Any, url: str) -> None:
    """Point every REST and WebSocket host of a ccxt ``exchange`` at ``url`` (in place).

    Raises ValueError for a URL without an http(s) scheme or a host, and when
    the exchange has no ``urls['api']`` table to rewrite.
    """
    base = parse_base_url(url)
    urls = getattr(exchange, "urls", None)
    if not isinstance(urls, dict) or not isinstance(urls.get("api"), dict | str):
        name = getattr(exchange, "id", type(exchange).__name__)
        raise ValueError(f"exchange {name!r} has no urls['api'] table to point at {url!r}")
    urls["api"] = _rewrite(urls["api"], base)
