"""De-duplication of liquidation prints.

A reconnect re-subscribes and the venue may replay its latest print; reading
ccxt's cache and its handler can also meet the same print twice. A print is keyed
on (exchange, symbol, time, side, price, amount) (docs/design.md § Staleness).
"""

from __future__ import annotations

from collections import deque

from scalptui.models import Liquidation

LiquidationKey = tuple[str, str, int, str, float, float]


def liquidation_key(liq: Liquidation) -> LiquidationKey:
    return (liq.exchange, liq.symbol, liq.ts, liq.side.value, liq.price, liq.amount)


class LiquidationDeduper:
    """Remembers the last ``capacity`` prints; O(1) per print, bounded memory.

    A replayed print arrives within seconds of the original, far inside a
    window of thousands of prints, so a bounded memory loses nothing real.
    """

    def __init__(self, capacity: int = 8192) -> None:
        self._capacity = capacity
        self._seen: set[LiquidationKey] = set()
        self._order: deque[LiquidationKey] = deque()

    def is_new(self, liq: Liquidation) -> bool:
        """True the first time a print is seen (and remember it), False for a repeat."""
        key = liquidation_key(liq)
        if key in self._seen:
            return False
        self._seen.add(key)
        self._order.append(key)
        if len(self._order) > self._capacity:
            self._seen.discard(self._order.popleft())
        return True

    def __len__(self) -> int:
        return len(self._order)
