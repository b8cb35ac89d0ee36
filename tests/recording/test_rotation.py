"""``record --rotate``: one file per interval of UTC time, each replayable on its own."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest

from scalptui.detector import make_detector
from scalptui.detector.params import DetectorParams
from scalptui.feed.recording import (
    BadLine,
    Recorder,
    RecordingError,
    iter_recording,
    read_header,
)
from scalptui.feed.rotation import (
    RotatingRecorder,
    SessionMemory,
    next_boundary,
    parse_interval,
    rotated_name,
)
from scalptui.models import (
    SESSION_STREAM,
    Bar,
    Event,
    FeedStatus,
    History,
    MarketInfo,
    OpenInterest,
    Source,
    StreamState,
    TakerSide,
    Trade,
)

EX, SYM = "binanceusdm", "BTC/USDT:USDT"
PERIOD = 300_000
T0 = 1_796_160_000_000  # 2026-12-01T21:20:00Z, a multiple of 5 minutes


def history(bars: int = 12) -> History:
    return History(
        T0,
        EX,
        SYM,
        tuple(
            Bar(T0 - (bars - i) * PERIOD, 100.0, 101.0, 99.0, 100.0 + i * 0.1, 50.0, 25.0)
            for i in range(bars)
        ),
        tuple(
            OpenInterest(T0 - (bars - i) * PERIOD, EX, SYM, 1_000.0 + i, None) for i in range(bars)
        ),
    )


def opening() -> list[Event]:
    return [
        MarketInfo(T0, EX, SYM, tick_size=0.1, funding_interval_h=8.0),
        history(),
        FeedStatus(T0, EX, SYM, "trades", StreamState.LIVE),
    ]


class Wall:
    """A wall clock the test moves."""

    def __init__(self, now_s: float) -> None:
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


@pytest.mark.parametrize(
    ("text", "seconds"), [("1m", 60), ("30m", 1800), ("1h", 3600), ("6H", 21600), ("1d", 86400)]
)
def test_intervals_read_in_minutes_hours_and_days(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "h", "30s", "0h", "1.5h", "-1h", "1w", "1h30m"])
def test_an_interval_that_is_not_a_whole_count_of_minutes_hours_or_days_is_refused(
    text: str,
) -> None:
    with pytest.raises(ValueError, match=r"interval|shorter"):
        parse_interval(text)


def test_a_file_is_named_by_its_utc_start_before_its_suffixes(tmp_path: Path) -> None:
    start = T0 / 1000
    assert rotated_name(tmp_path / "rec.jsonl.gz", start).name == "rec.20261201T212000Z.jsonl.gz"
    assert rotated_name(tmp_path / "rec", start).name == "rec.20261201T212000Z"
    assert rotated_name(tmp_path / "btc.v2.jsonl", start).name == "btc.v2.20261201T212000Z.jsonl"
    assert rotated_name(tmp_path / "rec.gz", start, 2).name == "rec.20261201T212000Z-3.gz"


def test_boundaries_fall_on_the_hour_and_at_midnight_utc() -> None:
    assert next_boundary(T0 / 1000 + 1, 3600) == 1_796_162_400.0  # 22:00:00Z
    assert next_boundary(T0 / 1000 + 1, 86400) == 1_796_169_600.0  # 2026-12-02T00:00:00Z
    assert next_boundary(1_796_162_400.0, 3600) == 1_796_166_000.0  # on a boundary: the next


def test_the_history_is_carried_forward_from_the_trades_and_open_interest() -> None:
    memory = SessionMemory()
    for event in opening():
        memory.observe(event)
    # the period the fetched history ended in goes on, and the next one begins
    trades = [
        Trade(T0 + 1_000, EX, SYM, 102.0, 2.0, TakerSide.BUY),
        Trade(T0 + 2_000, EX, SYM, 98.5, 3.0, TakerSide.SELL),
        Trade(T0 + PERIOD + 500, EX, SYM, 99.0, 1.5, TakerSide.BUY),
    ]
    for trade in trades:
        memory.observe(trade)
    memory.observe(OpenInterest(T0 + 60_000, EX, SYM, 2_000.0, None))
    memory.observe(OpenInterest(T0 + 200_000, EX, SYM, 2_100.0, None))
    opened = memory.opening_events(T0 + PERIOD + 1_000)
    (h,) = [e for e in opened if isinstance(e, History)]
    assert len(h.bars) == len(h.open_interest) == 12  # as many as the venue gave
    assert [b.ts for b in h.bars][-2:] == [T0, T0 + PERIOD]
    assert h.bars[-2] == Bar(T0, 102.0, 102.0, 98.5, 98.5, 5.0, 2.0)
    assert h.bars[-1] == Bar(T0 + PERIOD, 99.0, 99.0, 99.0, 99.0, 1.5, 1.5)
    assert h.open_interest[-1].amount == 2_100.0  # the period's last sample
    assert h.bars[0].ts == T0 - 10 * PERIOD  # the oldest went
    assert [type(e).__name__ for e in opened] == ["MarketInfo", "History", "FeedStatus"]
    assert all(e.ts == T0 + PERIOD + 1_000 for e in opened)


def test_a_market_without_a_fetched_history_gets_one_from_its_trades() -> None:
    memory = SessionMemory()
    memory.observe(Trade(T0 + 10, EX, SYM, 50.0, 1.0, TakerSide.SELL))
    (h,) = memory.opening_events(T0 + 20)
    assert isinstance(h, History)
    assert h.bars == (Bar(T0, 50.0, 50.0, 50.0, 50.0, 1.0, 0.0),) and h.open_interest == ()


def test_a_venue_without_a_taker_split_gets_none_in_the_carried_candles() -> None:
    memory = SessionMemory()
    h = history()
    bars = tuple(Bar(b.ts, 1.0, 2.0, 0.5, 1.0, 3.0) for b in h.bars)  # no taker split
    memory.observe(History(h.ts, "bybit", SYM, bars, ()))
    memory.observe(Trade(T0 + PERIOD, "bybit", SYM, 1.5, 1.0, TakerSide.BUY))
    (carried,) = memory.opening_events(T0 + PERIOD + 1)
    assert isinstance(carried, History)
    assert carried.bars[-1].taker_buy_volume is None


def record_two_files(tmp_path: Path) -> tuple[RotatingRecorder, list[Trade]]:
    wall = Wall(T0 / 1000)
    recorder = RotatingRecorder(tmp_path / "rec.jsonl.gz", 60, wall=wall)
    recorder.write_header(exchange=EX, symbols=(SYM,), source=Source.SIMULATED)
    for event in opening():
        recorder.write(event)
    trades = [
        Trade(T0 + i * 1_000, EX, SYM, 100.0 + (i % 7) * 0.3, 1.0, TakerSide.BUY) for i in range(90)
    ]
    for trade in trades[:45]:
        recorder.write(trade)
    wall.now_s += 59.0
    assert recorder.tick() is None  # not yet
    wall.now_s += 1.0
    begun = recorder.tick()
    assert begun == tmp_path / "rec.20261201T212100Z.jsonl.gz"
    for trade in trades[45:]:
        recorder.write(trade)
    recorder.close()
    return recorder, trades


def test_each_file_starts_with_a_header_and_what_a_replay_needs(tmp_path: Path) -> None:
    recorder, trades = record_two_files(tmp_path)
    first, second = recorder.paths
    assert first.name == "rec.20261201T212000Z.jsonl.gz"
    assert read_header(second).symbols == (SYM,) and read_header(second).source == "simulated"
    items = list(iter_recording(second))
    assert [type(e).__name__ for e in items[:3]] == ["MarketInfo", "History", "FeedStatus"]
    assert items[3:] == trades[45:]
    assert list(iter_recording(first))[3:] == trades[:45]
    assert recorder.events_written == len(opening()) + len(trades) + 3
    assert recorder.events_flushed == recorder.events_written


def test_the_second_file_alone_warms_the_detector_as_the_first_left_it(tmp_path: Path) -> None:
    recorder, _ = record_two_files(tmp_path)
    alone, both, cold = (
        make_detector(DetectorParams(), source=Source.SIMULATED, exchanges=(EX,)) for _ in range(3)
    )
    for item in iter_recording(recorder.paths[1]):
        assert isinstance(item, Event)
        alone.on_event(item)
        if not isinstance(item, History):
            cold.on_event(item)
    for path in recorder.paths:
        for item in iter_recording(path):
            assert isinstance(item, Event)
            both.on_event(item)
    a, b, c = (d.snapshot(SYM) for d in (alone, both, cold))
    assert a.last == b.last
    assert a.tick_size == 0.1

    def held(snap: object) -> float:
        return sum(row.long_usd + row.short_usd for row in snap.ladder)  # type: ignore[attr-defined]

    assert held(c) == 0.0 < held(a)  # warm from the carried history, not empty


def test_a_name_taken_at_the_start_is_refused_and_later_ones_skip_to_the_next(
    tmp_path: Path,
) -> None:
    wall = Wall(T0 / 1000)
    taken = rotated_name(tmp_path / "rec.jsonl", T0 / 1000)
    taken.write_text("someone's\n")
    with pytest.raises(RecordingError, match="holds something already"):
        RotatingRecorder(tmp_path / "rec.jsonl", 60, wall=wall)
    assert taken.read_text() == "someone's\n"
    wall.now_s -= 1
    recorder = RotatingRecorder(tmp_path / "rec.jsonl", 60, wall=wall)
    recorder.write_header(exchange=EX, symbols=(SYM,), source=Source.LIVE)
    clash = rotated_name(tmp_path / "rec.jsonl", T0 / 1000 + 60)
    clash.write_text("kept\n")
    wall.now_s = T0 / 1000 + 60
    begun = recorder.tick()
    recorder.close()
    assert begun is not None and begun.name == "rec.20261201T212100Z-2.jsonl"
    assert clash.read_text() == "kept\n"


def test_a_name_locked_by_another_recording_is_skipped(tmp_path: Path) -> None:
    wall = Wall(T0 / 1000)
    recorder = RotatingRecorder(tmp_path / "rec.jsonl", 60, wall=wall)
    recorder.write_header(exchange=EX, symbols=(SYM,), source=Source.LIVE)
    other = Recorder(rotated_name(tmp_path / "rec.jsonl", T0 / 1000 + 60))  # locks, empty
    wall.now_s += 60
    begun = recorder.tick()
    recorder.close()
    other.close()
    assert begun is not None and begun.name.endswith("-2.jsonl")


async def test_a_record_run_names_every_file_it_wrote(tmp_path: Path) -> None:
    from scalptui.feed.scripted import ScriptedFeed
    from scalptui.headless import run_record

    class Jumping:
        """Past the next hour from the first tick on."""

        def __init__(self) -> None:
            self.calls = 0

        def __call__(self) -> float:
            self.calls += 1
            return T0 / 1000 + (0 if self.calls == 1 else 3600)

    recorder = RotatingRecorder(tmp_path / "rec.jsonl", 3600, wall=Jumping())
    feed = ScriptedFeed(opening(), (SYM,), hold_open=True)

    async def opener() -> ScriptedFeed:
        return feed

    err = io.StringIO()
    assert await run_record(opener, recorder, duration_s=1.6, err=err) == 0
    said = err.getvalue()
    assert "recording goes on in" in said
    assert f"to 2 files, {recorder.paths[0]} to {recorder.paths[1]}" in said


def market_minutes(minutes: int) -> list[Event]:
    """Trades every second and open interest every 10 s, rising: a ladder builds."""
    events: list[Event] = []
    for i in range(minutes * 60):
        ts = T0 + i * 1_000
        side = TakerSide.BUY if i % 3 else TakerSide.SELL
        events.append(Trade(ts, EX, SYM, 100.0 + (i % 40) * 0.05, 2.0, side))
        if i % 10 == 5:
            events.append(OpenInterest(ts, EX, SYM, 1_012.0 + i * 0.5, None))
    return events


async def replayed(path: Path) -> list[Event]:
    from scalptui.feed.recording import ReplayFeed

    feed = ReplayFeed(path, speed=0)
    return [event async for event in feed.events()]


def detector_after(events: list[Event]) -> object:
    """The symbol's snapshot but its feed states (the replay's count of events differs)."""
    detector = make_detector(DetectorParams(), source=Source.REPLAY, exchanges=(EX,))
    for event in events:
        detector.on_event(event)
    return dataclasses.replace(detector.snapshot(SYM), feed=())


def rotating_and_whole(tmp_path: Path, minutes: int) -> tuple[list[Path], Path]:
    """The same events recorded in one file and in one file a minute."""
    events = opening() + market_minutes(minutes)
    wall = Wall(T0 / 1000)
    rotating = RotatingRecorder(tmp_path / "rec.jsonl", 60, wall=wall)
    rotating.write_header(exchange=EX, symbols=(SYM,), source=Source.SIMULATED)
    whole = Recorder(tmp_path / "whole.jsonl", exchange=EX, symbols=(SYM,), source=Source.SIMULATED)
    for event in events:
        if isinstance(event, Trade) and event.ts / 1000 >= wall.now_s + 1:
            wall.now_s = event.ts / 1000
            rotating.tick()
        rotating.write(event)
        whole.write(event)
    rotating.close()
    whole.close()
    return rotating.paths, whole.path


async def test_rotated_files_joined_in_order_replay_as_the_whole_recording(
    tmp_path: Path,
) -> None:
    paths, whole = rotating_and_whole(tmp_path, 3)
    assert len(paths) == 3
    joined = tmp_path / "joined.jsonl"
    joined.write_text("".join(p.read_text() for p in paths))
    from_joined = await replayed(joined)
    from_whole = await replayed(whole)
    market = (Trade, OpenInterest)
    assert [e for e in from_joined if isinstance(e, market)] == [
        e for e in from_whole if isinstance(e, market)
    ]
    assert not [e for e in from_joined if isinstance(e, FeedStatus) and "afresh" in e.detail]
    # the warm start each next file carries is not added again on top
    assert detector_after(from_joined) == detector_after(from_whole)


async def test_a_file_joined_after_a_gap_starts_afresh(tmp_path: Path) -> None:
    paths, _ = rotating_and_whole(tmp_path, 3)
    joined = tmp_path / "gap.jsonl"
    joined.write_text(paths[0].read_text() + paths[2].read_text())  # the middle one missing
    from_joined = await replayed(joined)
    afresh = [e for e in from_joined if isinstance(e, FeedStatus) and "afresh" in e.detail]
    assert afresh and {e.state for e in afresh} == {StreamState.CLOSED, StreamState.LIVE}
    assert {e.stream for e in afresh} == {SESSION_STREAM}  # the detectors start it afresh
    # closed where the first file's events end, live where the last file's run began
    before = from_joined[: from_joined.index(afresh[0])]
    ended = max(e.ts for e in before if isinstance(e, Trade | OpenInterest))
    assert {e.ts for e in afresh if e.state is StreamState.CLOSED} == {ended}
    assert {e.ts for e in afresh if e.state is StreamState.LIVE} == {read_header(paths[2]).started}
    assert sum(isinstance(e, History) for e in from_joined) == 2  # the last file's warm start


def test_a_next_file_that_cannot_be_started_leaves_the_recording_going_on(
    tmp_path: Path,
) -> None:
    """The folder moved away before the boundary: the run ended with "…-20.jsonl: No such
    file or directory (at least 3246 events recorded before it)", twice the 1,623 on disk."""
    folder = tmp_path / "sub"
    folder.mkdir()
    wall = Wall(T0 / 1000)
    recorder = RotatingRecorder(folder / "rec.jsonl", 60, wall=wall)
    recorder.write_header(exchange=EX, symbols=(SYM,), source=Source.LIVE)
    recorder.write(Trade(T0, EX, SYM, 100.0, 1.0, TakerSide.BUY))
    moved = tmp_path / "moved"
    folder.rename(moved)  # the open file goes with it
    wall.now_s += 60
    assert recorder.tick() is None
    problem = recorder.rotation_problem
    assert problem is not None and "No such file or directory" in problem
    assert "recording goes on in" in problem and "-20" not in problem
    recorder.write(Trade(T0 + 61_000, EX, SYM, 100.5, 1.0, TakerSide.BUY))
    recorder.close()
    assert recorder.events_written == 2
    assert len(list(iter_recording(moved / recorder.paths[0].name))) == 2


