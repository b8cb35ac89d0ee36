"""What survives a restart: watchlist, theme, mutes, bell, the last 500 alerts.

Stored as two small JSON files in the data dir (``platformdirs.user_data_dir``
by default): ``state.json`` and ``alerts.jsonl``. Writes are atomic (write a
temporary file, then rename) so a crash never leaves half a file. A corrupt or
unreadable file is ignored: the monitor starts from the settings instead.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scalptui.models import Alert, AlertKind, Side, Source

log = logging.getLogger(__name__)

MAX_ALERTS = 500
STATE_FILE = "state.json"
ALERTS_FILE = "alerts.jsonl"
SIMULATED_ALERTS_FILE = "alerts-simulated.jsonl"


@dataclass(frozen=True, slots=True)
class UiState:
    watchlist: tuple[str, ...] = ()
    current: str | None = None
    theme: str | None = None
    mutes: frozenset[str] = frozenset()
    bell: bool | None = None


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("scalptui"))


def default_config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("scalptui"))


def load_state(data_dir: Path) -> UiState:
    raw = _read_json(data_dir / STATE_FILE)
    if not isinstance(raw, dict):
        return UiState()
    watchlist = tuple(s for s in raw.get("watchlist", []) if isinstance(s, str))
    current = raw.get("current")
    theme = raw.get("theme")
    bell = raw.get("bell")
    return UiState(
        watchlist=watchlist,
        current=current if isinstance(current, str) else None,
        theme=theme if isinstance(theme, str) else None,
        mutes=frozenset(s for s in raw.get("mutes", []) if isinstance(s, str)),
        bell=bell if isinstance(bell, bool) else None,
    )


def save_state(data_dir: Path, state: UiState) -> None:
    payload = {
        "watchlist": list(state.watchlist),
        "current": state.current,
        "theme": state.theme,
        "mutes": sorted(state.mutes),
        "bell": state.bell,
    }
    _write_atomic(data_dir / STATE_FILE, json.dumps(payload, indent=1) + "\n")


def alerts_file(source: Source) -> str | None:
    """Each source keeps its own history, so simulated alerts never reappear in a live
    session; a replay keeps none (it can be played again)."""
    return {Source.LIVE: ALERTS_FILE, Source.SIMULATED: SIMULATED_ALERTS_FILE}.get(source)


def load_alerts(data_dir: Path, source: Source = Source.LIVE) -> list[Alert]:
    name = alerts_file(source)
    if name is None:
        return []
    path = data_dir / name
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    alerts: list[Alert] = []
    for line in lines[-MAX_ALERTS:]:
        try:
            alert = alert_from_record(json.loads(line))
        except (ValueError, KeyError, TypeError):
            log.warning("skipping an unreadable alert line in %s", path)
            continue
        if alert.source is source:
            alerts.append(alert)
    return alerts


def save_alerts(data_dir: Path, alerts: Iterable[Alert], source: Source = Source.LIVE) -> None:
    name = alerts_file(source)
    if name is None:
        return
    kept = [a for a in alerts if a.source is source][-MAX_ALERTS:]
    text = "".join(json.dumps(a.to_record(), ensure_ascii=False) + "\n" for a in kept)
    _write_atomic(data_dir / name, text)


def alert_from_record(record: Mapping[str, Any]) -> Alert:
    """The inverse of ``Alert.to_record``."""
    side = record.get("side")
    facts = record.get("facts") or {}
    if not isinstance(facts, dict):
        raise TypeError("facts must be an object")
    return Alert(
        ts=int(record["ts"]),
        exchange=str(record["exchange"]),
        symbol=str(record["symbol"]),
        kind=AlertKind(record["kind"]),
        side=Side(side) if side is not None else None,
        message=str(record["message"]),
        facts=facts,
        source=Source(record.get("source", Source.LIVE.value)),
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        # Losing persisted UI state must never take the monitor down.
        log.warning("cannot write %s: %s", path, exc)
