"""Per-symbol facts of the simulated market: price scale, tick, size, depth, open interest.

The simulated exchange lists a fixed catalogue of well-known USDT perpetuals, as
Binance USDⓈ-M did in late 2025: prices at about that time's levels, Binance's
tick sizes, amount steps and maximum leverage (approximately; Binance changes
them), open interest of the right order of magnitude. BTC, ETH and SOL keep the
exact profile the tests and benchmarks were tuned on. A symbol outside the
catalogue is not listed, so it is refused as the real venue would refuse it.
Binance lists PEPE as ``1000PEPE`` (a thousand tokens per unit), so does this.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from scalptui.feed.symbols import did_you_mean


class UnknownSymbol(ValueError):
    """A symbol the simulated exchange does not list."""


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


def _alt(
    price: float, tick: float, step: float, oi_usd: float, leverage: int, funding_h: int
) -> dict[str, float | int]:
    """An altcoin's profile: depth and position size grow with its open interest."""
    return {
        "price": price,
        "tick": tick,
        "qty_step": step,
        "open_interest": oi_usd / price,
        "lot_usd": 3_000.0 if oi_usd < 5e8 else 5_000.0,
        "depth_usd": 1e8 + oi_usd * 0.3,
        "vol_per_s": 2e-4 if oi_usd >= 5e8 else 2.4e-4,
        "max_leverage": leverage,
        "mmr": 0.005 if leverage >= 75 else 0.01,
        "funding_interval_h": funding_h,
    }


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
    **{
        base: _alt(*row)
        for base, row in {
            # base: (price, tick, amount step, open interest USD, max leverage, funding h)
            "BNB": (900.0, 0.01, 0.01, 8e8, 75, 8),
            "XRP": (2.3, 0.0001, 0.1, 1.5e9, 75, 8),
            "DOGE": (0.2, 0.00001, 1.0, 1.2e9, 75, 8),
            "ADA": (0.7, 0.0001, 1.0, 5e8, 75, 8),
            "TRX": (0.3, 0.00001, 1.0, 2e8, 75, 8),
            "AVAX": (25.0, 0.001, 1.0, 4e8, 75, 8),
            "LINK": (18.0, 0.001, 0.01, 6e8, 75, 8),
            "LTC": (100.0, 0.01, 0.001, 3e8, 75, 8),
            "BCH": (500.0, 0.01, 0.001, 3e8, 75, 8),
            "DOT": (4.0, 0.001, 0.1, 2e8, 75, 8),
            "SUI": (3.5, 0.0001, 0.1, 8e8, 75, 4),
            "TON": (3.0, 0.0001, 0.1, 1.5e8, 50, 4),
            "NEAR": (2.5, 0.001, 1.0, 2e8, 75, 4),
            "APT": (5.0, 0.0001, 0.1, 1.5e8, 75, 4),
            "ARB": (0.35, 0.0001, 0.1, 2e8, 75, 4),
            "OP": (0.5, 0.0001, 0.1, 1.5e8, 75, 4),
            "1000PEPE": (0.01, 0.0000001, 1.0, 5e8, 75, 4),
            "WIF": (0.6, 0.0001, 0.1, 3e8, 75, 4),
            "ENA": (0.45, 0.0001, 1.0, 6e8, 75, 4),
        }.items()
    },
}
CATALOGUE: tuple[str, ...] = tuple(f"{base}/USDT:USDT" for base in _KNOWN)
"""Every perpetual the simulated exchange lists, majors first."""


def split_symbol(symbol: str) -> tuple[str, str, str]:
    """``BTC/USDT:USDT`` → (``BTC``, ``USDT``, ``BTCUSDT``); ValueError for anything else."""
    base, sep, rest = symbol.partition("/")
    quote = rest.partition(":")[0]
    if not sep or not base or not quote or not (base + quote).isalnum():
        raise ValueError(f"simulated symbol {symbol!r} is not of the form BASE/QUOTE:SETTLE")
    return base.upper(), quote.upper(), (base + quote).upper()


def spec_for(symbol: str) -> SymbolSpec:
    """The simulated market's facts for ``symbol``; UnknownSymbol outside the catalogue."""
    base, quote, market_id = split_symbol(symbol)
    known = _KNOWN.get(base) if quote == "USDT" else None
    if known is None:
        raise UnknownSymbol(
            f"the simulated exchange does not list {symbol!r}{did_you_mean(symbol, CATALOGUE)}"
        )
    tick = float(known["tick"])
    return SymbolSpec(
        symbol=f"{base}/{quote}:{quote}",
        market_id=market_id,
        base=base,
        quote=quote,
        price=float(known["price"]),
        tick=tick,
        qty_step=float(known["qty_step"]),
        open_interest=float(known["open_interest"]),
        lot_usd=float(known["lot_usd"]),
        depth_usd=float(known["depth_usd"]),
        vol_per_s=float(known["vol_per_s"]),
        max_leverage=int(known["max_leverage"]),
        mmr=float(known["mmr"]),
        funding_interval_h=int(known["funding_interval_h"]),
        price_decimals=_decimals(tick),
        qty_decimals=_decimals(float(known["qty_step"])),
    )


@functools.cache
def catalogue_specs() -> tuple[SymbolSpec, ...]:
    """Every catalogue market's facts (constants: built once, asked for at every listing
    and every venue subscription)."""
    return tuple(spec_for(symbol) for symbol in CATALOGUE)


def listed(symbol: str) -> bool:
    """True for a catalogue symbol, given as ``BTC/USDT:USDT`` or ``BTCUSDT``."""
    return symbol in CATALOGUE or symbol.upper() in _BY_ID


def unified(market_id: str) -> str | None:
    """``BTCUSDT`` → ``BTC/USDT:USDT`` for a catalogue market, else None."""
    return _BY_ID.get(market_id.upper())


_BY_ID: dict[str, str] = {f"{base}USDT": f"{base}/USDT:USDT" for base in _KNOWN}
