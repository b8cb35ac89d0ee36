"""Soak: 24 h of simulated market, recorded, then replayed at full speed through the
detector and the headless JSON sink, with the process's RSS sampled along the way.

Goal (docs/design.md § Performance budgets): memory flat within 5 % over the run and
≤ 200 MiB. The first simulated hour is the warm-up (ring buffers and the ladder
fill up to their caps); "flat" compares RSS after it with RSS at the end.

Usage: ``python benchmarks/bench_soak.py [--hours 24] [--keep FILE]``. It prints
RSS at start, after the warm-up hour and at the end, the events replayed per
second, and the alerts raised. Generation (the market model) and replay are
timed apart: only the replay is the monitor's cost. It exits 1 when the
memory budget is broken, 0 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scalptui.detector import Detector
from scalptui.detector.params import DetectorParams
from scalptui.feed.recording import Recorder, ReplayFeed
from scalptui.feed.sim.events import SimLiquidation, SimMark, SimTrade
from scalptui.feed.sim.market import MarketModel
from scalptui.feed.sim.throttle import ForceOrderThrottle
from scalptui.headless import AlertPrinter
from scalptui.models import (
    Event,
    Liquidation,
    MarkPrice,
    OpenInterest,
    Side,
    Source,
    TakerSide,
    Trade,
)

EX = "binanceusdm"
SYMBOLS = ("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT")
OI_EVERY_MS = 15_000
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 2**20


def to_event(sim_event: SimTrade | SimLiquidation | SimMark) -> Event:
    if isinstance(sim_event, SimTrade):
        return Trade(
            sim_event.ts,
            EX,
            sim_event.symbol,
            sim_event.price,
            sim_event.qty,
            TakerSide(sim_event.taker.lower()),
        )
    if isinstance(sim_event, SimLiquidation):
        # A liquidated long is force-sold: the order side is the opposite of the position.
        side = Side.LONG if sim_event.order_side.lower() == "sell" else Side.SHORT
        return Liquidation(
            sim_event.ts,
            EX,
            sim_event.symbol,
            side,
            sim_event.avg_price,
            sim_event.qty,
            sim_event.avg_price * sim_event.qty,
            True,
        )
    return MarkPrice(
        sim_event.ts,
        EX,
        sim_event.symbol,
        sim_event.mark,
        sim_event.index,
        sim_event.funding_rate,
        sim_event.next_funding_ts,
        8.0,
    )


def generate(path: Path, hours: float, seed: int) -> int:
    """Write ``hours`` of the simulated market as a recording; return the event count."""
    model = MarketModel(SYMBOLS, seed=seed, scenario="auto", start_ms=1_767_225_600_000)
    throttle = ForceOrderThrottle()
    recorder = Recorder(path, exchange=EX, symbols=SYMBOLS, source=Source.SIMULATED)
    end = model.now_ms + int(hours * 3_600_000)
    next_oi = model.now_ms
    count = 0
    while model.now_ms < end:
        for sim_event in model.advance(model.now_ms + 1_000):
            if isinstance(sim_event, SimLiquidation):
                sampled = throttle.offer(sim_event)
                if sampled is None:
                    continue
                sim_event = sampled
            recorder.write(to_event(sim_event))
            count += 1
        for liq in throttle.flush(model.now_ms):
            recorder.write(to_event(liq))
            count += 1
        if model.now_ms >= next_oi:
            next_oi += OI_EVERY_MS
            for symbol, market in model.markets.items():
                recorder.write(OpenInterest(model.now_ms, EX, symbol, market.open_interest))
                count += 1
    recorder.close()
    return count


async def replay(path: Path) -> dict[str, float]:
    feed = ReplayFeed(path, speed=0)
    detector = Detector(DetectorParams(), source=feed.source)
    out = io.StringIO()
    sink = AlertPrinter(
        detector,
        lambda: feed.symbols,
        as_json=True,
        snapshot_every_s=60.0,
        out=out,
        err=io.StringIO(),
    )
    samples: dict[str, float] = {"start": rss_mib()}
    warm_until: int | None = None
    events = 0
    t0 = time.perf_counter()
    async for event in feed.events():
        sink(event)
        events += 1
        if events % 50_000 == 0:
            out.seek(0)  # keep the sink's buffer bounded
            out.truncate()
        clock = feed.clock_ms
        if clock is not None:
            if warm_until is None:
                warm_until = clock + 3_600_000
            elif "warm" not in samples and clock >= warm_until:
                samples["warm"] = rss_mib()
    samples["elapsed"] = time.perf_counter() - t0
    samples["end"] = rss_mib()
    samples["events"] = events
    samples["alerts"] = sink.alerts_printed
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", type=Path, help="keep the generated recording here")
    parser.add_argument("--reuse", type=Path, help="replay this recording instead of generating")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.reuse or args.keep or Path(tmp) / "soak.jsonl.gz"
        if args.reuse is None:
            t0 = time.perf_counter()
            generated = generate(path, args.hours, args.seed)
            gen_s = time.perf_counter() - t0
            print(
                f"generated {args.hours:g} h of simulated market: {generated:,} events, "
                f"{path.stat().st_size / 2**20:.1f} MiB gz, {gen_s:.0f} s"
            )
        result = asyncio.run(replay(path))
    warm = result.get("warm", result["start"])
    growth = (result["end"] - warm) / warm * 100
    rate = result["events"] / result["elapsed"]
    print(
        f"RSS start {result['start']:.1f} MiB, after warm-up hour {warm:.1f} MiB, "
        f"end {result['end']:.1f} MiB"
    )
    print(f"RSS growth after warm-up: {growth:+.2f} % (goal: within ±5 %, ≤ 200 MiB)")
    print(
        f"replayed {result['events']:,.0f} events in {result['elapsed']:.1f} s: "
        f"{rate:,.0f} events/s, {args.hours * 3600 / result['elapsed']:,.0f}× real time; "
        f"{result['alerts']:.0f} alerts"
    )
    ok = abs(growth) <= 5 and result["end"] <= 200
    print("PASS" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
