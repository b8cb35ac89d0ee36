"""Watchlist, theme, mutes, bell and the last 500 alerts survive a restart."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import multiprocessing
import os
from pathlib import Path

import pytest

from scalptui.config import DEFAULT_SYMBOLS
from scalptui.feed.base import Feed
from scalptui.feed.recording import RecordingHeader
from scalptui.models import Alert, Source
from scalptui.ui import state as persist
from scalptui.ui.messages import AlertRaised

from ._harness import SYMBOLS, Harness, alert, build, drained, end_clock


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    first = build(tmp_path)
    async with first.app.run_test(size=(100, 30)) as pilot:
        app = first.app
        await drained(first)
        await pilot.pause()
        app.choose_symbol("XRP/USDT:USDT")
        await pilot.press("m", "t", "b")
        app.post_message(AlertRaised(alert(symbol="XRP/USDT:USDT", message="restart me")))
        await pilot.pause()
        logged = len(app.alert_log.entries)
        await pilot.press("q")
        await pilot.pause()

    second = build(tmp_path)
    app = second.app
    assert app.watchlist == (*SYMBOLS, "XRP/USDT:USDT")
    assert app.current == "XRP/USDT:USDT"
    assert app.mutes == frozenset({"XRP/USDT:USDT"})
    assert app.bell_on is True
    assert app.alert_history[-1].message == "restart me"
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.theme == "scalptui-light"
        entries = list(app.alert_log.entries)
        assert len(entries) >= logged
        (restored,) = [e for e in entries if e.alert.message == "restart me"]
        assert restored.muted


async def test_a_theme_named_in_the_settings_since_wins_over_the_saved_one(
    tmp_path: Path,
) -> None:
    """``t`` chose the light theme over the configured dark one; a later ``--theme`` (or
    an edited config) names another, and that one is shown, not the saved choice."""
    first = build(tmp_path)
    async with first.app.run_test(size=(100, 30)) as pilot:
        await drained(first)
        await pilot.press("t", "b")
        await pilot.press("q")
        await pilot.pause()
    assert persist.load_state(tmp_path / "data", Source.SIMULATED).theme == "scalptui-light"
    again = build(tmp_path)  # the same setting: the choice holds
    async with again.app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert again.app.theme == "scalptui-light" and again.app.bell_on
        await pilot.press("q")
    named = build(tmp_path, theme="scalptui-cb", theme_named=True)
    async with named.app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert named.app.theme == "scalptui-cb"
        named.app.switch_to(SYMBOLS[1])  # saves: and the one-off --theme is not frozen in
    back = build(tmp_path)  # plain again: neither cb nor the config's dark, but the t choice
    async with back.app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert back.app.theme == "scalptui-light"  # a one-off --theme threw it away
        await pilot.press("q")
    edited = build(tmp_path, theme="scalptui-cb")  # the config edited to cb: cb
    async with edited.app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert edited.app.theme == "scalptui-cb"
        await pilot.press("q")
    explicit = build(tmp_path, theme_named=True)  # --theme scalptui-dark: named, it wins
    async with explicit.app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert explicit.app.theme == "scalptui-dark"


def test_a_state_file_from_before_the_setting_was_kept_gives_way_to_the_setting() -> None:
    """Its theme may be the config's of that day, frozen in by a save: the setting wins."""
    old = persist.UiState(theme="scalptui-dark", bell=False)
    assert old.theme_for("scalptui-light") == "scalptui-light"
    assert old.bell_for(True) is True
    kept = persist.UiState(
        theme="scalptui-cb", theme_over="scalptui-dark", bell=True, bell_over=False
    )
    assert kept.theme_for("scalptui-dark") == "scalptui-cb" and kept.bell_for(False) is True


async def test_a_default_symbol_taken_off_stays_off_after_a_restart(tmp_path: Path) -> None:
    """Nothing configured: the built-in three seed the first session only. BTC taken off
    with x stays off, and 1 is ETH, not BTC shifted to the end."""
    assert SYMBOLS == DEFAULT_SYMBOLS  # the harness runs on the built-in defaults
    said = await take_off_the_first_symbol(build(tmp_path))
    assert any("removed from the watchlist" in m for m in said), said
    assert not any("until restart" in m for m in said), said
    second = build(tmp_path)
    assert second.app.watchlist == SYMBOLS[1:]
    # named on the command line (or in the config), the same three are all watched again
    named = build(tmp_path, symbols_named=True)
    assert set(named.app.watchlist) == set(SYMBOLS)
    said = await take_off_the_first_symbol(named)
    assert any("until restart (the settings name it)" in m for m in said), said


