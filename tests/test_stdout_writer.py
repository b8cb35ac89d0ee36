"""Headless output a slow reader cannot stall: whole lines, in order, on a pipe."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import TextIO

import pytest

from scalptui.stdout_writer import StdoutWriter


def pipe() -> tuple[int, TextIO]:
    r, w = os.pipe()
    return r, os.fdopen(w, "w", encoding="utf-8")


def line(kind: str, i: int, size: int) -> str:
    return json.dumps({"type": kind, "i": i, "pad": "x" * size})


def read_all(fd: int) -> list[str]:
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    text = b"".join(chunks).decode()
    assert text == "" or text.endswith("\n"), "a half line was left at the end"
    return text.splitlines()


def test_a_reader_away_never_blocks_the_writer_and_only_snapshots_are_dropped() -> None:
    r, out = pipe()
    writer = StdoutWriter(out, limit_bytes=200_000)

    def produce() -> None:
        for i in range(60):
            writer.write(line("alert", i, 10_000))
            writer.write(line("snapshot", i, 10_000), droppable=True)

    producing = threading.Thread(target=produce)
    producing.start()
    producing.join(10)
    assert not producing.is_alive(), "a write waited for the reader"
    assert writer.dropped > 0
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.extend(os.fdopen(r).read().splitlines()))
    reader.start()
    assert writer.close(idle_s=2.0) == 0
    out.close()
    reader.join(10)
    records = [json.loads(text) for text in received]  # every line whole
    assert [rec["i"] for rec in records if rec["type"] == "alert"] == list(range(60))
    snapshots = [rec["i"] for rec in records if rec["type"] == "snapshot"]
    assert snapshots == sorted(snapshots) and len(snapshots) == 60 - writer.dropped


def test_a_reader_that_takes_nothing_more_is_given_up_on_without_a_half_line() -> None:
    r, out = pipe()
    writer = StdoutWriter(out)
    for i in range(12):  # 12 × 30 kB: more than a 64 KiB pipe holds
        writer.write(line("alert", i, 30_000))
    left = writer.close(idle_s=0.3)
    assert left > 0
    written = [json.loads(text)["i"] for text in read_all(r)]
    assert written == list(range(12 - left))


def test_a_reader_gone_is_a_broken_pipe_at_the_next_check() -> None:
    r, out = pipe()
    os.close(r)
    writer = StdoutWriter(out)
    writer.write(line("alert", 0, 10))
    deadline = time.monotonic() + 10
    with pytest.raises(BrokenPipeError):
        while time.monotonic() < deadline:
            writer.check()
            time.sleep(0.01)


def test_alerts_whose_reader_sleeps_stops_on_sigterm_with_whole_lines(tmp_path: object) -> None:
    """``alerts --json --snapshots 1 | (sleep …; cat)``: print blocked the event loop
    once the pipe was full, so the feed went unread and a SIGTERM took effect only when
    the reader came back (never, had it hung), leaving half a line."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scalptui", "alerts", "--json", "--snapshots", "1", "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + 60
        while _unread(fd) < 30_000 and time.monotonic() < deadline:
            time.sleep(0.2)  # until a period of snapshots waits in the pipe: the reader is away
        time.sleep(3.0)
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(timeout=30)  # without reading a byte
        lines = read_all(fd)
        stderr = proc.stderr.read().decode()
    finally:
        proc.kill()
    assert status == 0, stderr
    assert lines and all(json.loads(text)["type"] == "snapshot" for text in lines)
    assert "records not written" in stderr


def _unread(fd: int) -> int:
    import fcntl
    import struct
    import termios

    return int(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0])
