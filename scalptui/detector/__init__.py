"""The deterministic core: events in, ladder estimates and informational alerts out.

Imports neither textual nor ccxt (tests/test_architecture.py checks it).
"""