async def take_off_the_first_symbol(h: Harness) -> list[str]:
    """``x`` on the first watched symbol, then quit; what the app said."""
    async with h.app.run_test(size=(100, 30)) as pilot:
        await drained(h)
        h.app.switch_to(SYMBOLS[0])
        await pilot.press("x")
        await pilot.pause()
        said = [n.message for n in h.app._notifications]
        await pilot.press("q")
        await pilot.pause()
    return said


def test_only_the_last_500_alerts_are_kept(tmp_path: Path) -> None:
    alerts = [alert(message=f"n{i}", ts=1_767_225_600_000 + i) for i in range(650)]
    persist.save_alerts(tmp_path, alerts, Source.SIMULATED)
    loaded = persist.load_alerts(tmp_path, Source.SIMULATED)
    assert len(loaded) == 500
    assert loaded[0].message == "n150" and loaded[-1].message == "n649"
    assert loaded[-1] == alerts[-1]


def test_corrupt_state_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "alerts-simulated.jsonl").write_text(
        '{"ts": "x"}\n' + json.dumps(alert().to_record()) + "\n"
    )
    assert persist.load_alerts(tmp_path, Source.SIMULATED) == [alert()]


def test_an_unreadable_state_file_is_set_aside_not_written_over(tmp_path: Path) -> None:
    """A trailing comma typed into a hand-made watchlist: the next save wrote the
    defaults over it, and nothing said so."""
    text = '{"watchlist": ["BTC/USDT:USDT", "HYPE/USDT:USDT",], "mutes": ["HYPE/USDT:USDT"]}'
    (tmp_path / "state.json").write_text(text)
    loaded = persist.load_state(tmp_path)
    assert loaded.watchlist == () and loaded.note is not None and "state.json.bad" in loaded.note
    assert (tmp_path / "state.json.bad").read_text() == text
    persist.save_state(tmp_path, persist.UiState(watchlist=("ETH/USDT:USDT",)))
    assert (tmp_path / "state.json.bad").read_text() == text


def test_a_second_unreadable_state_file_keeps_the_first_one_set_aside(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"watchlist": ["A",]}')
    persist.load_state(tmp_path)
    (tmp_path / "state.json").write_text('{"watchlist": ["B",]}')
    note = persist.load_state(tmp_path).note
    assert (tmp_path / "state.json.bad").read_text() == '{"watchlist": ["A",]}'
    assert (tmp_path / "state.json.bad.1").read_text() == '{"watchlist": ["B",]}'
    assert note is not None and "state.json.bad.1" in note


def test_a_state_file_that_cannot_be_read_is_left_alone_for_the_run(tmp_path: Path) -> None:
    """Read as no file, it was written over at the first save."""
    (tmp_path / "state.json").mkdir()
    loaded = persist.load_state(tmp_path)
    assert loaded.keep_off and loaded.note is not None and "cannot read" in loaded.note


def test_a_replay_leaves_an_unreadable_state_file_where_it_is(tmp_path: Path) -> None:
    """A replay saves nothing: it set the live session's file aside, and the next live
    run started from the defaults without a word."""
    (tmp_path / "state.json").write_text("{not json")
    assert persist.load_state(tmp_path, mend=False) == persist.UiState()
    assert (tmp_path / "state.json").read_text() == "{not json"


@pytest.mark.parametrize(
    "fields",
    [{"watchlist": None}, {"watchlist": 5}, {"watchlist": "BTC/USDT:USDT"}, {"mutes": 7}],
)
def test_a_state_field_of_the_wrong_type_is_left_out(
    tmp_path: Path, fields: dict[str, object]
) -> None:
    """``"watchlist": null`` crashed the start; a string was read letter by letter."""
    (tmp_path / "state.json").write_text(json.dumps({"current": "ETH/USDT:USDT", **fields}))
    loaded = persist.load_state(tmp_path)
    assert loaded.watchlist == () and loaded.mutes == frozenset()
    assert loaded.current == "ETH/USDT:USDT" and loaded.note is None


def test_alert_lines_a_full_disk_or_a_hand_cut_never_stop_the_start(tmp_path: Path) -> None:
    """A line cut inside "≥" (a full disk), a time of 1e999 or a nesting 10 000 deep
    raised out of the start, at every start."""
    good = json.dumps(alert().to_record(), ensure_ascii=False)
    record = alert().to_record()
    huge = json.dumps({**record, "ts": 0}).replace('"ts": 0', '"ts": 1e999')
    lines = [good, huge, "[" * 10_000, good]
    raw = "\n".join(lines).encode() + b"\n" + good.encode()[: good.encode().index("≥".encode()) + 1]
    (tmp_path / "alerts-simulated.jsonl").write_bytes(raw)
    assert persist.load_alerts(tmp_path, Source.SIMULATED) == [alert(), alert()]
    persist.append_alerts(tmp_path, [alert(message="after")], Source.SIMULATED)
    assert [a.message for a in persist.load_alerts(tmp_path, Source.SIMULATED)][-1] == "after"


