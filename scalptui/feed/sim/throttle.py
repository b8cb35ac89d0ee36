"""Binance's ``@forceOrder`` sampling of the liquidation stream.

Separate from the market model because it is not the market: it is how one venue
*publishes* the market's forced closes (Bybit and OKX publish them otherwise), used
by the Binance server and the venues that sample the same way.
"""

from __future__ import annotations

from scalptui.feed.sim.events import SimLiquidation


class ForceOrderThrottle:
    """Binance's ``@forceOrder`` sampling: per symbol, the latest liquidation of each
    1000 ms window of exchange time, pushed when the window closes.

    The real stream is therefore a lower bound of what was liquidated.
    """

    def __init__(self) -> None:
        self._pending: dict[str, SimLiquidation] = {}
        self.generated = 0
        self.pushed = 0

    def offer(self, liquidation: SimLiquidation) -> SimLiquidation | None:
        """Take one liquidation; return the previous window's print if this one closes it."""
        self.generated += 1
        previous = self._pending.get(liquidation.symbol)
        self._pending[liquidation.symbol] = liquidation
        if previous is not None and previous.ts // 1000 != liquidation.ts // 1000:
            self.pushed += 1
            return previous
        return None

    def flush(self, now_ms: int) -> list[SimLiquidation]:
        """Prints whose window has ended by ``now_ms``."""
        due = [liq for liq in self._pending.values() if (liq.ts // 1000 + 1) * 1000 <= now_ms]
        for liq in due:
            del self._pending[liq.symbol]
        self.pushed += len(due)
        return due
