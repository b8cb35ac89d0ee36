"""The app's keys: the one list the footer, the help screen and the README follow.

The footer shows each binding's description; the help screen lists its tooltip.
The footer shows ``v venues`` only on a run over several venues (``KeyHints.hidden``).
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding(
        "slash,ctrl+p",
        "command_palette",
        "search",
        key_display="/",
        tooltip="search the exchange's symbols (adds to the watchlist)",
    ),
    Binding(
        "left_square_bracket",
        "cycle(-1)",
        "prev",
        key_display="[",
        tooltip="previous / next watched symbol",
    ),
    Binding(
        "right_square_bracket",
        "cycle(1)",
        "next",
        key_display="]",
        tooltip="previous / next watched symbol",
    ),
    *[
        Binding(
            str(n),
            f"slot({n})",
            "slot",
            show=n == 1,
            key_display="1-9",
            tooltip="watchlist slot",
        )
        for n in range(1, 10)
    ],
    Binding(
        "plus,equals_sign",
        "zoom(-1)",
        "zoom in",
        key_display="+",
        tooltip="ladder zoom in / out (clusters past the view sum in the edge rows)",
    ),
    Binding(
        "minus",
        "zoom(1)",
        "zoom out",
        key_display="-",
        tooltip="ladder zoom in / out (clusters past the view sum in the edge rows)",
    ),
    Binding(
        "l", "toggle_tape", "tape", tooltip="liquidation tape (realised, across the watchlist)"
    ),
    Binding(
        "v",
        "venues",
        "venues",
        tooltip="this symbol on each venue: price, spread, OI, funding, liqs, feed",
    ),
    Binding(
        "x",
        "remove_symbol",
        "remove",
        show=False,
        tooltip="remove this symbol from the watchlist (/ adds it again)",
    ),
    Binding("m", "toggle_mute", "mute", tooltip="mute / unmute this symbol's alerts"),
    Binding("t", "next_theme", "theme", tooltip="next theme"),
    Binding(
        "p",
        "toggle_pause",
        "pause",
        tooltip="pause / resume the display (alerts keep arriving; a replay holds)",
    ),
    Binding(
        "less_than_sign",
        "replay_speed(-1)",
        "slower",
        show=False,
        key_display="<",
        tooltip="a replay slower / faster (×¼ to ×200, then ×max)",
    ),
    Binding(
        "greater_than_sign",
        "replay_speed(1)",
        "faster",
        show=False,
        key_display=">",
        tooltip="a replay slower / faster (×¼ to ×200, then ×max)",
    ),
    Binding("c", "chart", "chart", tooltip="full chart: price with realised liquidations"),
    Binding("b", "toggle_bell", "bell", tooltip="terminal bell on alerts"),
    Binding("question_mark", "help", "help", key_display="?", tooltip="this help"),
    Binding("q", "quit", "quit", tooltip="quit"),
    Binding(
        "ctrl+l",
        "redraw",
        "redraw",
        show=False,
        tooltip="redraw the whole screen (after stray output over it)",
    ),
    # Textual quits on ctrl+q; it is the terminal's resume key after ctrl+s, so a monitor
    # left running for days quit on a reflex. Only q quits.
    Binding(
        "ctrl+q",
        "quit_hint",
        "",
        show=False,
        priority=True,
        tooltip="ignored (the terminal's resume-output key): q is the one to leave",
    ),
]