def test_an_append_the_disk_refuses_leaves_nothing_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    persist.append_alerts(tmp_path, [alert(message="before")], Source.SIMULATED)
    before = (tmp_path / "alerts-simulated.jsonl").read_bytes()
    real_write = os.write

    def half_then_full(fd: int, data: bytes | memoryview) -> int:
        if len(data) > 8:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)  # the disk fills part-way
    failure = persist.append_alerts(tmp_path, [alert(message="refused")], Source.SIMULATED)
    assert failure == "No space left on device"
    assert (tmp_path / "alerts-simulated.jsonl").read_bytes() == before


def test_simulated_alerts_never_reappear_in_a_live_session(tmp_path: Path) -> None:
    simulated = alert(message="from the demo")
    live = dataclasses.replace(simulated, source=Source.LIVE, message="from the exchange")
    persist.save_alerts(tmp_path, [simulated, live], Source.SIMULATED)
    persist.save_alerts(tmp_path, [simulated, live], Source.LIVE)
    assert persist.load_alerts(tmp_path, Source.LIVE) == [live]
    assert persist.load_alerts(tmp_path, Source.SIMULATED) == [simulated]
    persist.save_alerts(tmp_path, [simulated], Source.REPLAY)  # a replay keeps no history
    assert persist.load_alerts(tmp_path, Source.REPLAY) == []
    histories = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".jsonl")
    assert histories == ["alerts-simulated.jsonl", "alerts.jsonl"]


