"""A crash burst on three venues: does the app keep up with the market at its busiest?

    PYTHONPATH=. python benchmarks/bench_burst.py [--mode both] [--burst 60] [--scale 10]

Issue 11: ten times the calm message rate on Binance, Bybit and OKX at once for
60 s must not build a backlog. The simulated exchange (``_burst_sim.py``) runs in
its own process and serves ten symbols in all three wire formats; the app is the
real one (``scalptui alerts --json`` headless, or the TUI in a 120×40
pseudo-terminal), in its own process, on ``--exchange binanceusdm,bybit,okx``,
with ``_lag_probe.py``'s hooks stamping each WebSocket frame with the time its
bytes left the socket and timing the detector's return for the events it carried.

Timeline per mode: the app connects and warms up at 1× exchange time; a calm
window (1×) gives the calm message rate; then the burst — the exchange clock at
``--scale``× (so every stream sends ``scale`` times as much per wall second), with
the crowd still building and a shock into its longs on every symbol every 45
exchange-seconds, so no exchange second is quieter than a calm one and the forced
selling of a cascade comes on top — for ``--burst`` seconds; then the exchange
clock is frozen and the app has a few seconds to drain before it is stopped.

Reported per mode: frames/s per venue, calm and burst (the exchange's counters:
frames queued to the app's sockets) and their ratio; the socket → detector lag
over the burst and the drain (p50, p99, peak; budget ≤ 1 s); liquidation prints
the exchange sent per venue against those that reached the detector (budget: none
lost); the app process's CPU share (mean, busiest second; 2 cores shared, so read
it with the load average printed); the trades/marks the venues' queues shed.
Exit status 1 when the lag or a lost liquidation breaks the budget.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.bench_tui import (
    budget_exit,
    cpu_seconds,
    free_port,
    isolated_env,
    spawn_in_pty,
    stop_app,
    wait_for_port,
)
from scalptui.feed.sim.specs import CATALOGUE

VENUES = ("binanceusdm", "bybit", "okx")
LAG_BUDGET_S = 1.0
HERE = Path(__file__).parent


def venue_of_counter(key: str) -> str | None:
    """Which venue a simulator frame counter belongs to (None: not a frame counter)."""
    if not key.startswith("messages_"):
        return None
    kind = key.removeprefix("messages_")
    if kind.startswith("bybit."):
        return "bybit"
    if kind.startswith("okx."):
        return "okx"
    return "binanceusdm"


def frames_by_venue(stats: dict[str, int]) -> dict[str, int]:
    out = dict.fromkeys(VENUES, 0)
    for key, value in stats.items():
        venue = venue_of_counter(key)
        if venue is not None:
            out[venue] += value
    return out


def liquidations_sent(stats: dict[str, int]) -> dict[str, int]:
    """Prints queued to the app's sockets, per venue (one subscriber: the app)."""
    return {
        "binanceusdm": stats.get("messages_forceOrder", 0),
        "bybit": stats.get("bybit_liquidations_sent", 0),
        "okx": stats.get("okx_liquidations_sent", 0),
    }


