"""The simulated exchange for ``bench_burst.py``, in its own process, driven by signals.

    python benchmarks/_burst_sim.py PORT STATS.json SCALE SYMBOL...

Serves ``SYMBOL…`` (scenario ``cascade``) in all three wire formats on ``PORT``
at 1× exchange time. Each SIGUSR1 moves to the next phase and snapshots the
exchange's counters (with ``time.monotonic``): the first marks the start of the
calm window, the second starts the burst (the clock runs at ``SCALE``× and a
shock into crowded longs is triggered on every symbol), the third freezes the
exchange clock (nothing more is generated, so the app can drain what it has).
SIGTERM writes the snapshots and the final counters to STATS.json and stops.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from typing import Any

from scalptui.feed.sim.server import SimExchange


async def serve(port: int, stats_path: str, scale: float, symbols: list[str]) -> None:
    sim = SimExchange(symbols, seed=7, scenario="cascade")
    await sim.start(port=port)
    marks: list[dict[str, Any]] = []
    stop = asyncio.Event()

    def next_phase() -> None:
        phase = ("calm", "burst", "frozen")[min(len(marks), 2)]
        if phase == "burst":
            sim.set_time_scale(scale)
            for symbol in symbols:
                sim.trigger(symbol, "long")
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
    port, path, scale, *names = sys.argv[1:]
    asyncio.run(serve(int(port), path, float(scale), names))