def test_a_second_run_rotating_on_the_same_name_is_refused(tmp_path: Path) -> None:
    wall = Wall(T0 / 1000)
    running = RotatingRecorder(tmp_path / "rec.jsonl", 60, wall=wall)
    wall.now_s += 3
    with pytest.raises(RecordingError, match="being recorded by another scalptui run"):
        RotatingRecorder(tmp_path / "rec.jsonl", 60, wall=wall)
    running.close()
    assert not (tmp_path / ".rec.jsonl.lock").exists()
    RotatingRecorder(tmp_path / "rec.jsonl", 60, wall=wall).close()  # free again


@pytest.mark.parametrize("base", ["/dev/null", "-"])
def test_a_device_or_dash_is_no_name_to_rotate(base: str) -> None:
    with pytest.raises(RecordingError, match="needs a file name"):
        RotatingRecorder(Path(base), 60)


@pytest.mark.parametrize("text", ["99999d", "9" * 400 + "d", "١m"])
def test_an_interval_beyond_a_year_or_in_other_digits_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"longer than a year|not an interval"):
        parse_interval(text)


def test_a_gzip_name_in_capitals_is_written_gzipped(tmp_path: Path) -> None:
    path = tmp_path / "up.JSONL.GZ"  # was written as plain text
    recorder = Recorder(path, exchange=EX, symbols=(SYM,), source=Source.LIVE)
    recorder.write(Trade(T0, EX, SYM, 100.0, 1.0, TakerSide.BUY))
    recorder.close()
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert len(list(iter_recording(path))) == 1


