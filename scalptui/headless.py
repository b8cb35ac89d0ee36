"""Headless modes: ``scalptui alerts`` and ``scalptui record``. Never imports textual.

Both pump one feed into one consumer until the feed ends (a replay), the wall
clock duration runs out, or SIGINT / SIGTERM arrives — all of which end with
exit status 0 after the exchange is closed and any recording is flushed.
Alerts and snapshots go to stdout, one per line; diagnostics go to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TextIO

from scalptui.detector import AnyDetector, make_detector
from scalptui.detector.params import DetectorParams
from scalptui.feed.base import Feed, Shedding
from scalptui.feed.recording import BAD_LINE_STREAM, Recorder, RecordingError
from scalptui.feed.rotation import RotatingRecorder, describe_files
from scalptui.models import (
    Alert,
    DetectorSnapshot,
    Event,
    FeedStatus,
    Liquidation,
    MarkPrice,
    OpenInterest,
    Source,
    Trade,
)
from scalptui.numfmt import compact, encodable, price, rate_pct, usd, utc_stamp_ms, writes_utf8
from scalptui.runtime import FeedOpener
from scalptui.stdout_writer import PENDING_LIMIT_BYTES, StdoutWriter
from scalptui.stdout_writer import OutputError as OutputError  # the CLI's to catch

log = logging.getLogger(__name__)

Consumer = Callable[[Event], None]


def source_label(source: Source, recorded: Source | None = None) -> str:
    """``LIVE``, ``SIMULATED``, ``REPLAY`` or ``SIMULATED · REPLAY``."""
    if source is Source.REPLAY and recorded is Source.SIMULATED:
        return "SIMULATED · REPLAY"
    return source.value.upper()


def format_alert_text(
    alert: Alert, recorded: Source | None = None, *, show_exchange: bool = False
) -> str:
    """One alert as a plain text line: UTC event date and time, source, then the message
    (on several venues, after the venues whose prints it counts)."""
    venues = f"{alert.exchange}: " if show_exchange else ""
    label = source_label(alert.source, recorded)
    return f"{utc_stamp_ms(alert.ts)}Z [{label}] {venues}{alert.message}"


def format_snapshot_text(
    snap: DetectorSnapshot, recorded: Source | None = None, *, show_exchange: bool = False
) -> str:
    """A compact one-line summary of a snapshot for the text mode."""
    venues = f"{snap.exchange} " if show_exchange else ""
    label = source_label(snap.source, recorded)
    parts = [f"{utc_stamp_ms(snap.ts)}Z [{label}] {venues}{snap.symbol}"]
    if snap.last is not None:
        parts.append(f"last {price(snap.last, tick=snap.tick_size)}")
    if snap.mark is not None:
        parts.append(f"mark {price(snap.mark, tick=snap.tick_size)}")
    if snap.funding is not None:
        parts.append(f"funding {rate_pct(snap.funding.rate_8h)} per 8 h")
    if snap.open_interest is not None:
        base = snap.symbol.split("/", 1)[0]
        parts.append(f"OI {compact(snap.open_interest.amount)} {base}")
    longs = sum(b.long_usd for b in snap.ladder)
    shorts = sum(b.short_usd for b in snap.ladder)
    parts.append(f"est. clusters: longs {usd(longs)} below, shorts {usd(shorts)} above")
    if snap.episodes:
        parts.append("episode: " + ", ".join(e.kind.value for e in snap.episodes))
    return " · ".join(parts)


def format_status(status: FeedStatus) -> str:
    """``scalptui: 2026-12-01T10:43:27Z bybit BTC/USDT:USDT trades: reconnecting (…)``: the
    time is the status's own (a replay's, the recording's), so a log read later, or a
    replay at ``--speed 0``, still says when a stream went down."""
    if status.stream == BAD_LINE_STREAM:
        return f"scalptui: recording {status.detail}"
    where = f"{status.exchange} {status.symbol}" if status.symbol else status.exchange
    detail = f" ({status.detail})" if status.detail else ""
    when = utc_stamp_ms(status.ts)
    return f"scalptui: {when}Z {where} {status.stream}: {status.state.value}{detail}"


def venues_of(feed: Feed) -> tuple[str, ...]:
    """The venues a feed streams, in watch order (``feed.exchange`` joins them by ``,``)."""
    return tuple(venue for venue in feed.exchange.split(",") if venue)


DROPS_TOLD_EVERY_S = 10
"""At most one line every this many seconds says snapshots were dropped for a slow reader."""
OUTPUT_IDLE_S = 5.0
"""At the end, queued records wait for the reader while it takes them; once it took
nothing for this long the run ends without them (a stop must not wait for ever)."""
_SNAPSHOTS_RESTART_MS = 300_000
"""A market event this far before the next snapshot's time restarts the periods (late
events, seconds behind, do not)."""


class AlertPrinter:
    """Feeds the detector and prints alerts (and, if asked, periodic snapshots).

    Snapshot periods are in event time: the clock is the latest market event
    time seen across the watchlist, so a replay prints the same snapshots at any
    speed.
    """

    def __init__(
        self,
        detector: AnyDetector,
        symbols: Callable[[], tuple[str, ...]],
        *,
        as_json: bool,
        snapshot_every_s: float | None,
        out: TextIO,
        err: TextIO,
        recorded_source: Source | None = None,
        show_exchange: bool = False,
        drop_when_behind: bool = True,
    ) -> None:
        """``show_exchange``: text lines name the venues (a run on several);
        ``drop_when_behind``: snapshots are dropped while stdout's reader is far behind
        (a live market cannot wait; a replay waits for the reader instead)."""
        self.detector = detector
        self._show_exchange = show_exchange
        self._recorded = recorded_source
        self._symbols = symbols
        self._json = as_json
        self._period_ms = max(1, round(snapshot_every_s * 1000)) if snapshot_every_s else None
        self._next_due: int | None = None
        self._out = StdoutWriter(out)
        self._drop_when_behind = drop_when_behind
        self._err = err
        # Stdout that cannot take every character (a Latin-1 or ASCII locale): JSON
        # escapes them, text lines fall back to ASCII signs.
        self._out_encoding = getattr(out, "encoding", None)
        self._plain = not writes_utf8(self._out_encoding)
        self.alerts_printed = 0
        self._drops_told = 0
        self._ticks_since_told = DROPS_TOLD_EVERY_S

    def __call__(self, event: Event) -> None:
        if isinstance(event, Trade | Liquidation | MarkPrice | OpenInterest):
            # Snapshots due before this event describe the market before it.
            self._maybe_snapshot(event.ts)
        for alert in self.detector.on_event(event):
            self._emit_alert(alert)
        if isinstance(event, FeedStatus):
            status = format_status(event)
            encoding = getattr(self._err, "encoding", None)
            if not writes_utf8(encoding) and encoding is not None:
                status = encodable(status, encoding)
            print(status, file=self._err, flush=True)

    def _emit_alert(self, alert: Alert) -> None:
        if self._json:
            line = json.dumps(self._labelled(alert.to_record()), ensure_ascii=self._plain)
        else:
            line = format_alert_text(alert, self._recorded, show_exchange=self._show_exchange)
        self._write(line)
        self.alerts_printed += 1

    def _write(self, line: str, *, snapshot: bool = False) -> None:
        """One record on stdout, in order; a write that failed (a full disk) is an
        ``OutputError``, a closed pipe a ``BrokenPipeError`` (``StdoutWriter``)."""
        if self._plain and self._out_encoding is not None:
            line = encodable(line, self._out_encoding)
        self._out.write(line, droppable=snapshot and self._drop_when_behind)

    def tick(self) -> None:
        """Once a second: a failed write ends the run though no record follows it (a
        quiet market), and snapshots dropped for a slow reader are said on stderr."""
        self._out.check()
        self._ticks_since_told += 1
        dropped = self._out.dropped
        if dropped > self._drops_told and self._ticks_since_told >= DROPS_TOLD_EVERY_S:
            self._drops_told, self._ticks_since_told = dropped, 0
            print(
                f"scalptui: stdout's reader is behind: {dropped} snapshots dropped so far;"
                " every alert kept",
                file=self._err,
                flush=True,
            )

    async def caught_up(self) -> None:
        """Wait while the reader is far behind (a replay: it goes at the reader's pace)."""
        while self._out.pending_bytes > PENDING_LIMIT_BYTES:
            self._out.check()
            await asyncio.sleep(0.05)

    def close_output(self, idle_s: float) -> None:
        """Let what is queued reach the reader while it takes it; say what it never took.
        Raises what the writer met (the reader gone: ``BrokenPipeError``)."""
        left = self._out.close(idle_s)
        self._out.check()
        if left:
            print(
                f"scalptui: stdout took nothing for {idle_s:g} s: {left} records not written",
                file=self._err,
                flush=True,
            )

    def _labelled(self, record: dict[str, Any]) -> dict[str, Any]:
        """A replay keeps saying where its data came from (a simulated recording stays so)."""
        if self._recorded is not None:
            record["recorded_source"] = self._recorded.value
        return record

    def _maybe_snapshot(self, ts: int) -> None:
        if self._period_ms is None:
            return
        if self._next_due is None or ts < self._next_due - _SNAPSHOTS_RESTART_MS:
            # The first event, or a clock gone back (a second recording joined to the
            # first): periods count from here, not from a time minutes ahead.
            self._next_due = (ts // self._period_ms + 1) * self._period_ms
            return
        if ts < self._next_due:
            return
        due = self._next_due
        self._next_due = (ts // self._period_ms + 1) * self._period_ms
        for symbol in self._symbols():
            snap = self.detector.snapshot(symbol)
            snap_at = _with_ts(snap, due)
            if self._json:
                line = json.dumps(self._labelled(snap_at.to_record()), ensure_ascii=self._plain)
            else:
                line = format_snapshot_text(
                    snap_at, self._recorded, show_exchange=self._show_exchange
                )
            self._write(line, snapshot=True)


class ShedReporter:
    """Says on stderr, in one line, when a feed started shedding trades and marks.

    A bounded queue drops trades and marks (never liquidations) when the consumer
    falls behind; a trader must know the tape was thinned. One line when it first
    happens, then at most one every ``every_s`` seconds while it goes on.
    """

    def __init__(self, feed: Feed, err: TextIO, *, every_s: float = 10.0) -> None:
        self._feed = feed if isinstance(feed, Shedding) else None
        self._err = err
        self._every_ticks = max(1, round(every_s))
        self._reported = 0
        self._ticks_since = self._every_ticks

    def __call__(self) -> None:
        """Called once a second."""
        self._ticks_since += 1
        if self._feed is None or self._ticks_since < self._every_ticks:
            return
        shed = self._feed.shed_events
        total = sum(shed.values())
        if total <= self._reported:
            return
        self._reported, self._ticks_since = total, 0
        venues = ", ".join(f"{venue} {count}" for venue, count in shed.items() if count)
        print(
            f"scalptui: behind the market: {total} trades/marks shed so far ({venues});"
            " every liquidation kept",
            file=self._err,
            flush=True,
        )


def _with_ts(snap: DetectorSnapshot, ts: int) -> DetectorSnapshot:
    return dataclasses.replace(snap, ts=ts)


class RecordingSink:
    """Writes every event to a recording; a flush timer keeps the loss under a second."""

    def __init__(self, recorder: Recorder | RotatingRecorder, err: TextIO) -> None:
        self.recorder = recorder
        self._err = err

    def __call__(self, event: Event) -> None:
        self.recorder.write(event)
        if isinstance(event, FeedStatus):
            status = format_status(event)
            encoding = getattr(self._err, "encoding", None)
            if not writes_utf8(encoding) and encoding is not None:
                status = encodable(status, encoding)
            print(status, file=self._err, flush=True)


@contextlib.asynccontextmanager
async def stop_on_signals() -> AsyncIterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM, installed for the whole run (start-up included)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    _install_signal_handlers(loop, stop)
    try:
        yield stop
    finally:
        _remove_signal_handlers(loop)


async def open_unless_stopped(opener: FeedOpener, stop: asyncio.Event) -> Feed | None:
    """Open the feed, or give up cleanly (None) if a signal arrives while it connects.

    The openers close whatever they had started when cancelled, so a SIGTERM
    during the warm start leaves no exchange open.
    """
    opening: asyncio.Task[Feed] = asyncio.ensure_future(opener())
    stopping = asyncio.create_task(stop.wait(), name="stop")
    await asyncio.wait({opening, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if opening.done():
        feed: Feed = opening.result()
        return feed
    opening.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await opening
    return None


async def pump(
    feed: Feed,
    consume: Consumer,
    *,
    stop: asyncio.Event | None = None,
    duration_s: float | None,
    on_tick: Callable[[], None] | None = None,
    backpressure: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run ``consume`` over the feed until it ends, the duration passes, or ``stop`` is set.
    An exception from ``consume`` or ``on_tick`` ends the run and is raised (a recording's
    flush that failed on a full disk stopped the timer without a word: no more flushes).

    The feed is closed in every case.
    """
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    timer = loop.call_later(duration_s, stop.set) if duration_s is not None else None

    async def consume_all() -> None:
        async for event in feed.events():
            consume(event)
            if backpressure is not None:
                await backpressure()

    consumer = asyncio.create_task(consume_all(), name="feed-consumer")
    stopper = asyncio.create_task(stop.wait(), name="stop")
    ticker = asyncio.create_task(_tick(on_tick), name="tick") if on_tick else None
    tasks = [t for t in (consumer, stopper, ticker) if t is not None]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if timer is not None:
            timer.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await feed.close()
    worked: list[asyncio.Task[None]] = [consumer] if ticker is None else [consumer, ticker]
    for task in worked:
        if task.done() and not task.cancelled():
            failure = task.exception()
            if failure is not None:
                raise failure


async def _tick(on_tick: Callable[[], None]) -> None:
    while True:
        await asyncio.sleep(1.0)
        on_tick()


def _install_signal_handlers(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # non-POSIX loops
            loop.add_signal_handler(sig, stop.set)


def _remove_signal_handlers(loop: asyncio.AbstractEventLoop) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(sig)


async def run_alerts(
    opener: FeedOpener,
    params: DetectorParams,
    *,
    as_json: bool,
    snapshot_every_s: float | None,
    duration_s: float | None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """``scalptui alerts``: FeedError from opening propagates (the CLI exits 2)."""
    async with stop_on_signals() as stop:
        feed = await open_unless_stopped(opener, stop)
        if feed is None:
            return 0
        venues = venues_of(feed)
        replay = feed.source is Source.REPLAY
        printer = AlertPrinter(
            make_detector(params, source=feed.source, exchanges=venues),
            lambda: feed.symbols,
            as_json=as_json,
            snapshot_every_s=snapshot_every_s,
            out=out,
            err=err,
            recorded_source=feed.recorded_source,
            show_exchange=len(venues) > 1,
            drop_when_behind=not replay,
        )
        shed = ShedReporter(feed, err)

        def every_second() -> None:
            shed()
            printer.tick()

        try:
            await pump(
                feed,
                printer,
                stop=stop,
                duration_s=duration_s,
                on_tick=every_second,
                backpressure=printer.caught_up if replay else None,
            )
        finally:
            await asyncio.to_thread(printer.close_output, OUTPUT_IDLE_S)
    return 0


async def run_record(
    opener: FeedOpener,
    recorder: Recorder | RotatingRecorder,
    *,
    duration_s: float | None,
    err: TextIO = sys.stderr,
) -> int:
    """``scalptui record`` into an already opened recorder (so an unwritable path failed
    before connecting). RecordingError (a disk filling up) propagates to the CLI."""
    failed = True
    try:
        async with stop_on_signals() as stop:
            feed = await open_unless_stopped(opener, stop)
            if feed is None:
                failed = False
            else:
                await _record_feed(feed, recorder, stop, duration_s, err)
            failed = False
    finally:
        try:
            recorder.close()
        except RecordingError:
            # The disk filled in the last flush: the CLI's one error line, exit 1 (it read
            # "recorded N events", exit 0). A failed write is on its way there already.
            if not failed:
                raise
    if recorder.started:
        where = (
            describe_files(recorder.paths)
            if isinstance(recorder, RotatingRecorder)
            else recorder.path
        )
        print(f"scalptui: recorded {recorder.events_written} events to {where}", file=err)
    else:
        print(f"scalptui: stopped before recording started; {recorder.path} untouched", file=err)
    return 0


async def _record_feed(
    feed: Feed,
    recorder: Recorder | RotatingRecorder,
    stop: asyncio.Event,
    duration_s: float | None,
    err: TextIO,
) -> None:
    try:
        recorder.write_header(exchange=feed.exchange, symbols=feed.symbols, source=feed.source)
    except RecordingError:
        await feed.close()  # nothing recorded: the exchange is closed, not left open
        raise
    sink = RecordingSink(recorder, err)
    shed = ShedReporter(feed, err)

    def every_second() -> None:
        if isinstance(recorder, RotatingRecorder):
            begun = recorder.tick()
            if begun is not None:
                print(f"scalptui: recording goes on in {begun}", file=err, flush=True)
            elif recorder.rotation_problem is not None:
                print(f"scalptui: {recorder.rotation_problem}", file=err, flush=True)
                recorder.rotation_problem = None
        else:
            recorder.flush()
        shed()

    await pump(feed, sink, stop=stop, duration_s=duration_s, on_tick=every_second)
