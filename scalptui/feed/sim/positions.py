"""One leveraged position of the simulated market, and where it is liquidated.

Separate from the market model because the invented market (``market.py``) and the
recorded-path market (``path.py``) build their populations from the same records and
formulas.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Lot:
    lot_id: int
    long: bool
    qty: float
    entry: float
    leverage: float  # effective: a margin top-up lowers it
    liq_price: float
    stop: float | None
    alive: bool = True


def liquidation_price(entry: float, leverage: float, mmr: float, long: bool) -> float:
    """Isolated-margin liquidation price (fees ignored), as docs/design.md § Projection states."""
    if long:
        return entry * (1 - 1 / leverage) / (1 - mmr)
    return entry * (1 + 1 / leverage) / (1 + mmr)


def bankruptcy_price(entry: float, leverage: float, long: bool) -> float:
    return entry * (1 - 1 / leverage) if long else entry * (1 + 1 / leverage)