def crashed_then_restarted(
    tmp_path: Path, suffix: str = ".jsonl.gz"
) -> tuple[Path, Path, list[Trade], list[Trade]]:
    """A file a crash left without its end (flushed, never closed; a gzip file's last
    flush cut short, a plain file's last line), and the file the restarted recorder
    wrote after it."""
    first, crashed, second = (tmp_path / f"{n}{suffix}" for n in ("a", "a-crash", "b"))
    before = [Trade(T0 + i * 1_000, EX, SYM, 100.0 + i, 1.0, TakerSide.BUY) for i in range(300)]
    after = [
        Trade(T0 + 900_000 + i * 1_000, EX, SYM, 90.0, 2.0, TakerSide.SELL) for i in range(300)
    ]
    rec = Recorder(first, exchange=EX, symbols=(SYM,), source=Source.LIVE)
    for event in before:
        rec.write(event)
    rec.flush()
    data = first.read_bytes()
    rec.close()
    crashed.write_bytes(data[: len(data) - 7])  # and the crash cut its last flush short
    rec = Recorder(second, exchange=EX, symbols=(SYM,), source=Source.LIVE)
    for event in after:
        rec.write(event)
    rec.close()
    return crashed, second, before, after


def test_files_joined_after_one_a_crash_cut_short_are_read_on(tmp_path: Path) -> None:
    """``cat`` of a day's .gz files with a crash among them: the replay ended at the crash
    ("invalid block type"), every later file lost, and the run exited 0."""
    crashed, second, before, after = crashed_then_restarted(tmp_path)
    joined = tmp_path / "day.jsonl.gz"
    joined.write_bytes(crashed.read_bytes() + second.read_bytes())
    items = list(iter_recording(joined))
    events = [i for i in items if not isinstance(i, BadLine)]
    bad = [i for i in items if isinstance(i, BadLine)]
    assert events[: len(before) - 1] == before[: len(before) - 1]  # up to the cut
    assert events[-len(after) :] == after  # and the whole file after it
    assert any(b.joined for b in bad) and len(bad) <= 3


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl"])
async def test_a_replay_of_files_joined_after_a_crash_starts_the_next_afresh(
    tmp_path: Path, suffix: str
) -> None:
    """A plain file cut mid-line: the next run's header joined the cut line, and that
    run's events were played on as the crashed run's (the pacing waited out the gap)."""
    crashed, second, _, after = crashed_then_restarted(tmp_path, suffix)
    joined = tmp_path / f"day{suffix}"
    joined.write_bytes(crashed.read_bytes() + second.read_bytes())
    got = await replayed(joined)
    assert [e for e in got if isinstance(e, Trade)][-len(after) :] == after
    assert [e for e in got if isinstance(e, FeedStatus) and "afresh" in e.detail]
