"""Recording normalised events to JSON lines, and replaying them as a feed.

File format (version 1), one JSON object per line, gzip when the name ends in
``.gz``::

    {"format": "scalptui-recording", "version": 1, "exchange": "binanceusdm",
     "symbols": ["BTC/USDT:USDT"], "source": "live", "started": 1764075600000}
    {"kind": "trade", "ts": 1764075600123, "exchange": "binanceusdm",
     "symbol": "BTC/USDT:USDT", "price": 97000.5, "amount": 0.012, "side": "buy"}
    {"kind": "liquidation", ...}   {"kind": "mark", ...}   {"kind": "open_interest", ...}
    {"kind": "status", ...}        {"kind": "market", ...} {"kind": "history", ...}

A run on several venues writes ``"exchange": "binanceusdm,bybit"`` and adds
``"exchanges": ["binanceusdm", "bybit"]`` (watch order); a single-venue header is
unchanged. Every event line names its own venue in ``exchange``, so a replay
routes each event to its venue as the live run did.

Each event line holds the fields of its model in ``scalptui.models``. Besides
the five market/status kinds, ``market`` (tick size, leverage limits) and
``history`` (the warm-start candles and open interest) are recorded too, so a
replay rebuilds the same ladder the live run had.

The recorder flushes at least once a second (gzip with a sync flush), so a
crash loses at most the last second and the file stays readable up to its last
complete line. A replay reports a truncated or corrupt line with its number and
skips it. Nothing here imports ccxt: replay must start without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import gzip
import io
import json
import logging
import math
import os
import time
import typing
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from scalptui.feed.base import STATUS_LOG
from scalptui.feed.gzip_members import GzipMembers
from scalptui.models import (
    SESSION_STREAM,
    Bar,
    Event,
    FeedStatus,
    History,
    Liquidation,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    Side,
    Source,
    StreamState,
    TakerSide,
    Trade,
)

log = logging.getLogger(__name__)

FORMAT = "scalptui-recording"
VERSION = 1
FLUSH_EVERY_S = 1.0
MAX_LINE_BYTES = 1 << 20
"""No event's line comes near it (a warm start's day of 5-minute history is ~60 kB)."""

_CLASSES: dict[str, type[Any]] = {
    cls.KIND: cls for cls in (Trade, Liquidation, MarkPrice, OpenInterest, FeedStatus, MarketInfo)
}


class RecordingError(Exception):
    """A recording cannot be written or read at all; the message is one line."""


class RecordingLocked(RecordingError):
    """The path is being recorded by another scalptui run (its lock is held)."""


# --------------------------------------------------------------------------- encoding


def event_to_record(event: Event) -> dict[str, Any]:
    """One event as the dict written on its line."""
    record: dict[str, Any] = {"kind": event.KIND}
    record.update(dataclasses.asdict(event))
    for key in ("side", "state"):
        value = record.get(key)
        if value is not None and hasattr(value, "value"):
            record[key] = value.value
    return record


def record_to_event(record: dict[str, Any]) -> Event:
    """Rebuild an event from its line; raises ValueError on anything malformed.

    Every field is checked against its model's type (strings, integer
    timestamps within range, finite numbers, enums), so a line that is valid
    JSON but wrong in any field is reported and skipped, never passed on.
    """
    if not isinstance(record, dict):
        raise ValueError("line is not a JSON object")
    kind = record.get("kind")
    fields = {k: v for k, v in record.items() if k != "kind"}
    if kind == History.KIND:
        bars = _list_of(fields.pop("bars", None), Bar, "bars")
        ois = _list_of(fields.pop("open_interest", None), OpenInterest, "open_interest")
        history: History = _build(History, {**fields, "bars": bars, "open_interest": ois})
        return history
    cls = _CLASSES.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown event kind {kind!r}")
    event: Event = _build(cls, fields)
    return event


_MAX_TS = 253_402_300_799_999  # 9999-12-31: beyond it no clock can print the time
_SIDE_TYPES: dict[type[Any], type[Any]] = {Trade: TakerSide, Liquidation: Side}
# The fields the live feed only ever passes on above zero (venues.to_positive): a line
# with a price of -5 or 0 cannot come from it, and would turn the detector's returns
# and the ladder's levels into nonsense.
_POSITIVE: dict[type[Any], frozenset[str]] = {
    Trade: frozenset({"price", "amount"}),
    Liquidation: frozenset({"price", "amount", "notional"}),
    MarkPrice: frozenset({"mark", "index"}),
    Bar: frozenset({"open", "high", "low", "close"}),
}


def _build(cls: type[Any], fields: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = set(fields) - set(names)
    if unknown:
        raise ValueError(f"{cls.KIND} line has unknown field {sorted(unknown)[0]!r}")
    values: dict[str, Any] = {}
    for name in names:
        if name in fields:
            values[name] = _checked(cls, name, hints[name], fields[name])
    missing = [f.name for f in dataclasses.fields(cls) if _required(f) and f.name not in values]
    if missing:
        kind = getattr(cls, "KIND", cls.__name__)
        raise ValueError(f"{kind} line lacks {', '.join(missing)}")
    return cls(**values)


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _checked(cls: type[Any], name: str, hint: Any, value: Any) -> Any:
    where = f"{getattr(cls, 'KIND', cls.__name__)}.{name}"
    if name == "side":
        return _SIDE_TYPES[cls](value)
    if name == "state":
        return StreamState(value)
    if name in ("bars", "open_interest") and cls is History:
        return value
    optional = type(None) in typing.get_args(hint)
    base = next((a for a in typing.get_args(hint) if a is not type(None)), hint)
    if value is None and optional:
        return None
    if base is str:
        if not isinstance(value, str):
            raise ValueError(f"{where} must be a string, got {value!r}")
        return value
    if base is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{where} must be true or false, got {value!r}")
        return value
    if base is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_TS:
            raise ValueError(f"{where} must be a whole number of ms, got {value!r}")
        return value
    if base is float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"{where} must be a finite number, got {value!r}")
        if value <= 0 and name in _POSITIVE.get(cls, ()):
            raise ValueError(f"{where} must be greater than 0, got {value!r}")
        return float(value)
    raise ValueError(f"{where} has a type recordings do not carry")


def _list_of(raw: Any, cls: type[Any], name: str) -> tuple[Any, ...]:
    if raw is None:
        raise ValueError(f"history line lacks {name}")
    if not isinstance(raw, list):
        raise ValueError(f"history.{name} must be a list")
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise ValueError(f"history.{name} entries must be objects")
        out.append(_build(cls, item))
    return tuple(out)


def is_gzip_name(path: Path) -> bool:
    """``.gz`` in any case (``up.JSONL.GZ`` was written as plain text)."""
    return path.suffix.lower() == ".gz"


def _open_text(path: Path, mode: str) -> IO[str]:
    """Open a recording as text (decompressed for .gz)."""
    return io.TextIOWrapper(_open_binary(path, mode), encoding="utf-8", newline="\n")


def _open_binary(path: Path, mode: str) -> IO[bytes]:
    """Open a recording's bytes (decompressed for .gz; read member by member, so that
    files joined after one a crash cut short are read too)."""
    if is_gzip_name(path):
        if mode == "r":
            return io.BufferedReader(GzipMembers(path.open("rb")))
        return typing.cast(IO[bytes], gzip.open(path, mode + "b"))
    return path.open(mode + "b")


# --------------------------------------------------------------------------- recorder


def _claim(path: Path) -> tuple[bool, int | None]:
    """Raise OSError if ``path`` cannot be written, leaving its content alone; whether
    this created it, and a descriptor holding an exclusive lock on it (None for a device
    or pipe, which is opened only when recording starts).

    The lock is held while recording: two runs given the same new name both passed
    the "holds something already" check while it was still empty, and the second's
    header erased the first's events.
    """
    existed = path.exists()
    if existed and not path.is_file():
        return False, None
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    hold_recording_lock(fd, path)
    return not existed, fd


def hold_recording_lock(fd: int, path: Path) -> None:
    """Take an exclusive lock on ``fd`` for the run recording ``path``; RecordingLocked
    (and ``fd`` closed) while another run holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RecordingLocked(f"{path} is being recorded by another scalptui run") from None
    except OSError:
        pass  # a file system without locks (some network ones): record all the same


