"""OKX v5's shapes of the simulated market: instruments, contracts and frames.

Separate from the venue (``okx.py``), which keeps subscriptions, push cadences and
the REST routes: these are pure functions from the simulator's records to what OKX
sends — numbers as strings, sizes in contracts of ``ctVal`` base units
(``Contract``) — so a frame can be built and checked without a server.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scalptui.feed.sim.events import SimLiquidation, SimTrade
from scalptui.feed.sim.history import MinuteBar
from scalptui.feed.sim.market import SymbolMarket
from scalptui.feed.sim.specs import SymbolSpec
from scalptui.feed.sim.venue import decimals_of

MAX_LEVERAGE = 100  # OKX's ceiling on its USDT swaps


def inst_id(spec: SymbolSpec) -> str:
    return f"{spec.base}-{spec.quote}-SWAP"


@dataclass(frozen=True, slots=True)
class Contract:
    """An OKX swap's contract facts, derived from the simulator's spec."""

    spec: SymbolSpec
    inst_id: str
    ct_val: float
    lot: float

    @classmethod
    def of(cls, spec: SymbolSpec) -> Contract:
        ct_val = 10.0 ** math.floor(math.log10(1000 / spec.price))
        # a lot that divides every simulated size (multiples of qty_step) in contracts
        lot = min(0.01, 10.0 ** math.floor(math.log10(spec.qty_step / ct_val) + 1e-9))
        return cls(spec, inst_id(spec), ct_val, lot)

    @property
    def family(self) -> str:
        return f"{self.spec.base}-{self.spec.quote}"

    def px(self, value: float) -> str:
        return f"{value:.{self.spec.price_decimals}f}"

    def contracts(self, base_qty: float) -> str:
        return f"{base_qty / self.ct_val:.{decimals_of(self.lot)}f}"

    def base(self, base_qty: float) -> str:
        return f"{base_qty:.{self.spec.qty_decimals}f}"

    def ct_val_text(self) -> str:
        return f"{self.ct_val:.{decimals_of(self.ct_val)}f}"


# --------------------------------------------------------------------------- frames


def trade_item(contract: Contract, trade: SimTrade) -> dict[str, Any]:
    """One item of ``trades`` (``sz`` in contracts, ``side`` the taker's)::

    {"instId":"BTC-USDT-SWAP","tradeId":"148266905","px":"48938.5","sz":"5",
     "side":"buy","ts":"1640131236050","count":"1"}
    """
    return {
        "instId": contract.inst_id,
        "tradeId": str(trade.trade_id),
        "px": contract.px(trade.price),
        "sz": contract.contracts(trade.qty),
        "side": "buy" if trade.taker == "BUY" else "sell",
        "ts": str(trade.ts),
        "count": "1",
    }


def liquidation_frame(contract: Contract, liq: SimLiquidation) -> dict[str, Any]:
    """``liquidation-orders``: ``side`` the forced order's, ``posSide`` the position's::

    {"arg":{"channel":"liquidation-orders","instType":"SWAP"},
     "data":[{"details":[{"bkLoss":"0","bkPx":"0.007831","ccy":"","posSide":"short",
     "side":"buy","sz":"13","ts":"1692266434010"}],"instFamily":"IOST-USDT",
     "instId":"IOST-USDT-SWAP","instType":"SWAP","uly":"IOST-USDT"}]}
    """
    detail = {
        "bkLoss": "0",
        "bkPx": contract.px(liq.price),
        "ccy": "",
        "posSide": "long" if liq.order_side == "SELL" else "short",
        "side": liq.order_side.lower(),
        "sz": contract.contracts(liq.qty),
        "ts": str(liq.ts),
    }
    return {
        "arg": {"channel": "liquidation-orders", "instType": "SWAP"},
        "data": [
            {
                "details": [detail],
                "instFamily": contract.family,
                "instId": contract.inst_id,
                "instType": "SWAP",
                "uly": contract.family,
            }
        ],
    }


def mark_price_item(contract: Contract, mark: float, ts: int) -> dict[str, Any]:
    """``mark-price`` / ``/api/v5/public/mark-price``::

    {"instId":"WNCG-USDT-SWAP","instType":"SWAP","markPx":"2.1729","ts":"1640131259180"}
    """
    return {
        "instId": contract.inst_id,
        "instType": "SWAP",
        "markPx": contract.px(mark),
        "ts": str(ts),
    }


def funding_item(contract: Contract, market: SymbolMarket, rate: float, ts: int) -> dict[str, Any]:
    """``funding-rate`` / ``/api/v5/public/funding-rate``: ``fundingTime`` is the next
    settlement (the one ``fundingRate`` applies to), the gap to ``nextFundingTime`` the
    instrument's interval::

    {"instId":"BTC-USDT-SWAP","fundingRate":"0.0001","nextFundingRate":"",
     "fundingTime":"1744590349506","nextFundingTime":"1744619149506",...}
    """
    next_ts = market.next_funding_ts(ts)
    period = contract.spec.funding_interval_h * 3_600_000
    return {
        "instId": contract.inst_id,
        "instType": "SWAP",
        "method": "current_period",
        "formulaType": "withRate",
        "fundingRate": f"{rate:.8f}",
        "nextFundingRate": "",
        "fundingTime": str(next_ts),
        "nextFundingTime": str(next_ts + period),
        "maxFundingRate": "0.0375",
        "minFundingRate": "-0.0375",
        "settFundingRate": f"{rate:.8f}",
        "settState": "settled",
        "premium": "0",
        "interestRate": "0.0001",
        "impactValue": "",
        "ts": str(ts),
    }


def open_interest_item(contract: Contract, market: SymbolMarket, ts: int) -> dict[str, Any]:
    """``open-interest`` / ``/api/v5/public/open-interest`` (``oi`` contracts, ``oiCcy`` base)::

    {"instId":"BTC-USDT-SWAP","instType":"SWAP","oi":"2216113.01","oiCcy":"22161.1301",
     "oiUsd":"1939251795.54","ts":"1743041250440"}
    """
    oi = market.open_interest
    return {
        "instId": contract.inst_id,
        "instType": "SWAP",
        "oi": contract.contracts(oi),
        "oiCcy": contract.base(oi),
        "oiUsd": f"{oi * market.mark:.2f}",
        "ts": str(ts),
    }


def instrument(contract: Contract) -> dict[str, Any]:
    """One ``/api/v5/public/instruments`` entry of a linear swap."""
    spec = contract.spec
    lot = f"{contract.lot:.{decimals_of(contract.lot)}f}"
    return {
        "alias": "",
        "baseCcy": "",
        "category": "1",
        "ctMult": "1",
        "ctType": "linear",
        "ctVal": contract.ct_val_text(),
        "ctValCcy": spec.base,
        "expTime": "",
        "instFamily": contract.family,
        "instId": contract.inst_id,
        "instType": "SWAP",
        "lever": str(min(spec.max_leverage, MAX_LEVERAGE)),
        "listTime": "1611916828000",
        "lotSz": lot,
        "maxIcebergSz": "100000000",
        "maxLmtAmt": "20000000",
        "maxLmtSz": "100000000",
        "maxMktAmt": "",
        "maxMktSz": "12000",
        "maxStopSz": "12000",
        "maxTriggerSz": "100000000",
        "maxTwapSz": "100000000",
        "minSz": lot,
        "optType": "",
        "quoteCcy": "",
        "ruleType": "normal",
        "settleCcy": spec.quote,
        "state": "live",
        "stk": "",
        "tickSz": contract.px(spec.tick),
        "uly": contract.family,
    }


def position_tiers(contract: Contract) -> list[dict[str, Any]]:
    """``position-tiers``: the simulated market's MMR as the first tier, doubling after."""
    spec = contract.spec
    top = min(spec.max_leverage, MAX_LEVERAGE)
    tiers = []
    floor = 0
    for tier in range(1, 4):
        ceiling = 2_000 * 5 ** (tier - 1)  # contracts
        leverage = max(1.0, top / 2 ** (tier - 1))
        tiers.append(
            {
                "baseMaxLoan": "",
                "imr": f"{1 / leverage:.4f}",
                "instFamily": contract.family,
                "instId": "",
                "maxLever": f"{leverage:g}",
                "maxSz": str(ceiling),
                "minSz": str(floor),
                "mmr": f"{spec.mmr * 2 ** (tier - 1):.4f}",
                "optMgnFactor": "0",
                "quoteMaxLoan": "",
                "tier": str(tier),
                "uly": contract.family,
            }
        )
        floor = ceiling
    return tiers


def candle_row(contract: Contract, bar: MinuteBar, confirmed: bool) -> list[str]:
    """``[ts, o, h, l, c, vol (contracts), volCcy (base), volCcyQuote, confirm]``."""
    return [
        str(bar.open_ms),
        contract.px(bar.open),
        contract.px(bar.high),
        contract.px(bar.low),
        contract.px(bar.close),
        contract.contracts(bar.volume),
        contract.base(bar.volume),
        f"{bar.quote_volume:.4f}",
        "1" if confirmed else "0",
    ]


def ticker_item(contract: Contract, market: SymbolMarket, now_ms: int) -> dict[str, Any]:
    """``/api/v5/market/ticker`` (24 h statistics from the bars)."""
    bars = market.bars.candles(3_600_000, start_ms=now_ms - 86_400_000, end_ms=None, limit=25)
    last = market.round_price(market.price)
    first = bars[0].open if bars else last
    volume = sum(b.volume for b in bars)
    return {
        "instType": "SWAP",
        "instId": contract.inst_id,
        "last": contract.px(last),
        "lastSz": contract.contracts(contract.spec.qty_step),
        "askPx": contract.px(last),
        "askSz": "100",
        "bidPx": contract.px(max(contract.spec.tick, last - contract.spec.tick)),
        "bidSz": "100",
        "open24h": contract.px(first),
        "high24h": contract.px(max((b.high for b in bars), default=last)),
        "low24h": contract.px(min((b.low for b in bars), default=last)),
        "volCcy24h": contract.base(volume),
        "vol24h": contract.contracts(volume),
        "sodUtc0": contract.px(first),
        "sodUtc8": contract.px(first),
        "ts": str(now_ms),
    }
