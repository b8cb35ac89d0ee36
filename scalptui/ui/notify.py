"""Desktop notifications through the terminal (OSC 777 / OSC 9), which travel over SSH.

Off by default. Which sequence a terminal understands depends on the terminal:
iTerm2 and Windows Terminal speak OSC 9; VTE terminals, foot, WezTerm, Ghostty
and others speak OSC 777. Inside tmux the sequence is wrapped in tmux's DCS
passthrough (tmux needs ``allow-passthrough on``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.driver import Driver

_OSC9_TERMINALS = frozenset({"iTerm.app", "WindowsTerminal", "ConEmu"})


def _clean(text: str) -> str:
    # A control character or ';' inside the payload would end or split the sequence.
    return "".join(ch for ch in text if ch.isprintable()).replace(";", ",")


def notification_sequence(title: str, body: str, env: Mapping[str, str]) -> str:
    program = env.get("TERM_PROGRAM", "")
    if program in _OSC9_TERMINALS or env.get("WT_SESSION"):
        seq = f"\x1b]9;{_clean(title)}: {_clean(body)}\x07"
    else:
        seq = f"\x1b]777;notify;{_clean(title)};{_clean(body)}\x07"
    if env.get("TMUX"):
        seq = "\x1bPtmux;" + seq.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return seq


def send_notification(driver: Driver | None, title: str, body: str, env: Mapping[str, str]) -> None:
    """Write the notification to the terminal; a closed or failing terminal is ignored."""
    if driver is None:
        return
    with contextlib.suppress(Exception):
        driver.write(notification_sequence(title, body, env))
        driver.flush()
