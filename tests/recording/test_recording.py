"""Recording and reading back: round trips, crash tails, corrupt lines, full disks."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import gzip
import io
import itertools
import json
import math
import os
import shutil
import types
import typing
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalptui.feed.recording import (
    BAD_LINE_STREAM,
    MAX_LINE_BYTES,
    BadLine,
    Recorder,
    RecordingError,
    ReplayFeed,
    event_to_record,
    iter_recording,
    read_header,
    record_to_event,
)
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

EX, SYM = "binanceusdm", "BTC/USDT:USDT"


def sample_events() -> list[Event]:
    return [
        MarketInfo(1, EX, SYM, tick_size=0.1, contract_size=1.0, max_leverage=125.0, mmr=0.004),
        History(
            2,
            EX,
            SYM,
            bars=(Bar(0, 1.0, 2.0, 0.5, 1.5, 10.0, 4.0),),
            open_interest=(OpenInterest(0, EX, SYM, 80_000.0, 8e9),),
        ),
        Trade(1_000, EX, SYM, 97_000.5, 0.012, TakerSide.BUY),
        Liquidation(1_500, EX, SYM, Side.LONG, 96_900.0, 1.5, 145_350.0, True),
        MarkPrice(2_000, EX, SYM, 96_950.0, 96_960.0, 0.0001, 28_800_000, 8.0),
        OpenInterest(3_000, EX, SYM, 80_100.0, None),
        FeedStatus(3_100, EX, SYM, "trades", StreamState.STALE, "no message for 10 s", 900),
    ]


def write(path: Path, events: list[Event]) -> None:
    rec = Recorder(path, exchange=EX, symbols=(SYM,), source=Source.SIMULATED)
    for event in events:
        rec.write(event)
    rec.close()


def trades_at(path: Path, stamps: tuple[int, ...]) -> None:
    """A live recording of one trade at each of ``stamps`` (ms)."""
    rec = Recorder(path, exchange=EX, symbols=(SYM,), source=Source.LIVE)
    for ts in stamps:
        rec.write(Trade(ts, EX, SYM, 100.0, 1.0, TakerSide.BUY))
    rec.close()


@pytest.mark.parametrize("name", ["run.jsonl", "run.jsonl.gz"])
def test_round_trip_keeps_every_event(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write(path, sample_events())
    header = read_header(path)
    assert header.exchange == EX and header.symbols == (SYM,)
    assert header.source is Source.SIMULATED
    assert list(iter_recording(path)) == sample_events()


def test_header_line_has_the_documented_shape(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    write(path, sample_events()[2:3])
    first, second = path.read_text().splitlines()
    header = json.loads(first)
    assert header["format"] == "scalptui-recording" and header["version"] == 1
    assert set(header) == {"format", "version", "exchange", "symbols", "source", "started"}
    assert json.loads(second) == {
        "kind": "trade",
        "ts": 1_000,
        "exchange": EX,
        "symbol": SYM,
        "price": 97_000.5,
        "amount": 0.012,
        "side": "buy",
    }


def test_crash_tail_of_gzip_is_readable_up_to_last_flush(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl.gz"
    rec = Recorder(path, exchange=EX, symbols=(SYM,), source=Source.LIVE)
    events = sample_events()
    for event in events:
        rec.write(event)
    rec.flush()
    # Copy the file as a crash would leave it: flushed, never closed, no gzip trailer.
    crashed = tmp_path / "crashed.jsonl.gz"
    shutil.copy(path, crashed)
    rec.close()
    items = list(iter_recording(crashed))
    assert items[: len(events)] == events
    assert all(isinstance(i, BadLine) for i in items[len(events) :])


def test_flushes_at_least_every_second(tmp_path: Path) -> None:
    now = [0.0]
    path = tmp_path / "run.jsonl"
    rec = Recorder(path, exchange=EX, symbols=(SYM,), source=Source.LIVE, clock=lambda: now[0])
    trade = sample_events()[2]
    rec.write(trade)
    now[0] = 1.0
    rec.write(trade)
    assert len(path.read_text().splitlines()) == 3  # header + both trades are on disk
    rec.close()


def test_corrupt_and_truncated_lines_are_reported_with_their_number(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    write(path, sample_events()[2:4])
    lines = path.read_text().splitlines()
    lines.insert(2, '{"kind": "trade", "ts": "soon"')
    lines.insert(3, '{"kind": "teleport", "ts": 5}')
    path.write_text("\n".join(lines) + "\n" + '{"kind": "trade"')
    items = list(iter_recording(path))
    bad = [i for i in items if isinstance(i, BadLine)]
    assert [b.number for b in bad] == [3, 4, 6]
    assert "truncated" in bad[-1].reason
    assert [i for i in items if not isinstance(i, BadLine)] == sample_events()[2:4]


@pytest.mark.parametrize("name", ["run.jsonl", "run.jsonl.gz"])
def test_a_stray_byte_costs_its_own_line_only(tmp_path: Path, name: str) -> None:
    """A non-UTF-8 byte early in a long recording: that line is reported by its number
    and every line after it is replayed (a block-decoding reader lost them all)."""
    path = tmp_path / name
    events = sample_events()[2:4] * 200
    write(path, events)
    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    lines = raw.split(b"\n")
    lines.insert(3, b"abc\xff")
    raw = b"\n".join(lines)
    path.write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
    items = list(iter_recording(path))
    bad = [i for i in items if isinstance(i, BadLine)]
    assert [(b.number, b.reason.startswith("not UTF-8")) for b in bad] == [(4, True)]
    assert [i for i in items if not isinstance(i, BadLine)] == events


def test_unwritable_path_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="cannot write recording"):
        Recorder(tmp_path / "missing" / "x.jsonl", exchange=EX, symbols=(SYM,), source=Source.LIVE)


def test_full_disk_is_one_clear_error() -> None:
    # /dev/full answers every write with ENOSPC, like a full disk.
    with pytest.raises(RecordingError, match="No space left"):
        Recorder(Path("/dev/full"), exchange=EX, symbols=(SYM,), source=Source.LIVE)


def test_not_a_recording_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"hello": 1}\n')
    with pytest.raises(RecordingError, match="not a readable recording"):
        read_header(path)
    # said in words, not as the parser's "Expecting value: line 1 column 1 (char 0)"
    path.write_text("hello\n")
    with pytest.raises(RecordingError, match="its first line is not JSON"):
        read_header(path)
    path.write_text('{"format": "scalptui-recording", "version": 1}\n')
    with pytest.raises(RecordingError, match="its header lacks 'exchange'"):
        read_header(path)
    gz = tmp_path / "x.jsonl.gz"
    gz.write_bytes(b"not gzip at all")  # it said zlib's "Error -3 while decompressing data"
    with pytest.raises(RecordingError, match="not gzip data, or damaged before its first line"):
        read_header(gz)


async def test_replay_yields_the_recording_and_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl.gz"
    write(path, sample_events())
    with gzip.open(path, "at") as fh:
        fh.write("garbage\n")
    feed = ReplayFeed(path, speed=0)
    assert feed.recorded_source is Source.SIMULATED and feed.source is Source.REPLAY
    got = [e async for e in feed.events()]
    assert got[: len(sample_events())] == sample_events()
    statuses = [e for e in got[len(sample_events()) :] if isinstance(e, FeedStatus)]
    assert "line 9 skipped" in statuses[0].detail
    assert statuses[-1].detail.endswith("events, 1 bad line skipped)")
    from scalptui.headless import format_status

    # Said as a skipped line of the recording, not as a stream's state ("replay: live").
    assert format_status(statuses[0]).startswith("scalptui: recording line 9 skipped: ")
    assert statuses[-1].state is StreamState.CLOSED
    assert feed.finished and feed.progress == 1.0
    assert feed.clock_ms == 3_000


async def test_a_symbol_removed_from_a_replay_is_skipped_until_it_is_added_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run.jsonl"
    eth = "ETH/USDT:USDT"
    events: list[Event] = [
        Trade(1_000 + i * 100, EX, symbol, 97_000.0, 0.01, TakerSide.BUY)
        for i in range(6)
        for symbol in (SYM, eth)
    ]
    rec = Recorder(path, exchange=EX, symbols=(SYM, eth), source=Source.SIMULATED)
    for event in events:
        rec.write(event)
    rec.close()
    feed = ReplayFeed(path, speed=0)
    got: list[Trade] = []
    async for event in feed.events():
        if not isinstance(event, Trade):
            continue
        got.append(event)
        if len(got) == 2:
            await feed.remove_symbol(eth)
            assert feed.symbols == (SYM,)  # so that / offers to add it again
        if len(got) == 6:
            await feed.add_symbol(eth)
    symbols = [t.symbol for t in got]
    # two of each before, BTC alone while ETH is off the list, both again after
    assert symbols == [SYM, eth, SYM, SYM, SYM, SYM, eth, SYM, eth]


finite = st.floats(min_value=1e-9, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(
    ts=st.integers(min_value=0, max_value=253_402_300_799_999),
    price=finite,
    amount=finite,
    side=st.sampled_from(list(Side)),
    sampled=st.booleans(),
)
def test_liquidation_lines_round_trip(
    ts: int, price: float, amount: float, side: Side, sampled: bool
) -> None:
    liq = Liquidation(ts, EX, SYM, side, price, amount, price * amount, sampled)
    assert record_to_event(json.loads(json.dumps(event_to_record(liq)))) == liq


junk = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=4)
    | st.lists(st.integers(), max_size=2)
)


def has_its_model_type(value: object, hint: object) -> bool:
    """``value`` is an instance of the model annotation ``hint`` (nested events included).

    Stricter than ``isinstance`` where a recording could smuggle a wrong type in: a
    float field holds a finite float (not a string, bool or int), an int field an int.
    """
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        return any(has_its_model_type(value, arg) for arg in args)
    if typing.get_origin(hint) is tuple:
        return isinstance(value, tuple) and all(has_its_model_type(v, args[0]) for v in value)
    if hint is float:
        return type(value) is float and math.isfinite(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return type(value) is hint and every_field_has_its_type(value)
    return isinstance(hint, type) and type(value) is hint


def every_field_has_its_type(event: object) -> bool:
    hints = typing.get_type_hints(type(event))
    return all(
        has_its_model_type(getattr(event, name), hints[name])
        for name in (f.name for f in dataclasses.fields(type(event)))  # type: ignore[arg-type]
    )


def test_the_model_type_check_tells_a_string_price_apart() -> None:
    assert all(every_field_has_its_type(event) for event in sample_events())
    trade = Trade(1_000, EX, SYM, 97_000.5, 0.012, TakerSide.BUY)
    bar = Bar(0, 1.0, 2.0, 0.5, 1.5, 10.0, 4.0)
    history = History(2, EX, SYM, bars=(bar,), open_interest=())
    wrong: dict[str, Any] = {"price": "97000.5"}
    assert not every_field_has_its_type(dataclasses.replace(trade, **wrong))
    assert not every_field_has_its_type(dataclasses.replace(trade, ts=1_000.0))  # type: ignore[arg-type]
    bad_bar = dataclasses.replace(bar, volume=True)
    assert not every_field_has_its_type(dataclasses.replace(history, bars=(bad_bar,)))


@given(
    index=st.integers(min_value=0, max_value=len(sample_events()) - 1),
    field=st.integers(min_value=0, max_value=20),
    value=junk,
)
def test_a_wrong_field_in_a_valid_line_is_rejected_or_harmless(
    index: int, field: int, value: object
) -> None:
    record = event_to_record(sample_events()[index])
    keys = [k for k in record if k != "kind"]
    record[keys[field % len(keys)]] = value
    try:
        event = record_to_event(record)
    except ValueError:
        return
    # Accepted only if every field (nested bars and samples too) has its model's type,
    # so the detector never meets a string price or a float timestamp from a file.
    assert every_field_has_its_type(event)
    assert record_to_event(event_to_record(event)) == event


def test_a_line_missing_fields_names_them() -> None:
    """It read "missing a field (Liquidation.__init__() missing 8 required positional
    arguments: …)"; a field with a default (a mark's index) may be left out."""
    for event in sample_events():
        record = json.loads(json.dumps(event_to_record(event)))  # lists, as read from a file
        for key in [k for k in record if k not in ("kind", "ts")]:
            cut = {k: v for k, v in record.items() if k != key}
            try:
                record_to_event(cut)
            except ValueError as exc:
                assert str(exc) == f"{record['kind']} line lacks {key}"
    with pytest.raises(ValueError, match=r"^liquidation line lacks symbol, side, price, amount"):
        record_to_event({"kind": "liquidation", "ts": 1, "exchange": EX})


