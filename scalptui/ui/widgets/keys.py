"""The footer: the main screen's keys, whole, in the room there is.

Textual's footer cuts the last key mid-word on a narrow terminal (``t th``).
This one drops whole hints in a planned order instead, and always keeps
``? help`` (which lists every key) and ``q quit``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType

from scalptui.ui.widgets.lines import LinesWidget

KEPT: tuple[str, ...] = ("help", "quit", "app.pop_screen")
"""Actions whose hint is never dropped."""
DROP_ORDER: tuple[str, ...] = (
    "toggle_bell",
    "slot(1)",
    "next_theme",
    "toggle_mute",
    "chart",
    "toggle_tape",
    "zoom(1)",
    "zoom(-1)",
    "venues",
    "cycle(-1)",
    "cycle(1)",
    "toggle_pause",
    "command_palette",
)
"""Hints dropped first to last when the line is too narrow (least used first)."""


@dataclass(frozen=True, slots=True)
class KeyHint:
    action: str
    key: str
    description: str


PAIRED: dict[str, tuple[str, KeyHint]] = {
    "zoom(1)": ("zoom(-1)", KeyHint("zoom(-1)", "+-", "zoom")),
    "cycle(-1)": ("cycle(1)", KeyHint("cycle(1)", "[]", "symbol")),
}
"""A hint about to be dropped whose partner is shown: both become one shorter hint.

Dropping ``- zoom out`` alone left ``+ zoom in`` on an 80-column footer, as if
the ladder only zoomed one way; ``+- zoom`` keeps both keys in less room.
The merged hint takes the partner's action, so the partner's turn drops it.
"""


def key_hints(bindings: Iterable[BindingType]) -> tuple[KeyHint, ...]:
    """The shown bindings, in their declared order."""
    hints = []
    for binding in bindings:
        if not isinstance(binding, Binding) or not binding.show:
            continue
        key = binding.key_display or binding.key.split(",")[0]
        hints.append(KeyHint(binding.action, key, binding.description))
    return tuple(hints)


def fit_hints(hints: tuple[KeyHint, ...], width: int) -> tuple[KeyHint, ...]:
    """The hints that fit ``width`` whole, dropping in ``DROP_ORDER``; the kept ones stay."""
    shown = list(hints)
    drops = [a for a in DROP_ORDER if any(h.action == a for h in hints)]
    drops += [h.action for h in hints if h.action not in DROP_ORDER and h.action not in KEPT]
    while _line_width(shown) > width and drops:
        shown = _drop_hint(shown, drops.pop(0))
    return tuple(shown)


def _drop_hint(shown: list[KeyHint], action: str) -> list[KeyHint]:
    """``shown`` without ``action``'s hint, or with it merged into its partner's."""
    partner, merged = PAIRED.get(action, ("", None))
    if merged is not None and any(h.action == partner for h in shown):
        return [merged if h.action == partner else h for h in shown if h.action != action]
    return [h for h in shown if h.action != action]


def _line_width(hints: list[KeyHint]) -> int:
    return sum(1 + len(h.key) + 1 + len(h.description) + 1 for h in hints)


class KeyHints(LinesWidget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"keys--key", "keys--description"}
    DEFAULT_CSS = """
    KeyHints { height: 1; background: $panel; color: $foreground; }
    KeyHints > .keys--key { color: $accent; text-style: bold; }
    KeyHints > .keys--description { color: $foreground; }
    """

    def __init__(
        self,
        bindings: Iterable[BindingType],
        *,
        hidden: frozenset[str] = frozenset(),
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._hints = key_hints(bindings)
        self.hidden = hidden
        """Actions whose hint is not shown (yet): ``venues`` on a run over one venue."""

    def set_hidden(self, hidden: frozenset[str]) -> None:
        if hidden != self.hidden:
            self.hidden = hidden
            self.redraw()

    def on_mount(self) -> None:
        self.redraw()

    def on_resize(self, event: events.Resize) -> None:
        self.redraw()

    def redraw(self) -> None:
        line = Text()
        hints = tuple(h for h in self._hints if h.action not in self.hidden)
        for hint in fit_hints(hints, self.size.width):
            line.append(f" {hint.key}", style=self.part("keys--key"))
            line.append(f" {hint.description} ", style=self.part("keys--description"))
        self.set_lines([line])
