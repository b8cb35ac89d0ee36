"""Per-symbol facts of the simulated market: price scale, tick, size, depth, open interest.

Magnitudes follow Binance USDⓈ-M in 2025–26 (BTC ≈ 100 000 with ≈ 80 000 BTC of
open interest, ETH ≈ 3 500, SOL ≈ 150); any other symbol gets a generic small-cap
profile derived deterministically from its name.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """Static description of one simulated perpetual.

    ``depth_usd`` is the book's resilience: a market order of that many USD moves
    the log price by 1.0 (so ``depth_usd / 100`` moves it by about 1 %).
    ``vol_per_s`` is the calm volatility of the log price per √second.
    ``lot_usd`` is the median notional of one leveraged position.
    """

    symbol: str
    market_id: str
    base: str
    quote: str
    price: float
    tick: float
    qty_step: float
    open_interest: float
    lot_usd: float
    depth_usd: float
    vol_per_s: float
    max_leverage: int
    mmr: float
    funding_interval_h: int
    price_decimals: int
    qty_decimals: int


def _decimals(step: float) -> int:
    return max(0, round(-math.log10(step))) if step < 1 else 0


_KNOWN: dict[str, dict[str, float | int]] = {
    "BTC": {
        "price": 100_000.0,
        "tick": 0.1,
        "qty_step": 0.001,
        "open_interest": 80_000.0,
        "lot_usd": 20_000.0,
        "depth_usd": 2.5e9,
        "vol_per_s": 9e-5,
        "max_leverage": 125,
        "mmr": 0.004,
        "funding_interval_h": 8,
    },
    "ETH": {
        "price": 3_500.0,
        "tick": 0.01,
        "qty_step": 0.001,
        "open_interest": 2_000_000.0,
        "lot_usd": 12_000.0,
        "depth_usd": 1.3e9,
        "vol_per_s": 1.2e-4,
        "max_leverage": 125,
        "mmr": 0.004,
        "funding_interval_h": 8,
    },
    "SOL": {
        "price": 150.0,
        "tick": 0.01,
        "qty_step": 0.01,
        "open_interest": 8_000_000.0,
        "lot_usd": 6_000.0,
        "depth_usd": 5e8,
        "vol_per_s": 1.6e-4,
        "max_leverage": 100,
        "mmr": 0.005,
        "funding_interval_h": 4,
    },
}


def split_symbol(symbol: str) -> tuple[str, str, str]:
    """``BTC/USDT:USDT`` → (``BTC``, ``USDT``, ``BTCUSDT``); ValueError for anything else."""
    base, sep, rest = symbol.partition("/")
    quote = rest.partition(":")[0]
    if not sep or not base or not quote or not (base + quote).isalnum():
        raise ValueError(f"simulated symbol {symbol!r} is not of the form BASE/QUOTE:SETTLE")
    return base.upper(), quote.upper(), (base + quote).upper()


def spec_for(symbol: str) -> SymbolSpec:
    """The simulated market's facts for ``symbol`` (generic small cap if unknown)."""
    base, quote, market_id = split_symbol(symbol)
    known = _KNOWN.get(base)
    if known is None:
        known = _generic_profile(market_id)
    return SymbolSpec(
        symbol=f"{base}/{quote}:{quote}",
        market_id=market_id,
        base=base,
        quote=quote,
        price=float(known["price"]),
        tick=float(known["tick"]),
        qty_step=float(known["qty_step"]),
        open_interest=float(known["open_interest"]),
        lot_usd=float(known["lot_usd"]),
        depth_usd=float(known["depth_usd"]),
        vol_per_s=float(known["vol_per_s"]),
        max_leverage=int(known["max_leverage"]),
        mmr=float(known["mmr"]),
        funding_interval_h=int(known["funding_interval_h"]),
        price_decimals=_decimals(float(known["tick"])),
        qty_decimals=_decimals(float(known["qty_step"])),
    )


def _generic_profile(market_id: str) -> dict[str, float | int]:
    # a stable pseudo-random price in [0.05, 50) so that two unknown symbols differ
    digest = int.from_bytes(hashlib.sha256(market_id.encode()).digest()[:4], "big")
    price = 0.05 * 1000 ** ((digest % 10_000) / 10_000)
    tick = 10.0 ** math.floor(math.log10(price * 1e-4))
    qty_step = 10.0 ** max(0, math.floor(math.log10(10 / price)))
    return {
        "price": round(price / tick) * tick,
        "tick": tick,
        "qty_step": qty_step,
        "open_interest": 3e8 / price,
        "lot_usd": 3_000.0,
        "depth_usd": 1.5e8,
        "vol_per_s": 2e-4,
        "max_leverage": 50,
        "mmr": 0.01,
        "funding_interval_h": 4,
    }
