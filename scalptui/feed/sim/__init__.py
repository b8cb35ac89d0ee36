"""The simulated exchange: a mechanistic leveraged market behind a Binance USDⓈ-M
REST + WebSocket server on loopback, for ``--demo``, ``scalptui sim`` and the tests.

Importing this package never imports ccxt.
"""

from scalptui.feed.sim.server import SimExchange, serve

__all__ = ["SimExchange", "serve"]
