"""The terminal sizes the app plans for: the minimum, and the size classes above it.

The planned degradation lives in ``scalptui.tcss``: below ``MIN_SIZE`` one line
says so; ``-narrow`` narrows the left column; ``-low`` (20-23 rows) drops the
sparkline and the OI chart and shrinks the alert log; ``-short`` (24-31 rows)
drops the OI chart. Header, watchlist and footer shorten themselves by whole
pieces (their widgets).
"""

from __future__ import annotations

MIN_SIZE = (70, 20)
"""The smallest terminal the panels fit without cutting a number or a badge.

70 columns: the left column needs 36 for a BTC-sized "Mark … Index …" line and
the 1m / 5m / 1h changes; the ladder next to it needs a price label (9), a
value (7) and a bar of a dozen cells. 20 rows: header, watchlist and footer
(3), the price and funding lines (12 without the sparkline, in 13 rows) and an
alert log of four lines (its title and the three newest alerts).
"""

HORIZONTAL_BREAKPOINTS: list[tuple[int, str]] = [
    (0, "-too-narrow"),
    (MIN_SIZE[0], "-narrow"),
    (100, "-wide"),
]
"""Width classes set on the screen (Textual's ``App.HORIZONTAL_BREAKPOINTS``)."""

VERTICAL_BREAKPOINTS: list[tuple[int, str]] = [
    (0, "-too-low"),
    (MIN_SIZE[1], "-low"),
    (24, "-short"),
    (32, "-tall"),
]
"""Height classes set on the screen (Textual's ``App.VERTICAL_BREAKPOINTS``)."""


def too_small_notice(width: int, height: int) -> str:
    """The one line shown instead of the panels below ``MIN_SIZE``."""
    return f"terminal too small: {width}×{height}, need {MIN_SIZE[0]}×{MIN_SIZE[1]}"
