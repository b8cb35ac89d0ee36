"""What survives a restart: watchlist, theme, mutes, bell, the last 500 alerts.

Stored as small files in the data dir (``platformdirs.user_data_dir`` by
default): ``state.json`` (``state-simulated.json`` for ``--demo``) and one alert
history per source (``alerts.jsonl``, ``alerts-simulated.jsonl``). The state is
written atomically (a temporary
file, then a rename) so a crash never leaves half a file. Alert histories are
appended to, one JSON line per alert, under an exclusive ``flock`` on a
``.lock`` file beside them, so two monitors running at once both keep every
alert; once a history outgrows ``COMPACT_BYTES`` it is cut back to the newest
``MAX_ALERTS`` under the same lock. A corrupt or unreadable file or line is
skipped (and logged): the monitor starts from the settings instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scalptui.models import Alert, AlertKind, Side, Source

log = logging.getLogger(__name__)

MAX_ALERTS = 500
COMPACT_BYTES = 1 << 20
"""An alert history larger than this is cut back to its newest MAX_ALERTS lines
(an alert line is well under 1 KiB, so this is several times MAX_ALERTS)."""
STATE_FILE = "state.json"
SIMULATED_STATE_FILE = "state-simulated.json"
ALERTS_FILE = "alerts.jsonl"
SIMULATED_ALERTS_FILE = "alerts-simulated.jsonl"


@dataclass(frozen=True, slots=True)
class UiState:
    watchlist: tuple[str, ...] = ()
    current: str | None = None
    theme: str | None = None
    mutes: frozenset[str] = frozenset()
    bell: bool | None = None
    theme_over: str | None = None
    """The config's theme (never a one-off ``--theme``) when ``theme`` was kept: a saved theme
    holds only while that setting is unchanged, so editing the config takes effect. None
    in files written before it was kept: their theme may be the config's of that day,
    frozen in by any save, so the setting wins over it."""
    bell_over: bool | None = None
    """The configured bell when ``bell`` was kept, for the same reason."""
    note: str | None = None
    """What went wrong reading the file, for the screen (never saved)."""
    keep_off: bool = False
    """The file is there but cannot be read: this run saves nothing over it."""

    def theme_for(self, configured: str) -> str:
        """The theme to start with: the saved one unless the setting changed since."""
        if self.theme is None or self.theme_over != configured:
            return configured
        return self.theme

    def bell_for(self, configured: bool) -> bool:
        if self.bell is None or self.bell_over != configured:
            return configured
        return self.bell


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("scalptui"))


def default_config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("scalptui"))


def state_file(source: Source) -> str:
    """A demo keeps its watchlist, mutes and theme apart: symbols tried on the simulated
    exchange never turn up in the next session on a real one."""
    return SIMULATED_STATE_FILE if source is Source.SIMULATED else STATE_FILE


def load_state(data_dir: Path, source: Source = Source.LIVE, *, mend: bool = True) -> UiState:
    """The saved session; a file that holds no session is set aside (``mend``; a replay,
    which saves nothing, leaves it), one that cannot be read is left for this run alone."""
    path = data_dir / state_file(source)
    raw = _read_json(path)
    if isinstance(raw, OSError):
        note = f"cannot read {path} ({raw.strerror or raw}): started from the settings"
        log.warning("%s", note)
        return UiState(note=f"{note}; nothing is saved over it", keep_off=True)
    if raw is _UNREADABLE or (raw is not None and not isinstance(raw, dict)):
        if not mend:
            return UiState()
        return UiState(note=_set_aside(path))
    if raw is None:
        return UiState()
    watchlist = _strings(raw, "watchlist", path)
    current = raw.get("current")
    theme = raw.get("theme")
    bell = raw.get("bell")
    theme_over = raw.get("theme_over")
    bell_over = raw.get("bell_over")
    return UiState(
        watchlist=watchlist,
        current=current if isinstance(current, str) else None,
        theme=theme if isinstance(theme, str) else None,
        mutes=frozenset(_strings(raw, "mutes", path)),
        bell=bell if isinstance(bell, bool) else None,
        theme_over=theme_over if isinstance(theme_over, str) else None,
        bell_over=bell_over if isinstance(bell_over, bool) else None,
    )


def save_state(data_dir: Path, state: UiState, source: Source = Source.LIVE) -> None:
    payload = {
        "watchlist": list(state.watchlist),
        "current": state.current,
        "theme": state.theme,
        "mutes": sorted(state.mutes),
        "bell": state.bell,
        "theme_over": state.theme_over,
        "bell_over": state.bell_over,
    }
    _write_atomic(data_dir / state_file(source), json.dumps(payload, indent=1) + "\n")


def alerts_file(source: Source) -> str | None:
    """Each source keeps its own history, so simulated alerts never reappear in a live
    session; a replay keeps none (it can be played again)."""
    return {Source.LIVE: ALERTS_FILE, Source.SIMULATED: SIMULATED_ALERTS_FILE}.get(source)


def load_alerts(data_dir: Path, source: Source = Source.LIVE) -> list[Alert]:
    """The newest MAX_ALERTS alerts of ``source``, oldest first; bad lines are skipped."""
    name = alerts_file(source)
    if name is None:
        return []
    path = data_dir / name
    try:
        with _locked(path, exclusive=False):
            # a line a full disk cut inside a character is one bad line, not a history lost
            text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    alerts: list[Alert] = []
    for line in text.splitlines()[-MAX_ALERTS:]:
        alert = _parse_alert_line(line, path)
        if alert is not None and alert.source is source:
            alerts.append(alert)
    return alerts


def alert_history(data_dir: Path, source: Source, kept: Iterable[Alert] = ()) -> deque[Alert]:
    """The source's saved alerts, then those of ``kept`` from the same source: the newest
    ``MAX_ALERTS``, for the alert log."""
    restored = load_alerts(data_dir, source)
    return deque([*restored, *(a for a in kept if a.source is source)], maxlen=MAX_ALERTS)


def append_alerts(
    data_dir: Path, alerts: Iterable[Alert], source: Source = Source.LIVE
) -> str | None:
    """Add new alerts to the history of ``source``; other writers' lines are kept. None
    once written, else why not: then nothing of them is left in the file (a full disk's
    part-line is cut off again), so the caller can try them again later.

    The append and any compaction happen under one exclusive lock, so lines of
    two monitors never interleave mid-line and a compaction never drops an
    alert another monitor appended a moment before.
    """
    name = alerts_file(source)
    if name is None:
        return None
    text = _alert_lines(a for a in alerts if a.source is source)
    if not text:
        return None
    path = data_dir / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path, exclusive=True):
            _append_whole(path, text)
            if path.stat().st_size > COMPACT_BYTES:
                _keep_newest(path)
    except OSError as exc:
        log.warning("cannot append to %s: %s", path, exc)
        return exc.strerror or str(exc)
    return None


def _append_whole(path: Path, text: str) -> None:
    """Append ``text`` or, when the write fails part-way, nothing (the caller holds the lock)."""
    data = text.encode("utf-8")
    if not _ends_a_line(path):
        data = b"\n" + data  # a crash cut the last line: never glue a new alert onto it
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)


def save_alerts(data_dir: Path, alerts: Iterable[Alert], source: Source = Source.LIVE) -> None:
    """Replace the history of ``source`` with the newest MAX_ALERTS of ``alerts``."""
    name = alerts_file(source)
    if name is None:
        return
    kept = [a for a in alerts if a.source is source][-MAX_ALERTS:]
    path = data_dir / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path, exclusive=True):
            _write_atomic(path, _alert_lines(kept))
    except OSError as exc:
        log.warning("cannot write %s: %s", path, exc)


def _alert_lines(alerts: Iterable[Alert]) -> str:
    return "".join(json.dumps(a.to_record(), ensure_ascii=False) + "\n" for a in alerts)


def _parse_alert_line(line: str, path: Path) -> Alert | None:
    if not line.strip():
        return None
    try:
        return alert_from_record(json.loads(line))
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError):
        log.warning("skipping an unreadable alert line in %s", path)
        return None


def _ends_a_line(path: Path) -> bool:
    """True for a missing or empty file or one whose last byte is a newline."""
    if not path.exists():
        return True
    with path.open("rb") as fh:
        if fh.seek(0, os.SEEK_END) == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def _keep_newest(path: Path) -> None:
    """Cut the history to its newest MAX_ALERTS lines (the caller holds the lock)."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    if len(lines) > MAX_ALERTS:
        _write_atomic(path, "".join(lines[-MAX_ALERTS:]))