def test_unwritable_data_dir_does_not_raise(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    persist.save_state(blocker / "sub", persist.UiState(watchlist=("BTC/USDT:USDT",)))
    assert not (blocker / "sub").exists()


async def test_two_monitors_at_once_both_keep_their_alerts(tmp_path: Path) -> None:
    # Both start before either has saved anything, as two terminals opened side by side.
    first, second = build(tmp_path, events=()), build(tmp_path, events=())
    for h, message in ((first, "from the first"), (second, "from the second")):
        async with h.app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            h.app.post_message(AlertRaised(alert(message=message)))
            await pilot.pause()
            await pilot.press("q")
            await pilot.pause()
    kept = [a.message for a in persist.load_alerts(tmp_path / "data", Source.SIMULATED)]
    assert kept == ["from the first", "from the second"]


def _append_one_by_one(data_dir: Path, writer: str, count: int, compact_bytes: int) -> None:
    persist.COMPACT_BYTES = compact_bytes  # this process's copy (fork start method)
    for i in range(count):
        persist.append_alerts(
            data_dir, [alert(message=f"{writer}{i}", ts=1_767_225_600_000 + i)], Source.SIMULATED
        )


def _interleave(data_dir: Path, count: int, compact_bytes: int) -> None:
    context = multiprocessing.get_context("fork")
    writers = [
        context.Process(target=_append_one_by_one, args=(data_dir, name, count, compact_bytes))
        for name in ("a", "b")
    ]
    for process in writers:
        process.start()
    for process in writers:
        process.join(60)
        assert process.exitcode == 0


def test_two_writers_interleaving_lose_nothing(tmp_path: Path) -> None:
    _interleave(tmp_path, 200, persist.COMPACT_BYTES)
    text = (tmp_path / "alerts-simulated.jsonl").read_text()
    assert len(text.splitlines()) == 400  # every line whole: no two writes interleaved mid-line
    kept = {a.message for a in persist.load_alerts(tmp_path, Source.SIMULATED)}
    assert kept == {f"{w}{i}" for w in "ab" for i in range(200)}


def test_compaction_under_two_writers_keeps_the_newest_and_whole_lines(tmp_path: Path) -> None:
    line_bytes = len(json.dumps(alert(message="a100").to_record(), ensure_ascii=False)) + 1
    _interleave(tmp_path, 400, compact_bytes=line_bytes * (persist.MAX_ALERTS + 20))
    lines = (tmp_path / "alerts-simulated.jsonl").read_text().splitlines()
    assert persist.MAX_ALERTS <= len(lines) <= persist.MAX_ALERTS + 21  # it was compacted
    records = [json.loads(line) for line in lines]  # every line is whole JSON
    messages = {r["message"] for r in records}
    assert {"a399", "b399"} <= messages  # each writer's newest alert survived the other's cuts


def test_a_corrupt_alert_line_is_skipped_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = json.dumps(alert().to_record())
    (tmp_path / "alerts-simulated.jsonl").write_text(f'{good}\n[1, 2]\n{{"ts": 1\n{good[:40]}')
    with caplog.at_level(logging.WARNING, logger="scalptui.ui.state"):
        assert persist.load_alerts(tmp_path, Source.SIMULATED) == [alert()]
    assert sum("unreadable alert line" in r.getMessage() for r in caplog.records) == 3
    persist.append_alerts(tmp_path, [alert(message="after")], Source.SIMULATED)
    assert [a.message for a in persist.load_alerts(tmp_path, Source.SIMULATED)][-1] == "after"


async def test_an_alert_of_an_earlier_day_shows_its_date(tmp_path: Path) -> None:
    """A history restored at start may be days old: its lines say which day, and the
    day's own alerts gain their date once the clock passes midnight."""
    today = alert(message="today's leg", ts=1_767_225_600_000)  # 2026-01-01 00:00:00
    earlier = alert(message="yesterday's leg", ts=today.ts - 10 * 60_000)
    persist.save_alerts(tmp_path / "data", [earlier, today], Source.SIMULATED)
    now = [end_clock()]
    h = build(tmp_path, clock=lambda: now[0])

    def line_of(message: str) -> str:
        return next(t.plain for t in h.app.alert_log.lines if message in t.plain)

    async with h.app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert line_of("yesterday's leg").startswith("Dec 31 23:50 BTC ")
        assert line_of("today's leg").startswith("00:00:00 BTC ")
        now[0] += 86_400.0
        h.app.repaint_now()
        await pilot.pause()
        assert line_of("today's leg").startswith("Jan 01 00:00 BTC ")


def test_a_symbol_named_on_the_command_line_comes_on_screen(tmp_path: Path) -> None:
    """``scalptui --symbols SOL`` after a session left on ETH starts on SOL."""
    saved = persist.UiState(watchlist=SYMBOLS, current=SYMBOLS[1])
    persist.save_state(tmp_path / "data", saved, Source.SIMULATED)  # the harness is a demo
    assert build(tmp_path).app.current == SYMBOLS[1]
    assert build(tmp_path, start_on=SYMBOLS[2]).app.current == SYMBOLS[2]


async def test_alerts_of_an_earlier_run_are_dimmed_and_new_ones_are_not(tmp_path: Path) -> None:
    """A restart the same day: the earlier run's alerts are history, drawn dimmed (their
    colour read as news beside a fresh market); the title says what dimmed means."""
    persist.save_alerts(tmp_path / "data", [alert(message="earlier leg")], Source.SIMULATED)
    h = build(tmp_path)
    async with h.app.run_test(size=(120, 80)) as pilot:
        app = h.app
        await drained(h)
        app.post_message(AlertRaised(alert(message="just now", ts=alert().ts + 1)))
        await pilot.pause()
        by_message = {e.alert.message: e for e in app.alert_log.entries}
        assert by_message["earlier leg"].restored and not by_message["just now"].restored
        assert "dimmed: from before this start" in app.alert_log.lines[0].plain
        line = next(t for t in app.alert_log.lines if "earlier leg" in t.plain)
        kind = next(sp for sp in line.spans if "CASCADE" in line.plain[sp.start : sp.end])
        fresh = next(t for t in app.alert_log.lines if "just now" in t.plain)
        fresh_kind = next(sp for sp in fresh.spans if "CASCADE" in fresh.plain[sp.start : sp.end])
        assert str(kind.style) != str(fresh_kind.style)


async def test_a_replay_shows_the_recordings_symbols_and_leaves_the_saved_session_alone(
    tmp_path: Path,
) -> None:
    first = build(tmp_path)
    async with first.app.run_test(size=(100, 30)) as pilot:
        await drained(first)
        await pilot.pause()
        first.app.choose_symbol("XRP/USDT:USDT")
        await pilot.press("q")
        await pilot.pause()
    saved = (tmp_path / "data" / "state-simulated.json").read_bytes()

    replay = build(tmp_path, replay_symbols=SYMBOLS[:2])
    app = replay.app
    # The recording's symbols, not the saved watchlist (XRP is in no recording here).
    assert app.watchlist == SYMBOLS[:2]
    async with app.run_test(size=(100, 30)) as pilot:
        await drained(replay)
        await pilot.pause()
        await pilot.press("x", "m", "t", "b", "]")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert (tmp_path / "data" / "state-simulated.json").read_bytes() == saved
    assert build(tmp_path).app.watchlist == (*SYMBOLS, "XRP/USDT:USDT")


async def test_a_replay_shows_its_recording_before_the_file_is_open(tmp_path: Path) -> None:
    """Until the recording was open (about a second) the screen read the configured
    venue "connecting", the wall clock and the saved session's own alerts."""
    saved = alert(message="Real liquidations: a saved alert of the session")
    assert persist.append_alerts(tmp_path / "data", [saved], Source.SIMULATED) is None
    opening = asyncio.Event()

    async def never_opens() -> Feed:
        await opening.wait()
        raise AssertionError("the test ends before the feed opens")

    header = RecordingHeader("bybit,okx", SYMBOLS[:2], Source.LIVE, started=1_700_000_000_000)
    replay = build(tmp_path, open_feed=never_opens, replay_symbols=SYMBOLS[:2], replay_of=header)
    async with replay.app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        info = replay.app._chart_header(None)
        assert (info.exchange, info.replay, info.simulated) == ("bybit,okx", True, False)
        assert info.clock_s == 1_700_000_000.0  # the recording's start, not the wall clock
        assert [v.venue for v in info.venues] == ["bybit", "okx"]
        assert not replay.app.alert_log.entries  # the session's alerts are not the recording's


async def test_a_demo_keeps_its_watchlist_apart_from_the_live_session(tmp_path: Path) -> None:
    """Symbols tried in --demo turned up in the next session on a real exchange."""
    live = persist.UiState(watchlist=("BTC/USDT:USDT",), current="BTC/USDT:USDT")
    persist.save_state(tmp_path / "data", live)
    demo = build(tmp_path)  # the harness runs as --demo
    async with demo.app.run_test(size=(100, 30)) as pilot:
        await drained(demo)
        await pilot.pause()
        demo.app.choose_symbol("XRP/USDT:USDT")
        await pilot.press("m", "q")
        await pilot.pause()
    assert persist.load_state(tmp_path / "data") == live
    tried = persist.load_state(tmp_path / "data", Source.SIMULATED)
    assert "XRP/USDT:USDT" in tried.watchlist and tried.mutes == {"XRP/USDT:USDT"}


async def test_a_saved_symbol_this_venue_lacks_is_skipped_not_forgotten(tmp_path: Path) -> None:
    """The saved watchlist is shared by every venue (and the simulator): a run on one
    that does not list a symbol took it off the saved list for good."""
    hype, fart = "HYPE/USDT:USDT", "FARTCOIN/USDT:USDT"
    saved = persist.UiState(watchlist=(SYMBOLS[0], hype, fart, *SYMBOLS[1:]), current=hype)
    persist.save_state(tmp_path / "data", saved, Source.SIMULATED)
    h = build(tmp_path)
    async with h.app.run_test(size=(100, 30), message_hook=h.hear) as pilot:
        await drained(h)
        await pilot.pause()
        assert hype not in h.app.watchlist and h.app.current == SYMBOLS[0]
        assert any("kept in the saved watchlist" in n for n in h.notices), h.notices
        await pilot.press("q")
        await pilot.pause()
    after = persist.load_state(tmp_path / "data", Source.SIMULATED)
    assert after.watchlist == (SYMBOLS[0], hype, fart, *SYMBOLS[1:])


async def test_alerts_a_full_disk_refused_are_kept_and_saved_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They were dropped from the unsaved list before the write, which failed quietly:
    the alert history lost them for good."""
    h = build(tmp_path, events=())
    real_append = persist.append_alerts
    full = {"disk": True}

    def append(data_dir: Path, alerts: list[Alert], source: Source) -> str | None:
        return "No space left on device" if full["disk"] else real_append(data_dir, alerts, source)

    monkeypatch.setattr(persist, "append_alerts", append)
    async with h.app.run_test(size=(100, 30), message_hook=h.hear) as pilot:
        await drained(h)
        h.app.post_message(AlertRaised(alert(message="while full")))
        await pilot.pause()
        h.app.save_new_alerts()
        h.app.save_new_alerts()
        await pilot.pause()
        said = [n for n in h.notices if "cannot save the alert history" in n]
        assert said == [
            "cannot save the alert history (No space left on device): kept and tried again"
        ]
        full["disk"] = False
        h.app.save_new_alerts()
    saved = persist.load_alerts(tmp_path / "data", Source.SIMULATED)
    assert [a.message for a in saved] == ["while full"]