@pytest.mark.parametrize(
    "line",
    [
        {
            "kind": "mark",
            "ts": 1,
            "exchange": EX,
            "symbol": SYM,
            "mark": 1.0,
            "funding_rate": "0.1",
        },
        {
            "kind": "trade",
            "ts": 1,
            "exchange": EX,
            "symbol": 7,
            "price": 1.0,
            "amount": 1.0,
            "side": "buy",
        },
        {
            "kind": "trade",
            "ts": 10**20,
            "exchange": EX,
            "symbol": SYM,
            "price": 1.0,
            "amount": 1.0,
            "side": "buy",
        },
        {
            "kind": "history",
            "ts": 1,
            "exchange": EX,
            "symbol": SYM,
            "bars": [{"ts": 0, "open": "1", "high": 1, "low": 1, "close": 1, "volume": 1}],
            "open_interest": [],
        },
        {"kind": "market", "ts": 1, "exchange": EX, "symbol": SYM, "tick_size": None},
    ],
)
def test_wrong_types_in_valid_json_are_value_errors(line: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        record_to_event(line)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"kind": "trade", "price": -5.0, "amount": 1.0, "side": "buy"}, "trade.price"),
        ({"kind": "trade", "price": 5.0, "amount": 0, "side": "sell"}, "trade.amount"),
        (
            {"kind": "liquidation", "price": 5.0, "amount": 1.0, "notional": -5.0, "side": "long"},
            "liquidation.notional",
        ),
        ({"kind": "mark", "mark": 0.0}, "mark.mark"),
    ],
)
def test_prices_and_sizes_the_feed_never_passes_on_are_refused(
    line: dict[str, object], field: str
) -> None:
    with pytest.raises(ValueError, match=f"{field} must be greater than 0"):
        record_to_event({"ts": 1, "exchange": EX, "symbol": SYM, **line})