@contextlib.contextmanager
def _locked(path: Path, *, exclusive: bool) -> Iterator[None]:
    """Hold ``flock`` on ``path``'s ``.lock`` sibling.

    The lock lives on its own file because compaction replaces the history file:
    a lock on the history itself would be held on an inode that is no longer it.
    Without ``fcntl`` (not POSIX) the history is written unlocked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        lock = open(path.with_name(path.name + ".lock"), "a")  # noqa: SIM115 (closed below)
    except OSError:
        if exclusive:
            raise
        yield  # a read-only data dir: the history can still be read
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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


_UNREADABLE = object()
"""``_read_json``'s answer for a file that is there but holds no JSON it can read."""


def _read_json(path: Path) -> Any:
    """The file's JSON; None when there is no file, the OSError when it cannot be read
    (a permission, a directory in its place), and ``_UNREADABLE`` when it holds
    something else (cut off, hand-edited, binary)."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return exc
    try:
        return json.loads(text.decode("utf-8"))
    except (ValueError, RecursionError):
        return _UNREADABLE


def _set_aside(path: Path) -> str:
    """Keep an unreadable state file as ``<name>.bad`` (saving the session would write
    over it, and a trailing comma lost a hand-made watchlist) and say so."""
    bad = path.with_name(path.name + ".bad")
    n = 1
    while bad.exists():  # an earlier one kept: never written over
        bad = path.with_name(f"{path.name}.bad.{n}")
        n += 1
    try:
        os.replace(path, bad)
    except OSError as exc:
        note = f"{path} is unreadable and cannot be set aside ({exc}): started from the settings"
    else:
        note = f"{path} is unreadable: kept as {bad.name}, started from the settings"
    log.warning("%s", note)
    return note


def _strings(raw: Mapping[str, Any], key: str, path: Path) -> tuple[str, ...]:
    """The strings of ``raw[key]``, a list; anything else in its place is left out, logged."""
    value = raw.get(key, [])
    if not isinstance(value, list):
        log.warning("%s: %s is not a list, left out: %.80r", path, key, value)
        return ()
    return tuple(item for item in value if isinstance(item, str))


def _write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        # Losing persisted UI state must never take the monitor down.
        log.warning("cannot write %s: %s", path, exc)