class Recorder:
    """Writes a header and then one event per line, flushing at least every second.

    Whether the path can be written is checked at construction (``RecordingError``
    for an unwritable path) without touching what is there: the file is truncated
    only when the header is written, i.e. once a feed is open, so a run that fails
    to start leaves an existing file as it was. A write or flush that fails while
    running (a full disk) raises ``RecordingError`` too, after which the file is
    readable up to its last complete line.
    """

    def __init__(
        self,
        path: Path,
        *,
        exchange: str | None = None,
        symbols: tuple[str, ...] = (),
        source: Source = Source.LIVE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._clock = clock
        self.events_written = 0
        self.events_flushed = 0
        """Events the last successful flush handed to the OS (a full disk keeps those)."""
        self._failed = False
        self._has_header = False
        self.started_ms: int | None = None
        """The header's ``started`` (wall ms), once written."""
        self._fh: IO[str] | None = None
        try:
            self._created, self._lock = _claim(path)
        except OSError as exc:
            raise RecordingError(f"cannot write recording {path}: {exc.strerror or exc}") from None
        self._last_flush = self._clock()
        if exchange is not None:
            try:
                self.write_header(exchange=exchange, symbols=symbols, source=source)
            except RecordingError:
                self.close()  # the lock and a file created for nothing go with it
                raise

    @property
    def started(self) -> bool:
        """Whether the header was written (and the path's old content replaced)."""
        return self._has_header

    def write_header(
        self,
        *,
        exchange: str,
        symbols: tuple[str, ...],
        source: Source,
        continues: int | None = None,
    ) -> None:
        """The first line; called once the feed says what it is (source may turn SIMULATED).
        ``exchange``: the feed's, i.e. several venues joined by ``,``; ``continues``: the
        ``started`` of the file this one goes on from (``record --rotate``)."""
        if source is Source.REPLAY:
            raise RecordingError("a replay cannot be recorded again: record a live or --demo feed")
        self.started_ms = int(time.time() * 1000)
        header: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "exchange": exchange,
            "symbols": list(symbols),
            "source": source.value,
            "started": self.started_ms,
        }
        venues = exchange.split(",")
        if len(venues) > 1:
            header["exchanges"] = venues
        if continues is not None:
            header["continues"] = continues
        try:
            self._fh = _open_text(self.path, "w")
        except OSError as exc:
            raise self._error("write", exc) from None
        self._write_line(header)
        self.flush()  # a full disk: no header, and the file created for it is removed
        self._has_header = True

    def write(self, event: Event) -> None:
        if not self._has_header:
            raise RecordingError(f"recording {self.path}: an event before the header")
        self._write_line(event_to_record(event))
        self.events_written += 1
        if self._clock() - self._last_flush >= FLUSH_EVERY_S:
            self.flush()

    def flush(self) -> None:
        """Push buffered lines to the OS; also called by a once-a-second timer."""
        if self._fh is None:
            return
        try:
            self._fh.flush()
            raw = getattr(self._fh, "buffer", None)
            if isinstance(raw, gzip.GzipFile):
                raw.flush()  # gzip sync flush: the stream so far is decodable
        except OSError as exc:
            self._failed = True
            raise RecordingError(
                f"cannot write recording {self.path}: {exc.strerror or exc}"
            ) from None
        self._last_flush = self._clock()
        if not self._failed:  # after a failed write, what the buffer held is lost
            self.events_flushed = self.events_written

    def close(self) -> None:
        """Flush and close. A file this recorder created and never gave its header is
        removed (nothing to replay); nothing else is ever removed: not a file that was
        there before, nor a device."""
        if self._fh is not None and self._fh.closed:
            return
        if not self._has_header:
            with contextlib.suppress(OSError):
                if self._fh is not None:
                    self._fh.close()
                if self._created and self.path.is_file():
                    self.path.unlink()
            self._created = False
            self._unlock()
            return
        assert self._fh is not None
        try:
            self.flush()
        finally:
            try:
                self._fh.close()
            except OSError as exc:
                raise self._error("finish", exc) from None
            finally:
                self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock)  # closing the descriptor releases its lock
            self._lock = None

    def _error(self, verb: str, exc: OSError) -> RecordingError:
        return RecordingError(f"cannot {verb} recording {self.path}: {exc.strerror or exc}")

    def _write_line(self, record: dict[str, Any]) -> None:
        assert self._fh is not None, "the header opens the file"
        try:
            self._fh.write(json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n")
        except OSError as exc:
            self._failed = True
            raise RecordingError(
                f"cannot write recording {self.path}: {exc.strerror or exc}"
            ) from None


# --------------------------------------------------------------------------- reader


def held_symbols(header: RecordingHeader, path: Path, symbols: Sequence[str]) -> tuple[str, ...]:
    """``symbols``, each of which the recording must hold (RecordingError naming what it
    does hold otherwise)."""
    for symbol in symbols:
        if symbol not in header.symbols:
            raise RecordingError(
                f"{symbol} is not in the recording {path.name} "
                f"(it holds {', '.join(header.symbols)})"
            )
    return tuple(symbols)


@dataclass(frozen=True, slots=True)
class RecordingHeader:
    exchange: str
    """The venue, or several joined by ``,``."""
    symbols: tuple[str, ...]
    source: Source
    started: int
    exchanges: tuple[str, ...] = ()
    """Every venue recorded, in watch order."""
    continues: int | None = None
    """The ``started`` of the recording this one goes on from (one file of a rotating
    record), None for a recording of its own."""


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that could not be read back: its number (1-based) and why."""

    number: int
    reason: str
    joined: bool = False
    """The line is a second recording's header (files joined end to end)."""
    header: RecordingHeader | None = None
    """That header's fields, where they could be read."""


def read_header(path: Path) -> RecordingHeader:
    """Check that ``path`` is a recording and return its header (RecordingError if not)."""
    try:
        with _open_text(path, "r") as fh:
            first = fh.readline(MAX_LINE_BYTES)
    except FileNotFoundError:
        raise RecordingError(f"recording not found: {path}") from None
    except UnicodeDecodeError:
        raise RecordingError(f"{path} is not a readable recording: {_not_text(path)}") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        # zlib's "Error -3 while decompressing data: unknown header flags set" said little
        raise RecordingError(
            f"{path} is not a readable recording: not gzip data, or damaged before its "
            f"first line ends ({exc})"
        ) from None
    except OSError as exc:
        raise RecordingError(f"cannot read recording {path}: {exc.strerror or exc}") from None
    if not first.strip():
        raise RecordingError(f"{path} is not a readable recording: it is empty")
    try:
        header = json.loads(first)
    except (ValueError, RecursionError):
        # the parser's "Expecting value: line 1 column 1 (char 0)" said nothing useful
        raise RecordingError(
            f"{path} is not a readable recording: its first line is not JSON, "
            "so not a scalptui recording's header"
        ) from None
    try:
        return _header_of(header)
    except KeyError as exc:
        raise RecordingError(
            f"{path} is not a readable recording: its header lacks {exc}"
        ) from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise RecordingError(f"{path} is not a readable recording: {exc}") from None


def _header_of(header: Any) -> RecordingHeader:
    """The header line's fields, each checked (ValueError, KeyError or TypeError if not)."""
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError("not a scalptui recording")
    version = header.get("version")
    if type(version) is not int or version != VERSION:  # true == 1 and 1.0 == 1 in Python
        raise ValueError(f"unsupported version {version!r}")
    exchange = str(header["exchange"])
    venues = header.get("exchanges", exchange.split(","))
    if not isinstance(venues, list) or not venues:
        raise ValueError(f"exchanges must be a list of venues, got {venues!r}")
    symbols = header["symbols"]
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        raise ValueError(f"symbols must be a list of symbols, got {symbols!r}")
    continues = header.get("continues")
    return RecordingHeader(
        exchange=",".join(str(v) for v in venues),
        symbols=tuple(symbols),
        source=Source(header["source"]),
        started=int(header["started"]),
        exchanges=tuple(str(v) for v in venues),
        continues=continues if type(continues) is int else None,
    )


def _not_text(path: Path) -> str:
    """Why a recording's first line is not text: most often gzip without ``.gz``."""
    try:
        with path.open("rb") as fh:
            gzipped = fh.read(2) == b"\x1f\x8b"
    except OSError:
        gzipped = False
    if gzipped and not is_gzip_name(path):
        return "it is gzip-compressed; name it with .gz to replay it"
    return "it is not UTF-8 text"


def iter_recording(path: Path) -> Iterator[Event | BadLine]:
    """Every event of a recording in order, with a BadLine for each unreadable line.

    A truncated gzip tail (a crash mid-write) ends the iteration with a BadLine
    instead of an exception.
    """
    with _open_binary(path, "r") as fh:
        yield from _read_lines(fh)


def _read_lines(fh: IO[bytes]) -> Iterator[Event | BadLine]:
    """``iter_recording`` over an open (decompressed) recording."""
    number = 1
    # Read as bytes and decode line by line: a stray non-UTF-8 byte is that line's fault
    # alone (a text reader decodes in blocks and would end the replay there, misnumbered).
    try:
        _skip_line(fh)  # header, checked by read_header
        while True:
            number += 1
            # Bounded: a file of NUL bytes (a crash on some file systems) is one "line".
            data = fh.readline(MAX_LINE_BYTES)
            if not data:
                return
            if not data.endswith(b"\n"):
                if len(data) < MAX_LINE_BYTES:
                    yield BadLine(number, "truncated last line")
                    return
                _skip_line(fh)
                yield BadLine(number, f"longer than {MAX_LINE_BYTES:,} bytes: not an event")
                continue
            yield from _line_items(number, data)
    except (EOFError, OSError, zlib.error) as exc:  # BadGzipFile is an OSError
        yield BadLine(number, f"truncated or corrupt data ({exc})")


def _skip_line(fh: IO[bytes]) -> None:
    """Read on to the end of the line under way, a bounded piece at a time."""
    while True:
        piece = fh.readline(MAX_LINE_BYTES)
        if not piece or piece.endswith(b"\n"):
            return


_HEADER_START = json.dumps({"format": FORMAT}, separators=(",", ":"))[:-1].encode()
"""How every header line begins (``Recorder._write_line``'s separators)."""


def _line_items(number: int, data: bytes) -> Iterator[Event | BadLine]:
    """One complete line's event, or why it is none; a plain file a crash cut mid-line
    and joined to the next run's file (``cat``) holds that run's header after the cut:
    it is read as the header it is, or the next run went on as if nothing happened."""
    item = _line_event(number, data)
    # searched only in a line that did not read: every event line would pay for it
    at = data.rfind(_HEADER_START) if isinstance(item, BadLine) and not item.joined else -1
    if at <= 0:
        yield item
        return
    joined = _line_event(number, data[at:])
    if not (isinstance(joined, BadLine) and joined.joined):
        yield item
        return
    yield BadLine(number, "cut short (a crash?) before a second recording's header")
    yield joined


def _line_event(number: int, data: bytes) -> Event | BadLine:
    """One complete line's event, or why it is none."""
    if not data.strip():
        return BadLine(number, "blank line")
    try:
        record = json.loads(data.decode("utf-8"))
        if isinstance(record, dict) and record.get("format") == FORMAT:
            try:
                header: RecordingHeader | None = _header_of(record)
            except (ValueError, KeyError, TypeError, OverflowError):
                header = None
            return BadLine(
                number,
                "a second recording's header (files joined end to end?): "
                "the replay starts afresh from it",
                joined=True,
                header=header,
            )
        return record_to_event(record)
    except UnicodeDecodeError as exc:
        return BadLine(number, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    except json.JSONDecodeError as exc:  # said "Expecting value: line 1 column 1 (char 0)"
        return BadLine(number, f"not JSON ({exc.msg.lower()} at character {exc.pos + 1})")
    except (ValueError, TypeError, RecursionError) as exc:  # RecursionError: [[[[…
        return BadLine(number, str(exc))


def _plain_size(path: Path) -> int | None:
    """The recording's size as read (decompressed), None where it cannot be known.

    A gzip file says it in its last four bytes (the size mod 2^32); a file cut short
    by a crash has no such trailer, and what is there instead is taken only if it is
    a plausible JSON ratio (1–50× the compressed size)."""
    size = path.stat().st_size
    if not is_gzip_name(path):
        return size
    try:
        with path.open("rb") as fh:
            fh.seek(-4, io.SEEK_END)
            plain = int.from_bytes(fh.read(4), "little")
    except OSError:
        return None
    return plain if size <= plain <= 50 * size else None


# --------------------------------------------------------------------------- replay


BAD_LINE_STREAM = "recording"
"""The stream of the status a skipped line becomes: no state of a market stream (the
replay goes on), so it is printed and shown as a skipped line, not as "live"."""


REPLAY_LAG_S = 0.25
"""How far (wall seconds) a replay may fall behind its pace and still catch up."""


class ReplayFeed:
    """A recording played back as a feed, paced by its own timestamps.

    ``speed`` is event time per wall time (50 = fifty times faster); 0 or less
    plays as fast as possible. The pacing follows the market events' exchange
    timestamps, so the detector sees exactly the recorded sequence whatever the
    speed. Status lines are replayed too; a line that cannot be read becomes a
    FeedStatus naming its line number and is otherwise skipped.
    """

    source = Source.REPLAY

    def __init__(
        self, path: Path, *, speed: float = 1.0, symbols: Sequence[str] | None = None
    ) -> None:
        """``symbols``: play only these of the recording's (RecordingError for one it
        does not hold); None plays them all."""
        self.path = path
        self.speed = speed
        self.header = read_header(path)
        self.exchange = self.header.exchange
        self.recorded_source: Source | None = self.header.source
        self._symbols = self.header.symbols
        self.bad_lines: list[BadLine] = []
        self.clock_ms: int | None = None
        """The recording's own clock: the latest market event time replayed."""
        self.events_replayed = 0
        self.finished = False
        self._closed = False
        self._removed: set[str] = set()
        if symbols is not None:
            self._removed = set(self._symbols) - set(held_symbols(self.header, path, symbols))
        self._pending: list[Event] = []
        """Status lines of a removal, and market facts of a re-add, due before the next event."""
        self._markets: dict[tuple[str, str], MarketInfo] = {}
        self._playing = asyncio.Event()
        self._playing.set()
        self._holding = asyncio.Event()
        """Set by a hold: the pacing's wait for the next event stops there."""
        self._held_s = 0.0
        """Wall seconds spent held so far: the pacing moves on by as much."""
        self._held_since: float | None = None
        self._first_ts: float | None = None
        self._start_wall: float | None = None
        self._next_ts: int | None = None
        """The market event the pacing waits for (None once it is handed out)."""
        self._size = max(path.stat().st_size, 1)
        self._reader: IO[bytes] | None = None
        self._plain: int | None = None
        self._origin = 0
        """Where the first market event was read (decompressed bytes)."""
        self._session_started: int | None = self.header.started
        """The ``started`` of the header being played: a next file that continues it
        goes on without starting afresh."""

    @property
    def progress(self) -> float:
        """Share of the recording read so far, 0..1: of its decompressed bytes (the
        compressed position of a .gz runs ahead of playback: gzip reads in blocks)."""
        if self.finished:
            return 1.0
        fh = self._reader
        if fh is None or fh.closed:
            return 0.0
        if self._plain is not None:
            # Counted from the first market event: a short recording's warm-start
            # history is a third of its bytes and played in no time.
            done = fh.tell() - self._origin
            return min(max(done / max(self._plain - self._origin, 1), 0.0), 1.0)
        # a gzip without a usable size: its compressed bytes read
        raw = getattr(getattr(fh, "raw", None), "fileobj", None)
        return min(raw.tell() / self._size, 1.0) if raw is not None else 0.0

    @property
    def symbols(self) -> tuple[str, ...]:
        """The recording's symbols but those removed (``add_symbol`` brings one back)."""
        removed = self._removed
        return tuple(s for s in self._symbols if s not in removed) if removed else self._symbols

    async def add_symbol(self, symbol: str) -> None:
        from scalptui.feed.base import FeedError

        if symbol not in self._symbols:
            raise FeedError(f"{symbol} is not in the recording {self.path.name}")
        if symbol in self._removed:
            self._removed.discard(symbol)
            # Afresh, as a live re-add: the detector dropped the symbol's state when it
            # closed; it gets the market's facts again (the recording's history is past).
            self._pending += [m for (_, sym), m in self._markets.items() if sym == symbol]

    async def remove_symbol(self, symbol: str) -> None:
        """The recording's events of ``symbol`` are skipped from now on, and each venue
        says its streams closed, as a live feed does: the detector then drops its state,
        which would otherwise meet the events after the gap (a re-add) as one series."""
        if symbol not in self._symbols or symbol in self._removed:
            return
        self._removed.add(symbol)
        ts = self.clock_ms or self.header.started
        self._pending += [
            FeedStatus(
                ts=ts,
                exchange=venue,
                symbol=symbol,
                stream="replay",
                state=StreamState.CLOSED,
                detail="taken off the watchlist",
            )
            for venue in self.header.exchanges
        ]

    async def list_symbols(self) -> list[str]:
        return list(self._symbols)

    def hold(self, held: bool) -> None:
        """``p`` in a replay: the recording stops where it is, and goes on from there."""
        if held:
            self._playing.clear()
            self._holding.set()
            if self._held_since is None:
                self._held_since = time.monotonic()
        else:
            self._playing.set()
            self._held_since = None

    def set_speed(self, speed: float) -> None:
        """``<`` ``>`` in a replay: the events still to come are due at ``speed`` from where
        playback stands now; a hold is kept (the time held so far is not counted twice)."""
        at = self.position_s()
        self.speed = speed
        if at is None or self._first_ts is None:
            return  # nothing paced yet: the first market event anchors at this speed
        now = time.monotonic()
        self._first_ts = at * 1000.0
        self._start_wall = now
        held_since = self._held_since
        # a hold's wait adds its whole length when it ends: the part before now is spent
        self._held_s = held_since - now if held_since is not None else 0.0
        self._holding.set()  # a wait for the next event is worked out again at this pace

    def position_s(self) -> float | None:
        """Where playback stands on the recording's clock (epoch seconds): between the
        market event handed out last and the one the pacing waits for, moving at the
        replay's speed — so a recorded outage takes its recorded length on this clock,
        where the wall clock made it ``speed`` times shorter. None before the first
        market event; the latest event's time at ``--speed 0``."""
        first, start, latest = self._first_ts, self._start_wall, self.clock_ms
        if first is None or start is None or latest is None:
            return None
        waiting_for = self._next_ts
        if self.speed <= 0 or waiting_for is None:
            return latest / 1000.0
        now = self._held_since if self._held_since is not None else time.monotonic()
        at = first + (now - start - self._held_s) * 1000.0 * self.speed
        # never before the latest event played: venues' events interleave up to a second
        # out of order, and one older than the latest still to come set the clock back
        return min(max(at, latest), max(waiting_for, latest)) / 1000.0

    async def close(self) -> None:
        self._closed = True
        self._playing.set()  # a held replay still ends
        self._holding.set()  # and so does one waiting for its next event

    async def events(self) -> AsyncIterator[Event]:
        self._reader = _open_binary(self.path, "r")
        self._plain = _plain_size(self.path)
        try:
            async for item in self._paced(_read_lines(self._reader)):
                yield item
        finally:
            self._reader.close()

    async def _paced(self, items: Iterator[Event | BadLine]) -> AsyncIterator[Event]:
        loop = asyncio.get_running_loop()
        first_ts: int | None = None
        removed = self._removed
        reopening = False
        """Within a continuing file's opening block, whose warm start is already held."""
        for item in items:
            if self._closed:
                return
            if not self._playing.is_set():
                await self._wait_while_held()
                if self._closed:
                    return
            while self._pending:
                yield self._pending.pop(0)
            if isinstance(item, MarketInfo):
                self._markets[(item.exchange, item.symbol)] = item
            if isinstance(item, BadLine) and item.joined and self._goes_on(item.header):
                log.info(
                    "%s line %d: the recording goes on from its next file", self.path, item.number
                )
                reopening = True
                continue
            if reopening and isinstance(item, History):
                continue  # added on top of the ladder it carries forward, it counted twice
            if isinstance(item, BadLine) and item.joined:
                # Another session follows, minutes or hours from this one's end: its
                # events met this one's state as late prices or as a warm start added
                # on top, and the pacing waited out the gap between the two. Its header
                # is read, not skipped (the end of the replay counted it unreadable).
                log.info("%s line %d: a second recording begins", self.path, item.number)
                for status in self._sessions_joined(item.number):
                    yield status
                first_ts = None  # the next market event anchors anew (hold time too)
                continue
            if isinstance(item, BadLine):
                yield self._report_bad_line(item)
                continue
            if removed and getattr(item, "symbol", None) in removed:
                continue
            if isinstance(item, Trade | Liquidation | MarkPrice | OpenInterest):
                reopening = False
                if first_ts is None:
                    first_ts = item.ts
                    self._first_ts, self._start_wall = first_ts, loop.time()
                    self._held_s = 0.0
                    self.clock_ms = None  # a joined session may start before the last ended
                    if not self._origin:  # a joined run's restarted it: 48 % fell to 4 %
                        self._origin = self._reader.tell() if self._reader is not None else 0
                self._next_ts = item.ts
                await self._pace(item.ts)
                self._next_ts = None
                if self.clock_ms is None or item.ts > self.clock_ms:
                    self.clock_ms = item.ts
            self.events_replayed += 1
            if self.events_replayed % 512 == 0:
                await asyncio.sleep(0)  # let the UI and signal handlers run during a fast replay
            yield item
        self.finished = True
        bad = len(self.bad_lines)
        detail = (
            f"end of recording ({self.events_replayed} events, "
            f"{bad} bad line{'s' if bad != 1 else ''} skipped)"
        )
        for venue in self.header.exchanges:  # each venue's state, as in the live run
            yield FeedStatus(
                ts=self.clock_ms or self.header.started,
                exchange=venue,
                symbol=None,
                stream="replay",
                state=StreamState.CLOSED,
                detail=detail,
            )

    async def _pace(self, ts: int) -> None:
        """Wait until the event is due; a hold meanwhile holds it (it was handed out when
        due, the playback clock jumping to it while paused) and the hold's length moves
        the due time on. A replay more than ``REPLAY_LAG_S`` behind (a machine too slow
        for its speed through a cascade) goes on at its speed from where it is, rather
        than racing to catch up: the playback clock ran that far ahead of the events
        and read the first seconds of the next outage as half a minute old."""
        if self.speed <= 0:
            return
        loop = asyncio.get_running_loop()
        while not self._closed:
            if not self._playing.is_set():
                await self._wait_while_held()
                continue
            if self.speed <= 0:
                return  # set to as fast as it can meanwhile
            start = self._start_wall if self._start_wall is not None else loop.time()
            offset_ms = ts - (self._first_ts if self._first_ts is not None else ts)
            delay = start + self._held_s + offset_ms / 1000.0 / self.speed - loop.time()
            if delay < -REPLAY_LAG_S:
                self._start_wall = start - delay - REPLAY_LAG_S
            if delay <= 0:
                return
            self._holding.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._holding.wait(), delay)

    async def _wait_while_held(self) -> None:
        loop = asyncio.get_running_loop()
        held_at = loop.time()
        await self._playing.wait()
        self._held_s += loop.time() - held_at

    def _goes_on(self, header: RecordingHeader | None) -> bool:
        """Whether a joined file's header continues the one being played (the next file of
        a rotating record, joined in order); either way it is the one being played now."""
        started, self._session_started = (
            self._session_started,
            header.started if header is not None else None,
        )
        return header is not None and started is not None and header.continues == started

    def _sessions_joined(self, line: int) -> list[FeedStatus]:
        """Each symbol's streams close and open again at the start of a joined session, so
        that the detector builds it afresh, as the second run did: closed where the first
        run ends, live where the second begins."""
        ended = self.clock_ms or self.header.started
        began = self._session_started or ended
        symbols = self.symbols
        return [
            FeedStatus(
                ts=ts,
                exchange=venue,
                symbol=symbol,
                stream=SESSION_STREAM,
                state=state,
                detail=f"a second recording begins at line {line} (files joined): afresh",
            )
            for state, ts in ((StreamState.CLOSED, ended), (StreamState.LIVE, began))
            for venue in self.header.exchanges
            for symbol in symbols
        ]

    def _report_bad_line(self, bad: BadLine) -> FeedStatus:
        self.bad_lines.append(bad)
        # the status below says it on stderr and on screen: the log line is for the file
        log.warning("%s line %d skipped: %s", self.path, bad.number, bad.reason, extra=STATUS_LOG)
        return FeedStatus(
            ts=self.clock_ms or self.header.started,
            # a line that cannot be read names no venue: the recording's first one
            exchange=self.header.exchanges[0],
            symbol=None,
            stream=BAD_LINE_STREAM,
            state=StreamState.LIVE,
            detail=f"line {bad.number} skipped: {bad.reason}",
        )