def test_a_negative_funding_rate_is_kept() -> None:
    line = {"kind": "mark", "ts": 1, "exchange": EX, "symbol": SYM, "mark": 5.0}
    event = record_to_event({**line, "funding_rate": -0.0003})
    assert isinstance(event, MarkPrice)
    assert event.funding_rate == -0.0003


class FillingDisk(io.FileIO):
    """A real file on a disk with ``room`` bytes left: what fits is written, then every
    write fails with ENOSPC, as on a full disk (so a line may be cut in half)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "wb")
        self.room = 1 << 30

    def write(self, data: Any) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        taken = bytes(data)[: self.room]
        self.room -= len(taken)
        return super().write(taken)


def test_disk_full_while_running_is_one_clear_error_and_keeps_what_was_flushed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "run.jsonl"
    disks: list[FillingDisk] = []
    real_open = Path.open

    def open_on_a_filling_disk(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if self == path and "w" in mode:
            disks.append(FillingDisk(self))
            return disks[-1]
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_on_a_filling_disk)
    trade = sample_events()[2]
    rec = Recorder(path, exchange=EX, symbols=(SYM,), source=Source.LIVE)
    rec.write(trade)
    rec.flush()
    (disk,) = disks
    flushed = path.stat().st_size
    disk.room = 40  # less than a trade line: the next one is cut, then the disk is full
    with pytest.raises(RecordingError, match="No space left"):
        for _ in range(10_000):  # enough to overflow the text buffer
            rec.write(trade)
        rec.flush()
    with contextlib.suppress(RecordingError):  # what is still buffered may not fit either
        rec.close()
    assert disk.closed  # the file is closed all the same
    assert disk.room == 0 and path.stat().st_size == flushed + 40  # the disk really filled
    assert rec.events_flushed == 1  # what the error line counts: not the buffered ones
    monkeypatch.undo()
    # The flushed trade is kept; the half-written line after it is reported, not replayed.
    assert list(iter_recording(path)) == [trade, BadLine(3, "truncated last line")]


def test_a_recorder_that_never_started_removes_only_a_file_it_created(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.jsonl"
    Recorder(fresh).close()
    assert not fresh.exists()  # nothing to replay, and nobody's file
    old = tmp_path / "old.jsonl.gz"
    old.write_bytes(b"kept")
    rec = Recorder(old)
    assert old.read_bytes() == b"kept"  # checked for writing, not truncated
    rec.close()
    assert old.read_bytes() == b"kept"
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    Recorder(pipe).close()  # a device or pipe is never opened before the header, nor removed
    assert pipe.exists()
    rec = Recorder(old, exchange=EX, symbols=(SYM,), source=Source.LIVE)
    rec.close()
    assert read_header(old).exchange == EX  # the header replaces what was there


async def test_a_held_replay_hands_out_nothing_and_goes_on_where_it_stopped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.jsonl"
    rec = Recorder(path, exchange=EX, symbols=(SYM,), source=Source.LIVE)
    for i in range(6):
        rec.write(
            Trade(
                ts=1_000 + i * 100,
                exchange=EX,
                symbol=SYM,
                price=100.0 + i,
                amount=1.0,
                side=TakerSide.BUY,
            )
        )
    rec.close()
    feed = ReplayFeed(path, speed=1.0)  # 0.1 s between trades
    events = feed.events()
    first = await anext(events)
    feed.hold(True)
    waiting = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.4)
    assert not waiting.done()  # held: nothing more, whatever the recording's pace
    loop = asyncio.get_running_loop()
    feed.hold(False)
    resumed_at = loop.time()
    second = await waiting
    rest = [e async for e in events if isinstance(e, Trade)]
    elapsed = loop.time() - resumed_at
    assert [first.price, second.price, *(t.price for t in rest)] == [100.0 + i for i in range(6)]  # type: ignore[union-attr]
    # Paced from where it stopped: the held 0.4 s is not caught up at once.
    assert elapsed >= 0.35


async def test_playback_position_runs_through_a_recorded_gap_at_the_replay_speed(
    tmp_path: Path,
) -> None:
    """A recorded 60 s outage replayed at speed 100 passes in 0.6 s of wall time; on the
    playback clock it is 60 s long (the screen aged it on the wall clock: 0.6 s), and a
    held replay's clock stands still."""
    path = tmp_path / "gap.jsonl"
    trades_at(path, (1_000, 2_000, 62_000))
    feed = ReplayFeed(path, speed=100.0)
    assert feed.position_s() is None
    events = feed.events()
    await anext(events)
    await anext(events)
    assert feed.position_s() == 2.0
    gap = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.3)  # ~30 s into the recorded gap
    inside = feed.position_s()
    assert inside is not None and 12.0 < inside < 50.0
    feed.hold(True)
    held = feed.position_s()
    await asyncio.sleep(0.5)  # past the event's due time: held, it is not handed out
    assert not gap.done() and feed.position_s() == held
    feed.hold(False)
    await asyncio.sleep(0.05)
    after = feed.position_s()
    assert held is not None and after is not None and held <= after < held + 10.0
    await gap
    assert feed.position_s() == 62.0


