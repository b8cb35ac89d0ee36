"""Suggesting the symbol a user meant, for any venue (real or simulated)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(wanted: str, known: Iterable[str]) -> str:
    """``"; did you mean BTC/USDT:USDT?"`` or ``""`` when nothing is close."""
    hint = closest_symbol(wanted, known)
    return f"; did you mean {hint}?" if hint else ""


def closest_symbol(wanted: str, known: Iterable[str]) -> str | None:
    """The listed symbol a mistyped one most likely meant, or None.

    ``BTCUSDT`` (an exchange id), ``btc``, ``BTC/USDT``, ``BTC/USDT:USDT`` all
    point to ``BTC/USDT:USDT``; a near miss of the base (``ETHH``) to the closest
    base by ``difflib``. Among several markets of one base, the USDT-settled
    perpetual wins. Used for the simulated exchange and for real venues alike.
    """
    by_base: dict[str, list[str]] = {}
    for symbol in known:
        by_base.setdefault(symbol.partition("/")[0].upper(), []).append(symbol)
    if not by_base:
        return None
    head = wanted.partition("/")[0].partition(":")[0].upper().replace("-", "").replace("_", "")
    guesses = [head]
    for quote in ("USDT", "USDC", "USD", "BUSD"):
        if head.endswith(quote) and len(head) > len(quote):
            guesses.append(head[: -len(quote)])
    for guess in (*guesses, *(f"1000{g}" for g in guesses)):
        if guess in by_base:
            return _preferred(by_base[guess])
    for guess in guesses:
        near = difflib.get_close_matches(guess, list(by_base), n=1, cutoff=0.75)
        if near:
            return _preferred(by_base[near[0]])
    return None


def _preferred(symbols: list[str]) -> str:
    for symbol in symbols:
        if symbol.endswith("/USDT:USDT"):
            return symbol
    return sorted(symbols)[0]
