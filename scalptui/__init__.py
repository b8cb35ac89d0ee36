"""scalptui: a terminal monitor for crypto perpetual futures.

Estimated liquidation clusters and informational cascade / squeeze alerts,
fed by ccxt.pro streams and one shared in-process detector.
"""

__version__ = "0.1.0"