async def test_a_new_speed_plays_on_from_where_playback_stands(tmp_path: Path) -> None:
    """``<`` ``>`` in a replay: a recorded minute's gap at ×100 slowed to ×1 halfway
    through plays its rest at ×1 from where it stood (the clock does not jump back to
    the start or on to the end); set as fast as it can, the next event comes at once.
    Changed while held, it stays held, and the hold is not counted twice after."""
    path = tmp_path / "gap.jsonl"
    trades_at(path, (1_000, 2_000, 62_000, 63_000, 123_000))
    feed = ReplayFeed(path, speed=100.0)
    events = feed.events()
    await anext(events)
    await anext(events)
    gap = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.2)  # ~20 s into the recorded gap
    before = feed.position_s()
    feed.set_speed(1.0)
    at = feed.position_s()
    assert before is not None and at is not None and 2.0 < before <= at < before + 1.0
    await asyncio.sleep(0.5)  # at ×100 the rest of the gap (≤ 40 s) was due within 0.4 s
    assert not gap.done()
    now = feed.position_s()
    assert now is not None and at < now < at + 2.0
    feed.set_speed(0.0)
    await asyncio.wait_for(gap, 5.0)  # at once, not the ≥ 40 s the gap had left at ×1
    assert feed.position_s() == 62.0
    await anext(events)  # 63 s
    feed.set_speed(100.0)
    last = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.1)
    feed.hold(True)
    held = feed.position_s()
    await asyncio.sleep(0.3)
    feed.set_speed(50.0)
    assert feed.position_s() == held and not last.done()
    await asyncio.sleep(0.3)
    feed.hold(False)
    await asyncio.sleep(0.05)
    after = feed.position_s()
    # on from the held moment at ×50: the 0.6 s held would have put it 30 s further on
    assert held is not None and after is not None and held <= after < held + 10.0
    await asyncio.wait_for(last, 5.0)


