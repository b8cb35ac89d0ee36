"""The simulated exchange for ``bench_burst.py``, in its own process, driven by signals.

    python benchmarks/_burst_sim.py PORT STATS.json SCALE BURST_S SYMBOL...

Serves ``SYMBOL…`` (scenario ``cascade``) in all three wire formats on ``PORT``
at 1× exchange time. Each SIGUSR1 moves to the next phase and snapshots the
exchange's counters (with ``time.monotonic``): the first marks the start of the
calm window, the second starts the burst, the third freezes the exchange clock
(nothing more is generated, so the app can drain what it has).

The burst runs the clock at ``SCALE``× and shocks every symbol into its crowded
longs at once, then again every 45 s of exchange time. Each market's crowd keeps
building through the burst instead of moving on to the quiet aftermath, so every
exchange second stays at least as busy as a calm-window second (a crash is the
busiest minute of the day, not a fast-forward of the quiet hour after it): the
stream rate is ``SCALE``× the calm one or more, and the first seconds of forced
selling come on top.
SIGTERM writes the snapshots and the final counters to STATS.json and stops.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from typing import Any

from scalptui.feed.sim.plans import ScheduledShock
from scalptui.feed.sim.server import SimExchange

SHOCK_EVERY_MS = 45_000
SHOCK_STRENGTH = 0.012
"""Each later shock moves price 1.2 % by itself (the first one: the model's 1.2–1.6 %)."""


def start_burst(sim: SimExchange, symbols: list[str], scale: float, burst_s: float) -> None:
    """Clock at ``scale``×, a shock into the longs now and every 45 exchange-seconds on."""
    sim.set_time_scale(scale)
    now = sim.now_ms()
    later = range(SHOCK_EVERY_MS, int(burst_s * scale * 1000) + SHOCK_EVERY_MS, SHOCK_EVERY_MS)
    for symbol in symbols:
        market = sim.model.market(symbol)
        market.regime_until, market.shock_at = 2**62, None  # no aftermath lull mid-burst
        sim.trigger(symbol, "long")
        for offset in later:
            sim.schedule(symbol, ScheduledShock(now + offset, "long", SHOCK_STRENGTH))


async def serve(
    port: int, stats_path: str, scale: float, burst_s: float, symbols: list[str]
) -> None:
    sim = SimExchange(symbols, seed=7, scenario="cascade")
    await sim.start(port=port)
    marks: list[dict[str, Any]] = []
    stop = asyncio.Event()

    def next_phase() -> None:
        phase = ("calm", "burst", "frozen")[min(len(marks), 2)]
        if phase == "burst":
            start_burst(sim, symbols, scale, burst_s)
        elif phase == "frozen":
            sim.advance_clock(sim.now_ms())
        marks.append({"phase": phase, "t": time.monotonic(), "stats": sim.stats})

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, next_phase)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    final = {"phase": "end", "t": time.monotonic(), "stats": sim.stats}
    with open(stats_path, "w", encoding="utf-8") as fh:
        json.dump([*marks, final], fh)
    await sim.stop()


if __name__ == "__main__":
    port, path, scale, burst, *names = sys.argv[1:]
    asyncio.run(serve(int(port), path, float(scale), float(burst), names))
