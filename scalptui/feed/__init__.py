"""Market data in: ccxt.pro adapters, recordings, and the simulated exchange.

Never imports textual (tests/test_architecture.py checks it).
"""