async def test_the_playback_clock_never_goes_back_for_an_older_event_to_come(
    tmp_path: Path,
) -> None:
    """Two venues' events interleave up to a second out of order: waiting for one older
    than the latest played, the header's clock stepped back (05:15:16, then 05:15:15)."""
    path = tmp_path / "run.jsonl"
    trades_at(path, (1_000, 2_000, 1_300, 3_000))
    feed = ReplayFeed(path, speed=1.0)
    events = feed.events()
    await anext(events)
    await anext(events)
    feed._next_ts = 1_300  # what the pacing waits for while it waits for that event
    assert feed.position_s() == 2.0
    await feed.close()


def test_progress_runs_on_through_a_second_run_joined(tmp_path: Path) -> None:
    """Counted from where the second run's events begin, it fell from 48 % to 4 %."""
    first, second, joined = (tmp_path / f"{n}.jsonl" for n in ("a", "b", "ab"))
    write(first, _session(1_700_000_000_000, 90_000.0))
    write(second, _session(1_700_000_600_000, 100_000.0))
    joined.write_bytes(first.read_bytes() + second.read_bytes())

    async def shares() -> list[float]:
        feed = ReplayFeed(joined, speed=0)
        return [feed.progress async for _ in feed.events()]

    seen = asyncio.run(shares())
    assert seen[-1] == 1.0 and max(seen[: len(seen) // 2]) > 0.3
    assert all(b >= a for a, b in itertools.pairwise(seen))


async def test_a_replay_that_fell_behind_its_pace_goes_on_from_where_it_is(
    tmp_path: Path,
) -> None:
    """Twenty trades 100 ms apart at speed 10 (10 ms each), read by a consumer taking
    100 ms for each: two seconds behind. The playback clock ran those two seconds (20 s
    of the recording) ahead of the events, and read the first moments of the gap after
    them as twenty seconds old; now it is at most the catch-up allowance ahead."""
    path = tmp_path / "slow.jsonl"
    rec = Recorder(path, exchange=EX, symbols=(SYM,), source=Source.LIVE)
    for i in range(20):
        rec.write(Trade(1_000 + i * 100, EX, SYM, 100.0, 1.0, TakerSide.BUY))
    rec.write(Trade(60_000, EX, SYM, 100.0, 1.0, TakerSide.BUY))
    rec.close()
    feed = ReplayFeed(path, speed=10.0)
    events = feed.events()
    for _ in range(20):
        await anext(events)
        await asyncio.sleep(0.1)
    after_gap = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.05)
    at = feed.position_s()
    # the allowance, the 100 ms taken over the last trade and this 50 ms wait, at ×10,
    # with room for a loaded machine: well under the 20 s it ran ahead
    assert at is not None and at - 2.9 < (0.25 + 0.1 + 0.05) * 10 + 5.0
    after_gap.cancel()
    await feed.close()


def test_an_empty_file_or_gzip_without_its_suffix_is_named_as_such(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(RecordingError, match="is not a readable recording: it is empty"):
        read_header(empty)
    gz = tmp_path / "run.jsonl.gz"
    write(gz, sample_events())
    misnamed = tmp_path / "run.jsonl"
    misnamed.write_bytes(gz.read_bytes())
    with pytest.raises(RecordingError, match=r"gzip-compressed; name it with \.gz"):
        read_header(misnamed)


@pytest.mark.parametrize("name", ["run.jsonl", "run.jsonl.gz"])
async def test_replay_progress_follows_playback_on_plain_and_gzip_files(
    tmp_path: Path, name: str
) -> None:
    """The badge read ``REPLAY 100%`` 11 s before a 150 s .gz recording ended: gzip
    reads the compressed file ahead in blocks."""
    path = tmp_path / name
    rec = Recorder(path, exchange=EX, symbols=(SYM,), source=Source.LIVE)
    count = 20_000
    for i in range(count):
        rec.write(Trade(1_000 + i, EX, SYM, 97_000.0 + i % 50, 0.01, TakerSide.BUY))
    rec.close()
    feed = ReplayFeed(path, speed=0)
    worst = 0.0
    seen = 0
    async for _ in feed.events():
        seen += 1
        if seen < count:
            worst = max(worst, abs(feed.progress - seen / count))
    assert worst < 0.02, worst
    assert feed.progress == 1.0


def _damaged_gzip(tmp_path: Path, at: float) -> Path:
    """A gzip recording with bytes overwritten ``at`` a share of its length, such that
    zlib itself fails there (``zlib.error``, not an OSError)."""
    path = tmp_path / "run.jsonl.gz"
    write(path, sample_events()[2:4] * 500)
    data = path.read_bytes()
    for shift in range(0, 400):
        spot = int(len(data) * at) + shift
        damaged = data[:spot] + bytes(8) + bytes(b ^ 0x5A for b in data[spot + 8 : spot + 40])
        damaged += data[spot + 40 :]
        try:
            zlib.decompressobj(31).decompress(damaged)
        except zlib.error as exc:
            if "data check" not in str(exc):
                path.write_bytes(damaged)
                return path
    raise AssertionError("no damage zlib refuses")


def test_a_corrupt_gzip_is_one_clear_error_or_a_reported_end(tmp_path: Path) -> None:
    early = _damaged_gzip(tmp_path, 0.0)
    with pytest.raises(RecordingError):  # a zlib.error traceback before
        read_header(early)
    late = _damaged_gzip(tmp_path, 0.6)
    items = list(iter_recording(late))
    assert isinstance(items[-1], BadLine) and "corrupt" in items[-1].reason
    assert sum(not isinstance(i, BadLine) for i in items) > 100  # what precedes is kept


def test_a_second_recorder_on_the_same_file_is_refused_while_the_first_runs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run.jsonl"
    first = Recorder(path)  # empty until its feed opens: the size check let a second in
    with pytest.raises(RecordingError, match="being recorded by another"):
        Recorder(path)
    first.write_header(exchange=EX, symbols=(SYM,), source=Source.LIVE)
    first.write(sample_events()[2])
    first.close()
    Recorder(path).close()  # released on close
    assert list(iter_recording(path)) == [sample_events()[2]]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"started": "1e400"}, "not a readable recording"),
        ({"version": "true"}, "unsupported version True"),
        ({"version": "1.0"}, "unsupported version 1.0"),
        ({"symbols": '"BTC/USDT:USDT"'}, "symbols must be a list"),
    ],
)
def test_a_header_field_of_the_wrong_kind_is_refused(
    tmp_path: Path, change: dict[str, str], needle: str
) -> None:
    path = tmp_path / "run.jsonl"
    write(path, sample_events()[2:3])
    header, rest = path.read_text().split("\n", 1)
    for key, raw in change.items():
        fields = json.loads(header)
        fields[key] = None
        header = json.dumps(fields).replace(f'"{key}": null', f'"{key}": {raw}')
    path.write_text(header + "\n" + rest)
    with pytest.raises(RecordingError, match=needle):
        read_header(path)
    path.write_text("[1, 2]\n" + rest)
    with pytest.raises(RecordingError, match="not a scalptui recording"):
        read_header(path)


