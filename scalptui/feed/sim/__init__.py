"""The simulated exchange: a mechanistic leveraged market behind a loopback REST +
WebSocket server speaking Binance USDⓈ-M, Bybit v5 and OKX v5, for ``--demo``,
``scalptui sim`` and the tests.

Importing this package never imports ccxt.
"""

from scalptui.feed.sim.server import SimExchange, serve

__all__ = ["SimExchange", "serve"]
