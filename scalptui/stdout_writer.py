"""Headless output that a slow reader cannot stall.

``scalptui alerts | bot.py``: while the reader is busy (rate-limited, paused), the
pipe fills after 64 KiB — one period of snapshots on three symbols — and a
``print`` there blocked the one event loop: no socket was read for as long as the
reader slept, every stream then read stale and was re-subscribed, and what the old
connections still held was lost, liquidations included. A stop signal in that
time took effect only once the reader drained, and could leave half a line.

So lines go to a thread that alone writes to the file descriptor, whole lines in
order; the loop only appends. While more than ``limit_bytes`` wait, snapshot lines
are dropped (counted, said on stderr) and alerts always kept. At the end the
writer is given a while to finish, and on a pipe it starts a line only once the
line fits whole, so a run that ends with its reader stuck leaves no half line.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import struct
import termios
import threading
import time
from collections import deque
from typing import TextIO

PENDING_LIMIT_BYTES = 8 * 1024 * 1024
"""Lines held for a slow reader before snapshots are dropped (some 60 periods of
snapshots on three symbols, at about 46 kB a snapshot)."""


class OutputError(Exception):
    """stdout could not take a record (its message is the OS's reason)."""


F_GETPIPE_SZ = 1032  # Linux's fcntl: a pipe's capacity
ROOM_POLL_S = 0.05


def _pipe_size(fd: int) -> int | None:
    """The capacity of the pipe ``fd`` writes to; None for a file, a terminal or an OS
    that does not say."""
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return None
        return fcntl.fcntl(fd, F_GETPIPE_SZ)
    except OSError:
        return None


def _unread(fd: int) -> int:
    """Bytes written to the pipe that its reader has not taken yet."""
    count: int = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    return count


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # StringIO, a closed stream
        return None


class StdoutWriter:
    """Whole lines to ``out`` in the order given, written by a thread of its own when
    ``out`` is a file descriptor (an in-memory stream is written at once)."""

    def __init__(self, out: TextIO, *, limit_bytes: int = PENDING_LIMIT_BYTES) -> None:
        self._out = out
        self._limit = limit_bytes
        self._encoding = getattr(out, "encoding", None) or "utf-8"
        self._fd = _fileno(out)
        self._lines: deque[bytes] = deque()
        self._pending = 0
        self._closing = False
        self._failure: BaseException | None = None
        self._changed = threading.Condition()
        self.dropped = 0
        """Snapshot lines dropped while the reader was behind."""
        self._thread: threading.Thread | None = None
        self._pipe_size = _pipe_size(self._fd) if self._fd is not None else None
        if self._fd is not None:
            with contextlib.suppress(OSError, ValueError):
                out.flush()  # what was printed before comes first
            self._thread = threading.Thread(target=self._run, name="stdout", daemon=True)
            self._thread.start()

    @property
    def pending_lines(self) -> int:
        return len(self._lines)

    @property
    def pending_bytes(self) -> int:
        return self._pending

    def write(self, line: str, *, droppable: bool = False) -> None:
        """Queue ``line`` (a newline is added). ``droppable`` lines (snapshots) are
        dropped while the reader is behind. Raises what a write already met:
        ``BrokenPipeError`` (the reader went away) or ``OutputError``."""
        self.check()
        if self._fd is None:
            self._write_now(line)
            return
        data = (line + "\n").encode(self._encoding, errors="backslashreplace")
        with self._changed:
            if droppable and self._pending > self._limit:
                self.dropped += 1
                return
            self._lines.append(data)
            self._pending += len(data)
            self._changed.notify()

    def check(self) -> None:
        """Raise the failure the writer met, if any."""
        failure = self._failure
        if failure is not None:
            raise failure

    def close(self, idle_s: float) -> int:
        """Let the writer finish while the reader takes lines; give up once it took
        nothing for ``idle_s``. The lines left unwritten."""
        if self._thread is None:
            return 0
        with self._changed:
            self._closing = True
            self._changed.notify()
        left = -1
        while self._thread.is_alive():
            now_left = self.pending_lines
            if now_left == left:
                break  # nothing taken for idle_s
            left = now_left
            self._thread.join(idle_s)
        with self._changed:
            return len(self._lines)  # the one being written among them

    def _write_now(self, line: str) -> None:
        try:
            print(line, file=self._out, flush=True)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc)) from exc

    def _run(self) -> None:
        assert self._fd is not None
        while True:
            with self._changed:
                while not self._lines and not self._closing:
                    self._changed.wait()
                if not self._lines:
                    return
                data = self._lines[0]
            try:
                self._wait_for_room(self._fd, len(data))
                self._write_all(self._fd, data)
            except BrokenPipeError as exc:
                self._failure = exc
                return
            except OSError as exc:
                self._failure = OutputError(exc.strerror or str(exc))
                return
            with self._changed:
                self._lines.popleft()
                self._pending -= len(data)

    def _wait_for_room(self, fd: int, size: int) -> None:
        """On a pipe, start a line only once it fits whole: a writer that is given up
        on (the reader took nothing more) then leaves no half line behind it."""
        capacity = self._pipe_size
        if capacity is None or size > capacity:
            return
        try:
            while capacity - _unread(fd) < size:
                time.sleep(ROOM_POLL_S)
        except OSError:
            return  # cannot tell: the write itself will say

    @staticmethod
    def _write_all(fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