def test_joined_recordings_blank_lines_and_endless_lines_are_named(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    write(path, sample_events()[2:4])
    one = path.read_bytes()
    nul = bytes(MAX_LINE_BYTES * 2 + 5)  # a crash left NUL bytes and no newline for long
    path.write_bytes(one + b"\n" + one + nul + b"\n" + one.split(b"\n", 1)[1])
    bad = [i for i in iter_recording(path) if isinstance(i, BadLine)]
    reasons = [b.reason for b in bad]
    assert reasons[0] == "blank line" and "second recording's header" in reasons[1]
    assert f"longer than {MAX_LINE_BYTES:,} bytes" in reasons[-1]
    events = [i for i in iter_recording(path) if not isinstance(i, BadLine)]
    assert events == sample_events()[2:4] * 3


def _session(start: int, price: float) -> list[Event]:
    """A minute of one session: open interest rising 1 % while takers buy at ``price``."""
    events: list[Event] = [OpenInterest(start, EX, SYM, 1_000.0, None)]
    for i in range(1, 60):
        events.append(Trade(start + i * 1_000, EX, SYM, price, 0.5, TakerSide.BUY))
        if i % 15 == 0:
            events.append(OpenInterest(start + i * 1_000 + 1, EX, SYM, 1_000.0 + i / 6, None))
    return events


async def _replayed(path: Path) -> tuple[list[Event], Any]:
    from scalptui.detector import make_detector
    from scalptui.detector.params import DetectorParams

    feed = ReplayFeed(path, speed=100.0)
    detector = make_detector(DetectorParams(), source=Source.REPLAY, exchanges=(EX,))
    events = []
    async with asyncio.timeout(10):  # an hour's gap between two joined files: 36 s
        async for event in feed.events():
            events.append(event)
            detector.on_event(event)
    return events, detector.snapshot(SYM)


@pytest.mark.parametrize("gap_ms", [-275_000, 3_600_000])
async def test_a_second_recording_joined_to_the_first_is_replayed_afresh(
    tmp_path: Path, gap_ms: int
) -> None:
    """``cat a b > c``: a second session starting 275 s before the first ended met its
    state as late prices (its first cascade went unreported); one an hour later met it
    as a second warm start on top of the first; and the pacing waited out the hour. Its
    events now build the symbol afresh, as the second file alone does, at once."""
    first, second, joined = (tmp_path / f"{n}.jsonl" for n in ("a", "b", "ab"))
    start = 1_700_000_000_000
    write(first, _session(start, 90_000.0)[:40] + _session(start + 120_000, 90_000.0))
    write(second, _session(start + 180_000 + gap_ms, 100_000.0))
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    events, snap = await _replayed(joined)
    _, alone = await _replayed(second)
    restarted = [e for e in events if isinstance(e, FeedStatus) and e.stream == SESSION_STREAM]
    assert [e.state for e in restarted][:2] == [StreamState.CLOSED, StreamState.LIVE]
    assert "second recording begins at line" in restarted[0].detail
    # its header is read, not counted among the lines skipped as unreadable
    assert not [e for e in events if isinstance(e, FeedStatus) and e.stream == BAD_LINE_STREAM]
    assert snap.last == alone.last == 100_000.0
    assert snap.ladder == alone.ladder


def test_snapshots_go_on_through_a_joined_recording_that_starts_earlier(tmp_path: Path) -> None:
    """The snapshot periods ran on from the first session's end: a second one starting
    minutes earlier got none until its clock caught up."""
    import subprocess
    import sys

    first, second, joined = (tmp_path / f"{n}.jsonl" for n in ("a", "b", "ab"))
    start = 1_700_000_000_000
    write(first, _session(start + 600_000, 90_000.0))
    write(second, _session(start, 100_000.0))
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    proc = subprocess.run(
        [sys.executable, "-m", "scalptui", "alerts", "--replay", str(joined), "--speed", "0",
         "--snapshots", "10", "--json"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    stamps = [json.loads(line)["ts"] for line in proc.stdout.splitlines()]
    assert [t - start - 600_000 for t in stamps if t > start + 600_000] == [
        10_000,
        20_000,
        30_000,
        40_000,
        50_000,
    ]
    assert [t - start for t in stamps if t < start + 600_000] == [
        10_000,
        20_000,
        30_000,
        40_000,
        50_000,
    ]


class LastFlushFails(Recorder):
    """A recorder whose disk fills in the flush that closes it."""

    closing = False

    def close(self) -> None:
        self.closing = True
        super().close()

    def flush(self) -> None:
        if self.closing:
            self._failed = True
            raise RecordingError(f"cannot finish recording {self.path}: No space left on device")
        super().flush()


async def test_a_disk_full_in_the_last_flush_ends_the_record_run_as_an_error(
    tmp_path: Path,
) -> None:
    from scalptui.feed.scripted import ScriptedFeed
    from scalptui.headless import run_record

    recorder = LastFlushFails(tmp_path / "run.jsonl")
    feed = ScriptedFeed(list(sample_events()[2:4]), (SYM,), hold_open=False)

    async def opener() -> ScriptedFeed:
        return feed

    err = io.StringIO()
    # It printed "recorded 2 events" and returned 0 with the file cut short.
    with pytest.raises(RecordingError, match="No space left"):
        await run_record(opener, recorder, duration_s=5.0, err=err)
    assert "recorded" not in err.getvalue()
    assert recorder.events_written == 2 and recorder.events_flushed == 0


def test_a_deeply_nested_line_is_a_bad_line_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    write(path, sample_events()[2:4])
    header, rest = path.read_text().split("\n", 1)
    path.write_text(header + "\n" + "[" * 200_000 + "\n" + rest)  # RecursionError in json
    items = list(iter_recording(path))
    assert isinstance(items[0], BadLine) and items[0].number == 2
    assert items[1:] == sample_events()[2:4]
    path.write_text("[" * 200_000 + "\n" + rest)
    with pytest.raises(RecordingError, match="not a readable recording"):
        read_header(path)


def test_a_recorder_whose_header_fails_lets_go_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with pytest.raises(RecordingError, match="a replay cannot be recorded"):
        Recorder(path, exchange=EX, symbols=(SYM,), source=Source.REPLAY)
    assert not path.exists()  # created for nothing, removed
    Recorder(path).close()  # and not locked: it said "being recorded by another run"


def test_a_disk_full_before_the_header_leaves_no_empty_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header counted as written before its flush went through: on a full disk the
    run stopped but left the 0-byte file it had created."""
    path = tmp_path / "new.jsonl"
    real_open = Path.open

    def open_on_a_full_disk(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if self == path and "w" in mode:
            disk = FillingDisk(self)
            disk.room = 0
            return disk
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_on_a_full_disk)
    with pytest.raises(RecordingError, match="No space left"):
        Recorder(path, exchange=EX, symbols=(SYM,), source=Source.LIVE)
    assert not path.exists()
