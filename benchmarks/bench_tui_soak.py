"""TUI soak: the real app, in a pseudo-terminal, through days of market time.

``bench_soak.py`` proves the replay, the detector and the JSON sink flat over
24 h; this proves the TUI itself. It generates the same simulated recording
(``bench_soak.generate``), then spawns ``python3 -m scalptui --replay FILE
--speed N`` under ``pty.fork()`` at 120×40, so Textual runs its real Linux
driver, repaints at its own rate and writes escape sequences that are read and
discarded as a terminal would. Every few seconds the child's RSS is sampled
from ``/proc``; how far the replay has got is read from the recording's file
offset in the child (``/proc/PID/fdinfo``), so the app is not changed for it.

Verdict (docs/design.md § Performance budgets): RSS after the warm-up hour of market
time and at the end within 5 % of each other, and ≤ 200 MiB; exit status 1
when over.

Usage: ``python benchmarks/bench_tui_soak.py [--hours 24] [--speed 400]
[--reuse FILE | --keep FILE]``.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import tempfile
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_soak import generate

ROOT = Path(__file__).resolve().parent.parent
COLUMNS, LINES = 120, 40
SAMPLE_EVERY_S = 2.0
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    """What the parent saw of the child."""

    samples: list[tuple[float, float, float]] = field(default_factory=list)
    """(wall seconds since spawn, share of the recording read, RSS MiB)."""
    mappings: list[dict[str, float]] = field(default_factory=list)
    """RSS MiB by kind of mapping, one per sample: where a growth lives."""
    output_bytes: int = 0
    replay_s: float = 0.0
    exit_status: int | None = None


def child_rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE / 2**20
    except OSError:
        return None


def rss_by_mapping(pid: int) -> dict[str, float]:
    """RSS (MiB) of the child's glibc main heap, anonymous maps and file maps.

    A growth in ``heap`` is the C allocator's main arena (objects over pymalloc's
    512 bytes, numpy buffers); ``anon`` holds pymalloc's arenas, thread arenas and
    large mmaps; ``file`` is code and data of the interpreter and extension modules.
    """
    kinds = {"heap": 0.0, "anon": 0.0, "file": 0.0}
    kind = "file"
    try:
        with open(f"/proc/{pid}/smaps") as fh:
            for line in fh:
                head, _, rest = line.partition(" ")
                if "-" in head and not head.endswith(":"):
                    name = rest.split()[4:]
                    kind = "anon" if not name else "heap" if name[0] == "[heap]" else "file"
                    if name and name[0].startswith("[") and kind != "heap":
                        kind = "anon"  # [stack], [vvar]…: small, fixed
                elif head == "Rss:":
                    kinds[kind] += int(rest.split()[0]) / 1024
    except OSError:
        pass
    return kinds


def replay_offset(pid: int, recording: Path) -> int | None:
    """The child's read offset in the recording, None once it has closed the file."""
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        fds = list(fd_dir.iterdir())
    except OSError:
        return None
    for fd in fds:
        try:
            if Path(os.readlink(fd)) != recording:
                continue
            for line in (Path(f"/proc/{pid}/fdinfo") / fd.name).read_text().splitlines():
                if line.startswith("pos:"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return None


def spawn(recording: Path, speed: float, home: Path) -> tuple[int, int]:
    """Start the TUI under a pseudo-terminal of COLUMNS×LINES; return (pid, master fd)."""
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLUMNS": str(COLUMNS),
        "LINES": str(LINES),
        # The soak's own state, config and log dirs: never the user's.
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    argv = [sys.executable, "-m", "scalptui", "--replay", str(recording), "--speed", f"{speed:g}"]
    pid, master = pty.fork()
    if pid == 0:  # the child: its stdin/stdout/stderr are the pty's slave side
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        os.execvpe(argv[0], argv, env)
    return pid, master


def drain(master: int, timeout: float) -> int:
    """Read whatever the app wrote within ``timeout``; return the byte count."""
    total = 0
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([master], [], [], left)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            return total
        if not chunk:
            return total
        total += len(chunk)
    return total


def soak(recording: Path, speed: float, limit_s: float) -> Run:
    run = Run()
    size = recording.stat().st_size
    with tempfile.TemporaryDirectory() as home:
        pid, master = spawn(recording.resolve(), speed, Path(home))
        t0 = time.monotonic()
        seen_open = False
        next_sample = t0
        try:
            while time.monotonic() - t0 < limit_s:
                run.output_bytes += drain(master, 0.2)
                if time.monotonic() < next_sample:
                    continue
                next_sample += SAMPLE_EVERY_S
                offset = replay_offset(pid, recording.resolve())
                rss = child_rss_mib(pid)
                if rss is None:
                    break  # the child died
                if offset is not None:
                    seen_open = True
                    run.samples.append((time.monotonic() - t0, offset / size, rss))
                    run.mappings.append(rss_by_mapping(pid))
                elif seen_open:  # the replay closed the file: the recording is over
                    run.samples.append((time.monotonic() - t0, 1.0, rss))
                    run.mappings.append(rss_by_mapping(pid))
                    break
            run.replay_s = time.monotonic() - t0
            os.write(master, b"q")
            end = time.monotonic() + 20
            while time.monotonic() < end:
                run.output_bytes += drain(master, 0.2)
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    run.exit_status = os.waitstatus_to_exitcode(status)
                    break
        finally:
            if run.exit_status is None:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            os.close(master)
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0, help="market hours to replay")
    parser.add_argument("--speed", type=float, default=400.0, help="replay speed (0: flat out)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", type=Path, help="keep the generated recording here")
    parser.add_argument("--reuse", type=Path, help="replay this recording instead of generating")
    parser.add_argument("--limit", type=float, default=1800.0, help="give up after SECONDS")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.reuse or args.keep or Path(tmp) / "soak.jsonl.gz"
        if args.reuse is None:
            t0 = time.perf_counter()
            events = generate(path, args.hours, args.seed)
            print(
                f"generated {args.hours:g} h of simulated market: {events:,} events, "
                f"{path.stat().st_size / 2**20:.1f} MiB gz, {time.perf_counter() - t0:.0f} s"
            )
        run = soak(path, args.speed, args.limit)
    return report(run, args.hours, args.speed)


