"""The ``scalptui`` command's first module: nothing heavy is imported before it runs.

A headless run (``alerts``, ``record``, ``sim``) stopped by SIGINT / SIGTERM while
the rest of the program is still being imported (the detector and numpy take a
good part of a second on a small VPS) must end with status 0 and no traceback, so
the quiet handlers go in before ``scalptui.cli`` is imported; ``cli.main`` keeps
them until the event loop takes the signals over.
"""

from __future__ import annotations

import signal
import sys

HEADLESS = frozenset({"alerts", "record", "sim"})
VALUED_OPTIONS = frozenset(
    {
        "--exchange",
        "--symbols",
        "--base-url",
        "--config",
        "--demo-scenario",
        "--seed",
        "--theme",
        "--replay",
        "--speed",
    }
)
"""The top-level options that take a value (a test holds this to the parser), so
``--theme sim`` is not read as the ``sim`` command."""


def subcommand(args: list[str]) -> str | None:
    """The command word of ``args``: the first word that is neither an option nor an
    option's value."""
    words = iter(args)
    for word in words:
        if word == "--":
            return next(words, None)
        if word.startswith("-"):
            if word in VALUED_OPTIONS:
                next(words, None)
            continue
        return word
    return None


def main() -> int:
    if subcommand(sys.argv[1:]) in HEADLESS:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _stop)
    from scalptui.cli import main as cli_main

    return cli_main()


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)
