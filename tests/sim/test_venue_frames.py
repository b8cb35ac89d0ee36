"""The Bybit and OKX renderings of the simulated market, frame by frame.

The venues are driven by the market model directly (no sockets, no wall clock):
every frame they publish is recorded and checked against the market's own
events and against the shape of real frames from shared/data
(tests/fixtures/feed).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from scalptui.feed.sim import bybit, okx, okx_frames
from scalptui.feed.sim.events import SimLiquidation, SimTrade
from scalptui.feed.sim.market import MarketModel
from scalptui.feed.sim.specs import CATALOGUE, spec_for
from scalptui.feed.sim.venue import VenueHost

START_MS = 1_767_225_600_000
BTC = "BTC/USDT:USDT"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feed"


def fixture_json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def fixture_lines(name: str) -> list[str]:
    return [line for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


def docs_example(name: str) -> Any:
    """The response example of an exchange-docs-examples file."""
    doc = fixture_json(name)
    return next(e["json"] for e in doc["examples"] if e["label"] == "Response Example")


class Recorder:
    """Stands in for the server: everything is subscribed, every frame is kept."""

    def __init__(self, model: MarketModel) -> None:
        self.model = model
        self.frames: list[tuple[str, str, Any]] = []
        self.host = VenueHost(model, lambda: model.now_ms, self.publish, lambda _key: True)

    def publish(self, kind: str, key: str, frame: Any) -> int:
        json.dumps(frame)  # every frame must be serialisable as sent
        self.frames.append((kind, key, frame))
        return 1

    def of(self, kind: str) -> list[Any]:
        return [frame for k, _key, frame in self.frames if k == kind]


def run_cascade(
    venue_class: type[bybit.BybitVenue] | type[okx.OkxVenue], seconds: int = 40
) -> tuple[Recorder, Any, list[SimLiquidation], list[SimTrade]]:
    model = MarketModel([BTC, "ETH/USDT:USDT"], seed=3, scenario="cascade", start_ms=START_MS)
    recorder = Recorder(model)
    venue = venue_class(recorder.host)
    model.trigger(BTC, "long")
    liquidations: list[SimLiquidation] = []
    trades: list[SimTrade] = []
    for _ in range(seconds * 10):
        now = model.now_ms + 100
        events = model.advance(now)
        venue.on_events(events)
        for event in events:
            if isinstance(event, SimLiquidation):
                liquidations.append(event)
            elif isinstance(event, SimTrade):
                trades.append(event)
        venue.flush(now)
    venue.flush(model.now_ms + 1_000)  # close the last windows
    return recorder, venue, liquidations, trades


def test_bybit_all_liquidation_carries_every_forced_close_batched_per_500_ms() -> None:
    recorder, venue, liquidations, _ = run_cascade(bybit.BybitVenue)
    frames = recorder.of(bybit.LIQUIDATION)
    assert len(liquidations) > 50  # the shock set a cascade off
    items = [(f["ts"], item) for f in frames for item in f["data"]]
    expected = Counter(
        (liq.symbol.split("/")[0] + "USDT", liq.ts, liq.qty, liq.price, liq.order_side)
        for liq in liquidations
    )
    got = Counter(
        (
            item["s"],
            item["T"],
            float(item["v"]),
            float(item["p"]),
            "SELL" if item["S"] == "Buy" else "BUY",  # Buy: a long was liquidated
        )
        for _ts, item in items
    )
    assert got == expected  # complete: nothing sampled, nothing twice
    assert len(frames) < len(liquidations)  # batched
    for frame_ts, item in items:
        assert frame_ts % bybit.LIQUIDATION_BATCH_MS == 0
        assert frame_ts - bybit.LIQUIDATION_BATCH_MS <= item["T"] < frame_ts
    assert venue.stats["bybit_liquidations_pushed"] == len(liquidations)
    assert {f["topic"] for f in frames} <= {"allLiquidation.BTCUSDT", "allLiquidation.ETHUSDT"}


def test_bybit_frames_have_the_real_frames_shape() -> None:
    recorder, _venue, _, _ = run_cascade(bybit.BybitVenue, seconds=5)
    real_liq = json.loads(fixture_lines("tardis_bybit_v5_allLiquidation_messages.jsonl")[0])
    ours = recorder.of(bybit.LIQUIDATION)[0]
    assert set(ours) == set(real_liq) and set(ours["data"][0]) == set(real_liq["data"][0])
    real_trade = fixture_json("nautilus_bybit_ws_public_trade.json")
    trade = recorder.of(bybit.TRADE)[0]
    assert set(trade) == set(real_trade)
    assert set(real_trade["data"][0]) <= set(trade["data"][0])
    assert trade["topic"] == "publicTrade.BTCUSDT" and trade["type"] == "snapshot"
    real_ticker = fixture_json("nautilus_bybit_ws_ticker_linear.json")
    delta = recorder.of(bybit.TICKER)[0]
    assert set(delta) == set(real_ticker) and delta["type"] == "delta"
    needed = {"markPrice", "indexPrice", "fundingRate", "nextFundingTime", "openInterest"}
    assert needed <= set(delta["data"])
    snapshot = bybit.ticker_data(recorder.model.markets[BTC], recorder.model.now_ms)
    assert set(real_ticker["data"]) <= set(snapshot)


def test_okx_liquidations_are_one_per_instrument_per_second_in_contracts() -> None:
    recorder, venue, liquidations, _ = run_cascade(okx.OkxVenue)
    frames = recorder.of(okx.LIQUIDATIONS)
    assert len(liquidations) > 50
    assert 0 < len(frames) < len(liquidations) / 3  # a sample, like Binance's
    seconds = Counter(
        (f["data"][0]["instId"], int(f["data"][0]["details"][0]["ts"]) // 1000) for f in frames
    )
    assert max(seconds.values()) == 1
    by_key = {(liq.ts, liq.price): liq for liq in liquidations}
    btc = okx_frames.Contract.of(spec_for(BTC))
    assert btc.ct_val == 0.01 and btc.inst_id == "BTC-USDT-SWAP"
    for frame in frames:
        (item,) = frame["data"]
        (detail,) = item["details"]
        liq = by_key[(int(detail["ts"]), float(detail["bkPx"]))]
        contract = (
            btc
            if item["instId"] == "BTC-USDT-SWAP"
            else okx_frames.Contract.of(spec_for(liq.symbol))
        )
        assert float(detail["sz"]) * contract.ct_val == pytest.approx(liq.qty)
        assert detail["side"] == liq.order_side.lower()
        assert detail["posSide"] == ("long" if liq.order_side == "SELL" else "short")
    real = docs_example("docs_okx_ws_liquidation_orders.json")
    assert set(frames[0]) | {"id"} == set(real)
    assert set(frames[0]["data"][0]) == set(real["data"][0])
    assert set(frames[0]["data"][0]["details"][0]) == set(real["data"][0]["details"][0])
    assert venue.stats["okx_liquidations_pushed"] == len(frames)


def test_okx_trade_sizes_are_contracts_of_ct_val() -> None:
    recorder, _venue, _, trades = run_cascade(okx.OkxVenue, seconds=5)
    pushed = [item for frame in recorder.of(okx.TRADES) for item in frame["data"]]
    assert len(pushed) == len(trades)
    ct_val = {"BTC-USDT-SWAP": 0.01, "ETH-USDT-SWAP": 0.1}
    by_id = {str(t.trade_id) + t.symbol: t for t in trades}
    for item in pushed:
        symbol = item["instId"].replace("-USDT-SWAP", "/USDT:USDT")
        trade = by_id[item["tradeId"] + symbol]
        assert float(item["sz"]) * ct_val[item["instId"]] == pytest.approx(trade.qty)
        assert item["side"] == trade.taker.lower()
    real = json.loads(
        next(
            line
            for line in fixture_lines("tardis_okex-swap_v5_messages.jsonl")
            if '"channel":"trades"' in line
        )
    )
    assert set(real["data"][0]) <= set(pushed[0])


def test_okx_funding_frames_state_the_interval_as_ccxt_reads_it() -> None:
    model = MarketModel(["SOL/USDT:USDT"], seed=1, start_ms=START_MS)
    market = model.markets["SOL/USDT:USDT"]
    contract = okx_frames.Contract.of(market.spec)
    item = okx_frames.funding_item(contract, market, 0.0001, START_MS + 5_000)
    real = fixture_json("nautilus_okx_ws_funding_rate.json")["data"][0]
    assert set(real) <= set(item)
    gap = int(item["nextFundingTime"]) - int(item["fundingTime"])
    assert gap == 4 * 3_600_000  # SOL funds every 4 h in the simulator
    assert int(item["fundingTime"]) == market.next_funding_ts(START_MS + 5_000)
    assert contract.ct_val == 1.0 and contract.lot == 0.01


@pytest.mark.parametrize(
    ("symbol", "ct_val"),
    [(BTC, 0.01), ("ETH/USDT:USDT", 0.1), ("SOL/USDT:USDT", 1.0)]
    + [
        (symbol, None)
        for symbol in CATALOGUE
        if symbol not in (BTC, "ETH/USDT:USDT", "SOL/USDT:USDT")
    ],
)
def test_okx_contract_values_divide_every_simulated_size(symbol: str, ct_val: float | None) -> None:
    spec = spec_for(symbol)
    contract = okx_frames.Contract.of(spec)
    if ct_val is not None:
        assert contract.ct_val == ct_val  # OKX's own values for these swaps
    one_step = spec.qty_step / contract.ct_val
    assert one_step / contract.lot == pytest.approx(round(one_step / contract.lot))
    assert 1 <= contract.ct_val * spec.price <= 10_000
    assert float(contract.contracts(spec.qty_step * 7)) * contract.ct_val == pytest.approx(
        spec.qty_step * 7
    )
