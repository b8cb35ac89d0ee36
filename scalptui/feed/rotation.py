"""Recordings split by the clock: ``scalptui record FILE --rotate 1h``.

A monitor left recording for days writes some 2.4 GB a day (180 MB gzipped) into
one file that can only be replayed, copied or deleted whole. With ``--rotate`` the
recording goes to one file per interval of UTC time (``rec.jsonl.gz`` becomes
``rec.20261201T220000Z.jsonl.gz``, …), each of which replays on its own as a live
run started at its first line would: it opens with its own header, each market's
facts, each stream's last state and a warm-start history carried forward from the
events recorded so far (the fetched candles and open interest, then candles built
from the trades and the open-interest samples that followed). Files joined end to
end replay one after the other as any joined recordings do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
import os
import re
import statistics
import time
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from scalptui.feed.recording import (
    Recorder,
    RecordingError,
    RecordingLocked,
    hold_recording_lock,
)
from scalptui.models import (
    Bar,
    Event,
    FeedStatus,
    History,
    MarketInfo,
    OpenInterest,
    Source,
    TakerSide,
    Trade,
)

log = logging.getLogger(__name__)

DEFAULT_BAR_MS = 300_000
"""The venues' warm-start period (5-minute candles), for a market whose history was
not fetched."""
DEFAULT_BARS_KEPT = 288
"""A day of 5-minute candles, Binance's warm start, when no history said how many."""
MIN_ROTATE_S = 60
MAX_ROTATE_S = 366 * 86_400
_INTERVAL = re.compile(r"\s*(\d+)\s*([mhd])\s*", re.IGNORECASE | re.ASCII)
_UNIT_S = {"m": 60, "h": 3600, "d": 86400}
_STAMP = "%Y%m%dT%H%M%SZ"
_KNOWN_SUFFIXES = (".gz", ".jsonl", ".ndjson", ".json", ".log", ".txt")
_MAX_NAME_TRIES = 20


def parse_interval(text: str) -> int:
    """``30m``, ``1h``, ``6h``, ``1d`` → seconds; ValueError for anything else."""
    match = _INTERVAL.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an interval like 30m, 1h or 1d")
    seconds = int(match.group(1)) * _UNIT_S[match.group(2).lower()]
    if seconds < MIN_ROTATE_S:
        raise ValueError(f"{text!r} is shorter than a minute")
    if seconds > MAX_ROTATE_S:
        raise ValueError(f"{text!r} is longer than a year")
    return seconds


def rotated_name(base: Path, started_s: float, attempt: int = 0) -> Path:
    """``base`` with the file's UTC start inserted before its suffixes (a gzip name
    stays a gzip name); a retry for a name already taken adds ``-2``, ``-3``…"""
    name = base.name
    suffixes = ""
    while True:
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem or f".{ext.lower()}" not in _KNOWN_SUFFIXES:
            break
        suffixes = f".{ext}{suffixes}"
        name = stem
    stamp = datetime.fromtimestamp(started_s, UTC).strftime(_STAMP)
    retry = f"-{attempt + 1}" if attempt else ""
    return base.with_name(f"{name}.{stamp}{retry}{suffixes}")


