"""Terminal bandwidth and CPU of the TUI: what an SSH link carries, and what it costs.

    python benchmarks/bench_tui.py [--steady 30] [--cascade 40] [--time-scale 1]
                                   [--venues binanceusdm,bybit,okx]

The simulated exchange runs in its own process (``python -m scalptui sim``), so
only the app's CPU is counted. The app (``python -m scalptui --base-url …``)
runs in a pseudo-terminal of 120×40; every byte it writes to the terminal is
counted, once a second, together with the app process's CPU time (utime +
stime from ``/proc``). Two sessions:

* calm: the simulator's ``calm`` scenario; after a warm-up, the median bytes/s
  and CPU are the steady state (budget ≤ 20 KB/s, ≤ 5 % of a core);
* cascade: the ``cascade`` scenario (longs crowd in, a shock arrives, forced
  selling runs through their clusters); the mean and peak bytes/s from the
  first cascade / squeeze alert on screen on (budget ≤ 100 KB/s).

First frame is spawn → the header's first paint (budget ≤ 1.0 s); it includes
the interpreter's start-up.

The anchor is measured in the same run, in the same pseudo-terminal: a plain
Textual dashboard with these panels, every one rewritten at 10 Hz
(``plain_dashboard.py``); scalptui's steady bytes and CPU are also printed as a
share of it. The script exits 1 when a budget is broken (steady median bytes/s
and CPU, the busiest cascade second, the first frame), 0 otherwise; the
machine's load shows in the CPU figures, so read them with that in mind.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import pty
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS, ROWS = 120, 40
SYMBOLS = "BTC/USDT:USDT,ETH/USDT:USDT,SOL/USDT:USDT"
ALERT_MARKS = (b"LIQUIDATION_CASCADE", b"SHORT_SQUEEZE")
FIRST_FRAME_MARK = b"scalptui"
TICKS = os.sysconf("SC_CLK_TCK")
ANCHOR_APP = Path(__file__).with_name("plain_dashboard.py")
BUDGETS: tuple[tuple[str, float, str], ...] = (
    ("first_frame_s", 1.0, "first frame (s)"),
    ("steady_bytes_per_s_median", 20 * 1024, "steady bytes/s (median)"),
    ("steady_cpu_pct_median", 5.0, "steady CPU % of a core (median)"),
    ("cascade_bytes_per_s_max", 100 * 1024, "cascade bytes/s (busiest second)"),
)
"""docs/design.md § Performance budgets: (summary key, budget, label)."""


@dataclass
class Sample:
    t: float
    bytes: int
    cpu_s: float


@dataclass
class Run:
    spawn_t: float
    first_frame_s: float | None = None
    cascade_t: float | None = None
    samples: list[Sample] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"the simulator did not listen on {port}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / TICKS


def isolated_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TERM="xterm-256color",
        COLORTERM="truecolor",
        COLUMNS=str(COLUMNS),
        LINES=str(ROWS),
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
    )
    env.pop("SCALPTUI_CONFIG", None)
    env.pop("TMUX", None)
    return env


def spawn_in_pty(argv: list[str], env: dict[str, str]) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: the app, on the pty's slave side
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    return pid, fd


def measure(pid: int, fd: int, run: Run, total_s: float, after_cascade_s: float) -> None:
    """Drain the pty (as a terminal would) and sample bytes and CPU once a second."""
    tail = b""
    window_bytes = 0
    last_cpu = cpu_seconds(pid)
    next_sample = time.monotonic() + 1.0
    end = run.spawn_t + total_s
    while True:
        now = time.monotonic()
        if now >= end or (run.cascade_t is not None and now >= run.cascade_t + after_cascade_s):
            return
        ready, _, _ = select.select([fd], [], [], max(0.0, next_sample - now))
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return  # the app exited
            window_bytes += len(chunk)
            seen = tail + chunk
            if run.first_frame_s is None and FIRST_FRAME_MARK in seen:
                run.first_frame_s = time.monotonic() - run.spawn_t
            if run.cascade_t is None and any(mark in seen for mark in ALERT_MARKS):
                run.cascade_t = time.monotonic()
            tail = seen[-64:]
        if time.monotonic() >= next_sample:
            cpu = cpu_seconds(pid)
            run.samples.append(Sample(time.monotonic(), window_bytes, cpu - last_cpu))
            window_bytes, last_cpu = 0, cpu
            next_sample += 1.0


def stop_app(pid: int, fd: int) -> None:
    try:
        os.write(fd, b"q")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
            select.select([fd], [], [], 0.1)
            with contextlib.suppress(OSError):
                os.read(fd, 65536)
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (OSError, ChildProcessError):
        pass


def summarise(run: Run, warmup_s: float) -> dict[str, float | int | None]:
    steady = [
        s
        for s in run.samples
        if s.t - run.spawn_t > warmup_s and (run.cascade_t is None or s.t < run.cascade_t)
    ]
    cascade = [s for s in run.samples if run.cascade_t is not None and s.t > run.cascade_t]
    out: dict[str, float | int | None] = {
        "first_frame_s": run.first_frame_s,
        "cascade_at_s": None if run.cascade_t is None else run.cascade_t - run.spawn_t,
        "steady_seconds": len(steady),
        "cascade_seconds": len(cascade),
    }
    if steady:
        out["steady_bytes_per_s_median"] = statistics.median(s.bytes for s in steady)
        out["steady_bytes_per_s_mean"] = statistics.fmean(s.bytes for s in steady)
        out["steady_cpu_pct_median"] = 100 * statistics.median(s.cpu_s for s in steady)
        out["steady_cpu_pct_mean"] = 100 * statistics.fmean(s.cpu_s for s in steady)
    if cascade:
        out["cascade_bytes_per_s_mean"] = statistics.fmean(s.bytes for s in cascade)
        out["cascade_bytes_per_s_max"] = max(s.bytes for s in cascade)
        out["cascade_cpu_pct_mean"] = 100 * statistics.fmean(s.cpu_s for s in cascade)
    return out


def report(summary: dict[str, float | int | None]) -> None:
    def kb(key: str) -> str:
        value = summary.get(key)
        return "–" if value is None else f"{float(value) / 1024:.1f} KB/s"

    def pct(key: str) -> str:
        value = summary.get(key)
        return "–" if value is None else f"{float(value):.1f} %"

    first = summary.get("first_frame_s")
    print(f"first frame            {'–' if first is None else f'{first:.2f} s'}   (budget ≤ 1.0 s)")
    print(
        f"steady  ({summary['steady_seconds']:>3} s)   {kb('steady_bytes_per_s_median')} median, "
        f"{kb('steady_bytes_per_s_mean')} mean   (budget ≤ 20 KB/s)"
    )
    print(
        f"steady CPU             {pct('steady_cpu_pct_median')} median, "
        f"{pct('steady_cpu_pct_mean')} mean of a core   (budget ≤ 5 %)"
    )
    print(
        f"cascade ({summary['cascade_seconds']:>3} s)   {kb('cascade_bytes_per_s_mean')} mean, "
        f"{kb('cascade_bytes_per_s_max')} max   (budget ≤ 100 KB/s); "
        f"CPU {pct('cascade_cpu_pct_mean')}"
    )
    anchor_bytes = summary.get("anchor_bytes_per_s_median")
    anchor_cpu = summary.get("anchor_cpu_pct_median")
    steady_bytes = summary.get("steady_bytes_per_s_median")
    steady_cpu = summary.get("steady_cpu_pct_median")
    print(
        f"anchor: plain dashboard at 10 Hz, same run   {kb('anchor_bytes_per_s_median')} median, "
        f"CPU {pct('anchor_cpu_pct_median')} median"
    )
    if anchor_bytes and anchor_cpu and steady_bytes is not None and steady_cpu is not None:
        print(
            f"scalptui steady vs anchor: bytes {float(steady_bytes) / float(anchor_bytes):.1%}, "
            f"CPU {float(steady_cpu) / float(anchor_cpu):.1%}"
        )
    print(json.dumps(summary))


def venue_args(venues: str, port: int) -> list[str]:
    """One venue: ``--base-url URL``; several: ``--exchange`` and one ``--base-url`` each
    (the simulator serves every venue's wire format on the same port)."""
    url = f"http://127.0.0.1:{port}"
    names = [v for v in venues.split(",") if v]
    if names == ["binanceusdm"]:
        return ["--base-url", url]
    out = ["--exchange", ",".join(names)]
    for name in names:
        out += ["--base-url", f"{name}={url}"]
    return out


def session(args: argparse.Namespace, scenario: str, total_s: float) -> Run:
    """One simulator (own process) and one app (in a pty); returns the samples."""
    home = Path(tempfile.mkdtemp(prefix="scalptui-bench-"))
    env = isolated_env(home)
    port = free_port()
    sim = subprocess.Popen(
        [sys.executable, "-m", "scalptui", "sim", "--port", str(port), "--symbols", SYMBOLS,
         "--scenario", scenario, "--seed", str(args.seed),
         "--time-scale", str(args.time_scale)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port)
        argv_app = [sys.executable, "-m", "scalptui", *venue_args(args.venues, port),
                    "--symbols", SYMBOLS]  # fmt: skip
        run = Run(spawn_t=time.monotonic())
        pid, fd = spawn_in_pty(argv_app, env)
        try:
            measure(pid, fd, run, total_s, args.cascade)
        finally:
            stop_app(pid, fd)
            os.close(fd)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    if args.series:
        print(f"-- {scenario}")
        for sample in run.samples:
            print(
                f"{sample.t - run.spawn_t:7.1f} s  {sample.bytes:8d} B  {100 * sample.cpu_s:5.1f} %"
            )
    return run


def anchor_session(args: argparse.Namespace) -> Run:
    """The plain 10 Hz dashboard in the same pseudo-terminal (no simulator needed)."""
    home = Path(tempfile.mkdtemp(prefix="scalptui-bench-"))
    env = isolated_env(home)
    run = Run(spawn_t=time.monotonic())
    pid, fd = spawn_in_pty([sys.executable, str(ANCHOR_APP)], env)
    try:
        measure(pid, fd, run, args.warmup + args.steady, args.cascade)
    finally:
        stop_app(pid, fd)
        os.close(fd)
    return run


def verdict(summary: dict[str, float | int | None]) -> list[str]:
    """Each budget broken (or not measured), as a line; empty when all hold."""
    broken: list[str] = []
    for key, budget, label in BUDGETS:
        value = summary.get(key)
        if value is None:
            broken.append(f"{label}: not measured")
        elif float(value) > budget:
            broken.append(f"{label}: {float(value):,.2f} > {budget:,.2f}")
    return broken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds ignored at start")
    parser.add_argument("--steady", type=float, default=45.0, help="seconds of the calm session")
    parser.add_argument("--total", type=float, default=240.0, help="cascade session, at most")
    parser.add_argument("--cascade", type=float, default=40.0, help="seconds measured after it")
    parser.add_argument("--time-scale", type=float, default=1.0, help="simulator speed")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--venues", default="binanceusdm", help="e.g. binanceusdm,bybit,okx (one simulator)"
    )
    parser.add_argument("--series", action="store_true", help="print every 1 s sample")
    args = parser.parse_args(argv)

    # Steady state on a calm market (no episode can start), then a cascade session
    # measured from the first cascade / squeeze alert on screen.
    calm = session(args, "calm", args.warmup + args.steady)
    calm.cascade_t = None
    steady = summarise(calm, args.warmup)
    cascade = summarise(session(args, "cascade", args.total), args.warmup)
    summary = {
        **{k: v for k, v in steady.items() if not k.startswith("cascade")},
        **{k: v for k, v in cascade.items() if k.startswith("cascade")},
        "first_frame_s": steady["first_frame_s"],
        "first_frame_cascade_session_s": cascade["first_frame_s"],
    }
    anchor = summarise(anchor_session(args), args.warmup)
    summary["anchor_bytes_per_s_median"] = anchor.get("steady_bytes_per_s_median")
    summary["anchor_cpu_pct_median"] = anchor.get("steady_cpu_pct_median")
    report(summary)
    return budget_exit(verdict(summary))


def budget_exit(broken: list[str]) -> int:
    """Print each broken budget and the verdict; the exit status (1: over budget)."""
    for line in broken:
        print(f"OVER BUDGET  {line}")
    print("within budget" if not broken else "OVER BUDGET")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