@dataclass
class Timeline:
    """The app process, its pty (TUI) and the CPU samples taken while waiting."""

    pid: int
    fd: int | None
    cpu: list[tuple[float, float, float]] = field(default_factory=list)
    """(monotonic, CPU seconds, seconds runnable but waiting for a core)."""
    bytes_out: int = 0

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` pass, draining the pty as a terminal would, sampling CPU at 1 Hz."""
        end = time.monotonic() + seconds
        next_sample = time.monotonic()
        while (now := time.monotonic()) < end:
            if now >= next_sample:
                try:
                    self.cpu.append((now, cpu_seconds(self.pid), run_queue_wait_s(self.pid)))
                except OSError:
                    return  # the app exited
                next_sample += 1.0
            timeout = max(0.0, min(end, next_sample) - now)
            if self.fd is None:
                time.sleep(timeout)
                continue
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if ready:
                try:
                    self.bytes_out += len(os.read(self.fd, 65536))
                except OSError:
                    return


def run_queue_wait_s(pid: int) -> float:
    """Time the app's main thread spent runnable but not running (a loaded machine)."""
    fields = Path(f"/proc/{pid}/schedstat").read_text().split()
    return int(fields[1]) / 1e9


def app_argv(probe_out: Path, url: str, symbols: list[str], mode: str) -> list[str]:
    venues = ["--exchange", ",".join(VENUES)]
    for venue in VENUES:
        venues += ["--base-url", f"{venue}={url}"]
    command = ["alerts", "--json"] if mode == "headless" else []
    return [
        sys.executable,
        str(HERE / "_lag_probe.py"),
        str(probe_out),
        "--",
        *command,
        *venues,
        "--symbols",
        ",".join(symbols),
    ]


def run_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"scalptui-burst-{mode}-"))
    env = isolated_env(work)
    symbols = list(CATALOGUE[: args.symbols])
    port = free_port()
    sim_stats, probe_out = work / "sim.json", work / "probe.json"
    sim = subprocess.Popen(
        [sys.executable, str(HERE / "_burst_sim.py"), str(port), str(sim_stats),
         str(args.scale), str(args.burst), *symbols],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    phase: Callable[[], None] = lambda: sim.send_signal(signal.SIGUSR1)  # noqa: E731
    try:
        wait_for_port(port)
        argv = app_argv(probe_out, f"http://127.0.0.1:{port}", symbols, mode)
        if mode == "tui":
            pid, fd = spawn_in_pty(argv, env)
            app: subprocess.Popen[bytes] | None = None
        else:
            err = (work / "stderr.txt").open("wb")
            app = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err)
            pid, fd = app.pid, None
        line = Timeline(pid, fd)
        try:
            line.wait(args.warmup)
            phase()  # calm window starts
            line.wait(args.calm)
            phase()  # the burst
            burst_cpu_from = len(line.cpu)
            line.wait(args.burst)
            phase()  # frozen: the app drains
            burst_cpu = line.cpu[burst_cpu_from:]
            line.wait(args.drain)
        finally:
            if app is not None:
                app.send_signal(signal.SIGTERM)
                app.wait(30)
            elif fd is not None:
                stop_app(pid, fd)
                os.close(fd)
    finally:
        sim.terminate()
        sim.wait(30)
    marks = json.loads(sim_stats.read_text())
    probe = json.loads(probe_out.read_text())
    stderr_text = (work / "stderr.txt").read_text() if mode == "headless" else ""
    return summarise(mode, marks, probe, burst_cpu, stderr_text, line.bytes_out, args)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def summarise(
    mode: str,
    marks: list[dict[str, Any]],
    probe: dict[str, Any],
    cpu: list[tuple[float, float, float]],
    stderr_text: str,
    bytes_out: int,
    args: argparse.Namespace,
) -> dict[str, Any]:
    calm, burst, frozen, end = marks
    calm_s, burst_s = burst["t"] - calm["t"], frozen["t"] - burst["t"]
    calm_frames = {
        v: (n - frames_by_venue(calm["stats"])[v]) / calm_s
        for v, n in frames_by_venue(burst["stats"]).items()
    }
    burst_frames = {
        v: (n - frames_by_venue(burst["stats"])[v]) / burst_s
        for v, n in frames_by_venue(frozen["stats"]).items()
    }
    in_window = [burst["t"] <= t <= frozen["t"] + args.drain for t in probe["processed_at"]]
    window = [lag for lag, keep in zip(probe["lags"], in_window, strict=True) if keep]
    queued = [lag for lag, keep in zip(probe["queue_lags"], in_window, strict=True) if keep]
    events = list(zip(probe["processed_at"], probe["venues"], strict=True))

    def event_rate(start: float, stop: float) -> dict[str, float]:
        return {
            v: sum(1 for t, venue in events if venue == v and start <= t < stop) / (stop - start)
            for v in VENUES
        }

    sent = liquidations_sent(end["stats"])
    received = {v: len(probe["liquidations"].get(v, [])) for v in VENUES}
    per_second = [(b[1] - a[1]) / (b[0] - a[0]) * 100 for a, b in itertools.pairwise(cpu)]
    waiting = [(b[2] - a[2]) / (b[0] - a[0]) * 100 for a, b in itertools.pairwise(cpu)]
    return {
        "mode": mode,
        "run_queue_wait_pct_mean": sum(waiting) / len(waiting) if waiting else float("nan"),
        "calm_frames_per_s": calm_frames,
        "burst_frames_per_s": burst_frames,
        "calm_events_per_s": event_rate(calm["t"], burst["t"]),
        "burst_events_per_s": event_rate(burst["t"], frozen["t"]),
        "lag_events": len(window),
        "lag_p50_s": percentile(window, 0.50),
        "lag_p99_s": percentile(window, 0.99),
        "lag_peak_s": max(window, default=float("nan")),
        "queue_lag_p99_s": percentile(queued, 0.99),
        "queue_lag_peak_s": max(queued, default=float("nan")),
        "liquidations_sent": sent,
        "liquidations_received": received,
        "forced_closes_generated": {
            "binanceusdm": end["stats"].get("liquidations_generated", 0),
            "bybit": end["stats"].get("bybit_liquidations_generated", 0),
            "okx": end["stats"].get("okx_liquidations_generated", 0),
        },
        "cpu_pct_mean": sum(per_second) / len(per_second) if per_second else float("nan"),
        "cpu_pct_max": max(per_second, default=float("nan")),
        "shed": probe["shed"],
        "shed_lines": [ln for ln in stderr_text.splitlines() if "shed" in ln],
        "counters": probe["counters"],
        "terminal_bytes_per_s": bytes_out / (burst_s + args.calm + args.warmup + args.drain),
    }


def report(result: dict[str, Any]) -> list[str]:
    """Print one mode's result; return the budgets it broke."""
    mode = result["mode"]
    print(f"-- {mode}")
    for venue in VENUES:
        calm = result["calm_frames_per_s"][venue]
        burst = result["burst_frames_per_s"][venue]
        ratio = burst / calm if calm else float("nan")
        calm_e = result["calm_events_per_s"][venue]
        burst_e = result["burst_events_per_s"][venue]
        ratio_e = burst_e / calm_e if calm_e else float("nan")
        print(
            f"  {venue:<12} frames/s calm {calm:5.0f}  burst {burst:5.0f} ({ratio:4.1f}×);"
            f" socket events/s calm {calm_e:5.0f} burst {burst_e:5.0f} ({ratio_e:4.1f}×)"
            f"   liquidations sent {result['liquidations_sent'][venue]:5d}"
            f"  reached the detector {result['liquidations_received'][venue]:5d}"
            f"  (forced closes {result['forced_closes_generated'][venue]})"
            f"   shed {result['shed'].get(venue, 0)}"
        )
    print(
        f"  socket → detector lag over {result['lag_events']} events: "
        f"p50 {result['lag_p50_s'] * 1000:.0f} ms, p99 {result['lag_p99_s'] * 1000:.0f} ms,"
        f" peak {result['lag_peak_s'] * 1000:.0f} ms   (budget ≤ {LAG_BUDGET_S:.0f} s);"
        f" of it in the feed's queue: p99 {result['queue_lag_p99_s'] * 1000:.0f} ms,"
        f" peak {result['queue_lag_peak_s'] * 1000:.0f} ms"
    )
    print(
        f"  app CPU during the burst: {result['cpu_pct_mean']:.0f} % of a core mean,"
        f" {result['cpu_pct_max']:.0f} % busiest second; runnable but waiting for a core"
        f" {result['run_queue_wait_pct_mean']:.0f} % of the time"
    )
    for line in result["shed_lines"]:
        print(f"  stderr: {line}")
    broken = []
    if not result["lag_peak_s"] <= LAG_BUDGET_S:
        broken.append(f"{mode}: peak lag {result['lag_peak_s']:.2f} s > {LAG_BUDGET_S} s")
    lost = {
        v: result["liquidations_sent"][v] - result["liquidations_received"][v]
        for v in VENUES
        if result["liquidations_received"][v] < result["liquidations_sent"][v]
    }
    if lost:
        broken.append(f"{mode}: liquidations lost {lost}")
    return broken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("headless", "tui", "both"), default="both")
    parser.add_argument("--symbols", type=int, default=10, help="simulated symbols (≤ 22)")
    parser.add_argument("--scale", type=float, default=10.0, help="burst: × exchange time")
    parser.add_argument("--warmup", type=float, default=20.0, help="connect and warm start (s)")
    parser.add_argument("--calm", type=float, default=15.0, help="calm window (s)")
    parser.add_argument("--burst", type=float, default=60.0, help="burst (s)")
    parser.add_argument("--drain", type=float, default=5.0, help="after the burst (s)")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    modes = ("headless", "tui") if args.mode == "both" else (args.mode,)
    broken: list[str] = []
    for mode in modes:
        result = run_mode(mode, args)
        broken += report(result)
        if args.json:
            print(json.dumps(result))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return budget_exit(broken)


if __name__ == "__main__":
    sys.exit(main())
