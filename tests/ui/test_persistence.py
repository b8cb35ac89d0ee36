"""Watchlist, theme, mutes, bell and the last 500 alerts survive a restart."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from scalptui.models import Source
from scalptui.ui import state as persist
from scalptui.ui.messages import AlertRaised

from ._harness import SYMBOLS, alert, build, drained


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
        assert entries[logged - 1].alert.message == "restart me"
        assert entries[logged - 1].muted


def test_only_the_last_500_alerts_are_kept(tmp_path: Path) -> None:
    alerts = [alert(message=f"n{i}", ts=1_767_225_600_000 + i) for i in range(650)]
    persist.save_alerts(tmp_path, alerts, Source.SIMULATED)
    loaded = persist.load_alerts(tmp_path, Source.SIMULATED)
    assert len(loaded) == 500
    assert loaded[0].message == "n150" and loaded[-1].message == "n649"
    assert loaded[-1] == alerts[-1]


def test_corrupt_state_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    (tmp_path / "alerts-simulated.jsonl").write_text(
        '{"ts": "x"}\n' + json.dumps(alert().to_record()) + "\n"
    )
    assert persist.load_state(tmp_path) == persist.UiState()
    assert persist.load_alerts(tmp_path, Source.SIMULATED) == [alert()]


def test_simulated_alerts_never_reappear_in_a_live_session(tmp_path: Path) -> None:
    simulated = alert(message="from the demo")
    live = dataclasses.replace(simulated, source=Source.LIVE, message="from the exchange")
    persist.save_alerts(tmp_path, [simulated, live], Source.SIMULATED)
    persist.save_alerts(tmp_path, [simulated, live], Source.LIVE)
    assert persist.load_alerts(tmp_path, Source.LIVE) == [live]
    assert persist.load_alerts(tmp_path, Source.SIMULATED) == [simulated]
    persist.save_alerts(tmp_path, [simulated], Source.REPLAY)  # a replay keeps no history
    assert persist.load_alerts(tmp_path, Source.REPLAY) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alerts-simulated.jsonl", "alerts.jsonl"]


def test_unwritable_data_dir_does_not_raise(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    persist.save_state(blocker / "sub", persist.UiState(watchlist=("BTC/USDT:USDT",)))
    assert not (blocker / "sub").exists()