def profile(run: Run, hours: float, points: int = 12) -> str:
    """RSS at evenly spaced market hours: a plateau and a steady climb look different."""
    out: list[str] = []
    for k in range(points + 1):
        share = k / points
        sample = next((s for s in run.samples if s[1] >= share), run.samples[-1])
        out.append(f"{hours * share:.0f} h {sample[2]:.1f}")
    return ", ".join(out)


def mapping_growth(run: Run, warm_at: int) -> str:
    warm, end = run.mappings[warm_at], run.mappings[-1]
    return ", ".join(f"{kind} {warm[kind]:.1f} → {end[kind]:.1f}" for kind in warm)


def report(run: Run, hours: float, speed: float) -> int:
    if not run.samples:
        print("no sample taken: the TUI did not start")
        return 1
    start = run.samples[0][2]
    warm_share = 1.0 / hours
    warm_at = next((i for i, s in enumerate(run.samples) if s[1] >= warm_share), 0)
    warm = run.samples[warm_at][2]
    wall_end, share_end, end = run.samples[-1]
    peak = max(rss for _, _, rss in run.samples)
    growth = (end - warm) / warm * 100
    replayed_h = hours * share_end
    print(
        f"RSS start {start:.1f} MiB, after warm-up hour {warm:.1f} MiB, end {end:.1f} MiB, "
        f"peak {peak:.1f} MiB ({len(run.samples)} samples)"
    )
    print(f"RSS growth after warm-up: {growth:+.2f} % (goal: within ±5 %, ≤ 200 MiB)")
    print("RSS by market hour: " + profile(run, hours))
    print("RSS by mapping (MiB), after warm-up hour → end: " + mapping_growth(run, warm_at))
    print(
        f"replayed {replayed_h:.1f} h of market time in {wall_end:.0f} s wall at --speed "
        f"{speed:g}: {replayed_h * 3600 / max(wall_end, 1e-9):,.0f}× real time achieved; "
        f"terminal output {run.output_bytes / max(run.replay_s, 1e-9) / 1024:.1f} KiB/s; "
        f"exit status {run.exit_status}"
    )
    ok = (
        share_end >= 0.999
        and abs(growth) <= 5
        and peak <= 200
        and end <= 200
        and run.exit_status == 0
    )
    print("PASS" if ok else "OVER BUDGET (or the replay did not finish)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
