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


def main() -> int:
    if HEADLESS.intersection(sys.argv[1:]):
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _stop)
    from scalptui.cli import main as cli_main

    return cli_main()


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)
