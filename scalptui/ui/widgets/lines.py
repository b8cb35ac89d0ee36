"""A widget made of text lines that rewrites only the lines that changed.

What an SSH link carries is the cells a repaint writes. Textual writes every
cell of a dirty region, so a panel that marks only its changed lines dirty
sends a fraction of what a whole-panel refresh would.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


class LinesWidget(Widget):
    """Holds a tuple of rich ``Text`` lines; ``set_lines`` repaints the changed ones."""

    DEFAULT_CSS = """
    LinesWidget {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: tuple[Text, ...] = ()
        self._strips: dict[int, Strip] = {}
        self._strip_width = -1
        self._parts: dict[str, Style] = {}
        self._built_unstyled = False
        self._base: Style | None = None

    @property
    def lines(self) -> tuple[Text, ...]:
        return self._lines

    def set_lines(self, lines: Sequence[Text]) -> int:
        """Replace the content; returns how many lines were marked for repaint."""
        new = tuple(lines)
        old = self._lines
        self._lines = new
        if len(new) != len(old):
            self._strips.clear()
            self.refresh(layout=True)
            return len(new)
        changed = [y for y, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        if not changed:
            return 0
        width = self.size.width
        for y in changed:
            self._strips.pop(y, None)
        self.refresh(*(Region(0, y, width, 1) for y in changed))
        return len(changed)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return len(self._lines)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._parts.clear()
        self._base = None
        if self._built_unstyled:
            self._built_unstyled = False
            rebuild = getattr(self, "redraw", None)
            if callable(rebuild):
                self.call_after_refresh(rebuild)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if width != self._strip_width:
            self._strips.clear()
            self._strip_width = width
        cached = self._strips.get(y)
        if cached is not None:
            return cached
        base = self._base
        if base is None:
            # Widget.refresh drops Textual's own style cache; resolving it again
            # walks every ancestor, so keep ours until the styles really change.
            base = self._base = self.rich_style
        if y >= len(self._lines):
            strip = Strip.blank(width, base)
        else:
            segments = list(self._lines[y].render(self.app.console, end=""))
            # adjust_cell_length, not crop_extend: a strip already ``width`` wide would be
            # cached in its own crop cache, a reference cycle only the full collector frees.
            strip = Strip(segments).apply_style(base).adjust_cell_length(width, base)
        self._strips[y] = strip
        return strip

    def part(self, name: str) -> Style:
        """The rich style of one COMPONENT_CLASSES part (colours come from the theme).

        Cached until the next style update: resolving a component style is the
        most expensive step of building a line, and a tick builds many.
        """
        style = self._parts.get(name)
        if style is None:
            try:
                style = self._parts[name] = self.get_component_rich_style(name, partial=True)
            except KeyError:
                # Mounted, but its CSS not applied yet (an alert raised in the first frame,
                # on a loaded machine): plain for now, not cached, and built again in
                # colour once the styles come (``notify_style_update``).
                self._built_unstyled = True
                return Style()
        return style
