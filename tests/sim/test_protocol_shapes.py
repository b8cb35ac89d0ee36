"""The simulated exchange's frames and payloads have the shape of real Binance ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scalptui.feed.sim import protocol
from scalptui.feed.sim.events import SimLiquidation, SimMark, SimTrade
from scalptui.feed.sim.market import MarketModel

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sim"
START = 1_767_225_600_000


def _real_frames() -> dict[str, dict[str, Any]]:
    lines = (FIXTURES / "binance_usdm_ws_frames.jsonl").read_text().splitlines()
    frames = [json.loads(line) for line in lines]
    return {frame["stream"].split("@", 1)[1]: frame["data"] for frame in frames}


def _assert_same_shape(real: Any, ours: Any, where: str) -> None:
    """Every key of the real payload is in ours, holding the same JSON type."""
    if isinstance(real, dict):
        assert isinstance(ours, dict), where
        for key, value in real.items():
            assert key in ours, f"{where}.{key} missing"
            _assert_same_shape(value, ours[key], f"{where}.{key}")
    elif isinstance(real, list):
        assert isinstance(ours, list) and (ours or not real), where
        for position, value in enumerate(real[: len(ours)]):
            _assert_same_shape(value, ours[position], f"{where}[{position}]")
    elif isinstance(real, bool) or real is None:
        assert type(ours) is type(real), where
    elif isinstance(real, int | float):
        assert isinstance(ours, int | float) and not isinstance(ours, bool), where
    else:
        assert isinstance(ours, str), where
        if _is_number(real):
            assert _is_number(ours), f"{where}: {ours!r} is not a numeric string"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def model() -> MarketModel:
    market = MarketModel(["BTC/USDT:USDT"], seed=1, scenario="cascade", start_ms=START)
    market.trigger("BTC/USDT:USDT", "long")
    market.advance(START + 30_000)
    return market


def test_websocket_frames_match_real_ones(model: MarketModel) -> None:
    btc = model.market("BTC/USDT:USDT")
    spec = btc.spec
    events = model.advance(model.now_ms + 5_000)
    trade = next(e for e in events if isinstance(e, SimTrade))
    liq = next(e for e in events if isinstance(e, SimLiquidation))
    mark = next(e for e in events if isinstance(e, SimMark))
    real = _real_frames()
    ours = {
        "trade": protocol.trade_frame(spec, trade),
        "aggTrade": protocol.agg_trade_frame(spec, trade),
        "markPrice@1s": protocol.mark_price_frame(spec, mark),
        "forceOrder": protocol.force_order_frame(spec, liq, event_ms=liq.ts + 5),
    }
    assert set(ours) == set(real)
    for name, frame in ours.items():
        _assert_same_shape(real[name], frame, name)
        json.loads(protocol.dumps(frame))


def test_rest_payloads_match_real_ones(model: MarketModel) -> None:
    real = json.loads((FIXTURES / "binance_usdm_rest.json").read_text())
    btc = model.market("BTC/USDT:USDT")
    now = model.now_ms
    info = protocol.exchange_info([btc.spec], now)
    _assert_same_shape(real["exchangeInfo_symbol"], info["symbols"][0], "exchangeInfo.symbol")
    _assert_same_shape(real["exchangeInfo_top"], info, "exchangeInfo")
    _assert_same_shape(real["premiumIndex"], protocol.premium_index(btc, now), "premiumIndex")
    _assert_same_shape(real["openInterest"], protocol.open_interest(btc, now), "openInterest")
    _assert_same_shape(real["fundingInfo"][0], protocol.funding_info(btc.spec), "fundingInfo")
    bar = btc.bars.candles(60_000, start_ms=None, end_ms=None, limit=1)[0]
    _assert_same_shape(real["klines"][0], protocol.kline_row(btc.spec, bar, 60_000), "klines")
    ts, amount, value = btc.oi_history[-1]
    row = protocol.open_interest_hist_row(btc, ts, amount, value)
    real_row = dict(real["openInterestHist"][0])
    real_row["timestamp"] = int(real_row["timestamp"])  # Binance now sends a number here
    _assert_same_shape(real_row, row, "openInterestHist")


def test_a_catalogue_symbol_is_simulated_at_a_plausible_price() -> None:
    market = MarketModel(["DOGE/USDT:USDT"], seed=1, scenario="auto", start_ms=START)
    doge = market.market("DOGEUSDT")
    events = market.advance(START + 10_000)
    assert any(isinstance(e, SimTrade) for e in events)
    assert 0.1 <= doge.price < 0.4 and doge.spec.tick == 0.00001
    info = protocol.exchange_info([doge.spec], START)
    assert info["symbols"][0]["symbol"] == "DOGEUSDT"


def test_importing_the_simulator_does_not_import_ccxt() -> None:
    code = "import sys, scalptui.feed.sim, scalptui.feed.baseurl; print('ccxt' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
