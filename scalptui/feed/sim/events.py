"""What the simulated market emits: trades, forced closes and mark-price updates.

Separate from the market model because every venue renderer (Binance, Bybit, OKX),
the throttle and the harnesses read these records and need nothing else of the model.
Also the running totals of what was emitted (``Counters``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TakerSide = Literal["BUY", "SELL"]


@dataclass(frozen=True, slots=True)
class SimTrade:
    symbol: str
    ts: int
    trade_id: int
    price: float
    qty: float
    taker: TakerSide


@dataclass(frozen=True, slots=True)
class SimLiquidation:
    """One forced close. ``order_side`` is the liquidation order's side (SELL = a long)."""

    symbol: str
    ts: int
    order_side: TakerSide
    price: float  # the order's price: the position's bankruptcy price
    avg_price: float  # where it filled
    qty: float


@dataclass(frozen=True, slots=True)
class SimMark:
    symbol: str
    ts: int
    mark: float
    index: float
    funding_rate: float
    next_funding_ts: int


SimEvent = SimTrade | SimLiquidation | SimMark


@dataclass(slots=True)
class Counters:
    """Running totals, for ``SimExchange.stats`` and the tests."""

    trades: int = 0
    liquidations: int = 0
    liquidated_usd: float = 0.0
    stops: int = 0
    lots_opened: int = 0
    lots_closed: int = 0
    shocks: int = 0