def next_boundary(now_s: float, every_s: int) -> float:
    """The next multiple of ``every_s`` since 1970-01-01 UTC: hours on the hour, days at
    midnight UTC (an interval that does not divide a day, 7m or 25h, drifts from day to
    day)."""
    return (int(now_s // every_s) + 1) * float(every_s)


# --------------------------------------------------------------------------- memory


@dataclass(slots=True)
class _Candle:
    open: float
    high: float
    low: float
    close: float
    volume: float
    buy: float | None

    @classmethod
    def of_bar(cls, bar: Bar) -> _Candle:
        return cls(bar.open, bar.high, bar.low, bar.close, bar.volume, bar.taker_buy_volume)

    def take(self, trade: Trade) -> None:
        self.high = max(self.high, trade.price)
        self.low = min(self.low, trade.price)
        self.close = trade.price
        self.volume += trade.amount
        if self.buy is not None and trade.side is TakerSide.BUY:
            self.buy += trade.amount


@dataclass(slots=True)
class _MarketMemory:
    """One market's warm-start history, carried forward period by period."""

    period_ms: int = DEFAULT_BAR_MS
    kept: int = DEFAULT_BARS_KEPT
    taker_split: bool = True
    """Whether the venue's candles give taker-buy volume (a replay then gets it too)."""
    candles: dict[int, _Candle] = field(default_factory=dict)
    open_interest: dict[int, OpenInterest] = field(default_factory=dict)

    def seed(self, history: History) -> None:
        stamps = sorted(b.ts for b in history.bars)
        gaps = [b - a for a, b in itertools.pairwise(stamps) if b > a]
        if gaps:
            self.period_ms = int(statistics.median(gaps))
        self.kept = max(len(history.bars), len(history.open_interest), 1)
        if history.bars:
            self.taker_split = any(b.taker_buy_volume is not None for b in history.bars)
        for bar in history.bars:
            self.candles[self._period(bar.ts)] = _Candle.of_bar(bar)
        for sample in history.open_interest:
            self.open_interest[self._period(sample.ts)] = sample
        self._trim()

    def take_trade(self, trade: Trade) -> None:
        if not (trade.price > 0.0 and trade.amount >= 0.0):
            return
        period = self._period(trade.ts)
        candle = self.candles.get(period)
        if candle is None:
            buy = 0.0 if self.taker_split else None
            self.candles[period] = candle = _Candle(
                trade.price, trade.price, trade.price, trade.price, 0.0, buy
            )
            self._trim()
        candle.take(trade)

    def take_open_interest(self, sample: OpenInterest) -> None:
        period = self._period(sample.ts)
        held = self.open_interest.get(period)
        if held is None or sample.ts >= held.ts:  # the period's last sample
            self.open_interest[period] = sample
            self._trim()

    def history(self, ts: int, exchange: str, symbol: str) -> History | None:
        bars = tuple(
            Bar(p, c.open, c.high, c.low, c.close, _tidy(c.volume), _tidy(c.buy))
            for p, c in sorted(self.candles.items())
        )
        ois = tuple(o for _, o in sorted(self.open_interest.items()))
        if not bars and not ois:
            return None
        return History(ts, exchange, symbol, bars, ois)

    def _period(self, ts: int) -> int:
        return ts - ts % self.period_ms

    def _trim(self) -> None:
        for held in (self.candles, self.open_interest):
            while len(held) > self.kept:
                del held[min(held)]


@typing.overload
def _tidy(x: float) -> float: ...
@typing.overload
def _tidy(x: None) -> None: ...
def _tidy(x: float | None) -> float | None:
    """A sum of trade sizes without its float noise (``210.23099999999988``)."""
    return None if x is None else float(f"{x:.12g}")


class SessionMemory:
    """What a new file needs at its start to replay on its own, kept from every event
    recorded: each market's facts, each stream's last state, and each market's
    warm-start history carried forward."""

    def __init__(self) -> None:
        self._markets: dict[tuple[str, str], MarketInfo] = {}
        self._statuses: dict[tuple[str, str | None, str], FeedStatus] = {}
        self._histories: dict[tuple[str, str], _MarketMemory] = {}

    def observe(self, event: Event) -> None:
        if isinstance(event, Trade):
            self._memory(event.exchange, event.symbol).take_trade(event)
        elif isinstance(event, OpenInterest):
            self._memory(event.exchange, event.symbol).take_open_interest(event)
        elif isinstance(event, FeedStatus):
            self._statuses[(event.exchange, event.symbol, event.stream)] = event
        elif isinstance(event, MarketInfo):
            self._markets[(event.exchange, event.symbol)] = event
        elif isinstance(event, History):
            fresh = _MarketMemory()
            fresh.seed(event)
            self._histories[(event.exchange, event.symbol)] = fresh

    def opening_events(self, ts: int) -> list[Event]:
        """Markets, then histories, then stream states, stamped ``ts`` (wall ms)."""
        events: list[Event] = [dataclasses.replace(m, ts=ts) for m in self._markets.values()]
        for (exchange, symbol), memory in self._histories.items():
            history = memory.history(ts, exchange, symbol)
            if history is not None:
                events.append(history)
        events.extend(dataclasses.replace(s, ts=ts) for s in self._statuses.values())
        return events

    def _memory(self, exchange: str, symbol: str) -> _MarketMemory:
        key = (exchange, symbol)
        memory = self._histories.get(key)
        if memory is None:
            memory = self._histories[key] = _MarketMemory()
        return memory


# --------------------------------------------------------------------------- recorder


class RotatingRecorder:
    """A ``Recorder`` that starts a new file at every multiple of ``every_s`` of UTC
    time (checked by ``tick``, once a second), each opening with what it needs to
    replay on its own. Names: see ``rotated_name``. A name that holds something
    already is refused at the start unless ``overwrite`` (as a plain FILE is); later
    files skip to ``-2``, ``-3``… rather than stop a recording that is running."""

    def __init__(
        self,
        base: Path,
        every_s: int,
        *,
        overwrite: bool = False,
        wall: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base = base
        self.every_s = every_s
        self._overwrite = overwrite
        self._wall = wall
        self._clock = clock
        self._memory = SessionMemory()
        self._header: tuple[str, tuple[str, ...], Source] | None = None
        self._started_ms: int | None = None
        """The current file's ``started``: the next file's header names it."""
        self.paths: list[Path] = []
        """Every file started, oldest first (the current one last)."""
        self._done_written = 0
        """Events of the files already closed."""
        self.rotation_problem: str | None = None
        """Why the last boundary's next file could not be started (said once, then None)."""
        if base.name in ("", "-") or (base.exists() and not base.is_file()):
            raise RecordingError(
                f"--rotate needs a file name to put each file's start in; {base} is not one"
            )
        self._base_lock = _lock_base(base)
        now = wall()
        self._due = next_boundary(now, every_s)
        first = rotated_name(base, now)
        try:
            if not overwrite and _holds_something(first):
                raise RecordingError(
                    f"recording path {first} holds something already: "
                    "pass --overwrite to replace it"
                )
            self._current = Recorder(first, clock=clock)
        except RecordingError:
            self._base_lock.release()
            raise
        self.paths.append(first)

    @property
    def path(self) -> Path:
        return self._current.path

    @property
    def started(self) -> bool:
        return self._current.started

    @property
    def events_written(self) -> int:
        return self._done_written + self._current.events_written

    @property
    def events_flushed(self) -> int:
        return self._done_written + self._current.events_flushed

    def write_header(self, *, exchange: str, symbols: tuple[str, ...], source: Source) -> None:
        self._current.write_header(exchange=exchange, symbols=symbols, source=source)
        self._header = (exchange, symbols, source)
        self._started_ms = self._current.started_ms

    def write(self, event: Event) -> None:
        self._current.write(event)
        self._memory.observe(event)

    def flush(self) -> None:
        self._current.flush()

    def tick(self) -> Path | None:
        """Flush; past the boundary, close this file and start the next (its path; None
        with ``rotation_problem`` set when it could not be started)."""
        self._current.flush()
        now = self._wall()
        if now < self._due or self._header is None:
            return None
        self._due = next_boundary(now, self.every_s)
        return self._rotate(now)

    def close(self) -> None:
        try:
            self._current.close()
        finally:
            self._base_lock.release()

    def _rotate(self, now: float) -> Path | None:
        """The next file, claimed before this one is closed: one that cannot be started (its
        directory gone) leaves the recording going on in this one, said once per boundary,
        rather than ending it."""
        assert self._header is not None
        exchange, symbols, source = self._header
        try:
            upcoming = self._claim_next(now)
        except RecordingError as exc:
            self.rotation_problem = f"{exc}; recording goes on in {self._current.path}"
            log.warning("%s", self.rotation_problem)
            return None
        self._current.close()
        self._done_written += self._current.events_written
        self._current = upcoming
        self.paths.append(upcoming.path)
        upcoming.write_header(
            exchange=exchange, symbols=symbols, source=source, continues=self._started_ms
        )
        self._started_ms = upcoming.started_ms
        for event in self._memory.opening_events(int(now * 1000)):
            upcoming.write(event)
        upcoming.flush()
        log.info("recording goes on in %s", upcoming.path)
        return upcoming.path

    def _claim_next(self, now: float) -> Recorder:
        """A recorder on the first free name for a file starting ``now``: a name that holds
        something, or that another run records, is skipped; any other failure is raised."""
        for attempt in range(_MAX_NAME_TRIES):
            path = rotated_name(self.base, now, attempt)
            if not self._overwrite and _holds_something(path):
                continue
            try:
                return Recorder(path, clock=self._clock)
            except RecordingLocked:
                continue
        raise RecordingError(
            f"cannot start the next recording file after {self.paths[-1]}: "
            f"{_MAX_NAME_TRIES} names tried are taken"
        )


class _BaseLock:
    """An exclusive lock on ``.NAME.lock`` beside the base name, held while recording: two
    runs rotating on one name a few seconds apart both ran, and the second's files took
    ``-2`` names that ``cat rec.*`` interleaved with the first's."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            os.close(self._fd)  # closing the descriptor releases its lock
        self._fd = None


def _lock_base(base: Path) -> _BaseLock:
    lock = base.with_name(f".{base.name}.lock")
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT, 0o666)
    except OSError as exc:
        raise RecordingError(f"cannot write recording {base}: {exc.strerror or exc}") from None
    hold_recording_lock(fd, base)
    return _BaseLock(lock, fd)


def _holds_something(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False  # a name too long or a loop of links: Recorder says which


def describe_files(paths: Iterable[Path]) -> str:
    """``rec.A.jsonl`` / ``2 files, rec.A.jsonl to rec.B.jsonl`` for the last line."""
    names = [str(p) for p in paths]
    if len(names) == 1:
        return names[0]
    return f"{len(names)} files, {names[0]} to {names[-1]}"
